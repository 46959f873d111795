"""A small LP relaxation of the model: a proven bound and a guide for rounding, at any size.

The full model's LP has two rows per (link, park) pair and one per (pair, chain); on the M benchmark
(1,000 projects, 3,000 links) that is 160,000 rows and HiGHS does not finish its LP in 300 s. This
relaxation keeps the assignment, capacity and side rows exactly and replaces the rest::

    maximise   Σ score_k x_k + Σ_n reward_n w_n  (+ max(0, −open_cost) · #(chain, park) pairs)
    assign_i:  Σ_k x_k ≤ 1   (= 1 for mandatory items)
    cap_r, side rows as in the model
    link_n_a:  w_n ≤ Σ { x_k : k a pair of a_n with some pair of b_n within the link's limit }
    link_n_b:  w_n ≤ Σ { x_k : k a pair of b_n with some pair of a_n within the link's limit }
    0 ≤ x, w ≤ 1

It is a relaxation, so its optimum bounds every plan: in a plan that satisfies link n, a_n sits in a
park p with b_n in a park q near p, so x_(a,p) = x_(b,q) = 1 appear in the two sums, and the model's
per-park link variables add up to at most 1 (an item sits in one park). The chain rows (x ≤ y, chains
per park, parks per chain) are dropped, which can only raise the optimum; so are chain-opening costs
(a bonus for opening, if ever negative, is added at its largest).

The aggregated link rows are then tightened round by round with cuts (:func:`_link_cuts`) that
bring back what the per-park rows knew: a link earns only where its first item's park has the second
item near, and only where its second item's park has the first near. With the second row above and
the cuts from the second end, which the model's own LP lacks, the result is tighter than the model's
LP: on the synthetic S instance 7,729,785 after 9 rounds (3 s) against 7,738,320; on M (1,000
projects, 3,000 links, where the model's LP does not finish in 300 s) 26,877,517 after one round
(4 s), 26,461,763 after two (13 s) and 26,274,385 after three (28 s); on L (3,000 × 200, 10,000
links) one round takes 41 s.

Each round also adds extended cover cuts (:func:`_cover_cuts`) for the single parks' capacity rows: the LP
fills a park to the last hectare with a fraction of one more project, which no plan can. They cost little
(S: 11 rounds in 5 s instead of 9 in 4 s) and lower S's bound to 7,720,163; more than the LP, they move its
row prices, at which the park knapsacks (:mod:`optimize._knapsacks`) give 7,696,151 instead of 7,703,898 and
solve faster (16–22 s instead of 28 s), and its points, whose rounded plans start the solver higher (S: 7.258 M
instead of 7.179 M; the engine's 60 s plan 7.46–7.48 M instead of 7.37–7.42 M). On M the link cuts dominate:
26,458,922 after two rounds instead of 26,461,763.

Every round's solution also guides a start plan (:func:`rounded_plan`): pairs are placed in the order
of LP value × score, which on M gives a plan 6.9 % better than the greedy one (24.01 M after three
rounds against 22,467,909).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse

from .matrix import MatrixModel, RowBlocks, add_assignment_and_capacity_rows, add_side_rows, solve_matrix
from .problem import AssignmentProblem


@dataclass(frozen=True)
class Relaxation:
    """What the relaxation gave: a proven bound (``None`` if the LP did not finish) and the pairs' LP values
    of every round (``rounds``), each a guide for :func:`rounded_plan`."""

    bound: float | None
    seconds: float
    message: str
    rounds: tuple[np.ndarray, ...] = ()

    @property
    def x(self) -> np.ndarray | None:
        """The pairs' LP values in the last round."""
        return self.rounds[-1] if self.rounds else None


@dataclass(frozen=True)
class Round:
    """One round of :func:`relax`: its bound, the pairs' LP values, the LP solved (with its cuts), its row prices,
    the constant added to its optimum, and the rows of that LP that are cover cuts of one park's capacities
    (every packing of the park satisfies them, so a park's exact knapsack need not price them)."""

    bound: float
    x: np.ndarray
    model: MatrixModel
    row_dual: np.ndarray
    constant: float
    cover_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


LinkStructure = tuple[int, np.ndarray, np.ndarray, np.ndarray]


def relaxation_model(problem: AssignmentProblem) -> tuple[MatrixModel, float]:
    """The relaxation as a :class:`MatrixModel` (all columns continuous) and a constant added to its optimum."""
    model, constant, _ = _relaxation_parts(problem)
    return model, constant


def _relaxation_parts(problem: AssignmentProblem) -> tuple[MatrixModel, float, list[LinkStructure]]:
    """The relaxation, its constant, and per link column and end the data its cuts need (:func:`_link_cuts`)."""
    n_pairs = problem.n_pairs
    blocks = RowBlocks()
    add_assignment_and_capacity_rows(blocks, problem)
    add_side_rows(blocks, problem)
    cost = [problem.pair_score.astype(float)]
    structures: list[LinkStructure] = []
    rewards: list[float] = []
    for n, ha, kb, hit in _link_order(problem):
        w_col, has_b = n_pairs + len(rewards), hit.any(axis=0)
        hb = kb[has_b]
        blocks.add(np.r_[np.zeros(len(ha) + 1), np.ones(len(hb) + 1)], np.r_[w_col, ha, w_col, hb],
                   np.r_[1.0, -np.ones(len(ha)), 1.0, -np.ones(len(hb))], [-np.inf, -np.inf], [0.0, 0.0])
        # the cuts from a's parks and from b's parks (b's pairs against the a pairs near them)
        structures += [(w_col, ha, kb, hit), (w_col, hb, ha, np.ascontiguousarray(hit[:, has_b].T))]
        rewards.append(float(problem.links.reward[n]))
    cost.append(np.asarray(rewards, dtype=float))
    n_cols = n_pairs + len(rewards)

    constant = 0.0
    classes = problem.classes
    if classes is not None and classes.open_cost < 0:
        constant = -classes.open_cost * len(set(zip(classes.pair_class.tolist(), problem.pair_bin.tolist(), strict=True)))
    row_lower, row_upper = blocks.bounds()
    model = MatrixModel(cost=np.concatenate(cost), col_lower=np.zeros(n_cols), col_upper=np.ones(n_cols),
                        integer=np.zeros(n_cols, dtype=bool), matrix=blocks.matrix(n_cols),
                        row_lower=row_lower, row_upper=row_upper,
                        n_x=n_pairs, y_keys=[], w_keys=np.zeros((0, 2), dtype=np.int64))
    return model, constant, structures


def relax(problem: AssignmentProblem, *, time_limit: float | None, threads: int = 1,
          max_rounds: int = 30, on_round: Callable[[Round], None] | None = None, growth: float = 2.0,
          covers: bool = True) -> Relaxation:
    """Solve the relaxation with HiGHS within ``time_limit`` seconds (``None``: no limit), tightened by cuts.

    Each round solves the LP by interior point without crossover (41 s instead of 115 s with dual
    simplex on the L benchmark), takes a bound from its row prices (:func:`dual_bound`), and adds a
    cut for every link whose aggregated variable exceeds what its parks allow (:func:`_link_cuts`) and an
    extended cover for every park capacity row that the LP fills with fractions of projects (:func:`_cover_cuts`).
    A round starts only if it is expected to end in time (within ``growth`` times the last one's time:
    rounds slow down as cuts are added); the bound reported is the lowest of the rounds', the LP values those
    of the last round. ``on_round`` is called with each :class:`Round` (:mod:`optimize._background`
    streams them to a parent process, and prices park knapsacks at the last one's prices). ``covers=False``
    leaves out the cover cuts (:func:`_cover_cuts`).
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    model, constant, structures = _relaxation_parts(problem)
    covers = _cover_structures(problem) if covers else []
    cuts: list[tuple[sparse.csr_matrix, np.ndarray, bool]] = []  # blocks of cuts, in order: (cut, upper, is cover)
    bound, message = None, "no time left for the LP relaxation"
    points: list[np.ndarray] = []
    last = 0.0
    while len(points) < max_rounds:
        remaining = None if deadline is None else deadline - time.perf_counter()
        if remaining is not None and (remaining <= 0.05 or (points and growth * last > remaining)):
            break
        current = with_cuts(model, [(cut, upper) for cut, upper, _ in cuts])
        t1 = time.perf_counter()
        result = solve_matrix(current, time_limit=remaining, threads=threads,
                              highs_options={"solver": "ipm", "run_crossover": "off"})
        last = time.perf_counter() - t1
        if result.status != "optimal" or result.values is None or result.row_dual is None:
            message = f"LP relaxation: {result.message}" if bound is None else message
            break
        value = dual_bound(current, result.row_dual) + constant
        value += 1e-9 * max(1.0, abs(value))  # floating-point sums: keep the bound on the safe side
        bound = value if bound is None else min(bound, value)
        points.append(np.clip(result.values[: problem.n_pairs], 0.0, 1.0))
        if on_round is not None:
            on_round(Round(value, points[-1], current, np.asarray(result.row_dual), constant,
                           _cover_rows(model.matrix.shape[0], cuts)))
        message = f"LP relaxation solved ({len(points)} round{'s' if len(points) > 1 else ''})"
        links = _link_cuts(structures, result.values, model.n_cols)
        cover = _cover_cuts(covers, result.values, model.n_cols)
        if links is None and cover is None:
            break
        if links is not None:
            cuts.append((links, np.zeros(links.shape[0]), False))
        if cover is not None:
            cuts.append((*cover, True))
    return Relaxation(bound, time.perf_counter() - t0, message, tuple(points))


def _cover_rows(n_rows: int, cuts: list[tuple[sparse.csr_matrix, np.ndarray, bool]]) -> np.ndarray:
    """The rows of :func:`with_cuts`'s model (``n_rows`` rows before the cuts) that hold the cover blocks."""
    ends = n_rows + np.cumsum([cut.shape[0] for cut, _, _ in cuts], dtype=np.int64)
    return np.concatenate([np.zeros(0, dtype=np.int64),
                           *(np.arange(end - cut.shape[0], end) for end, (cut, _, cover) in zip(ends, cuts, strict=True)
                             if cover)])


def with_cuts(model: MatrixModel, cuts: list[tuple[sparse.csr_matrix, np.ndarray]]) -> MatrixModel:
    """The relaxation with blocks of cuts ``cut · v ≤ upper`` appended in order (link cuts from :func:`_link_cuts`
    with ``upper`` 0, cover cuts from :func:`_cover_cuts`)."""
    if not cuts:
        return model
    n_cuts = sum(c.shape[0] for c, _ in cuts)
    return replace(model, matrix=sparse.vstack([model.matrix, *(c for c, _ in cuts)]).tocsr(),
                   row_lower=np.r_[model.row_lower, np.full(n_cuts, -np.inf)],
                   row_upper=np.r_[model.row_upper, *(upper for _, upper in cuts)])


def _link_order(problem: AssignmentProblem):
    """Links that get a column in the relaxation, in column order: (link, a's pairs with a partner near,
    b's pairs, boolean matrix of which b pair is near which of those a pairs)."""
    links = problem.links
    if links is None or not len(links.a):
        return
    pairs_of_item = problem.pairs_of_item()
    for n in np.flatnonzero(links.reward > 0):
        ka, kb = pairs_of_item[links.a[n]], pairs_of_item[links.b[n]]
        if not len(ka) or not len(kb):
            continue
        limit = float(links.limit[n])
        near = links.near(limit)
        hit = near[np.ix_(problem.pair_bin[ka], problem.pair_bin[kb])]
        has = hit.any(axis=1)
        if has.any():
            yield int(n), ka[has], kb, hit[has]


def _link_cuts(structures: list[LinkStructure], values: np.ndarray, n_cols: int, tol: float = 1e-6) -> sparse.csr_matrix | None:
    """Cuts that the LP point ``values`` violates, one per link and end at most (``None`` when there are none).

    In a plan, link n's value is earned in the park p of its first item a, and only when its second
    item b sits in a park near p, so ``w_n ≤ Σ_p min(x_(a,p), N_b(p))`` with ``N_b(p)`` the sum of b's
    pairs near p. For any set S of parks this gives the linear cut::

        w_n ≤ Σ_{p ∈ S} x_(a,p) + Σ_{p ∉ S} N_b(p)

    and the most violated one takes S = {p : x_(a,p) ≤ N_b(p)} at the LP point. The same holds with
    the ends' roles swapped (b's park q, a's pairs whose park has q near), and the LP does not imply
    one from the other, so each link has a structure for each end. Cutting from both ends: S bound
    7,729,785 instead of 7,733,394 at convergence; M 26,461,763 instead of 26,505,313 after two
    rounds (13.4 s instead of 10.6 s) and 26,274,385 instead of 26,341,445 after three.
    """
    rows, cols, vals = [], [], []
    for column, ka, kb, hit in structures:
        xa = values[ka]
        nb = hit @ values[kb]
        if values[column] <= np.minimum(xa, nb).sum() + tol:
            continue
        take_a = xa <= nb
        coef_b = hit[~take_a].sum(axis=0).astype(float)
        c = np.r_[column, ka[take_a], kb[coef_b > 0]]
        rows.append(np.full(len(c), len(rows)))
        cols.append(c)
        vals.append(np.r_[1.0, -np.ones(int(take_a.sum())), -coef_b[coef_b > 0]])
    if not rows:
        return None
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(len(rows), n_cols))


CoverStructure = tuple[np.ndarray, np.ndarray, float]
# a cover must exceed its capacity by more than the tolerance within which a plan's use still counts as fitting
# (:meth:`AssignmentProblem.violations`, 1e-6 relative), or a plan could break a cut and stand above the bound
COVER_MARGIN = 2e-6


def _cover_structures(problem: AssignmentProblem) -> list[CoverStructure]:
    """Per capacity row of a single park: its pairs, their use and the capacity. Only rows that every pair of the
    park uses a non-negative amount of (a pair that frees capacity breaks the covers' argument), with a
    non-negative capacity, and that have a cover at all (two pairs or more, using more than the capacity together)."""
    out = []
    for row in problem.capacities:
        if len(row.bins) != 1 or row.capacity < 0:
            continue
        ks = np.flatnonzero(problem.pair_bin == row.bins[0])
        use = problem.pair_use[row.resource][ks]
        if len(ks) > 1 and (use >= 0).all() and use.sum() > row.capacity:
            out.append((ks, use.astype(float), float(row.capacity)))
    return out


def _cover_cuts(covers: list[CoverStructure], values: np.ndarray, n_cols: int, tol: float = 1e-6
                ) -> tuple[sparse.csr_matrix, np.ndarray] | None:
    """Extended cover cuts that the LP point ``values`` violates, one per park capacity row at most (``None``: none).

    A cover C of a row ``Σ use_k x_k ≤ capacity`` (all uses ≥ 0) is a set of its pairs that together use more
    than the capacity, so no plan takes all of them: ``Σ_{k ∈ C} x_k ≤ |C| − 1``. Any pair that uses at least
    as much as the largest in C can replace that one, so the cut extends to them too (the *extended* cover).
    C is chosen greedily (pairs at 1 first, then by ``(1 − x_k) / use_k``), made minimal by dropping the most
    fractional pairs it can spare, and cut only when ``Σ_{k ∈ C} (1 − x_k) < 1``, i.e. when the point
    violates it.
    """
    rows, cols, rhs = [], [], []
    for ks, use, capacity in covers:
        limit = capacity + COVER_MARGIN * max(1.0, capacity)  # a plan may use its capacity within tolerance
        x = values[ks]
        on = np.flatnonzero((x > tol) & (use > 0))
        if use[on].sum() <= limit:
            continue
        order = on[np.lexsort((-use[on], (1.0 - x[on]) / use[on]))]
        cover = order[: int(np.searchsorted(np.cumsum(use[order]), limit, side="right")) + 1]
        spare = use[cover].sum() - limit
        for j in cover[np.argsort(x[cover], kind="stable")]:  # the most fractional first
            if use[j] < spare:
                cover, spare = cover[cover != j], spare - use[j]
        if (1.0 - x[cover]).sum() >= 1.0 - tol:
            continue
        members = np.union1d(cover, np.flatnonzero(use >= use[cover].max()))
        rows.append(np.full(len(members), len(rhs)))
        cols.append(ks[members])
        rhs.append(len(cover) - 1.0)
    if not rhs:
        return None
    data = np.concatenate(rows)
    return (sparse.csr_matrix((np.ones(len(data)), (data, np.concatenate(cols))), shape=(len(rhs), n_cols)),
            np.asarray(rhs))


def priced_sides(model: MatrixModel, row_dual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row prices made valid for weak duality (≥ 0 on rows with only an upper side, ≤ 0 on rows with only
    a lower side) and the side each price applies to (``upper`` when > 0, ``lower`` when < 0)."""
    pi = np.asarray(row_dual, dtype=float)
    pi = np.where(np.isfinite(model.row_upper), pi, np.minimum(pi, 0.0))
    pi = np.where(np.isfinite(model.row_lower), pi, np.maximum(pi, 0.0))
    return pi, np.where(pi > 0, model.row_upper, np.where(pi < 0, model.row_lower, 0.0))


def dual_bound(model: MatrixModel, row_dual: np.ndarray) -> float:
    """An upper bound on a maximising LP from any row prices (weak duality), however they were found.

    With prices ``π`` (made ≥ 0 on rows that have only an upper side and ≤ 0 on rows that have only
    a lower side)::

        LP optimum ≤ Σ_r π_r · (upper_r if π_r > 0 else lower_r) + Σ_j max(0, c_j − (Aᵀπ)_j) · u_j

    for columns bounded by 0 ≤ v_j ≤ u_j. It equals the optimum at optimal prices, and stays a bound
    at inexact ones (an interior-point solve without crossover), so no solver tolerance can make it
    claim too much.
    """
    pi, side = priced_sides(model, row_dual)
    reduced = model.cost - model.matrix.T @ pi
    if (model.col_lower != 0).any() or not np.isfinite(model.col_upper).all():
        raise ValueError("dual_bound expects columns bounded by 0 ≤ v ≤ u with finite u")
    return float(pi @ side) + float(np.maximum(reduced, 0.0) @ model.col_upper)


def rounded_plan(problem: AssignmentProblem, x: np.ndarray) -> list[int]:
    """A plan from LP values: pairs in the order of ``x × |score|`` (highest first), each placed if it fits.

    Mandatory items' pairs come first. A pair is placed when its item is not yet placed, its score is
    positive (or the item mandatory), every capacity row and ``<=`` side row has room and its chain may
    still open in the park. Ties are broken by pair index, so the plan is deterministic. The caller
    checks the plan with :meth:`AssignmentProblem.violations` (``>=`` side rows are not tracked here).
    """
    score = problem.pair_score.astype(float)
    mandatory = problem.mandatory[problem.pair_item]
    # |score|: a mandatory item's pairs may all score below 0 (costs), and the LP's choice still comes first
    order = np.lexsort((np.arange(problem.n_pairs), -score, -np.round(x * np.abs(score), 9), ~mandatory))
    rows_of_bin = problem.rows_of_bin()
    remaining = np.array([row.capacity for row in problem.capacities], dtype=float)
    row_use = [problem.pair_use[row.resource] for row in problem.capacities]
    side = [(n, row) for n, row in enumerate(problem.side_rows) if row.sense == "<="]
    side_left = np.array([row.rhs for _, row in side], dtype=float)
    side_coef = sparse.csr_matrix((problem.n_pairs, max(len(side), 1)))
    if side:
        side_coef = sparse.csr_matrix(
            (np.concatenate([row.coef for _, row in side]),
             (np.concatenate([row.pairs for _, row in side]),
              np.concatenate([np.full(len(row.pairs), m) for m, (_, row) in enumerate(side)]))),
            shape=(problem.n_pairs, len(side)))
    classes = problem.classes
    opened: set[tuple[int, int]] = set()
    per_bin = np.zeros(len(problem.bins), dtype=int)
    per_class = np.zeros(len(classes.names) if classes is not None else 0, dtype=int)
    placed = np.zeros(len(problem.items), dtype=bool)
    chosen = []
    for k in order.tolist():
        i, b = int(problem.pair_item[k]), int(problem.pair_bin[k])
        if placed[i] or (score[k] <= 0 and not problem.mandatory[i]):
            continue
        key = None
        if classes is not None:
            key = (int(classes.pair_class[k]), b)
            if key not in opened and (
                    (classes.per_bin_limit is not None and per_bin[b] + 1 > classes.per_bin_limit[b])
                    or (classes.bins_limit is not None and per_class[key[0]] + 1 > classes.bins_limit[key[0]])):
                continue
        rows = rows_of_bin[b]
        if any(row_use[r][k] > remaining[r] + 1e-9 for r in rows):
            continue
        if side:
            start, end = side_coef.indptr[k], side_coef.indptr[k + 1]
            cols, coef = side_coef.indices[start:end], side_coef.data[start:end]
            if (coef > side_left[cols] + 1e-9).any():
                continue
            side_left[cols] -= coef
        for r in rows:
            remaining[r] -= row_use[r][k]
        if key is not None and key not in opened:
            opened.add(key)
            per_bin[b] += 1
            per_class[key[0]] += 1
        placed[i] = True
        chosen.append(k)
    return sorted(chosen)


__all__ = ["Relaxation", "Round", "dual_bound", "relax", "relaxation_model", "rounded_plan"]
