"""Assessment fixtures on top of the work-team fixtures (guazhi/teams/tests/helpers.py):
batch 5 with its team led by tina, and three placed cadres at chaoyang (hank is the host
unit's user) — wang (dave's account), li (lucy's account) and zhou (no account).

Here: the default indicator library (`self.ind["走访企业次数"]` …), the programme's policy with
national defaults, and an approved plan v1 for each of the three placements:

    走访企业次数 (records_visit)  weight 40, target 40
    工作纪实     (records_total)  weight 30, target 80
    工作作风     (qualitative)    weight 30

`open_round()` creates the 2027 annual round through the service (by alice);
`rate(entry_or_round, score)` fills every rating of it at once; `quarter(placement, q, grade)`
records a confirmed 2027 quarterly result."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from guazhi.teams.tests.helpers import TeamTestCase

from .. import services
from ..models import Entry, Plan, PlanItem, QuarterResult, Rating, Round

D = Decimal

STANDARD_ITEMS = [("走访企业次数", 40, 40), ("工作纪实", 30, 80), ("工作作风", 30, None)]


class AssessmentTestCase(TeamTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.ind = {i.name: i for i in services.library_defaults()}
        cls.policy = services.policy_for(cls.programme)
        cls.plan_wang = cls.approved_plan(cls.p_wang)
        cls.plan_li = cls.approved_plan(cls.p_li)
        cls.plan_zhou = cls.approved_plan(cls.p_zhou)

    @classmethod
    def approved_plan(cls, placement, items=None, version=1) -> Plan:
        """An approved plan written directly (no workflow): items are (name, weight, target)."""
        now = timezone.now()
        plan = Plan.objects.create(
            placement=placement,
            version=version,
            status=Plan.Status.APPROVED,
            created_by=cls.alice,
            agreed_at=now,
            approved_by=cls.alice,
            approved_at=now,
        )
        for name, weight, target in items or STANDARD_ITEMS:
            PlanItem.objects.create(
                plan=plan,
                indicator=cls.ind[name],
                weight=D(weight),
                target=None if target is None else D(target),
            )
        return plan

    def open_round(
        self,
        kind=Round.Kind.ANNUAL,
        year=2027,
        start=date(2027, 3, 1),
        end=date(2027, 12, 31),
        batch=None,
        by=None,
    ) -> Round:
        return services.round_create(
            batch=batch or self.batch,
            kind=kind,
            year=year,
            period_start=start,
            period_end=end,
            by=by or self.alice,
        )

    def rate(self, target, score: int, kinds=None) -> None:
        """Every rating of an entry or a round (optionally only some rater kinds) submitted with
        `score` on all four aspects."""
        ratings = Rating.objects.filter(
            **({"entry": target} if isinstance(target, Entry) else {"entry__round": target})
        )
        if kinds:
            ratings = ratings.filter(rater_kind__in=kinds)
        ratings.update(
            political=score,
            conduct=score,
            performance=score,
            integrity=score,
            submitted_at=timezone.now(),
        )

    def entry(self, round_: Round, placement) -> Entry:
        return round_.entries.get(placement=placement)

    def quarter(self, placement, q: int, grade: str, year=2027) -> QuarterResult:
        """A confirmed quarterly result written directly."""
        return QuarterResult.objects.create(
            placement=placement,
            year=year,
            quarter=q,
            grade=grade,
            status=QuarterResult.Status.CONFIRMED,
            proposed_by=self.tina,
            confirmed_by=self.alice,
            confirmed_at=timezone.now(),
        )
