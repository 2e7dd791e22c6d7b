from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("daily-records", api.DailyRecordViewSet, basename="dailyrecord")

urlpatterns = router.urls
