from django.urls import path

from . import api
from .routers import DefaultRouter

router = DefaultRouter()
router.register("org-units", api.OrgUnitViewSet, basename="orgunit")
router.register("users", api.UserViewSet, basename="user")

urlpatterns = [path("auth/token/", api.TokenView.as_view(), name="api-token"), *router.urls]
