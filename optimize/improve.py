"""Large-neighbourhood search: improve a feasible plan by re-solving parts of the problem exactly.

Two kinds of neighbourhood. *Local branching* (:func:`local_branching`, for models of up to
``LOCAL_BRANCHING_ROWS`` rows) re-solves the whole model restricted to plans that differ from the
current one in at most a few pairs. *Park neighbourhoods*, below, re-solve a few bins at a time.

A neighbourhood is a small set K of bins that compete for the same items. Every item placed outside K
stays where it is; the items placed in K and the items not placed at all are freed, and a small MIP
re-assigns them to K (or leaves them out) under the capacity left over by the fixed items::

    maximise   Σ_{k free, bin(k) ∈ K} score_k x_k
    assign_i:  Σ x_k ≤ 1   (= 1 for a mandatory item that was in K)
    cap_r:     Σ use_{r,k} x_k ≤ capacity_r − use of the fixed pairs in row r

The current assignment of the freed items is feasible for the sub-MIP, so a plan never gets worse.
The sub-MIPs are small (a few hundred binaries) and are usually solved to optimality in milliseconds.
The search cycles through neighbourhoods of ``size`` bins; when a whole pass finds nothing it widens
them by two bins, and after any improvement it starts again from the small ones, until the time is up
or a neighbourhood covering every bin finds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy import sparse

from ._quiet import quiet_stdout
from .matrix import MatrixModel, build_matrix, solve_matrix
from .problem import AssignmentProblem, CapacityRow, Classes, Links, SideRow


def neighbourhoods(problem: AssignmentProblem, size: int, rng: np.random.Generator | None = None
                   ) -> list[tuple[int, ...]]:
    """For each bin, the bin and the ``size - 1`` bins that share the most candidate items with it.

    Ties (every bin shares every item in a dense problem) are broken by ``rng`` when given, else by bin order.
    """
    n_bins = len(problem.bins)
    incidence = np.zeros((n_bins, len(problem.items)), dtype=np.float64)
    incidence[problem.pair_bin, problem.pair_item] = 1.0
    overlap = incidence @ incidence.T
    out = []
    seen = set()
    for b in range(n_bins):
        tie = np.arange(n_bins) if rng is None else rng.permutation(n_bins)
        order = np.lexsort((tie, -overlap[b]))
        group = tuple(sorted({b, *[int(q) for q in order if q != b][: size - 1]}))
        if group not in seen:
            seen.add(group)
            out.append(group)
    return out


# local branching re-solves the whole model, so it is used only while the model is small enough
LOCAL_BRANCHING_ROWS = 30_000


def improve(
    problem: AssignmentProblem,
    chosen: Sequence[int],
    *,
    seconds: float,
    size: int = 4,
    threads: int = 1,
    branching_share: float = 0.5,
) -> list[int]:
    """Improve a feasible plan (chosen pair indices): local branching, then neighbourhood re-optimisation.

    Local branching (:func:`local_branching`) gets ``branching_share`` of the time when the model has
    at most ``LOCAL_BRANCHING_ROWS`` rows; the park neighbourhoods get the rest.

    Parameters
    ----------
    problem
        The problem.
    chosen
        A feasible plan.
    seconds
        Wall-clock budget.
    size
        Bins per neighbourhood.
    threads
        HiGHS threads for the sub-MIPs.

    Returns
    -------
    list of int
        A plan at least as good, still feasible.
    """
    deadline = time.perf_counter() + seconds
    chosen = [int(k) for k in chosen]
    if branching_share > 0:
        model = build_matrix(problem)
        if model.matrix.shape[0] <= LOCAL_BRANCHING_ROWS:
            chosen = local_branching(problem, chosen, seconds=seconds * branching_share, threads=threads, model=model)
    chosen_set = set(chosen)
    n_bins = len(problem.bins)
    rng = np.random.default_rng(0)  # fixed: the same plan and budget give the same neighbourhoods
    current = min(size, n_bins)
    while time.perf_counter() < deadline:
        improved = False
        for group in neighbourhoods(problem, current, rng):
            remaining = deadline - time.perf_counter()
            if remaining <= 0.05:
                break
            limit = max(0.05, min(remaining, 0.5 * current))  # larger neighbourhoods get longer sub-solves
            better = _reoptimise(problem, chosen_set, set(group), limit, threads)
            if better is not None:
                chosen_set = better
                improved = True
        if improved:
            current = min(size, n_bins)  # start again from small, cheap neighbourhoods
        elif current >= n_bins:
            remaining = deadline - time.perf_counter()
            if remaining > 1.0:  # nothing left to widen: give the rest of the time to one solve of everything
                better = _reoptimise(problem, chosen_set, set(range(n_bins)), remaining, threads)
                chosen_set = better if better is not None else chosen_set
            break
        else:
            current = min(n_bins, current + 2)  # a pass found nothing: widen the neighbourhoods
    return sorted(chosen_set)


def local_branching(problem: AssignmentProblem, chosen: Sequence[int], *, seconds: float, radius: int = 10,
                    sub_seconds: float = 5.0, threads: int = 1, model: MatrixModel | None = None) -> list[int]:
    """Improve a plan by re-solving the whole model within ``radius`` changes of it (Fischetti & Lodi 2003).

    The local-branching row counts the pairs that change, those left plus those taken::

        Σ_{k ∈ plan} (1 − x_k) + Σ_{k ∉ plan} x_k ≤ radius

    Each sub-MIP starts from the plan and has ``sub_seconds``; an improvement re-centres the search,
    a neighbourhood proven empty of better plans widens the radius by 4, a sub-MIP stopped by its time
    limit without improvement narrows it by 2. Unlike park neighbourhoods, the changes may touch any
    number of parks, which tightly packed problems (the OR-Library gapd instances) need.
    """
    deadline = time.perf_counter() + seconds
    model = model or build_matrix(problem)
    plan = np.asarray(sorted(int(k) for k in chosen), dtype=np.int64)
    value = problem.objective_of(plan)
    r = radius
    while (remaining := deadline - time.perf_counter()) > 0.2:
        coef = np.zeros(model.n_cols)
        coef[: model.n_x] = 1.0
        coef[plan] = -1.0
        row = sparse.csr_matrix(coef[None, :])
        sub = replace(model, matrix=sparse.vstack([model.matrix, row]).tocsr(),
                      row_lower=np.r_[model.row_lower, -np.inf], row_upper=np.r_[model.row_upper, r - len(plan)])
        with quiet_stdout():
            result = solve_matrix(sub, time_limit=min(sub_seconds, remaining), gap=1e-6, threads=threads,
                                  start=model.start_vector(problem, plan))
        if result.values is None:
            break
        candidate = np.flatnonzero(result.values[: model.n_x] > 0.5)
        better = problem.objective_of(candidate)
        if better > value + 1e-6 * max(1.0, abs(value)) and not problem.violations(candidate):
            plan, value, r = candidate, better, radius
        elif result.status == "optimal":
            if r >= model.n_x:
                break  # the neighbourhood is the whole problem: the plan is optimal
            r += 4
        else:
            r = max(2, r - 2)
    return plan.tolist()


def restrict(problem: AssignmentProblem, chosen: set[int], group: set[int]) -> tuple[AssignmentProblem, np.ndarray,
                                                                                     list[int], set[int]]:
    """The neighbourhood sub-problem: free items re-assigned to the bins in ``group``, the rest fixed.

    Returns the sub-problem, the map from its pairs to the problem's pairs, the free items' current
    pairs (as sub-problem pair indices) and the fixed pairs.
    """
    placed = {int(problem.pair_item[k]): k for k in chosen}
    in_group = {i for i, k in placed.items() if int(problem.pair_bin[k]) in group}
    free = in_group | (set(range(len(problem.items))) - placed.keys())
    fixed = chosen - {placed[i] for i in in_group}
    keep = np.flatnonzero(np.isin(problem.pair_item, sorted(free)) & np.isin(problem.pair_bin, sorted(group)))
    bins = sorted(group)
    bin_map = {b: n for n, b in enumerate(bins)}
    score = problem.pair_score[keep].astype(float).copy()
    fixed_arr = np.asarray(sorted(fixed), dtype=np.int64)

    caps = []
    for row in problem.capacities:
        inside = [bin_map[b] for b in row.bins if b in bin_map]
        if not inside:
            continue
        fixed_use = float(problem.pair_use[row.resource][fixed_arr[np.isin(problem.pair_bin[fixed_arr], row.bins)]].sum())
        caps.append(CapacityRow(row.name, row.resource, tuple(inside), row.capacity - fixed_use, row.label))

    classes = None
    if problem.classes is not None:
        c = problem.classes
        bins_limit = None
        if c.bins_limit is not None:
            outside = {(cc, b) for cc, b in problem.opened(fixed_arr) if b not in bin_map}
            used = np.bincount([cc for cc, _ in outside], minlength=len(c.names))
            bins_limit = c.bins_limit - used
        classes = Classes(c.names, c.pair_class[keep], None if c.per_bin_limit is None else c.per_bin_limit[bins],
                          bins_limit, c.open_cost)

    links = None
    if problem.links is not None and len(problem.links.a):
        lk = problem.links
        where = problem.bin_of_item(fixed_arr)
        free_mask = np.zeros(len(problem.items), dtype=bool)
        free_mask[sorted(free)] = True
        item_map = {i: n for n, i in enumerate(sorted(free))}
        both = free_mask[lk.a] & free_mask[lk.b]
        # one end fixed, the other free: a bonus on the free end's pairs near the fixed end
        for end, other in ((lk.a, lk.b), (lk.b, lk.a)):
            half = free_mask[end] & ~free_mask[other] & (where[other] >= 0)
            for n in np.flatnonzero(half):
                q = where[other[n]]
                near = lk.near(float(lk.limit[n]))[:, q]
                hits = (problem.pair_item[keep] == end[n]) & near[problem.pair_bin[keep]]
                score[hits] += lk.reward[n]
        idx = np.flatnonzero(both)
        sub_items_a = np.array([item_map[i] for i in lk.a[idx]], dtype=np.int64)
        sub_items_b = np.array([item_map[i] for i in lk.b[idx]], dtype=np.int64)
        links = Links(tuple(lk.names[n] for n in idx), sub_items_a, sub_items_b, lk.reward[idx], lk.limit[idx],
                      lk.distance[np.ix_(bins, bins)])

    side = []
    for row in problem.side_rows:
        fixed_part = float(row.coef[np.isin(row.pairs, fixed_arr)].sum())
        mask = np.isin(row.pairs, keep)
        position = {k: n for n, k in enumerate(keep.tolist())}
        side.append(SideRow(row.name, row.label, np.array([position[k] for k in row.pairs[mask].tolist()], dtype=np.int64),
                            row.coef[mask], row.sense, row.rhs - fixed_part))

    items = sorted(free)
    item_map = {i: n for n, i in enumerate(items)}
    mandatory = np.array([bool(problem.mandatory[i]) and i in in_group for i in items], dtype=bool)
    sub = AssignmentProblem(
        items=tuple(problem.items[i] for i in items), bins=tuple(problem.bins[b] for b in bins),
        pair_item=np.array([item_map[i] for i in problem.pair_item[keep].tolist()], dtype=np.int64),
        pair_bin=np.array([bin_map[b] for b in problem.pair_bin[keep].tolist()], dtype=np.int64),
        pair_score=score, pair_use={r: u[keep] for r, u in problem.pair_use.items()}, capacities=tuple(caps),
        mandatory=mandatory, name="neighbourhood", classes=classes, links=links, side_rows=tuple(side),
    )
    position = {k: n for n, k in enumerate(keep.tolist())}
    current = [position[placed[i]] for i in sorted(in_group)]
    return sub, keep, current, fixed


def _reoptimise(problem: AssignmentProblem, chosen: set[int], group: set[int], seconds: float,
                threads: int = 1) -> set[int] | None:
    sub, keep, current, fixed = restrict(problem, chosen, group)
    if not sub.n_pairs:
        return None
    model = build_matrix(sub)
    with quiet_stdout():
        result = solve_matrix(model, time_limit=seconds, gap=1e-4, threads=threads,
                              start=model.start_vector(sub, current))
    if result.values is None:
        return None
    picked = np.flatnonzero(result.values[: model.n_x] > 0.5).tolist()
    if sub.violations(picked):
        return None
    candidate = fixed | {int(keep[k]) for k in picked}
    before, after = problem.objective_of(sorted(chosen)), problem.objective_of(sorted(candidate))
    if after <= before + 1e-6 * max(1.0, abs(before)) or problem.violations(sorted(candidate)):
        return None
    return candidate
