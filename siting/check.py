"""An independent checker: re-reads a run folder and re-verifies every constraint from the outputs alone.

It deliberately shares no code with the model: it reads the CSV, JSON and GeoPackage files a run
wrote and recomputes capacities, eligibility rules, scores and KPIs from their columns.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from layers import InputError, Problem

REQUIRED_FILES = ("map.html", "report.html", "summary.json", "manifest.json", "assignments.csv", "parks.csv", "unplaced.csv",
                  "shadow_prices.csv",
                  "results.gpkg", "shp/field_names.csv")
TIER_ORDER = {"county": 0, "city": 1, "provincial": 2, "national": 3}
RESOURCES = (("land_ha", "land"), ("energy_tce", "energy"), ("emission_t", "emission"))


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    """Equal within ``rel``; never for a value that is not finite (inf − inf is no check)."""
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _split(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [v for v in str(value).split(";") if v]


def read_run_file(path: Path, read):
    """``read(path)``, with a file of a run folder that cannot be read reported as bad input (exit code 2)."""
    try:
        return read(path)
    except (OSError, ValueError, RuntimeError, UnicodeError) as exc:  # JSON, CSV, GeoPackage and encoding errors
        raise InputError([Problem(str(path), "", "", f"could not be read: {exc}",
                                  "the run folder is damaged or was edited; run the scenario again")]) from None


@dataclass(frozen=True)
class RunKey:
    """A key that a JSON file of a run folder must hold (``key`` dotted: ``settings.weights.tax``)."""

    key: str
    expected: str  # in words, for the message
    test: Callable[[object], bool]
    required: bool = True


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pairs(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(e, dict) and isinstance(e.get("project"), str)
                                           and isinstance(e.get("park"), str) for e in value)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _chain_caps(value: object) -> bool:
    return value is None or _whole(value) or (isinstance(value, dict) and all(_whole(v) for v in value.values()))


MAPPING = ("a mapping", lambda v: isinstance(v, dict))
NUMBER = ("a number", _is_number)
NUMBER_OR_NULL = ("a number or null", lambda v: v is None or _is_number(v))
FLAG = ("true or false", lambda v: isinstance(v, bool))
TEXT = ("text", lambda v: isinstance(v, str))
PAIRS = ("a list of {project: ID, park: ID}", _pairs)
COUNT = ("a whole number ≥ 1", lambda v: _whole(v) and v >= 1)
STEPS_OR_NULL = ("a whole number of steps or null", lambda v: v is None or (_whole(v) and v >= 0))

# what check_run reads from manifest.json and summary.json
CHECKED_MANIFEST = (
    RunKey("settings", *MAPPING),
    RunKey("settings.locks", *PAIRS), RunKey("settings.forbids", *PAIRS),
    RunKey("settings.eligibility", *MAPPING),
    RunKey("settings.eligibility.standard_land", *FLAG), RunKey("settings.eligibility.hub_access", *FLAG),
    RunKey("settings.weights", *MAPPING),
    *(RunKey(f"settings.weights.{w}", *NUMBER) for w in ("output", "tax", "jobs")),
    *(RunKey(f"settings.weights.{w}", *NUMBER, required=False) for w in ("affinity", "chain_open")),
    RunKey("settings.model", *MAPPING),
    RunKey("settings.model.links", *FLAG, required=False), RunKey("settings.model.max_chains", *FLAG, required=False),
    RunKey("settings.model.max_parks_per_chain", "null, a whole number or a mapping chain: whole number", _chain_caps,
           required=False),
    RunKey("settings.benefit_sharing", *MAPPING, required=False),
    RunKey("settings.benefit_sharing.floor", *NUMBER_OR_NULL, required=False),
    RunKey("settings.benefit_sharing.host_share", *NUMBER, required=False),
    RunKey("files", "a list of file names", lambda v: isinstance(v, list) and all(isinstance(f, str) for f in v),
           required=False),
)
CHECKED_SUMMARY = (
    RunKey("solution", *MAPPING), RunKey("kpis", *MAPPING),
    RunKey("solution.status", *TEXT),
    *(RunKey(f"solution.{k}", *NUMBER_OR_NULL) for k in ("objective", "bound", "gap")),
    RunKey("solution.gap_limit", *NUMBER),
    *(RunKey(f"kpis.{k}", *NUMBER) for k in ("candidate_projects", "placed_projects", "investment", "output", "tax",
                                             "jobs", "land_used_ha")),
)
DAMAGED = "the run folder is damaged or was edited; run the scenario again"


def read_run_json(path: Path, keys: tuple[RunKey, ...]) -> dict:
    """A JSON object of a run folder that must hold ``keys``; every missing or wrong key is reported at once."""
    data = read_run_file(path, lambda p: json.loads(p.read_text(encoding="utf-8")))
    if not isinstance(data, dict):
        top = ", ".join(k.key for k in keys if "." not in k.key and k.required)
        raise InputError([Problem(str(path), "", "", f"is not the JSON object a run writes (missing {top})", DAMAGED)])
    problems = []
    for k in keys:  # parents come before their keys: a key under a missing or wrong parent is not reported again
        parent, _, name = k.key.rpartition(".")
        container = _lookup(data, parent)
        if not isinstance(container, dict):
            continue
        if name not in container:
            if k.required:
                problems.append(Problem(str(path), "", k.key, f"is missing; expected {k.expected}", DAMAGED))
        elif not k.test(container[name]):
            problems.append(Problem(str(path), "", k.key, f"expected {k.expected}, got {_short(container[name])}",
                                    DAMAGED))
    if problems:
        raise InputError(problems)
    return data


def _lookup(data: dict, dotted: str) -> object:
    """``data["a"]["b"]`` for ``"a.b"`` (``data`` itself for ``""``); ``None`` where a key is missing."""
    for part in dotted.split(".") if dotted else ():
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _short(value: object, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def read_manifest(folder: Path, keys: tuple[RunKey, ...]) -> dict:
    """The run folder's manifest.json, which must hold ``keys``; a path without one is not a run folder."""
    if not (folder / "manifest.json").is_file():
        raise InputError([Problem(str(folder), "", "", "is not a run folder (no manifest.json)",
                                  "name a folder written by 'siting run'")])
    return read_run_json(folder / "manifest.json", keys)


# columns of the run's tables that must hold finite numbers; those that may be empty (no hub needed, no tax
# threshold, a link with an end left out, no county cap); those that must be whole numbers
NUMERIC = {"assignments.csv": ("score", "total", "affinity", "value", "leading_bonus", "hub_bonus", "belt_bonus",
                               "raster_bonus", "adjustment", "land_ha", "energy_tce", "emission_t", "investment",
                               "output", "tax", "jobs", "hub_minutes", "max_hub_minutes"),
           "parks.csv": ("min_invest_intensity", "min_tax_per_mu", "max_chains",
                         *(f"{r}_{k}" for _, r in RESOURCES for k in ("quota", "used"))),
           "links.csv": ("value", "max_minutes", "minutes"),
           "counties.csv": ("energy_cap_tce", "emission_cap_t")}
MAY_BE_EMPTY = {"hub_minutes", "max_hub_minutes", "min_tax_per_mu", "minutes", "energy_cap_tce", "emission_cap_t"}
WHOLE = {"max_chains"}


def _numbers(folder: Path, name: str, table: pd.DataFrame, key: str | None) -> None:
    """Turn the numeric columns of one run table into numbers in place; raise :class:`layers.InputError` naming
    every cell that is not a finite number (a damaged or hand-edited file: sums over it would mean nothing, and
    an infinite output would compare equal to any recomputed infinity)."""
    problems = []
    for column in (c for c in NUMERIC[name] if c in table.columns):
        text = table[column].astype("string").fillna("").str.strip()
        values = pd.to_numeric(text.mask(text == ""), errors="coerce").astype(float)
        bad = (values.isna() & ((text != "") | (column not in MAY_BE_EMPTY))) | np.isinf(values)
        if column in WHOLE:
            bad |= values.notna() & ((values != values.round()) | (values < 1))
        for position in [int(n) for n in (bad.to_numpy().nonzero()[0])][:20]:
            rid = table[key].iat[position] if key else table.index[position]
            expected = "a whole number ≥ 1" if column in WHOLE else "a finite number"
            problems.append(Problem(str(folder / name), f"row {position + 2} ({key or table.index.name} {rid})",
                                    column, f"expected {expected}, got {text.iat[position]!r}", DAMAGED))
        table[column] = values
    if problems:
        raise InputError(problems)


def check_run(folder: str | Path) -> list[str]:
    """Every violation found in a run folder, in plain words; an empty list means the run is sound.

    A path that is not a run folder, or a run file that cannot be read, raises :class:`layers.InputError`.
    """
    folder = Path(folder)
    try:
        manifest = read_manifest(folder, CHECKED_MANIFEST)
    except InputError as exc:  # a damaged summary.json is named in the same run
        if (folder / "manifest.json").is_file() and (folder / "summary.json").is_file():
            try:
                read_run_json(folder / "summary.json", CHECKED_SUMMARY)
            except InputError as more:
                raise InputError([*exc.problems, *more.problems]) from None
        raise
    missing = [f for f in REQUIRED_FILES if not (folder / f).exists()]
    if missing:
        return [f"missing output file: {f}" for f in missing]
    out: list[str] = []
    summary = read_run_json(folder / "summary.json", CHECKED_SUMMARY)
    settings = manifest["settings"]
    out += [f"the manifest lists {f}, which is not in the run folder" for f in manifest.get("files", [])
            if not (folder / f).is_file()]
    a = read_run_file(folder / "assignments.csv", lambda p: pd.read_csv(
        p, dtype={"project_id": str, "park_id": str}, keep_default_na=False,
        na_values={"hub_minutes": [""], "max_hub_minutes": [""]}))
    parks = read_run_file(folder / "parks.csv", lambda p: pd.read_csv(p, dtype={"park_id": str},
                                                                      keep_default_na=False))
    if "park_id" not in parks.columns:
        return ["parks.csv lacks column 'park_id'"]
    parks = parks.set_index("park_id")
    unplaced = read_run_file(folder / "unplaced.csv", lambda p: pd.read_csv(p, dtype={"project_id": str},
                                                                            keep_default_na=False))

    need = {"assignments.csv": (a, ("project_id", "park_id", "chain", "status", "score", "total", "affinity",
                                    "land_ha", "energy_tce", "emission_t", "investment", "output", "tax", "jobs",
                                    "min_tier", "hazardous", "needs_hub", "hub_minutes", "max_hub_minutes",
                                    "fixed_park", "forbidden_parks")),
            "parks.csv": (parks, ("tier", "chemical_park", "allowed_chains", "min_invest_intensity", "min_tax_per_mu",
                                  "max_chains", *(f"{r}_{k}" for _, r in RESOURCES for k in ("quota", "used")))),
            "unplaced.csv": (unplaced, ("project_id", "status"))}
    missing_columns = [f"{name} lacks column '{c}'" for name, (table, cols) in need.items() for c in cols
                       if c not in table.columns]
    if missing_columns:
        return missing_columns
    _numbers(folder, "assignments.csv", a, "project_id")
    _numbers(folder, "parks.csv", parks, None)
    bad_tiers = sorted({str(t) for t in [*parks["tier"], *a["min_tier"]] if str(t) not in TIER_ORDER and str(t)})
    if bad_tiers:
        return [f"unknown tier(s) {', '.join(bad_tiers)} in parks.csv or assignments.csv"]

    # each project at most once; committed ones placed
    placed_ids = a["project_id"].tolist()
    if len(placed_ids) != len(set(placed_ids)):
        out.append("a project is assigned to more than one park")
    both = set(placed_ids) & set(unplaced["project_id"])
    if both:
        out.append(f"projects both placed and unplaced: {sorted(both)}")
    total = len(set(placed_ids) | set(unplaced["project_id"]))
    if total != summary["kpis"]["candidate_projects"]:
        out.append(f"{total} projects in assignments+unplaced, summary says {summary['kpis']['candidate_projects']}")
    for pid in unplaced.loc[unplaced["status"] == "committed", "project_id"]:
        out.append(f"committed project {pid} is not placed")
    for entry in settings["locks"]:
        row = a[a["project_id"] == entry["project"]]
        if row.empty or row["park_id"].iat[0] != entry["park"]:
            out.append(f"lock broken: {entry['project']} must be in {entry['park']}")
    for entry in settings["forbids"]:
        if ((a["project_id"] == entry["project"]) & (a["park_id"] == entry["park"])).any():
            out.append(f"forbid broken: {entry['project']} is in {entry['park']}")

    # capacities per park
    unknown = sorted(set(a["park_id"]) - set(parks.index))
    if unknown:
        out.append(f"assignments name parks missing from parks.csv: {unknown}")
        return out
    for column, resource in RESOURCES:
        used = a.groupby("park_id")[column].sum()
        for park_id, quota in parks[f"{resource}_quota"].items():
            u = float(used.get(park_id, 0.0))
            if u > quota + 1e-6 * max(1.0, quota):
                out.append(f"park {park_id}: {resource} used {u:g} exceeds quota {quota:g}")
            if not _close(u, float(parks.at[park_id, f"{resource}_used"])):
                out.append(f"park {park_id}: parks.csv reports {resource}_used {parks.at[park_id, f'{resource}_used']}"
                           f", recomputed {u:g}")

    # eligibility rules of every placed pair
    elig = settings["eligibility"]
    for row in a.itertuples(index=False):
        park = parks.loc[row.park_id]
        tag = f"{row.project_id}→{row.park_id}"
        allowed = _split(park["allowed_chains"])
        if allowed and row.chain not in allowed:
            out.append(f"{tag}: chain {row.chain} not allowed in the park ({';'.join(allowed)})")
        if TIER_ORDER[park["tier"]] < TIER_ORDER[row.min_tier or "county"]:
            out.append(f"{tag}: park tier {park['tier']} below the project's minimum {row.min_tier}")
        if str(row.hazardous).lower() == "true" and str(park["chemical_park"]).lower() != "true":
            out.append(f"{tag}: hazardous project outside a chemical park")
        mu = float(row.land_ha) * 15.0
        if elig["standard_land"] and mu > 0:
            if float(row.investment) / mu < float(park["min_invest_intensity"]) - 1e-9:
                out.append(f"{tag}: investment intensity {float(row.investment) / mu:.1f} 万元/亩 below "
                           f"{park['min_invest_intensity']}")
            min_tax = float(park["min_tax_per_mu"] or 0)
            if float(row.tax) / mu < min_tax - 1e-9:
                out.append(f"{tag}: tax per 亩 {float(row.tax) / mu:.2f} below {min_tax}")
        if elig["hub_access"] and row.needs_hub:
            if not (float(row.hub_minutes) <= float(row.max_hub_minutes) + 1e-9):
                out.append(f"{tag}: needed {row.needs_hub} hub {row.hub_minutes} min away, limit {row.max_hub_minutes}")
        if row.fixed_park and row.fixed_park != row.park_id:
            out.append(f"{tag}: project is fixed to {row.fixed_park}")
        if row.park_id in _split(row.forbidden_parks):
            out.append(f"{tag}: park is in the project's forbidden_parks")

    # scores: the breakdown adds up, value follows the weights, the objective is their sum
    w = settings["weights"]
    terms = ["value", "leading_bonus", "hub_bonus", "belt_bonus", "raster_bonus", "adjustment"]
    for row in a.itertuples(index=False):
        if not _close(sum(float(getattr(row, t)) for t in terms), float(row.score)):
            out.append(f"{row.project_id}: score {row.score} is not the sum of its breakdown")
        value = w["output"] * float(row.output) + w["tax"] * float(row.tax) + w["jobs"] * float(row.jobs)
        if not _close(value, float(row.value)):
            out.append(f"{row.project_id}: value {row.value} does not follow the weights (expected {value:g})")
    for row in a.itertuples(index=False):
        if not _close(float(row.score) + float(row.affinity), float(row.total)):
            out.append(f"{row.project_id}: total {row.total} is not score + affinity")
    out += _check_links(folder, a, settings)
    out += _check_chains(a, parks, settings)
    out += _check_counties(folder, a, parks)
    out += _check_benefit_floors(a, settings)
    sol = summary["solution"]
    opened = len(set(zip(a["chain"], a["park_id"], strict=True)))
    expected = float(a["total"].sum()) - float(w.get("chain_open", 0.0)) * opened
    if sol["objective"] is None or not _close(expected, float(sol["objective"])):
        out.append(f"objective {sol['objective']} is not Σ total − chain opening costs = {expected:g}")
    if sol["bound"] is not None and sol["objective"] is not None and sol["bound"] < sol["objective"] - 1e-6 * max(
            1.0, abs(sol["objective"])):
        out.append(f"bound {sol['bound']} is below the objective {sol['objective']} (we maximise)")
    if sol["status"] == "optimal" and (sol["gap"] is None or sol["gap"] > sol["gap_limit"] + 1e-9):
        out.append(f"status optimal but gap {sol['gap']} exceeds the limit {sol['gap_limit']}")

    # KPIs
    k = summary["kpis"]
    for key, column in (("placed_projects", None), ("investment", "investment"), ("output", "output"),
                        ("tax", "tax"), ("jobs", "jobs"), ("land_used_ha", "land_ha")):
        expected = float(len(a)) if column is None else float(a[column].sum())
        if not _close(float(k[key]), expected):
            out.append(f"KPI {key} is {k[key]}, recomputed {expected:g}")

    # outputs agree with each other
    layer = read_run_file(folder / "results.gpkg",
                          lambda p: pyogrio.read_dataframe(p, layer="projects", read_geometry=False))
    if dict(zip(layer["project_id"], layer["park_id"])) != dict(zip(a["project_id"], a["park_id"])):
        out.append("results.gpkg layer 'projects' disagrees with assignments.csv")
    html = read_run_file(folder / "map.html", lambda p: p.read_text(encoding="utf-8"))
    remote = re.findall(r"""<(?:script|img|iframe|link|source|embed)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
                        r"""|url\(\s*["']?(?:https?:)?//""", html, flags=re.IGNORECASE)
    if remote:
        out.append(f"map.html references {len(remote)} remote resource(s)")
    return out


def _check_links(folder: Path, a: pd.DataFrame, settings: dict) -> list[str]:
    """Each link's 'local' flag follows from where its ends went; affinity is half the reward per end."""
    out = []
    links = read_run_file(folder / "links.csv", lambda p: pd.read_csv(
        p, keep_default_na=False,
        dtype={"supplier_id": str, "customer_id": str, "supplier_park": str, "customer_park": str}))
    _numbers(folder, "links.csv", links, "link_id" if "link_id" in links.columns else None)
    where = dict(zip(a["project_id"], a["park_id"], strict=True))
    affinity = dict.fromkeys(a["project_id"], 0.0)
    weight = float(settings["weights"].get("affinity", 0.0)) if settings["model"].get("links", True) else 0.0
    for row in links.itertuples(index=False):
        sp, cp = where.get(row.supplier_id, ""), where.get(row.customer_id, "")
        if (sp, cp) != (row.supplier_park, row.customer_park):
            out.append(f"link {row.supplier_id}→{row.customer_id}: links.csv says parks {row.supplier_park}/"
                       f"{row.customer_park}, assignments say {sp}/{cp}")
            continue
        if sp and cp:
            limit = float(row.max_minutes)
            local = (sp == cp) if limit <= 0 else float(row.minutes) <= limit + 1e-9
        else:
            local = False
        if bool(local) != (str(row.local).lower() == "true"):
            out.append(f"link {row.supplier_id}→{row.customer_id}: 'local' is {row.local}, recomputed {local}")
        if local:
            for end in (row.supplier_id, row.customer_id):
                affinity[end] += weight * float(row.value) / 2
    for pid, value in affinity.items():
        reported = float(a.loc[a["project_id"] == pid, "affinity"].iat[0])
        if not _close(value, reported):
            out.append(f"{pid}: affinity {reported:g}, recomputed from links {value:g}")
    return out


def _check_chains(a: pd.DataFrame, parks: pd.DataFrame, settings: dict) -> list[str]:
    out = []
    chains = a.groupby("park_id")["chain"].nunique()
    if settings["model"].get("max_chains", True):
        for park_id, n in chains.items():
            if n > int(parks.at[park_id, "max_chains"]):
                out.append(f"park {park_id}: {n} chains, max_chains {parks.at[park_id, 'max_chains']}")
    cap = settings["model"].get("max_parks_per_chain")
    if cap is not None:
        for chain, n in a.groupby("chain")["park_id"].nunique().items():
            limit = cap.get(chain) if isinstance(cap, dict) else cap
            if limit is not None and n > limit:
                out.append(f"chain {chain}: in {n} parks, max_parks_per_chain {limit}")
    return out


def _check_counties(folder: Path, a: pd.DataFrame, parks: pd.DataFrame) -> list[str]:
    """County caps from counties.csv (columns energy_cap_tce, emission_cap_t when the scenario set them)."""
    out = []
    counties = read_run_file(folder / "counties.csv", lambda p: pd.read_csv(p, keep_default_na=False))
    if "county" not in counties.columns:
        return ["counties.csv lacks column 'county'"]
    counties = counties.set_index("county")
    _numbers(folder, "counties.csv", counties, None)
    county_of = parks["county"].to_dict()
    for column, cap_column in (("energy_tce", "energy_cap_tce"), ("emission_t", "emission_cap_t")):
        if cap_column not in counties.columns:
            continue
        used = a.assign(county=a["park_id"].map(county_of)).groupby("county")[column].sum()
        for county, cap in counties[cap_column].items():
            if not math.isnan(cap) and float(used.get(county, 0.0)) > float(cap) + 1e-6 * max(1.0, float(cap)):
                out.append(f"county {county}: {column} {used.get(county, 0.0):g} exceeds its cap {cap}")
    return out


def _check_benefit_floors(a: pd.DataFrame, settings: dict) -> list[str]:
    """Each county keeps at least ``floor`` × the output of the placed projects it sourced (飞地经济)."""
    sharing = settings.get("benefit_sharing", {})
    floor, host_share = sharing.get("floor"), float(sharing.get("host_share", 0.5))
    if floor is None:
        return []
    out = []
    src = a["source_county"].fillna("").astype(str)
    shared = (src != "") & (src != a["host_county"])
    kept = (a["output"] * shared.map({True: host_share, False: 1.0})).groupby(a["host_county"]).sum()
    given = (a["output"] * shared.map({True: 1.0 - host_share, False: 0.0})).groupby(src).sum()
    sourced = a.loc[src != ""].groupby(src[src != ""])["output"].sum()
    for county, total in sourced.items():
        benefit = float(kept.get(county, 0.0)) + float(given.get(county, 0.0))
        if benefit < float(floor) * float(total) - 1e-6 * max(1.0, float(total)):
            out.append(f"county {county}: benefit {benefit:,.1f} below the floor {floor} × sourced {total:,.1f}")
    return out

