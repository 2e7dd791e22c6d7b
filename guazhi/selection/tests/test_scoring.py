"""Fit scores: each part and its explanation, mandatory requirements disqualify, preferred ones
only deduct, and the vectorised matrices agree with the per-pair explanation."""

from __future__ import annotations

import random
from datetime import date

from guazhi.cadres.models import ExpertiseTag, Rank, ResumeEntry
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes.models import Post, PostRequirement

from .. import scoring
from .helpers import SelectionTestCase


class ScoringTests(SelectionTestCase):
    def facts(self, *cadres):
        return scoring.load_facts(list(cadres), self.batch.start)

    def profile(self, post):
        return next(p for p in scoring.load_posts(self.batch) if p.post.pk == post.pk)

    def test_a_missing_mandatory_expertise_disqualifies(self):
        (li,) = self.facts(self.li)
        explanation = scoring.explain(li, self.profile(self.post_invest))
        self.assertFalse(explanation.eligible)
        self.assertEqual(explanation.score, 0.0)
        self.assertEqual([i.label for i in explanation.missed], ["专长：招商引资"])

    def test_a_missing_preferred_expertise_only_deducts(self):
        (wang,) = self.facts(self.wang)
        explanation = scoring.explain(wang, self.profile(self.post_tech))
        self.assertTrue(explanation.eligible)
        # Misses the only (preferred) tag: 0 of 50 for expertise; full marks elsewhere.
        self.assertEqual(explanation.score, 50.0)
        (li,) = self.facts(self.li)
        self.assertEqual(scoring.explain(li, self.profile(self.post_tech)).score, 100.0)

    def test_experience_counts_years_of_matching_resume_entries(self):
        self.post_tech.experience_keywords = "招商、园区"
        self.post_tech.save()
        ResumeEntry.objects.create(
            cadre=self.li, start=date(2020, 1, 1), end=date(2022, 7, 1), content="浑南区园区办科员"
        )
        ResumeEntry.objects.create(
            cadre=self.li, start=date(2022, 7, 1), end=None, content="浑南区科技局副科长"
        )
        (li,) = self.facts(self.li)
        item = next(
            i for i in scoring.explain(li, self.profile(self.post_tech)).items if "经历" in i.label
        )
        self.assertTrue(item.met)
        self.assertAlmostEqual(item.points, 20 * 2.5 / 5, places=1)
        self.assertIn("园区办", item.detail)

    def test_rank_outside_the_range_disqualifies_only_when_mandatory(self):
        low, high = Rank.objects.order_by("order")[:2]
        cadre = make_cadre(self.heping_fgj, "孙职级")
        cadre.rank = low
        cadre.save()
        self.post_tech.rank_min = high
        self.post_tech.save()
        (fact,) = self.facts(cadre)
        self.assertFalse(scoring.explain(fact, self.profile(self.post_tech)).eligible)
        self.post_tech.rank_mandatory = False
        self.post_tech.save()
        explanation = scoring.explain(fact, self.profile(self.post_tech))
        self.assertTrue(explanation.eligible)
        rank_item = next(i for i in explanation.items if i.label.startswith("职级"))
        self.assertEqual(rank_item.points, scoring.RANK_POINTS - scoring.RANK_STEP_PENALTY)

    def test_age_over_the_limit(self):
        self.post_tech.age_max = 38  # 王晓明 is 40 on 2027-03-01
        self.post_tech.save()
        (wang,) = self.facts(self.wang)
        self.assertFalse(scoring.explain(wang, self.profile(self.post_tech)).eligible)
        self.post_tech.age_mandatory = False
        self.post_tech.save()
        explanation = scoring.explain(wang, self.profile(self.post_tech))
        age = next(i for i in explanation.items if i.label.startswith("年龄"))
        self.assertEqual(age.points, scoring.AGE_POINTS - 2 * scoring.AGE_YEAR_PENALTY)

    def test_matrices_agree_with_the_explanations(self):
        rng = random.Random(7)
        tags = [ExpertiseTag.objects.create(name=f"专长{i}") for i in range(6)]
        ranks = list(Rank.objects.order_by("order")[:5])
        cadres = []
        for i in range(25):
            cadre = make_cadre(
                self.heping_fgj,
                f"候选{i}",
                birth=date(rng.randint(1975, 1995), rng.randint(1, 12), 1),
            )
            cadre.rank = rng.choice([*ranks, None])
            cadre.save()
            cadre.tags.set(rng.sample(tags, rng.randint(0, 3)))
            if rng.random() < 0.6:
                ResumeEntry.objects.create(
                    cadre=cadre,
                    start=date(2015 + rng.randint(0, 5), 1, 1),
                    end=None,
                    content=rng.choice(["开发区招商局科员", "发改委规划科", "农业农村局"]),
                )
            cadres.append(cadre)
        for j in range(6):
            post = Post.objects.create(
                batch=self.batch,
                title=f"岗位{j}",
                host_unit=self.chaoyang,
                rank_min=rng.choice([None, *ranks[:2]]),
                rank_max=rng.choice([None, *ranks[3:]]),
                rank_mandatory=rng.random() < 0.5,
                age_max=rng.choice([None, 38, 42]),
                age_mandatory=rng.random() < 0.5,
                experience_keywords=rng.choice(["", "招商", "发改、规划"]),
                experience_mandatory=rng.random() < 0.3,
            )
            for tag in rng.sample(tags, rng.randint(0, 3)):
                PostRequirement.objects.create(
                    post=post, tag=tag, weight=rng.randint(1, 5), mandatory=rng.random() < 0.3
                )
        facts = self.facts(*cadres)
        profiles = scoring.load_posts(self.batch)
        score, eligible = scoring.matrices(facts, profiles)
        checked = 0
        for i, fact in enumerate(facts):
            for j, profile in enumerate(profiles):
                explanation = scoring.explain(fact, profile)
                self.assertEqual(bool(eligible[i, j]), explanation.eligible, (i, j))
                self.assertAlmostEqual(float(score[i, j]), explanation.score, places=1, msg=(i, j))
                checked += 1
        self.assertEqual(checked, 25 * 8)
        self.assertTrue(eligible.any() and not eligible.all())
