"""Rounds: who is assessed and by whom, ratings and self-summaries, indicator scores set by
hand, and the score formula with the grade bands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post
from guazhi.records.models import DailyRecord

from .. import services
from ..models import Entry, IndicatorScore, Rating, Round
from .helpers import AssessmentTestCase

D = Decimal
K = Rating.Rater


def records(placement, category, n, start=date(2027, 4, 1), **extra):
    DailyRecord.objects.bulk_create(
        [
            DailyRecord(
                cadre_id=placement.cadre_id,
                placement=placement,
                date=date.fromordinal(start.toordinal() + i),
                category=category,
                content=f"{category} {i}",
                **extra,
            )
            for i in range(n)
        ]
    )


def submit(entry, kind, marks, rater=None):
    ratings = Rating.objects.filter(entry=entry, rater_kind=kind)
    if rater is not None:
        ratings = ratings.filter(rater=rater)
    for rating in ratings:
        services.rating_submit(
            rating=rating,
            by=rating.rater,
            political=marks[0],
            conduct=marks[1],
            performance=marks[2],
            integrity=marks[3],
        )


class RoundCreateTests(AssessmentTestCase):
    def test_a_round_has_an_entry_per_placement_with_its_approved_plan(self):
        round_ = self.open_round()
        plans = dict(round_.entries.values_list("placement_id", "plan_id"))
        self.assertEqual(
            plans,
            {
                self.p_wang.pk: self.plan_wang.pk,
                self.p_li.pk: self.plan_li.pk,
                self.p_zhou.pk: self.plan_zhou.pk,
            },
        )

    def test_raters_are_the_host_unit_the_leader_the_org_officer_peers_and_the_cadre(self):
        round_ = self.open_round()

        def raters(placement):
            return sorted(
                (r.rater_kind, r.rater.username)
                for r in Rating.objects.filter(entry__round=round_, entry__placement=placement)
            )

        # wang (dave): peers are the other members with an account — li (lucy); zhou has none.
        self.assertEqual(
            raters(self.p_wang),
            [
                (K.HOST, "hank"),
                (K.LEADER, "tina"),
                (K.ORG, "alice"),
                (K.PEER, "lucy"),
                (K.SELF, "dave"),
            ],
        )
        # zhou has no account: no self rating, both others rate him as peers.
        self.assertEqual(
            raters(self.p_zhou),
            [
                (K.HOST, "hank"),
                (K.LEADER, "tina"),
                (K.ORG, "alice"),
                (K.PEER, "dave"),
                (K.PEER, "lucy"),
            ],
        )

    def test_placements_outside_the_period_are_not_assessed(self):
        type(self.p_zhou).objects.filter(pk=self.p_zhou.pk).update(
            status="ended_early", actual_end=date(2027, 5, 31)
        )
        round_ = self.open_round(start=date(2027, 6, 1))
        self.assertEqual(
            set(round_.entries.values_list("placement_id", flat=True)),
            {self.p_wang.pk, self.p_li.pk},
        )
        with self.assertRaisesMessage(services.AssessmentError, "第5批 在考核期内没有挂职干部"):
            self.open_round(year=2026, start=date(2026, 1, 1), end=date(2026, 12, 31))

    def test_an_entry_without_an_approved_plan_has_no_plan(self):
        self.plan_zhou.status = "agreed"
        self.plan_zhou.save()
        round_ = self.open_round()
        self.assertIsNone(self.entry(round_, self.p_zhou).plan)

    def test_only_the_org_department_opens_a_round(self):
        for user in (self.bob, self.tina, self.hank, self.dave):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以发起考核"),
            ):
                self.open_round(by=user)
        self.assertFalse(Round.objects.exists())

    def test_a_second_round_of_the_same_kind_and_year_is_refused(self):
        self.open_round()
        with self.assertRaisesMessage(services.AssessmentError, "第5批 2027年年度考核已发起"):
            self.open_round()
        self.open_round(kind=Round.Kind.TERM_END)  # another kind is fine

    def test_a_period_that_ends_before_it_starts_is_refused(self):
        with self.assertRaisesMessage(services.AssessmentError, "考核期起不能晚于考核期止"):
            self.open_round(start=date(2027, 12, 31), end=date(2027, 3, 1))


class RatingTests(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.round = services.round_create(
            batch=cls.batch,
            kind=Round.Kind.ANNUAL,
            year=2027,
            period_start=date(2027, 3, 1),
            period_end=date(2027, 12, 31),
            by=cls.alice,
        )
        cls.e_wang = cls.round.entries.get(placement=cls.p_wang)

    def test_the_rater_submits_his_four_marks(self):
        rating = Rating.objects.get(entry=self.e_wang, rater_kind=K.HOST)
        services.rating_submit(
            rating=rating,
            by=self.hank,
            political=90,
            conduct=85,
            performance=80,
            integrity=95,
            comment="  积极主动  ",
        )
        rating.refresh_from_db()
        self.assertEqual(
            (rating.political, rating.conduct, rating.performance, rating.integrity),
            (90, 85, 80, 95),
        )
        self.assertEqual(rating.comment, "积极主动")
        self.assertIsNotNone(rating.submitted_at)
        self.assertEqual(rating.average, D("87.5"))

    def test_rating_submit_is_refused_for_anyone_but_the_rater(self):
        rating = Rating.objects.get(entry=self.e_wang, rater_kind=K.HOST)
        for user in (self.alice, self.tina, self.dave, self.lucy, self.sam):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "只能由评价人本人提交评价"),
            ):
                services.rating_submit(
                    rating=rating,
                    by=user,
                    political=90,
                    conduct=90,
                    performance=90,
                    integrity=90,
                )
        rating.refresh_from_db()
        self.assertIsNone(rating.submitted_at)

    def test_marks_are_integers_from_0_to_100(self):
        rating = Rating.objects.get(entry=self.e_wang, rater_kind=K.HOST)
        for bad, message in (
            ({"political": 101}, "政治表现须为 0–100 的整数"),
            ({"conduct": -1}, "能力作风须为 0–100 的整数"),
            ({"performance": D("80.5")}, "工作实绩须为 0–100 的整数"),
            ({"integrity": None}, "廉洁自律须为 0–100 的整数"),
            ({"integrity": "很好"}, "廉洁自律须为 0–100 的整数"),
        ):
            marks = {"political": 90, "conduct": 90, "performance": 90, "integrity": 90, **bad}
            with self.subTest(bad=bad), self.assertRaisesMessage(services.AssessmentError, message):
                services.rating_submit(rating=rating, by=self.hank, **marks)
        services.rating_submit(
            rating=rating, by=self.hank, political=0, conduct="100", performance=D(70), integrity=1
        )

    def test_the_self_summary_is_written_by_the_cadre_himself(self):
        services.self_summary_save(entry=self.e_wang, by=self.dave, text=" 一年来…… ")
        self.e_wang.refresh_from_db()
        self.assertEqual(self.e_wang.self_summary, "一年来……")
        for user in (self.lucy, self.alice, self.tina):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "个人总结只能由干部本人填写"),
            ):
                services.self_summary_save(entry=self.e_wang, by=user, text="代写")


class IndicatorScoreTests(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.plan_wang = cls.approved_plan(
            cls.p_wang,
            [("走访企业次数", 40, 40), ("调研报告", 30, 2), ("工作作风", 30, None)],
            version=2,
        )
        cls.round = services.round_create(
            batch=cls.batch,
            kind=Round.Kind.ANNUAL,
            year=2027,
            period_start=date(2027, 3, 1),
            period_end=date(2027, 12, 31),
            by=cls.alice,
        )
        cls.e_wang = cls.round.entries.get(placement=cls.p_wang)
        cls.items = {i.indicator.name: i for i in cls.plan_wang.items.select_related("indicator")}

    def test_the_org_department_scores_a_qualitative_item(self):
        score = services.indicator_score_set(
            entry=self.e_wang, item=self.items["工作作风"], score=D("88.5"), by=self.alice
        )
        self.assertEqual((score.score, score.value), (D("88.50"), None))
        # setting again replaces it
        services.indicator_score_set(
            entry=self.e_wang, item=self.items["工作作风"], score=92, by=self.alice, evidence="走访"
        )
        self.assertEqual(IndicatorScore.objects.get(entry=self.e_wang).score, D("92.00"))

    def test_a_manual_quantitative_item_is_scored_from_its_value(self):
        # 调研报告: target 2, 3 written → 3 ÷ 2 × 100 = 150, capped at 100; 1 written → 50.
        score = services.indicator_score_set(
            entry=self.e_wang, item=self.items["调研报告"], value=D(3), by=self.alice
        )
        self.assertEqual((score.value, score.score), (D("3.00"), D("100.00")))
        score = services.indicator_score_set(
            entry=self.e_wang, item=self.items["调研报告"], value=1, by=self.alice
        )
        self.assertEqual((score.value, score.score), (D("1.00"), D("50.00")))

    def test_computed_items_and_scores_out_of_range_are_refused(self):
        with self.assertRaisesMessage(services.AssessmentError, "由系统根据走访企业次数"):
            services.indicator_score_set(
                entry=self.e_wang, item=self.items["走访企业次数"], score=80, by=self.alice
            )
        with self.assertRaisesMessage(services.AssessmentError, "得分须在 0–100 之间，现为 101"):
            services.indicator_score_set(
                entry=self.e_wang, item=self.items["工作作风"], score=101, by=self.alice
            )
        other = self.plan_li.items.first()
        with self.assertRaisesMessage(services.AssessmentError, "不在此人本轮考核所用的指标方案中"):
            services.indicator_score_set(entry=self.e_wang, item=other, score=80, by=self.alice)

    def test_only_the_org_department_scores_items(self):
        for user in (self.tina, self.hank, self.dave, self.bob):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.AssessmentError, "只有组织部门可以评定指标得分"),
            ):
                services.indicator_score_set(
                    entry=self.e_wang, item=self.items["工作作风"], score=80, by=user
                )


class ComputeTests(AssessmentTestCase):
    def test_formula_and_band_on_a_hand_checked_example(self):
        round_ = self.open_round()
        wang = self.entry(round_, self.p_wang)
        # Records in the period: 12 enterprise visits and 8 routine records (20 in all), and
        # records outside the period that do not count.
        records(self.p_wang, "visit", 12, linked="北京某科技有限公司")
        records(self.p_wang, "routine", 8, start=date(2027, 6, 1))
        records(self.p_wang, "visit", 5, start=date(2028, 1, 5))
        items = {i.indicator.name: i for i in self.plan_wang.items.select_related("indicator")}
        services.indicator_score_set(entry=wang, item=items["工作作风"], score=D(90), by=self.alice)
        submit(wang, K.HOST, (90, 90, 90, 90))  # hank: 90
        submit(wang, K.LEADER, (80, 85, 90, 95))  # tina: 87.5
        submit(wang, K.ORG, (88, 88, 88, 88))  # alice: 88
        submit(wang, K.PEER, (70, 80, 90, 100))  # lucy: 85
        submit(wang, K.SELF, (100, 100, 100, 100))  # weight 0 by default: not counted

        services.round_compute(round=round_)

        # Item scores:
        #   走访企业次数  12 ÷ 40 × 100 = 30.00
        #   工作纪实      20 ÷ 80 × 100 = 25.00
        #   工作作风      90 (set by hand)
        # indicator = 40 × 30 / 100 + 30 × 25 / 100 + 30 × 90 / 100 = 12 + 7.5 + 27 = 46.50
        # review    = (30 × 90 + 20 × 87.5 + 30 × 88 + 20 × 85) / (30 + 20 + 30 + 20)
        #           = (2700 + 1750 + 2640 + 1700) / 100 = 87.90
        # final     = 46.50 × 60 / 100 + 87.90 × 40 / 100 = 27.90 + 35.16 = 63.06
        # band      63.06 ≥ 60 (基本称职), < 70 (称职) → 基本称职
        wang.refresh_from_db()
        scores = {
            s.item.indicator.name: s.score
            for s in wang.indicator_scores.select_related("item__indicator")
        }
        self.assertEqual(
            scores, {"走访企业次数": D("30.00"), "工作纪实": D("25.00"), "工作作风": D("90.00")}
        )
        self.assertEqual(wang.indicator_score, D("46.50"))
        self.assertEqual(wang.review_score, D("87.90"))
        self.assertEqual(wang.final_score, D("63.06"))
        self.assertEqual(wang.proposed_grade, "基本称职")
        self.assertEqual(wang.grade, "")

    def test_the_review_is_weighted_over_the_rater_kinds_that_rated(self):
        round_ = self.open_round()
        li = self.entry(round_, self.p_li)
        submit(li, K.HOST, (90, 90, 90, 90))
        submit(li, K.LEADER, (80, 85, 90, 95))
        submit(li, K.ORG, (88, 88, 88, 88))
        # No peer rating submitted: weights of host, leader and org only.
        # review = (30 × 90 + 20 × 87.5 + 30 × 88) / (30 + 20 + 30) = 7090 / 80 = 88.625 → 88.63
        services.round_compute(round=round_)
        li.refresh_from_db()
        self.assertEqual(li.review_score, D("88.63"))

    def test_several_ratings_of_one_kind_are_averaged(self):
        round_ = self.open_round()
        zhou = self.entry(round_, self.p_zhou)
        submit(zhou, K.PEER, (80, 80, 80, 80), rater=self.dave)
        submit(zhou, K.PEER, (91, 91, 91, 92), rater=self.lucy)
        # peers: (80 + 91.25) / 2 = 85.625; the only kind present → review 85.63 (half up)
        services.round_compute(round=round_)
        zhou.refresh_from_db()
        self.assertEqual(zhou.review_score, D("85.63"))
        # No records, no qualitative score: indicator 0; final = 0 × 0.6 + 85.63 × 0.4 = 34.25
        self.assertEqual(zhou.indicator_score, D("0.00"))
        self.assertEqual(zhou.final_score, D("34.25"))
        self.assertEqual(zhou.proposed_grade, "不称职")

    def test_bands_follow_the_policy(self):
        policy = self.policy
        cases = [
            (D("90.00"), "优秀"),
            (D("89.99"), "称职"),
            (D("70.00"), "称职"),
            (D("69.99"), "基本称职"),
            (D("60.00"), "基本称职"),
            (D("59.99"), "不称职"),
            (D("0.00"), "不称职"),
            (None, ""),
        ]
        for score, grade in cases:
            with self.subTest(score=score):
                self.assertEqual(services.band(policy, score), grade)
        policy.band_excellent = D(95)
        self.assertEqual(services.band(policy, D("94.99")), "称职")

    def test_the_weight_of_indicators_in_the_final_score_is_configurable(self):
        self.policy.weight_indicators = 100
        self.assertEqual(services.final_score(self.policy, D("46.5"), D("87.9")), D("46.50"))
        self.policy.weight_indicators = 0
        self.assertEqual(services.final_score(self.policy, D("46.5"), D("87.9")), D("87.90"))
        # only one part present: that part
        self.assertEqual(services.final_score(self.policy, None, D("87.9")), D("87.9"))
        self.assertIsNone(services.final_score(self.policy, None, None))

    def test_an_entry_without_a_plan_is_scored_on_the_review_alone(self):
        round_ = self.open_round()
        Entry.objects.filter(round=round_, placement=self.p_li).update(plan=None)
        li = self.entry(round_, self.p_li)
        submit(li, K.ORG, (95, 95, 95, 95))
        services.round_compute(round=round_)
        li.refresh_from_db()
        self.assertEqual((li.indicator_score, li.review_score), (None, D("95.00")))
        self.assertEqual((li.final_score, li.proposed_grade), (D("95.00"), "优秀"))

    def test_recomputing_follows_new_records_and_ratings(self):
        round_ = self.open_round()
        services.round_compute(round=round_)
        wang = self.entry(round_, self.p_wang)
        self.assertEqual(wang.indicator_score, D("0.00"))
        records(self.p_wang, "visit", 60)  # 60 ÷ 40 → capped at 100; 60 ÷ 80 → 75
        services.round_compute(round=round_)
        wang.refresh_from_db()
        # 40 × 100 / 100 + 30 × 75 / 100 + 30 × 0 / 100 = 40 + 22.5 = 62.50
        self.assertEqual(wang.indicator_score, D("62.50"))
        self.assertEqual(IndicatorScore.objects.filter(entry=wang).count(), 2)

    def test_computing_takes_the_same_number_of_queries_for_more_cadres(self):
        round_ = self.open_round()
        self.rate(round_, 80)
        with CaptureQueriesContext(connection) as small:
            services.round_compute(round=round_)
        # Five more cadres placed in a second batch-5-like round: same number of queries.
        for i in range(5):
            cadre = make_cadre(self.heping_fgj, f"新增{i}", birth=date(1988, 1, 1))
            post = Post.objects.create(batch=self.batch, title=f"岗位{i}", host_unit=self.chaoyang)
            placement = programme_services.placement_create(cadre=cadre, post=post)
            self.approved_plan(placement)
            records(placement, "visit", 3)
        bigger = self.open_round(kind=Round.Kind.TERM_END)
        self.rate(bigger, 80)
        with CaptureQueriesContext(connection) as large:
            services.round_compute(round=bigger)
        self.assertEqual(bigger.entries.count(), 8)
        self.assertEqual(len(large.captured_queries), len(small.captured_queries))
        self.assertEqual(set(bigger.entries.values_list("review_score", flat=True)), {D("80.00")})
