"""Child process of :func:`optimize.matrix.solve_matrix_guarded`: pickled (model, deadline, options) in, result out."""

from __future__ import annotations

import os
import pickle
import sys
import time

from .matrix import solve_matrix


def main() -> None:
    model, deadline, options = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - written by our parent
    result_pipe = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # HiGHS prints a banner on stdout whatever its options
    result = solve_matrix(model, time_limit=max(0.01, deadline - time.monotonic()), **options)
    result_pipe.write(pickle.dumps(result))
    result_pipe.close()


if __name__ == "__main__":
    main()
