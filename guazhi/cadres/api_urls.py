from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cadres", api.CadreViewSet, basename="cadre")

urlpatterns = router.urls
