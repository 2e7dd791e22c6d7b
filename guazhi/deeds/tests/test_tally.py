"""RatingTally: the database keeps each deed's counts right through every change of its
ratings and rectifications — by the services, by bulk writes and raw updates that send no
signals, and (PostgreSQL) by two raters committing at once — and the figures read from the
tallies equal those counted from the ratings."""

from __future__ import annotations

import threading
import time
from datetime import date

import time_machine
from django.db import connection, connections, transaction
from django.test import TransactionTestCase, skipUnlessDBFeature

from guazhi.core.models import OrgUnit, User

from .. import services, tally
from ..models import Deed, Level, Rating, RatingTally, Status
from .helpers import DeedsTestCase

NOW = date(2027, 6, 1)
PHONES = [f"1390000{i:04d}" for i in range(20)]


def tallied(deed) -> tuple:
    """The deed's counts: the sums of its shard rows."""
    rows = RatingTally.objects.filter(deed=deed).values_list(*tally.COLUMNS)
    return tuple(sum(column) for column in zip(*rows, strict=True)) or (0,) * len(tally.COLUMNS)


def counted(deed) -> tuple:
    """The same counts from the ratings themselves."""
    ratings = list(deed.ratings.select_related("rectification"))
    valid = [r for r in ratings if not r.excluded]
    bad = [r for r in valid if r.first_level in (1, 2)]

    def fixed(r):
        rect = getattr(r, "rectification", None)
        return rect is not None and rect.status == "done"

    return (
        *(sum(1 for r in valid if r.level == level) for level in (1, 2, 3, 4, 5)),
        len(ratings) - len(valid),
        len(bad),
        sum(1 for r in bad if fixed(r)),
    )


class TallyTests(DeedsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            cls.pipes = cls.deed()
            cls.members = [
                services.panel_member_add(by=cls.alice, name=f"评议员{i}", mobile=PHONES[i])
                for i in range(6)
            ]

    def rate(self, i, level):
        return services.rate_panel(
            deed=self.pipes, member=self.members[i], level=level, channel="ask"
        )

    def assertTallyRight(self):
        self.assertEqual(tallied(self.pipes), counted(self.pipes))

    def test_every_change_of_ratings_and_rectifications_keeps_the_tally_right(self):
        with time_machine.travel(NOW, tick=False):
            for i, level in enumerate((Level.VERY_GOOD, Level.GOOD, Level.FAIR)):
                self.rate(i, level)
            self.assertTallyRight()
            bad, worse = self.rate(3, Level.BAD), self.rate(4, Level.VERY_BAD)
            self.assertEqual(tallied(self.pipes)[-2:], (2, 0))
            services.rectification_done(
                rectification=bad.rectification, by=self.bob, action="更换管道"
            )
            self.assertEqual(tallied(self.pipes)[-2:], (2, 1))
            services.rerate(token=bad.rectification.rerate_token, level=Level.GOOD)
            self.assertTallyRight()  # the level moves, the bad first rating stays counted
            appeal = services.appeal_file(rating=worse, by=self.carol, reason="非本小区居民")
            services.appeal_decide(appeal=appeal, by=self.alice, decision="upheld", note="核实")
            self.assertTallyRight()
            self.assertEqual(tallied(self.pipes)[5:], (1, 1, 1))  # excluded, bad, fixed
        figures = services.figures(Deed.objects.filter(pk=self.pipes.pk)).ratings
        self.assertEqual(figures, services.rating_figures(Rating.objects.filter(deed=self.pipes)))

    def test_bulk_writes_and_raw_updates_that_send_no_signals_are_counted(self):
        Rating.objects.bulk_create(
            Rating(
                deed=self.pipes,
                level=level,
                first_level=level,
                channel="public",
                rater_key=f"bulk{i}",
            )
            for i, level in enumerate((5, 5, 4, 2))
        )
        self.assertTallyRight()
        Rating.objects.filter(deed=self.pipes, level=5).update(level=3)
        Rating.objects.filter(deed=self.pipes, level=2).update(excluded=True)
        self.assertTallyRight()
        self.assertEqual(tallied(self.pipes), (0, 0, 2, 1, 0, 1, 0, 0))
        Rating.objects.filter(deed=self.pipes, level=4).delete()
        self.assertTallyRight()

    def test_deleting_a_deed_deletes_its_tally_and_recount_rebuilds_any_row(self):
        with time_machine.travel(NOW, tick=False):
            self.rate(0, Level.GOOD)
            other = self.deed("另一件")
            services.rate_panel(deed=other, member=self.members[1], level=Level.FAIR, channel="ask")
        RatingTally.objects.filter(deed=other).update(n_3=99)  # damaged rows
        tally.recount([other.pk])
        self.assertEqual(tallied(other), counted(other))
        self.pipes.delete()
        self.assertFalse(RatingTally.objects.filter(deed_id=self.pipes.pk).exists())
        self.assertTrue(RatingTally.objects.filter(deed=other).exists())

    def test_the_figures_of_many_deeds_cost_the_same_queries_as_of_one(self):
        with time_machine.travel(NOW, tick=False):
            self.rate(0, Level.GOOD)
            for i in range(5):
                deed = self.deed(f"实事{i}")
                services.rate_panel(
                    deed=deed, member=self.members[i + 1], level=Level.BAD, channel="ask"
                )
        one = Deed.objects.filter(pk=self.pipes.pk)
        with self.assertNumQueries(4):  # statuses, deeds, tallies, policy
            services.figures(one)
        with self.assertNumQueries(4):
            figures = services.figures(Deed.objects.all())
        self.assertEqual((figures.ratings.valid, figures.ratings.bad), (6, 5))


def insert_rating(deed_id: int, level: int, key: str) -> None:
    """As the public endpoint does: one SQL statement, no ORM signal (a save through the ORM
    would also append to the audit chain, whose head would order the two sessions)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO deeds_rating (deed_id, level, first_level, comment, channel, rater_key,"
            " mobile_encrypted, created_at, excluded) VALUES (%s, %s, %s, '', 'public', %s, '',"
            " CURRENT_TIMESTAMP, %s)",
            [deed_id, level, level, key, False],
        )


@skipUnlessDBFeature("has_select_for_update")  # PostgreSQL: two sessions at once
class ConcurrentRatersTests(TransactionTestCase):
    """Committed rows, so that two sessions rate the same deed at the same time."""

    def setUp(self):
        self.unit = OrgUnit.objects.create(code="TALLY", name="计数测试单位", kind="sending")
        self.user = User.objects.create(username="tally-test", unit=self.unit)
        self.statuses = not Status.objects.exists()
        status = services.first_open()
        self.deed = Deed.objects.create(
            title="并发评价", content="-", source="visit", category="housing", location="-",
            unit=self.unit, opened_on=NOW, promised_on=NOW, status=status,
            created_by=self.user, public_key="tally-concurrent",
        )  # fmt: skip

    def _fixture_teardown(self):
        # Not Django's flush (the audit log's append-only trigger refuses it): remove what
        # setUp and the test committed.
        Rating.objects.filter(deed__public_key="tally-concurrent").delete()
        Deed.objects.filter(public_key="tally-concurrent").delete()
        if getattr(self, "statuses", False):
            Status.objects.all().delete()
        User.objects.filter(username="tally-test").delete()
        OrgUnit.objects.filter(code="TALLY").delete()

    def test_two_raters_committing_at_once_are_both_counted(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only")
        inserted = threading.Event()
        errors = []

        def first():
            try:
                with transaction.atomic():
                    insert_rating(self.deed.pk, 5, "first")
                    inserted.set()
                    time.sleep(0.5)  # the second rater inserts meanwhile and waits for us
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(exc)
                inserted.set()
            finally:
                connections.close_all()

        def second():
            try:
                inserted.wait(timeout=5)
                with transaction.atomic():
                    insert_rating(self.deed.pk, 4, "second")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        self.assertEqual(errors, [])
        self.assertEqual(tallied(self.deed), (0, 0, 0, 1, 1, 0, 0, 0))

    def test_a_rater_does_not_wait_for_another_rater_of_the_same_deed(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only")
        insert_rating(self.deed.pk, 3, "before")  # the deed's row (shard 0), committed
        holding = threading.Event()
        times = {}

        def first():
            with transaction.atomic():
                insert_rating(self.deed.pk, 5, "first")
                holding.set()
                time.sleep(1.0)  # holds shard 0
            times["first"] = time.monotonic()
            connections.close_all()

        def second():
            holding.wait(timeout=5)
            with transaction.atomic():
                insert_rating(self.deed.pk, 4, "second")
            times["second"] = time.monotonic()
            connections.close_all()

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        self.assertLess(times["second"], times["first"])  # it did not queue behind the first
        shards = sorted(RatingTally.objects.filter(deed=self.deed).values_list("shard", flat=True))
        self.assertEqual((len(shards), shards[0]), (2, 0))  # row 0 and the second's own row
        self.assertEqual(tallied(self.deed), (0, 0, 1, 1, 1, 0, 0, 0))
        tally.recount([self.deed.pk])  # one row again, the same counts
        self.assertEqual(RatingTally.objects.filter(deed=self.deed).count(), 1)
        self.assertEqual(tallied(self.deed), (0, 0, 1, 1, 1, 0, 0, 0))
