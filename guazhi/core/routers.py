"""The API's routers: a record's id in a path is digits only.

DRF's default matches any text there, and the access functions then hand that text to an
integer primary key (`/api/v1/cadres/abc/` raised ValueError: a 500 found by the API fuzz
test, core/tests/test_api_fuzz.py). With digits only, anything else is a 404 before a view runs.
"""

from __future__ import annotations

from rest_framework import routers


class DigitIdsMixin:
    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if hasattr(viewset, "lookup_value_regex"):
            return super().get_lookup_regex(viewset, lookup_prefix)
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"(?P<{lookup_prefix}{kwarg}>[0-9]+)"


class SimpleRouter(DigitIdsMixin, routers.SimpleRouter):
    pass


class DefaultRouter(DigitIdsMixin, routers.DefaultRouter):
    pass
