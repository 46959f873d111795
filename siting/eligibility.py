"""Which park may take which project, why not, and what each eligible pair is worth.

Every rule that removes a (project, park) pair records a reason in plain words, so "why not park P
for project X?" always has an answer. Rules (DESIGN.md §4), each with a stable code:

``chain``        the park's ``allowed_chains`` (if any) must contain the project's chain
``tier``         the park's tier must be at least the project's ``min_tier``
``hazardous``    hazardous projects only in chemical parks
``hub``          a hub of the needed kind within ``max_hub_minutes`` (switch: eligibility.hub_access)
``intensity``    investment per 亩 ≥ the park's ``min_invest_intensity`` (switch: eligibility.standard_land)
``tax_per_mu``   tax per 亩 ≥ the park's ``min_tax_per_mu`` (same switch)
``land``, ``energy``, ``emission``   the project alone must fit the park's free capacity
``fixed``        the project is fixed to another park (``fixed_park`` or a scenario lock)
``forbidden``    the park is in the project's ``forbidden_parks`` or a scenario forbid

Scores are in 万元-equivalent points: a project's *value* is
``w_output·output + w_tax·tax + w_jobs·jobs``; each pair adds fit terms, as shares of the value:
``leading`` (the chain leads the park), ``hub`` (scaled by how close the needed hub is), ``belt``
(the park lies on a belt themed on the chain), ``raster`` (Σ weight × the share of the park's area
below a raster's ``suitable_below``, e.g. flat land), plus any expert ``adjustment`` for the pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.diagnose import amount

from .region import Region
from .schema import MU_PER_HA, TIER_NAMES, TIERS

RESOURCES = {"land": ("land_ha", "land_available_ha", "ha"),
             "energy": ("energy_tce", "energy_quota_tce", "tce/yr"),
             "emission": ("emission_t", "emission_quota_t", "t/yr")}
RULE_NAMES = {"chain": "产业不符", "tier": "园区级别", "hazardous": "非化工园区", "hub": "枢纽过远",
              "intensity": "投资强度", "tax_per_mu": "亩均税收", "land": "用地", "energy": "能耗", "emission": "排放",
              "fixed": "已定园区", "forbidden": "禁止"}
SCORE_TERMS = ("value", "leading_bonus", "hub_bonus", "belt_bonus", "raster_bonus", "adjustment")


def quantity(resource: str, value: float) -> str:
    """An amount of ``resource`` for messages: thousands separated, never an exponent; land to 0.1 ha (19.2,
    0, 2,503.2), energy and emission as :func:`optimize.diagnose.amount` (5,326; 14,010; 0.5)."""
    return f"{value:,.1f}".removesuffix(".0") if resource == "land" else amount(value)


@dataclass(frozen=True)
class Eligibility:
    """Eligible pairs with their scores and resource use, and the reasons for every removed pair."""

    pairs: pd.DataFrame  # project_id, park_id, SCORE_TERMS..., score, land, energy, emission, hub_id, hub_minutes, belts
    removed: pd.DataFrame  # project_id, park_id, rule, reason
    mandatory: tuple[str, ...]  # committed or locked projects

    def reasons_for(self, project_id: str) -> pd.DataFrame:
        return self.removed[self.removed["project_id"] == project_id]


def assess(region: Region) -> Eligibility:
    """Apply every eligibility rule to every (project, park) pair and score the pairs that remain."""
    s = region.scenario.settings
    parks = region.parks.reset_index(drop=True)
    projects = region.projects.reset_index(drop=True)
    n_i, n_p = len(projects), len(parks)
    park_ids = parks["park_id"].to_numpy()
    project_ids = projects["project_id"].to_numpy()
    rules: list[tuple[str, np.ndarray, np.ndarray]] = []  # (code, removed mask, reason per cell or template)

    def rule(code: str, removed: np.ndarray, reason) -> None:
        rules.append((code, removed, reason))

    chain = projects["chain"].to_numpy()
    allowed = parks["allowed_chains"].tolist()
    chain_bad = np.array([[bool(a) and c not in a for a in allowed] for c in chain], dtype=bool).reshape(n_i, n_p)
    rule("chain", chain_bad, lambda i, p: f"park accepts only {', '.join(allowed[p])}; project chain is {chain[i]}")

    park_tier = parks["tier"].map(TIERS.index).to_numpy()
    min_tier = projects["min_tier"].map(TIERS.index).to_numpy()
    rule("tier", park_tier[None, :] < min_tier[:, None],
         lambda i, p: f"park tier {TIERS[park_tier[p]]} ({TIER_NAMES[TIERS[park_tier[p]]]}) is below the project's "
                      f"minimum {TIERS[min_tier[i]]} ({TIER_NAMES[TIERS[min_tier[i]]]})")

    hazardous = projects["hazardous"].astype(bool).to_numpy()
    chemical = parks["chemical_park"].astype(bool).to_numpy()
    rule("hazardous", hazardous[:, None] & ~chemical[None, :],
         lambda i, p: "hazardous project needs a chemical park (化工园区); this park is not one")

    hub_id, hub_minutes = _hub_access(region, parks, projects)
    needs = projects["needs_hub"].fillna("").astype(str).to_numpy()
    limit = projects["max_hub_minutes"].astype(float).to_numpy()
    if s["eligibility"]["hub_access"]:
        too_far = (needs[:, None] != "") & ~(hub_minutes <= limit[:, None])
        rule("hub", too_far, lambda i, p: (
            f"nearest {needs[i]} hub is {hub_minutes[i, p]:.0f} min away ({region.travel.method.split(' (')[0]}); "
            f"limit {limit[i]:g} min"))

    if s["eligibility"]["standard_land"]:
        mu = projects["land_ha"].astype(float).to_numpy() * MU_PER_HA
        with np.errstate(divide="ignore", invalid="ignore"):
            intensity = np.where(mu > 0, projects["investment"].astype(float).to_numpy() / mu, np.inf)
            tax_mu = np.where(mu > 0, projects["tax"].astype(float).to_numpy() / mu, np.inf)
        min_int = parks["min_invest_intensity"].astype(float).to_numpy()
        min_tax = parks["min_tax_per_mu"].fillna(0).astype(float).to_numpy()
        rule("intensity", intensity[:, None] < min_int[None, :],
             lambda i, p: f"investment intensity {intensity[i]:.0f} 万元/亩 is below the park's standard-land "
                          f"threshold {min_int[p]:,g} 万元/亩")
        rule("tax_per_mu", tax_mu[:, None] < min_tax[None, :],
             lambda i, p: f"tax {tax_mu[i]:.1f} 万元/亩 is below the park's threshold {min_tax[p]:,g} 万元/亩")

    for resource, (need_col, cap_col, unit) in RESOURCES.items():
        need = projects[need_col].astype(float).to_numpy()
        cap = parks[cap_col].astype(float).to_numpy()
        rule(resource, need[:, None] > cap[None, :] + 1e-9,
             lambda i, p, need=need, cap=cap, resource=resource, unit=unit:
             f"needs {quantity(resource, need[i])} {unit} of {resource}; the park has "
             f"{quantity(resource, cap[p])} {unit} free")

    fixed = projects["fixed_park"].fillna("").astype(str).to_numpy().copy()
    locked = {e["project"]: e["park"] for e in s["locks"]}
    for pid, park in locked.items():
        fixed[np.flatnonzero(project_ids == pid)] = park
    rule("fixed", (fixed[:, None] != "") & (fixed[:, None] != park_ids[None, :]),
         lambda i, p: f"project is fixed to park {fixed[i]}" + (" by a scenario lock" if project_ids[i] in locked else ""))

    forbidden = np.zeros((n_i, n_p), dtype=bool)
    index_of_park = {pid: n for n, pid in enumerate(park_ids)}
    for i, parks_list in enumerate(projects["forbidden_parks"]):
        for q in parks_list:
            forbidden[i, index_of_park[q]] = True
    scenario_forbids = {(e["project"], e["park"]) for e in s["forbids"]}
    index_of_project = {pid: n for n, pid in enumerate(project_ids)}
    for pid, park in scenario_forbids:
        forbidden[index_of_project[pid], index_of_park[park]] = True
    rule("forbidden", forbidden, lambda i, p: "the park is forbidden for this project"
         + (" by the scenario" if (project_ids[i], park_ids[p]) in scenario_forbids else " (forbidden_parks)"))

    removed_rows = []
    eligible = np.ones((n_i, n_p), dtype=bool)
    for code, mask, reason in rules:
        eligible &= ~mask
        for i, p in zip(*np.nonzero(mask)):
            removed_rows.append((project_ids[i], park_ids[p], code, reason(i, p)))
    removed = pd.DataFrame(removed_rows, columns=["project_id", "park_id", "rule", "reason"])

    pairs = _score(region, parks, projects, eligible, hub_id, hub_minutes)
    mandatory = tuple(sorted(set(projects.loc[projects["status"] == "committed", "project_id"]) | set(locked)))
    return Eligibility(pairs=pairs, removed=removed.sort_values(["project_id", "park_id", "rule"], kind="stable")
                       .reset_index(drop=True), mandatory=mandatory)


CAPACITY_RULES = frozenset(RESOURCES)


def unplaceable_lines(region: Region, eligibility: Eligibility, *, shown: int = 5) -> list[str]:
    """Why each committed (or locked) project with no eligible park cannot be placed, and what would let it in.

    A park that only the capacity rules removed (the project alone overflows its free land, energy or
    emission quota) would take the project if those quotas grew: such parks are listed first, the one that
    needs the smallest growth (as a share of its quotas) first, with the amounts (and the park's usable area
    when that, not the quota, limits its land). A project fixed to a park (``fixed_park`` or a lock) is
    explained by that park's own reasons; otherwise the parks a rule removed (chain, tier, ...) are
    counted by rule and the first ``shown`` given in full.
    """
    parks = region.parks.set_index("park_id")
    projects = region.projects.set_index("project_id")
    placeable = set(eligibility.pairs["project_id"])
    out = []
    for project_id in eligibility.mandatory:
        if project_id in placeable:
            continue
        head = f"committed (or locked) project {project_id} fits no park alone"
        reasons = eligibility.reasons_for(project_id)
        fixed = reasons[reasons["rule"] == "fixed"]
        if len(fixed):  # only its fixed park counts: the other parks are out because it is fixed elsewhere
            fixed_park = str(next(iter(set(parks.index) - set(fixed["park_id"])), ""))
            reasons = reasons[reasons["park_id"] == fixed_park]
            by = "a scenario lock" if "scenario lock" in fixed["reason"].iat[0] else "its fixed_park"
            head = f"{head}; it is fixed to park {fixed_park} by {by}"
        rules_of_park = reasons.groupby("park_id", sort=True)["rule"].agg(frozenset)
        growth = []
        for park_id, rules in rules_of_park.items():
            if not rules <= CAPACITY_RULES:
                continue
            short = []
            for resource in sorted(rules):
                need_col, cap_col, unit = RESOURCES[resource]
                need, cap = float(projects.at[project_id, need_col]), float(parks.at[park_id, cap_col])
                short.append((resource, need, cap, unit))
            share = sum((need - cap) / max(cap, 1e-9) for _, need, cap, _ in short)
            growth.append((share, park_id, short))
        if growth:
            growth.sort(key=lambda g: (g[0], g[1]))
            for _, park_id, short in growth[:shown]:
                amounts = "; ".join(_shortfall(parks, park_id, *entry) for entry in short)
                out.append(f"{head}; park {park_id} ({parks.at[park_id, 'name']}) would take it if it had more: "
                           f"{amounts}")
            if len(growth) > shown:
                out.append(f"{head}; {len(growth) - shown} more park(s) would take it with larger quotas")
        ruled = reasons[~reasons["park_id"].isin([g[1] for g in growth]) & ~reasons["rule"].isin(CAPACITY_RULES)]
        if len(ruled):
            parks_ruled = ruled["park_id"].nunique()
            first = ruled.drop_duplicates("park_id").head(shown)["park_id"]
            detail = "; ".join(f"{park_id}: " + ", ".join(ruled.loc[ruled["park_id"] == park_id, "reason"])
                               for park_id in first)
            what = (f"and {first.iat[0]} rules it out" if len(fixed) else
                    f"{parks_ruled} park(s) ruled out by a rule ({rule_counts(ruled)})")
            out.append(f"{head}{',' if len(fixed) else ';'} {what} — {detail}"
                       + (f"; and {parks_ruled - len(first)} more" if parks_ruled > len(first) else "")
                       + ("" if growth else "; correct the project's data, change its fixed_park or lock, or set "
                          "its status to candidate"))
    return out


def rule_counts(reasons: pd.DataFrame) -> str:
    """``chain 4, fixed 29``: how many parks each rule removed, from :meth:`Eligibility.reasons_for` rows."""
    counted = reasons.drop_duplicates(["park_id", "rule"])["rule"].value_counts().sort_index()
    return ", ".join(f"{rule} {n}" for rule, n in counted.items())


def _shortfall(parks: pd.DataFrame, park_id: str, resource: str, need: float, cap: float, unit: str) -> str:
    """``land short by 50 ha (needs 60, has 10 free)``, saying when the park's usable area, not its quota, limits."""
    text = f"{resource} short by {amount(need - cap)} {unit} (needs {amount(need)}, has {amount(cap)} free"
    if resource == "land" and "usable_ha" in parks.columns:
        usable = float(parks.at[park_id, "usable_ha"])
        if abs(usable - cap) <= 1e-6 * max(1.0, usable):
            text += ": its whole usable area outside exclusions, so a larger quota would not help"
    return text + ")"


def _hub_access(region: Region, parks: pd.DataFrame, projects: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per (project, park): the nearest hub of the kind the project needs, and its minutes (NaN if none needed)."""
    nearest = region.travel.nearest_hub(region.hubs.set_index("hub_id")["kind"])
    n_i, n_p = len(projects), len(parks)
    hub_id = np.full((n_i, n_p), "", dtype=object)
    minutes = np.full((n_i, n_p), np.nan)
    by_kind = {kind: group.set_index("park_id").reindex(parks["park_id"]) for kind, group in nearest.groupby("kind")}
    for i, kind in enumerate(projects["needs_hub"].fillna("")):
        if kind and kind in by_kind:
            hub_id[i, :] = by_kind[kind]["hub_id"].to_numpy()
            minutes[i, :] = by_kind[kind]["minutes"].to_numpy()
    return hub_id, minutes


def _score(region: Region, parks: pd.DataFrame, projects: pd.DataFrame, eligible: np.ndarray,
           hub_id: np.ndarray, hub_minutes: np.ndarray) -> pd.DataFrame:
    w = region.scenario.settings["weights"]
    ii, pp = np.nonzero(eligible)
    value = (w["output"] * projects["output"].astype(float) + w["tax"] * projects["tax"].astype(float)
             + w["jobs"] * projects["jobs"].astype(float)).to_numpy()
    chain = projects["chain"].to_numpy()
    leading = np.array([chain[i] in parks["leading_chains"].iat[p] for i, p in zip(ii, pp)], dtype=bool)
    limit = projects["max_hub_minutes"].astype(float).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        closeness = np.where(np.isnan(hub_minutes[ii, pp]), 0.0,
                             np.clip(1.0 - hub_minutes[ii, pp] / np.maximum(limit[ii], 1e-9), 0.0, 1.0))
    belt_chains = _belt_chains(region)
    park_ids = parks["park_id"].to_numpy()
    belts = [";".join(sorted(cid for cid, themes in belt_chains.get(park_ids[p], {}).items() if chain[i] in themes))
             for i, p in zip(ii, pp)]
    on_belt = np.array([bool(b) for b in belts], dtype=bool)
    adjust = np.zeros(len(ii))
    if len(region.adjustments):
        table = region.adjustments.groupby(["project_id", "park_id"])["score"].sum().to_dict()
        adjust = np.array([table.get((projects["project_id"].iat[i], park_ids[p]), 0.0) for i, p in zip(ii, pp)])
    out = pd.DataFrame({
        "project_id": projects["project_id"].to_numpy()[ii],
        "park_id": park_ids[pp],
        "value": value[ii],
        "leading_bonus": np.where(leading, w["leading_chain"] * value[ii], 0.0),
        "hub_bonus": w["hub_access"] * value[ii] * closeness,
        "belt_bonus": np.where(on_belt, w["belt"] * value[ii], 0.0),
        "raster_bonus": value[ii] * _raster_share(region, parks)[pp],
        "adjustment": adjust,
    })
    out["score"] = out[list(SCORE_TERMS)].sum(axis=1)
    for resource, (need_col, _, _) in RESOURCES.items():
        out[resource] = projects[need_col].astype(float).to_numpy()[ii]
    out["hub_id"] = hub_id[ii, pp]
    out["hub_minutes"] = hub_minutes[ii, pp]
    out["belts"] = belts
    return out


def _raster_share(region: Region, parks: pd.DataFrame) -> np.ndarray:
    """Per park, Σ over rasters of weight × share of the park's valid area below ``suitable_below``."""
    total = np.zeros(len(parks))
    for name, entry in (region.scenario.settings["layers"].get("rasters") or {}).items():
        if entry.get("weight") and entry.get("suitable_below") is not None:
            share = parks[f"{name}_suitable_share"].astype(float).fillna(0.0).to_numpy()
            total += float(entry["weight"]) * share
    return total


def _belt_chains(region: Region) -> dict[str, dict[str, tuple[str, ...]]]:
    """park_id → {corridor_id: themes} for the belts each park lies on."""
    themes = dict(zip(region.corridors["corridor_id"], region.corridors["chains"])) if len(region.corridors) else {}
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for park_id, corridor_id in region.belts.itertuples(index=False):
        out.setdefault(park_id, {})[corridor_id] = tuple(themes.get(corridor_id, ()))
    return out
