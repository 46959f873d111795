"""Errors of the optimization engine."""


class ProblemError(ValueError):
    """The tables handed to the engine are inconsistent (unknown IDs, duplicate pairs, ...)."""


class SolverError(RuntimeError):
    """The solver could not be run or returned something unusable."""
