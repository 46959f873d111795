"""Shadow prices: what one more unit of each capacity is worth, around a solved plan.

A MIP has no duals, so we take the LP relaxation *around the plan*: every x and y becomes continuous,
the chain openings (y) are fixed to the plan's, and the LP is solved to optimality. The dual value
of each capacity row is then the marginal objective gain of one more unit of that capacity (score
points per ha, tce or t), with the plan's chain structure kept. A row with slack has price 0. It is a
guide for negotiation ("one more ha in P07 is worth about 52 points"), not a promise: projects come
in whole hectares.

PuLP hands a maximisation to HiGHS as a negated minimisation, and the duals it reads back keep that
sign (TECH-NOTES); CBC's come out in the model's own sense. We normalise both so that a binding
capacity in a maximisation has a price ≥ 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pulp
from pulp.apis.coin_api import pulp_cbc_path

from ._quiet import quiet_stdout
from .model import build_model
from .problem import AssignmentProblem


def shadow_prices(problem: AssignmentProblem, chosen: Sequence[int], *, solver: str = "highs",
                  threads: int = 1) -> pd.DataFrame:
    """One row per capacity row: ``row, label, resource, capacity, used, shadow_price``.

    Parameters
    ----------
    problem
        The problem that was solved.
    chosen
        The plan (pair indices) whose chain structure is kept.
    solver
        ``"highs"`` or ``"cbc"`` for the LP.
    """
    model = build_model(problem, relax=True)
    opened = problem.opened(chosen)
    for key, var in model.y.items():
        value = 1.0 if key in opened else 0.0
        var.lowBound, var.upBound = value, value
    if solver == "cbc":
        lp_solver = pulp.COIN_CMD(path=pulp_cbc_path, msg=False, mip=False, threads=threads)
    else:
        lp_solver = pulp.HiGHS(msg=False, mip=False, threads=threads)
    with quiet_stdout():
        model.prob.solve(lp_solver)
    ok = model.prob.status == pulp.LpStatusOptimal
    sign = -1.0 if solver == "highs" else 1.0
    chosen_list = list(chosen)
    rows = []
    for r, row in enumerate(problem.capacities):
        in_row = [k for k in chosen_list if problem.pair_bin[k] in row.bins]
        used = float(problem.pair_use[row.resource][in_row].sum()) if in_row else 0.0
        constraint = model.capacity_rows.get(r)
        price = sign * float(constraint.pi) if ok and constraint is not None and constraint.pi is not None else 0.0
        rows.append({"row": row.name, "label": row.label, "resource": row.resource, "capacity": row.capacity,
                     "used": used, "shadow_price": max(0.0, price) if abs(price) > 1e-9 else 0.0})
    return pd.DataFrame(rows, columns=["row", "label", "resource", "capacity", "used", "shadow_price"])
