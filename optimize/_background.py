"""The LP relaxation (:func:`optimize.relax.relax`) in a second process, while the first one searches for plans.

On the large benchmarks the relaxation is the only source of a proven bound, and its rounds of link
cuts slow down as cuts are added: on L (3,000 projects × 200 parks, 10,000 links) the first round
takes about 70 s and the second about 170 s, so within a 300 s limit the solve used to stop after one
round and give the rest to the search. The machines this runs on have two cores; here the rounds go
on in a child process for the whole time limit while the parent searches, and the parent reads every
round that finished when it is done. When the rounds end with time left (on S, 300 projects × 40 parks,
after about 5 s), the child prices each park's knapsack exactly at the last round's prices
(:mod:`optimize._knapsacks`), a tighter bound: 7,696,151 on S against the rounds' 7,720,163, in about
20 s. The child is a fresh interpreter (``python -m
optimize._background``, started as :func:`optimize.matrix.solve_matrix_guarded` starts its own, :mod:`optimize._process`) that reads the pickled
problem on stdin and writes length-prefixed pickles on stdout: ``(bound, x)`` for each round, ``(None,
None)`` when the rounds are over, ``(bound, None)`` for the knapsack bound.
"""

from __future__ import annotations

import ctypes
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from ._knapsacks import park_knapsack_bound
from ._process import child_env, claim_stdout
from .problem import AssignmentProblem
from .relax import Relaxation, Round, relax


class BackgroundRelaxation:
    """Rounds of the relaxation computed by a child process until ``time_limit`` seconds from now.

    Use :meth:`wait` for the first rounds (their LP points guide a start plan), :meth:`snapshot` for
    what arrived so far, and :meth:`stop` at the end: it ends the child and returns every round that
    finished, with the lowest of their bounds. A child that fails only costs the bound.
    """

    # the child's command line (tests put a failing or a slow one here)
    command: tuple[str, ...] = (sys.executable, "-m", "optimize._background")

    def __init__(self, problem: AssignmentProblem, *, time_limit: float, threads: int = 1) -> None:
        self._t0 = time.perf_counter()
        self._rounds: list[tuple[float, np.ndarray]] = []
        self._bounds: list[float] = []  # the rounds' and the knapsacks'
        self._arrived = threading.Condition()
        self._rounds_over = False
        self._ended = False
        self._error = ""
        self._stopped: Relaxation | None = None
        deadline = time.monotonic() + time_limit  # CLOCK_MONOTONIC: the same clock in the child
        payload = pickle.dumps((problem, deadline, threads))  # before the child starts: nothing to clean up if it fails
        self._stderr = tempfile.TemporaryFile()  # read at the end: a pipe nobody reads could fill and block the child
        self._child = subprocess.Popen(list(self.command), stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=self._stderr, env=child_env())
        self._writer = threading.Thread(target=self._write, args=(payload,), daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._writer.start()
        self._reader.start()

    def _write(self, payload: bytes) -> None:
        try:
            self._child.stdin.write(payload)
        except OSError:  # the child ended early; _read reports why
            pass
        finally:
            try:
                self._child.stdin.close()
            except OSError:
                pass

    def _read(self) -> None:
        stream = self._child.stdout
        try:
            while True:
                head = stream.read(8)
                if len(head) < 8:
                    break
                data = stream.read(int.from_bytes(head, "little"))
                bound, x = pickle.loads(data)  # noqa: S301 - written by our own child
                with self._arrived:
                    if x is not None:
                        self._rounds.append((float(bound), np.asarray(x)))
                    if bound is None:
                        self._rounds_over = True
                    else:
                        self._bounds.append(float(bound))
                    self._arrived.notify_all()
        except Exception as exc:  # noqa: BLE001 - a garbled stream costs the bound, never the solve
            self._error = f"the relaxation's process sent something unreadable ({exc!r})"
        finally:
            code = self._child.wait()
            if code not in (0, -9, -15) and not self._error:
                self._stderr.seek(0)
                last = self._stderr.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
                self._error = f"the relaxation's process ended with code {code} {last[0]}".strip()
            with self._arrived:
                self._ended = True
                self._arrived.notify_all()

    def wait(self, *, soft: float, hard: float) -> None:
        """Block until the rounds are over, or ``soft`` seconds (from the start) have passed and a round has
        arrived, or ``hard`` seconds have passed."""
        with self._arrived:
            while True:
                elapsed = time.perf_counter() - self._t0
                if self._rounds_over or self._ended or elapsed >= hard or (elapsed >= soft and self._rounds):
                    return
                self._arrived.wait((soft if elapsed < soft else hard) - elapsed)

    def finish(self, *, by: float) -> Relaxation:
        """Let the child work until it ends or ``by`` seconds (from the start) have passed, then :meth:`stop`."""
        with self._arrived:
            while not self._ended and (left := by - (time.perf_counter() - self._t0)) > 0:
                self._arrived.wait(left)
        return self.stop()

    def snapshot(self) -> Relaxation:
        """The rounds that have arrived so far (the child goes on)."""
        with self._arrived:
            rounds, bounds = list(self._rounds), list(self._bounds)
            ended, error = self._ended, self._error
        return self._relaxation(rounds, bounds, ended, error)

    def stop(self) -> Relaxation:
        """End the child (a round in progress is lost) and return every round that finished."""
        if self._stopped is None:
            if self._child.poll() is None:
                self._child.kill()
            self._reader.join()
            self._writer.join()
            self._child.stdout.close()
            self._stderr.close()
            self._stopped = self._relaxation(list(self._rounds), list(self._bounds), True, self._error)
        return self._stopped

    def _relaxation(self, rounds: list[tuple[float, np.ndarray]], bounds: list[float], ended: bool,
                    error: str) -> Relaxation:
        seconds = time.perf_counter() - self._t0
        if not rounds:
            message = (f"LP relaxation: {error}" if error else
                       "LP relaxation: no round finished in time" if ended else "LP relaxation: no round yet")
            return Relaxation(None, seconds, message)
        n = len(rounds)
        knapsacks = ", and park knapsacks at its prices" if len(bounds) > n else ""
        return Relaxation(min(bounds), seconds,
                          f"LP relaxation solved ({n} round{'s' if n > 1 else ''}{knapsacks}, in a second process)",
                          tuple(x for _, x in rounds))


def _die_with_parent() -> None:
    """Linux: ask the kernel to kill this process when its parent dies (a parent killed hard cannot stop it)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> None:
    _die_with_parent()
    problem, deadline, threads = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - written by our parent
    pipe = claim_stdout()

    def send(bound: float | None, x: np.ndarray | None) -> None:
        data = pickle.dumps((bound, x))
        pipe.write(len(data).to_bytes(8, "little") + data)
        pipe.flush()

    last: list[Round] = []

    def on_round(round_: Round) -> None:
        last[:] = [round_]
        send(round_.bound, round_.x)

    try:
        # a round that may not end in time is still worth trying here: the parent keeps every round that does
        # (M at 120 s: a fifth round of about 35 s after 64 s, where twice the fourth round's 29 s did not fit)
        relax(problem, time_limit=max(0.01, deadline - time.monotonic()), threads=threads, on_round=on_round,
              growth=1.0)
        send(None, None)
        if last and deadline - time.monotonic() > 0.1:
            bound, _ = park_knapsack_bound(problem, last[0].model, last[0].constant, last[0].row_dual, threads=threads,
                                           deadline=time.perf_counter() + (deadline - time.monotonic()),
                                           cover_rows=last[0].cover_rows)
            if bound is not None:
                send(bound, None)
    except BrokenPipeError:  # the parent stopped listening
        pass


if __name__ == "__main__":
    main()
