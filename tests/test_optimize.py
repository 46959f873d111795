"""The engine alone: plain tables in, honest answers out (optimal vs feasible-at-time-limit, bounds, gaps)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest

from optimize import (
    AssignmentProblem,
    ProblemError,
    SolverOptions,
    Status,
    diagnose,
    greedy_plan,
    pair_indices,
    solve,
)
from optimize.orlib import gap_problem, read_gap

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "gap"


def one_bin(items: dict[str, tuple[float, float]], capacity: float, mandatory=()) -> AssignmentProblem:
    pairs = pd.DataFrame([{"item": i, "bin": "B", "score": s, "land": u} for i, (s, u) in items.items()])
    caps = pd.DataFrame({"name": ["land[B]"], "resource": ["land"], "bin": ["B"], "capacity": [capacity],
                         "label": ["bin B land"]})
    return AssignmentProblem.from_tables(pairs, caps, items=list(items), bins=["B"], mandatory=mandatory)


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_optimum_beats_greedy_where_greedy_is_myopic(solver):
    # capacity 10: greedy takes a (6 ha, 7) and then nothing fits; b + c (5 + 5 ha, 5 + 5) = 10 is optimal
    problem = one_bin({"a": (7, 6), "b": (5, 5), "c": (5, 5)}, capacity=10)
    assert problem.objective_of(greedy_plan(problem)) == 7
    solution = solve(problem, SolverOptions(solver=solver))
    assert solution.status is Status.OPTIMAL
    assert dict(solution.assignment) == {"b": "B", "c": "B"}
    assert solution.objective == 10 and solution.bound == pytest.approx(10)
    assert solution.greedy_objective == 7


def test_from_tables_rejects_inconsistent_tables():
    pairs = pd.DataFrame({"item": ["a", "a", "z"], "bin": ["B", "B", "B"], "score": [1, 2, 3], "land": [1, 1, 1]})
    caps = pd.DataFrame({"name": ["land[B]"], "resource": ["land"], "bin": ["B"], "capacity": [1.0]})
    with pytest.raises(ProblemError, match=r"unknown items: z.*appears twice"):
        AssignmentProblem.from_tables(pairs, caps, items=["a"], bins=["B"])


def test_violations_and_pair_indices():
    problem = one_bin({"a": (7, 6), "b": (5, 5)}, capacity=10, mandatory=["b"])
    assert problem.violations([0, 1]) == ["bin B land: uses 11 of 10"]
    assert problem.violations([0]) == ["mandatory item b not assigned"]
    assert pair_indices(problem, {"b": "B"}) == [1]


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_infeasible_mandatory_set_is_diagnosed(solver):
    problem = one_bin({"a": (1, 6), "b": (1, 7), "c": (9, 1)}, capacity=10, mandatory=["a", "b"])
    solution = solve(problem, SolverOptions(solver=solver))
    assert solution.status is Status.INFEASIBLE and not solution.has_plan
    diagnosis = diagnose(problem, SolverOptions(solver=solver))
    assert diagnosis.lines() == ["bin B land: short by 3 (needs 13, has 10) for mandatory items a, b"]


def random_gap(seed: int, m: int = 10, n: int = 100):
    """A Chu–Beasley type D instance: costs inversely related to use, capacities 80 % of the average load."""
    rng = np.random.default_rng(seed)
    use = rng.integers(1, 101, size=(m, n))
    cost = 111 - use + rng.integers(-10, 11, size=(m, n))
    capacity = (0.8 * use.sum(axis=1) / m).astype(int)
    return cost, use, capacity


def test_cbc_handed_the_optimum_as_its_start_still_proves_it():
    """CBC given an optimal start on a small GAP stops at once ("The LP relaxation is infeasible or too
    expensive", no search), which proves nothing; it is asked again without the start and proves the plan."""
    cost, use, capacity = random_gap(0, m=3, n=10)
    problem = gap_problem(cost, use, capacity, maximise=False)
    optimum = solve(problem, SolverOptions(solver="highs", gap=0, search=0))
    assert optimum.status is Status.OPTIMAL
    solution = solve(problem, SolverOptions(solver="cbc", gap=0, search=0), start=list(optimum.chosen_pairs))
    assert solution.status is Status.OPTIMAL and solution.objective == optimum.objective
    assert "not proven" not in solution.solver_message


def test_an_interrupted_cbc_solve_leaves_no_files(tmp_path, monkeypatch):
    """PuLP writes the model, start and solution files for CBC in the system's temporary folder and removes them
    only when the solve returns: Ctrl-C during a CBC solve left 2 MB of them in /tmp. They go into the solve's own
    temporary folder now, removed however the solve ends."""
    import tempfile

    def interrupted(self, lp, use_mps=True):
        for path in self.create_tmp_files(lp.name, "lp", "mps", "sol", "mst"):
            Path(path).write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(pulp.COIN_CMD, "solve_CBC", interrupted)
    problem = gap_problem(*random_gap(0, m=3, n=10), maximise=False)
    with pytest.raises(KeyboardInterrupt):
        solve(problem, SolverOptions(solver="cbc", gap=0, search=0))
    assert list(scratch.iterdir()) == []


def test_cbc_asked_again_keeps_the_first_runs_better_plan(monkeypatch):
    """When CBC stopped in its root LP and the run without the start ends with a worse plan, the first run's
    plan (better than the start) is the one reported. Both CBC runs are faked: the first leaves the optimum,
    the second nothing at all."""
    solve_module = importlib.import_module("optimize.solve")  # (the package's `solve` is the function)
    problem = one_bin({"a": (5, 4), "b": (6, 5), "c": (8, 6)}, capacity=10)  # (score, land)
    optimum = solve(problem, SolverOptions(solver="highs", gap=0, search=0))
    assert optimum.assignment == {"a": "B", "c": "B"}
    start = [problem.items.index("b")]  # one pair per item: b alone, worth 6 against 13
    runs = []

    def fake_run(prob, options, seconds, *, warm):
        runs.append(warm)
        chosen = set(optimum.chosen_pairs) if warm else set()
        for var in prob.variables():  # x_<pair>
            var.varValue = 1.0 if var.name.startswith("x_") and int(var.name[2:]) in chosen else 0.0
        prob.status = pulp.LpStatusOptimal if warm else pulp.LpStatusNotSolved
        prob.sol_status = pulp.LpSolutionOptimal if warm else pulp.LpSolutionNoSolutionFound
        return solve_module._CBC_ROOT_STOPPED if warm else "Stopped on time"

    monkeypatch.setattr(solve_module, "_run_cbc", fake_run)
    solution = solve(problem, SolverOptions(solver="cbc", gap=0, search=0, time_limit=30), start=start)
    assert runs == [True, False]
    assert solution.objective == pytest.approx(optimum.objective) and solution.source == "solver"
    assert solution.status is Status.FEASIBLE  # the first run's plan is not proven


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_a_time_limited_solve_is_not_called_optimal(solver):
    cost, use, capacity = random_gap(7, m=20, n=200)
    problem = gap_problem(cost, use, capacity, maximise=False)
    solution = solve(problem, SolverOptions(solver=solver, time_limit=1.0))
    assert solution.status is Status.FEASIBLE
    assert solution.gap is not None and solution.gap > 1e-4
    assert solution.bound >= solution.objective
    assert problem.violations(solution.chosen_pairs) == []


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/benchmarks is not beside the project")
@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_or_library_gap1_optima_both_senses(solver):
    values = pd.read_csv(SHARED / "gap_values.csv").set_index("instance")
    for k, (cost, use, capacity) in enumerate(read_gap(SHARED / "orlib" / "gap1.txt")[:2], start=1):
        expected = values.loc[f"c515-{k}"]
        best = solve(gap_problem(cost, use, capacity, maximise=True), SolverOptions(solver=solver, gap=0))
        assert best.status is Status.OPTIMAL and best.objective == expected["max_value"]
        least = solve(gap_problem(cost, use, capacity, maximise=False), SolverOptions(solver=solver, gap=0))
        assert least.status is Status.OPTIMAL and -least.objective == expected["min_value"]


def one_chain_only() -> AssignmentProblem:
    """One park that may host one chain: a (chain c0, score 7) or b (c1, score 5), though both fit its land. The
    greedy plan takes a, 7; the LP relaxation has no chain rows, 7 + 5 = 12."""
    from optimize import Classes

    return one_bin({"a": (7, 1), "b": (5, 1)}, capacity=10).with_extras(
        classes=Classes(("c0", "c1"), np.array([0, 1]), per_bin_limit=np.array([1.0])))


def test_a_solve_without_a_plan_is_never_called_optimal(monkeypatch):
    """If the solver ends without a plan (here: it is made to), the start is reported as merely feasible."""
    import pulp

    problem = one_chain_only()

    def no_plan(self, solver=None, **kwargs):
        self.status, self.sol_status = pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound
        return self.status

    monkeypatch.setattr(pulp.LpProblem, "solve", no_plan)
    solution = solve(problem, SolverOptions(solver="cbc", time_limit=5, search=0))
    assert solution.status is Status.FEASIBLE
    # the bound is the LP relaxation's, which has no chain rows: 7 + 5
    assert solution.bound == pytest.approx(12) and solution.gap == pytest.approx(5 / 12)
    assert solution.source == "greedy" and solution.objective == 7


def extras_problem(seed: int) -> AssignmentProblem:
    """A small problem with every family: classes (caps and opening cost), links (same bin and near), side rows."""
    from optimize import Classes, Links, SideRow

    rng = np.random.default_rng(seed)
    items, bins = [f"i{n}" for n in range(14)], [f"b{n}" for n in range(4)]
    rows = [{"item": i, "bin": b, "score": float(rng.integers(5, 40)), "land": float(rng.integers(2, 9))}
            for i in items for b in bins if rng.random() < 0.7]
    caps = pd.DataFrame({"name": [f"land[{b}]" for b in bins] + ["land[b0+b1]"] * 2, "resource": "land",
                         "bin": [*bins, "b0", "b1"], "capacity": [14.0, 12.0, 16.0, 10.0, 20.0, 20.0]})
    base = AssignmentProblem.from_tables(pd.DataFrame(rows), caps, items=items, bins=bins, mandatory=["i0", "i1"])
    distance = rng.integers(10, 90, size=(4, 4)).astype(float)
    distance = np.minimum(distance, distance.T)
    np.fill_diagonal(distance, 0.0)
    a, b = rng.choice(14, size=(2, 12))
    keep = a != b
    links = Links(tuple(f"l{n}" for n in range(int(keep.sum()))), a[keep], b[keep],
                  rng.integers(3, 20, size=int(keep.sum())).astype(float),
                  rng.choice([0.0, 40.0, 60.0], size=int(keep.sum())), distance)
    classes = Classes(("c0", "c1", "c2"), base.pair_item % 3, np.array([2, 1, 2, 2]), np.array([3.0, np.inf, 2.0]), 4.0)
    side = SideRow("floor", "a floor", np.flatnonzero(base.pair_bin == 3), np.ones(int((base.pair_bin == 3).sum())),
                   ">=", 1.0)
    cap = SideRow("few", "at most one item in b0", np.flatnonzero(base.pair_bin == 0),
                  np.ones(int((base.pair_bin == 0).sum())), "<=", 1.0)
    return base.with_extras(classes=classes, links=links, side_rows=[side, cap])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_in_memory_highs_model_is_the_pulp_model(seed):
    """optimize.matrix builds the same model as optimize.model: equal LP relaxations, equal MIP optima."""
    import pulp
    from pulp.apis.coin_api import pulp_cbc_path

    from optimize._quiet import quiet_stdout
    from optimize.matrix import build_matrix, solve_matrix
    from optimize.model import build_model

    problem = extras_problem(seed)
    with quiet_stdout():
        lp = solve_matrix(build_matrix(problem, relax=True), time_limit=30)
        model = build_model(problem, relax=True)
        model.prob.solve(pulp.COIN_CMD(path=pulp_cbc_path, msg=False))
    assert lp.status == "optimal"
    assert lp.objective == pytest.approx(pulp.value(model.prob.objective), rel=1e-7)
    cbc = solve(problem, SolverOptions(solver="cbc", gap=0, search=0))
    highs = solve(problem, SolverOptions(solver="highs", gap=0, search=0))
    assert cbc.status is highs.status is Status.OPTIMAL
    assert highs.objective == pytest.approx(cbc.objective) and highs.bound == pytest.approx(highs.objective)
    assert not problem.violations(highs.chosen_pairs)


def test_highs_without_a_plan_reports_the_start_as_feasible(monkeypatch):
    solve_module = importlib.import_module("optimize.solve")  # the module (optimize.solve is the function)
    from optimize.matrix import HighsResult

    monkeypatch.setattr(solve_module, "solve_matrix",
                        lambda *args, **kwargs: HighsResult("no_solution", None, None, None, "Interrupted by user"))
    problem = one_chain_only()
    solution = solve(problem, SolverOptions(solver="highs", time_limit=5, search=0))
    assert solution.status is Status.FEASIBLE and solution.source == "greedy"
    assert solution.objective == 7 and "Interrupted" in solution.solver_message
    assert solution.bound == pytest.approx(12) and any("LP relaxation" in note for note in solution.notes)


def test_guarded_highs_answers_like_highs_and_is_stopped_when_it_overruns():
    from optimize.matrix import build_matrix, solve_matrix, solve_matrix_guarded

    model = build_matrix(extras_problem(4))
    direct = solve_matrix(model, time_limit=30, gap=0)
    guarded = solve_matrix_guarded(model, time_limit=30, gap=0)
    assert guarded.status == direct.status == "optimal" and guarded.objective == pytest.approx(direct.objective)
    # no time at all: the child (still starting) is stopped and the solve counts as one without a plan
    stopped = solve_matrix_guarded(model, time_limit=0.0, grace=0.0, gap=0)
    assert stopped.status == "no_solution" and stopped.values is None and "overran" in stopped.message


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_no_eligible_pair_at_all_is_the_empty_optimal_plan(solver):
    pairs = pd.DataFrame({"item": pd.Series([], dtype=str), "bin": pd.Series([], dtype=str),
                          "score": pd.Series([], dtype=float), "land": pd.Series([], dtype=float)})
    caps = pd.DataFrame({"name": ["land[B]"], "resource": ["land"], "bin": ["B"], "capacity": [10.0]})
    solution = solve(AssignmentProblem.from_tables(pairs, caps, items=["a"], bins=["B"]),
                     SolverOptions(solver=solver, time_limit=5))
    assert solution.status is Status.OPTIMAL and solution.objective == 0 and solution.assignment == {}


def test_local_branching_leaves_a_myopic_plan_for_the_optimum():
    from optimize.improve import local_branching

    problem = one_bin({"a": (7, 6), "b": (5, 5), "c": (5, 5)}, capacity=10)
    start = greedy_plan(problem)
    assert problem.objective_of(start) == 7  # a alone: greedy's choice
    # three changes are needed (a out, b and c in); from radius 1 the search widens until it finds them
    best = local_branching(problem, start, seconds=5, radius=1)
    assert problem.objective_of(best) == 10 and not problem.violations(best)


def test_park_neighbourhoods_start_from_single_parks_and_widen_when_a_pass_finds_nothing(monkeypatch):
    """a is worth 6 in P and 4 in Q, b 5 in P only; P has room for one of them, Q for a.

    From the plan a→P (6), a single park cannot help: P alone keeps a (6 > 5) and Q alone has nothing
    to take. The pair {P, Q} moves a to Q and puts b in P: 4 + 5 = 9, the optimum.
    """
    from optimize import improve as improve_module

    pairs = pd.DataFrame({"item": ["a", "a", "b"], "bin": ["P", "Q", "P"], "score": [6.0, 4.0, 5.0], "land": 1.0})
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": "land", "bin": ["P", "Q"], "capacity": [1.0, 1.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["a", "b"], bins=["P", "Q"])
    assert improve_module.neighbourhoods(problem, 1) == [(0,), (1,)]
    start = greedy_plan(problem)
    assert problem.objective_of(start) == 6
    monkeypatch.setattr(improve_module, "LOCAL_BRANCHING_ROWS", 0)  # park neighbourhoods alone
    parks = improve_module._Parks(problem, 1, threads=1)
    assert parks.step(start, 6.0, 5.0) is None and parks.step(start, 6.0, 5.0) is None  # P, then Q: nothing
    best = parks.step(start, 6.0, 5.0)  # the pass found nothing: the neighbourhood widens to both parks
    assert parks.current == 2 and problem.objective_of(best) == 9 and not problem.violations(best)
    assert problem.objective_of(improve_module.improve(problem, start, seconds=5)) == 9


def test_a_neighbourhood_found_dry_is_not_solved_again_until_its_sub_mip_changes(monkeypatch):
    """The a/b example above: park P alone, from a→P, finds nothing (a is worth more there than b). Asked again
    with the same plan, the same sub-MIP is not solved again; from a→Q, P's sub-MIP differs (b is free
    for it, a fixed in Q) and is solved: b→P, 9."""
    from optimize import improve as improve_module
    from optimize.matrix import HighsResult

    pairs = pd.DataFrame({"item": ["a", "a", "b"], "bin": ["P", "Q", "P"], "score": [6.0, 4.0, 5.0], "land": 1.0})
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": "land", "bin": ["P", "Q"], "capacity": [1.0, 1.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["a", "b"], bins=["P", "Q"])
    solved = []
    real = improve_module.solve_matrix
    monkeypatch.setattr(improve_module, "solve_matrix", lambda *a, **k: solved.append(1) or real(*a, **k))
    dry: dict = {}
    a_in_p, a_in_q = problem.pair_of()[("a", "P")], problem.pair_of()[("a", "Q")]
    assert improve_module._reoptimise(problem, {a_in_p}, {0}, 5.0, dry=dry, key="P") is None and len(solved) == 1
    assert improve_module._reoptimise(problem, {a_in_p}, {0}, 5.0, dry=dry, key="P") is improve_module._UNCHANGED
    assert len(solved) == 1
    better = improve_module._reoptimise(problem, {a_in_q}, {0}, 5.0, dry=dry, key="P")
    assert len(solved) == 2 and problem.objective_of(sorted(better)) == 9
    # a timed sub-MIP stopped before its proof might find more another time: it is not remembered
    monkeypatch.setattr(improve_module, "solve_matrix", lambda model, **k: solved.append(1) or HighsResult(
        "feasible", k["start"], None, None, "time limit"))
    dry.clear()
    for _ in range(2):
        assert improve_module._reoptimise(problem, {a_in_p}, {0}, 5.0, dry=dry, key="P") is None
    assert len(solved) == 4 and not dry


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_neighbourhood_scores_every_plan_as_the_whole_problem_does(seed):
    """restrict(): whatever the freed items do, the sub-problem's objective differs from the whole plan's by
    the same constant (what the fixed items earn), links to fixed items included, with one-way travel times."""
    from dataclasses import replace

    from optimize.improve import restrict

    problem = extras_problem(seed)
    rng = np.random.default_rng(seed)
    one_way = rng.integers(10, 90, size=(4, 4)).astype(float)  # not symmetric: a→b and b→a differ
    np.fill_diagonal(one_way, 0.0)
    problem = replace(problem, links=replace(problem.links, distance=one_way))
    plan = set(greedy_plan(problem))
    for group, cap in (({0}, None), ({1, 2}, None), ({3}, None), ({0}, 1), ({1, 2}, 2)):
        sub, keep, current, fixed = restrict(problem, plan, group, max_unplaced=cap)
        assert fixed | {int(keep[k]) for k in current} == plan  # the freed items' current pairs give the plan back
        differences = [problem.objective_of(sorted(plan)) - sub.objective_of(current)]
        for _ in range(30):
            picked, used = [], set()
            for k in rng.permutation(sub.n_pairs).tolist():
                if rng.random() < 0.5 and int(sub.pair_item[k]) not in used:
                    picked.append(k)
                    used.add(int(sub.pair_item[k]))
            whole = sorted(fixed | {int(keep[k]) for k in picked})
            differences.append(problem.objective_of(whole) - sub.objective_of(picked))
        assert np.ptp(differences) == pytest.approx(0.0, abs=1e-9), group


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_fixing_items_keeps_every_constraint_and_score(seed):
    """fix_items(): for any way the free items move, the sub-problem's objective differs from the whole
    plan's by one constant (the links between fixed items), and a sub-plan violates nothing exactly when
    the whole plan violates nothing (chain caps and costs, a two-park cap, side rows, links)."""
    from optimize.improve import fix_items

    problem = extras_problem(seed)
    rng = np.random.default_rng(seed)
    plan = np.array(solve(problem, SolverOptions(solver="highs", search=0)).chosen_pairs, dtype=np.int64)
    free = np.zeros(len(problem.items), dtype=bool)
    free[rng.choice(len(problem.items), size=6, replace=False)] = True
    sub, keep = fix_items(problem, plan, free)
    position = {int(k): n for n, k in enumerate(keep)}
    now = {int(problem.pair_item[k]): position[int(k)] for k in plan}
    differences, feasible = [], 0
    for _ in range(400):
        picked = [position[int(k)] for k in plan if not free[problem.pair_item[k]]]  # fixed items stay
        for i in np.flatnonzero(free).tolist():
            options = [n for n in range(sub.n_pairs) if sub.pair_item[n] == i]
            if i in now and rng.random() < 0.5:
                picked.append(now[i])
            elif options and (problem.mandatory[i] or rng.random() < 0.7):
                picked.append(int(rng.choice(options)))
        whole = sorted(int(keep[n]) for n in picked)
        assert bool(sub.violations(picked)) == bool(problem.violations(whole))
        if not problem.violations(whole):
            feasible += 1
            differences.append(problem.objective_of(whole) - sub.objective_of(picked))
    assert feasible >= 5
    assert np.ptp(differences) == pytest.approx(0.0, abs=1e-9)
    # the fixing itself: a fixed placed item keeps only its pair and must stay; a free item keeps all its pairs
    current = np.zeros(problem.n_pairs, dtype=bool)
    current[plan] = True
    assert keep.tolist() == np.flatnonzero(free[problem.pair_item] | current).tolist()
    assert sub.mandatory[problem.pair_item[plan[~free[problem.pair_item[plan]]]]].all()
    assert len(sub.links.a) == int((free[problem.links.a] | free[problem.links.b]).sum())
    # and the sub-problem's optimum is the whole problem's with the fixed items' columns pinned
    from dataclasses import replace

    from optimize._quiet import quiet_stdout
    from optimize.matrix import build_matrix, solve_matrix

    best = solve(sub, SolverOptions(solver="highs", gap=0, search=0))
    model = build_matrix(problem)
    lower, upper = model.col_lower.copy(), model.col_upper.copy()
    pinned = ~free[problem.pair_item]
    upper[: problem.n_pairs][pinned & ~current] = 0.0
    lower[: problem.n_pairs][pinned & current] = 1.0
    with quiet_stdout():
        whole = solve_matrix(replace(model, col_lower=lower, col_upper=upper), time_limit=30, gap=0)
    assert whole.status == "optimal" and best.status is Status.OPTIMAL
    from_sub = sorted(int(keep[n]) for n in best.chosen_pairs)
    assert problem.objective_of(from_sub) == pytest.approx(whole.objective, abs=1e-6)


def test_item_neighbourhood_moves_items_between_parks():
    """P and Q have 10 ha each. A (6 ha, score 6) fits either; C (5 ha, 5) only P; D (4 ha, 4) only Q.
    The plan A in P, D in Q (10) leaves C out, and neither park re-packed alone with the unplaced C can do
    better (P: A or C, not both; Q: C is not eligible). Freeing A and D over both parks moves A to Q
    beside D and lets C into P: 15, the optimum."""
    from optimize.improve import _Items, _reoptimise

    pairs = pd.DataFrame({"item": ["A", "A", "C", "D"], "bin": ["P", "Q", "P", "Q"], "score": [6.0, 6.0, 5.0, 4.0],
                          "land": [6.0, 6.0, 5.0, 4.0]})
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": "land", "bin": ["P", "Q"],
                         "capacity": [10.0, 10.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["A", "C", "D"], bins=["P", "Q"])
    plan = [0, 3]
    assert problem.objective_of(plan) == 10.0 and not problem.violations(plan)
    assert _reoptimise(problem, set(plan), {0}, 5.0) is None and _reoptimise(problem, set(plan), {1}, 5.0) is None
    better = _Items(problem, threads=1, size=2).step(plan, 10.0, 5.0)
    assert better == [1, 2, 3] and problem.objective_of(better) == 15.0


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_a_capacity_row_that_lists_its_park_twice_counts_it_once(solver):
    # a capacity table put together by concatenation may repeat a (name, bin) row: 2 ha of 3 is no violation
    pairs = pd.DataFrame({"item": ["a"], "bin": ["P"], "score": [5.0], "land": [2.0]})
    caps = pd.DataFrame({"name": ["land[P]"] * 2, "resource": "land", "bin": ["P", "P"], "capacity": [3.0, 3.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["a"], bins=["P"])
    assert problem.capacities[0].bins == (0,) and problem.violations([0]) == []
    solution = solve(problem, SolverOptions(solver=solver, time_limit=10))
    assert solution.status is Status.OPTIMAL and solution.objective == 5.0


def test_guarded_highs_works_from_a_script_without_a_main_guard(tmp_path):
    """The child is a fresh interpreter: a caller's top-level script is not re-run (multiprocessing would)."""
    import subprocess
    import sys

    script = tmp_path / "plain_script.py"
    script.write_text(
        "import pandas as pd\n"
        "from optimize import AssignmentProblem\n"
        "from optimize.matrix import build_matrix, solve_matrix_guarded\n"
        "pairs = pd.DataFrame({'item': ['a', 'b', 'c'], 'bin': 'B', 'score': [7.0, 5.0, 5.0], 'land': [6.0, 5.0, 5.0]})\n"
        "caps = pd.DataFrame({'name': ['land[B]'], 'resource': ['land'], 'bin': ['B'], 'capacity': [10.0]})\n"
        "problem = AssignmentProblem.from_tables(pairs, caps, items=['a', 'b', 'c'], bins=['B'])\n"
        "print('objective', solve_matrix_guarded(build_matrix(problem), time_limit=30, gap=0).objective)\n",
        encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1], check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "objective 10.0"


def test_shadow_prices_are_left_empty_when_the_lp_does_not_finish(monkeypatch):
    from optimize import duals
    from optimize.matrix import HighsResult

    problem = one_bin({"a": (7, 6), "b": (5, 5), "c": (5, 5)}, capacity=10)
    assert shadow_prices_of(problem)["land[B]"] == pytest.approx(1.0)  # b and c fill B: one more unit of land is worth 1
    monkeypatch.setattr(duals, "solve_matrix", lambda *a, **k: HighsResult("feasible", None, None, None, "Time limit"))
    assert np.isnan(shadow_prices_of(problem)["land[B]"])


def shadow_prices_of(problem: AssignmentProblem) -> dict[str, float]:
    from optimize import shadow_prices

    best = solve(problem, SolverOptions(solver="highs", gap=0)).chosen_pairs
    return dict(zip(*shadow_prices(problem, best, time_limit=10).loc[:, ["row", "shadow_price"]].T.values, strict=True))


def test_a_park_neighbourhood_frees_the_densest_unplaced_items():
    """restrict(max_unplaced=2): of three unplaced projects the two with the most score per share of P's land
    (c 9 per 3 ha, a 8 per 4 ha; not b, 5 per 5 ha) are freed, with the project already in P; d, only
    eligible in Q, is never freed in P's neighbourhood."""
    from optimize.improve import restrict

    pairs = pd.DataFrame({"item": ["a", "b", "c", "p", "d"], "bin": ["P", "P", "P", "P", "Q"],
                          "score": [8.0, 5.0, 9.0, 1.0, 4.0], "land": [4.0, 5.0, 3.0, 1.0, 1.0]})
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": "land", "bin": ["P", "Q"], "capacity": [5.0, 5.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["a", "b", "c", "p", "d"], bins=["P", "Q"])
    plan = {3}  # p in P
    sub, keep, current, fixed = restrict(problem, plan, {0}, max_unplaced=2)
    assert sub.n_pairs == 3
    assert sorted(problem.items[int(problem.pair_item[k])] for k in keep) == ["a", "c", "p"]
    assert fixed == set() and [int(keep[k]) for k in current] == [3]
    everything, *_ = restrict(problem, plan, {0})
    assert everything.n_pairs == 4


def test_a_reproducible_solve_does_not_depend_on_the_clock(monkeypatch):
    """``steps``: the same plan whatever the clock says. A second solve runs under a clock that jumps 7 s at every
    reading (any decision taken on seconds, a deadline or a stall, would change the plan) and gives the same."""
    import importlib.util
    import time

    spec = importlib.util.spec_from_file_location("synthetic", Path(__file__).resolve().parents[1] / "bench" / "synthetic.py")
    synthetic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic)
    problem = synthetic.make_instance("QS")  # 75 projects × 10 parks, 150 links: not proven in this budget
    options = SolverOptions(solver="highs", steps=30)
    assert options.time_limit is None
    first = solve(problem, options)
    assert first.status is Status.FEASIBLE and "neighbourhood search raised" in " ".join(first.notes)
    ticks = iter(range(0, 10**9, 7))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(ticks)))
    second = solve(problem, options)
    assert second.chosen_pairs == first.chosen_pairs and second.objective == first.objective
    with pytest.raises(ValueError, match="needs the highs solver"):
        SolverOptions(solver="cbc", steps=30)


def test_a_baseline_start_does_not_let_one_committed_project_crowd_out_another():
    from optimize.problem import CapacityRow
    from siting.plan import baseline_start

    # A and B are committed; each park has room for one. A may go to P1 (4) or P2 (5), B only to P1. The
    # baseline had A in P1: kept there, it would leave B nowhere. The start places both (A in P2, B in P1)
    problem = AssignmentProblem(
        items=("A", "B"), bins=("P1", "P2"), pair_item=np.array([0, 0, 1]), pair_bin=np.array([0, 1, 0]),
        pair_score=np.array([4.0, 5.0, 3.0]), pair_use={"slot": np.ones(3)},
        capacities=(CapacityRow("slot[P1]", "slot", (0,), 1.0), CapacityRow("slot[P2]", "slot", (1,), 1.0)),
        mandatory=np.array([True, True]))
    start, note = baseline_start(problem, {"A": "P1"})
    assert start is not None and sorted(start) == [1, 2]
    assert note.startswith("started from the baseline's plan: 0 of its 1 placements kept")


def test_a_reproducible_solve_of_a_large_problem_relaxes_fewer_rounds(monkeypatch):
    """The rounds of a reproducible solve are counted, not timed; at province scale ten of them took 620 s, so a
    problem of more than RELAX_COUNTED_LARGE_PAIRS pairs has RELAX_ROUNDS_COUNTED_LARGE."""
    solve_module = importlib.import_module("optimize.solve")
    asked = []
    real = solve_module.relax

    def spy(problem, **kwargs):
        asked.append(kwargs["max_rounds"])
        return real(problem, **kwargs)

    monkeypatch.setattr(solve_module, "relax", spy)
    problem = gap_problem(*random_gap(0, m=3, n=10), maximise=True)
    options = SolverOptions(solver="highs", steps=5)
    solve(problem, options)
    monkeypatch.setattr(solve_module, "RELAX_COUNTED_LARGE_PAIRS", problem.n_pairs - 1)
    solve(problem, options)
    assert asked == [solve_module.RELAX_ROUNDS_COUNTED, solve_module.RELAX_ROUNDS_COUNTED_LARGE]
