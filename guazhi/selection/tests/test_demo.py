"""The demo tells the seed's story: four batches and 73 cadres to Beijing, batch 3 all young,
batch 4 mostly born in the 1980s, and a fifth batch waiting for the matching."""

from collections import Counter
from dataclasses import replace

from django.test import TestCase

from guazhi.cadres import demo as cadres_demo
from guazhi.core import demo as core_demo
from guazhi.core.models import User
from guazhi.programmes.models import Batch, Placement, PlacementChange, Post, Programme
from guazhi.programmes.services import batch_composition
from guazhi.selection import demo, engine, matching, services
from guazhi.selection.models import Nomination, NominationStep, ReviewLevel


class SelectionDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        core_demo.load()
        cadres_demo.load()
        demo.load()
        cls.programme = Programme.objects.get(name=demo.PROGRAMME)
        cls.batches = {b.number: b for b in cls.programme.batches.all()}

    def test_the_programme_has_the_four_default_review_levels(self):
        self.assertEqual(self.programme.partner_city, "北京")
        self.assertEqual(self.programme.young_age_max, 40)
        levels = list(self.programme.levels.order_by("order"))
        self.assertEqual([lv.name for lv in levels], [name for name, *_ in services.DEFAULT_LEVELS])

    def test_four_batches_sent_73_cadres_each_once(self):
        self.assertEqual(
            {n: b.status for n, b in self.batches.items()},
            {1: "finished", 2: "finished", 3: "finished", 4: "serving", 5: "nominating"},
        )
        earlier = Placement.objects.filter(batch__number__lte=4, batch__programme=self.programme)
        self.assertEqual(earlier.count(), 73)
        self.assertEqual(earlier.values("cadre").distinct().count(), 73)
        sizes = Counter(earlier.values_list("batch__number", flat=True))
        self.assertEqual(sizes, {1: 20, 2: 18, 3: 17, 4: 18})
        for number in (1, 2, 3, 4):
            batch = self.batches[number]
            seats = sum(batch.posts.values_list("capacity", flat=True))
            self.assertEqual(seats, sizes[number], batch)
            self.assertEqual(batch.quota, sizes[number], batch)

    def test_batch_3_sent_17_cadres_all_young(self):
        comp = batch_composition(self.batches[3])
        self.assertEqual((comp.total, comp.young), (17, 17))

    def test_batch_4_sent_18_cadres_15_born_in_the_1980s(self):
        comp = batch_composition(self.batches[4])
        self.assertEqual(comp.total, 18)
        self.assertEqual(comp.cohorts["80后"], 15)
        self.assertEqual(comp.share(comp.cohorts["80后"]), "83.3%")

    def test_finished_batches_are_finished_on_their_planned_end(self):
        for number in (1, 2, 3):
            placements = self.batches[number].placements.all()
            self.assertTrue(all(p.status == "finished" for p in placements))
            self.assertTrue(
                all(p.actual_end == p.planned_end == self.batches[number].end for p in placements)
            )

    def test_every_earlier_cadre_passed_all_four_levels_with_a_filing_number(self):
        levels = set(
            ReviewLevel.objects.filter(programme=self.programme).values_list("pk", flat=True)
        )
        for placement in Placement.objects.filter(batch__number__lte=4).select_related(
            "nomination"
        ):
            nomination = placement.nomination
            self.assertEqual(nomination.status, Nomination.Status.APPROVED)
            self.assertEqual(nomination.post_id, placement.post_id)
            self.assertRegex(nomination.document_number, r"^组厅字〔20\d\d〕\d+号$")
            approved = set(
                nomination.steps.filter(action=NominationStep.Action.APPROVE).values_list(
                    "level", flat=True
                )
            )
            self.assertEqual(approved, levels)
            times = list(nomination.steps.values_list("at", flat=True))
            self.assertLess(max(times).date(), placement.start)

    def test_batch_4_has_one_approved_extension_and_one_early_end(self):
        changes = PlacementChange.objects.filter(placement__batch=self.batches[4])
        self.assertEqual(
            Counter(changes.values_list("kind", "status")),
            {("extend", "approved"): 1, ("end_early", "approved"): 1},
        )
        self.assertEqual(
            Counter(self.batches[4].placements.values_list("status", flat=True)),
            {"on_post": 16, "extended": 1, "ended_early": 1},
        )
        zzb = User.objects.get(username="zzb")
        self.assertTrue(
            all(c.decided_by_id == zzb.pk and c.requested_by_id != zzb.pk for c in changes)
        )

    def test_the_demo_cadre_login_is_serving_in_batch_4(self):
        self.assertTrue(
            self.batches[4]
            .placements.filter(cadre__user__username="ganbu", status="on_post")
            .exists()
        )

    def test_batch_5_nominations_wait_mostly_at_the_matching_level(self):
        batch = self.batches[5]
        nominations = batch.nominations.select_related("level", "cadre__unit")
        candidates = services.match_candidates(batch)
        self.assertGreaterEqual(candidates.count(), 15)
        self.assertTrue(all(n.level.assigns_post for n in candidates))
        self.assertEqual(nominations.filter(status="pending", level__order=1).count(), 3)
        self.assertEqual(nominations.filter(status="rejected").count(), 1)
        self.assertEqual(nominations.filter(status="withdrawn").count(), 1)
        self.assertFalse(nominations.filter(post__isnull=False).exists())
        for nomination in nominations.exclude(status="pending"):
            self.assertTrue(
                nomination.steps.exclude(opinion="")
                .filter(action__in=["reject", "withdraw"])
                .exists()
            )
        # Only 和平区 and 浑南区 units, none of whom served in batches 1–4.
        self.assertTrue(all(n.cadre.unit.code[:3] in ("HP-", "HN-") for n in nominations))
        served = Placement.objects.filter(batch__number__lte=4).values("cadre")
        self.assertFalse(nominations.filter(cadre__in=served).exists())

    def test_batch_5_posts_each_have_several_eligible_candidates(self):
        batch = self.batches[5]
        self.assertEqual(
            sum(Post.objects.filter(batch=batch).values_list("capacity", flat=True)), batch.quota
        )
        proposal = matching.propose(batch)
        self.assertTrue((proposal.eligible.sum(axis=0) >= 3).all(), proposal.eligible.sum(axis=0))

    def test_the_matching_honours_the_policy_the_unconstrained_optimum_would_break(self):
        batch = self.batches[5]
        proposal = matching.propose(batch)
        self.assertIn(proposal.solution.status, ("optimal", "feasible"))
        self.assertEqual(proposal.solution.filled, batch.quota)
        self.assertLessEqual(max(proposal.units.values()), batch.max_per_unit)
        self.assertGreaterEqual(
            proposal.young * 100, batch.min_young_share * proposal.solution.filled
        )
        self.assertEqual(proposal.missing_tags, [])
        free = engine.solve(replace(proposal.problem, min_young_share=None, max_per_unit=None))
        _total, issues = engine.evaluate(proposal.problem, free.pairs)
        self.assertTrue(issues)
        self.assertGreater(free.total_fit, proposal.solution.total_fit)

    def test_loading_again_creates_nothing(self):
        models = (
            Programme,
            Batch,
            Post,
            Placement,
            PlacementChange,
            Nomination,
            NominationStep,
            User,
        )
        before = [m.objects.count() for m in models]
        demo.load()
        self.assertEqual([m.objects.count() for m in models], before)
