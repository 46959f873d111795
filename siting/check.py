"""An independent checker: re-reads a run folder and re-verifies every constraint from the outputs alone.

It deliberately shares no code with the model: it reads the CSV, JSON and GeoPackage files a run
wrote and recomputes capacities, eligibility rules, scores and KPIs from their columns.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyproj
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

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


def read_plan(folder: Path) -> dict[str, str]:
    """{project: park} of a run folder's ``assignments.csv``; a file that is not a run's plan (a column missing,
    a project repeated or without an ID) is bad input (exit code 2)."""
    path = Path(folder) / "assignments.csv"
    return plan_of(path, read_run_file(path, Path.read_bytes))


def plan_of(path: Path, data: bytes) -> dict[str, str]:
    """:func:`read_plan` of the bytes ``data`` read from ``path`` (a caller that also hashes them reads once)."""
    table = read_run_file(path, lambda _: pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False))
    if (not {"project_id", "park_id"} <= set(table.columns) or table["project_id"].duplicated().any()
            or (table["project_id"].str.strip() == "").any()):
        raise InputError([Problem(str(path), "", "project_id, park_id", "is not a run's plan (a column is missing, "
                                  "or a project repeats or has no ID)", "name a run folder written by 'siting run'")])
    return dict(zip(table["project_id"], table["park_id"], strict=True))


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
# columns of the run's tables read as text: IDs, chains and counties may be written as numbers (行政区划代码 410122)
TEXT_COLUMNS = {"assignments.csv": ("project_id", "park_id", "chain", "host_county", "source_county"),
                "parks.csv": ("park_id", "county", "leading_chains", "allowed_chains")}


def read_run_json(path: Path, keys: tuple[RunKey, ...]) -> dict:
    """A JSON object of a run folder that must hold ``keys``; every missing or wrong key is reported at once."""
    data = read_run_file(path, lambda p: json.loads(p.read_text(encoding="utf-8")))
    if not isinstance(data, dict):
        top = ", ".join(k.key for k in keys if "." not in k.key and k.required)
        raise InputError([Problem(str(path), "", "", f"is not the JSON object a run writes (missing {top})", DAMAGED)])
    problems = []
    for k in keys:  # parents come before their keys: a key under a missing or wrong parent is not reported again
        parent, _, name = k.key.rpartition(".")
        container = lookup_key(data, parent)
        if not isinstance(container, dict):
            continue
        if name not in container:
            if k.required:
                problems.append(Problem(str(path), "", k.key, f"is missing; expected {k.expected}", DAMAGED))
        elif not k.test(container[name]):
            problems.append(Problem(str(path), "", k.key, f"expected {k.expected}, got {short_json(container[name])}",
                                    DAMAGED))
    if problems:
        raise InputError(problems)
    return data


def lookup_key(data: dict, dotted: str) -> object:
    """``data["a"]["b"]`` for ``"a.b"`` (``data`` itself for ``""``); ``None`` where a key is missing."""
    for part in dotted.split(".") if dotted else ():
        data = data.get(part) if isinstance(data, dict) else None
    return data


def short_json(value: object, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def run_folder_around(path: Path) -> Path | None:
    """The run folder that ``path`` (a folder) is or lies in, if any: a run never changes another run."""
    path = Path(os.path.abspath(path))  # (absolute() keeps '..', whose parents include the folder it leaves)
    return next((f for f in (path, *path.parents) if (f / "manifest.json").is_file()
                 and (f / "assignments.csv").is_file()), None)


def read_manifest(folder: Path, keys: tuple[RunKey, ...]) -> dict:
    """The run folder's manifest.json, which must hold ``keys``; a path without one is not a run folder."""
    if not (folder / "manifest.json").is_file():
        what = ("is not a run folder (no manifest.json)" if folder.is_dir()
                else "is a file, not a run folder" if folder.exists() else "does not exist")
        raise InputError([Problem(str(folder), "", "", what, "name a folder written by 'siting run'")])
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


def check_run(folder: str | Path, scope: list[str] | None = None) -> list[str]:
    """Every violation found in a run folder, in plain words; an empty list means the run is sound.

    ``scope``, when given, receives what was checked, in plain words, for the user to see. A path that is
    not a run folder, or a run file that cannot be read, raises :class:`layers.InputError`.
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
        p, dtype=dict.fromkeys(TEXT_COLUMNS["assignments.csv"], str), keep_default_na=False,
        na_values={"hub_minutes": [""], "max_hub_minutes": [""]}))
    parks = read_run_file(folder / "parks.csv", lambda p: pd.read_csv(
        p, dtype=dict.fromkeys(TEXT_COLUMNS["parks.csv"], str), keep_default_na=False))
    if "park_id" not in parks.columns:
        return ["parks.csv lacks column 'park_id'"]
    parks = parks.set_index("park_id")
    unplaced = read_run_file(folder / "unplaced.csv", lambda p: pd.read_csv(p, dtype={"project_id": str},
                                                                            keep_default_na=False))

    need = {"assignments.csv": (a, ("project_id", "park_id", "chain", "host_county", "source_county", "status",
                                    "score", "total", "affinity",
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
    repeated = sorted(set(a.loc[a["project_id"].duplicated(), "project_id"]))
    if repeated:
        out.append(f"project(s) assigned more than once: {', '.join(repeated[:SHOWN])}"
                   + (f" and {len(repeated) - SHOWN} more" if len(repeated) > SHOWN else ""))
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
    links = read_run_file(folder / "links.csv", lambda p: pd.read_csv(
        p, keep_default_na=False,
        dtype={"supplier_id": str, "customer_id": str, "supplier_park": str, "customer_park": str}))
    out += _check_links(folder, a, settings, links)
    out += _check_chains(a, parks, settings)
    counties = read_run_file(folder / "counties.csv", lambda p: pd.read_csv(p, keep_default_na=False,
                                                                            dtype={"county": str}))
    out += _check_counties(folder, a, parks, counties)
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
    if sol["status"] not in ("optimal", "feasible"):
        out.append(f"status {sol['status']!r} is not that of a plan (optimal or feasible)")
    if sol["objective"] is not None and sol["bound"] is not None:
        gap = max(0.0, float(sol["bound"]) - float(sol["objective"])) / max(1e-9, abs(float(sol["bound"])))
        if sol["gap"] is None or abs(float(sol["gap"]) - gap) > 1e-6:
            out.append(f"gap {sol['gap']} is not (bound − objective) / bound = {gap:.6g}")
    elif sol["gap"] is not None:
        out.append(f"gap {sol['gap']} given without a bound")

    # KPIs
    k = summary["kpis"]
    for key, column in (("placed_projects", None), ("investment", "investment"), ("output", "output"),
                        ("tax", "tax"), ("jobs", "jobs"), ("land_used_ha", "land_ha")):
        expected = float(len(a)) if column is None else float(a[column].sum())
        if not _close(float(k[key]), expected):
            out.append(f"KPI {key} is {k[key]}, recomputed {expected:g}")
    quota = float(parks["land_quota"].sum())  # land_left_ha is absent from runs made before it was added
    for key, expected in (("land_free_ha", quota), ("land_left_ha", quota - float(a["land_ha"].sum()))):
        if key in k and not _close(float(k[key]), expected):
            out.append(f"KPI {key} is {k[key]}, recomputed {expected:,.1f}")
    out += _check_other_kpis(k, a, parks, unplaced, links, counties,
                             float(settings.get("benefit_sharing", {}).get("host_share", 0.5)))

    # outputs agree with each other
    out += check_gis(folder, manifest.get("output_crs"))
    html = read_run_file(folder / "map.html", lambda p: p.read_text(encoding="utf-8"))
    remote = re.findall(r"""<(?:script|img|iframe|link|source|embed)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
                        r"""|url\(\s*["']?(?:https?:)?//""", html, flags=re.IGNORECASE)
    if remote:
        out.append(f"map.html references {len(remote)} remote resource(s)")
    if scope is not None:
        scope += _scope(folder, a, parks, unplaced, settings, links, counties)
    return out


def _kpi_close(reported: object, expected: float | None) -> bool:
    """A KPI of summary.json (rounded to 6 decimals there) against its recomputed value; ``None`` for none."""
    if expected is None or reported is None:
        return expected is None and reported is None
    return _is_number(reported) and (abs(float(reported) - expected) <= 2e-6 or _close(float(reported), expected))


def _check_other_kpis(k: dict, a: pd.DataFrame, parks: pd.DataFrame, unplaced: pd.DataFrame, links: pd.DataFrame,
                      counties: pd.DataFrame, host_share: float) -> list[str]:
    """Every further KPI of summary.json, recomputed from the tables (a KPI missing from an older run is skipped)."""
    out = []
    land = float(a["land_ha"].sum())
    mu = land * 15.0
    expected: dict[str, float | None] = {
        "placed_committed": float((a["status"] == "committed").sum()), "unplaced_projects": float(len(unplaced)),
        "land_used_mu": mu,
        "output_per_mu": float(a["output"].sum()) / mu if mu else 0.0,
        "tax_per_mu": float(a["tax"].sum()) / mu if mu else 0.0,
        "energy_used_tce": float(a["energy_tce"].sum()), "energy_quota_tce": float(parks["energy_quota"].sum()),
        "emission_used_t": float(a["emission_t"].sum()), "emission_quota_t": float(parks["emission_quota"].sum()),
    }
    if {"value", "local", "supplier_park", "customer_park"} <= set(links.columns):
        local = links["local"].astype(str).str.lower() == "true"
        value = pd.to_numeric(links["value"], errors="coerce").fillna(0.0)
        both = (links["supplier_park"] != "") & (links["customer_park"] != "")
        expected |= {
            "local_supply_rate": float(value[both & local].sum()) / float(value[both].sum()) if value[both].sum() > 0
            else None,
            "local_supply_rate_all_links": float(value[local].sum()) / float(value.sum()) if value.sum() else None,
            "links_local": float(local.sum()), "links_total": float(len(links)),
        }
    chains = a.groupby("park_id")["chain"].nunique()
    expected["chains_per_park_mean"] = float(chains.mean()) if len(chains) else 0.0
    expected["chains_opened"] = float(len(set(zip(a["chain"], a["park_id"], strict=True))))
    expected["parks_over_max_chains"] = float(sum(int(n) > int(parks.at[p, "max_chains"]) for p, n in chains.items()))
    output = float(a["output"].sum())
    if "leading_chains" in parks.columns:
        leading = [c in _split(parks.at[p, "leading_chains"]) for c, p in zip(a["chain"], a["park_id"], strict=True)]
        expected["leading_chain_output_share"] = float(a.loc[leading, "output"].sum()) / output if output else 0.0
    if "belts" in a.columns:
        on_belt = a["belts"].astype(str).str.strip() != ""
        expected["belt_output_share"] = float(a.loc[on_belt, "output"].sum()) / output if output else 0.0
    hub = a[a["needs_hub"].astype(str).str.strip() != ""]
    expected["hub_minutes_mean"] = float(hub["hub_minutes"].mean()) if len(hub) else None
    expected["hub_minutes_max"] = float(hub["hub_minutes"].max()) if len(hub) else None
    for key, value in expected.items():
        if key in k and not _kpi_close(k[key], value):
            out.append(f"KPI {key} is {k[key]}, recomputed {value:.6g}" if value is not None
                       else f"KPI {key} is {k[key]}, recomputed none (nothing to measure)")
    if "parks_per_chain" in k:
        per_chain = {str(c): int(n) for c, n in a.groupby("chain")["park_id"].nunique().items()}
        if k["parks_per_chain"] != per_chain:
            out.append(f"KPI parks_per_chain is {short_json(k['parks_per_chain'])}, recomputed {short_json(per_chain)}")
    if "structural_similarity" in k:
        out += _check_similarity(k, a)
    if "county_benefit" in k:
        out += _check_county_benefit(k["county_benefit"], a, counties, host_share)
    return out


def _check_similarity(k: dict, a: pd.DataFrame) -> list[str]:
    """产业同构系数: the cosine of every pair of counties' chain-output vectors, and their mean."""
    matrix = a.pivot_table(index="host_county", columns="chain", values="output", aggfunc="sum", fill_value=0.0)
    pairs = {}
    names = list(matrix.index)
    for n, first in enumerate(names):
        for second in names[n + 1:]:
            va, vb = matrix.loc[first].to_numpy(float), matrix.loc[second].to_numpy(float)
            norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
            if norm > 0:
                pairs[f"{first}|{second}"] = float(va @ vb) / norm
    reported = k["structural_similarity"]
    out = []
    if not isinstance(reported, dict) or set(reported) != set(pairs) or not all(
            _kpi_close(reported[p], v) for p, v in pairs.items()):
        out.append(f"KPI structural_similarity is {short_json(reported)}, recomputed "
                   f"{short_json({p: round(v, 6) for p, v in pairs.items()})}")
    mean = float(np.mean(list(pairs.values()))) if pairs else None
    if "structural_similarity_mean" in k and not _kpi_close(k["structural_similarity_mean"], mean):
        out.append(f"KPI structural_similarity_mean is {k['structural_similarity_mean']}, recomputed {mean}")
    return out


def _check_county_benefit(reported: object, a: pd.DataFrame, counties: pd.DataFrame, host_share: float) -> list[str]:
    """Each county's output and tax hosted, sourced and kept (飞地经济) in summary.json and counties.csv, recomputed:
    hosted by where the projects went, sourced by source_county, benefit by the manifest's host share. A figure
    that a run of an older version did not write is skipped."""
    if not isinstance(reported, dict):
        return [f"KPI county_benefit is {short_json(reported)}, expected a mapping county: figures"]
    out = [f"KPI county_benefit.{county} is {short_json(figures)}, expected a mapping"
           for county, figures in reported.items() if not isinstance(figures, dict)]
    reported = {str(county): figures for county, figures in reported.items() if isinstance(figures, dict)}
    host = a["host_county"].fillna("").astype(str)
    for measure in ("output", "tax"):
        hosted, sourced, benefit = a.groupby(host)[measure].sum(), _sourced(a, measure), _benefit(a, measure, host_share)
        for county, figures in reported.items():
            for kind, value in (("hosted", hosted.get(county, 0.0)), ("sourced", sourced.get(county, 0.0)),
                                ("benefit", benefit.get(county, 0.0))):
                key = f"{measure}_{kind}"
                if key in figures and not _kpi_close(figures[key], float(value)):
                    out.append(f"KPI county_benefit.{county}.{key} is {figures[key]}, recomputed {float(value):.6g}")
    if "county" not in counties.columns:
        return out
    repeated = sorted(set(counties.loc[counties["county"].duplicated(), "county"]))
    if repeated:
        return [*out, f"counties.csv: county {', '.join(repeated[:SHOWN])} appears more than once"]
    table = counties.set_index("county")
    for county, figures in reported.items():
        if county not in table.index:
            out.append(f"KPI county_benefit names county {county}, which counties.csv lacks")
            continue
        for column in (f"{m}_{kind}" for m in ("output", "tax") for kind in ("hosted", "sourced", "benefit")):
            if column in figures and column in table.columns and not _kpi_close(
                    figures[column], _number(table.at[county, column])):
                out.append(f"KPI county_benefit.{county}.{column} is {figures[column]}, counties.csv says "
                           f"{table.at[county, column]}")
    return out


def _scope(folder: Path, a: pd.DataFrame, parks: pd.DataFrame, unplaced: pd.DataFrame, settings: dict,
           links: pd.DataFrame, counties: pd.DataFrame) -> list[str]:
    """What :func:`check_run` verified, with the counts of this run."""
    caps = [c for c in ("energy_cap_tce", "emission_cap_t") if c in counties.columns]
    capped = int(counties[caps].apply(pd.to_numeric, errors="coerce").notna().any(axis=1).sum()) if caps else 0
    layers = len({name for name, _ in pyogrio.list_layers(folder / "results.gpkg")} - {"layer_styles"})
    shapefiles = len(list((folder / "shp").glob("*.shp")))
    floor = settings.get("benefit_sharing", {}).get("floor")
    return [f"{len(a)} placed and {len(unplaced)} unplaced projects: each at most once, committed ones placed, "
            f"{len(settings['locks'])} lock(s) and {len(settings['forbids'])} forbid(s) kept",
            f"land, energy and emission used in {len(parks)} parks within their quotas; {capped} county cap(s)",
            "every placed pair's eligibility (chain, tier, hazardous, standard land, hub access, fixed and "
            "forbidden parks) and the chain limits" + (f"; benefit floor {floor}" if floor is not None else ""),
            f"{len(links)} supplier links: where their ends went, 'local', each project's affinity",
            "each score's breakdown and weights, total = score + affinity, the objective, the bound and the KPIs",
            f"{layers} GeoPackage layers and {shapefiles} shapefiles agree with the tables and each other, in the "
            "output CRS; map.html loads nothing remote (no script, style, image or tile from the network)"]


def _check_links(folder: Path, a: pd.DataFrame, settings: dict, links: pd.DataFrame) -> list[str]:
    """Each link's 'local' flag follows from where its ends went; affinity is half the reward per end."""
    out = [f"links.csv lacks column '{c}'" for c in ("supplier_id", "customer_id", "value", "max_minutes", "minutes",
                                                      "supplier_park", "customer_park", "local")
           if c not in links.columns]
    if out:
        return out
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


def _check_counties(folder: Path, a: pd.DataFrame, parks: pd.DataFrame, counties: pd.DataFrame) -> list[str]:
    """County caps from counties.csv (columns energy_cap_tce, emission_cap_t when the scenario set them)."""
    out = []
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
    benefit, sourced = _benefit(a, "output", host_share), _sourced(a, "output")
    for county, total in sourced.items():
        kept = float(benefit.get(county, 0.0))
        if kept < float(floor) * float(total) - 1e-6 * max(1.0, float(total)):
            out.append(f"county {county}: benefit {kept:,.1f} below the floor {floor} × sourced {total:,.1f}")
    return out


def _sourced(a: pd.DataFrame, measure: str) -> pd.Series:
    """Per county, the ``measure`` (output or tax) of the placed projects it sourced."""
    src = a["source_county"].fillna("").astype(str)
    return a.loc[src != "", measure].groupby(src[src != ""]).sum()


def _benefit(a: pd.DataFrame, measure: str, host_share: float) -> pd.Series:
    """Per county, the ``measure`` it keeps: all of a project it sourced and hosts, ``host_share`` of one it hosts
    for another county, the rest of one it sourced for another's park."""
    src = a["source_county"].fillna("").astype(str)
    host = a["host_county"].fillna("").astype(str)
    shared = (src != "") & (src != host)
    kept = (a[measure] * np.where(shared, host_share, 1.0)).groupby(host).sum()
    given = (a[measure] * np.where(shared, 1.0 - host_share, 0.0)).groupby(src).sum()
    return kept.add(given, fill_value=0.0)


# GIS layers whose rows are those of a table (key column); the links layer holds the links with both ends placed
GIS_TABLES = {"projects": ("assignments.csv", "project_id"), "parks": ("parks.csv", "park_id"),
              "links": ("links.csv", "link_id")}
SHOWN = 5  # IDs named in one message
GATE_KM = 20.0  # a park's point (its gate, where its projects are drawn) lies at most this far from its polygon
GATE_SLACK = 1.01  # validation measures in the work CRS, check in UTM: the two differ by up to ~0.1 % at 20 km
SHP_TEXT_BYTES = 254  # a shapefile's text field holds this many bytes of UTF-8


def _text(value: object, *, flag: bool = False) -> str:
    """A cell as text: '' for empty, 'true'/'false' for a flag (``flag``: also 1/0, as shapefiles hold them)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_) or (flag and isinstance(value, int | float | np.integer | np.floating)
                                                and value in (0, 1)):
        return "true" if value else "false"
    text = str(value)
    return text.lower() if text.lower() in ("true", "false") else text


def _number(value: object) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.inf  # not a number: never close to anything


def _same(a: object, b: object, *, numeric: bool, cut: bool = False, flag: bool = False,
          strip: bool = False) -> bool:
    """Cells equal: as numbers (both empty, or close) in a ``numeric`` column, else as text. ``strip``: ``b`` is
    a shapefile's, which drops trailing spaces; ``cut``: ``b`` may be ``a`` cut to 254 bytes of UTF-8."""
    if numeric:
        x, y = _number(a), _number(b)
        return (math.isnan(x) and math.isnan(y)) or _close(x, y)
    x, y = _text(a, flag=flag), _text(b, flag=flag)
    if strip:
        x, y = x.rstrip(" "), y.rstrip(" ")
    if cut and x != y:
        return y == _text(a).encode("utf-8")[:SHP_TEXT_BYTES].decode("utf-8", errors="ignore").rstrip(" ")
    return x == y


def _numeric_columns(layer: pd.DataFrame) -> set[str]:
    return {c for c in layer.columns if c != "geometry" and pd.api.types.is_numeric_dtype(layer[c])
            and not pd.api.types.is_bool_dtype(layer[c])}


def _differences(label: str, ours: pd.DataFrame, theirs: pd.DataFrame, key: str | None, *, numeric: set[str],
                 cut: frozenset[str] = frozenset(), flags: frozenset[str] = frozenset(),
                 strip: bool = False) -> list[str]:
    """Where ``theirs`` disagrees with ``ours`` (the same rows): fields of ours it lacks, rows missing on either
    side (by ``key``, or by position when ``key`` is None, rows numbered from 1), then each shared field with
    the rows that differ. ``numeric`` names the fields compared as numbers; ``cut``, ``flags`` and ``strip``
    say how ``theirs`` (a shapefile) may hold text: cut to 254 bytes, flags as 1/0, without trailing spaces."""
    out = []
    lacking = [c for c in ours.columns if c not in theirs.columns and c != "geometry"]
    if lacking:
        out.append(f"{label}: field(s) {', '.join(lacking[:SHOWN])} missing")
    if key is not None:
        for side, table in (("the run's table", ours), ("the layer", theirs)):
            repeated = table[key].map(str)[table[key].map(str).duplicated()].unique().tolist()
            if repeated:
                return [*out, f"{label}: {key} {', '.join(repeated[:SHOWN])} appears more than once in {side}"]
        ours_ids, theirs_ids = ours[key].map(str).tolist(), theirs[key].map(str).tolist()
        missing = [i for i in ours_ids if i not in set(theirs_ids)]
        extra = [i for i in theirs_ids if i not in set(ours_ids)]
        if missing:
            out.append(f"{label}: {len(missing)} row(s) missing, e.g. {key} {', '.join(missing[:SHOWN])}")
        if extra:
            out.append(f"{label}: {len(extra)} row(s) not in the run's table, e.g. {key} {', '.join(extra[:SHOWN])}")
        shared = [i for i in ours_ids if i in set(theirs_ids)]
        ours = ours.set_axis(ours_ids).loc[shared]
        theirs = theirs.set_axis(theirs_ids).loc[shared]
    elif len(ours) != len(theirs):
        return [*out, f"{label}: {len(theirs)} rows, expected {len(ours)}"]
    else:
        ours, theirs = (t.set_axis(range(1, len(t) + 1)) for t in (ours, theirs))
    for column in [c for c in ours.columns if c in theirs.columns and c not in (key, "geometry")]:
        bad = [str(i) for i, x, y in zip(ours.index, ours[column], theirs[column], strict=True)
               if not _same(x, y, numeric=column in numeric, cut=column in cut, flag=column in flags, strip=strip)]
        if bad:
            where = f"{key} {', '.join(bad[:SHOWN])}" if key else f"row(s) {', '.join(bad[:SHOWN])}"
            out.append(f"{label}: field {column} differs in {len(bad)} row(s), e.g. {where}")
    return out


def _same_shape(a: BaseGeometry | None, b: BaseGeometry | None) -> bool:
    if a is None or b is None or a.is_empty or b.is_empty:
        return (a is None or a.is_empty) == (b is None or b.is_empty)
    return a.normalize().equals_exact(b.normalize(), 1e-7) or a.equals(b)


def _crs_matches(found: object, expected: pyproj.CRS) -> bool:
    try:
        crs = pyproj.CRS.from_user_input(found)
    except pyproj.exceptions.CRSError:
        return False
    return crs.equals(expected, ignore_axis_order=True) or (crs.to_epsg(min_confidence=70) == expected.to_epsg()
                                                            and expected.to_epsg() is not None)


def check_gis(folder: Path, output_crs: object) -> list[str]:
    """The GeoPackage and the shapefiles agree with the run's tables and with each other, in the output CRS.

    results.gpkg: the projects, parks and links layers hold every field, row and value of assignments.csv,
    parks.csv and the placed links of links.csv; the projects of a park are drawn at one point, at most
    ``GATE_KM`` from its polygon (its gate, or a point inside it), and a link's line runs between its ends'
    points. shp/: one shapefile per layer of field_names.csv, with a UTF-8 ``.cpg``, whose fields, mapped back
    by field_names.csv, and geometries are the GeoPackage layer's, row by row (text may be cut at 254 bytes
    where the map says so, and loses trailing spaces; flags are 1/0). Every layer is in ``output_crs``
    (CGCS2000 when the manifest has none).
    """
    gpkg = folder / "results.gpkg"
    try:
        expected = pyproj.CRS.from_user_input(output_crs if output_crs not in (None, "", "None") else "EPSG:4490")
    except pyproj.exceptions.CRSError:
        return [f"manifest.json: output_crs {output_crs!r} is not a CRS"]
    out = []
    names = {name for name, _ in read_run_file(gpkg, pyogrio.list_layers)} - {"layer_styles"}
    layers = {}
    for name in sorted(names):
        layer = read_run_file(gpkg, lambda p, n=name: pyogrio.read_dataframe(p, layer=n))
        if not _crs_matches(layer.crs, expected):
            out.append(f"results.gpkg layer '{name}': CRS {layer.crs} is not the output CRS {output_crs}")
        layers[name] = layer
    keyed = True
    for name, (table_name, key) in GIS_TABLES.items():
        if name not in layers:
            out.append(f"results.gpkg has no layer '{name}'")
            keyed = False
            continue
        table = read_run_file(folder / table_name, lambda p: pd.read_csv(p, dtype=str, keep_default_na=False))
        if name == "links" and {"supplier_park", "customer_park"} <= set(table.columns):
            table = table[(table["supplier_park"] != "") & (table["customer_park"] != "")]
        if key not in table.columns or key not in layers[name].columns:
            out.append(f"results.gpkg layer '{name}' or {table_name} lacks column '{key}'")
            keyed = False
            continue
        out += _differences(f"results.gpkg layer '{name}' against {table_name}", table, layers[name], key,
                            numeric=_numeric_columns(layers[name]))
    if keyed and "park_id" in layers["projects"].columns:
        out += _check_gis_geometry(layers)
    out += _check_shapefiles(folder, layers, expected)
    return out


def _metres(parks: pd.DataFrame, projects: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both layers in metres: the parks' UTM zone when their CRS is in degrees (taken from the parks, so that a
    stray project point cannot move the zone)."""
    if parks.crs is not None and parks.crs.is_geographic and not parks.geometry.dropna().empty:
        metric = parks.estimate_utm_crs()
        return parks.to_crs(metric), projects.to_crs(metric)
    return parks, projects


def _check_gis_geometry(layers: dict[str, pd.DataFrame]) -> list[str]:
    """A park's projects are drawn at one point near the park; a link's line joins the points of its ends' parks."""
    projects = layers["projects"]
    parks, near = _metres(layers["parks"], projects)
    polygon = dict(zip(parks["park_id"].map(str), parks.geometry, strict=True))
    out, points, scattered, far = [], {}, [], []
    for pid, park, point, here in zip(projects["project_id"].map(str), projects["park_id"].map(str),
                                      projects.geometry, near.geometry, strict=True):
        if point is None or point.is_empty or point.geom_type != "Point":
            far.append(pid)
            continue
        if park in points and points[park].distance(point) > 1e-7:
            scattered.append(park)
        points.setdefault(park, point)
        shape = polygon.get(park)
        if shape is not None and not shape.is_empty and shape.distance(here) > GATE_KM * 1000.0 * GATE_SLACK:
            far.append(pid)
    if far:
        out.append(f"results.gpkg layer 'projects': {len(far)} point(s) missing or more than {GATE_KM:g} km from "
                   f"their park's polygon, e.g. project_id {', '.join(far[:SHOWN])}")
    if scattered:
        out.append(f"results.gpkg layer 'projects': the projects of park(s) {', '.join(sorted(set(scattered))[:SHOWN])} "
                   "are drawn at different points")
    links = layers.get("links")
    if links is not None and {"supplier_park", "customer_park", "link_id"} <= set(links.columns):
        wrong = []
        for lid, a, b, line in zip(links["link_id"], links["supplier_park"].map(str),
                                   links["customer_park"].map(str), links.geometry, strict=True):
            if a == b:
                ok = line is None or line.is_empty
            elif a not in points or b not in points:
                continue  # a link end in a park with no project drawn: reported against links.csv already
            else:
                ok = (line is not None and line.geom_type == "LineString" and not line.is_empty
                      and Point(line.coords[0]).distance(points[a]) <= 1e-7
                      and Point(line.coords[-1]).distance(points[b]) <= 1e-7)
            if not ok:
                wrong.append(str(lid))
        if wrong:
            out.append(f"results.gpkg layer 'links': {len(wrong)} line(s) do not join their ends' parks, e.g. "
                       f"link_id {', '.join(wrong[:SHOWN])}")
    return out


def _check_shapefiles(folder: Path, layers: dict[str, pd.DataFrame], expected: pyproj.CRS) -> list[str]:
    shp = folder / "shp"
    field_map = read_run_file(shp / "field_names.csv", lambda p: pd.read_csv(p, dtype=str, keep_default_na=False))
    if not {"layer", "shp_field", "field", "note"} <= set(field_map.columns):
        return ["shp/field_names.csv lacks one of the columns layer, shp_field, field, note"]
    out = []
    for name in sorted(set(layers) - set(field_map["layer"])):
        out.append(f"shp/field_names.csv has no fields of layer '{name}' (no shapefile for it)")
    for name, fields in field_map.groupby("layer", sort=True):
        path = shp / f"{name}.shp"
        if name not in layers:
            out.append(f"shp/{name}.shp has no layer '{name}' in results.gpkg to agree with")
            continue
        if not path.is_file():
            out.append(f"missing output file: shp/{name}.shp")
            continue
        cpg = path.with_suffix(".cpg")
        if not cpg.is_file() or cpg.read_text(encoding="ascii", errors="replace").strip().upper() not in ("UTF-8", "UTF8"):
            out.append(f"shp/{name}.cpg is missing or does not say UTF-8: GIS programs would misread Chinese text")
        if fields["shp_field"].duplicated().any() or (fields["shp_field"].str.len() > 10).any():
            out.append(f"shp/field_names.csv: the field names of layer '{name}' are not unique names of ≤ 10 characters")
            continue
        frame = read_run_file(path, lambda p: pyogrio.read_dataframe(p, encoding="UTF-8"))
        if not _crs_matches(frame.crs, expected):
            out.append(f"shp/{name}.shp: CRS {frame.crs} is not the output CRS {expected.to_string()}")
        absent = [f for f in fields["shp_field"] if f not in frame.columns]
        if absent:
            out.append(f"shp/{name}.shp lacks field(s) {', '.join(absent[:SHOWN])} that field_names.csv lists")
            continue
        frame = frame.rename(columns=dict(zip(fields["shp_field"], fields["field"], strict=True)))
        cut = frozenset(fields.loc[fields["note"].str.contains("cut"), "field"])
        flags = frozenset(fields.loc[fields["note"].str.contains("1 = true"), "field"])
        layer = layers[name].reset_index(drop=True)
        out += _differences(f"shp/{name}.shp against results.gpkg", layer, frame.reset_index(drop=True), None,
                            numeric=_numeric_columns(layer), cut=cut, flags=flags, strip=True)
        if len(frame) == len(layer):
            moved = [str(i + 1) for i, (x, y) in enumerate(zip(layer.geometry, frame.geometry, strict=True))
                     if not _same_shape(x, y)]
            if moved:
                out.append(f"shp/{name}.shp: {len(moved)} geometry(ies) differ from results.gpkg, e.g. row(s) "
                           f"{', '.join(moved[:SHOWN])}")
    return out
