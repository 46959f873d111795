"""Cluster siting optimizer: where each candidate investment project should go.

The flow: scenario → layers (region) + projects → eligibility and scores → optimize → KPIs → map,
report, exports. See README.md and DESIGN.md.
"""

from layers import InputError, Problem

from .check import check_run
from .eligibility import Eligibility, assess
from .plan import Infeasible, Plan, make_plan
from .region import Region, load_region
from .run import DEMO_SCENARIO, RunResult, execute, prepare
from .scenario import Scenario, load_scenario

__all__ = [
    "DEMO_SCENARIO",
    "Eligibility",
    "Infeasible",
    "InputError",
    "Plan",
    "Problem",
    "Region",
    "RunResult",
    "Scenario",
    "assess",
    "check_run",
    "execute",
    "load_region",
    "load_scenario",
    "make_plan",
    "prepare",
]
