"""Why is the model infeasible? An elastic re-solve that says which capacities must grow, and by how much.

Only mandatory items make the assignment model infeasible (optional ones can always stay out), so
the elastic model keeps the mandatory items alone and lets every capacity row overflow::

    minimise   Σ_r s_r / max(1, capacity_r)
    assign_i:  Σ_{k ∈ pairs(i)} x_k = 1                       (mandatory i)
    cap_r:     Σ_k use_{r,k} x_k − s_r ≤ capacity_r,   s_r ≥ 0

Each row with ``s_r > 0`` is a constraint that must be relaxed by at least ``s_r`` for this plan of
the mandatory items; rows are weighed by their capacity so that hectares and tonnes compare.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulp
from pulp.apis.coin_api import pulp_cbc_path

from ._quiet import quiet_stdout
from .problem import AssignmentProblem
from .solve import SolverOptions


def amount(value: float) -> str:
    """A quantity for people: thousands separated, no exponent, decimals only where they matter."""
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Shortfall:
    """A capacity that the mandatory items overflow."""

    row: str
    label: str
    resource: str
    capacity: float
    needed: float
    items: tuple[str, ...]

    @property
    def short_by(self) -> float:
        return self.needed - self.capacity


@dataclass(frozen=True)
class Diagnosis:
    """What makes the model infeasible."""

    unplaceable: tuple[str, ...]  # mandatory items with no eligible bin at all
    shortfalls: tuple[Shortfall, ...]

    def lines(self, *, items: str = "mandatory items", bin_word: str = "bin") -> list[str]:
        """Plain-words lines; ``items`` and ``bin_word`` name the items and bins in the caller's terms."""
        out = [f"{items}: {i} has no eligible {bin_word}" for i in self.unplaceable]
        for s in self.shortfalls:
            out.append(
                f"{s.label or s.row}: short by {amount(s.short_by)} (needs {amount(s.needed)}, has "
                f"{amount(s.capacity)}) for {items} {', '.join(s.items)}"
            )
        return out


def diagnose(problem: AssignmentProblem, options: SolverOptions | None = None) -> Diagnosis:
    """Find the smallest (weighted) relaxation of capacities that lets every mandatory item in."""
    options = options or SolverOptions()
    pairs_of_item = problem.pairs_of_item()
    unplaceable = tuple(problem.items[i] for i, ks in enumerate(pairs_of_item) if problem.mandatory[i] and not len(ks))
    mandatory = [i for i in range(len(problem.items)) if problem.mandatory[i] and len(pairs_of_item[i])]
    if not mandatory:
        return Diagnosis(unplaceable=unplaceable, shortfalls=())

    prob = pulp.LpProblem("elastic", pulp.LpMinimize)
    x = {int(k): prob.add_variable(f"x_{k}", cat=pulp.LpBinary) for i in mandatory for k in pairs_of_item[i]}
    slack = [prob.add_variable(f"s_{r}", lowBound=0) for r in range(len(problem.capacities))]
    prob.setObjective(pulp.LpAffineExpression(
        [(s, 1.0 / max(1.0, abs(row.capacity))) for s, row in zip(slack, problem.capacities)]))
    for i in mandatory:
        expr = pulp.LpAffineExpression([(x[int(k)], 1.0) for k in pairs_of_item[i]])
        prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"assign_{i}", 1.0))
    for r, (pairs, use) in enumerate(problem.pair_row_use()):
        terms = [(x[k], u) for k, u in zip(pairs.tolist(), use.tolist()) if k in x and u != 0]
        terms.append((slack[r], -1.0))
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE, f"cap_{r}",
                                             problem.capacities[r].capacity))
    if options.solver == "cbc":
        solver = pulp.COIN_CMD(path=pulp_cbc_path, msg=False, timeLimit=options.time_limit, threads=options.threads)
    else:
        solver = pulp.HiGHS(msg=False, timeLimit=options.time_limit, threads=options.threads)
    with quiet_stdout():
        prob.solve(solver)

    chosen = [k for k, var in x.items() if (var.varValue or 0) > 0.5]
    shortfalls = []
    for r, row in enumerate(problem.capacities):
        amount = slack[r].varValue or 0.0
        if amount <= 1e-6 * max(1.0, abs(row.capacity)):
            continue
        in_row = [k for k in chosen if problem.pair_bin[k] in row.bins]
        needed = float(sum(problem.pair_use[row.resource][k] for k in in_row))
        shortfalls.append(Shortfall(
            row=row.name, label=row.label, resource=row.resource, capacity=row.capacity, needed=needed,
            items=tuple(sorted(problem.items[problem.pair_item[k]] for k in in_row)),
        ))
    return Diagnosis(unplaceable=unplaceable, shortfalls=tuple(shortfalls))
