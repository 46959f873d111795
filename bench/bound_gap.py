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

With ``--columns SECONDS`` it then runs column generation over park patterns (Dantzig–Wolfe,
:func:`column_generation`): the master's LP value rises towards the best bound any relaxation by whole
parks can give, so it is a floor under all of them. On S, started from the 60 s plan's patterns, the
master reached 7,638,200 after 131 rounds (600 s, 4,397 patterns, knapsacks of 0.1 s, still rising) before
its prices were smoothed, and 7,643,279 in about 185 s since (started from no plan): no bound of this family
proves less, and the 60 s plan (7,402,503) is 3.15 % below it.

With ``--small N`` it proves N instances (HiGHS from the engine's plan, :func:`prove_small`) and puts
the engine's plan and bound and every bound above beside the optimum:

- XS (40 × 5, 80 links, proven in seconds; this machine, seeds 0–3): LP gap 8.06, 5.81, 6.03, 5.06 %;
  column bound 0.31, 0.39, 0.42, 0.46 % above the optimum.
- QS (``--small-size QS``: 75 × 10, 150 links, a quarter of S). The seed of S (``--first-seed 20261128``)
  proved in 264 s, seed 1 in 1,277 s; seeds 0 and 2 were not proven in an hour and in 1,800 s. The engine's
  60 s plans lie 0.45 % and 0.34 % below the optimum (seed 2: 0.39 % below the best plan found), its bounds
  2.02 %, 2.23 % (2.38 %) above; the knapsack bound 2.74 %, 2.69 % (2.48 %), the column bound 0.52 %, 0.85 %
  (1.04 %) above. At this size the gap is the bound's, not the plan's. Each row also says how far the plan
  is from the optimum (:func:`plan_distance`): on the seed of S, 25 of 75 projects sited differently across
  9 of 10 parks; the engine holds that plan from 15 s on.

    python bench/bound_gap.py --size S --time-limit 60
    python bench/bound_gap.py --size S --columns 600
    python bench/bound_gap.py --small 4
    python bench/bound_gap.py --small 1 --small-size QS --first-seed 20261128 --proof-seconds 1800
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import highspy
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import SIZES, make_instance

from optimize import SolverOptions, Status, solve
from optimize._knapsacks import park_knapsack_bound as park_knapsack_bound_at
from optimize._knapsacks import unpriced_rows
from optimize._quiet import quiet_stdout
from optimize.matrix import MatrixModel
from optimize.problem import AssignmentProblem
from optimize.relax import Round, dual_bound, relax


def relaxation_with_prices(problem: AssignmentProblem, max_rounds: int = 30, *, covers: bool = True) -> Round:
    """The last round of the relaxation (:func:`optimize.relax.relax`, link and cover cuts until none are
    violated or ``max_rounds`` were solved): the LP with its cuts, its constant, row prices, pair values and cover
    rows. Its bound is that round's, which may be a hair above the lowest round's that ``relax`` reports."""
    rounds: list[Round] = []
    with quiet_stdout():
        result = relax(problem, time_limit=None, max_rounds=max_rounds, on_round=rounds.append, covers=covers)
    if not rounds:
        raise RuntimeError(f"the LP relaxation failed: {result.message}")
    return rounds[-1]


def park_knapsack_bound(problem: AssignmentProblem, model: MatrixModel, constant: float, row_dual: np.ndarray,
                        cover_rows: np.ndarray | None = None) -> float:
    """Lagrangian bound: rows other than single-park capacities (and their cover cuts) priced, each park's knapsack
    solved exactly (:func:`optimize._knapsacks.park_knapsack_bound`)."""
    return _lagrangian(problem, model, constant, row_dual, knapsack_seconds=None, cover_rows=cover_rows)[0]


def _lagrangian(problem: AssignmentProblem, model: MatrixModel, constant: float, row_dual: np.ndarray, *,
                knapsack_seconds: float | None, cover_rows: np.ndarray | None = None
                ) -> tuple[float, list[tuple[int, np.ndarray]]]:
    """The park-knapsack bound at prices ``row_dual`` and each park's best pattern (pair indices)."""
    bound, patterns = park_knapsack_bound_at(problem, model, constant, row_dual, knapsack_seconds=knapsack_seconds,
                                             cover_rows=cover_rows)
    return (np.inf if bound is None else bound), patterns


def column_generation(problem: AssignmentProblem, model: MatrixModel, constant: float, row_dual: np.ndarray, *,
                      seconds: float, cover_rows: np.ndarray | None = None, knapsack_seconds: float | None = 0.1, plans=(), log=None,
                      smoothing: float = 0.8) -> dict:
    """Dantzig–Wolfe over park patterns: how far any bound from whole parks can go, and where the optimum lies.

    The master is the relaxation with each park's pairs replaced by patterns (subsets that fit the park's
    capacities and chain limit) and one convexity row per park; each round prices every park's knapsack
    (:func:`optimize._knapsacks.park_knapsack`) at the master's row prices and adds the patterns with a positive reduced
    score. The master's LP value only rises towards the Dantzig–Wolfe bound, so it is a floor for every
    bound of this family; each round's Lagrangian bound (the lowest is kept) is a ceiling on every plan.
    ``model`` is the relaxation (pair columns first) and ``row_dual`` its prices, as from
    :func:`relaxation_with_prices`, whose cover rows (``cover_rows``) are left out of the master: every pattern
    satisfies them. Starts from the patterns of ``plans`` and those priced at ``row_dual``;
    ``knapsack_seconds=None`` solves every knapsack exactly. Returns the master's value (``None`` while
    a row's lower side is met only by its slack), the best bound, rounds and patterns.

    The knapsacks are priced at ``smoothing`` × the prices of the best bound so far + (1 − ``smoothing``) ×
    the master's (Wentges smoothing; 0 prices at the master's alone). The first masters' prices swing
    far from the optimal ones; smoothed, the patterns priced are closer to those the final master needs.
    When a smoothed round adds no pattern, the round is priced again at the master's prices, so the master
    still ends only at the Dantzig–Wolfe bound. On half of S (150 × 20, 300 links, exact knapsacks, no
    plan; deterministic) the bound after 182 s is 3,772,119 smoothed against 3,780,843 unsmoothed (after
    round 20, 3,779,106 against 3,811,081, the start), the converged value being 3,768,050; both stand at
    about 3,770,000 after 237 s. On S, with knapsacks of 0.1 s (which depend on the machine's load), the
    master reached 7,625,651 and 7,643,279 in two smoothed runs of about 185 s (from a 60 s plan's patterns
    and from none) against 7,529,261 in an unsmoothed run from the plan's patterns.
    """
    t0 = time.perf_counter()
    n_pairs, n_bins = problem.n_pairs, len(problem.bins)
    own = unpriced_rows(problem, cover_rows)
    kept = np.setdiff1d(np.arange(model.matrix.shape[0]), own)
    a_kept = model.matrix[kept].tocsc()
    n_kept, inf = len(kept), highspy.kHighsInf
    master = highspy.Highs()
    master.setOptionValue("output_flag", False)
    master.setOptionValue("threads", 1)
    master.changeObjectiveSense(highspy.ObjSense.kMaximize)
    master.addRows(n_kept + n_bins, np.r_[model.row_lower[kept], np.full(n_bins, -inf)],
                   np.r_[model.row_upper[kept], np.ones(n_bins)], 0, np.zeros(0, dtype=np.int32),
                   np.zeros(0, dtype=np.int32), np.zeros(0))
    others = a_kept[:, n_pairs:]  # link columns as they are
    master.addCols(others.shape[1], model.cost[n_pairs:], model.col_lower[n_pairs:], model.col_upper[n_pairs:],
                   others.nnz, others.indptr[:-1].astype(np.int32), others.indices.astype(np.int32), others.data)
    # rows with a lower side (mandatory items, floors) get a costly slack, so the first masters are feasible
    lower = np.flatnonzero(np.isfinite(np.r_[model.row_lower[kept], np.full(n_bins, -inf)]))
    big = 10.0 * (np.abs(problem.pair_score).sum() + np.abs(model.cost).sum() + 1.0)
    for r in lower:
        master.addCol(-big, 0.0, inf, 1, np.array([r], dtype=np.int32), np.array([1.0]))
    n_fixed_cols = master.getNumCol()
    seen: set[tuple[int, tuple[int, ...]]] = set()

    def add(b: int, ks: np.ndarray) -> bool:
        key = (b, tuple(sorted(int(k) for k in ks)))
        if not key[1] or key in seen:
            return False
        seen.add(key)
        column = a_kept[:, list(key[1])].sum(axis=1).A1
        rows = np.flatnonzero(column)
        master.addCol(float(problem.pair_score[list(key[1])].sum()), 0.0, inf, len(rows) + 1,
                      np.r_[rows, n_kept + b].astype(np.int32), np.r_[column[rows], 1.0])
        return True

    for plan in plans:
        plan = np.asarray(plan, dtype=np.int64)
        for b in range(n_bins):
            add(b, plan[problem.pair_bin[plan] == b])
    centre = np.asarray(row_dual, dtype=float).copy()
    centre[own] = 0.0
    bound, patterns = _lagrangian(problem, model, constant, centre, knapsack_seconds=knapsack_seconds)
    for b, ks in patterns:
        add(b, ks)
    rounds, value = 0, None
    while time.perf_counter() - t0 < seconds:
        master.run()
        if master.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        rounds += 1
        solution = master.getSolution()
        slack = np.asarray(solution.col_value[n_fixed_cols - len(lower):n_fixed_cols])
        value = master.getInfo().objective_function_value + constant if not (slack > 1e-7).any() else None
        prices = np.zeros(model.matrix.shape[0])
        prices[kept] = np.asarray(solution.row_dual[:n_kept])
        for weight in (smoothing, 0.0) if smoothing > 0 else (0.0,):  # the master's own prices when smoothed ones add nothing
            point = weight * centre + (1.0 - weight) * prices
            at, patterns = _lagrangian(problem, model, constant, point, knapsack_seconds=knapsack_seconds)
            if at < bound:
                bound, centre = at, point
            added = sum(add(b, ks) for b, ks in patterns)
            if added:
                break
        if log is not None:
            log(f"round {rounds}: master {float('nan') if value is None else value:14,.0f}, bound {bound:14,.0f}, "
                f"{master.getNumCol() - n_fixed_cols:,} patterns ({time.perf_counter() - t0:.0f} s)")
        if not added or (value is not None and bound - value <= 1e-6 * max(1.0, abs(bound))):
            break
    return {"master": value, "bound": bound, "rounds": rounds, "patterns": master.getNumCol() - n_fixed_cols,
            "seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--time-limit", type=float, default=60.0, help="for the engine's plan")
    parser.add_argument("--columns", type=float, default=0.0, metavar="SECONDS",
                        help="also run column generation over park patterns for this long (0: skip)")
    parser.add_argument("--small", type=int, default=0, metavar="N",
                        help="instead: N instances of --small-size, proven, against the engine's "
                             "plan and bound at --time-limit and the LP, knapsack and column bounds")
    parser.add_argument("--small-size", choices=("XS", "QS"), default="XS",
                        help="XS (40 × 5, proven in seconds) or QS (75 × 10, a quarter of S, in minutes)")
    parser.add_argument("--proof-seconds", type=float, default=None,
                        help="time limit of each proof (default: none)")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds of --small: this one and the next N-1")
    args = parser.parse_args(argv)
    if args.small:
        return small_instances(args.small, args.small_size, args.time_limit, args.proof_seconds,
                               args.first_seed)
    problem = make_instance(args.size)

    t0 = time.perf_counter()
    last = relaxation_with_prices(problem)
    model, constant, row_dual, values, covers = last.model, last.constant, last.row_dual, last.x, last.cover_rows
    lp_bound = dual_bound(model, row_dual) + constant
    pair_part = float(problem.pair_score @ values[: problem.n_pairs])
    print(f"LP relaxation bound {lp_bound:14,.0f}: pairs {pair_part:14,.0f}, links {lp_bound - pair_part:12,.0f} "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)

    solution = solve(problem, SolverOptions(solver="highs", time_limit=args.time_limit, gap=1e-4))
    terms = problem.objective_terms(solution.chosen_pairs)
    print(f"plan ({args.time_limit:.0f} s)      {solution.objective:14,.0f}: pairs {terms['pairs']:14,.0f}, "
          f"links {terms['links']:12,.0f}; engine's bound {solution.bound or float('nan'):14,.0f}", flush=True)

    t1 = time.perf_counter()
    knapsack = park_knapsack_bound(problem, model, constant, row_dual, covers)
    print(f"park-knapsack bound {knapsack:14,.0f} at the LP's prices ({time.perf_counter() - t1:.1f} s); "
          f"gap to the plan {(knapsack - solution.objective) / knapsack:.2%} against "
          f"{(lp_bound - solution.objective) / lp_bound:.2%} from the LP", flush=True)
    if args.columns > 0:
        result = column_generation(problem, model, constant, row_dual, seconds=args.columns, cover_rows=covers,
                                   plans=[solution.chosen_pairs], log=lambda line: print(line, flush=True))
        print(f"column generation ({result['seconds']:.0f} s, {result['rounds']} rounds, {result['patterns']:,} "
              f"patterns): master {float('nan') if result['master'] is None else result['master']:14,.0f} "
              f"(no bound from whole parks is lower), "
              f"bound {result['bound']:14,.0f}", flush=True)
    return 0


def plan_distance(problem: AssignmentProblem, plan: Sequence[int], other: Sequence[int]) -> dict:
    """How far apart two plans are: the items sited differently (``moved`` to another park, placed by ``plan``
    only: ``left_out`` by ``other``, placed by ``other`` only: ``taken_in``) and the parks those changes touch."""
    here, there = problem.bin_of_item(list(plan)), problem.bin_of_item(list(other))
    changed = np.flatnonzero(here != there)
    a, b = here[changed], there[changed]
    return {"items": len(changed), "moved": int(((a >= 0) & (b >= 0)).sum()), "left_out": int((b < 0).sum()),
            "taken_in": int((a < 0).sum()), "parks": len(np.union1d(a[a >= 0], b[b >= 0]))}


def prove_small(size: str, seed: int, *, time_limit: float, proof_seconds: float | None,
                column_seconds: float = 600.0) -> dict:
    """One instance small enough to prove: the engine's plan and bound at ``time_limit`` and every bound of this
    script against the optimum.

    The proof is HiGHS from the engine's plan, for at most ``proof_seconds`` (``None``: no limit); ``proven``
    says whether it ended proven (else ``optimum`` is the best plan found and ``proof_bound`` HiGHS's bound).
    """
    problem = make_instance(size, seed=seed)
    engine = solve(problem, SolverOptions(solver="highs", time_limit=time_limit))
    t0 = time.perf_counter()
    optimum = solve(problem, SolverOptions(solver="highs", time_limit=proof_seconds, gap=1e-6, search=0.0),
                    start=engine.chosen_pairs)
    proof_time = time.perf_counter() - t0
    last = relaxation_with_prices(problem)
    model, constant, row_dual, covers = last.model, last.constant, last.row_dual, last.cover_rows
    columns = column_generation(problem, model, constant, row_dual, seconds=column_seconds, knapsack_seconds=None,
                                cover_rows=covers, plans=[optimum.chosen_pairs, engine.chosen_pairs])
    return {"seed": seed, "optimum": optimum.objective, "proven": optimum.status is Status.OPTIMAL,
            "proof_bound": optimum.bound, "proof_seconds": proof_time,
            "plan": engine.objective, "engine_bound": engine.bound,
            "distance": plan_distance(problem, engine.chosen_pairs, optimum.chosen_pairs),
            "lp": dual_bound(model, row_dual) + constant,
            "knapsack": park_knapsack_bound(problem, model, constant, row_dual, covers), "column": columns["bound"]}


def small_instances(count: int, size: str = "XS", time_limit: float = 60.0, proof_seconds: float | None = None,
                    first_seed: int = 0) -> int:
    """Print :func:`prove_small` for ``count`` seeds; an instance not proven is marked ``*`` and measured against
    the best plan found."""
    print(f"size {size} {SIZES[size]}, engine at {time_limit:.0f} s; each figure's distance to the optimum in brackets")
    print(f"{'seed':>4} {'optimum':>13} {'proof s':>7} {'plan':>20} {'engine bound':>20} {'LP bound':>20} "
          f"{'knapsack bound':>20} {'column bound':>20}")
    for seed in range(first_seed, first_seed + count):
        row = prove_small(size, seed, time_limit=time_limit, proof_seconds=proof_seconds)
        best = row["optimum"]

        def cell(value: float | None, best: float = best) -> str:
            return f"{'—':>20}" if value is None else f"{value:11,.0f} ({(value - best) / best:+6.2%})"

        print(f"{seed:4d} {best:12,.0f}{' ' if row['proven'] else '*'} {row['proof_seconds']:7.0f} {cell(row['plan'])} "
              f"{cell(row['engine_bound'])} {cell(row['lp'])} {cell(row['knapsack'])} {cell(row['column'])}", flush=True)
        d = row["distance"]
        print(f"     the plan differs from the optimum in {d['items']} items ({d['moved']} in another park, "
              f"{d['left_out']} that the optimum leaves out, {d['taken_in']} that only the optimum places), "
              f"across {d['parks']} of {SIZES[size][1]} parks", flush=True)
        if not row["proven"]:
            print(f"     * not proven in {row['proof_seconds']:.0f} s: HiGHS's bound {cell(row['proof_bound']).strip()}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
