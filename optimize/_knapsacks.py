"""A Lagrangian bound from the relaxation's row prices with each park's knapsack kept exact.

At prices ``π`` for the relaxation's rows other than the single-park capacities (assignment, multi-park
caps, side rows, links, link cuts), weak duality gives, for every plan::

    objective ≤ constant + Σ_r π_r · side_r + Σ_links max(0, reduced) + Σ_parks max(0, best pattern's reduced score)

where a park's best pattern is its best subset of pairs, by reduced score, within its own land, energy
and emission rows and its chain limit (pairs with a reduced score ≤ 0 are left out unless they use a negative
amount of one of those rows, which could make room for others): a small multi-dimensional knapsack, solved here by HiGHS. At the
relaxation's optimal prices this is never above the LP bound and drops what the parks' integrality is
worth (the LP fills a park with fractions of projects). A knapsack stopped by its time limit adds
HiGHS's dual bound on it, so the bound stays valid; a park whose knapsack is not solved at all leaves
no bound. Measured on S (300 × 40, 600 links): 7,696,151 against the LP's 7,720,163 (with cover cuts, whose rows
are not priced: every park's pattern satisfies them), in 16–22 s; 7,703,898 against 7,729,785 in 28 s without them.
``bench/bound_gap.py`` uses the same knapsacks for column generation over park patterns.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from .matrix import MatrixModel
from .problem import AssignmentProblem
from .relax import priced_sides


def park_rows(problem: AssignmentProblem) -> np.ndarray:
    """The relaxation's rows that are single-park capacities (kept in the parks' knapsacks, not priced)."""
    n_assign = len(np.unique(problem.pair_item))  # the rows start with one per item that has pairs, then capacities
    return np.array([n_assign + r for r, row in enumerate(problem.capacities) if len(row.bins) == 1], dtype=np.int64)


def unpriced_rows(problem: AssignmentProblem, cover_rows: np.ndarray | None) -> np.ndarray:
    """The rows the parks' knapsacks keep rather than price: single-park capacities and their cover cuts."""
    covers = np.zeros(0, dtype=np.int64) if cover_rows is None else np.asarray(cover_rows, dtype=np.int64)
    return np.r_[park_rows(problem), covers]


def park_knapsack_bound(problem: AssignmentProblem, model: MatrixModel, constant: float, row_dual: np.ndarray, *,
                        knapsack_seconds: float | None = None, deadline: float | None = None,
                        threads: int = 1, cover_rows: np.ndarray | None = None
                        ) -> tuple[float | None, list[tuple[int, np.ndarray]]]:
    """The bound above at prices ``row_dual`` of the relaxation ``model`` (pair columns first), and each park's
    best pattern found (pair indices).

    ``cover_rows`` are rows of ``model`` that are cover cuts of one park's capacities (:attr:`optimize.relax.Round.cover_rows`):
    every pattern satisfies them, so they are not priced either (pricing them would only loosen the bound).
    ``knapsack_seconds`` limits each knapsack; ``deadline`` (a ``time.perf_counter()`` value) the whole pass:
    when it passes before every park is priced, the bound is ``None``.
    """
    pi = np.asarray(row_dual, dtype=float).copy()
    pi[unpriced_rows(problem, cover_rows)] = 0.0
    pi, side = priced_sides(model, pi)
    reduced = model.cost - model.matrix.T @ pi
    bound = constant + float(pi @ side) + float(np.maximum(reduced[problem.n_pairs:], 0.0).sum())
    patterns = []
    rows_of_bin = problem.rows_of_bin()
    negative = np.zeros(problem.n_pairs, dtype=bool)  # a pair that frees capacity may be worth taking at a loss
    for row in problem.capacities:
        if len(row.bins) == 1:
            negative |= (problem.pair_use[row.resource] < 0) & (problem.pair_bin == row.bins[0])
    for b in range(len(problem.bins)):
        ks = np.flatnonzero((problem.pair_bin == b) & ((reduced[: problem.n_pairs] > 1e-9) | negative))
        if not len(ks):
            continue
        seconds = knapsack_seconds
        if deadline is not None:
            left = deadline - time.perf_counter()
            if left <= 0:
                return None, patterns
            seconds = left if seconds is None else min(seconds, left)
        upper, chosen = park_knapsack(problem, b, ks, reduced[ks], seconds, rows_of_bin[b], threads=threads)
        if upper is None:
            return None, patterns
        bound += max(0.0, upper)
        if len(chosen):
            patterns.append((b, chosen))
    return bound + 1e-9 * max(1.0, abs(bound)), patterns  # floating-point sums: keep the bound on the safe side


def park_knapsack(problem: AssignmentProblem, b: int, ks: np.ndarray, reduced: np.ndarray, seconds: float | None,
                  rows: list[int], *, threads: int = 1) -> tuple[float | None, np.ndarray]:
    """Park ``b``'s best subset of the pairs ``ks`` by ``reduced`` score within its single-park capacities and
    chain limit: HiGHS's dual bound on it (``None`` if it has none) and the best subset found."""
    classes = problem.classes
    chains = np.unique(classes.pair_class[ks]) if classes is not None else np.zeros(0, dtype=int)
    n_x, n_y = len(ks), len(chains)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", 1e-6)
    if seconds is not None:
        h.setOptionValue("time_limit", float(max(seconds, 0.01)))
    h.addVars(n_x + n_y, np.zeros(n_x + n_y), np.ones(n_x + n_y))
    h.changeColsIntegrality(n_x + n_y, np.arange(n_x + n_y, dtype=np.int32),
                            np.full(n_x + n_y, highspy.HighsVarType.kInteger))
    h.changeColsCost(n_x, np.arange(n_x, dtype=np.int32), reduced)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    for r in rows:
        row = problem.capacities[r]
        if len(row.bins) == 1:
            h.addRow(-highspy.kHighsInf, row.capacity, n_x, np.arange(n_x, dtype=np.int32),
                     problem.pair_use[row.resource][ks])
    if classes is not None and classes.per_bin_limit is not None and n_y > classes.per_bin_limit[b]:
        y_of = {c: n_x + j for j, c in enumerate(chains)}
        for j, k in enumerate(ks):
            h.addRow(-highspy.kHighsInf, 0.0, 2, np.array([j, y_of[classes.pair_class[k]]], dtype=np.int32),
                     np.array([1.0, -1.0]))
        h.addRow(-highspy.kHighsInf, float(classes.per_bin_limit[b]), n_y,
                 np.arange(n_x, n_x + n_y, dtype=np.int32), np.ones(n_y))
    h.run()
    info = h.getInfo()
    upper = float(info.mip_dual_bound)
    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible or not np.isfinite(upper):
        return None, np.zeros(0, dtype=np.int64)  # a capacity below 0: no bound from this park
    if info.primal_solution_status != 2:  # no subset found (a time limit): the dual bound still holds
        return upper, np.zeros(0, dtype=np.int64)
    values = np.asarray(h.getSolution().col_value[:n_x])
    # never below the subset found (HiGHS 1.9 reported a dual bound of 0 for a maximisation solved in presolve)
    return max(upper, float(reduced @ (values > 0.5))), ks[values > 0.5]
