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
    last = bound_gap.relaxation_with_prices(problem)
    lp = dual_bound(last.model, last.row_dual) + last.constant
    knapsack = bound_gap.park_knapsack_bound(problem, last.model, last.constant, last.row_dual, last.cover_rows)
    assert optimum.objective <= knapsack + 1e-6 <= lp + 2e-6


def test_cover_rows_left_unpriced_tighten_the_knapsack_bound(bound_gap):
    """Every park pattern meets the park's cover cuts, so the knapsack bound leaves them unpriced: priced, they
    would take value off the patterns that meet them anyway. On this instance (5 cover rows) that is 323.4
    against 342.9, the optimum 264."""
    problem = extras_problem(3)
    last = bound_gap.relaxation_with_prices(problem)
    assert len(last.cover_rows) == 5
    unpriced = bound_gap.park_knapsack_bound(problem, last.model, last.constant, last.row_dual, last.cover_rows)
    priced = bound_gap.park_knapsack_bound(problem, last.model, last.constant, last.row_dual)
    optimum = solve(problem, SolverOptions(solver="highs", gap=0, search=0))
    assert optimum.objective == pytest.approx(264.0)
    assert optimum.objective <= unpriced + 1e-6 and unpriced < priced - 10


def test_integer_parks_tighten_the_bound(bound_gap):
    """One park of 10 ha, items of 6 ha (score 6) and 5 ha (score 4.5): the LP without cover cuts fills the park
    with 6 + 4/5 · 4.5 = 9.6; a park holds one item only, so the knapsack bound is the optimum, 6 (as is the LP
    with the cover cut x_A + x_B ≤ 1)."""
    import pandas as pd

    from optimize import AssignmentProblem

    pairs = pd.DataFrame({"item": ["A", "B"], "bin": ["P", "P"], "score": [6.0, 4.5], "land": [6.0, 5.0]})
    caps = pd.DataFrame({"name": ["land[P]"], "resource": ["land"], "bin": ["P"], "capacity": [10.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["A", "B"], bins=["P"])
    last = bound_gap.relaxation_with_prices(problem, covers=False)
    assert dual_bound(last.model, last.row_dual) + last.constant == pytest.approx(9.6)
    assert bound_gap.park_knapsack_bound(problem, last.model, last.constant, last.row_dual) == pytest.approx(6.0)
    last = bound_gap.relaxation_with_prices(problem)
    assert dual_bound(last.model, last.row_dual) + last.constant == pytest.approx(6.0)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_column_generation_brackets_the_optimum(bound_gap, seed):
    """The master's value never exceeds the optimum's bound, the bound never falls below the optimum, and
    with exact knapsacks the bound is at least as tight as the knapsacks at the LP's prices."""
    problem = extras_problem(seed)
    optimum = solve(problem, SolverOptions(solver="highs", gap=0, search=0))
    last = bound_gap.relaxation_with_prices(problem)
    model, constant, row_dual = last.model, last.constant, last.row_dual
    knapsack = bound_gap.park_knapsack_bound(problem, model, constant, row_dual, last.cover_rows)
    result = bound_gap.column_generation(problem, model, constant, row_dual, seconds=30, knapsack_seconds=None,
                                         cover_rows=last.cover_rows)
    assert optimum.objective <= result["bound"] + 1e-6 <= knapsack + 2e-6
    if result["master"] is not None:
        assert result["master"] <= result["bound"] + 1e-6


def test_column_generation_proves_a_park_that_holds_one_item(bound_gap):
    """Two parks: P (10 ha) can take A (6 ha, score 6) or B (5 ha, score 4.5) but one only, as both do
    not fit; Q (5 ha) takes B for 4. The LP puts A in P and 0.8 of B beside it (9.6 + 0.2 · 4 = 10.4
    at best); whole-park patterns leave A in P and B in Q, 10, which is the optimum."""
    import pandas as pd

    from optimize import AssignmentProblem

    pairs = pd.DataFrame({"item": ["A", "B", "B"], "bin": ["P", "P", "Q"], "score": [6.0, 4.5, 4.0],
                          "land": [6.0, 5.0, 5.0]})
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": ["land", "land"], "bin": ["P", "Q"],
                         "capacity": [10.0, 5.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["A", "B"], bins=["P", "Q"])
    last = bound_gap.relaxation_with_prices(problem, covers=False)  # the cover x_(A,P) + x_(B,P) ≤ 1 would give 10
    model, constant, row_dual = last.model, last.constant, last.row_dual
    assert dual_bound(model, row_dual) + constant > 10.0 + 1e-6
    result = bound_gap.column_generation(problem, model, constant, row_dual, seconds=30, knapsack_seconds=None)
    assert result["bound"] == pytest.approx(10.0)
    assert result["master"] == pytest.approx(10.0)


def test_small_instance_report_orders_plan_optimum_and_bounds(bound_gap):
    # XS seed 0 proves in seconds: every figure of the report must sit on its side of the proven optimum
    row = bound_gap.prove_small("XS", 0, time_limit=3.0, proof_seconds=120.0, column_seconds=60.0)
    assert row["proven"]
    best, slack = row["optimum"], 1e-6 * row["optimum"]
    assert row["plan"] <= best + slack
    assert best - slack <= row["engine_bound"]
    assert best - slack <= row["column"] <= row["knapsack"] + slack <= row["lp"] + 2 * slack
    assert row["column"] < row["lp"]  # the patterns tighten the LP on this instance (by about 8 %)
    if row["plan"] < best - slack:  # a worse plan cannot be the optimum's plan
        assert row["distance"]["items"] > 0


def test_plan_distance_counts_items_and_parks(bound_gap):
    """Four items, parks P and Q: A stays in P, B moves from P to Q, C is placed in Q by the first plan
    only, D by the second only: three items differ, one moved, one left out, one taken in, two parks."""
    import pandas as pd

    from optimize import AssignmentProblem

    pairs = pd.DataFrame({"item": ["A", "B", "B", "C", "D"], "bin": ["P", "P", "Q", "Q", "P"],
                          "score": [1.0] * 5, "land": [1.0] * 5})
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": ["land", "land"], "bin": ["P", "Q"],
                         "capacity": [5.0, 5.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["A", "B", "C", "D"], bins=["P", "Q"])
    assert bound_gap.plan_distance(problem, [0, 1, 3], [0, 2, 4]) == {
        "items": 3, "moved": 1, "left_out": 1, "taken_in": 1, "parks": 2}
    assert bound_gap.plan_distance(problem, [0, 1], [0, 1])["items"] == 0
