"""The small LP relaxation (optimize.relax): a bound on every plan, a price-based bound, a rounded start plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimize import AssignmentProblem, Links, SolverOptions, Status, solve
from optimize._quiet import quiet_stdout
from optimize.matrix import solve_matrix
from optimize.relax import dual_bound, relax, relaxation_model, rounded_plan
from tests.test_optimize import extras_problem


def two_items(a_bins: list[str], b_bins: list[str], limit: float, distance: float) -> AssignmentProblem:
    """Items a (score 10, 4 ha) and b (score 6, 4 ha), parks P and Q (6 ha each) `distance` apart, one link a–b worth 5."""
    rows = [{"item": "a", "bin": p, "score": 10.0, "land": 4.0} for p in a_bins]
    rows += [{"item": "b", "bin": p, "score": 6.0, "land": 4.0} for p in b_bins]
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": "land", "bin": ["P", "Q"], "capacity": [6.0, 6.0]})
    base = AssignmentProblem.from_tables(pd.DataFrame(rows), caps, items=["a", "b"], bins=["P", "Q"])
    links = Links(("l",), np.array([0]), np.array([1]), np.array([5.0]), np.array([limit]),
                  np.array([[0.0, distance], [distance, 0.0]]))
    return base.with_extras(links=links)


def test_a_link_that_cannot_be_satisfied_adds_nothing_to_the_bound():
    # a only in P, b only in Q, 50 minutes apart, limit 30: the link can never hold, so the bound is 10 + 6
    problem = two_items(["P"], ["Q"], limit=30.0, distance=50.0)
    assert relax(problem, time_limit=10).bound == pytest.approx(16.0)
    # within reach (limit 60) the link counts: 10 + 6 + 5, which the plan a→P, b→Q reaches
    near = two_items(["P"], ["Q"], limit=60.0, distance=50.0)
    assert relax(near, time_limit=10).bound == pytest.approx(21.0)
    assert solve(near, SolverOptions(solver="highs")).objective == pytest.approx(21.0)


def test_same_park_links_and_capacity_in_the_relaxation():
    # both only in P (6 ha): one of them fits. Without cover cuts the LP shares the 6 ha: x_a + x_b = 1.5,
    # w = min(x_a, x_b); moving land from b to a gains 10 − 6 but loses 5 of link, so x_a = x_b = 0.75:
    # 7.5 + 4.5 + 3.75. Their 8 ha exceed the 6, so the cover cut x_a + x_b ≤ 1 holds for every plan; with it
    # the LP takes half of each: 5 + 3 + 2.5
    problem = two_items(["P"], ["P"], limit=0.0, distance=50.0)
    assert relax(problem, time_limit=10, covers=False).bound == pytest.approx(15.75)
    assert relax(problem, time_limit=10).bound == pytest.approx(10.5)
    assert solve(problem, SolverOptions(solver="highs")).objective == pytest.approx(10.0)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_relaxation_bounds_the_optimum(seed):
    """Every family at once: the optimum ≤ the bound with cuts ≤ the bound without; the rounded plan is a plan."""
    problem = extras_problem(seed)
    optimum = solve(problem, SolverOptions(solver="highs", gap=0, search=0))
    assert optimum.status is Status.OPTIMAL
    plain = relax(problem, time_limit=30, max_rounds=1, covers=False)
    result = relax(problem, time_limit=30)
    assert result.bound is not None and plain.bound is not None
    assert optimum.objective <= result.bound + 1e-6 <= plain.bound + 2e-6
    assert result.bound < plain.bound - 1e-3  # these instances all have links the parks cannot give
    plan = rounded_plan(problem, result.x)
    if not problem.violations(plan):  # >= side rows are not tracked by the rounding
        assert problem.objective_of(plan) <= optimum.objective + 1e-6


@pytest.mark.parametrize("seed", range(8))
def test_cover_cuts_never_cut_off_the_optimum_of_a_packed_gap(seed):
    """Small generalized assignment problems (every job mandatory, agents packed to 80 % of the average load, so
    covers abound), both senses: the relaxation with cover cuts, and the park knapsacks at its prices with the
    cover rows unpriced, stay at or above the proven optimum; minimising, the covers tighten the LP."""
    from optimize._knapsacks import park_knapsack_bound
    from optimize.orlib import gap_problem
    from tests.test_optimize import random_gap

    cost, use, capacity = random_gap(seed, m=4, n=16)
    problem = gap_problem(cost, use, capacity, maximise=bool(seed % 2))
    optimum = solve(problem, SolverOptions(solver="highs", gap=0, search=0))
    assert optimum.status is Status.OPTIMAL
    rounds = []
    relax(problem, time_limit=30, on_round=rounds.append)
    last = rounds[-1]
    knapsack, _ = park_knapsack_bound(problem, last.model, last.constant, last.row_dual, cover_rows=last.cover_rows)
    slack = 1e-6 * max(1.0, abs(optimum.objective))
    assert optimum.objective <= min(round_.bound for round_ in rounds) + slack
    assert optimum.objective <= knapsack + slack
    plain = relax(problem, time_limit=30, covers=False).bound
    assert min(round_.bound for round_ in rounds) <= plain + slack
    if seed % 2 == 0:  # the cheapest agents overfill (minimising): the LP fills them with fractions, and covers cut
        assert len(last.cover_rows) and min(round_.bound for round_ in rounds) < plain - slack


def test_dual_bound_holds_at_any_prices():
    """Weak duality: optimal prices give the LP optimum, perturbed or zero prices a bound above it."""
    problem = extras_problem(2)
    model, constant = relaxation_model(problem)
    with quiet_stdout():
        lp = solve_matrix(model, time_limit=30)
    assert constant == 0 and lp.row_dual is not None
    assert dual_bound(model, lp.row_dual) == pytest.approx(lp.objective, rel=1e-7)
    rng = np.random.default_rng(0)
    for _ in range(20):
        noisy = lp.row_dual + rng.normal(0, 5, size=len(lp.row_dual))
        assert np.isfinite(dual_bound(model, noisy)) and dual_bound(model, noisy) >= lp.objective - 1e-6
    assert dual_bound(model, np.zeros(len(lp.row_dual))) == pytest.approx(np.maximum(model.cost, 0).sum())


def test_rounding_follows_the_lp():
    # capacity 10: a (7 for 6), b and c (5 for 5 each). Greedy takes a; an LP that picks b and c leads the rounding to them
    pairs = pd.DataFrame({"item": ["a", "b", "c"], "bin": "B", "score": [7.0, 5.0, 5.0], "land": [6.0, 5.0, 5.0]})
    caps = pd.DataFrame({"name": ["land[B]"], "resource": "land", "bin": ["B"], "capacity": [10.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["a", "b", "c"], bins=["B"])
    assert rounded_plan(problem, np.array([0.0, 1.0, 1.0])) == [1, 2]
    assert rounded_plan(problem, np.array([1.0, 0.8, 0.0])) == [0]


def test_link_cuts_take_away_a_link_the_parks_cannot_give():
    """a is worth 10 in P, b 10 in Q; a same-park link worth 5; each park has room for one of them.

    The aggregated rows let the LP count the link with a in P and b in Q (25); the cut for the link
    (w ≤ Σ_p min(x_(a,p), x_(b,p)), here 0 at that point) removes it, and the bound is the optimum, 20.
    """
    pairs = pd.DataFrame({"item": ["a", "a", "b", "b"], "bin": ["P", "Q", "P", "Q"],
                          "score": [10.0, 0.1, 0.1, 10.0], "land": 4.0})
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": "land", "bin": ["P", "Q"], "capacity": [6.0, 6.0]})
    base = AssignmentProblem.from_tables(pairs, caps, items=["a", "b"], bins=["P", "Q"])
    problem = base.with_extras(links=Links(("l",), np.array([0]), np.array([1]), np.array([5.0]), np.array([0.0]),
                                           np.array([[0.0, 100.0], [100.0, 0.0]])))
    assert relax(problem, time_limit=10, max_rounds=1).bound == pytest.approx(25.0)
    tightened = relax(problem, time_limit=10)
    assert tightened.bound == pytest.approx(20.0) and "rounds" in tightened.message
    assert solve(problem, SolverOptions(solver="highs")).objective == pytest.approx(20.0)


def test_link_cuts_from_the_second_end_reach_the_optimum():
    """Parks P0 and P1 are 10 minutes apart, P2 is 100 minutes from both; a link a–b worth 6 holds within 30.

    Land: P0 1 ha, P1 3 ha, P2 5 ha. Scores (ha): a 9 (1) / 7 (4) / 1 (2) in P0 / P1 / P2, b 6 (1) / 5 (3) /
    7 (4), c 4 (2) / 5 (4) / 2 (2). Only a or b fits in P0, only b in P1; the best plan is a→P0, b→P1 (the
    link holds), c→P2: 9 + 5 + 6 + 2 = 22. Cuts from a's parks alone leave the LP at 23.25 (a spread over P0
    and P1, each near b's share in P0, while b's other share sits in P2, near no a); the cut from b's parks
    (w ≤ x_(b,P0) + x_(b,P1) + x_(a,P2)) brings the bound down to the optimum.
    """
    score = {"a": (9.0, 7.0, 1.0), "b": (6.0, 5.0, 7.0), "c": (4.0, 5.0, 2.0)}
    land = {"a": (1.0, 4.0, 2.0), "b": (1.0, 3.0, 4.0), "c": (2.0, 4.0, 2.0)}
    bins = ["P0", "P1", "P2"]
    pairs = pd.DataFrame([{"item": i, "bin": b, "score": score[i][n], "land": land[i][n]}
                          for i in score for n, b in enumerate(bins)])
    caps = pd.DataFrame({"name": ["l0", "l1", "l2"], "resource": "land", "bin": bins, "capacity": [1.0, 3.0, 5.0]})
    base = AssignmentProblem.from_tables(pairs, caps, items=list(score), bins=bins)
    minutes = np.array([[0.0, 10.0, 100.0], [10.0, 0.0, 100.0], [100.0, 100.0, 0.0]])
    problem = base.with_extras(links=Links(("l",), np.array([0]), np.array([1]), np.array([6.0]), np.array([30.0]),
                                           minutes))
    assert relax(problem, time_limit=10).bound == pytest.approx(22.0, abs=1e-6)
    solution = solve(problem, SolverOptions(solver="highs"))
    assert solution.objective == pytest.approx(22.0) and solution.assignment == {"a": "P0", "b": "P1", "c": "P2"}


def test_cover_cuts_close_a_park_and_spare_a_plan_within_tolerance():
    """Park P, 10 ha: A (6 ha, score 6), B (5 ha, 4.5), C (5 ha, 4.5). The LP alone takes A and 4/5 of B, 9.6;
    A with B or with C is over the land, so x_A + x_B ≤ 1 and x_A + x_C ≤ 1, and the LP falls to the
    optimum, B + C = 9. A plan may use its land within the checker's tolerance (10.0000099 ha of 10): no cover
    may cut it off (the exact LP already claims a hair less, which solve() handles; a cut would claim 4.5 less)."""
    def park(land: dict[str, float]) -> AssignmentProblem:
        pairs = pd.DataFrame({"item": list(land), "bin": "P", "score": [6.0, 4.5, 4.5][: len(land)],
                              "land": list(land.values())})
        caps = pd.DataFrame({"name": ["land[P]"], "resource": ["land"], "bin": ["P"], "capacity": [10.0]})
        return AssignmentProblem.from_tables(pairs, caps, items=list(land), bins=["P"])

    three = park({"A": 6.0, "B": 5.0, "C": 5.0})
    assert relax(three, time_limit=10, covers=False).bound == pytest.approx(9.6)
    assert relax(three, time_limit=10).bound == pytest.approx(9.0)
    assert solve(three, SolverOptions(solver="highs")).objective == pytest.approx(9.0)
    tight = park({"A": 5.0000099, "B": 5.0})  # scores 6 and 4.5, both "fit" (the tolerance is 1e-5 here)
    assert not tight.violations([0, 1])
    rounds = []
    relax(tight, time_limit=10, on_round=rounds.append)
    assert len(rounds) == 1 and not len(rounds[0].cover_rows) and rounds[0].bound > 10.4


def test_rounding_follows_the_lp_when_every_score_is_a_cost():
    # a mandatory item whose pairs cost 5 (chosen by the LP) or 100: the LP's pair comes first, not the 0 × −100 one
    pairs = pd.DataFrame({"item": ["a", "a"], "bin": ["P", "Q"], "score": [-5.0, -100.0], "land": [1.0, 1.0]})
    caps = pd.DataFrame({"name": ["land[P]", "land[Q]"], "resource": "land", "bin": ["P", "Q"], "capacity": [1.0, 1.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["a"], bins=["P", "Q"], mandatory=["a"])
    assert rounded_plan(problem, np.array([1.0, 0.0])) == [0]
    assert rounded_plan(problem, np.array([0.0, 1.0])) == [1]


def test_a_relaxation_bound_below_the_plan_is_not_reported(monkeypatch):
    """Plans may use capacity within a tolerance the exact LP does not grant: such a bound is dropped, never 'optimal'."""
    import importlib

    from optimize.matrix import HighsResult
    from optimize.relax import Relaxation
    from tests.test_optimize import one_bin

    solve_module = importlib.import_module("optimize.solve")
    monkeypatch.setattr(solve_module, "solve_matrix",
                        lambda *args, **kwargs: HighsResult("no_solution", None, None, None, "Interrupted by user"))
    monkeypatch.setattr(solve_module, "_relaxation", lambda problem, options, share=0.2: Relaxation(6.5, 0.0, "patched"))
    problem = one_bin({"a": (7, 6), "b": (5, 5), "c": (5, 5)}, capacity=10)
    solution = solve(problem, SolverOptions(solver="highs", time_limit=5, search=0))
    assert solution.objective == 7 and solution.bound is None and solution.status is Status.FEASIBLE
    assert any("below the plan's objective" in note for note in solution.notes)


def test_the_relaxation_in_a_second_process_gives_the_same_rounds():
    """optimize._background: the child's rounds are relax()'s own, and it has ended when stop() returns."""
    from optimize._background import BackgroundRelaxation

    problem = extras_problem(2)
    background = BackgroundRelaxation(problem, time_limit=60)
    background.wait(soft=60, hard=60)  # returns when the rounds are over (the child goes on to its knapsacks)
    first = background.snapshot()
    result = background.finish(by=60)  # returns when the child has ended
    bounds: list[float] = []
    here = relax(problem, time_limit=60, on_round=lambda round_: bounds.append(round_.bound))
    assert background._child.poll() is not None
    assert len(first.rounds) == len(result.rounds) == len(here.rounds) >= 2
    np.testing.assert_allclose([bound for bound, _ in background._rounds], bounds, rtol=1e-9)
    assert result.bound <= first.bound <= min(bounds) * (1 + 1e-9) and min(bounds) == pytest.approx(here.bound)
    for there, local in zip(result.rounds, here.rounds, strict=True):
        np.testing.assert_allclose(there, local, atol=1e-9)
    assert "in a second process" in result.message


def test_a_slow_relaxation_process_is_stopped_and_a_failed_one_costs_only_the_bound(monkeypatch):
    import importlib
    import sys
    import time

    from optimize._background import BackgroundRelaxation
    from optimize.matrix import HighsResult

    problem = extras_problem(3)
    optimum = solve(problem, SolverOptions(solver="highs", time_limit=30, gap=0))
    assert optimum.status is Status.OPTIMAL
    plan = optimum.chosen_pairs  # greedy has no plan here
    monkeypatch.setattr(BackgroundRelaxation, "command", (sys.executable, "-c", "import time; time.sleep(60)"))
    t0 = time.perf_counter()
    slow = BackgroundRelaxation(problem, time_limit=60)
    slow.wait(soft=0.0, hard=0.5)  # no round comes: waits until `hard`
    result = slow.stop()
    assert 0.5 <= time.perf_counter() - t0 < 10 and slow._child.poll() is not None
    assert result.bound is None and result.rounds == ()

    failing = (sys.executable, "-c", "import sys; sys.stdin.buffer.read(); sys.exit('no memory left')")
    monkeypatch.setattr(BackgroundRelaxation, "command", failing)
    crashed = BackgroundRelaxation(problem, time_limit=60)
    crashed.wait(soft=60, hard=60)
    assert crashed.stop().bound is None and "no memory left" in crashed.stop().message

    # in a solve: HiGHS gives nothing, the start plan is reported, and no bound is claimed
    solve_module = importlib.import_module("optimize.solve")
    monkeypatch.setattr(solve_module, "BACKGROUND_MIN_PAIRS", 0)
    monkeypatch.setattr(solve_module, "BACKGROUND_MIN_SECONDS", 0.0)
    monkeypatch.setattr(solve_module, "solve_matrix",
                        lambda *args, **kwargs: HighsResult("no_solution", None, None, None, "Interrupted by user"))
    solution = solve(problem, SolverOptions(solver="highs", time_limit=5, search=0), start=plan)
    assert solution.has_plan and solution.bound is None and not problem.violations(solution.chosen_pairs)

    # with the real child, the same solve reports the relaxation's bound as a solve without a second process
    # does, tightened by the park knapsacks (the solve waits for them: nothing else is left to do)
    monkeypatch.setattr(BackgroundRelaxation, "command", (sys.executable, "-m", "optimize._background"))
    there = solve(problem, SolverOptions(solver="highs", time_limit=30, search=0), start=plan)
    monkeypatch.setattr(solve_module, "BACKGROUND_MIN_PAIRS", 10**12)
    here = solve(problem, SolverOptions(solver="highs", time_limit=30, search=0), start=plan)
    assert here.bound == pytest.approx(relax(problem, time_limit=30).bound, rel=1e-9)
    assert optimum.objective - 1e-6 <= there.bound < here.bound - 1.0 and there.objective == here.objective


def test_the_second_process_prices_park_knapsacks_after_its_rounds(monkeypatch):
    """One park that may host one chain: A (chain c0, score 6) and B (chain c1, score 4.5) both fit its land. The
    relaxation has no chain rows, 6 + 4.5 = 10.5; the park's knapsack keeps the chain limit and holds one
    project, so the child's last bound is 6, the optimum, and a solve whose solver proves nothing reports it
    (it waits for the child: nothing else is left to do)."""
    import importlib

    from optimize import Classes
    from optimize._background import BackgroundRelaxation
    from optimize.matrix import HighsResult

    pairs = pd.DataFrame({"item": ["A", "B"], "bin": ["P", "P"], "score": [6.0, 4.5], "land": [6.0, 3.0]})
    caps = pd.DataFrame({"name": ["land[P]"], "resource": ["land"], "bin": ["P"], "capacity": [10.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["A", "B"], bins=["P"]).with_extras(
        classes=Classes(("c0", "c1"), np.array([0, 1]), per_bin_limit=np.array([1.0])))
    background = BackgroundRelaxation(problem, time_limit=30)
    background.wait(soft=30, hard=30)
    result = background.finish(by=30)
    assert [bound for bound, _ in background._rounds] == [pytest.approx(10.5)]
    assert result.bound == pytest.approx(6.0) and len(result.rounds) == 1 and "park knapsacks" in result.message

    solve_module = importlib.import_module("optimize.solve")
    monkeypatch.setattr(solve_module, "BACKGROUND_MIN_PAIRS", 0)
    monkeypatch.setattr(solve_module, "BACKGROUND_MIN_SECONDS", 0.0)
    monkeypatch.setattr(solve_module, "solve_matrix",
                        lambda *args, **kwargs: HighsResult("no_solution", None, None, None, "Interrupted by user"))
    solution = solve(problem, SolverOptions(solver="highs", time_limit=30, search=0))
    assert solution.objective == 6.0 and solution.bound == pytest.approx(6.0)
    assert solution.status is Status.OPTIMAL


def test_park_knapsacks_keep_a_pair_that_frees_room():
    """A (score 10, 10 ha) and B (score −1, −5 ha: it frees land) in a park of 5 ha: only both fit, 9 in all.
    A knapsack of the pairs with a positive reduced score alone would hold nothing and claim a bound below 9."""
    from optimize._knapsacks import park_knapsack_bound

    pairs = pd.DataFrame({"item": ["A", "B"], "bin": ["P", "P"], "score": [10.0, -1.0], "land": [10.0, -5.0]})
    caps = pd.DataFrame({"name": ["land[P]"], "resource": ["land"], "bin": ["P"], "capacity": [5.0]})
    problem = AssignmentProblem.from_tables(pairs, caps, items=["A", "B"], bins=["P"])
    assert solve(problem, SolverOptions(solver="highs", search=0)).objective == pytest.approx(9.0)
    rounds = []
    relax(problem, time_limit=10, on_round=rounds.append)
    last = rounds[-1]
    assert last.bound >= 9.0 - 1e-6 and not len(last.cover_rows)  # B frees land: no cover holds for every plan
    for prices in (last.row_dual, np.zeros_like(last.row_dual)):  # at the LP's prices and at none
        bound, _ = park_knapsack_bound(problem, last.model, last.constant, prices)
        assert bound >= 9.0 - 1e-6
