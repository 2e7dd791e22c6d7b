from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("enterprises", api.EnterpriseViewSet, basename="enterprise")
router.register("enterprise-contacts", api.EnterpriseContactViewSet, basename="enterprisecontact")
router.register("projects", api.ProjectViewSet, basename="project")
router.register("project-stages", api.StageViewSet, basename="projectstage")
router.register("project-tasks", api.TaskViewSet, basename="projecttask")
router.register("project-blockers", api.BlockerViewSet, basename="projectblocker")
router.register("project-members", api.MemberViewSet, basename="projectmember")
router.register("project-credits", api.CreditViewSet, basename="projectcredit")
router.register("project-updates", api.UpdateViewSet, basename="projectupdate")
router.register("project-events", api.EventViewSet, basename="projectevent")

urlpatterns = router.urls
