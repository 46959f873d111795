"""HiGHS through PuLP, with a time limit that holds.

HiGHS checks its own ``time_limit`` only between some phases and was measured overrunning it by more
than a minute on large models (TECH-NOTES; here 365 s for a 120 s limit on the M benchmark). An
interrupt callback checks the wall clock at every MIP, simplex and IPM interrupt point and stops the
solve at the deadline; the best plan found so far is kept (``sol_status`` 2).
"""

from __future__ import annotations

import time

import highspy
import pulp

_INTERRUPTS = (
    highspy.cb.HighsCallbackType.kCallbackMipInterrupt,
    highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt,
    highspy.cb.HighsCallbackType.kCallbackIpmInterrupt,
)


def highs(*, time_limit: float | None, gap: float | None = None, threads: int = 1, mip: bool = True) -> pulp.HiGHS:
    """A PuLP HiGHS solver that stops at ``time_limit`` seconds from now, whatever phase it is in."""
    options = {"msg": False, "threads": threads, "mip": mip, "random_seed": 0}
    if gap is not None:
        options["gapRel"] = gap
    if time_limit is None:
        return pulp.HiGHS(**options)
    deadline = time.perf_counter() + time_limit

    def interrupt(_kind, _message, _data_out, data_in, _user) -> None:
        if time.perf_counter() > deadline:
            data_in.user_interrupt = True

    return pulp.HiGHS(timeLimit=time_limit, callbackTuple=(interrupt, None), callbacksToActivate=list(_INTERRUPTS),
                      **options)
