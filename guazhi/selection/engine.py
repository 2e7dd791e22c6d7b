"""人岗相宜 optimisation engine: assign nominated cadres to posts (pure numpy/scipy/ortools).

Objective, lexicographic: fill as many seats as the policy allows, then maximise the total fit.
Scores are used to two decimals (they are scaled ×100 to integers for the flow solver), so
"optimal" refers to scores rounded to 0.01 — the precision the fit scores are shown with.

Method (see `solve`):

1. A min-cost flow source → sending unit → cadre → post → sink with gains M + score and a
   source → sink bypass, so seats may stay empty. This alone is exact for capacities, the
   per-unit cap, pins and forbidden pairs. If the young share holds, it is the answer.
2. Otherwise the young share is a single side constraint. For a fixed number N of filled seats,
   the most young cadres that can be placed, maxY(N), is one flow solve and concave in N, so
   the largest N with enough young cadres is found exactly by a bracketed search (and when even
   the most young cadres cannot satisfy it, that is the infeasibility certificate).
3. With N fixed, "young ≥ Ymin" is relaxed with a bonus λ per young cadre. The dual function is
   convex and piecewise linear in λ; the best λ is found by intersecting tangent lines in exact
   rational arithmetic. Every dual value is an upper bound on the fit (weak duality).
4. The two flows bracketing the best λ are both optimal there, so their difference splits into
   zero-reduced-cost cycles; any subset is again optimal at λ, and a small knapsack over the
   cycles picks the subset with the fewest surplus young cadres. Then single swaps (one cadre
   out, another in on the same post) repair or polish the best flows.
5. If a gap remains: node potentials of the dual flow (Bellman–Ford on the residual graph) give
   each arc a reduced cost; an arc whose reduced cost exceeds the gap keeps its value in every
   better solution, and an exact MILP (HiGHS) over the few remaining arcs closes the gap.
   This phase honours `time_limit`; whatever happens, the reported bound stays valid.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

SCALE = 100  # fit scores are optimised in hundredths
_COST_LIMIT = 2**61  # ortools multiplies costs by (nodes + 1) internally; keep far from 2**63
_MAX_DUAL_STEPS = 40  # tangent intersection normally converges in < 10 steps
_MAX_KNAPSACK_ITEMS = 400
_MAX_KNAPSACK_STATES = 20_000
_MAX_MILP_VARS = 20_000  # beyond this the exact fallback may not finish in time


@dataclass
class Problem:
    """Inputs of one batch. Indices are the positions in these arrays."""

    score: np.ndarray  # (C, P) fit 0..100, used to two decimals
    eligible: np.ndarray  # (C, P) bool; False = a mandatory requirement fails
    capacity: np.ndarray  # (P,) int ≥ 0
    young: np.ndarray  # (C,) bool
    unit: np.ndarray  # (C,) int ≥ 0, sending unit of each cadre
    min_young_share: float | None = None  # among assigned cadres
    max_per_unit: int | None = None  # assigned cadres per sending unit
    pinned: Sequence[tuple[int, int]] = ()
    forbidden: Sequence[tuple[int, int]] = ()
    # What messages call a cadre, post or sending unit (names for users; indices by default).
    cadre_names: Sequence[str] | None = None
    post_names: Sequence[str] | None = None
    unit_names: Sequence[str] | None = None

    def cadre_label(self, i: int) -> str:
        return self.cadre_names[i] if self.cadre_names is not None else f"干部#{i}"

    def post_label(self, j: int) -> str:
        return f"“{self.post_names[j]}”" if self.post_names is not None else f"岗位#{j}"

    def unit_label(self, u: int) -> str:
        return self.unit_names[u] if self.unit_names is not None else f"派出单位#{u}"


@dataclass
class Solution:
    status: str  # "optimal" | "feasible" | "infeasible"
    pairs: list[tuple[int, int]] = field(default_factory=list)  # sorted (cadre, post)
    total_fit: float = 0.0  # sum of score over pairs
    filled: int = 0  # number of pairs
    bound: float | None = None  # upper bound on total_fit with this many seats (None if infeasible)
    gap: float = 0.0  # (bound - total_fit) / max(total_fit, 1); 0.0 when proven optimal
    proven_optimal: bool = False
    iterations: int = 0  # flow solves
    seconds: float = 0.0
    message: str = ""  # Chinese, empty when fine


# ---------------------------------------------------------------------------------------------
# Input checking


@dataclass
class _Data:
    s: np.ndarray  # (C, P) int64 hundredths, 0 where ineligible
    eligible: np.ndarray
    capacity: np.ndarray
    young: np.ndarray
    unit: np.ndarray
    share: Fraction | None  # None when no young-share policy (or share 0)
    max_per_unit: int | None
    pinned: list[tuple[int, int]]
    forbidden: set[tuple[int, int]]


def _pairs(raw: Sequence[tuple[int, int]], name: str, c: int, p: int) -> list[tuple[int, int]]:
    out = []
    for item in raw:
        try:
            i, j = (int(v) for v in item)
        except (TypeError, ValueError):
            raise ValueError(f"{name} 中的 {item!r} 不是（干部序号, 岗位序号）二元组") from None
        if not (0 <= i < c and 0 <= j < p):
            raise ValueError(
                f"{name} 中的 ({i}, {j}) 超出范围：干部序号应在 0–{c - 1}，岗位序号应在 0–{p - 1}"
            )
        out.append((i, j))
    return out


def _share_fraction(share: float | None) -> Fraction | None:
    if share is None:
        return None
    share = float(share)
    if not (0.0 <= share <= 1.0) or math.isnan(share):
        raise ValueError(f"年轻干部最低占比应在 0 到 1 之间，收到 {share}")
    if share == 0.0:
        return None
    frac = Fraction(share).limit_denominator(10_000)
    if abs(float(frac) - share) > 1e-12:
        # Not a short fraction: round up so the policy is never relaxed.
        frac = Fraction(math.ceil(share * 1_000_000 - 1e-9), 1_000_000)
    return frac


def _check(problem: Problem) -> _Data:
    score = np.asarray(problem.score, dtype=float)
    if score.ndim != 2:
        raise ValueError(f"score 应为二维数组（干部数×岗位数），收到 {score.ndim} 维")
    c, p = score.shape
    eligible = np.asarray(problem.eligible, dtype=bool)
    if eligible.shape != (c, p):
        raise ValueError(f"eligible 的形状 {eligible.shape} 与 score 的形状 {(c, p)} 不一致")
    capacity = np.asarray(problem.capacity)
    if capacity.shape != (p,):
        raise ValueError(f"capacity 的长度应等于岗位数 {p}，收到形状 {capacity.shape}")
    young = np.asarray(problem.young, dtype=bool)
    if young.shape != (c,):
        raise ValueError(f"young 的长度应等于干部数 {c}，收到形状 {young.shape}")
    unit = np.asarray(problem.unit)
    if unit.shape != (c,):
        raise ValueError(f"unit 的长度应等于干部数 {c}，收到形状 {unit.shape}")
    if p and (not np.all(np.isfinite(capacity)) or np.any(capacity != np.round(capacity))):
        raise ValueError("capacity 应为整数")
    capacity = capacity.astype(np.int64)
    if np.any(capacity < 0):
        raise ValueError("岗位名额 capacity 不能为负数")
    if c and (not np.all(np.isfinite(unit)) or np.any(unit != np.round(unit)) or np.any(unit < 0)):
        raise ValueError("unit 应为非负整数（派出单位序号）")
    unit = unit.astype(np.int64)
    if not np.all(np.isfinite(score[eligible])):
        raise ValueError("符合条件的干部–岗位搭配的匹配度 score 不能为空值或无穷大")
    s = np.zeros((c, p), dtype=np.int64)
    s[eligible] = np.rint(score[eligible] * SCALE).astype(np.int64)
    if np.any(np.abs(s) > 10**9):
        raise ValueError("匹配度 score 数值过大")
    mpu = problem.max_per_unit
    if mpu is not None:
        if int(mpu) != mpu or mpu < 0:
            raise ValueError(f"每单位人数上限应为非负整数，收到 {mpu}")
        mpu = int(mpu)
    pinned = list(dict.fromkeys(_pairs(problem.pinned, "pinned", c, p)))
    forbidden = set(_pairs(problem.forbidden, "forbidden", c, p))
    return _Data(
        s,
        eligible,
        capacity,
        young,
        unit,
        _share_fraction(problem.min_young_share),
        mpu,
        pinned,
        forbidden,
    )


def _pct(share: Fraction) -> str:
    return f"{float(share) * 100:.4g}%"


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


# ---------------------------------------------------------------------------------------------
# The flow network


class _Net:
    """Flow network over the free cadres and the posts with free seats; pair arcs come first."""

    def __init__(
        self, d: _Data, pin_post: np.ndarray, pin_unit: dict[int, int], free: np.ndarray
    ) -> None:
        c, p = d.s.shape
        rem_cap = d.capacity - pin_post
        units, unit_local = (
            np.unique(d.unit, return_inverse=True)
            if c
            else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        )
        if d.max_per_unit is None:
            ucap = np.full(len(units), c, dtype=np.int64)
        else:
            ucap = np.array(
                [d.max_per_unit - pin_unit.get(int(u), 0) for u in units], dtype=np.int64
            )
        mask = d.eligible & free[:, None] & (rem_cap > 0)[None, :]
        if c:
            mask &= (ucap[unit_local] > 0)[:, None]
        for i, j in d.forbidden:
            mask[i, j] = False
        rows, cols = np.nonzero(mask)
        self.cad, arc_c = np.unique(rows, return_inverse=True)  # local cadre per arc
        self.post, arc_p = np.unique(cols, return_inverse=True)
        self.arc_c, self.arc_p = arc_c.astype(np.int64), arc_p.astype(np.int64)
        self.rows, self.cols = rows, cols
        self.s = d.s[rows, cols]
        self.y = d.young[rows].astype(np.int64)
        self.n_arcs = len(rows)
        self.cad_unit = unit_local[self.cad] if len(self.cad) else np.zeros(0, np.int64)
        self.ucap = np.maximum(ucap, 0)
        self.pcap = rem_cap[self.post]
        nu, nc, npost = len(units), len(self.cad), len(self.post)
        self.n_units = nu
        # node ids: 0 source, 1 sink, then units, cadres, posts
        self.u0, self.c0 = 2, 2 + nu
        self.p0 = self.c0 + nc
        self.n_nodes = self.p0 + npost
        self.tails = (self.c0 + self.arc_c).astype(np.int32)
        self.heads = (self.p0 + self.arc_p).astype(np.int32)
        used_units = np.unique(self.cad_unit)
        st = np.concatenate(
            [np.zeros(len(used_units)), self.u0 + self.cad_unit, self.p0 + np.arange(npost)]
        )
        sh = np.concatenate([self.u0 + used_units, self.c0 + np.arange(nc), np.ones(npost)])
        sc = np.concatenate([self.ucap[used_units], np.ones(nc), self.pcap])
        self.st, self.sh, self.sc = st.astype(np.int32), sh.astype(np.int32), sc.astype(np.int64)
        self.by_post = np.argsort(self.arc_p, kind="stable")  # arcs grouped by post
        self.post_starts = np.searchsorted(self.arc_p[self.by_post], np.arange(npost))
        key = (
            self.arc_p * max(nu, 1) + self.cad_unit[self.arc_c]
            if self.n_arcs
            else np.zeros(0, np.int64)
        )
        self.by_post_unit = np.argsort(key, kind="stable")  # arcs grouped by (post, unit)
        self.pu_keys, self.pu_starts = np.unique(key[self.by_post_unit], return_index=True)
        self.max_fill = (
            int(min(nc, self.pcap.sum(), self.ucap[used_units].sum())) if self.n_arcs else 0
        )
        self.solves = 0

    def flow(self, gain: np.ndarray, supply: int, bypass: bool) -> np.ndarray:
        """Arcs (bool mask) of a flow of `supply` units maximising total gain.

        With `bypass`, flow may skip the cadres (seats stay empty) and arcs with gain ≤ 0 are
        dropped, since they can never improve a solution that may leave them out.
        """
        sel = np.zeros(self.n_arcs, dtype=bool)
        if supply <= 0 or self.n_arcs == 0:
            return sel
        idx = np.flatnonzero(gain > 0) if bypass else np.arange(self.n_arcs)
        if len(idx) == 0:
            return sel
        g = gain[idx]
        biggest = int(np.abs(g).max())
        if biggest * (self.n_nodes + 2) >= _COST_LIMIT or biggest * supply >= _COST_LIMIT:
            raise OverflowError("cost range too large for the flow solver")
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(
            self.tails[idx], self.heads[idx], np.ones(len(idx), np.int64), -g
        )
        mcf.add_arcs_with_capacity_and_unit_cost(
            self.st, self.sh, self.sc, np.zeros(len(self.st), np.int64)
        )
        if bypass:
            mcf.add_arc_with_capacity_and_unit_cost(0, 1, supply, 0)
        mcf.set_nodes_supplies(np.array([0, 1], np.int32), np.array([supply, -supply], np.int64))
        status = mcf.solve()
        self.solves += 1
        if status != mcf.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed with status {status}")
        flows = mcf.flows(np.arange(len(idx), dtype=np.int32))
        sel[idx[flows > 0]] = True
        return sel

    def feasible(self, sel: np.ndarray) -> bool:
        """Capacity, one-post-per-cadre and unit-cap check of an arc selection (a safety net)."""
        per_c = np.bincount(self.arc_c[sel], minlength=len(self.cad))
        per_p = np.bincount(self.arc_p[sel], minlength=len(self.post))
        per_u = np.bincount(self.cad_unit[self.arc_c[sel]], minlength=self.n_units)
        return bool(
            (per_c <= 1).all() and (per_p <= self.pcap).all() and (per_u <= self.ucap).all()
        )


# ---------------------------------------------------------------------------------------------
# Cycle decomposition and knapsack (step 4)


def _cycles(net: _Net, base: np.ndarray, other: np.ndarray) -> list[tuple[list[int], list[int]]]:
    """Split the circulation `other − base` into cycles; each is (arcs added, arcs removed).

    The decomposition is conformal, so applying any subset of cycles to `base` stays feasible.
    """
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)  # node -> [(head, ±(arc+1) or 0)]
    for e in np.flatnonzero(other & ~base):
        out[int(net.tails[e])].append((int(net.heads[e]), int(e) + 1))
    for e in np.flatnonzero(base & ~other):
        out[int(net.heads[e])].append((int(net.tails[e]), -(int(e) + 1)))
    nc, npost = len(net.cad), len(net.post)
    dc = np.bincount(net.arc_c[other], minlength=nc) - np.bincount(net.arc_c[base], minlength=nc)
    for k in np.flatnonzero(dc):
        un, cn = net.u0 + int(net.cad_unit[k]), net.c0 + int(k)
        out[un if dc[k] > 0 else cn].append((cn if dc[k] > 0 else un, 0))
    du = np.bincount(net.cad_unit[net.arc_c[other]], minlength=net.n_units) - np.bincount(
        net.cad_unit[net.arc_c[base]], minlength=net.n_units
    )
    for k in np.flatnonzero(du):
        for _ in range(abs(int(du[k]))):
            out[0 if du[k] > 0 else net.u0 + int(k)].append(
                (net.u0 + int(k) if du[k] > 0 else 0, 0)
            )
    dp = np.bincount(net.arc_p[other], minlength=npost) - np.bincount(
        net.arc_p[base], minlength=npost
    )
    for k in np.flatnonzero(dp):
        for _ in range(abs(int(dp[k]))):
            out[net.p0 + int(k) if dp[k] > 0 else 1].append(
                (1 if dp[k] > 0 else net.p0 + int(k), 0)
            )
    dn = int(other.sum()) - int(base.sum())
    for _ in range(abs(dn)):  # bypass arc source → sink carries the unused supply
        out[1 if dn > 0 else 0].append((0 if dn > 0 else 1, 0))

    cycles = []
    for start in list(out):
        path_nodes, path_edges, pos, v = [start], [], {start: 0}, start
        while out[v]:
            w, tag = out[v].pop()
            if w in pos:
                k = pos[w]
                cycle = path_edges[k:] + [tag]
                cycles.append(([t - 1 for t in cycle if t > 0], [-t - 1 for t in cycle if t < 0]))
                for n in path_nodes[k + 1 :]:
                    del pos[n]
                del path_nodes[k + 1 :], path_edges[k:]
            else:
                pos[w] = len(path_nodes)
                path_nodes.append(w)
                path_edges.append(tag)
            v = w
    return [cy for cy in cycles if cy[0] or cy[1]]


def _best_subset(items: list[tuple[int, int]], slack: int) -> list[int] | None:
    """Indices maximising Σ dW subject to slack + Σ dY ≥ 0 (Pareto-pruned knapsack)."""
    if len(items) > _MAX_KNAPSACK_ITEMS:
        return None
    pos_rest = [0] * (len(items) + 1)
    for k in range(len(items) - 1, -1, -1):
        pos_rest[k] = pos_rest[k + 1] + max(items[k][1], 0)
    states: dict[int, tuple[int, int]] = {0: (0, 0)}  # Σ dY -> (Σ dW, chosen bitmask)
    for k, (dw, dy) in enumerate(items):
        new = dict(states)
        for sy, (sw, m) in states.items():
            cur = new.get(sy + dy)
            if cur is None or sw + dw > cur[0]:
                new[sy + dy] = (sw + dw, m | (1 << k))
        frontier, best_w = {}, None
        for sy in sorted(new, reverse=True):  # keep states no other beats on both ΣdY and ΣdW
            sw, m = new[sy]
            if slack + sy + pos_rest[k + 1] < 0:
                break
            if best_w is None or sw > best_w:
                frontier[sy] = (sw, m)
                best_w = sw
        states = frontier
        if len(states) > _MAX_KNAPSACK_STATES:
            return None
    ok = [(sw, m) for sy, (sw, m) in states.items() if slack + sy >= 0]
    if not ok:
        return None
    _, m = max(ok)
    return [k for k in range(len(items)) if m >> k & 1]


# ---------------------------------------------------------------------------------------------
# Swap search (repairs a flow a few young cadres short, then improves while the share holds)


def _best_per_group(
    net: _Net, allowed: np.ndarray, order: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Highest score and its arc per group of arcs (`order` sorted by group, `starts` of each
    group) among `allowed` arcs; arc −1 where none."""
    low = np.iinfo(np.int64).min
    v = np.where(allowed, net.s, low)[order]
    best = np.maximum.reduceat(v, starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(order))))
    hit = np.flatnonzero((v == best[group]) & allowed[order])
    arc = np.full(len(starts), -1, np.int64)
    groups, first = np.unique(group[hit], return_index=True)
    arc[groups] = order[hit[first]]
    return best, arc


def _swap_search(net: _Net, x: np.ndarray, young_min: int, deadline: float) -> np.ndarray:
    """Replace one assigned cadre by an unassigned one on the same post, best move first; the
    newcomer's unit needs room unless it is the leaver's own unit."""
    x = x.copy()
    nu = max(net.n_units, 1)
    for _ in range(4 * len(net.post) + 10):
        if time.perf_counter() > deadline:
            break
        assigned = np.zeros(len(net.cad), dtype=bool)
        assigned[net.arc_c[x]] = True
        room = np.bincount(net.cad_unit[net.arc_c[x]], minlength=net.n_units) < net.ucap
        idle = ~assigned[net.arc_c]
        surplus = int(net.y[x].sum()) - young_min
        e = np.flatnonzero(x)
        pu = np.searchsorted(net.pu_keys, net.arc_p[e] * nu + net.cad_unit[net.arc_c[e]])
        best_delta, move = None, None
        for k in (0, 1):
            allowed = idle & (net.y == k)
            for (value, arc), where in (
                (
                    _best_per_group(
                        net, allowed & room[net.cad_unit[net.arc_c]], net.by_post, net.post_starts
                    ),
                    net.arc_p[e],
                ),
                (_best_per_group(net, allowed, net.by_post_unit, net.pu_starts), pu),
            ):
                dy = k - net.y[e]
                ok = (arc[where] >= 0) & (dy >= -surplus if surplus >= 0 else dy > 0)
                if not ok.any():
                    continue
                delta = np.where(ok, value[where] - net.s[e], np.iinfo(np.int64).min)
                m = int(np.argmax(delta))
                if best_delta is None or delta[m] > best_delta:
                    best_delta, move = int(delta[m]), (int(e[m]), int(arc[where[m]]))
        if move is None or (surplus >= 0 and best_delta <= 0):
            break
        x[move[0]], x[move[1]] = False, True
    return x


# ---------------------------------------------------------------------------------------------
# Reduced-cost fixing and the exact MILP on what is left (step 5)


def _reduced_costs(
    net: _Net, sel: np.ndarray, gain: np.ndarray, deadline: float
) -> np.ndarray | None:
    """Reduced cost (≥ 0) of every pair arc for the flow `sel`, optimal for `gain`.

    Node potentials are shortest-path distances in the residual graph (Bellman–Ford, vectorised
    per layer). For any flow x of the same value, gain(x) = gain(sel) − Σ rc over the arcs where
    x differs from sel, which is what makes fixing arcs with rc above the gap exact.
    """
    nc, npost, nu = len(net.cad), len(net.post), net.n_units
    unused = ~sel
    order = np.argsort(net.arc_p[unused], kind="stable")
    uc, ug = net.arc_c[unused][order], gain[unused][order]
    posts_u, starts = np.unique(net.arc_p[unused][order], return_index=True)
    used_c, used_p, used_g = net.arc_c[sel], net.arc_p[sel], gain[sel]
    free_c = np.ones(nc, dtype=bool)
    free_c[used_c] = False
    free_c = np.flatnonzero(free_c)
    free_c_unit = net.cad_unit[free_c]
    used_unit = net.cad_unit[used_c]
    load = np.bincount(used_p, minlength=npost)
    per_unit = np.bincount(used_unit, minlength=nu)
    has_cadres = np.zeros(nu, dtype=bool)
    has_cadres[net.cad_unit] = True
    s_to_u, u_to_s = has_cadres & (per_unit < net.ucap), per_unit > 0
    p_to_t, t_to_p = load < net.pcap, load > 0
    d_c, d_p, d_u = np.zeros(nc, np.int64), np.zeros(npost, np.int64), np.zeros(nu, np.int64)
    d_s = d_t = 0
    for _ in range(net.n_nodes + 2):
        new_p = d_p.copy()
        if len(starts):
            new_p[posts_u] = np.minimum(new_p[posts_u], np.minimum.reduceat(d_c[uc] - ug, starts))
        new_p[t_to_p] = np.minimum(new_p[t_to_p], d_t)
        new_c = d_c.copy()
        new_c[used_c] = np.minimum(new_c[used_c], new_p[used_p] + used_g)
        new_c[free_c] = np.minimum(new_c[free_c], d_u[free_c_unit])
        new_u = d_u.copy()
        np.minimum.at(new_u, used_unit, new_c[used_c])
        new_u[s_to_u] = np.minimum(new_u[s_to_u], d_s)
        new_s = min(d_s, int(new_u[u_to_s].min())) if u_to_s.any() else d_s
        new_t = min(d_t, int(new_p[p_to_t].min())) if p_to_t.any() else d_t
        if (
            new_s == d_s
            and new_t == d_t
            and np.array_equal(new_p, d_p)
            and np.array_equal(new_c, d_c)
            and np.array_equal(new_u, d_u)
        ):
            break
        d_c, d_p, d_u, d_s, d_t = new_c, new_p, new_u, new_s, new_t
        if time.perf_counter() > deadline:
            return None
    else:
        return None  # no convergence: would mean a negative cycle, i.e. sel is not optimal
    rc = np.where(
        sel, gain + d_p[net.arc_p] - d_c[net.arc_c], d_c[net.arc_c] - d_p[net.arc_p] - gain
    )
    return rc if (rc >= 0).all() else None


def _milp(
    net: _Net,
    base: np.ndarray,
    rc: np.ndarray,
    slack: int,
    n_star: int,
    young_min: int,
    deadline: float,
) -> tuple[np.ndarray | None, int] | None:
    """A fill of n_star seats with ≥ young_min young cadres whose fit beats the incumbent, whose
    Lagrangian fit is base − Σ rc ≥ incumbent + 1 (so arcs with rc > slack keep their `base`
    value). Returns (best such selection or None, upper bound on the fit) or None if unsolved."""
    open_ = rc <= slack
    fixed = base & ~open_
    taken = np.zeros(len(net.cad), dtype=bool)
    taken[net.arc_c[fixed]] = True
    post_left = net.pcap - np.bincount(net.arc_p[fixed], minlength=len(net.post))
    unit_left = net.ucap - np.bincount(net.cad_unit[net.arc_c[fixed]], minlength=net.n_units)
    idx = np.flatnonzero(
        open_
        & ~taken[net.arc_c]
        & (post_left[net.arc_p] > 0)
        & (unit_left[net.cad_unit[net.arc_c]] > 0)
    )
    n_need, y_need = n_star - int(fixed.sum()), young_min - int(net.y[fixed].sum())
    w_fixed = int(net.s[fixed].sum())
    if len(idx) == 0:
        return (fixed, w_fixed) if n_need == 0 and y_need <= 0 else (None, -1)
    if len(idx) > _MAX_MILP_VARS or (remaining := deadline - time.perf_counter()) < 0.05:
        return None
    k = len(idx)
    cols = np.arange(k)
    blocks, lo, hi = [], [], []
    for key, cap in (
        (net.arc_c[idx], np.ones(len(net.cad), np.int64)),
        (net.arc_p[idx], post_left),
        (net.cad_unit[net.arc_c[idx]], unit_left),
    ):
        groups, row = np.unique(key, return_inverse=True)
        blocks.append(sparse.csr_array((np.ones(k), (row, cols)), shape=(len(groups), k)))
        lo.append(np.zeros(len(groups)))
        hi.append(cap[groups].astype(float))
    # Σ rc over changed arcs ≤ slack: the same reduced-cost argument as the fixing, as a cut.
    signed = np.where(base[idx], -rc[idx], rc[idx]).astype(float)
    blocks += [
        sparse.csr_array(np.ones((1, k))),
        sparse.csr_array(net.y[idx].astype(float)[None, :]),
        sparse.csr_array(signed[None, :]),
    ]
    lo += [[n_need], [y_need], [-np.inf]]
    hi += [[n_need], [np.inf], [slack - float(rc[idx][base[idx]].sum())]]
    res = milp(
        -net.s[idx].astype(float),
        integrality=np.ones(k),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(sparse.vstack(blocks), np.concatenate(lo), np.concatenate(hi)),
        options={"time_limit": remaining, "mip_rel_gap": 0.0},
    )
    x = None
    if res.x is not None:
        x = fixed.copy()
        x[idx[res.x > 0.5]] = True
    if res.status == 0:
        return x, w_fixed + int(round(-res.fun))
    if res.status == 2:  # no fill better than the incumbent exists
        return None, -1
    dual = getattr(res, "mip_dual_bound", None)
    if dual is not None and np.isfinite(dual):
        return x, w_fixed + math.floor(-dual + 1e-6)
    return None


# ---------------------------------------------------------------------------------------------
# Solver


def _infeasible(t0: float, message: str, solves: int = 0) -> Solution:
    return Solution(
        "infeasible", [], 0.0, 0, None, 0.0, False, solves, time.perf_counter() - t0, message
    )


def solve(problem: Problem, *, time_limit: float = 10.0) -> Solution:
    """Best assignment: most seats filled, then highest total fit, honouring the policy.

    `time_limit` (seconds) caps the λ search and the improvement phases; the seat count is always
    exact and the reported bound always valid, so an early stop only widens the stated gap.
    """
    t0 = time.perf_counter()
    d = _check(problem)
    c, p = d.s.shape

    # Pins are fixed before the flow: they use up seats, unit quota and young share.
    problems, pin_post, pin_unit, pin_of = [], np.zeros(p, np.int64), defaultdict(int), {}
    for i, j in d.pinned:
        if (i, j) in d.forbidden:
            problems.append(
                f"{problem.cadre_label(i)}→{problem.post_label(j)} 既被固定安排又被排除"
            )
        if not d.eligible[i, j]:
            problems.append(
                f"固定安排的{problem.cadre_label(i)}不符合{problem.post_label(j)}的任职条件"
            )
        if i in pin_of:
            problems.append(
                f"{problem.cadre_label(i)}被固定安排到多个岗位（{problem.post_label(pin_of[i])}、{problem.post_label(j)}）"
            )
            continue
        pin_of[i] = j
        pin_post[j] += 1
        pin_unit[int(d.unit[i])] += 1
    for j in np.flatnonzero(pin_post > d.capacity):
        problems.append(
            f"{problem.post_label(j)}固定安排 {pin_post[j]} 人，超过名额 {d.capacity[j]} 人"
        )
    if d.max_per_unit is not None:
        for u, k in sorted(pin_unit.items()):
            if k > d.max_per_unit:
                problems.append(
                    f"{problem.unit_label(u)}固定安排 {k} 人，超过每单位上限 {d.max_per_unit} 人"
                )
    if problems:
        return _infeasible(t0, "固定安排无法满足：" + "；".join(problems))
    pins = sorted(pin_of.items())
    pin_fit = int(sum(d.s[i, j] for i, j in pins))
    n_pin, y_pin = len(pins), int(sum(bool(d.young[i]) for i, _ in pins))
    free = np.ones(c, dtype=bool)
    free[list(pin_of)] = False

    share = d.share
    if share is not None and share == 1:
        # Only young cadres may be assigned at all; dropping the others is exact.
        d.eligible = d.eligible & d.young[:, None]
    net = _Net(d, pin_post, pin_unit, free)

    def result(sel: np.ndarray, bound_int: int | None, note: str = "") -> Solution:
        pairs = sorted(
            pins + list(zip(net.rows[sel].tolist(), net.cols[sel].tolist(), strict=True))
        )
        fit_int = pin_fit + int(net.s[sel].sum())
        if bound_int is not None:
            bound_int += pin_fit  # the dual bound covers the free cadres only
        proven = bound_int is None or fit_int >= bound_int
        bound_int = fit_int if proven else bound_int
        total = fit_int / SCALE
        gap = 0.0 if proven else (bound_int - fit_int) / SCALE / max(total, 1.0)
        if not proven:
            note = (note + "；" if note else "") + f"未能证明最优，与上界的差距不超过 {gap:.3%}"
        return Solution(
            "optimal" if proven else "feasible",
            pairs,
            total,
            len(pairs),
            bound_int / SCALE,
            gap,
            proven,
            net.solves,
            time.perf_counter() - t0,
            note,
        )

    # Step 1: max fill, then max fit, ignoring the young share (exact for everything else).
    s_lo, s_hi = (int(net.s.min()), int(net.s.max())) if net.n_arcs else (0, 0)
    span = s_hi - min(s_lo, 0)  # any two fills of N seats differ in fit by at most N * span
    big_m = span * max(net.max_fill, 1) + 1
    x0 = net.flow(big_m + net.s, net.max_fill, bypass=True)
    n0 = int(x0.sum())
    if share is None:
        return result(x0, None)
    a, den = share.numerator, share.denominator

    def young_ok(n: int, y: int) -> int:  # ≥ 0 iff the young share holds (integer arithmetic)
        return den * (y + y_pin) - a * (n + n_pin)

    if young_ok(n0, int(net.y[x0].sum())) >= 0:
        return result(x0, None)

    # Step 2: the largest N whose best young count maxY(N) satisfies the share.
    def most_young(n: int) -> np.ndarray:  # max young cadres among fills of n seats, then max fit
        return net.flow((span * n + 1) * net.y + net.s, n, bypass=False)

    x_hi = most_young(n0)
    n_star = n0
    if young_ok(n0, int(net.y[x_hi].sum())) < 0:
        y_only = net.flow(np.where(net.y > 0, big_m + net.s, 0), net.max_fill, bypass=True)
        y_max = int(y_only.sum())
        if young_ok(y_max, y_max) < 0:
            n_old = n_pin - y_pin
            need = _ceil_div(a * n_old, den - a) if den > a else None
            msg = f"年轻干部占比不低于{_pct(share)}的要求无法满足：符合条件的年轻干部最多可安排 {y_max + y_pin} 人"
            if need is None:
                msg += f"，而固定安排中已有 {n_old} 名非年轻干部"
            else:
                msg += f"，而固定安排的 {n_old} 名非年轻干部至少需要 {need} 名年轻干部相配"
            return _infeasible(t0, msg, net.solves)
        # young_ok(maxY(N)) is concave in N, rising up to y_max: bracket its last root.
        lo, g_lo, x_lo_n = y_max, young_ok(y_max, y_max), y_only
        hi, g_hi = n0, young_ok(n0, int(net.y[x_hi].sum()))
        chord = True
        while hi - lo > 1:
            # The chord lies below a concave function, so its root is feasible; alternating with
            # bisection keeps the number of solves logarithmic.
            m = lo + (g_lo * (hi - lo)) // (g_lo - g_hi) if chord else (lo + hi) // 2
            m = min(max(m, lo + 1), hi - 1)
            chord = not chord
            xm = most_young(m)
            gm = young_ok(m, int(net.y[xm].sum()))
            if gm >= 0:
                lo, g_lo, x_lo_n = m, gm, xm
            else:
                hi, g_hi = m, gm
        n_star, x_hi = lo, x_lo_n
    young_min = _ceil_div(a * (n_star + n_pin), den) - y_pin
    note = ""
    if n_star < n0:
        note = (
            f"受年轻干部占比不低于{_pct(share)}的限制，最多安排 {n_star + n_pin} 人"
            f"（不考虑该限制时可安排 {n0 + n_pin} 人），{n0 - n_star} 个名额空缺"
        )

    # Step 3: N fixed; relax "young ≥ young_min" with a bonus lam per young cadre.
    def stats(sel: np.ndarray) -> tuple[int, int]:
        return int(net.s[sel].sum()), int(net.y[sel].sum())

    x_lo = x0 if n_star == n0 else net.flow(net.s, n_star, bypass=False)
    w_lo, y_lo = stats(x_lo)
    if y_lo >= young_min:
        return result(x_lo, None, note)
    w_hi, y_hi = stats(x_hi)
    lam_hi = Fraction(span * n_star + 1)
    bound = Fraction(w_hi) + lam_hi * (y_hi - young_min)
    best, best_w = x_hi, w_hi
    dual_at = (lam_hi, x_hi)  # multiplier and optimal flow behind the current bound
    s_abs = int(np.abs(net.s).max())
    for _ in range(_MAX_DUAL_STEPS):
        if best_w >= math.floor(bound) or time.perf_counter() - t0 > time_limit * 0.5:
            break
        lam = Fraction(w_lo - w_hi, y_hi - y_lo)  # where the two tangent lines meet
        q_max = _COST_LIMIT // (4 * (s_abs + math.ceil(lam) + 1) * (net.n_nodes + n_star + 2))
        if lam.denominator > q_max:
            lam = lam.limit_denominator(max(q_max, 1))
        x = net.flow(lam.denominator * net.s + lam.numerator * net.y, n_star, bypass=False)
        w, y = stats(x)
        value = w + lam * (y - young_min)
        if value < bound:
            bound, dual_at = value, (lam, x)
        lines = max(w_lo + lam * (y_lo - young_min), w_hi + lam * (y_hi - young_min))
        if y >= young_min and w > best_w:
            best, best_w = x, w
        if value <= lines:  # nothing above the two lines: lam minimises the dual
            break
        if y >= young_min:
            x_hi, w_hi, y_hi = x, w, y
        else:
            x_lo, w_lo, y_lo = x, w, y

    # Step 4: recombine the cycles between the bracketing flows.
    bound_int = math.floor(bound)
    if best_w < bound_int:
        cycles = _cycles(net, x_hi, x_lo)
        items = [
            (int(net.s[ad].sum() - net.s[rm].sum()), int(net.y[ad].sum() - net.y[rm].sum()))
            for ad, rm in cycles
        ]
        chosen = _best_subset(items, y_hi - young_min)
        if chosen:
            x = x_hi.copy()
            for k in chosen:
                x[cycles[k][0]] = True
            for k in chosen:
                x[cycles[k][1]] = False
            w, y = stats(x)
            if y >= young_min and w > best_w and int(x.sum()) == n_star and net.feasible(x):
                best, best_w = x, w

    # Local swaps: repair the best infeasible flow, polish the best feasible one.
    if best_w < bound_int:
        for start in (x_lo, best):
            x = _swap_search(net, start, young_min, t0 + time_limit)
            w, y = stats(x)
            if y >= young_min and w > best_w and int(x.sum()) == n_star and net.feasible(x):
                best, best_w = x, w

    # Step 5: fix the arcs whose reduced cost exceeds the gap; an exact MILP on the rest.
    if best_w < bound_int:
        lam, x_b = dual_at
        gain = lam.denominator * net.s + lam.numerator * net.y
        slack = int(gain[x_b].sum()) - lam.numerator * young_min - lam.denominator * (best_w + 1)
        rc = _reduced_costs(net, x_b, gain, t0 + time_limit)
        if rc is not None:
            found = _milp(net, x_b, rc, slack, n_star, young_min, t0 + time_limit)
            if found is not None:
                x, milp_bound = found
                if x is not None:
                    w, y = stats(x)
                    if y >= young_min and w > best_w and int(x.sum()) == n_star and net.feasible(x):
                        best, best_w = x, w
                # Solutions outside the MILP are no better than best_w (reduced-cost argument).
                bound_int = min(bound_int, max(best_w, milp_bound))
    return result(best, bound_int, note)


# ---------------------------------------------------------------------------------------------
# Checking a manual choice


def evaluate(problem: Problem, pairs: Sequence[tuple[int, int]]) -> tuple[float, list[str]]:
    """Total fit of a manual choice and the list of Chinese violation messages (ineligible pair,
    cadre used twice, post over capacity, unit over cap, young share below minimum, forbidden
    pair, missing pin); empty list when it satisfies the policy."""
    d = _check(problem)
    c, p = d.s.shape
    issues: list[str] = []
    valid = []
    for item in pairs:
        i, j = (int(v) for v in item)
        if not (0 <= i < c and 0 <= j < p):
            issues.append(f"干部#{i}→岗位#{j} 不存在")
        else:
            valid.append((i, j))
    raw = np.asarray(problem.score, dtype=float)
    total = sum(int(np.rint(raw[i, j] * SCALE)) for i, j in valid if np.isfinite(raw[i, j])) / SCALE
    for i, j in valid:
        if not d.eligible[i, j]:
            issues.append(f"{problem.cadre_label(i)}不符合{problem.post_label(j)}的任职条件")
        if (i, j) in d.forbidden:
            issues.append(f"{problem.cadre_label(i)}→{problem.post_label(j)} 是已排除的搭配")
    per_cadre: dict[int, int] = defaultdict(int)
    per_post = np.zeros(p, np.int64)
    for i, j in valid:
        per_cadre[i] += 1
        per_post[j] += 1
    for i, k in sorted(per_cadre.items()):
        if k > 1:
            issues.append(f"{problem.cadre_label(i)}被安排了 {k} 次（每人至多一个岗位）")
    for j in np.flatnonzero(per_post > d.capacity):
        issues.append(f"{problem.post_label(j)}安排 {per_post[j]} 人，超过名额 {d.capacity[j]} 人")
    people = sorted(per_cadre)
    if d.max_per_unit is not None:
        per_unit: dict[int, int] = defaultdict(int)
        for i in people:
            per_unit[int(d.unit[i])] += 1
        for u, k in sorted(per_unit.items()):
            if k > d.max_per_unit:
                issues.append(
                    f"{problem.unit_label(u)}安排 {k} 人，超过每单位上限 {d.max_per_unit} 人"
                )
    if d.share is not None and people:
        n_young = sum(bool(d.young[i]) for i in people)
        if n_young * d.share.denominator < d.share.numerator * len(people):
            issues.append(
                f"年轻干部占比 {n_young / len(people):.1%}（{n_young}/{len(people)}），低于要求的 {_pct(d.share)}"
            )
    chosen = set(valid)
    for i, j in d.pinned:
        if (i, j) not in chosen:
            issues.append(
                f"固定安排的{problem.cadre_label(i)}→{problem.post_label(j)} 未包含在方案中"
            )
    return total, issues
