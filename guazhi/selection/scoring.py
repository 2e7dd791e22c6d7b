"""Fit scores (人岗相宜) for every (candidate, post) pair, as matrices for the engine, and the
explanation of one pair in words.

A score is 0–100, the sum of four parts:
- expertise (50): the weighted share of the post's required expertise tags the cadre has;
- experience (20): years of résumé entries (and the current post) that mention one of the
  post's experience keywords, full marks at FULL_EXPERIENCE_YEARS;
- rank (15): full marks inside the post's rank range, RANK_STEP_PENALTY less per level outside;
- age (15): full marks up to the post's age limit, AGE_YEAR_PENALTY less per year above.
A part the post does not ask about scores full marks. A failed *mandatory* requirement
(tag, experience, rank range, age limit) makes the pair ineligible; a failed preferred one
loses its points, which is the deduction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from guazhi.cadres.models import Cadre
from guazhi.programmes.models import Batch, Post

EXPERTISE_POINTS = 50.0
EXPERIENCE_POINTS = 20.0
RANK_POINTS = 15.0
AGE_POINTS = 15.0
FULL_EXPERIENCE_YEARS = 5.0
RANK_STEP_PENALTY = 7.5
AGE_YEAR_PENALTY = 5.0


@dataclass
class Item:
    """One line of an explanation: a requirement, met or not, and the points it gave."""

    label: str
    met: bool
    points: float
    max_points: float
    mandatory: bool = False
    detail: str = ""


@dataclass
class Explanation:
    eligible: bool
    score: float
    items: list[Item] = field(default_factory=list)

    @property
    def met(self) -> list[Item]:
        return [i for i in self.items if i.met]

    @property
    def missed(self) -> list[Item]:
        return [i for i in self.items if not i.met]


@dataclass
class CadreFacts:
    """What the scoring reads about a cadre, loaded once for a batch."""

    cadre: Cadre
    tag_ids: set[int]
    experience: list[tuple[str, float]]  # (text, years)
    rank_order: int | None  # position in the rank list
    age: int


def _rank_levels() -> dict[int, int]:
    """Rank id → its position in the managed list, so distances count levels, not the
    (possibly gapped) order numbers."""
    from guazhi.cadres.models import Rank

    return {
        pk: i for i, pk in enumerate(Rank.objects.order_by("order").values_list("pk", flat=True))
    }


def _years(start: date, end: date | None, today: date) -> float:
    end = end or today
    return max(0.0, (end.year - start.year) + (end.month - start.month) / 12)


def load_facts(cadres: list[Cadre], on: date) -> list[CadreFacts]:
    """Tags and résumé of the cadres in two queries."""
    from guazhi.cadres.models import ResumeEntry

    ids = [c.pk for c in cadres]
    tags: dict[int, set[int]] = {pk: set() for pk in ids}
    for cadre_id, tag_id in Cadre.tags.through.objects.filter(cadre_id__in=ids).values_list(
        "cadre_id", "expertisetag_id"
    ):
        tags[cadre_id].add(tag_id)
    experience: dict[int, list[tuple[str, float]]] = {pk: [] for pk in ids}
    for cadre_id, start, end, content in ResumeEntry.objects.filter(cadre_id__in=ids).values_list(
        "cadre_id", "start", "end", "content"
    ):
        experience[cadre_id].append((content, _years(start, end, on)))
    levels = _rank_levels()
    facts = []
    for c in cadres:
        entries = experience[c.pk]
        if c.current_post and not entries:
            entries = [(c.current_post, 1.0)]
        if c.specialty:
            entries = [*entries, (c.specialty, 0.0)]
        facts.append(
            CadreFacts(
                cadre=c,
                tag_ids=tags[c.pk],
                experience=entries,
                rank_order=levels.get(c.rank_id),
                age=c.age_on(on),
            )
        )
    return facts


@dataclass
class PostProfile:
    post: Post
    requirements: list[tuple[int, str, int, bool]]  # (tag id, tag name, weight, mandatory)
    keywords: list[str]
    rank_min: int | None
    rank_max: int | None


def load_posts(batch: Batch) -> list[PostProfile]:
    posts = list(
        batch.posts.select_related("host_unit", "rank_min", "rank_max")
        .prefetch_related("requirements__tag")
        .order_by("pk")
    )
    levels = _rank_levels()
    return [
        PostProfile(
            post=p,
            requirements=[
                (r.tag_id, r.tag.name, r.weight, r.mandatory) for r in p.requirements.all()
            ],
            keywords=p.keywords,
            rank_min=levels.get(p.rank_min_id),
            rank_max=levels.get(p.rank_max_id),
        )
        for p in posts
    ]


def _experience_years(fact: CadreFacts, keywords: list[str]) -> tuple[float, list[str]]:
    years, hits = 0.0, []
    for text, span in fact.experience:
        found = [k for k in keywords if k in text]
        if found:
            years += span
            hits.append(text)
    return years, hits


def _rank_distance(order: int | None, low: int | None, high: int | None) -> int | None:
    """0 inside the range, else how many levels outside; None when the rank is unknown."""
    if low is None and high is None:
        return 0
    if order is None:
        return None
    if low is not None and order < low:
        return low - order
    if high is not None and order > high:
        return order - high
    return 0


def explain(fact: CadreFacts, profile: PostProfile) -> Explanation:
    post = profile.post
    items: list[Item] = []
    eligible = True
    # Expertise
    total_weight = sum(w for _, _, w, _ in profile.requirements)
    if total_weight:
        for tag_id, name, weight, mandatory in profile.requirements:
            has = tag_id in fact.tag_ids
            points = EXPERTISE_POINTS * weight / total_weight
            items.append(
                Item(
                    f"专长：{name}",
                    has,
                    points if has else 0.0,
                    points,
                    mandatory,
                    f"权重 {weight}",
                )
            )
            eligible &= has or not mandatory
    else:
        items.append(Item("专长：岗位未提要求", True, EXPERTISE_POINTS, EXPERTISE_POINTS))
    # Experience
    if profile.keywords:
        years, hits = _experience_years(fact, profile.keywords)
        points = EXPERIENCE_POINTS * min(years, FULL_EXPERIENCE_YEARS) / FULL_EXPERIENCE_YEARS
        met = bool(hits)
        detail = f"约 {years:.1f} 年：" + "；".join(hits[:3]) if met else "简历中未见相关经历"
        items.append(
            Item(
                f"相关经历：{'、'.join(profile.keywords)}",
                met,
                points,
                EXPERIENCE_POINTS,
                post.experience_mandatory,
                detail,
            )
        )
        eligible &= met or not post.experience_mandatory
    else:
        items.append(Item("相关经历：岗位未提要求", True, EXPERIENCE_POINTS, EXPERIENCE_POINTS))
    # Rank
    distance = _rank_distance(fact.rank_order, profile.rank_min, profile.rank_max)
    wanted = "–".join(str(r) for r in (post.rank_min, post.rank_max) if r) or "不限"
    rank_name = fact.cadre.rank.name if fact.cadre.rank_id else "未填写"
    if distance is None:
        items.append(
            Item(f"职级：{wanted}", False, 0.0, RANK_POINTS, post.rank_mandatory, "职级未填写")
        )
        eligible &= not post.rank_mandatory
    else:
        points = max(0.0, RANK_POINTS - RANK_STEP_PENALTY * distance)
        detail = f"现为{rank_name}" + (f"，相差 {distance} 级" if distance else "")
        items.append(
            Item(f"职级：{wanted}", distance == 0, points, RANK_POINTS, post.rank_mandatory, detail)
        )
        eligible &= distance == 0 or not post.rank_mandatory
    # Age
    if post.age_max:
        over = max(0, fact.age - post.age_max)
        points = max(0.0, AGE_POINTS - AGE_YEAR_PENALTY * over)
        items.append(
            Item(
                f"年龄：不超过 {post.age_max} 岁",
                over == 0,
                points,
                AGE_POINTS,
                post.age_mandatory,
                f"{fact.age} 岁",
            )
        )
        eligible &= over == 0 or not post.age_mandatory
    else:
        items.append(
            Item("年龄：岗位未提要求", True, AGE_POINTS, AGE_POINTS, False, f"{fact.age} 岁")
        )
    score = round(sum(i.points for i in items), 1)
    return Explanation(eligible=eligible, score=score if eligible else 0.0, items=items)


def matrices(facts: list[CadreFacts], profiles: list[PostProfile]) -> tuple[np.ndarray, np.ndarray]:
    """Score and eligibility for every pair, vectorised over candidates for each part."""
    n, m = len(facts), len(profiles)
    score = np.zeros((n, m))
    eligible = np.ones((n, m), dtype=bool)
    if n == 0 or m == 0:
        return score, eligible
    tag_ids = sorted({t for p in profiles for t, _, _, _ in p.requirements})
    tag_col = {t: k for k, t in enumerate(tag_ids)}
    has_tag = np.zeros((n, len(tag_ids)), dtype=bool)
    for i, f in enumerate(facts):
        for t in f.tag_ids:
            if t in tag_col:
                has_tag[i, tag_col[t]] = True
    weights = np.zeros((len(tag_ids), m))
    mandatory = np.zeros((len(tag_ids), m), dtype=bool)
    for j, p in enumerate(profiles):
        for t, _, w, mand in p.requirements:
            weights[tag_col[t], j] = w
            mandatory[tag_col[t], j] = mand
    total = weights.sum(axis=0)
    matched = has_tag.astype(float) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        expertise = np.where(
            total > 0, EXPERTISE_POINTS * matched / np.where(total > 0, total, 1), EXPERTISE_POINTS
        )
    score += expertise
    eligible &= ~((~has_tag).astype(int) @ mandatory.astype(int) > 0)
    # Experience: per distinct keyword list, one pass over the candidates.
    by_keywords: dict[tuple[str, ...], list[int]] = {}
    for j, p in enumerate(profiles):
        by_keywords.setdefault(tuple(p.keywords), []).append(j)
    for keywords, cols in by_keywords.items():
        if not keywords:
            score[:, cols] += EXPERIENCE_POINTS
            continue
        years = np.zeros(n)
        found = np.zeros(n, dtype=bool)
        for i, f in enumerate(facts):
            y, hits = _experience_years(f, list(keywords))
            years[i], found[i] = y, bool(hits)
        points = (
            EXPERIENCE_POINTS * np.minimum(years, FULL_EXPERIENCE_YEARS) / FULL_EXPERIENCE_YEARS
        )
        score[:, cols] += points[:, None]
        for j in cols:
            if profiles[j].post.experience_mandatory:
                eligible[:, j] &= found
    # Rank and age
    rank = np.array([f.rank_order if f.rank_order is not None else -1 for f in facts])
    known = rank >= 0
    age = np.array([f.age for f in facts])
    for j, p in enumerate(profiles):
        post = p.post
        if p.rank_min is None and p.rank_max is None:
            score[:, j] += RANK_POINTS
        else:
            low = p.rank_min if p.rank_min is not None else -(10**6)
            high = p.rank_max if p.rank_max is not None else 10**6
            distance = np.maximum(low - rank, 0) + np.maximum(rank - high, 0)
            points = np.where(
                known, np.maximum(0.0, RANK_POINTS - RANK_STEP_PENALTY * distance), 0.0
            )
            score[:, j] += points
            if post.rank_mandatory:
                eligible[:, j] &= known & (distance == 0)
        if post.age_max:
            over = np.maximum(age - post.age_max, 0)
            score[:, j] += np.maximum(0.0, AGE_POINTS - AGE_YEAR_PENALTY * over)
            if post.age_mandatory:
                eligible[:, j] &= over == 0
        else:
            score[:, j] += AGE_POINTS
    score = np.round(score, 1)
    score[~eligible] = 0.0
    return score, eligible
