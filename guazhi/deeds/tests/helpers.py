"""The base personas (guazhi.testing) plus a deed of 和平区发改局 and `deed()` to register one
through the service. Time is frozen by the tests that need it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from guazhi.testing import BaseTestCase

from .. import services
from ..models import Deed


class DeedsTestCase(BaseTestCase):
    @classmethod
    def deed(cls, title="老旧小区管网改造", *, by=None, day=date(2027, 3, 1), **values):
        values.setdefault("content", "小区供水管网老化，三天两头出问题，居民出入需抬脚而行")
        values.setdefault("source", Deed.Source.VISIT)
        values.setdefault("category", Deed.Category.HOUSING)
        values.setdefault("location", "和平区南湖街道 文萃小区")
        values.setdefault("unit", cls.heping_fgj)
        values.setdefault("promised_on", day + timedelta(days=60))
        values.setdefault("urgent", True)
        return services.deed_create(by=by or cls.alice, title=title, opened_on=day, **values)

    @staticmethod
    def D(value) -> Decimal:
        return Decimal(str(value))
