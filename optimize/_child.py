"""Child process of :func:`optimize.matrix.solve_matrix_guarded`: pickled (model, deadline, options) in, result out."""

from __future__ import annotations

import pickle
import sys
import time

from ._process import claim_stdout
from .matrix import solve_matrix


def main() -> None:
    model, deadline, options = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - written by our parent
    result_pipe = claim_stdout()
    result = solve_matrix(model, time_limit=max(0.01, deadline - time.monotonic()), **options)
    result_pipe.write(pickle.dumps(result))
    result_pipe.close()


if __name__ == "__main__":
    main()
