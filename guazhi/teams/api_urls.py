from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("teams", api.TeamViewSet, basename="team")
router.register("meetings", api.MeetingViewSet, basename="meeting")
router.register("pairings", api.PairingViewSet, basename="pairing")

urlpatterns = router.urls
