"""Shadow prices: what one more unit of each capacity is worth, around a solved plan.

A MIP has no duals, so we take the LP relaxation *around the plan*: every x and y becomes continuous,
the chain openings (y) are fixed to the plan's, and the LP is solved to optimality. The dual value
of each capacity row is then the marginal objective gain of one more unit of that capacity (score
points per ha, tce or t), with the plan's chain structure kept. A row with slack *in the LP* has price 0;
the LP's fractions can fill a row that the plan (whole items) leaves partly unused, so the plan's ``used``
may be below a priced row's capacity. It is a guide for negotiation ("one more ha in P07 is worth
about 52 points"), not a promise: projects come in whole hectares.

The LP is solved by HiGHS in memory (:mod:`optimize.matrix`) whichever solver found the plan, with a
time limit: the LP relaxation of a large model (1,000 projects, 3,000 links) takes minutes, and a run
must not hang on a by-product. When the LP does not finish, the prices are left empty (NaN).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._quiet import quiet_stdout
from .matrix import build_matrix, solve_matrix
from .problem import AssignmentProblem


def shadow_prices(problem: AssignmentProblem, chosen: Sequence[int], *, time_limit: float | None = 60.0,
                  threads: int = 1, max_rows: int | None = None) -> pd.DataFrame:
    """One row per capacity row: ``row, label, resource, capacity, used, shadow_price``.

    Parameters
    ----------
    problem
        The problem that was solved.
    chosen
        The plan (pair indices) whose chain structure is kept.
    time_limit
        Seconds for the LP; prices are NaN when it does not finish.
    max_rows
        With more rows than this the LP is not solved and the prices are NaN (``attrs["skipped"]``): a limit
        that does not depend on the clock. ``attrs["rows"]`` holds the model's row count either way.
    """
    model = build_matrix(problem, relax=True)
    opened = problem.opened(chosen)
    for n, key in enumerate(model.y_keys):
        value = 1.0 if key in opened else 0.0
        model.col_lower[model.n_x + n] = model.col_upper[model.n_x + n] = value
    rows_in_model = int(model.matrix.shape[0])
    skipped = max_rows is not None and rows_in_model > max_rows
    duals = None
    if not skipped:
        with quiet_stdout():
            result = solve_matrix(model, time_limit=time_limit, threads=threads)
        duals = result.row_dual if result.status == "optimal" else None
    first_cap = len(np.unique(problem.pair_item))  # the assign rows come first, then one row per capacity
    chosen_arr = np.asarray(list(chosen), dtype=np.int64)
    rows = []
    for r, row in enumerate(problem.capacities):
        in_row = chosen_arr[np.isin(problem.pair_bin[chosen_arr], row.bins)]
        used = float(problem.pair_use[row.resource][in_row].sum()) if len(in_row) else 0.0
        if duals is None:
            price = float("nan")
        else:
            price = abs(float(duals[first_cap + r]))  # a binding ≤ row of a maximisation is worth ≥ 0
            price = price if price > 1e-9 else 0.0
        rows.append({"row": row.name, "label": row.label, "resource": row.resource, "capacity": row.capacity,
                     "used": used, "shadow_price": price})
    out = pd.DataFrame(rows, columns=["row", "label", "resource", "capacity", "used", "shadow_price"])
    out.attrs.update(rows=rows_in_model, skipped=skipped)
    return out
