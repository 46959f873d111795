"""From eligibility to a plan: build the engine's tables, solve, and turn the answer back into park terms."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimize import AssignmentProblem, Diagnosis, Solution, SolverOptions, diagnose, greedy_plan, solve

from .eligibility import RESOURCES, SCORE_TERMS, Eligibility
from .region import Region


@dataclass(frozen=True)
class Plan:
    """A solved plan, in the domain's words."""

    solution: Solution
    assignments: pd.DataFrame  # one row per placed project: pair columns + project attributes
    unplaced: pd.DataFrame  # one row per unplaced project with reasons
    greedy_assignments: dict[str, str]
    problem: AssignmentProblem


class Infeasible(Exception):  # noqa: N818 - a domain outcome, not a programming error
    """The committed and locked projects cannot all be placed; carries the diagnosis."""

    def __init__(self, diagnosis: Diagnosis, solution: Solution):
        self.diagnosis = diagnosis
        self.solution = solution
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return self.diagnosis.lines(items="committed or locked projects", bin_word="park")


def build_problem(region: Region, eligibility: Eligibility) -> AssignmentProblem:
    """The engine's tables: pairs with scores and use; one capacity row per park and resource."""
    parks = region.parks
    pairs = eligibility.pairs.rename(columns={"project_id": "item", "park_id": "bin"})
    rows = []
    for resource, (_, cap_col, unit) in RESOURCES.items():
        for park_id, name, cap in zip(parks["park_id"], parks["name"], parks[cap_col].astype(float)):
            rows.append((f"{resource}[{park_id}]", resource, park_id, cap, f"park {park_id} ({name}) {resource} ({unit})"))
    capacities = pd.DataFrame(rows, columns=["name", "resource", "bin", "capacity", "label"])
    return AssignmentProblem.from_tables(
        pairs[["item", "bin", "score", *RESOURCES]], capacities,
        items=region.projects["project_id"].tolist(), bins=parks["park_id"].tolist(),
        mandatory=eligibility.mandatory, name=region.scenario.name,
    )


def make_plan(region: Region, eligibility: Eligibility, options: SolverOptions) -> Plan:
    """Solve the siting model; raise :class:`Infeasible` with a diagnosis when no plan exists."""
    problem = build_problem(region, eligibility)
    solution = solve(problem, options)
    if not solution.has_plan:
        raise Infeasible(diagnose(problem, options), solution)
    greedy = {problem.items[problem.pair_item[k]]: problem.bins[problem.pair_bin[k]] for k in greedy_plan(problem)}
    return Plan(
        solution=solution,
        assignments=_assignments(region, eligibility, solution),
        unplaced=_unplaced(region, eligibility, solution),
        greedy_assignments=greedy,
        problem=problem,
    )


def _assignments(region: Region, eligibility: Eligibility, solution: Solution) -> pd.DataFrame:
    chosen = pd.DataFrame(sorted(solution.assignment.items()), columns=["project_id", "park_id"])
    pairs = chosen.merge(eligibility.pairs, on=["project_id", "park_id"], how="left", validate="one_to_one")
    parks = region.parks[["park_id", "name", "county"]].rename(columns={"name": "park_name", "county": "host_county"})
    projects = region.projects.drop(columns=["land_ha", "energy_tce", "emission_t"], errors="ignore")
    out = pairs.merge(parks, on="park_id", how="left").merge(projects, on="project_id", how="left")
    out = out.rename(columns={"land": "land_ha", "energy": "energy_tce", "emission": "emission_t"})
    first = ["project_id", "name", "chain", "stage", "status", "park_id", "park_name", "host_county", "source_county",
             "score", *SCORE_TERMS, "land_ha", "energy_tce", "emission_t", "investment", "output", "tax", "jobs",
             "needs_hub", "hub_id", "hub_minutes", "max_hub_minutes", "belts"]
    return out[first + [c for c in out.columns if c not in first]]


def _unplaced(region: Region, eligibility: Eligibility, solution: Solution) -> pd.DataFrame:
    """Why each project was left out: the rules that removed parks, or what filled its eligible parks."""
    placed = set(solution.assignment)
    pairs = eligibility.pairs
    chosen = pairs.merge(pd.DataFrame(sorted(solution.assignment.items()), columns=["project_id", "park_id"]),
                         on=["project_id", "park_id"])
    left = {r: region.parks.set_index("park_id")[cap_col].astype(float)
            - chosen.groupby("park_id")[r].sum().reindex(region.parks["park_id"]).fillna(0.0)
            for r, (_, cap_col, _) in RESOURCES.items()}
    winners = {park: group.sort_values(["score", "project_id"], ascending=[False, True])["project_id"].tolist()[:3]
               for park, group in chosen.groupby("park_id")}
    eligible_parks = pairs.groupby("project_id")["park_id"].apply(list).to_dict()
    rows = []
    for p in region.projects.itertuples(index=False):
        if p.project_id in placed:
            continue
        parks = eligible_parks.get(p.project_id, [])
        removed = eligibility.reasons_for(p.project_id)
        by_rule = removed.groupby("rule")["park_id"].apply(list).to_dict()
        summary = "; ".join(f"{rule}: {len(ids)} park(s)" for rule, ids in sorted(by_rule.items()))
        if not parks:
            reason = "no eligible park (see removed_by_rule and eligibility_removed.csv)"
        else:
            notes = []
            need = {r: float(getattr(p, col)) for r, (col, _, _) in RESOURCES.items()}
            for park in parks:
                short = [f"{r} needs {need[r]:,.4g}, {max(0.0, left[r][park]):,.4g} {RESOURCES[r][2]} left"
                         for r in RESOURCES if need[r] > left[r][park] + 1e-9]
                won = ", ".join(winners.get(park, []))
                notes.append(f"{park}: " + ("; ".join(short) if short else "would fit; leaving it out scores higher "
                             "elsewhere or the time limit stopped the search") + (f" (won by {won})" if won else ""))
            reason = f"eligible in {len(parks)} park(s): " + " | ".join(notes)
        rows.append({"project_id": p.project_id, "name": p.name, "chain": p.chain, "status": p.status,
                     "land_ha": p.land_ha, "output": p.output, "eligible_parks": ";".join(parks),
                     "reason": reason, "removed_by_rule": summary})
    return pd.DataFrame(rows, columns=["project_id", "name", "chain", "status", "land_ha", "output", "eligible_parks",
                                       "reason", "removed_by_rule"])
