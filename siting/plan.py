"""From eligibility to a plan: build the engine's tables, solve, and turn the answer back into park terms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from layers import InputError, Problem
from optimize import (
    AssignmentProblem,
    Classes,
    Diagnosis,
    Links,
    SideRow,
    Solution,
    SolverOptions,
    diagnose,
    greedy_plan,
    relative_gap,
    solve,
)

from .eligibility import RESOURCES, SCORE_TERMS, Eligibility, quantity
from .region import Region, county_caps, parkless_share


@dataclass(frozen=True)
class Plan:
    """A solved plan, in the domain's words."""

    solution: Solution
    assignments: pd.DataFrame  # one row per placed project: pair columns + project attributes
    unplaced: pd.DataFrame  # one row per unplaced project with reasons
    greedy_assignments: dict[str, str]
    problem: AssignmentProblem


# how the notes about a baseline start begin (the command line prints them on a line of their own)
BASELINE_NOTES = ("started from the baseline's plan", "the baseline's plan could not start this scenario")
RELAX_HEADING = "No plan can place every committed (or locked) project. Relax these constraints:"


class Infeasible(Exception):  # noqa: N818 - a domain outcome, not a programming error
    """The committed and locked projects cannot all be placed; carries the diagnosis."""

    def __init__(self, diagnosis: Diagnosis, solution: Solution, other_rules: tuple[str, ...] = ()):
        self.diagnosis = diagnosis
        self.solution = solution
        self.other_rules = other_rules  # the rules beyond the quotas that can keep them out, for an empty diagnosis
        self._quota_lines = diagnosis.lines(items="committed or locked projects", bin_word="park")
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        if self._quota_lines or not self.other_rules:
            return self._quota_lines
        return ["the land, energy and emission quotas would let every committed (or locked) project in; what keeps "
                "them out is one of these rules of the scenario: " + "; ".join(self.other_rules)]

    @property
    def heading(self) -> str:
        """The line above :meth:`lines` on the command line (no quota to relax: no call to relax one)."""
        if self._quota_lines or not self.other_rules:
            return RELAX_HEADING
        return "No plan can place every committed (or locked) project:"


class Unplaceable(Infeasible):
    """Committed (or locked) projects that no park can take even alone; carries what would let each in."""

    def __init__(self, lines: list[str]):
        self._lines = list(lines)
        Exception.__init__(self, "\n".join(self._lines))

    def lines(self) -> list[str]:
        return self._lines

    @property
    def heading(self) -> str:
        return RELAX_HEADING


def build_problem(region: Region, eligibility: Eligibility) -> AssignmentProblem:
    """The engine's tables, every family switchable in the scenario's ``model:`` section.

    - capacity rows: land, energy and emission per park; energy and emission per county (``counties``
      table, switch ``county_caps``);
    - classes: chains, at most ``max_chains`` per park (switch ``max_chains``), optional
      ``max_parks_per_chain``, and ``weights.chain_open`` per (chain, park) opened;
    - links: reward ``weights.affinity × value`` when supplier and customer are within ``max_minutes``
      (0 = same park) by the region's travel times (switch ``links``);
    - side rows: benefit-sharing floors per county (``benefit_sharing.floor``).
    """
    parks = region.parks.reset_index(drop=True)
    park_ids = parks["park_id"].tolist()
    pairs = eligibility.pairs.rename(columns={"project_id": "item", "park_id": "bin"})
    rows = []
    for resource, (_, cap_col, unit) in RESOURCES.items():
        for park_id, name, cap in zip(parks["park_id"], parks["name"], parks[cap_col].astype(float), strict=True):
            rows.append((f"{resource}[{park_id}]", resource, park_id, cap, f"park {park_id} ({name}) {resource} ({unit})"))
    for (resource, county), cap in county_caps(region).items():
        members = parks.loc[parks["county"] == county, "park_id"].tolist()
        rows += [(f"{resource}[{county}]", resource, m, cap, f"county {county} {resource} ({RESOURCES[resource][2]})")
                 for m in members]
    capacities = pd.DataFrame(rows, columns=["name", "resource", "bin", "capacity", "label"])
    projects = region.projects["project_id"].tolist()
    problem = AssignmentProblem.from_tables(
        pairs[["item", "bin", "score", *RESOURCES]], capacities, items=projects, bins=park_ids,
        mandatory=eligibility.mandatory, name=region.scenario.name,
    )
    return problem.with_extras(classes=_classes(region, pairs, parks), links=_links(region, projects, park_ids),
                               side_rows=_benefit_floors(region, pairs, parks))


def _classes(region: Region, pairs: pd.DataFrame, parks: pd.DataFrame) -> Classes:
    s = region.scenario.settings
    chains = sorted(region.chains)
    index = {c: n for n, c in enumerate(chains)}
    chain_of = dict(zip(region.projects["project_id"], region.projects["chain"], strict=True))
    cap = s["model"]["max_parks_per_chain"]
    bins_limit = None
    if cap is not None:
        bins_limit = np.array([float(cap.get(c, np.inf)) if isinstance(cap, dict) else float(cap) for c in chains])
    return Classes(
        names=tuple(chains),
        pair_class=np.array([index[chain_of[i]] for i in pairs["item"]], dtype=np.int64),
        per_bin_limit=parks["max_chains"].astype(float).to_numpy() if s["model"]["max_chains"] else None,
        bins_limit=bins_limit,
        open_cost=float(s["weights"]["chain_open"]),
    )


def _links(region: Region, projects: list[str], park_ids: list[str]) -> Links | None:
    s = region.scenario.settings
    links = region.links
    if not s["model"]["links"] or not len(links) or not s["weights"]["affinity"]:
        return None
    index = {p: n for n, p in enumerate(projects)}
    return Links(
        names=tuple(links["link_id"]),
        a=links["supplier_id"].map(index).to_numpy(dtype=np.int64),
        b=links["customer_id"].map(index).to_numpy(dtype=np.int64),
        reward=float(s["weights"]["affinity"]) * links["value"].astype(float).to_numpy(),
        limit=links["max_minutes"].astype(float).to_numpy(),
        distance=region.travel.park_park.loc[park_ids, park_ids].to_numpy(dtype=float),
    )


def benefit_shares(region: Region, pairs: pd.DataFrame, parks: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per county, the share of each pair's output that the county receives under benefit sharing.

    A project sourced by county A and sited in county B gives B ``host_share`` of its output and tax and
    A the rest; a project sited in its own source county (or with no source) gives it all to the host. The
    counties are those that host a park and those that only source projects.
    """
    host_share = float(region.scenario.settings["benefit_sharing"]["host_share"])
    county_of_park = dict(zip(parks["park_id"], parks["county"], strict=True))
    source = dict(zip(region.projects["project_id"], region.projects["source_county"].fillna(""), strict=True))
    host = pairs["bin"].map(county_of_park).to_numpy()
    src = pairs["item"].map(source).to_numpy()
    shared = (src != "") & (src != host)
    out = {}
    for county in sorted(set(parks["county"]) | (set(source.values()) - {""})):
        out[county] = np.where(host == county, np.where(shared, host_share, 1.0), 0.0) + np.where(
            shared & (src == county), 1.0 - host_share, 0.0)
    return out


def _benefit_floors(region: Region, pairs: pd.DataFrame, parks: pd.DataFrame) -> list[SideRow]:
    """County k keeps at least ``floor`` × the output of the placed projects it sourced (飞地经济 floors)."""
    floor = region.scenario.settings["benefit_sharing"]["floor"]
    if floor is None:
        return []
    output = pairs["item"].map(dict(zip(region.projects["project_id"], region.projects["output"], strict=True)))
    source = pairs["item"].map(dict(zip(region.projects["project_id"], region.projects["source_county"].fillna(""),
                                        strict=True))).to_numpy()
    rows = []
    for county, share in benefit_shares(region, pairs, parks).items():
        coef = output.to_numpy(dtype=float) * (share - float(floor) * (source == county))
        nonzero = np.flatnonzero(coef != 0)
        if (source == county).any():
            rows.append(SideRow(name=f"benefit[{county}]", label=f"county {county} benefit floor {floor:.0%}",
                                pairs=nonzero, coef=coef[nonzero], sense=">=", rhs=0.0))
    return rows


def make_plan(region: Region, eligibility: Eligibility, options: SolverOptions,
              baseline: Mapping[str, str] | None = None) -> Plan:
    """Solve the siting model; raise :class:`Infeasible` with a diagnosis when no plan exists.

    ``baseline`` ({project: park}, another run's plan) is where the solve starts: its placements that this
    scenario still allows and that fit (:func:`baseline_start`), so the plan changes where the scenario makes
    it, not wherever an equally good plan lies elsewhere."""
    problem = build_problem(region, eligibility)
    start, note = (None, None) if baseline is None else baseline_start(problem, baseline)
    solution = solve(problem, options, start=start)
    if baseline is not None and solution.has_plan:
        solution = _back_where_it_was(problem, solution, baseline)
    if note:
        solution = replace(solution, notes=(note, *solution.notes))
    if not solution.has_plan:
        raise Infeasible(diagnose(problem, options), solution, _other_rules(region))
    greedy = {problem.items[problem.pair_item[k]]: problem.bins[problem.pair_bin[k]] for k in greedy_plan(problem)}
    return Plan(
        solution=solution,
        assignments=_assignments(region, eligibility, solution, problem),
        unplaced=_unplaced(region, eligibility, solution),
        greedy_assignments=greedy,
        problem=problem,
    )


def _other_rules(region: Region) -> tuple[str, ...]:
    """The scenario's rules beyond the quotas that can make the committed projects infeasible, in words with the
    key that relaxes each (the quota diagnosis does not see them)."""
    s = region.scenario.settings
    rules = []
    floor = s["benefit_sharing"]["floor"]
    if floor is not None:
        rules.append(f"each county keeps at least {floor:.0%} of the output of the projects it sourced, while a host "
                     f"county keeps {s['benefit_sharing']['host_share']:.0%} of a project sourced elsewhere "
                     "(lower benefit_sharing.floor, or host_share so that a source county keeps more, or remove the "
                     "floor)")
    if s["model"]["max_chains"]:
        rules.append("at most max_chains chains per park (raise a park's max_chains, or set model.max_chains: false)")
    if s["model"]["max_parks_per_chain"] is not None:
        rules.append("model.max_parks_per_chain (raise it or remove it)")
    return tuple(rules)


def _back_where_it_was(problem: AssignmentProblem, solution: Solution, baseline: Mapping[str, str]) -> Solution:
    """The plan with each project that moved away from its baseline park put back, one at a time (by ID), where
    that keeps every constraint and loses nothing: of equally good plans, the one closer to the baseline. (A
    bonus for baseline pairs during the search would do it too, but it turns away the equal-value moves that
    lead the search to better plans: on the demo's energy −10 % scenario it ended 0.4 % lower.)"""
    lookup = problem.pair_of()
    pair = {problem.items[problem.pair_item[k]]: k for k in solution.chosen_pairs}  # each placed item's pair
    value, moved = problem.objective_of(solution.chosen_pairs), False
    for project in sorted(baseline):
        back = lookup.get((project, baseline[project]))
        if back is None or pair.get(project) == back:
            continue
        trial = [k for p, k in pair.items() if p != project] + [back]
        after = problem.objective_of(trial)
        if after >= value - 1e-9 * max(1.0, abs(value)) and not problem.violations(trial):
            pair[project], value, moved = back, after, True
    if not moved:
        return solution
    chosen = sorted(pair.values())
    return replace(solution, chosen_pairs=tuple(chosen), objective=value, gap=relative_gap(value, solution.bound),
                   assignment={problem.items[problem.pair_item[k]]: problem.bins[problem.pair_bin[k]] for k in chosen})


def baseline_start(problem: AssignmentProblem, baseline: Mapping[str, str]) -> tuple[list[int] | None, str]:
    """A feasible start from another run's plan: the greedy plan (:func:`optimize.greedy_plan`) with the
    baseline's pairs preferred, so committed projects come first (fewest options first, each trying its
    baseline park first), then the baseline's other placements by score where they still fit, then the room
    left filled greedily. Returns the start (``None`` when it breaks a constraint, e.g. a benefit floor, or
    leaves a committed project out) and a note saying how much of the baseline it keeps.

    Raises :class:`layers.InputError` when none of the baseline's projects is in this scenario (another
    region's or library's run)."""
    item = {p: i for i, p in enumerate(problem.items)}
    lookup = problem.pair_of()
    unknown = sorted(p for p in baseline if p not in item)
    if baseline and len(unknown) == len(baseline):
        raise InputError([Problem("--baseline", "", "project_id", f"none of the baseline run's {len(baseline)} "
                                  f"projects is in this scenario (e.g. {', '.join(unknown[:5])})",
                                  "name a run of the same project library")])
    wanted = {item[p]: lookup[(p, b)] for p, b in baseline.items() if (p, b) in lookup}
    chosen = greedy_plan(problem, prefer=wanted)
    if any(v.startswith("mandatory item") for v in problem.violations(chosen)):
        # a committed project kept in its baseline park can crowd out another committed one: place those as the
        # plain greedy plan would, and prefer the baseline for the others only
        chosen = greedy_plan(problem, prefer={i: k for i, k in wanted.items() if not problem.mandatory[i]})
    kept = len(set(chosen) & set(wanted.values()))
    missing = len(baseline) - len(unknown) - len(wanted)
    note = (f"{BASELINE_NOTES[0]}: {kept} of its {len(baseline)} placements kept ("
            + (f"{len(unknown)} not in this scenario, " if unknown else "")
            + f"{missing} no longer eligible, {len(wanted) - kept} no longer fitting)")
    broken = problem.violations(chosen)
    if broken:
        return None, f"{BASELINE_NOTES[1]} ({broken[0]}); solved afresh"
    return chosen, note


def _assignments(region: Region, eligibility: Eligibility, solution: Solution,
                 problem: AssignmentProblem) -> pd.DataFrame:
    chosen = pd.DataFrame(sorted(solution.assignment.items()), columns=["project_id", "park_id"])
    pairs = chosen.merge(eligibility.pairs, on=["project_id", "park_id"], how="left", validate="one_to_one")
    affinity = np.zeros(len(problem.items))
    if problem.links is not None:
        links = problem.links
        satisfied = links.satisfied(problem.bin_of_item(solution.chosen_pairs))
        np.add.at(affinity, links.a[satisfied], links.reward[satisfied] / 2)  # half to each end
        np.add.at(affinity, links.b[satisfied], links.reward[satisfied] / 2)
    pairs["affinity"] = pairs["project_id"].map(dict(zip(problem.items, affinity, strict=True)))
    pairs["total"] = pairs["score"] + pairs["affinity"]
    parks = region.parks[["park_id", "name", "county"]].rename(columns={"name": "park_name", "county": "host_county"})
    projects = region.projects.drop(columns=["land_ha", "energy_tce", "emission_t"], errors="ignore")
    out = pairs.merge(parks, on="park_id", how="left").merge(projects, on="project_id", how="left")
    out = out.rename(columns={"land": "land_ha", "energy": "energy_tce", "emission": "emission_t"})
    first = ["project_id", "name", "chain", "stage", "status", "park_id", "park_name", "host_county", "source_county",
             "total", "score", *SCORE_TERMS, "affinity", "land_ha", "energy_tce", "emission_t", "investment", "output", "tax", "jobs",
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
    county_of = dict(zip(region.parks["park_id"], region.parks["county"], strict=True))
    used = chosen.groupby(chosen["park_id"].map(county_of))[["energy", "emission"]].sum()
    # (resource, county): what the plan leaves of each county cap the model applied
    county_left = {(r, c): cap - float(used[r].get(c, 0.0)) for (r, c), cap in county_caps(region).items()}
    winners = {park: group.sort_values(["score", "project_id"], ascending=[False, True])["project_id"].tolist()[:3]
               for park, group in chosen.groupby("park_id")}
    model = region.scenario.settings["model"]
    chain_of = dict(zip(region.projects["project_id"], region.projects["chain"], strict=True))
    chains_in = {park: sorted({chain_of[q] for q in group["project_id"]}) for park, group in chosen.groupby("park_id")}
    max_chains = dict(zip(region.parks["park_id"], region.parks["max_chains"].astype(float), strict=True))
    parks_of_chain: dict[str, set[str]] = {}
    for park, present in chains_in.items():
        for chain in present:
            parks_of_chain.setdefault(chain, set()).add(park)
    cap = model["max_parks_per_chain"]
    parkless = parkless_share(region.scenario.settings["benefit_sharing"])
    host_counties = set(region.parks["county"])
    eligible_parks = pairs.groupby("project_id")["park_id"].apply(list).to_dict()
    pair_score = dict(zip(zip(pairs["project_id"], pairs["park_id"], strict=True), pairs["score"], strict=True))
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
                short = [f"{r} needs {quantity(r, need[r])}, {quantity(r, max(0.0, left[r][park]))} "
                         f"{RESOURCES[r][2]} left"
                         for r in RESOURCES if need[r] > left[r][park] + 1e-9]
                for r in ("energy", "emission"):
                    room = county_left.get((r, county_of[park]))
                    if room is not None and need[r] > room + 1e-9:
                        short.append(f"county {county_of[park]} {r} needs {quantity(r, need[r])}, "
                                     f"{quantity(r, max(0.0, room))} {RESOURCES[r][2]} left")
                present = chains_in.get(park, [])
                if model["max_chains"] and p.chain not in present and len(present) >= max_chains[park]:
                    short.append(f"its chain {p.chain} is not there and the park already hosts {len(present)} of "
                                 f"its max_chains {max_chains[park]:g} ({', '.join(present)})")
                limit = (cap.get(p.chain) if isinstance(cap, dict) else cap) if cap is not None else None
                hosts = parks_of_chain.get(p.chain, set())
                if limit is not None and park not in hosts and len(hosts) >= float(limit):
                    short.append(f"chain {p.chain} is already in {len(hosts)} park(s), its max_parks_per_chain "
                                 f"{float(limit):g} ({', '.join(sorted(hosts))})")
                won = ", ".join(winners.get(park, []))
                score = float(pair_score[p.project_id, park])
                fits = ("would fit; leaving it out scores higher elsewhere or the search stopped before finding it"
                        if score > 1e-9 else f"would fit, but its own score there is {score:,.1f}: only a supplier "
                        "link could make placing it worth anything")
                notes.append(f"{park}: " + ("; ".join(short) if short else fits) + (f" (won by {won})" if won else ""))
            reason = f"eligible in {len(parks)} park(s): " + " | ".join(notes)
            if parkless is not None and p.source_county and p.source_county not in host_counties:
                reason = (f"its source county {p.source_county} hosts no park and keeps {parkless[0]:g} of it wherever "
                          f"it goes, below the benefit floor {parkless[1]:g}, so it cannot be placed; " + reason)
        rows.append({"project_id": p.project_id, "name": p.name, "chain": p.chain, "status": p.status,
                     "land_ha": p.land_ha, "output": p.output, "eligible_parks": ";".join(parks),
                     "reason": reason, "removed_by_rule": summary})
    return pd.DataFrame(rows, columns=["project_id", "name", "chain", "status", "land_ha", "output", "eligible_parks",
                                       "reason", "removed_by_rule"])
