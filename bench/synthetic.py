"""Synthetic siting instances shaped like real ones, and our engine against an analyst's first model.

Instances (deterministic, ``numpy.random.default_rng(seed)``): parks at random points of a 300 km square
(minutes = km × 1.3 ÷ 60 km/h × 60), 10 chains, project land log-normal around 12 ha (2–60 ha), output
roughly proportional to land, energy and emissions by chain intensity; each project eligible in 20–40 %
of the parks; candidate land demand 1.5 × the free land and energy 1.3 × the quotas; 3–5 chains per park;
supplier links inside and across chains with limits of 0, 30, 45, 60 or 90 minutes.

Sizes: XS 40 projects × 5 parks, 80 links and QS 75 × 10, 150 links (a quarter of S; both small enough to
prove, QS in minutes); S 300 projects × 40 parks, 600 links; M 1,000 × 100, 3,000; L 3,000 × 200, 10,000.

Methods, each in its own process (peak memory includes the CBC child process), at the same time budget:
- ``ours``: ``optimize.solve`` (LP relaxation with link cuts for the bound and a rounded start, the
  solver until its gap stalls, adaptive neighbourhood search after);
- ``analyst``: the same PuLP formulation (a binary per eligible pair, per-park link linearisation, chains
  per park), solved by the same solver with default settings, no start, no search;
- ``greedy``: the greedy plan alone.

    python bench/synthetic.py --sizes S --solvers highs cbc --time-limit 60
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

SIZES = {"XS": (40, 5, 80), "QS": (75, 10, 150), "S": (300, 40, 600), "M": (1000, 100, 3000), "L": (3000, 200, 10000)}


def make_instance(size: str, seed: int = 20261128):
    """An :class:`optimize.AssignmentProblem` with chains and links (no geography needed)."""
    from optimize import AssignmentProblem, Classes, Links

    n_items, n_bins, n_links = SIZES[size]
    rng = np.random.default_rng(seed)
    n_chains = 10
    xy = rng.uniform(0, 300, size=(n_bins, 2))
    minutes = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 1.3
    chain = rng.integers(0, n_chains, n_items)
    land = np.clip(rng.lognormal(np.log(12), 0.7, n_items), 2, 60)
    output = land * 15 * rng.uniform(400, 1200, n_items)  # 万元/yr: 400–1,200 万元 per 亩
    energy = output * rng.uniform(0.02, 0.3, n_chains)[chain]
    emission = energy * rng.uniform(2.5, 2.7, n_items)
    value = 0.1 * output + 0.06 * output  # output weight 0.1, tax ≈ 6 % of output
    leading = rng.random((n_bins, n_chains)) < 0.2
    share = rng.uniform(0.2, 0.4, n_items)
    eligible = rng.random((n_items, n_bins)) < share[:, None]
    eligible[np.arange(n_items), rng.integers(0, n_bins, n_items)] = True
    items, bins = [f"X{i}" for i in range(n_items)], [f"P{b}" for b in range(n_bins)]
    ii, bb = np.nonzero(eligible)
    score = value[ii] * (1 + 0.15 * leading[bb, chain[ii]])
    pairs = pd.DataFrame({"item": np.array(items)[ii], "bin": np.array(bins)[bb], "score": score,
                          "land": land[ii], "energy": energy[ii], "emission": emission[ii]})
    weights = rng.uniform(0.5, 1.5, n_bins)
    caps = {"land": land.sum() / 1.5, "energy": energy.sum() / 1.3, "emission": emission.sum() / 1.3}
    rows = [(f"{r}[{b}]", r, b, total * w / weights.sum()) for r, total in caps.items() for b, w in zip(bins, weights, strict=True)]
    capacities = pd.DataFrame(rows, columns=["name", "resource", "bin", "capacity"])
    problem = AssignmentProblem.from_tables(pairs, capacities, items=items, bins=bins, name=f"synthetic-{size}")
    a = rng.integers(0, n_items, n_links)
    same = rng.random(n_links) < 0.7
    b = np.where(same, -1, rng.integers(0, n_items, n_links))
    for n in np.flatnonzero(same):  # a customer in the same chain where one exists
        candidates = np.flatnonzero(chain == chain[a[n]])
        b[n] = rng.choice(candidates)
    keep = a != b
    a, b = a[keep], b[keep]
    link_value = 0.2 * np.minimum(output[a], output[b]) * rng.uniform(0.2, 1.0, len(a))
    links = Links(names=tuple(f"L{n}" for n in range(len(a))), a=a, b=b, reward=0.1 * link_value,
                  limit=rng.choice([0, 30, 45, 60, 90], len(a)).astype(float), distance=minutes)
    classes = Classes(names=tuple(f"c{c}" for c in range(n_chains)), pair_class=chain[ii],
                      per_bin_limit=rng.integers(3, 6, n_bins).astype(float))
    return problem.with_extras(classes=classes, links=links)


def run_one(size: str, method: str, solver: str, time_limit: float) -> dict:
    """Build and solve one instance with one method; returns the measurements."""
    import pulp

    from optimize import SolverOptions, greedy_plan, solve
    from optimize._quiet import quiet_stdout
    from optimize.model import build_model

    problem = make_instance(size)
    t0 = time.perf_counter()
    if method == "greedy":
        plan = greedy_plan(problem)
        return {"objective": problem.objective_of(plan), "bound": None, "build_s": 0.0,
                "solve_s": time.perf_counter() - t0, "status": "heuristic"}
    if method == "ours":
        sol = solve(problem, SolverOptions(solver=solver, time_limit=time_limit, gap=1e-4))
        return {"objective": sol.objective, "bound": sol.bound, "build_s": sol.build_seconds,
                "solve_s": sol.solve_seconds + sol.search_seconds, "status": sol.status.value}
    model = build_model(problem)
    build = time.perf_counter() - t0
    if solver == "cbc":
        from pulp.apis.coin_api import pulp_cbc_path

        engine = pulp.COIN_CMD(path=pulp_cbc_path, msg=False, timeLimit=time_limit, threads=1)
    else:
        engine = pulp.HiGHS(msg=False, timeLimit=time_limit, threads=1)
    t1 = time.perf_counter()
    with quiet_stdout():
        model.prob.solve(engine)
    solve_s = time.perf_counter() - t1
    plan = [k for k, var in enumerate(model.x) if (var.varValue or 0) > 0.5]
    has_plan = model.prob.sol_status in (1, 2) and not problem.violations(plan)
    bound = None
    if has_plan and solver == "highs":
        bound = -float(model.prob.solverModel.getInfo().mip_dual_bound)
    return {"objective": problem.objective_of(plan) if has_plan else None, "bound": bound, "build_s": build,
            "solve_s": solve_s, "status": {1: "optimal", 2: "feasible"}.get(model.prob.sol_status, "no plan")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["S"], choices=sorted(SIZES))
    parser.add_argument("--solvers", nargs="+", default=["highs", "cbc"], choices=["highs", "cbc"])
    parser.add_argument("--methods", nargs="+", default=["ours", "analyst", "greedy"])
    parser.add_argument("--time-limit", type=float, default=None, help="default: S 60, M 120, L 300 seconds")
    parser.add_argument("--one", nargs=4, metavar=("SIZE", "METHOD", "SOLVER", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        size, method, solver, seconds = args.one
        result = run_one(size, method, solver, float(seconds))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(json.dumps({**result, "peak_mib": peak / 1024}))
        return 0
    budget = {"XS": 60.0, "QS": 60.0, "S": 60.0, "M": 120.0, "L": 300.0}
    print(f"{'size':4} {'solver':6} {'method':8} {'objective':>14} {'bound':>14} {'gap':>8} {'build s':>8} "
          f"{'solve s':>8} {'peak MiB':>9} status")
    for size in args.sizes:
        limit = args.time_limit or budget[size]
        for solver in args.solvers:
            for method in args.methods:
                if method == "greedy" and solver != args.solvers[0]:
                    continue
                cap = 2 * limit + 120  # the analyst's PuLP + HiGHS overruns its limit in presolve on M and L
                try:
                    proc = subprocess.run([sys.executable, __file__, "--one", size, method, solver, str(limit)],
                                          capture_output=True, text=True, check=False, timeout=cap)
                except subprocess.TimeoutExpired:
                    print(f"{size:4} {solver:6} {method:8} stopped after {cap:.0f} s: overran its {limit:.0f} s limit",
                          flush=True)
                    continue
                if proc.returncode:
                    print(f"{size:4} {solver:6} {method:8} failed: {proc.stderr.strip()[-300:]}")
                    continue
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                gap = (r["bound"] - r["objective"]) / abs(r["bound"]) if r["bound"] and r["objective"] else None
                print(f"{size:4} {solver:6} {method:8} {r['objective'] or float('nan'):14,.0f} "
                      f"{r['bound'] or float('nan'):14,.0f} {'' if gap is None else f'{gap:.2%}':>8} "
                      f"{r['build_s']:8.1f} {r['solve_s']:8.1f} {r['peak_mib']:9.0f} {r['status']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
