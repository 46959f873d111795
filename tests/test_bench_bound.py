"""bench/bound_gap.py: the park-knapsack bound is a bound, and at least as tight as the LP relaxation's."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from optimize import SolverOptions, Status, solve
from optimize.relax import dual_bound
from tests.test_optimize import extras_problem

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "bound_gap.py"


@pytest.fixture(scope="module")
def bound_gap():
    spec = importlib.util.spec_from_file_location("bound_gap", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_park_knapsack_bound_lies_between_the_optimum_and_the_lp(bound_gap, seed):
    problem = extras_problem(seed)  # every family: chain caps and costs, links, side rows, a two-park cap
    optimum = solve(problem, SolverOptions(solver="highs", gap=0, search=0))
    assert optimum.status is Status.OPTIMAL
    model, constant, row_dual, _ = bound_gap.relaxation_with_prices(problem)
    lp = dual_bound(model, row_dual) + constant
    knapsack = bound_gap.park_knapsack_bound(problem, model, constant, row_dual)
    assert optimum.objective <= knapsack + 1e-6 <= lp + 2e-6


def test_integer_parks_tighten_the_bound(bound_gap):
    """One park of 10 ha, items of 6 ha (score 6) and 5 ha (score 4.5): the LP fills the park with
    6 + 4/5 · 4.5 = 9.6; a park holds one item only, so the knapsack bound is the optimum, 6."""
    import pandas as pd

    from optimize import AssignmentProblem

    pairs = pd.DataFrame({"item": ["A", "B"], "bin": ["P", "P"], "score": [6.0, 4.5], "land": [6.0, 5.0]})
    caps = pd.DataFrame({"name": ["land[P]"], "resource": ["land"], "bin": ["P"], "capacity": [10.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["A", "B"], bins=["P"])
    model, constant, row_dual, _ = bound_gap.relaxation_with_prices(problem)
    assert dual_bound(model, row_dual) + constant == pytest.approx(9.6)
    assert bound_gap.park_knapsack_bound(problem, model, constant, row_dual) == pytest.approx(6.0)
