from django.urls import path

from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("deeds", api.DeedViewSet, basename="deed")
router.register("deed-statuses", api.StatusViewSet, basename="deedstatus")
router.register("deed-lookbacks", api.LookBackViewSet, basename="deedlookback")
router.register("deed-rectifications", api.RectificationViewSet, basename="deedrectification")
router.register("deed-appeals", api.AppealViewSet, basename="deedappeal")
router.register("deed-panel-members", api.PanelMemberViewSet, basename="deedpanelmember")

urlpatterns = [
    *router.urls,
    path("deed-figures/", api.DeedFiguresView.as_view(), name="deed-figures"),
]
