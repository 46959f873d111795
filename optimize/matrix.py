"""The formulation of :mod:`optimize.problem` as sparse arrays, passed to HiGHS in memory.

PuLP builds a HiGHS model one ``addCol``/``addRow`` call per variable and row and cannot hand HiGHS a
start plan. This module builds the same model (same variables, rows and objective as
:func:`optimize.model.build_model`) as numpy arrays in bulk, passes it with one ``passModel`` call,
gives HiGHS the start plan with ``setSolution``, and reads the answer back as arrays. On the M
benchmark (1,000 projects × 100 parks, 3,000 links) this is the difference between a build of
seconds and one of minutes.

Columns: ``x`` (one per eligible pair, binary), then ``y`` (one per (class, bin) that some pair uses,
binary, only when the classes constrain or cost anything), then ``w`` (one per link and bin of its
first item from which the second item can be near, continuous in [0, 1]). Rows, in order: ``assign``,
``cap``, ``open``/``classes``/``bins``, ``link`` (two per w), ``side``.
"""

from __future__ import annotations

import collections
import contextlib
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from ._process import child_env
from .problem import AssignmentProblem

# below this relative gap a stalled MIP solve goes on: it is close to a proof
STALL_MIN_GAP = 0.005

_INTERRUPTS = (
    highspy.cb.HighsCallbackType.kCallbackMipInterrupt,
    highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt,
    highspy.cb.HighsCallbackType.kCallbackIpmInterrupt,
)


@contextlib.contextmanager
def _stop_on_signals(received: list[int]):
    """While HiGHS runs, Ctrl-C (SIGINT) and SIGTERM stop it and then act as they would have.

    A Python signal handler runs at the next Python code on the main thread, which during a solve is the
    interrupt callback below: the exception it raises there (KeyboardInterrupt, or the CLI's SystemExit)
    is lost inside HiGHS, the solve goes on and the run finished as if nothing was sent. So while HiGHS
    runs, the signals are only noted (the callback then interrupts HiGHS), and after it returns the noted
    signal is handed to the handler that was in place. Noted signals are appended to ``received``.
    """
    if threading.current_thread() is not threading.main_thread():  # handlers can only be set on the main thread
        yield
        return
    # a signal that is ignored (SIG_IGN) stays ignored, and one whose handler Python does not know (None) is left alone
    previous = {s: h for s in (signal.SIGINT, signal.SIGTERM)
                if (h := signal.getsignal(s)) is not None and h != signal.SIG_IGN}
    for s in previous:
        signal.signal(s, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        for s, handler in previous.items():
            try:  # each on its own: a second Ctrl-C while restoring must not leave the other one noted forever
                signal.signal(s, handler)
            except KeyboardInterrupt:
                signal.signal(s, handler)
                received.append(signal.SIGINT)
    if received:
        signum = received[0]
        handler = previous[signum]
        if callable(handler):
            handler(signum, None)  # e.g. raises KeyboardInterrupt
        elif handler == signal.SIG_DFL:
            signal.raise_signal(signum)  # the default action, now that the default handler is back


@dataclass
class MatrixModel:
    """The model as arrays: maximise ``cost @ v`` s.t. ``row_lower ≤ A v ≤ row_upper``, bounds, integrality."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    matrix: sparse.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    n_x: int
    y_keys: list[tuple[int, int]]
    w_keys: np.ndarray  # (n_w, 2): link, bin

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    def start_vector(self, problem: AssignmentProblem, chosen: Sequence[int]) -> np.ndarray:
        """Every column's value in a plan: x, the classes it opens, the links it satisfies."""
        values = np.zeros(self.n_cols)
        chosen = np.asarray(list(chosen), dtype=np.int64)
        values[chosen] = 1.0
        if self.y_keys:
            opened = problem.opened(chosen)
            for n, key in enumerate(self.y_keys):
                values[self.n_x + n] = 1.0 if key in opened else 0.0
        if len(self.w_keys):
            where = problem.bin_of_item(chosen)
            satisfied = problem.links.satisfied(where)
            n, p = self.w_keys[:, 0], self.w_keys[:, 1]
            values[self.n_x + len(self.y_keys):] = (satisfied[n] & (where[problem.links.a[n]] == p)).astype(float)
        return values


class RowBlocks:
    """Rows gathered block by block as coordinate triplets, for :func:`build_matrix` and its relaxation."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.n_rows = 0

    def add(self, r, c, v, lo, up) -> None:
        """Rows ``lo ≤ Σ v x ≤ up`` with entries (r, c, v); ``r`` counts from 0 within the block."""
        lo = np.asarray(lo, dtype=float)
        self.rows.append(np.asarray(r, dtype=np.int64) + self.n_rows)
        self.cols.append(np.asarray(c, dtype=np.int64))
        self.vals.append(np.asarray(v, dtype=float))
        self.lower.append(lo)
        self.upper.append(np.asarray(up, dtype=float))
        self.n_rows += len(lo)

    def matrix(self, n_cols: int) -> sparse.csr_matrix:
        out = sparse.csr_matrix(
            (np.concatenate(self.vals) if self.vals else np.zeros(0),
             (np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=np.int64),
              np.concatenate(self.cols) if self.cols else np.zeros(0, dtype=np.int64))),
            shape=(self.n_rows, n_cols))
        out.sum_duplicates()
        return out

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.concatenate(self.lower) if self.lower else np.zeros(0),
                np.concatenate(self.upper) if self.upper else np.zeros(0))


def add_assignment_and_capacity_rows(blocks: RowBlocks, problem: AssignmentProblem) -> None:
    """``assign_i``: Σ x ≤ 1 (= 1 mandatory), for items with pairs; then ``cap_r``: Σ use x ≤ capacity."""
    items_with_pairs, row_of_item = np.unique(problem.pair_item, return_inverse=True)
    mandatory = problem.mandatory[items_with_pairs]
    blocks.add(row_of_item, np.arange(problem.n_pairs), np.ones(problem.n_pairs),
               np.where(mandatory, 1.0, -np.inf), np.ones(len(items_with_pairs)))
    r_list, c_list, v_list, caps = [], [], [], []
    for r, row in enumerate(problem.capacities):
        pairs = np.flatnonzero(np.isin(problem.pair_bin, row.bins))
        use = problem.pair_use[row.resource][pairs]
        keep = use != 0
        r_list.append(np.full(int(keep.sum()), r))
        c_list.append(pairs[keep])
        v_list.append(use[keep])
        caps.append(row.capacity)
    if caps:
        blocks.add(np.concatenate(r_list), np.concatenate(c_list), np.concatenate(v_list),
                   np.full(len(caps), -np.inf), caps)


def add_side_rows(blocks: RowBlocks, problem: AssignmentProblem) -> None:
    """The problem's side rows (county caps, benefit floors), one row each."""
    for row in problem.side_rows:
        lo, up = (-np.inf, row.rhs) if row.sense == "<=" else (row.rhs, np.inf)
        blocks.add(np.zeros(len(row.pairs)), row.pairs, row.coef, [lo], [up])


def build_matrix(problem: AssignmentProblem, *, relax: bool = False) -> MatrixModel:
    """The model of :func:`optimize.model.build_model` as sparse arrays (``relax``: x and y continuous)."""
    n_pairs = problem.n_pairs
    blocks = RowBlocks()
    block = blocks.add

    add_assignment_and_capacity_rows(blocks, problem)

    cost = [problem.pair_score.astype(float)]
    col_upper = [np.ones(n_pairs)]
    integer = [np.full(n_pairs, not relax)]
    n_cols = n_pairs

    # classes: open_k: x_k − y[c,b] ≤ 0; classes_b: Σ_c y ≤ limit; bins_c: Σ_b y ≤ limit
    y_keys: list[tuple[int, int]] = []
    classes = problem.classes
    if classes is not None and classes.modelled and n_pairs:
        key = classes.pair_class.astype(np.int64) * len(problem.bins) + problem.pair_bin
        uniq, y_of_pair = np.unique(key, return_inverse=True)
        y_keys = [(int(k // len(problem.bins)), int(k % len(problem.bins))) for k in uniq]
        y_cols = n_cols + np.arange(len(uniq))
        block(np.repeat(np.arange(n_pairs), 2), np.column_stack([np.arange(n_pairs), y_cols[y_of_pair]]).ravel(),
              np.tile([1.0, -1.0], n_pairs), np.full(n_pairs, -np.inf), np.zeros(n_pairs))
        y_class = np.array([c for c, _ in y_keys])
        y_bin = np.array([b for _, b in y_keys])
        if classes.per_bin_limit is not None:
            counts = np.bincount(y_bin, minlength=len(problem.bins))
            tight = np.flatnonzero(counts > classes.per_bin_limit)
            sel = np.isin(y_bin, tight)
            block(np.searchsorted(tight, y_bin[sel]), y_cols[sel], np.ones(int(sel.sum())),
                  np.full(len(tight), -np.inf), np.asarray(classes.per_bin_limit, dtype=float)[tight])
        if classes.bins_limit is not None:
            counts = np.bincount(y_class, minlength=len(classes.names))
            limit = np.asarray(classes.bins_limit, dtype=float)
            tight = np.flatnonzero(np.isfinite(limit) & (counts > limit))
            sel = np.isin(y_class, tight)
            block(np.searchsorted(tight, y_class[sel]), y_cols[sel], np.ones(int(sel.sum())),
                  np.full(len(tight), -np.inf), limit[tight])
        cost.append(np.full(len(uniq), -float(classes.open_cost)))
        col_upper.append(np.ones(len(uniq)))
        integer.append(np.full(len(uniq), not relax))
        n_cols += len(uniq)

    # links: w[l,p] − x[a,p] ≤ 0 and w[l,p] − Σ_{q near p} x[b,q] ≤ 0
    w_keys = np.zeros((0, 2), dtype=np.int64)
    links = problem.links
    if links is not None and len(links.a):
        pairs_of_item = problem.pairs_of_item()
        keys, a_pairs, part_w, part_pair = [], [], [], []
        n_w = 0
        for n in np.flatnonzero(links.reward > 0):
            limit = float(links.limit[n])
            near = links.near(limit)
            ka, kb = pairs_of_item[links.a[n]], pairs_of_item[links.b[n]]
            if not len(ka) or not len(kb):
                continue
            hit = near[np.ix_(problem.pair_bin[ka], problem.pair_bin[kb])]  # a's pairs × b's pairs
            has = hit.any(axis=1)
            if not has.any():
                continue
            rows_a, cols_b = np.nonzero(hit[has])
            keys.append(np.column_stack([np.full(int(has.sum()), n), problem.pair_bin[ka[has]]]))
            a_pairs.append(ka[has])
            part_w.append(n_w + rows_a)
            part_pair.append(kb[cols_b])
            n_w += int(has.sum())
        if n_w:
            w_keys = np.concatenate(keys)
            w_cols = n_cols + np.arange(n_w)
            block(np.repeat(np.arange(n_w), 2), np.column_stack([w_cols, np.concatenate(a_pairs)]).ravel(),
                  np.tile([1.0, -1.0], n_w), np.full(n_w, -np.inf), np.zeros(n_w))
            pw, pp = np.concatenate(part_w), np.concatenate(part_pair)
            block(np.concatenate([np.arange(n_w), pw]), np.concatenate([w_cols, pp]),
                  np.concatenate([np.ones(n_w), -np.ones(len(pw))]), np.full(n_w, -np.inf), np.zeros(n_w))
            cost.append(links.reward[w_keys[:, 0]].astype(float))
            col_upper.append(np.ones(n_w))
            integer.append(np.zeros(n_w, dtype=bool))
            n_cols += n_w

    add_side_rows(blocks, problem)

    row_lower, row_upper = blocks.bounds()
    return MatrixModel(
        cost=np.concatenate(cost), col_lower=np.zeros(n_cols), col_upper=np.concatenate(col_upper),
        integer=np.concatenate(integer), matrix=blocks.matrix(n_cols), row_lower=row_lower, row_upper=row_upper,
        n_x=n_pairs, y_keys=y_keys, w_keys=w_keys)


@dataclass(frozen=True)
class HighsResult:
    """What a direct HiGHS solve returned (objective in the model's maximising sense)."""

    status: str  # "optimal", "feasible", "infeasible", "unbounded", "no_solution"
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    message: str
    row_dual: np.ndarray | None = None  # LP only: marginal objective per unit of each row's bound


def solve_matrix(model: MatrixModel, *, time_limit: float | None, gap: float = 1e-4, threads: int = 1,
                 start: np.ndarray | None = None, presolve: bool = True,
                 highs_options: dict[str, object] | None = None, stall: float | None = None,
                 callbacks: int | None = None) -> HighsResult:
    """Solve a :class:`MatrixModel` with HiGHS in memory, stopping at ``time_limit`` whatever the phase.

    ``highs_options`` are further HiGHS options, e.g. ``{"solver": "ipm", "run_crossover": "off"}``.
    ``stall`` (seconds) stops a MIP solve early once its relative gap has shrunk by less than a tenth
    over the last ``stall`` seconds, unless the gap is already under ``STALL_MIN_GAP`` (then a proof is
    near: the OR-Library b10200 and c10200 sit at 0.07 % for seconds before HiGHS proves them). On
    the S benchmark HiGHS spends its whole budget in root cut rounds that move the bound 0.2 % while
    neighbourhood search raises the plan several percent.

    ``callbacks`` stops the solve at HiGHS's that-many-th interrupt callback: a limit that, unlike seconds, does
    not depend on the machine or its load (HiGHS on one thread makes the same calls in the same order), for
    reproducible solves (``SolverOptions.steps``); pass ``time_limit=None`` with it.
    """
    if model.n_cols == 0:  # HiGHS answers "Empty" with no solution; the empty plan is optimal if rows allow 0
        if ((model.row_lower <= 0) & (model.row_upper >= 0)).all():  # and no row is worth anything: duals 0
            return HighsResult("optimal", np.zeros(0), 0.0, 0.0, "empty model", row_dual=np.zeros(len(model.row_lower)))
        return HighsResult("infeasible", None, None, None, "empty model with a row that excludes 0")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", float(gap))
    if not presolve:
        h.setOptionValue("presolve", "off")
    for name, value in (highs_options or {}).items():
        h.setOptionValue(name, value)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    deadline = np.inf if time_limit is None else time.perf_counter() + time_limit
    # (seconds, relative gap) at MIP interrupt checks (about a thousand a second), trimmed so that
    # history[0] is the newest entry at least `stall` seconds old
    history: collections.deque[tuple[float, float]] = collections.deque()
    received: list[int] = []  # SIGINT or SIGTERM noted while HiGHS runs (_stop_on_signals)

    calls = [0]

    def interrupt(kind, _message, data_out, data_in, _user) -> None:
        now = time.perf_counter()
        calls[0] += 1
        if received or now > deadline or (callbacks is not None and calls[0] >= callbacks):
            data_in.user_interrupt = True
        elif stall is not None and kind == highspy.cb.HighsCallbackType.kCallbackMipInterrupt:
            gap_now = float(data_out.mip_gap)
            if np.isfinite(gap_now):
                history.append((now, gap_now))
                while len(history) > 1 and history[1][0] <= now - stall:
                    history.popleft()
                then, gap_then = history[0]
                if then <= now - stall and gap_now > STALL_MIN_GAP and gap_then - gap_now < 0.1 * gap_then:
                    data_in.user_interrupt = True

    h.setCallback(interrupt, None)
    for kind in _INTERRUPTS:
        h.startCallback(kind)

    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = len(model.row_lower)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = model.cost
    lp.col_lower_ = model.col_lower
    lp.col_upper_ = model.col_upper
    lp.row_lower_ = np.where(np.isfinite(model.row_lower), model.row_lower, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(model.row_upper), model.row_upper, highspy.kHighsInf)
    csc = model.matrix.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.a_matrix_.num_col_ = model.n_cols
    lp.a_matrix_.num_row_ = len(model.row_lower)
    if model.integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                           for v in model.integer]
    h.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(map(float, start))
        solution.value_valid = True
        h.setSolution(solution)
    with _stop_on_signals(received):
        h.run()

    status = h.getModelStatus()
    info = h.getInfo()
    message = h.modelStatusToString(status)
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.asarray(h.getSolution().col_value, dtype=float) if has_plan else None
    if status == highspy.HighsModelStatus.kInfeasible:
        return HighsResult("infeasible", None, None, None, message)
    if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return HighsResult("unbounded" if status == highspy.HighsModelStatus.kUnbounded else "infeasible",
                           None, None, None, message)
    if not has_plan:
        return HighsResult("no_solution", None, None, None, message)
    objective = float(model.cost @ values)
    mip = model.integer.any()
    bound = float(info.mip_dual_bound) if mip else objective
    bound = bound if np.isfinite(bound) else None
    proven = status == highspy.HighsModelStatus.kOptimal
    duals = None
    if not mip and proven:
        duals = np.asarray(h.getSolution().row_dual, dtype=float)
    return HighsResult("optimal" if proven else "feasible", values, objective, bound, message, duals)


def solve_matrix_guarded(model: MatrixModel, *, time_limit: float, grace: float | None = None,
                         **options) -> HighsResult:
    """:func:`solve_matrix` in a child process that is killed if HiGHS overruns ``time_limit`` by ``grace``.

    HiGHS checks neither its time limit nor the interrupt callback in some phases of MIP presolve;
    on the M benchmark (160,000 rows) a 72 s solve was still in presolve after 150 s. The child is a
    fresh interpreter (``python -m optimize._child``, not :mod:`multiprocessing`, which would re-import
    the caller's main script) that reads the pickled model on stdin and writes the pickled result on
    stdout; a killed or failed child counts as a solve without a plan.
    """
    grace = max(5.0, 0.1 * time_limit) if grace is None else grace
    deadline = time.monotonic() + time_limit  # CLOCK_MONOTONIC: the same clock in the child
    with subprocess.Popen([sys.executable, "-m", "optimize._child"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env()) as child:
        try:
            out, err = child.communicate(pickle.dumps((model, deadline, options)),
                                         timeout=max(0.0, deadline + grace - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            return HighsResult("no_solution", None, None, None,
                               f"HiGHS overran its {time_limit:.0f} s limit by {grace:.0f} s and was stopped")
        except BaseException:  # Ctrl-C or SIGTERM while waiting: the child must not run on to its limit
            child.kill()
            raise
    if child.returncode != 0 or not out:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
        return HighsResult("no_solution", None, None, None,
                           f"HiGHS process ended with code {child.returncode} {last[0]}".strip())
    return pickle.loads(out)  # noqa: S301 - written by our own child


__all__ = ["HighsResult", "MatrixModel", "build_matrix", "solve_matrix", "solve_matrix_guarded"]
