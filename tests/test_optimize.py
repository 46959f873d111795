"""The engine alone: plain tables in, honest answers out (optimal vs feasible-at-time-limit, bounds, gaps)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
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


def test_a_solve_without_a_plan_is_never_called_optimal(monkeypatch):
    """If the solver ends without a plan (here: it is made to), the start is reported as merely feasible."""
    import pulp

    problem = one_bin({"a": (7, 6), "b": (5, 5), "c": (5, 5)}, capacity=10)

    def no_plan(self, solver=None, **kwargs):
        self.status, self.sol_status = pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound
        return self.status

    monkeypatch.setattr(pulp.LpProblem, "solve", no_plan)
    solution = solve(problem, SolverOptions(solver="cbc", time_limit=5, search=0))
    assert solution.status is Status.FEASIBLE
    assert solution.bound is None and solution.gap is None
    assert solution.source == "greedy" and solution.objective == 7
