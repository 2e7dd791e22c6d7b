"""The 人岗相宜 engine against independent exact solvers (linear_sum_assignment, MILP) on random
instances, plus the policy, pins, infeasibility messages and evaluate(). No database needed."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp

from guazhi.selection.engine import Problem, evaluate, solve


def random_problem(rng, cadres, posts, *, density=0.6, cap=(1, 2), young=0.35, units=4, **policy):
    return Problem(
        score=np.round(rng.uniform(30, 100, (cadres, posts)), 2),
        eligible=rng.random((cadres, posts)) < density,
        capacity=rng.integers(cap[0], cap[1] + 1, posts),
        young=rng.random(cadres) < young,
        unit=rng.integers(0, units, cadres),
        **policy,
    )


def lsa_optimum(pb: Problem) -> tuple[int, float]:
    """(filled, total fit) by linear_sum_assignment: posts expanded by capacity, one dummy column
    per cadre so anyone may stay unassigned, weight M + score on eligible pairs."""
    cols = np.repeat(np.arange(len(pb.capacity)), pb.capacity)
    big_m = 100.0 * len(cols) + 1
    w = np.where(pb.eligible[:, cols], big_m + pb.score[:, cols], 0.0)
    w = np.hstack([w, np.zeros((w.shape[0], w.shape[0]))])
    rows, picked = linear_sum_assignment(w, maximize=True)
    seat = picked < len(cols)  # a dummy column means "unassigned"
    rows, posts = rows[seat], cols[picked[seat]]
    real = pb.eligible[rows, posts]  # a zero-weight ineligible pick is no assignment either
    return int(real.sum()), float(pb.score[rows[real], posts[real]].sum())


def milp_optimum(pb: Problem) -> tuple[int, int] | None:
    """Lexicographic optimum (filled, fit in hundredths) by two exact MILPs; None if infeasible."""
    s = np.rint(pb.score * 100)
    pins, forbidden = set(pb.pinned), set(pb.forbidden)
    pairs = [
        (i, j) for i, j in zip(*np.nonzero(pb.eligible), strict=True) if (i, j) not in forbidden
    ]
    if not pins <= set(pairs):
        return None
    if not pairs:
        return 0, 0
    n = len(pairs)
    ci, pj = np.array(pairs).T
    rows = [sparse.csr_array((np.ones(n), (ci, np.arange(n))), shape=(len(pb.young), n))]
    lo, hi = [np.zeros(len(pb.young))], [np.ones(len(pb.young))]
    rows.append(sparse.csr_array((np.ones(n), (pj, np.arange(n))), shape=(len(pb.capacity), n)))
    lo.append(np.zeros(len(pb.capacity)))
    hi.append(pb.capacity.astype(float))
    if pb.max_per_unit is not None:
        units = pb.unit[ci]
        rows.append(
            sparse.csr_array((np.ones(n), (units, np.arange(n))), shape=(units.max() + 1, n))
        )
        lo.append(np.zeros(units.max() + 1))
        hi.append(np.full(units.max() + 1, float(pb.max_per_unit)))
    if pb.min_young_share:
        share = Fraction(pb.min_young_share).limit_denominator(10_000)
        coef = share.denominator * pb.young[ci].astype(float) - share.numerator
        rows.append(sparse.csr_array(coef[None, :]))
        lo.append([0.0])
        hi.append([np.inf])
    cons = [LinearConstraint(sparse.vstack(rows), np.concatenate(lo), np.concatenate(hi))]
    lb = np.array([1.0 if p in pins else 0.0 for p in pairs])
    opts = {"mip_rel_gap": 0.0}
    first = milp(
        -np.ones(n), constraints=cons, integrality=np.ones(n), bounds=Bounds(lb, 1), options=opts
    )
    if first.status != 0:
        return None
    filled = round(-first.fun)
    cons.append(LinearConstraint(np.ones((1, n)), filled, filled))
    w = np.array([s[p] for p in pairs])
    second = milp(-w, constraints=cons, integrality=np.ones(n), bounds=Bounds(lb, 1), options=opts)
    assert second.status == 0
    return filled, round(-second.fun)


def assert_respects_policy(pb: Problem, sol) -> None:
    total, issues = evaluate(pb, sol.pairs)
    assert issues == []
    assert total == pytest.approx(sol.total_fit)
    assert sol.filled == len(sol.pairs) == len({i for i, _ in sol.pairs})
    assert sol.pairs == sorted(sol.pairs)


def test_without_policy_it_equals_linear_sum_assignment():
    rng = np.random.default_rng(20240601)
    shapes = [
        (1, 1),
        (3, 7),
        (7, 3),
        (12, 12),
        (25, 6),
        (6, 25),
        (40, 15),
        (60, 20),
        (90, 30),
        (150, 40),
    ]
    for k in range(30):
        cadres, posts = shapes[k % len(shapes)]
        pb = random_problem(rng, cadres, posts, density=rng.uniform(0.05, 0.95), cap=(1, 3))
        sol = solve(pb)
        filled, total = lsa_optimum(pb)
        assert sol.status == "optimal" and sol.proven_optimal and sol.gap == 0.0
        assert sol.filled == filled
        assert sol.total_fit == pytest.approx(total, abs=1e-6)
        assert sol.bound == pytest.approx(sol.total_fit)
        assert_respects_policy(pb, sol)


def test_filling_a_seat_always_beats_a_better_fit():
    # Cadre 0 fits post 0 best, but giving post 0 to cadre 1 lets cadre 0 take post 1 as well.
    pb = Problem(
        score=np.array([[100.0, 31.0], [30.0, 0.0]]),
        eligible=np.array([[True, True], [True, False]]),
        capacity=np.array([1, 1]),
        young=np.array([False, False]),
        unit=np.array([0, 1]),
    )
    sol = solve(pb)
    assert sol.pairs == [(0, 1), (1, 0)] and sol.total_fit == pytest.approx(61.0)


def test_with_policy_it_matches_the_exact_milp_optimum_and_the_gap_is_honest():
    rng = np.random.default_rng(7)
    proven = 0
    for k in range(40):
        cadres, posts = (8, 5) if k < 30 else (40, 12)
        pb = random_problem(
            rng,
            cadres,
            posts,
            density=rng.uniform(0.3, 0.9),
            young=rng.uniform(0.15, 0.6),
            units=3,
            min_young_share=[None, 0.3, 0.5, 0.6, 2 / 3, 1.0][k % 6],
            max_per_unit=[None, 1, 2, 3][k % 4],
        )
        best = milp_optimum(pb)
        for time_limit in (10.0, 0.0):  # 0.0: the Lagrangian bound alone must still be honest
            sol = solve(pb, time_limit=time_limit)
            assert best is not None and sol.status in ("optimal", "feasible")
            assert_respects_policy(pb, sol)
            filled, fit = best
            assert sol.filled == filled  # the seat count is always exact
            assert round(sol.total_fit * 100) <= fit <= round(sol.bound * 100)
            assert sol.gap == pytest.approx((sol.bound - sol.total_fit) / max(sol.total_fit, 1))
            if sol.proven_optimal:
                assert (
                    sol.status == "optimal" and round(sol.total_fit * 100) == fit and sol.gap == 0.0
                )
                proven += time_limit > 0
            else:
                assert sol.status == "feasible" and "上界" in sol.message
    assert proven >= 35


def test_young_share_and_unit_cap_are_honoured_in_every_solution():
    rng = np.random.default_rng(11)
    for k in range(12):
        pb = random_problem(
            rng,
            60,
            15,
            density=0.5,
            young=0.25,
            units=8,
            min_young_share=[0.5, 0.6, 0.75][k % 3],
            max_per_unit=2,
        )
        sol = solve(pb)
        assert_respects_policy(pb, sol)
        people = [i for i, _ in sol.pairs]
        assert pb.young[people].mean() >= pb.min_young_share - 1e-12
        assert np.bincount(pb.unit[people]).max() <= 2
        unconstrained = solve(replace(pb, min_young_share=None, max_per_unit=None))
        assert unconstrained.filled >= sol.filled


def test_scarce_young_cadres_leave_seats_empty_and_say_so():
    rng = np.random.default_rng(3)
    pb = random_problem(rng, 30, 10, density=0.8, young=0.1, cap=(1, 1), min_young_share=0.5)
    pb.young[:] = False
    pb.young[:3] = True
    sol = solve(pb)
    assert_respects_policy(pb, sol)
    assert sol.filled == 6 and sum(pb.young[i] for i, _ in sol.pairs) == 3
    assert (sol.filled, round(sol.total_fit * 100)) == milp_optimum(pb)
    assert "名额空缺" in sol.message and "最多安排 6 人" in sol.message


def test_only_young_cadres_are_placed_when_the_share_is_one():
    rng = np.random.default_rng(5)
    pb = random_problem(rng, 20, 8, min_young_share=1.0)
    sol = solve(pb)
    assert sol.status == "optimal" and sol.filled > 0
    assert all(pb.young[i] for i, _ in sol.pairs)
    assert (sol.filled, round(sol.total_fit * 100)) == milp_optimum(pb)


def test_share_zero_or_none_is_no_constraint():
    rng = np.random.default_rng(6)
    pb = random_problem(rng, 20, 8, young=0.0)
    free = solve(pb)
    assert solve(replace(pb, min_young_share=0.0)).pairs == free.pairs
    assert solve(replace(pb, min_young_share=None)).pairs == free.pairs


def test_pins_are_kept_and_forbidden_pairs_never_appear():
    rng = np.random.default_rng(13)
    for _ in range(10):
        pb = random_problem(
            rng, 25, 8, density=0.7, young=0.5, units=5, min_young_share=0.4, max_per_unit=3
        )
        unconstrained = solve(replace(pb, min_young_share=None, max_per_unit=None))
        eligible = np.argwhere(pb.eligible)
        pinned = [tuple(map(int, eligible[rng.integers(len(eligible))]))]
        forbidden = [p for p in unconstrained.pairs if p[0] != pinned[0][0]][:3]
        pb = replace(pb, pinned=pinned, forbidden=forbidden)
        sol = solve(pb)
        best = milp_optimum(pb)
        if best is None:
            assert sol.status == "infeasible"
            continue
        assert pinned[0] in sol.pairs
        assert not set(forbidden) & set(sol.pairs)
        assert_respects_policy(pb, sol)
        assert sol.filled == best[0] and round(sol.total_fit * 100) <= best[1] <= round(
            sol.bound * 100
        )


def tiny(**policy) -> Problem:
    return Problem(
        score=np.array([[90.0, 80.0], [70.0, 60.0], [50.0, 40.5]]),
        eligible=np.array([[True, True], [True, True], [True, False]]),
        capacity=np.array([1, 1]),
        young=np.array([False, False, True]),
        unit=np.array([0, 0, 1]),
        **policy,
    )


def test_infeasible_pins_give_a_chinese_message_naming_the_problem():
    cases = [
        (tiny(pinned=[(2, 1)]), "不符合岗位#1的任职条件"),
        (tiny(pinned=[(0, 0)], forbidden=[(0, 0)]), "既被固定安排又被排除"),
        (tiny(pinned=[(0, 0), (1, 0)]), "岗位#0固定安排 2 人，超过名额 1 人"),
        (
            tiny(pinned=[(0, 0), (1, 1)], max_per_unit=1),
            "派出单位#0固定安排 2 人，超过每单位上限 1 人",
        ),
        (tiny(pinned=[(0, 0), (0, 1)]), "干部#0被固定安排到多个岗位"),
    ]
    for pb, text in cases:
        sol = solve(pb)
        assert sol.status == "infeasible" and sol.pairs == [] and sol.bound is None
        assert text in sol.message


def test_an_impossible_young_share_is_infeasible_with_the_numbers():
    sol = solve(tiny(pinned=[(0, 1)], min_young_share=0.6))
    assert sol.status == "infeasible"
    assert "年轻干部占比不低于60%的要求无法满足" in sol.message
    assert "最多可安排 1 人" in sol.message and "至少需要 2 名年轻干部" in sol.message
    sol = solve(tiny(pinned=[(0, 1)], min_young_share=1.0))
    assert sol.status == "infeasible" and "100%" in sol.message
    # Without the pin the share is met by placing the young cadre and one other.
    sol = solve(tiny(min_young_share=0.5))
    assert sol.status == "optimal" and sol.pairs == [(0, 1), (2, 0)]


def test_edge_cases_return_an_empty_optimal_solution():
    empty_rows = Problem(
        np.zeros((0, 3)),
        np.zeros((0, 3), bool),
        np.ones(3, int),
        np.zeros(0, bool),
        np.zeros(0, int),
    )
    empty_cols = Problem(
        np.zeros((3, 0)),
        np.zeros((3, 0), bool),
        np.zeros(0, int),
        np.ones(3, bool),
        np.zeros(3, int),
    )
    nothing_eligible = replace(tiny(), eligible=np.zeros((3, 2), bool))
    no_seats = replace(tiny(min_young_share=0.5, max_per_unit=1), capacity=np.zeros(2, int))
    for pb in (empty_rows, empty_cols, nothing_eligible, no_seats):
        sol = solve(pb)
        assert (sol.status, sol.pairs, sol.filled, sol.total_fit, sol.proven_optimal) == (
            "optimal",
            [],
            0,
            0.0,
            True,
        )


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"eligible": np.ones((2, 2), bool)}, "eligible 的形状"),
        ({"capacity": np.ones(3, int)}, "capacity"),
        ({"capacity": np.array([1, -1])}, "不能为负数"),
        ({"young": np.ones(2, bool)}, "young"),
        ({"unit": np.zeros(4, int)}, "unit"),
        ({"min_young_share": 1.5}, "0 到 1"),
        ({"max_per_unit": -1}, "非负整数"),
        ({"pinned": [(5, 0)]}, "超出范围"),
    ],
)
def test_inconsistent_inputs_raise_value_error_in_chinese(change, text):
    with pytest.raises(ValueError, match=text):
        solve(replace(tiny(), **change))


def test_evaluate_reports_each_kind_of_violation_and_the_total():
    pb = tiny(min_young_share=0.5, max_per_unit=1, pinned=[(2, 0)], forbidden=[(1, 1)])
    assert evaluate(pb, [(2, 0), (0, 1)]) == (pytest.approx(130.0), [])
    cases = [
        ([(2, 1)], "干部#2不符合岗位#1的任职条件"),
        ([(2, 0), (1, 1)], "干部#1→岗位#1 是已排除的搭配"),
        ([(2, 0), (2, 1)], "干部#2被安排了 2 次"),
        ([(2, 0), (0, 0)], "岗位#0安排 2 人，超过名额 1 人"),
        ([(2, 0), (0, 1), (1, 1)], "派出单位#0安排 2 人，超过每单位上限 1 人"),
        ([(0, 0), (1, 1)], "年轻干部占比 0.0%（0/2），低于要求的 50%"),
        ([(0, 1)], "固定安排的干部#2→岗位#0 未包含在方案中"),
    ]
    for pairs, text in cases:
        total, issues = evaluate(pb, pairs)
        assert any(text in issue for issue in issues), (pairs, issues)
        assert total == pytest.approx(sum(pb.score[i, j] for i, j in pairs))


def test_the_engine_result_passes_evaluate_and_beats_a_greedy_choice():
    rng = np.random.default_rng(17)
    pb = random_problem(rng, 80, 20, young=0.3, units=6, min_young_share=0.5, max_per_unit=3)
    sol = solve(pb)
    assert_respects_policy(pb, sol)
    # A greedy manual choice honouring the same policy is never better.
    order = np.dstack(np.unravel_index(np.argsort(-pb.score, axis=None), pb.score.shape))[0]
    chosen: list[tuple[int, int]] = []
    for i, j in order:
        trial = [*chosen, (int(i), int(j))]
        if not evaluate(replace(pb, min_young_share=None), trial)[1]:
            chosen = trial
    total, issues = evaluate(pb, chosen)
    if not issues and len(chosen) == sol.filled:
        assert total <= sol.total_fit + 1e-9
