"""Solve the assignment model with CBC (through PuLP) or HiGHS (in memory), and read the answer honestly.

The engine: a greedy plan and a small LP relaxation (:mod:`optimize.relax`, a proven bound at any size
and a rounded plan; on large problems in a second process for the whole time limit,
:mod:`optimize._background`); the MIP solver started from the better of the two plans for ``1 − search`` of the
time limit; then neighbourhood search (:mod:`optimize.improve`) for the rest when the solver has not
proved its plan.

CBC: PuLP reports a time-limited solve that has a plan as ``"Optimal"``; only ``prob.sol_status``
tells a proven optimum (1) from a plan found before the limit (2), and the bound comes from CBC's
log. HiGHS: the model is passed in memory (:mod:`optimize.matrix`) and HiGHS's own model status and
dual bound are read. Either way a plan is never called optimal unless the solver proved it.
"""

from __future__ import annotations

import enum
import logging
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pulp
from pulp.apis.coin_api import pulp_cbc_path

from ._background import BackgroundRelaxation
from ._errors import SolverError
from ._quiet import quiet_stdout
from .greedy import greedy_plan
from .improve import improve
from .matrix import MatrixModel, build_matrix, solve_matrix, solve_matrix_guarded
from .model import build_model
from .problem import AssignmentProblem
from .relax import Relaxation, relax, rounded_plan

log = logging.getLogger(__name__)

SOLVERS = ("cbc", "highs")


class Status(enum.StrEnum):
    """How a solve ended."""

    OPTIMAL = "optimal"  # proven optimal within the requested relative gap
    FEASIBLE = "feasible"  # a plan that satisfies every constraint, optimality not proven (time limit)
    INFEASIBLE = "infeasible"  # no plan satisfies the constraints
    NO_SOLUTION = "no_solution"  # stopped without any plan


@dataclass(frozen=True)
class SolverOptions:
    """Solver settings.

    Parameters
    ----------
    solver
        ``"cbc"`` (bundled with PuLP) or ``"highs"`` (highspy).
    time_limit
        Wall-clock seconds for the solver; ``None`` for no limit.
    gap
        Relative MIP gap at which the solver may stop and call the plan optimal (0.0001 = 0.01 %).
    threads
        Solver threads. One thread keeps plans reproducible run to run.
    search
        Share of ``time_limit`` kept for neighbourhood search (:mod:`optimize.improve`) after the solver,
        used only when the solver stops without proving its plan optimal. 0 turns it off.
    steps
        A reproducible solve (HiGHS only): no decision depends on the clock, so the same problem gives the
        same plan on any machine under any load. The relaxation runs up to ``RELAX_ROUNDS_COUNTED`` rounds
        in this process, HiGHS's whole-model MIP stops at its ``WHOLE_MODEL_CALLBACKS``-th interrupt
        callback, and the neighbourhood search makes ``steps`` steps (:func:`optimize.improve.improve`);
        ``time_limit`` is ignored, so the time taken depends on the machine.
    """

    solver: str = "cbc"
    time_limit: float | None = 60.0
    gap: float = 1e-4
    threads: int = 1
    search: float = 0.4
    steps: int | None = None

    @property
    def solver_seconds(self) -> float | None:
        return None if self.time_limit is None else self.time_limit * (1.0 - self.search)

    def __post_init__(self) -> None:
        if self.solver not in SOLVERS:
            raise ValueError(f"unknown solver {self.solver!r}; expected one of {', '.join(SOLVERS)}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"time_limit must be positive seconds, got {self.time_limit}")
        if not 0 <= self.gap < 1:
            raise ValueError(f"gap is a relative gap in [0, 1), got {self.gap}")
        if not 0 <= self.search < 1:
            raise ValueError(f"search is a share of the time limit in [0, 1), got {self.search}")
        if self.steps is not None:
            if self.solver != "highs" or self.threads != 1:
                raise ValueError("steps (a reproducible solve) needs the highs solver on one thread")
            if self.steps < 0:
                raise ValueError(f"steps must be a whole number ≥ 0, got {self.steps}")
            object.__setattr__(self, "time_limit", None)  # no decision may depend on the clock


@dataclass(frozen=True)
class Solution:
    """The answer of one solve, with everything needed to judge it."""

    status: Status
    assignment: Mapping[str, str]
    chosen_pairs: tuple[int, ...]
    objective: float | None
    bound: float | None
    gap: float | None
    greedy_objective: float
    solver: str
    source: str  # "solver", or the start ("greedy", "LP rounding", "start") when the solver gave no better plan; "+search" if search improved it
    build_seconds: float
    solve_seconds: float
    search_seconds: float = 0.0
    solver_message: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def has_plan(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)


def solve(
    problem: AssignmentProblem,
    options: SolverOptions | None = None,
    *,
    start: Sequence[int] | None = None,
) -> Solution:
    """Solve the assignment problem.

    Parameters
    ----------
    problem
        The problem tables.
    options
        Solver settings; defaults to CBC, 60 s, 0.01 % gap, one thread.
    start
        Pair indices of a feasible plan to start from; by default the greedy plan.

    Returns
    -------
    Solution
        ``status`` is OPTIMAL only when the solver proved it (within ``options.gap``). When the solver
        stops without a plan, or with a worse one than the start, the start is returned as FEASIBLE.
    """
    options = options or SolverOptions()
    t_begin = time.perf_counter()
    background = None
    if _relaxes_in_background(problem, options):
        try:  # one thread: the second process has the second core, the solve the first
            background = BackgroundRelaxation(problem, time_limit=options.time_limit, threads=1)
        except Exception as exc:  # noqa: BLE001 - the relaxation then runs in this process, as on small problems
            log.warning("could not start the relaxation's second process: %s", exc)
    try:
        return _solve(problem, options, start, t_begin, background)
    finally:
        if background is not None:
            background.stop()


def _solve(problem: AssignmentProblem, options: SolverOptions, start: Sequence[int] | None, t_begin: float,
           background: BackgroundRelaxation | None) -> Solution:
    time_limit = options.time_limit
    greedy = greedy_plan(problem)
    greedy_ok = not problem.violations(greedy)
    greedy_objective = problem.objective_of(greedy)
    if start is not None and problem.violations(start):
        raise SolverError("the start plan handed to solve() violates the problem's constraints")
    unplaceable = [problem.items[i] for i, ks in enumerate(problem.pairs_of_item()) if problem.mandatory[i] and not len(ks)]
    if unplaceable:
        return _no_plan(problem, Status.INFEASIBLE, options, greedy_objective, 0.0, 0.0,
                        f"mandatory items with no eligible bin: {', '.join(unplaceable)}")
    # HiGHS's model is built first: when it is too large for the whole-model MIP, the relaxation is the only
    # source of a bound and gets a larger share of the time
    t_build = time.perf_counter()
    model = build_matrix(problem) if options.solver == "highs" else None
    model_seconds = time.perf_counter() - t_build
    alone = model is not None and _skips_whole_model(model, options, has_start=start is not None or greedy_ok)
    if background is not None:  # the first rounds guide the start; the later ones come in while the search runs
        background.wait(soft=BACKGROUND_WAIT_SHARE * options.time_limit,
                        hard=(RELAXATION_SHARE_ALONE if alone else RELAXATION_SHARE) * options.time_limit)
        lp = background.snapshot()
    else:
        lp = _relaxation(problem, options, share=RELAXATION_SHARE_ALONE if alone else RELAXATION_SHARE)
    start_label = "start"
    if start is None:
        start, start_label = (greedy, "greedy") if greedy_ok else (None, "greedy")
        best = greedy_objective if start is not None else -np.inf
        for point in lp.rounds:  # each round's LP point guides a plan; the best one starts the search
            rounded = rounded_plan(problem, point)
            value = problem.objective_of(rounded)
            if value > best + 1e-9 and not problem.violations(rounded):
                start, start_label, best = rounded, "LP rounding", value
    if options.time_limit is not None:  # the relaxation's time comes out of the solver's share
        options = replace(options, time_limit=max(0.1, options.time_limit - (time.perf_counter() - t_begin)))

    if options.solver == "highs":
        outcome = _solve_highs(problem, options, start, model, model_seconds)
    else:
        outcome = _solve_cbc(problem, options, start)
    if outcome.infeasible:
        return _no_plan(problem, Status.INFEASIBLE, options, greedy_objective, outcome.build_seconds,
                        outcome.solve_seconds, "the solver proved that no plan satisfies every constraint")
    build_seconds, solve_seconds = outcome.build_seconds, outcome.solve_seconds
    t1 = time.perf_counter() - solve_seconds
    chosen_pairs, proven, bound, had_plan = outcome.chosen, outcome.proven, outcome.bound, outcome.had_plan
    if had_plan and problem.violations(chosen_pairs):
        log.warning("solver plan violates constraints: %s", problem.violations(chosen_pairs)[:3])
        chosen_pairs, proven, bound, had_plan = [], False, None, False
    objective = problem.objective_of(chosen_pairs) if had_plan else None

    source, notes = "solver", []
    if outcome.skipped:
        chosen_pairs, source, objective, proven = list(start), start_label, problem.objective_of(start), False
        notes.append(outcome.message)
    elif not had_plan:
        if start is None:
            return _no_plan(problem, Status.NO_SOLUTION, options, greedy_objective, build_seconds, solve_seconds,
                            f"{options.solver} stopped without a plan ({outcome.message})")
        chosen_pairs, source, objective = list(start), start_label, problem.objective_of(start)
        budget = "its callback limit" if options.steps is not None else "the time limit"
        notes.append(f"{options.solver} returned no plan within {budget}; the start plan ({start_label}) is reported")
        proven = False
    elif start is not None and problem.objective_of(start) > (objective or 0.0) + 1e-9:
        chosen_pairs, source, objective = list(start), start_label, problem.objective_of(start)
        notes.append(f"{options.solver}'s plan was worse than the start plan; the start plan ({start_label}) is reported")
        proven = False

    search_seconds = 0.0
    if not proven and chosen_pairs and options.search > 0 and (options.time_limit is not None or options.steps):
        t2 = time.perf_counter()
        budget = 0.0 if options.time_limit is None else options.time_limit - (t2 - t1)
        if budget > 0.1 or options.steps:
            better = improve(problem, chosen_pairs, seconds=budget, threads=options.threads, model=outcome.model,
                             steps=options.steps)
            if problem.objective_of(better) > (objective or 0.0) + 1e-9:
                notes.append(f"neighbourhood search raised the objective from {objective:,.1f} to "
                             f"{problem.objective_of(better):,.1f}")
                chosen_pairs, objective, source = better, problem.objective_of(better), source + "+search"
        search_seconds = time.perf_counter() - t2

    if background is not None:  # a solve that ended early (no search, or nothing left to search) waits for it
        lp = background.stop() if proven else background.finish(by=time_limit)
    if bound is not None and objective is not None and bound < objective - 1e-6 * max(1.0, abs(objective)):
        notes.append(f"the solver's bound {bound:,.1f} is below the plan's objective; it is not reported")
        bound, proven = None, False
    if lp.bound is not None and objective is not None and not proven and (bound is None or lp.bound < bound):
        if lp.bound < objective - 1e-6 * max(1.0, abs(objective)):  # a plan within tolerances beats the exact LP
            notes.append(f"the LP relaxation's bound {lp.bound:,.1f} is below the plan's objective; it is not reported")
        else:
            bound = max(lp.bound, objective)  # the relaxation's bound is proven too, and here the tighter one
            took = "" if options.steps is not None else f" ({lp.seconds:.1f} s)"  # a reproducible run's notes do not vary
            notes.append(f"the proven bound {bound:,.1f} comes from the LP relaxation{took}: {lp.message}")
    gap = relative_gap(objective, bound)
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    if status is Status.FEASIBLE and gap is not None and gap <= options.gap:
        status = Status.OPTIMAL
    return Solution(
        status=status,
        assignment={problem.items[problem.pair_item[k]]: problem.bins[problem.pair_bin[k]] for k in chosen_pairs},
        chosen_pairs=tuple(sorted(chosen_pairs)),
        objective=objective,
        bound=bound,
        gap=gap,
        greedy_objective=greedy_objective,
        solver=options.solver,
        source=source,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        search_seconds=search_seconds,
        solver_message=outcome.message,
        notes=tuple(notes),
    )


# share of the time limit the LP relaxation (bound and start plan) may take, and when the whole-model MIP is
# skipped (too many rows): then the relaxation is the only bound, and on M (1,000 × 100, 120 s) a third round
# of link cuts (26,274,385 instead of 26,461,763) is worth more than the search's 15 s
RELAXATION_SHARE = 0.2
RELAXATION_SHARE_ALONE = 0.35
# the relaxation runs in a second process, for the whole time limit, when the problem has at least this many
# pairs and the time limit is at least this long (a child interpreter costs about a second to start; the
# demo, 20 s, stays in one process); the solve waits for its rounds until they are over, or this share of the
# time limit has passed and one round has come, or the share above has passed. After its rounds the child
# prices park knapsacks (S, 3,600 pairs: rounds over in 5 s, knapsacks 7,696,151 instead of 7,720,163)
BACKGROUND_MIN_PAIRS = 1_000
BACKGROUND_MIN_SECONDS = 30.0
BACKGROUND_WAIT_SHARE = 0.2
# the whole-model MIP stops when its gap shrank by less than a tenth over this share of the time limit
STALL_SHARE = 0.1
# a reproducible solve (SolverOptions.steps): the relaxation's rounds at most, and the interrupt callbacks after
# which the whole-model MIP stops (the demo's root, 7,800 rows, makes 18 in 10 s; a node takes a few ms)
RELAX_ROUNDS_COUNTED = 10
# and on problems with more pairs than this, fewer (the count must not depend on the clock): a province-scale
# region (2,000 projects, 150 parks, 129,629 pairs) spent 620 s in 10 rounds of a 990 s run of 50 steps
RELAX_COUNTED_LARGE_PAIRS = 20_000
RELAX_ROUNDS_COUNTED_LARGE = 2
WHOLE_MODEL_CALLBACKS = 20


def _relaxes_in_background(problem: AssignmentProblem, options: SolverOptions) -> bool:
    """Whether the relaxation runs in a second process (:mod:`optimize._background`) beside the solve."""
    return (options.steps is None and options.time_limit is not None and options.time_limit >= BACKGROUND_MIN_SECONDS
            and problem.n_pairs >= BACKGROUND_MIN_PAIRS)


def _relaxation(problem: AssignmentProblem, options: SolverOptions, share: float = RELAXATION_SHARE) -> Relaxation:
    """The LP relaxation of :mod:`optimize.relax` within ``share`` of the time limit (errors are not fatal)."""
    limit = None if options.time_limit is None else share * options.time_limit
    rounds = 30
    if options.steps is not None:
        rounds = RELAX_ROUNDS_COUNTED_LARGE if problem.n_pairs > RELAX_COUNTED_LARGE_PAIRS else RELAX_ROUNDS_COUNTED
    try:
        with quiet_stdout():
            return relax(problem, time_limit=limit, threads=options.threads, max_rounds=rounds)
    except Exception as exc:  # noqa: BLE001 - a by-product: the solve goes on without it
        log.warning("LP relaxation failed: %s", exc)
        return Relaxation(None, 0.0, f"LP relaxation failed: {exc}")


@dataclass
class _Outcome:
    """What one solver call gave, before the start plan and the search are considered."""

    chosen: list[int]
    had_plan: bool
    proven: bool
    bound: float | None
    infeasible: bool
    message: str
    build_seconds: float
    solve_seconds: float
    skipped: bool = False
    model: MatrixModel | None = None  # HiGHS's built model, reused by the neighbourhood search


# HiGHS's root LP alone took over 300 s on a 160,000-row model (the M benchmark); beyond this size the
# whole-model MIP cannot help within a time limit of minutes, and the time goes to neighbourhood search.
WHOLE_MODEL_ROWS = 100_000
# beyond this many nonzeros HiGHS runs in a child process that is killed if it overruns its limit
GUARD_NONZEROS = 150_000


def _skips_whole_model(model: MatrixModel, options: SolverOptions, *, has_start: bool) -> bool:
    """Whether HiGHS's whole-model MIP is skipped: the model is too large for it, and the neighbourhood search
    can spend the time from a start plan instead."""
    return (model.matrix.shape[0] > WHOLE_MODEL_ROWS and has_start and options.search > 0
            and (options.time_limit is not None or options.steps is not None))


def _solve_highs(problem: AssignmentProblem, options: SolverOptions, start: Sequence[int] | None,
                 model: MatrixModel | None = None, build_seconds: float = 0.0) -> _Outcome:
    """HiGHS in memory (:mod:`optimize.matrix`): bulk build (unless ``model`` was built already, in
    ``build_seconds``), the start plan handed over, a deadline that holds."""
    t0 = time.perf_counter()
    if model is None:
        model = build_matrix(problem)
    warm = model.start_vector(problem, start) if start is not None else None
    build_seconds += time.perf_counter() - t0
    if _skips_whole_model(model, options, has_start=start is not None):
        return _Outcome([], False, False, None, False,
                        f"the whole model ({model.matrix.shape[0]:,} rows) is too large for HiGHS within the time limit: "
                        "neighbourhood search from the start plan had all the time, so the solver proves no bound",
                        build_seconds, 0.0, skipped=True, model=model)
    t1 = time.perf_counter()
    settings = {"gap": options.gap, "threads": options.threads, "start": warm}
    if options.search > 0 and options.solver_seconds is not None:  # stop early when the gap stalls
        settings["stall"] = max(5.0, STALL_SHARE * options.time_limit)
    if options.steps is not None:  # reproducible: a count, not seconds (with no search, the model alone has it)
        settings["callbacks"] = WHOLE_MODEL_CALLBACKS
    with quiet_stdout():
        if model.matrix.nnz > GUARD_NONZEROS and options.solver_seconds is not None:
            result = solve_matrix_guarded(model, time_limit=options.solver_seconds, **settings)
        else:
            result = solve_matrix(model, time_limit=options.solver_seconds, **settings)
    solve_seconds = time.perf_counter() - t1
    if result.status == "unbounded":
        raise SolverError("the model is unbounded; scores or capacities are malformed")
    chosen = [] if result.values is None else np.flatnonzero(result.values[: model.n_x] > 0.5).tolist()
    # a bound is only trusted from a solve that ended with a plan
    return _Outcome(chosen=chosen, had_plan=result.values is not None, proven=result.status == "optimal",
                    bound=result.bound if result.values is not None else None,
                    infeasible=result.status == "infeasible", message=f"HiGHS: {result.message}",
                    build_seconds=build_seconds, solve_seconds=solve_seconds, model=model)


def _solve_cbc(problem: AssignmentProblem, options: SolverOptions, start: Sequence[int] | None) -> _Outcome:
    """CBC through PuLP; a time-limited plan is told from a proven one by ``sol_status`` and the log's bound."""
    t0 = time.perf_counter()
    model = build_model(problem)
    prob, x = model.prob, model.x
    if start is not None:
        model.set_start(problem, start)
    build_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    limit = options.solver_seconds
    log_text = _run_cbc(prob, options, limit, warm=start is not None)
    if start is not None and _cbc_root_stopped(prob, log_text) and (
            limit is None or time.perf_counter() - t1 < CBC_RETRY_SHARE * limit):
        # CBC, handed a start it cannot beat, may stop at once with "infeasible or too expensive" (gap1 c515-2
        # with an optimal start, in 0.00 s): the root LP under the start's cutoff was infeasible, a proof, or
        # stopped by the clock, none, and the log does not say which. With its time not used up it is asked
        # again, without the start; if that run ends with a worse plan, the first run's plan is kept
        first, first_value = [var.varValue for var in x], _cbc_plan_value(problem, prob, x)
        log_text = _run_cbc(prob, options, None if limit is None else limit - (time.perf_counter() - t1), warm=False)
        if _cbc_plan_value(problem, prob, x) < first_value - 1e-9:  # (the second log's bound still holds)
            for var, value in zip(x, first):
                var.varValue = value
            prob.status, prob.sol_status = pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
    solve_seconds = time.perf_counter() - t1
    lp_status, sol_status = prob.status, prob.sol_status
    message = f"{pulp.LpStatus[lp_status]} (sol_status {sol_status})"
    if lp_status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible:
        return _Outcome([], False, False, None, True, message, build_seconds, solve_seconds)
    if lp_status == pulp.LpStatusUnbounded:
        raise SolverError("the model is unbounded; scores or capacities are malformed")
    had_plan = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    chosen = _cbc_chosen(x) if had_plan else []
    proven = sol_status == pulp.LpSolutionOptimal
    if _cbc_root_stopped(prob, log_text):
        # "infeasible or too expensive": the root LP under the start's cutoff was infeasible (a proof) or the
        # time limit stopped it (seen with a good start on a 20 × 200 GAP and 0.6 s), and CBC prints "Optimal
        # solution found" for the start plan either way; the log does not tell the two apart, so nothing is proven
        proven, message = False, f"{message}; CBC stopped in its root LP, so its plan is not proven"
    objective = problem.objective_of(chosen) if had_plan else None
    bound = _cbc_bound(log_text, objective, proven) if had_plan else None
    return _Outcome(chosen, had_plan, proven, bound, False, message, build_seconds, solve_seconds)


# CBC asked again without the start when it stopped in its root LP within this share of its time
CBC_RETRY_SHARE = 0.5


def _run_cbc(prob: pulp.LpProblem, options: SolverOptions, seconds: float | None, *, warm: bool) -> str:
    """One CBC run of ``prob`` for at most ``seconds``; its log."""
    with tempfile.TemporaryDirectory(prefix="siting-solver-") as tmp:
        log_path = Path(tmp) / "solver.log"
        solver = _cbc(options, log_path, seconds, warm=warm)
        solver.tmpDir = tmp  # PuLP's model, start and solution files too: gone with the folder, also when interrupted
        try:
            with quiet_stdout():
                prob.solve(solver)
        except pulp.PulpSolverError as exc:
            raise SolverError(f"{options.solver} failed: {exc}") from exc
        return log_path.read_text(errors="replace") if log_path.exists() else ""


def _cbc_chosen(x: Sequence[pulp.LpVariable]) -> list[int]:
    """The pairs CBC set to 1."""
    return [k for k, var in enumerate(x) if (var.varValue or 0) > 0.5]


def _cbc_plan_value(problem: AssignmentProblem, prob: pulp.LpProblem, x: Sequence[pulp.LpVariable]) -> float:
    """The objective of the plan CBC left in ``x``; −inf when it has none."""
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return -np.inf
    return problem.objective_of(_cbc_chosen(x))


def _cbc_root_stopped(prob: pulp.LpProblem, log_text: str) -> bool:
    """CBC called its plan optimal but stopped in its root LP without a search: no proof."""
    return prob.sol_status == pulp.LpSolutionOptimal and _CBC_ROOT_STOPPED in log_text and "Search completed" not in log_text


def _cbc(options: SolverOptions, log_path: Path, seconds: float | None, *, warm: bool) -> pulp.LpSolver:
    return pulp.COIN_CMD(path=pulp_cbc_path, msg=False, timeLimit=seconds, gapRel=options.gap,
                         threads=options.threads, warmStart=warm, logPath=str(log_path), timeMode="elapsed")


_CBC_ROOT_STOPPED = "The LP relaxation is infeasible or too expensive"
_CBC_BOUND = re.compile(r"^Upper bound:\s*([-+0-9.eE]+)", re.MULTILINE)
_CBC_BEST_POSSIBLE = re.compile(r"best possible ([-+0-9.eE]+)")


def _cbc_bound(log_text: str, objective: float | None, proven: bool) -> float | None:
    """The proven upper bound on the objective (we maximise), from CBC's log."""
    match = _CBC_BOUND.findall(log_text)
    if match:  # CBC knows the model maximises and prints the bound in its sense
        return float(match[-1])
    match = _CBC_BEST_POSSIBLE.findall(log_text)
    if match:
        return -float(match[-1])  # CBC minimises the negated objective
    return objective if proven else None


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(bound − objective) / |bound|, never below 0; ``None`` when either is missing."""
    if objective is None or bound is None:
        return None
    return max(0.0, bound - objective) / max(1e-9, abs(bound))


def _no_plan(problem: AssignmentProblem, status: Status, options: SolverOptions, greedy_objective: float,
             build_seconds: float, solve_seconds: float, message: str) -> Solution:
    return Solution(
        status=status, assignment={}, chosen_pairs=(), objective=None, bound=None, gap=None,
        greedy_objective=greedy_objective, solver=options.solver, source="solver",
        build_seconds=build_seconds, solve_seconds=solve_seconds, solver_message=message,
    )


def pair_indices(problem: AssignmentProblem, assignment: Mapping[str, str]) -> list[int]:
    """Pair indices of an ``{item: bin}`` assignment; raises if a pair is not eligible."""
    lookup = problem.pair_of()
    missing = [f"{i}→{b}" for i, b in assignment.items() if (i, b) not in lookup]
    if missing:
        raise SolverError(f"pairs not eligible: {', '.join(missing)}")
    return sorted(lookup[(i, b)] for i, b in assignment.items())


__all__ = ["SOLVERS", "Solution", "SolverOptions", "Status", "pair_indices", "solve"]
