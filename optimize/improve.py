"""Large-neighbourhood search: improve a feasible plan by re-solving a few bins at a time exactly.

A neighbourhood is a small set K of bins that compete for the same items. Every item placed outside K
stays where it is; the items placed in K and the items not placed at all are freed, and a small MIP
re-assigns them to K (or leaves them out) under the capacity left over by the fixed items::

    maximise   Σ_{k free, bin(k) ∈ K} score_k x_k
    assign_i:  Σ x_k ≤ 1   (= 1 for a mandatory item that was in K)
    cap_r:     Σ use_{r,k} x_k ≤ capacity_r − use of the fixed pairs in row r

The current assignment of the freed items is feasible for the sub-MIP, so a plan never gets worse.
The sub-MIPs are small (a few hundred binaries) and are solved to optimality in milliseconds; the
search cycles through neighbourhoods until a full pass finds nothing or the time is up.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pulp

from ._quiet import quiet_stdout
from .problem import AssignmentProblem


def neighbourhoods(problem: AssignmentProblem, size: int) -> list[tuple[int, ...]]:
    """For each bin, the bin and the ``size - 1`` bins that share the most candidate items with it."""
    n_bins = len(problem.bins)
    incidence = np.zeros((n_bins, len(problem.items)), dtype=np.float64)
    incidence[problem.pair_bin, problem.pair_item] = 1.0
    overlap = incidence @ incidence.T
    out = []
    seen = set()
    for b in range(n_bins):
        order = np.lexsort((np.arange(n_bins), -overlap[b]))
        group = tuple(sorted({b, *[int(q) for q in order if q != b][: size - 1]}))
        if group not in seen:
            seen.add(group)
            out.append(group)
    return out


def improve(
    problem: AssignmentProblem,
    chosen: Sequence[int],
    *,
    seconds: float,
    size: int = 4,
    solver_factory=None,
) -> list[int]:
    """Improve a feasible plan (chosen pair indices) by neighbourhood re-optimisation.

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
    solver_factory
        ``callable(time_limit) -> pulp.LpSolver`` for the sub-MIPs; HiGHS by default.

    Returns
    -------
    list of int
        A plan at least as good, still feasible.
    """
    deadline = time.perf_counter() + seconds
    solver_factory = solver_factory or (lambda limit: pulp.HiGHS(msg=False, timeLimit=limit, threads=1, gapRel=1e-4))
    chosen_set = set(int(k) for k in chosen)
    row_pairs = problem.pair_row_use()
    rows_of_bin = problem.rows_of_bin()
    pairs_of_item = problem.pairs_of_item()
    groups = neighbourhoods(problem, min(size, len(problem.bins)))
    improved_in_pass = True
    while improved_in_pass and time.perf_counter() < deadline:
        improved_in_pass = False
        for group in groups:
            remaining = deadline - time.perf_counter()
            if remaining <= 0.05:
                break
            better = _reoptimise(problem, chosen_set, set(group), row_pairs, rows_of_bin, pairs_of_item,
                                 solver_factory(max(0.05, min(remaining, 1.0))))
            if better is not None:
                chosen_set = better
                improved_in_pass = True
    return sorted(chosen_set)


def _reoptimise(problem, chosen: set[int], group: set[int], row_pairs, rows_of_bin, pairs_of_item,
                solver) -> set[int] | None:
    placed_item = {int(problem.pair_item[k]): k for k in chosen}
    in_group = {i for i, k in placed_item.items() if int(problem.pair_bin[k]) in group}
    free_items = in_group | {i for i in range(len(problem.items)) if i not in placed_item}
    free_pairs = [int(k) for i in sorted(free_items) for k in pairs_of_item[i] if int(problem.pair_bin[k]) in group]
    if not free_pairs:
        return None
    current = sum(problem.pair_score[placed_item[i]] for i in in_group)
    fixed = chosen - {placed_item[i] for i in in_group}

    prob = pulp.LpProblem("neighbourhood", pulp.LpMaximize)
    x = {k: prob.add_variable(f"x_{k}", cat=pulp.LpBinary) for k in free_pairs}
    prob.setObjective(pulp.LpAffineExpression([(x[k], float(problem.pair_score[k])) for k in free_pairs]))
    by_item: dict[int, list[int]] = {}
    for k in free_pairs:
        by_item.setdefault(int(problem.pair_item[k]), []).append(k)
    for i, ks in by_item.items():
        sense = pulp.LpConstraintEQ if (problem.mandatory[i] and i in in_group) else pulp.LpConstraintLE
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression([(x[k], 1.0) for k in ks]), sense, f"a_{i}", 1))
    rows = sorted({r for b in group for r in rows_of_bin[b]})
    for r in rows:
        pairs, use = row_pairs[r]
        fixed_use = sum(float(u) for k, u in zip(pairs.tolist(), use.tolist()) if k in fixed)
        terms = [(x[k], float(u)) for k, u in zip(pairs.tolist(), use.tolist()) if k in x and u != 0]
        if terms:
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE, f"c_{r}",
                                                 problem.capacities[r].capacity - fixed_use))
    with quiet_stdout():
        prob.solve(solver)
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None
    picked = {k for k, var in x.items() if (var.varValue or 0) > 0.5}
    value = sum(problem.pair_score[k] for k in picked)
    if value <= current + 1e-6 * max(1.0, abs(current)):
        return None
    candidate = fixed | picked
    if problem.violations(sorted(candidate)):
        return None
    return candidate
