"""Person–post matching for a batch: load candidates and posts, score every pair, ask the
engine for the best assignment under the batch policy, and explain each proposed pair.

The page, `guazhi match` and the API all call `propose()` and, for a user's own choice,
`compare()`; confirming goes through `services.assign_posts()`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from guazhi.programmes.models import Batch, Post

from . import engine, scoring, services
from .models import Nomination, PairRule


@dataclass
class Seat:
    post: Post
    nomination: Nomination | None
    explanation: scoring.Explanation | None
    pinned: bool = False
    fixed: bool = False


@dataclass
class Proposal:
    batch: Batch
    candidates: list[Nomination]
    posts: list[Post]
    score: np.ndarray
    eligible: np.ndarray
    problem: engine.Problem
    solution: engine.Solution
    facts: list[scoring.CadreFacts]
    profiles: list[scoring.PostProfile]
    seats: list[Seat] = field(default_factory=list)
    unassigned: list[Nomination] = field(default_factory=list)
    young: int = 0
    units: Counter = field(default_factory=Counter)
    missing_tags: list[str] = field(default_factory=list)
    rules: list[PairRule] = field(default_factory=list)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """(nomination id, post id) of the proposed assignment."""
        return [(self.candidates[i].pk, self.posts[j].pk) for i, j in self.solution.pairs]

    def scores_by_ids(self) -> dict[tuple[int, int], float]:
        return {
            (n.pk, p.pk): float(self.score[i, j])
            for i, n in enumerate(self.candidates)
            for j, p in enumerate(self.posts)
            if self.eligible[i, j]
        }

    def explain(self, nomination_id: int, post_id: int) -> scoring.Explanation:
        i = next(k for k, n in enumerate(self.candidates) if n.pk == nomination_id)
        j = next(k for k, p in enumerate(self.posts) if p.pk == post_id)
        return scoring.explain(self.facts[i], self.profiles[j])

    def eligible_for(self, post_index: int) -> list[tuple[Nomination, float]]:
        """Candidates eligible for a post, best first (for the manual-choice selects)."""
        rows = [
            (self.candidates[i], float(self.score[i, post_index]))
            for i in np.flatnonzero(self.eligible[:, post_index])
        ]
        return sorted(rows, key=lambda r: -r[1])


def _problem(batch, candidates, posts, score, eligible, rules, fixed) -> engine.Problem:
    cand_index = {n.pk: i for i, n in enumerate(candidates)}
    post_index = {p.pk: j for j, p in enumerate(posts)}
    unit_ids = {n.nominating_unit_id for n in candidates}
    units = {n.nominating_unit_id: n.nominating_unit for n in candidates}

    def _unit_name(pk: int) -> str:
        return units[pk].short_name or units[pk].name

    unit_index = {u: k for k, u in enumerate(sorted(unit_ids))}
    pins = {(cand_index[n], post_index[p]) for n, p in fixed.items() if n in cand_index}
    forbidden = set()
    for rule in rules:
        pair = (cand_index.get(rule.nomination_id), post_index.get(rule.post_id))
        if None in pair or rule.nomination_id in fixed:
            continue
        (pins if rule.kind == PairRule.Kind.PIN else forbidden).add(pair)
    return engine.Problem(
        score=score,
        eligible=eligible,
        capacity=np.array([p.capacity for p in posts], dtype=int),
        young=np.array([batch.is_young(n.cadre) for n in candidates], dtype=bool),
        unit=np.array([unit_index[n.nominating_unit_id] for n in candidates], dtype=int),
        min_young_share=(batch.min_young_share / 100) if batch.min_young_share else None,
        max_per_unit=batch.max_per_unit,
        pinned=sorted(pins),
        forbidden=sorted(forbidden),
        cadre_names=[n.cadre.name for n in candidates],
        post_names=[str(p) for p in posts],
        unit_names=[_unit_name(u) for u in sorted(unit_ids, key=unit_index.get)],
    )


def propose(batch: Batch, *, time_limit: float = 10.0) -> Proposal:
    candidates = list(services.match_candidates(batch).order_by("pk"))
    profiles = scoring.load_posts(batch)
    posts = [p.post for p in profiles]
    facts = scoring.load_facts([n.cadre for n in candidates], batch.start)
    score, eligible = scoring.matrices(facts, profiles)
    rules = list(
        PairRule.objects.filter(nomination__in=candidates).select_related(
            "nomination__cadre", "post"
        )
    )
    fixed = services.fixed_pairs(batch)
    problem = _problem(batch, candidates, posts, score, eligible, rules, fixed)
    solution = engine.solve(problem, time_limit=time_limit)
    proposal = Proposal(
        batch=batch,
        candidates=candidates,
        posts=posts,
        score=score,
        eligible=eligible,
        problem=problem,
        solution=solution,
        facts=facts,
        profiles=profiles,
        rules=rules,
    )
    pinned = set(problem.pinned)
    by_post: dict[int, list[int]] = {}
    for i, j in solution.pairs:
        by_post.setdefault(j, []).append(i)
    assigned = set()
    for j, post in enumerate(posts):
        chosen = by_post.get(j, [])
        for i in chosen:
            assigned.add(i)
            nomination = candidates[i]
            proposal.seats.append(
                Seat(
                    post,
                    nomination,
                    scoring.explain(facts[i], profiles[j]),
                    pinned=(i, j) in pinned,
                    fixed=nomination.pk in fixed,
                )
            )
            proposal.young += bool(problem.young[i])
            proposal.units[
                nomination.nominating_unit.short_name or nomination.nominating_unit.name
            ] += 1
        for _ in range(post.capacity - len(chosen)):
            proposal.seats.append(Seat(post, None, None))
    proposal.unassigned = [n for i, n in enumerate(candidates) if i not in assigned]
    wanted = {t.pk: t.name for t in batch.required_tags.all()}
    covered = {t for i in assigned for t in facts[i].tag_ids}
    proposal.missing_tags = [name for pk, name in wanted.items() if pk not in covered]
    return proposal


@dataclass
class Comparison:
    total: float
    optimum: float
    filled: int
    optimum_filled: int
    violations: list[str]

    @property
    def difference(self) -> float:
        return round(self.total - self.optimum, 1)

    @property
    def ratio(self) -> str:
        return f"{self.total * 100 / self.optimum:.1f}%" if self.optimum else "—"


def compare(proposal: Proposal, pairs: Sequence[tuple[int, int]]) -> Comparison:
    """A user's own choice (nomination id, post id) against the engine's optimum."""
    cand_index = {n.pk: i for i, n in enumerate(proposal.candidates)}
    post_index = {p.pk: j for j, p in enumerate(proposal.posts)}
    indexed, violations = [], []
    for nomination_id, post_id in pairs:
        if nomination_id not in cand_index or post_id not in post_index:
            violations.append(f"推荐记录 {nomination_id} 或岗位 {post_id} 不在本批次的匹配范围内")
            continue
        indexed.append((cand_index[nomination_id], post_index[post_id]))
    total, problems = engine.evaluate(proposal.problem, indexed)
    return Comparison(
        total=round(total, 1),
        optimum=round(proposal.solution.total_fit, 1),
        filled=len(indexed),
        optimum_filled=proposal.solution.filled,
        violations=violations + problems,
    )


def confirm(proposal: Proposal, pairs: Sequence[tuple[int, int]], *, by, opinion: str = ""):
    """Write the chosen posts, refusing a choice that breaks eligibility or the batch policy.
    The page, the API and `guazhi match` all confirm through here."""
    comparison = compare(proposal, pairs)
    if comparison.violations:
        raise services.NominationError(
            "方案不符合要求，未保存：" + "；".join(comparison.violations)
        )
    changed = services.assign_posts(
        batch=proposal.batch,
        pairs=pairs,
        scores=proposal.scores_by_ids(),
        by=by,
        opinion=opinion,
    )
    return changed, comparison
