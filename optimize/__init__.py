"""The MILP engine: a generalized assignment problem with extras, built from plain tables keyed by IDs.

No geography here: the engine never imports geopandas.
"""

from ._errors import ProblemError, SolverError
from .diagnose import Diagnosis, Shortfall, diagnose
from .duals import shadow_prices
from .greedy import greedy_plan
from .problem import AssignmentProblem, CapacityRow, Classes, Links, SideRow
from .solve import SOLVERS, Solution, SolverOptions, Status, pair_indices, relative_gap, solve

__all__ = [
    "SOLVERS",
    "AssignmentProblem",
    "CapacityRow",
    "Classes",
    "Diagnosis",
    "Links",
    "ProblemError",
    "Shortfall",
    "SideRow",
    "Solution",
    "SolverError",
    "SolverOptions",
    "Status",
    "diagnose",
    "greedy_plan",
    "pair_indices",
    "relative_gap",
    "shadow_prices",
    "solve",
]
