"""Authentication backend: permissions come from roles, and nobody is a superuser."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class RoleBackend(ModelBackend):
    def _role_permissions(self, user) -> frozenset[str]:
        cache = getattr(user, "_role_perm_cache", None)
        if cache is None:
            cache = frozenset().union(*(perms for _kind, _scope, perms in user.role_grants()))
            user._role_perm_cache = cache
        return cache

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return self._role_permissions(user_obj)

    def has_perm(self, user_obj, perm, obj=None):
        # Unlike ModelBackend, is_superuser grants nothing: separation of duties holds.
        return user_obj.is_active and perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return user_obj.is_active and any(
            p.startswith(app_label + ".") for p in self.get_all_permissions(user_obj)
        )
