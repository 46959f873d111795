"""Ctrl-C and SIGTERM stop a HiGHS solve at once (a Python handler cannot run while HiGHS holds the thread)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from optimize.matrix import build_matrix, solve_matrix

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))


def _hard_model():
    from synthetic import make_instance

    return build_matrix(make_instance("QS"))  # HiGHS needs minutes to prove it


@pytest.mark.parametrize("signum, error", [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, SystemExit)])
def test_a_signal_stops_highs_and_acts_as_it_would_have(signum, error, monkeypatch):
    model = _hard_model()
    previous = signal.getsignal(signal.SIGTERM)
    # as in a terminal: a shell starts a background job (e.g. `pytest &`) with Ctrl-C ignored
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)

    def stop(number, _frame):  # as the command line does
        raise SystemExit(128 + number)

    signal.signal(signal.SIGTERM, stop)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signum))
    t0 = time.perf_counter()
    try:
        timer.start()
        with pytest.raises(error):
            solve_matrix(model, time_limit=60.0, gap=0.0)
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    handler = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, previous_int)
    assert time.perf_counter() - t0 < 10.0  # not the 60 s limit
    assert handler is signal.default_int_handler  # the handlers are put back


def test_an_ignored_signal_stays_ignored():
    """A process that ignores Ctrl-C (a job started in the background by a script) solves on to its limit."""
    model = _hard_model()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    try:
        timer.start()
        result = solve_matrix(model, time_limit=3.0, gap=0.0)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - t0 >= 2.9 and result.values is not None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")
def test_sigterm_ends_the_child_processes_too():
    """SIGTERM ends the CLI's children as well: PuLP leaves CBC running to its own time limit otherwise."""
    import subprocess

    import cli

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert child.pid in cli.end_children()
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        child.kill()
        child.wait()
