"""Where the proven gap of a synthetic instance comes from: the bound's parts against a plan's parts.

For one size of ``bench/synthetic.py`` this prints

- the LP relaxation's bound (:mod:`optimize.relax`, link cuts until none are violated) and how much of
  it is pair score and how much link reward;
- the same split for the engine's plan at the given time limit;
- a Lagrangian bound at the relaxation's row prices in which each park's land, energy and emission
  rows and its chain limit are kept exactly: every park solves its own multi-dimensional knapsack
  (HiGHS MIP, projects with a positive reduced score only). Weak duality makes it a valid bound at
  any prices; the gap between it and the LP bound is what the knapsacks' integrality is worth.

Measured on S (300 × 40, 600 links), this machine: LP bound 7,729,785 of which links 211,008; a 60 s
plan 7,404,027 of which links 118,583; the park-knapsack bound 7,703,898, priced in 28 s (0.7 s per park).

    python bench/bound_gap.py --size S --time-limit 60
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import highspy
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import SIZES, make_instance

from optimize import SolverOptions, solve
from optimize._quiet import quiet_stdout
from optimize.matrix import MatrixModel, solve_matrix
from optimize.problem import AssignmentProblem
from optimize.relax import _link_cuts, _relaxation_parts, dual_bound, priced_sides, with_cuts


def relaxation_with_prices(problem: AssignmentProblem, max_rounds: int = 30
                           ) -> tuple[MatrixModel, float, np.ndarray, np.ndarray]:
    """The relaxation with its link cuts, the constant added to its optimum, its row prices and its
    solution, after the last round."""
    model, constant, structures = _relaxation_parts(problem)
    cuts: list = []
    for _ in range(max_rounds):
        current = with_cuts(model, cuts)
        with quiet_stdout():
            result = solve_matrix(current, time_limit=None, highs_options={"solver": "ipm", "run_crossover": "off"})
        new = _link_cuts(structures, result.values, model.n_cols)
        if new is None:
            break
        cuts.append(new)
    return current, constant, result.row_dual, result.values


def park_knapsack_bound(problem: AssignmentProblem, model: MatrixModel, constant: float, row_dual: np.ndarray) -> float:
    """Lagrangian bound: rows other than single-park capacities priced, each park's knapsack solved exactly.

    ``bound = Σ_r π_r · side_r + Σ_links max(0, reduced) + Σ_parks max(0, best pattern's reduced score)``
    with the single-park capacity rows (and the chain limit) kept in each park's problem; ``constant``
    is the relaxation's (chain-opening bonuses, if any).
    """
    pi, _ = priced_sides(model, row_dual)
    n_assign = len(np.unique(problem.pair_item))  # the rows start with one per item that has pairs, then capacities
    kept = [n_assign + r for r, row in enumerate(problem.capacities) if len(row.bins) == 1]
    pi[kept] = 0.0
    pi, side = priced_sides(model, pi)
    reduced = model.cost - model.matrix.T @ pi
    bound = constant + float(pi @ side) + float(np.maximum(reduced[problem.n_pairs:], 0.0).sum())
    classes = problem.classes
    rows_of_bin = problem.rows_of_bin()
    for b in range(len(problem.bins)):
        ks = np.flatnonzero((problem.pair_bin == b) & (reduced[: problem.n_pairs] > 1e-9))
        if not len(ks):
            continue
        chains = np.unique(classes.pair_class[ks]) if classes is not None else np.zeros(0, dtype=int)
        n_x, n_y = len(ks), len(chains)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("mip_rel_gap", 1e-6)
        h.addVars(n_x + n_y, np.zeros(n_x + n_y), np.ones(n_x + n_y))
        h.changeColsIntegrality(n_x + n_y, np.arange(n_x + n_y, dtype=np.int32),
                                np.full(n_x + n_y, highspy.HighsVarType.kInteger))
        h.changeColsCost(n_x, np.arange(n_x, dtype=np.int32), reduced[ks])
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        for r in rows_of_bin[b]:
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
        bound += max(0.0, float(h.getInfo().mip_dual_bound))
    return bound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--time-limit", type=float, default=60.0, help="for the engine's plan")
    args = parser.parse_args(argv)
    problem = make_instance(args.size)

    t0 = time.perf_counter()
    model, constant, row_dual, values = relaxation_with_prices(problem)
    lp_bound = dual_bound(model, row_dual) + constant
    pair_part = float(problem.pair_score @ values[: problem.n_pairs])
    print(f"LP relaxation bound {lp_bound:14,.0f}: pairs {pair_part:14,.0f}, links {lp_bound - pair_part:12,.0f} "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)

    solution = solve(problem, SolverOptions(solver="highs", time_limit=args.time_limit, gap=1e-4))
    terms = problem.objective_terms(solution.chosen_pairs)
    print(f"plan ({args.time_limit:.0f} s)      {solution.objective:14,.0f}: pairs {terms['pairs']:14,.0f}, "
          f"links {terms['links']:12,.0f}; engine's bound {solution.bound or float('nan'):14,.0f}", flush=True)

    t1 = time.perf_counter()
    knapsack = park_knapsack_bound(problem, model, constant, row_dual)
    print(f"park-knapsack bound {knapsack:14,.0f} at the LP's prices ({time.perf_counter() - t1:.1f} s); "
          f"gap to the plan {(knapsack - solution.objective) / knapsack:.2%} against "
          f"{(lp_bound - solution.objective) / lp_bound:.2%} from the LP", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
