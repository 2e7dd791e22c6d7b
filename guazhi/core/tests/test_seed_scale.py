"""guazhi seed-scale: the generated rows are as many as asked and look as the apps' services
would have left them — references, histories, dates, counters, keys, encryption, data scope."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import date

from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max
from django.test import Client, TestCase
from stdnum.cn import ric

from guazhi.assessment import services as assessment_services
from guazhi.assessment.models import Entry, IndicatorScore, Plan, QuarterResult, Round
from guazhi.assessment.models import Rating as AssessmentRating
from guazhi.cadres import access as cadres_access
from guazhi.cadres.models import Cadre
from guazhi.core import crypto
from guazhi.core.models import AuditEntry, OrgUnit, User
from guazhi.core.scale import ScaleRefused, Sizes, generate
from guazhi.deeds import access as deeds_access
from guazhi.deeds import services as deed_services
from guazhi.deeds.models import BAD_LEVELS, Deed, LookBack, Rating, Rectification, StatusChange
from guazhi.programmes import access as programmes_access
from guazhi.programmes.models import Batch, Placement, PlacementChange, Post
from guazhi.projects import access as projects_access
from guazhi.projects.models import Project, Stage, StageChange, TaskForceMember
from guazhi.records import access as records_access
from guazhi.records.models import DailyRecord
from guazhi.teams.models import WorkTeam

TODAY = date(2026, 6, 15)
SIZES = Sizes(
    cadres=300,
    batches=4,
    projects=60,
    stage_changes=600,
    records=3000,
    deeds=120,
    ratings=1500,
)


def _quiet(_line: str) -> None:
    pass


class GeneratedDataTests(TestCase):
    """One generated dataset, read by every test (setUpTestData runs once)."""

    @classmethod
    def setUpTestData(cls):
        cls.ctx = generate(SIZES, seed=7, today=TODAY, password="Scale-Test-9", write_line=_quiet)

    def test_it_writes_the_sizes_asked_for(self):
        self.assertEqual(Cadre.objects.count(), SIZES.cadres)
        self.assertEqual(Batch.objects.count(), SIZES.batches)
        self.assertEqual(Project.objects.count(), SIZES.projects)
        self.assertEqual(StageChange.objects.count(), SIZES.stage_changes)
        self.assertEqual(DailyRecord.objects.count(), SIZES.records)
        self.assertEqual(Deed.objects.count(), SIZES.deeds)
        self.assertEqual(Rating.objects.count(), SIZES.ratings)

    def test_the_scale_option_multiplies_every_default(self):
        self.assertEqual(
            Sizes().scaled(0.002),
            Sizes(
                cadres=40,
                batches=1,
                projects=40,
                stage_changes=400,
                records=2000,
                deeds=100,
                ratings=1000,
            ),
        )

    def test_it_writes_one_summary_audit_entry_not_one_per_row(self):
        # Besides the summary, only the rules the apps create on first use (policy_for,
        # policy()) — through the apps' own functions, which audit them.
        entries = AuditEntry.objects.filter(actor_username="seed-scale")
        types = Counter(entries.values_list("object_type", flat=True))
        # The assessment services audit what they do to a round (creating, computing,
        # confirming) and the default indicator library and template made on first use.
        self.assertEqual(
            set(types),
            {
                "core.scale",
                "projects.projectpolicy",
                "deeds.policy",
                "assessment.indicator",
                "assessment.plantemplate",
                "assessment.policy",
                "assessment.round",
            },
        )
        # created, computed, confirmed: at most three entries per round
        self.assertLessEqual(types["assessment.round"], 3 * Round.objects.count())
        summary = entries.get(object_type="core.scale")
        self.assertEqual(summary.changes["counts"]["records.DailyRecord"], SIZES.records)

    def test_id_numbers_decrypt_to_valid_numbers_matching_birth_and_gender(self):
        for cadre in Cadre.objects.all():
            number = cadre.id_number
            self.assertTrue(ric.is_valid(number), number)
            self.assertEqual(cadre.id_number_hash, Cadre.hash_id_number(number))
            self.assertEqual(cadre.id_masked, number[:4] + "*" * 10 + number[-4:])
            born = ric.get_birth_date(number)
            self.assertEqual((born.year, born.month), (cadre.birth.year, cadre.birth.month))
            self.assertEqual(int(number[16]) % 2 == 1, cadre.gender == "男")
            self.assertRegex(cadre.mobile, r"^1[3-9]\d{9}$")

    def test_cadres_spread_over_the_districts(self):
        districts = OrgUnit.objects.filter(parent=self.ctx.root, kind=OrgUnit.Kind.ORG_DEPT)
        self.assertEqual(districts.count(), 14)
        with_cadres = [
            d for d in districts if Cadre.objects.filter(unit__path__startswith=d.path).exists()
        ]
        self.assertGreaterEqual(len(with_cadres), 12)

    def test_unit_paths_are_those_the_tree_would_compute(self):
        units = {u.pk: u for u in OrgUnit.objects.all()}
        for unit in units.values():
            parent = units[unit.parent_id].path if unit.parent_id else "/"
            self.assertEqual(unit.path, f"{parent}{unit.pk}/")
            self.assertEqual(unit.depth, unit.path.count("/") - 2)

    def test_the_officers_sign_in_with_the_password_given(self):
        zzb = User.objects.get(username="sc1_zzb")
        self.assertTrue(zzb.check_password("Scale-Test-9"))
        staff = User.objects.filter(username__startswith="sc1_u").first()
        self.assertFalse(staff.has_usable_password())

    def test_placements_fit_their_batch_post_and_cadre(self):
        open_per_cadre = Counter()
        for pl in Placement.objects.select_related("batch", "post"):
            self.assertEqual(pl.post.batch_id, pl.batch_id)
            self.assertEqual(pl.host_unit_id, pl.post.host_unit_id)
            self.assertEqual(pl.start, pl.batch.start)
            if pl.is_open:
                open_per_cadre[pl.cadre_id] += 1
                self.assertIsNone(pl.actual_end)
            else:
                self.assertLessEqual(pl.actual_end, TODAY)
                self.assertGreaterEqual(pl.actual_end, pl.start)
            if pl.status == Placement.Status.ENDED_EARLY:
                self.assertLess(pl.actual_end, pl.planned_end)
        self.assertTrue(all(n == 1 for n in open_per_cadre.values()))
        for post in Post.objects.annotate(n=Count("placements")):
            self.assertLessEqual(post.n, post.capacity)
        for batch in Batch.objects.annotate(n=Count("placements")):
            self.assertEqual(batch.quota, batch.n)

    def test_extensions_and_early_ends_have_their_approved_request(self):
        changed = Placement.objects.filter(planned_end__gt=F("batch__end")).count()
        early = Placement.objects.filter(status=Placement.Status.ENDED_EARLY).count()
        approved = PlacementChange.objects.filter(status=PlacementChange.Status.APPROVED)
        self.assertEqual(approved.count(), changed + early)
        for change in approved:
            self.assertNotEqual(change.requested_by_id, change.decided_by_id)

    def test_the_cadres_status_follows_his_placements(self):
        for cadre in Cadre.objects.prefetch_related("placements"):
            placements = sorted(cadre.placements.all(), key=lambda p: p.start)
            current = [p for p in placements if p.is_open]
            if current:
                expected = current[0].status
            elif placements:
                expected = placements[-1].status
            else:
                expected = Cadre.PlacementStatus.NONE
            self.assertEqual(cadre.placement_status, expected, cadre.pk)
            self.assertEqual(cadre.user_id is not None, bool(placements))

    def test_every_batch_has_its_work_team(self):
        self.assertEqual(WorkTeam.objects.count(), Batch.objects.count())

    def test_records_fall_inside_the_placement_of_their_cadre(self):
        for r in DailyRecord.objects.select_related("placement"):
            pl = r.placement
            self.assertEqual(r.cadre_id, pl.cadre_id)
            self.assertGreaterEqual(r.date, pl.start)
            self.assertLessEqual(r.date, pl.actual_end or TODAY)
            self.assertLessEqual(r.date, TODAY)
            if r.commented_by_id:
                self.assertEqual(r.commented_by_id, pl.batch.team.leader_id)
                self.assertGreaterEqual(r.commented_at.date(), r.date)

    def test_the_history_ends_where_the_project_is(self):
        history = defaultdict(list)
        for c in StageChange.objects.select_related("from_stage", "to_stage").order_by(
            "date", "id"
        ):
            history[c.project_id].append(c)
        orders = dict(Stage.objects.values_list("pk", "order"))
        last = Stage.objects.values("programme_id").annotate(top=Max("order"))
        last = {row["programme_id"]: row["top"] for row in last}
        for p in Project.objects.all():
            changes = history[p.pk]
            self.assertEqual(changes[0].kind, StageChange.Kind.CREATE)
            self.assertEqual(changes[0].date, p.found_on)
            self.assertEqual(changes[-1].to_stage_id, p.stage_id)
            self.assertEqual(
                p.status == Project.Status.TERMINATED,
                changes[-1].kind == StageChange.Kind.TERMINATE,
            )
            self.assertEqual(p.reached_order, max(orders[c.to_stage_id] for c in changes))
            self.assertEqual(p.is_finished, orders[p.stage_id] == last[p.programme_id])
            self.assertLessEqual(changes[-1].date, TODAY)
            self.assertGreaterEqual(p.last_progress_on, changes[-1].date)
            status, stage, entered = "active", None, None
            for c in changes:
                if c.kind != StageChange.Kind.CREATE:
                    self.assertEqual(c.from_stage_id, stage)
                    self.assertGreaterEqual(c.date, entered)
                if c.kind == StageChange.Kind.REOPEN:
                    self.assertEqual(status, "terminated")
                else:
                    self.assertEqual(status, "active")
                if c.kind in (StageChange.Kind.ADVANCE, StageChange.Kind.BACK):
                    self.assertEqual(c.days_in_from, (c.date - entered).days)
                if c.kind == StageChange.Kind.BACK:
                    self.assertTrue(c.note)
                status = "terminated" if c.kind == StageChange.Kind.TERMINATE else "active"
                if c.kind != StageChange.Kind.TERMINATE:
                    stage, entered = c.to_stage_id, c.date
            self.assertEqual(p.stage_entered_on, entered)

    def test_stages_with_evidence_have_it(self):
        for p in Project.objects.select_related("stage", "signed_event"):
            if p.reached_order >= 2:
                self.assertTrue(
                    p.members.filter(role=TaskForceMember.Role.LEAD, cadre=p.found_by).exists()
                )
            if p.reached_order >= 4:
                self.assertGreater(p.signed_amount, 0)
                self.assertGreaterEqual(p.signed_on, p.found_on)
                if p.signed_event:
                    self.assertEqual(p.signed_event.date, p.signed_on)
            if p.reached_order >= 5:
                self.assertGreaterEqual(p.landed_on, p.signed_on)
                self.assertTrue(p.landing_form)
            if p.reached_order >= 6:
                self.assertGreaterEqual(p.production_on, p.landed_on)

    def test_the_finder_was_on_post_in_the_projects_batch(self):
        for p in Project.objects.all():
            pl = Placement.objects.get(cadre_id=p.found_by_id, batch_id=p.batch_id)
            self.assertGreaterEqual(p.found_on, pl.start)
            self.assertLessEqual(p.found_on, pl.actual_end or TODAY)

    def test_ratings_are_one_per_rater_per_deed_with_the_apps_keys(self):
        self.assertFalse(
            Rating.objects.values("deed_id", "rater_key").annotate(n=Count("id")).filter(n__gt=1)
        )
        for r in Rating.objects.filter(panel_member__isnull=True)[:200]:
            self.assertEqual(
                r.rater_key, deed_services.phone_key(crypto.decrypt(r.mobile_encrypted))
            )

    def test_every_bad_rating_opened_a_rectification(self):
        bad = Rating.objects.filter(first_level__in=BAD_LEVELS)
        self.assertEqual(Rectification.objects.count(), bad.count())
        self.assertFalse(bad.filter(rectification__isnull=True).exists())
        for rect in Rectification.objects.select_related("rating", "deed")[:200]:
            self.assertEqual(rect.unit_id, rect.deed.unit_id)
            self.assertEqual(rect.deadline, deed_services.rectification_deadline(rect.opened_on))

    def test_the_deeds_rating_tallies_equal_a_recount_of_the_ratings(self):
        """The bulk loads (COPY on PostgreSQL, executemany on SQLite) go through the tally
        triggers like any other write."""
        from guazhi.deeds import tally
        from guazhi.deeds.models import RatingTally

        columns = ("deed_id", "shard", *tally.COLUMNS)
        loaded = sorted(RatingTally.objects.values_list(*columns))
        tally.recount()
        self.assertEqual(loaded, sorted(RatingTally.objects.values_list(*columns)))
        self.assertEqual(
            sum(sum(row[2:8]) for row in loaded), Rating.objects.count()
        )  # every rating counted once, at a level or as excluded

    def test_a_deeds_status_matches_its_history_and_dates(self):
        last = {}
        for change in StatusChange.objects.order_by("date", "id"):
            last[change.deed_id] = change.to_status_id
        for deed in Deed.objects.select_related("status"):
            self.assertEqual(last[deed.pk], deed.status_id)
            kind = deed.status.kind
            if kind == "open":
                self.assertEqual((deed.done_on, deed.closed_on), (None, None))
            self.assertEqual(kind == "done", deed.done_on is not None and not deed.closed_on)
            self.assertEqual(kind == "closed", deed.closed_on is not None)
            self.assertLessEqual(deed.opened_on, TODAY)
            for r in deed.ratings.all():
                self.assertGreaterEqual(r.created_at.date(), deed.opened_on)
                if deed.closed_on:
                    self.assertLessEqual(r.created_at.date(), deed.closed_on)
        for lb in LookBack.objects.exclude(conclusion=""):
            self.assertGreaterEqual(lb.reviewed_at.date(), lb.due_on)

    def test_a_district_officer_sees_only_his_district(self):
        officer = User.objects.get(username="sc1_hp")
        path = officer.unit.path
        cadres = cadres_access.cadres_for(officer)
        self.assertTrue(cadres.exists())
        self.assertLess(cadres.count(), Cadre.objects.count())
        # Compared as sets: cadres_for() repeats a cadre placed twice (teams' extra
        # visibility joins the placements), see the core README.
        self.assertEqual(
            set(cadres.values_list("pk", flat=True)),
            set(Cadre.objects.filter(unit__path__startswith=path).values_list("pk", flat=True)),
        )
        self.assertFalse(cadres.exclude(unit__path__startswith=path).exists())
        placements = programmes_access.placements_for(officer)
        self.assertFalse(placements.exclude(cadre__unit__path__startswith=path).exists())
        records = records_access.records_for(officer)
        self.assertFalse(records.exclude(cadre__unit__path__startswith=path).exists())
        self.assertLess(records.count(), DailyRecord.objects.count())
        deeds = deeds_access.deeds_for(officer)
        self.assertTrue(deeds.exists())
        self.assertFalse(deeds.exclude(unit__path__startswith=path).exists())
        for p in projects_access.projects_for(officer):
            self.assertTrue(
                p.unit.path.startswith(path)
                or p.credits.filter(cadre__unit__path__startswith=path).exists()
            )
        self.assertLess(projects_access.projects_for(officer).count(), Project.objects.count())

    def test_the_city_officer_sees_everything(self):
        zzb = User.objects.get(username="sc1_zzb")
        self.assertEqual(cadres_access.cadres_for(zzb).count(), Cadre.objects.count())
        self.assertEqual(deeds_access.deeds_for(zzb).count(), Deed.objects.count())

    def test_each_programme_has_a_confirmed_term_end_round_and_an_open_annual_round(self):
        finished = Batch.objects.filter(end__lt=TODAY).order_by("-start").first()
        serving = Batch.objects.filter(start__lte=TODAY, end__gte=TODAY).order_by("-start")[0]
        term_end = Round.objects.get(batch=finished)
        annual = Round.objects.get(batch=serving)
        self.assertEqual(Round.objects.count(), 2)
        self.assertEqual(
            (term_end.kind, term_end.status, term_end.period_start, term_end.period_end),
            (Round.Kind.TERM_END, Round.Status.CONFIRMED, finished.start, finished.end),
        )
        self.assertEqual((annual.kind, annual.status, annual.year), ("annual", "open", 2026))
        for round_ in (term_end, annual):
            placements = set(round_.batch.placements.values_list("pk", flat=True))
            self.assertEqual(set(round_.entries.values_list("placement_id", flat=True)), placements)

    def test_every_assessed_placement_has_an_approved_plan_weighing_100(self):
        entries = Entry.objects.select_related("plan", "placement")
        self.assertTrue(entries.exists())
        for entry in entries:
            self.assertEqual(entry.plan.placement_id, entry.placement_id)
            self.assertEqual(entry.plan.status, Plan.Status.APPROVED)
            self.assertEqual(sum(i.weight for i in entry.plan.items.all()), 100)
            self.assertLessEqual(entry.plan.created_at, entry.plan.approved_at)

    def test_quarterly_results_are_confirmed_for_ended_quarters_of_the_placement_only(self):
        results = QuarterResult.objects.select_related("placement")
        self.assertTrue(results.exists())
        for r in results:
            start, end = assessment_services.quarter_bounds(r.year, r.quarter)
            self.assertLess(end, TODAY)
            self.assertLessEqual(r.placement.start, end)
            self.assertGreaterEqual(r.placement.actual_end or TODAY, start)
            self.assertEqual(r.status, QuarterResult.Status.CONFIRMED)
            self.assertEqual(r.proposed_by_id, r.placement.batch.team.leader_id)

    def test_the_confirmed_round_keeps_the_quota_and_the_vetoes(self):
        round_ = Round.objects.get(status=Round.Status.CONFIRMED)
        policy = assessment_services.policy_for(round_.batch.programme)
        grades = Counter(round_.entries.values_list("grade", flat=True))
        self.assertNotIn("", grades)
        self.assertGreater(grades["优秀"], 0)
        self.assertLessEqual(
            grades["优秀"], assessment_services.quota_allowed(policy, round_.entries.count())
        )
        for entry in round_.entries.filter(grade="优秀"):
            self.assertFalse(entry.integrity_finding)
            quarters = list(
                QuarterResult.objects.filter(placement=entry.placement).values_list(
                    "grade", flat=True
                )
            )
            self.assertNotIn("较差", quarters)
            self.assertGreaterEqual(2 * quarters.count("好"), len(quarters))
        self.assertFalse(
            AssessmentRating.objects.filter(entry__round=round_, submitted_at__isnull=True).exists()
        )

    def test_the_open_round_has_part_of_its_ratings_and_computed_scores(self):
        round_ = Round.objects.get(status=Round.Status.OPEN)
        ratings = AssessmentRating.objects.filter(entry__round=round_)
        given = ratings.filter(submitted_at__isnull=False).count()
        self.assertTrue(0 < given < ratings.count())
        self.assertFalse(
            ratings.filter(rater_kind="peer", rater=F("entry__placement__cadre__user"))
        )
        self.assertFalse(round_.entries.filter(final_score__isnull=True).exists())
        self.assertTrue(IndicatorScore.objects.filter(entry__round=round_).exists())
        self.assertFalse(round_.entries.exclude(grade="").exists())

    def test_the_city_officer_opens_the_round_page_and_a_district_officer_sees_his_part(self):
        round_ = Round.objects.get(status=Round.Status.OPEN)
        client = Client()
        client.force_login(User.objects.get(username="sc1_zzb"))
        response = client.get(f"/assessment/rounds/{round_.pk}/")
        self.assertEqual(response.status_code, 200)
        first = round_.entries.order_by("-final_score").first().placement.cadre.name
        self.assertContains(response, first)
        anonymous = Client().get(f"/assessment/rounds/{round_.pk}/")
        self.assertEqual(anonymous.status_code, 302)


class RefusalTests(TestCase):
    def test_a_second_run_without_force_is_refused_with_the_reason(self):
        small = Sizes().scaled(0.002)
        generate(small, seed=1, today=TODAY, write_line=_quiet)
        with self.assertRaisesMessage(ScaleRefused, "规模数据不与已有数据混合"):
            generate(small, seed=1, today=TODAY, write_line=_quiet)
        with self.assertRaisesMessage(CommandError, "--force"):
            call_command("seed_scale", "--scale", "0.002", stdout=io.StringIO())
        self.assertEqual(Cadre.objects.count(), small.cadres)

    def test_forced_runs_write_a_separate_set_beside_the_first(self):
        small = Sizes().scaled(0.002)
        generate(small, seed=1, today=TODAY, write_line=_quiet)
        out = io.StringIO()
        call_command(
            "seed_scale", "--scale", "0.002", "--seed", "1", "--force", "--today", "2026-06-15",
            stdout=out,
        )  # fmt: skip
        self.assertIn("SC2", out.getvalue())
        self.assertEqual(Cadre.objects.count(), 2 * small.cadres)
        self.assertTrue(User.objects.filter(username="sc2_zzb").exists())
        self.assertEqual(Cadre.objects.filter(unit__code__startswith="SC2-").count(), small.cadres)

    def test_fewer_stage_changes_than_projects_is_refused(self):
        with self.assertRaisesMessage(ScaleRefused, "--stage-changes"):
            generate(Sizes(projects=10, stage_changes=5), write_line=_quiet)

    def test_the_command_prints_the_time_of_each_phase(self):
        out = io.StringIO()
        call_command("seed_scale", "--scale", "0.002", "--today", "2026-06-15", stdout=out)
        text = out.getvalue()
        for phase in ("干部名册", "合作项目", "工作纪实", "群众评价", "合计"):
            self.assertIn(phase, text)
        self.assertGreater(Placement.objects.count(), 0)
        self.assertEqual(DailyRecord.objects.filter(date__gt=TODAY).count(), 0)
        self.assertFalse(StageChange.objects.filter(date__gt=TODAY).exists())
