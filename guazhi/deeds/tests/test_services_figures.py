"""The rates on a known dataset (2027-06-01), 和平区发改局's four deeds:

    A  done 04-01, promised 04-30 (on time); ratings 非常满意, 满意, 基本满意, 不满意 (rectified,
       re-rated 满意), 非常不满意 (appeal upheld: excluded)
    B  moved to 办理中, promised 05-01, not done
    C  registered only
    D  done 05-20, promised 05-10 (late)

响应率 3/4 = 75.0 %, 解决率 2/4 = 50.0 %, 按时办结率 1/2 = 50.0 %; valid ratings 4 (levels now
5, 4, 3, 4): 满意率 (1 + 2 + 0.5 × 1) / 4 = 87.5 %; bad ratings 1, rectified 1: 差评整改率
100.0 %. A deed of another unit is left out."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import time_machine

from .. import services
from ..models import Deed, Level, Policy, Rating, Rectification
from .helpers import DeedsTestCase

NOW = date(2027, 6, 1)


@time_machine.travel(NOW, tick=False)
class FigureTests(DeedsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            statuses = services.statuses()
            working = statuses[1]
            done = next(s for s in statuses if s.kind == "done")
            cls.a = cls.deed("A", day=date(2027, 3, 1), promised_on=date(2027, 4, 30))
            services.evidence_add(deed=cls.a, by=cls.dave, day=date(2027, 3, 15), note="开工")
            services.status_change(deed=cls.a, to_status=done, by=cls.alice, day=date(2027, 4, 1))
            cls.b = cls.deed("B", day=date(2027, 3, 1), promised_on=date(2027, 5, 1))
            services.status_change(
                deed=cls.b, to_status=working, by=cls.alice, day=date(2027, 3, 2)
            )
            cls.c = cls.deed("C", day=date(2027, 5, 1), cadre=cls.wang_cadre())
            cls.d = cls.deed(
                "D", day=date(2027, 4, 1), promised_on=date(2027, 5, 10), cadre=cls.wang_cadre()
            )
            services.status_change(deed=cls.d, to_status=done, by=cls.alice, day=date(2027, 5, 20))
            cls.other = cls.deed("其他单位", unit=cls.hunnan_kjj)
            services.status_change(deed=cls.other, to_status=done, by=cls.alice)
            levels = [
                (Level.VERY_GOOD, Level.VERY_GOOD, False),
                (Level.GOOD, Level.GOOD, False),
                (Level.FAIR, Level.FAIR, False),
                (Level.BAD, Level.GOOD, False),
                (Level.VERY_BAD, Level.VERY_BAD, True),
            ]
            for i, (first, now, excluded) in enumerate(levels):
                rating = Rating.objects.create(
                    deed=cls.a,
                    first_level=first,
                    level=now,
                    excluded=excluded,
                    channel="field",
                    rater_key=f"r{i}",
                )
                if first in (Level.BAD, Level.VERY_BAD):
                    Rectification.objects.create(
                        rating=rating,
                        deed=cls.a,
                        unit=cls.a.unit,
                        opened_on=NOW,
                        deadline=NOW + timedelta(days=7),
                        rerate_token=f"t{i}",
                        status="done" if not excluded else "open",
                    )
            Rating.objects.create(
                deed=cls.other, first_level=1, level=1, channel="field", rater_key="o"
            )

    @classmethod
    def wang_cadre(cls):
        from guazhi.cadres.models import Cadre
        from guazhi.cadres.tests.factories import make_cadre

        return Cadre.objects.filter(name="王晓明").first() or make_cadre(cls.heping_fgj, "王晓明")

    def test_the_units_rates(self):
        f = services.figures(Deed.objects.filter(unit=self.heping_fgj))
        self.assertEqual(
            (f.deeds, f.responded, f.solved, f.on_time),
            (4, 3, 2, 1),
        )
        self.assertEqual(
            (f.response_rate, f.solve_rate, f.on_time_rate),
            (Decimal("75.0"), Decimal("50.0"), Decimal("50.0")),
        )
        r = f.ratings
        self.assertEqual((r.valid, r.excluded, r.bad, r.rectified), (4, 1, 1, 1))
        self.assertEqual(r.counts, {5: 1, 4: 2, 3: 1, 2: 0, 1: 0})
        self.assertEqual((r.satisfaction, r.rectify_rate), (Decimal("87.5"), Decimal("100.0")))

    def test_the_weight_of_basic_satisfaction_is_configurable(self):
        Policy.objects.update_or_create(pk=1, defaults={"basic_weight": Decimal("1")})
        f = services.figures(Deed.objects.filter(unit=self.heping_fgj))
        self.assertEqual(f.ratings.satisfaction, Decimal("100.0"))
        Policy.objects.filter(pk=1).update(basic_weight=Decimal("0"))
        self.assertEqual(
            services.figures(Deed.objects.filter(unit=self.heping_fgj)).ratings.satisfaction,
            Decimal("75.0"),
        )

    def test_a_cadres_rates_cover_the_deeds_he_is_responsible_for(self):
        f = services.figures(Deed.objects.filter(cadre=self.wang_cadre()))
        self.assertEqual((f.deeds, f.responded, f.solved, f.on_time), (2, 1, 1, 0))
        self.assertEqual(f.on_time_rate, Decimal("0.0"))
        # No ratings: the rates say "nothing to divide by", not 0 or 100.
        self.assertEqual(
            (f.ratings.valid, f.ratings.satisfaction, f.ratings.rectify_rate), (0, None, None)
        )

    def test_an_empty_set_has_no_rates(self):
        f = services.figures(Deed.objects.none())
        self.assertEqual(
            (f.deeds, f.response_rate, f.solve_rate, f.on_time_rate), (0, None, None, None)
        )

    def test_the_figures_cost_the_same_for_few_and_many_deeds(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        qs = Deed.objects.filter(unit=self.heping_fgj)
        with CaptureQueriesContext(connection) as few:
            services.figures(qs)
        for i in range(6):
            deed = self.deed(f"更多{i}")
            Rating.objects.create(deed=deed, first_level=2, level=2, channel="ask", rater_key="m")
        with CaptureQueriesContext(connection) as many:
            self.assertEqual(services.figures(qs).deeds, 10)
        self.assertEqual(len(many.captured_queries), len(few.captured_queries))

    def test_figures_by_unit_and_by_cadre_equal_the_figures_of_each(self):
        deeds = Deed.objects.all()
        for group, key in (("unit_id", "unit_id"), ("cadre_id", "cadre_id")):
            scoped = deeds.exclude(**{f"{key}__isnull": True})
            grouped = services.figures_by(scoped, group)
            keys = set(scoped.values_list(key, flat=True))
            self.assertEqual(set(grouped), keys)
            for value in keys:
                with self.subTest(group=group, value=value):
                    self.assertEqual(
                        grouped[value], services.figures(scoped.filter(**{key: value}))
                    )
        heping = services.figures_by(deeds, "unit_id")[self.heping_fgj.pk]
        self.assertEqual((heping.deeds, heping.ratings.satisfaction), (4, Decimal("87.5")))

    def test_the_figures_page_costs_the_same_for_two_units_as_for_eight(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from guazhi.cadres.tests.factories import make_cadre
        from guazhi.testing import make_unit

        self.login(self.alice)

        def count():
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get("/deeds/figures/")
            self.assertEqual(response.status_code, 200)
            return len(queries.captured_queries)

        count()  # the site settings' cache
        few = count()
        for i in range(6):
            unit = make_unit(f"T-NEW-{i}", f"新增单位{i}", "sending", self.heping)
            deed = self.deed(f"新增{i}", unit=unit, cadre=make_cadre(unit, f"新干部{i}"))
            Rating.objects.create(deed=deed, first_level=4, level=4, channel="ask", rater_key="n")
        self.assertEqual(count(), few)
        self.assertContains(self.client.get("/deeds/figures/"), "新增单位5")
