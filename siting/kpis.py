"""Key performance indicators of a plan (DESIGN.md §5). Every KPI is defined in the README."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from .columns import COLUMNS, computed_per_park
from .eligibility import RESOURCES
from .region import Region
from .schema import MU_PER_HA, PARK_FIELDS

TOTALS = ("investment", "output", "tax", "jobs")


def park_table(region: Region, assignments: pd.DataFrame) -> pd.DataFrame:
    """Per park: quotas, use, shares, output and tax per 亩, chains present and the leading-chain share."""
    parks = region.parks
    out = pd.DataFrame({
        "park_id": parks["park_id"], "name": parks["name"], "county": parks["county"], "tier": parks["tier"],
        "leading_chains": parks["leading_chains"].map(";".join),
        "allowed_chains": parks["allowed_chains"].map(";".join),
        "chemical_park": parks["chemical_park"].astype(bool),
        "min_invest_intensity": parks["min_invest_intensity"], "min_tax_per_mu": parks["min_tax_per_mu"],
        "max_chains": parks["max_chains"],
    }).reset_index(drop=True)
    grouped = assignments.groupby("park_id")
    for resource, (need_col, cap_col, _) in RESOURCES.items():
        out[f"{resource}_quota"] = parks[cap_col].astype(float).to_numpy()
        out[f"{resource}_used"] = out["park_id"].map(grouped[need_col].sum()).fillna(0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{resource}_use_share"] = np.where(out[f"{resource}_quota"] > 0,
                                                    out[f"{resource}_used"] / out[f"{resource}_quota"], 0.0)
    out["projects"] = out["park_id"].map(grouped.size()).fillna(0).astype(int)
    for column in TOTALS:
        out[column] = out["park_id"].map(grouped[column].sum()).fillna(0.0)
    mu = out["land_used"] * MU_PER_HA
    out["output_per_mu"] = np.where(mu > 0, out["output"] / mu.where(mu > 0, 1), 0.0)
    out["tax_per_mu"] = np.where(mu > 0, out["tax"] / mu.where(mu > 0, 1), 0.0)
    chains = grouped["chain"].apply(lambda c: ";".join(sorted(set(c))))
    out["chains"] = [chains.get(p, "") for p in out["park_id"]]  # (map + fillna warns when nothing is placed)
    out["n_chains"] = out["chains"].map(lambda c: len(c.split(";")) if c else 0)
    leading = dict(zip(parks["park_id"], parks["leading_chains"]))
    lead_output = assignments[np.array([c in leading[p] for c, p in zip(assignments["chain"], assignments["park_id"])],
                                       dtype=bool)]  # (an empty list would select no columns, not no rows)
    lead_by_park = lead_output.groupby("park_id")["output"].sum()
    out["leading_chain_share"] = np.where(out["output"] > 0, out["park_id"].map(lead_by_park).fillna(0.0)
                                          / out["output"].where(out["output"] > 0, 1), 0.0)
    on_belts = region.belts.groupby("park_id")["corridor_id"].apply(lambda c: ";".join(sorted(c))).to_dict()
    out["belts"] = [on_belts.get(p, "") for p in out["park_id"]]
    rasters = tuple(region.scenario.settings["layers"].get("rasters") or ())
    extra = [c for c in parks.columns if c in ("land_declared_ha", "area_ha", "excluded_ha", "usable_ha")
             or computed_per_park(c, rasters)]  # (an input column carried as *_input comes after, as given)
    for column in extra:
        out[column] = parks[column].to_numpy()
    fields = {f.name for f in PARK_FIELDS} | {parks.geometry.name}
    for column in parks.columns:  # the layer's own further columns (name_en, city, ...), carried as given
        if column not in fields and column not in out.columns and column not in COLUMNS:
            out[column] = parks[column].to_numpy()
    return out


def county_table(region: Region, assignments: pd.DataFrame, parks: pd.DataFrame) -> pd.DataFrame:
    """Per county: use vs the sum of its parks' quotas; output hosted and output sourced. A county that hosts no
    park but sources projects (飞地经济) has a row of its own, with no parks and nothing used or hosted."""
    agg = {f"{r}_{k}": (f"{r}_{k}", "sum") for r in RESOURCES for k in ("quota", "used")}
    out = parks.groupby("county").agg(parks=("park_id", "count"), **agg, output_hosted=("output", "sum"),
                                      tax_hosted=("tax", "sum")).reset_index()
    sourcing = sorted(set(region.projects["source_county"].fillna("").astype(str)) - set(out["county"]) - {""})
    if sourcing:
        extra = pd.DataFrame({"county": sourcing}).assign(**{c: 0 for c in out.columns if c != "county"})
        out = pd.concat([out, extra.astype(out.dtypes.to_dict())], ignore_index=True)
    sourced = assignments.groupby("source_county")[["output", "tax"]].sum()
    out["output_sourced"] = out["county"].map(sourced["output"]).fillna(0.0)
    out["tax_sourced"] = out["county"].map(sourced["tax"]).fillna(0.0)
    host_share = float(region.scenario.settings["benefit_sharing"]["host_share"])
    src = assignments["source_county"].fillna("").astype(str)
    shared = (src != "") & (src != assignments["host_county"])
    for measure in ("output", "tax"):
        kept = assignments[measure] * np.where(shared, host_share, 1.0)
        given = assignments[measure] * np.where(shared, 1.0 - host_share, 0.0)
        benefit = kept.groupby(assignments["host_county"]).sum().add(given.groupby(src).sum(), fill_value=0.0)
        out[f"{measure}_benefit"] = out["county"].map(benefit).fillna(0.0)
    if len(region.counties) and region.scenario.settings["model"]["county_caps"]:  # only caps the model applied
        caps = region.counties.set_index("county")
        out["energy_cap_tce"] = out["county"].map(caps["energy_quota_tce"])
        out["emission_cap_t"] = out["county"].map(caps["emission_quota_t"])
    return out


def link_table(region: Region, assignments: pd.DataFrame) -> pd.DataFrame:
    """Every supplier link with where its ends went, the travel time between them, and whether it is local."""
    where = dict(zip(assignments["project_id"], assignments["park_id"]))
    links = region.links.copy()
    links["supplier_park"] = [where.get(p, "") for p in links["supplier_id"]]  # (map + fillna warns when nothing
    links["customer_park"] = [where.get(p, "") for p in links["customer_id"]]  # is placed)
    tt = region.travel.park_park
    minutes = [float(tt.at[a, b]) if a and b else math.nan for a, b in zip(links["supplier_park"], links["customer_park"])]
    links["minutes"] = minutes
    both = (links["supplier_park"] != "") & (links["customer_park"] != "")
    same = links["supplier_park"] == links["customer_park"]
    within = np.where(links["max_minutes"].astype(float) <= 0, same,
                      np.asarray(minutes) <= links["max_minutes"].astype(float).to_numpy())
    links["local"] = both & within
    return links


def summary(region: Region, assignments: pd.DataFrame, parks: pd.DataFrame, counties: pd.DataFrame,
            links: pd.DataFrame) -> dict:
    """The headline KPIs as a JSON-ready dict."""
    projects = region.projects
    land = float(assignments["land_ha"].sum())
    quota = float(region.parks["land_available_ha"].sum())
    mu = land * MU_PER_HA
    both = links[(links["supplier_park"] != "") & (links["customer_park"] != "")]
    both_value = float(both["value"].sum())  # 0 also when every such link is worth 0 (a valid value): no rate
    needs_hub = assignments[assignments["needs_hub"].fillna("") != ""]
    chain_output = assignments.pivot_table(index="host_county", columns="chain", values="output", aggfunc="sum",
                                           fill_value=0.0)
    similarity = _cosine_pairs(chain_output)
    on_belt = assignments["belts"].fillna("") != ""
    out = {
        "placed_projects": len(assignments),
        "placed_committed": int((assignments["status"] == "committed").sum()),
        "unplaced_projects": len(projects) - len(assignments),
        "candidate_projects": len(projects),
        **{k: _num(assignments[k].sum()) for k in TOTALS},
        "land_used_ha": _num(land),
        "land_used_mu": _num(mu),
        "land_free_ha": _num(quota),  # the parks' land quotas before the plan (not what is left)
        "land_left_ha": _num(quota - land),
        "output_per_mu": _num(assignments["output"].sum() / mu) if mu else 0.0,
        "tax_per_mu": _num(assignments["tax"].sum() / mu) if mu else 0.0,
        "energy_used_tce": _num(assignments["energy_tce"].sum()),
        "energy_quota_tce": _num(region.parks["energy_quota_tce"].sum()),
        "emission_used_t": _num(assignments["emission_t"].sum()),
        "emission_quota_t": _num(region.parks["emission_quota_t"].sum()),
        "local_supply_rate": _num(both.loc[both["local"], "value"].sum() / both_value) if both_value > 0 else None,
        "local_supply_rate_all_links": (_num(links.loc[links["local"], "value"].sum() / links["value"].sum())
                                        if links["value"].sum() else None),
        "links_local": int(links["local"].sum()),
        "links_total": len(links),
        "chains_per_park_mean": _num(parks.loc[parks["projects"] > 0, "n_chains"].mean()) if (parks["projects"] > 0).any() else 0.0,
        "leading_chain_output_share": (_num(float((parks["leading_chain_share"] * parks["output"]).sum())
                                            / float(parks["output"].sum())) if parks["output"].sum() else 0.0),
        "parks_per_chain": {c: int(n) for c, n in assignments.groupby("chain")["park_id"].nunique().sort_index().items()},
        "structural_similarity_mean": _num(np.mean(list(similarity.values()))) if similarity else None,
        "structural_similarity": similarity,
        "belt_output_share": _num(assignments.loc[on_belt, "output"].sum() / assignments["output"].sum())
        if assignments["output"].sum() else 0.0,
        "hub_minutes_mean": _num(needs_hub["hub_minutes"].mean()) if len(needs_hub) else None,
        "hub_minutes_max": _num(needs_hub["hub_minutes"].max()) if len(needs_hub) else None,
        "county_benefit": {
            row.county: {"output_hosted": _num(row.output_hosted), "output_sourced": _num(row.output_sourced),
                         "output_benefit": _num(row.output_benefit), "tax_hosted": _num(row.tax_hosted),
                         "tax_sourced": _num(row.tax_sourced), "tax_benefit": _num(row.tax_benefit)}
            for row in counties.itertuples(index=False)
        },
        "chains_opened": len(set(zip(assignments["chain"], assignments["park_id"], strict=True))),
        "parks_over_max_chains": int((parks["n_chains"] > parks["max_chains"]).sum()),
    }
    return out


def _cosine_pairs(matrix: pd.DataFrame) -> dict[str, float]:
    """Cosine similarity of the chain-output vectors of every pair of counties (产业同构系数)."""
    out = {}
    for a, b in itertools.combinations(matrix.index, 2):
        va, vb = matrix.loc[a].to_numpy(float), matrix.loc[b].to_numpy(float)
        denom = np.linalg.norm(va) * np.linalg.norm(vb)
        if denom > 0:
            out[f"{a}|{b}"] = _num(float(va @ vb / denom))
    return out


def _num(value) -> float:
    return round(float(value), 6)


def network_priorities(region: Region, links: pd.DataFrame, *, top: int = 15) -> pd.DataFrame:
    """Park pairs with much supplier-link value between them but long travel times (新建交通设施的紧迫性).

    Over links whose two ends are placed in different parks, per unordered pair of parks: the link value
    between them, the part of it that is *not* local (beyond the links' ``max_minutes``), and the travel
    minutes (the slower direction). Ranked by the value not local, then by value × minutes: the pairs
    where a faster connection would turn the most supply into local supply.
    """
    placed = links[(links["supplier_park"] != "") & (links["customer_park"] != "")
                   & (links["supplier_park"] != links["customer_park"])]
    if placed.empty:
        return pd.DataFrame(columns=["park_a", "park_b", "links", "value", "value_not_local", "minutes", "priority"])
    a = placed[["supplier_park", "customer_park"]].min(axis=1)
    b = placed[["supplier_park", "customer_park"]].max(axis=1)
    frame = placed.assign(park_a=a, park_b=b, not_local=np.where(placed["local"], 0.0, placed["value"]))
    out = frame.groupby(["park_a", "park_b"]).agg(links=("value", "size"), value=("value", "sum"),
                                                  value_not_local=("not_local", "sum")).reset_index()
    tt = region.travel.park_park
    out["minutes"] = [max(float(tt.at[x, y]), float(tt.at[y, x])) for x, y in zip(out["park_a"], out["park_b"], strict=True)]
    out["priority"] = out["value"] * np.where(np.isfinite(out["minutes"]), out["minutes"], 999.0)
    out = out.sort_values(["value_not_local", "priority", "park_a", "park_b"], ascending=[False, False, True, True])
    return out.head(top).reset_index(drop=True)

