"""One siting run, end to end: scenario → region → eligibility → plan → KPIs → map and exports.

A run writes into a hidden folder beside its destination and renames it into place only when every
file is written, so a failed run leaves nothing half-written, and it never reuses an existing folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry import LineString

from layers import CGCS2000, InputError, Problem, Problems, crs_label, park_points
from optimize import SolverOptions, shadow_prices

from .check import plan_of, read_manifest, read_run_file, run_folder_around
from .columns import column_dictionary
from .eligibility import Eligibility, assess, unplaceable_lines
from .exports import join_lists, write_gpkg, write_shapefiles
from .kpis import county_table, link_table, network_priorities, park_table, summary
from .maps import build_map, write_map
from .plan import Plan, Unplaceable, make_plan
from .region import Region, load_region
from .report import write_report
from .scenario import Scenario, read_scenario
from .styles import write_gpkg_styles, write_shapefile_styles

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parent.parent
DEMO_SCENARIO = REPO / "data" / "gis" / "demo" / "baseline.yaml"
PACKAGES = ("pulp", "highspy", "geopandas", "shapely", "pyogrio", "pyproj", "folium", "pandas", "numpy")


@dataclass(frozen=True)
class RunResult:
    folder: Path
    summary: dict
    plan: Plan
    seconds: float


def solver_options(scenario: Scenario, *, solver: str | None = None, time_limit: float | None = None,
                   gap: float | None = None, steps: int | None = None) -> SolverOptions:
    """Solver settings from the scenario, with command-line values taking precedence.

    A reproducible solve (``steps``, :class:`optimize.SolverOptions`) comes from ``--steps`` or the scenario's
    ``solver.steps``; a ``--time-limit``, or ``--solver cbc``, on the command line asks for a timed solve instead.
    """
    s = scenario.settings["solver"]
    limit = time_limit if time_limit is not None else s["time_limit"]
    name = solver or s["name"]
    asked = steps is not None  # on the command line
    if steps is None and time_limit is None and solver in (None, "highs"):
        steps = s.get("steps")  # the scenario's steps, unless the command line asked for another solver: then timed
    if steps is not None and (name != "highs" or int(s["threads"]) != 1):
        raise InputError([Problem("command line" if asked else str(scenario.path), "", "--steps" if asked else
                                  "solver.steps", f"a reproducible solve (steps) needs the highs solver on one thread, "
                                  f"not {name} on {s['threads']}",
                                  "use --solver highs, or --time-limit for a timed solve" if asked else
                                  "use --solver highs or --time-limit, or set solver.steps: null in the scenario for "
                                  "a timed solve")])
    return SolverOptions(
        solver=name,
        time_limit=float(limit) if limit is not None else None,
        gap=float(gap if gap is not None else s["gap"]),
        threads=int(s["threads"]),
        steps=steps,
    )


def prepare(scenario_path: str | Path) -> tuple[Region, Eligibility]:
    """Load and check everything, and apply the eligibility rules; raises InputError on bad input.

    The scenario's own problems do not stop its inputs from being read and checked: every problem that can
    be found is raised at once.
    """
    problems = Problems()
    scenario = read_scenario(scenario_path, problems)
    if scenario is None:
        problems.raise_if_any()  # the scenario file could not be read: nothing names the inputs
    assert scenario is not None
    region = load_region(scenario, problems=problems)
    eligibility = assess(region)
    problems.raise_if_any()
    unplaceable = unplaceable_lines(region, eligibility)
    if unplaceable:
        raise Unplaceable(unplaceable)
    return region, eligibility


def reserve_run_folder(base: Path, name: str) -> Path:
    """Create (atomically, with ``mkdir``) a new empty run folder under ``base`` that no other run uses."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip("-")[:60] or "run"
    base.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        candidate = base / (f"{stamp}_{slug}" if n == 1 else f"{stamp}_{slug}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            n += 1


# the file in a run's staging folder that says siting made it; only such folders are ever swept
STAGING_MARK = ".siting-staging"


def _sweep_stale_partials(folder: Path, *, hours: float = 6.0) -> None:
    """Remove staging folders left by runs that were killed (older than ``hours``): only those holding
    ``STAGING_MARK``, so a folder of the user's that happens to be called ``.partial-…`` is never touched."""
    cutoff = time.time() - hours * 3600
    for stale in folder.glob(".partial-*"):
        with contextlib.suppress(OSError):
            if stale.is_dir() and (stale / STAGING_MARK).is_file() and stale.stat().st_mtime < cutoff:
                shutil.rmtree(stale, ignore_errors=True)


def execute(scenario_path: str | Path, *, out: Path | None = None, runs_dir: Path = Path("outputs"),
            solver: str | None = None, time_limit: float | None = None, gap: float | None = None,
            steps: int | None = None, baseline: Path | None = None) -> RunResult:
    """Run a scenario and write a new run folder.

    Parameters
    ----------
    scenario_path
        The scenario YAML file.
    out
        The run folder to create; it must not exist. By default a new dated folder under ``runs_dir``.
    runs_dir
        Where dated run folders go.
    solver, time_limit, gap, steps
        Override the scenario's solver settings (:func:`solver_options`).
    baseline
        A run folder whose plan the solve starts from (:func:`siting.plan.make_plan`).

    Raises
    ------
    layers.InputError
        Bad input (exit code 2 on the command line).
    siting.plan.Infeasible
        The committed projects cannot all be placed (exit code 3).
    FileExistsError
        ``out`` exists already.
    """
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.UTC)
    _check_destination(out, runs_dir)  # before the solve, so a wrong --out costs no solving time
    start, origin, problems = None, None, []
    try:  # before the region is loaded, which takes seconds; its problems are reported with the region's
        start, origin = _baseline_plan(baseline) if baseline is not None else (None, None)
    except InputError as exc:
        problems = list(exc.problems)
    try:
        region, eligibility = prepare(scenario_path)
    except InputError as exc:
        raise InputError([*problems, *exc.problems]) from None
    if problems:
        raise InputError(problems)
    options = solver_options(region.scenario, solver=solver, time_limit=time_limit, gap=gap, steps=steps)
    plan = make_plan(region, eligibility, options, baseline=start)

    parent = Path(out).parent if out is not None else Path(runs_dir)
    made = [f for f in (parent, *parent.parents) if not f.exists()]  # deepest first; removed again on failure
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=parent))
        (staging / STAGING_MARK).touch()
    except OSError as exc:  # e.g. made read-only during the solve
        raise FileExistsError(f"no run folder can be made in {parent}: {exc.strerror or exc}") from None
    _sweep_stale_partials(parent)
    final: Path | None = None
    try:
        result = _write_run(staging, region, eligibility, plan, options, started, t0, origin)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a run folder is for reviewers too
        if out is not None:
            try:
                Path(out).mkdir()  # atomic reservation: fails if anything is there
            except FileExistsError:
                raise _taken(out) from None
            final = Path(out)
        else:
            final = reserve_run_folder(parent, region.scenario.name)
        (staging / STAGING_MARK).unlink()
        os.replace(staging, final)  # onto the empty folder just reserved: the run appears complete or not at all
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if final is not None and final.is_dir() and not any(final.iterdir()):
            final.rmdir()
        for folder in made:  # the folders made for --out, if nothing else went into them
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):  # e.g. the disk is full
            raise FileExistsError(f"the run folder could not be written, so nothing was written: "
                                  f"{exc.strerror or exc} ({exc.filename or parent})") from None
        raise
    return RunResult(folder=final, summary=result, plan=plan, seconds=time.perf_counter() - t0)


# the shadow prices' LP around the plan (optimize.duals) may take this share of a timed run's time limit, at least
# SHADOW_MIN_SECONDS and at most SHADOW_MAX_SECONDS: at province scale (2,000 projects, 460,000 rows) it needs
# about 340 s, and a fixed 60 s both overran a 120 s run by half and gave no prices. A reproducible run, which may
# not look at the clock, solves it up to SHADOW_COUNTED_ROWS rows of the model (the demo has 7,800)
SHADOW_SHARE = 0.25
SHADOW_MIN_SECONDS = 5.0
SHADOW_MAX_SECONDS = 60.0
SHADOW_COUNTED_ROWS = 100_000


def _shadow_prices(plan, options) -> tuple[pd.DataFrame, str]:
    """The shadow prices around the plan, and a note when there are none (the LP did not finish, or was too large
    for a reproducible run)."""
    sol = plan.solution
    if options.steps is not None:
        limit, max_rows = None, SHADOW_COUNTED_ROWS
    elif options.time_limit is None:
        limit, max_rows = SHADOW_MAX_SECONDS, None
    else:
        limit, max_rows = min(SHADOW_MAX_SECONDS, max(SHADOW_MIN_SECONDS, SHADOW_SHARE * options.time_limit)), None
    prices = shadow_prices(plan.problem, sol.chosen_pairs, threads=options.threads, time_limit=limit,
                           max_rows=max_rows)
    if not len(prices) or prices["shadow_price"].notna().any():
        return prices, ""
    why = (f"the model ({prices.attrs.get('rows', 0):,} rows) is too large for them in a reproducible run "
           "(--steps); a run with --time-limit gives them" if prices.attrs.get("skipped")
           else f"the LP around the plan did not finish in {limit:g} s")
    return prices, f"no shadow prices: {why}; shadow_prices.csv lists the capacities without a price"


def _taken(out: Path) -> FileExistsError:
    return FileExistsError(f"{out} exists already; a run never overwrites another: choose a new --out")


def _baseline_plan(folder: Path) -> tuple[dict[str, str], dict]:
    """{project: park} of a run folder's assignments.csv, and what the manifest records of it (the folder and
    the file's SHA-256); a path that is not a run folder is bad input."""
    path = Path(folder) / "assignments.csv"
    read_manifest(Path(folder), ())
    data = read_run_file(path, Path.read_bytes)  # read once: the plan is the file that the digest names
    origin = {"run": str(folder), "assignments_sha256": hashlib.sha256(data).hexdigest()}
    return plan_of(path, data), origin


def _check_destination(out: Path | None, runs_dir: Path) -> None:
    """Refuse an ``out`` that exists, or a destination under a file, before any work is done (the folder is
    still reserved atomically at the end)."""
    if out is not None and os.path.lexists(out):  # (a symbolic link counts, even one that points nowhere)
        raise _taken(out)
    parent = Path(out).parent if out is not None else Path(runs_dir)
    option = "--out" if out is not None else "--runs-dir"
    inside = run_folder_around(parent)
    if inside is not None:
        raise FileExistsError(f"{parent} is inside the run folder {inside}, and a run never changes another run: "
                              f"choose another {option}")
    for folder in (parent, *parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise FileExistsError(f"{folder} is a file, so no run folder can be made under it: choose another "
                                      f"{option}")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise FileExistsError(f"{folder} is not writable, so no run folder can be made in it: choose another "
                                      f"{option}, or let the user who runs siting write there")
            break


def _write_run(folder: Path, region: Region, eligibility: Eligibility, plan: Plan, options: SolverOptions,
               started: dt.datetime, t0: float, baseline: dict | None = None) -> dict:
    sol = plan.solution
    assignments = plan.assignments
    parks = park_table(region, assignments)
    counties = county_table(region, assignments, parks)
    links = link_table(region, assignments)
    priorities = network_priorities(region, links)
    kpis = summary(region, assignments, parks, counties, links)
    s = region.scenario.settings
    prices, prices_note = _shadow_prices(plan, options)
    solution_info = {
        "status": sol.status.value,
        "solver": sol.solver,
        "source": sol.source,
        "objective": sol.objective,
        "bound": sol.bound,
        "gap": sol.gap,
        "greedy_objective": sol.greedy_objective,
        "optimization_gain": (sol.objective - sol.greedy_objective) if sol.objective is not None else None,
        "build_seconds": round(sol.build_seconds, 3),
        "solve_seconds": round(sol.solve_seconds, 3),
        "search_seconds": round(sol.search_seconds, 3),
        "solver_message": sol.solver_message,
        "notes": [*sol.notes, *([prices_note] if prices_note else [])],
        "time_limit": options.time_limit,
        "steps": options.steps,
        "gap_limit": options.gap,
        "threads": options.threads,
        "pairs": plan.problem.n_pairs,
    }
    summary_doc = {
        "scenario": region.scenario.name,
        "title": s["title"],
        "solution": solution_info,
        "kpis": kpis,
        "travel_times": region.travel.method,
        "weights": s["weights"],
        "notes": region.notes,
    }
    _write_json(folder / "summary.json", summary_doc)
    greedy = pd.DataFrame(sorted(plan.greedy_assignments.items()), columns=["project_id", "park_id"])
    tables = {"shadow_prices": prices, "network_priorities": priorities, "assignments": assignments, "parks": parks, "counties": counties, "unplaced": plan.unplaced,
              "links": links, "eligibility_removed": eligibility.removed, "greedy_assignments": greedy}
    for name, table in tables.items():  # with a BOM, Excel on Chinese Windows reads UTF-8 rather than GBK
        join_lists(table).to_csv(folder / f"{name}.csv", index=False, encoding="utf-8-sig")
    rasters = tuple(s["layers"].get("rasters") or {})
    inputs = {str(c) for frame in (region.projects, region.parks, region.links) for c in frame.columns}
    column_dictionary({f"{name}.csv": table for name, table in tables.items()}, inputs, rasters).to_csv(
        folder / "columns.csv", index=False, encoding="utf-8-sig")

    layers = _gis_layers(region, assignments, parks, links, priorities)
    try:
        write_gpkg(folder / "results.gpkg", layers)
        write_gpkg_styles(folder / "results.gpkg", layers, chain_names=region.chains)
        write_shapefiles(folder / "shp", layers)
        write_shapefile_styles(folder / "shp", layers, chain_names=region.chains)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.OperationalError) as exc:
        # GDAL's and SQLite's own write errors (a full disk: 'Failed to commit transaction', 'database or disk is
        # full') are not OSErrors; the run is refused as for any other failed write
        raise OSError(errno.EIO, f"the GIS files could not be written: {exc}", str(folder)) from None

    facts = [
        f"{kpis['placed_projects']} of {kpis['candidate_projects']} projects placed; status {sol.status.value}"
        + (f", gap {sol.gap:.3%}" if sol.gap is not None else ""),
        f"output {kpis['output']:,.0f} 万元/yr, tax {kpis['tax']:,.0f} 万元/yr, {kpis['jobs']:,.0f} jobs",
        f"output per 亩 {kpis['output_per_mu']:,.1f} 万元; land used {kpis['land_used_ha']:,.0f} of a "
        f"{kpis['land_free_ha']:,.0f} ha quota, {kpis['land_left_ha']:,.0f} ha left",
        f"travel times: {region.travel.method}",
    ]
    title = s["title"] or region.scenario.name
    fmap = build_map(region, assignments, parks, links, eligibility, priorities, title=title, facts=facts,
                     unplaced=plan.unplaced)
    write_map(folder / "map.html", fmap)
    write_report(folder / "report.html", title=title, summary=summary_doc, parks=parks, counties=counties,
                 unplaced=plan.unplaced, prices=prices, priorities=priorities, notes=[*region.notes, f"work CRS {crs_label(region.work_crs)}"],
                 host_share=float(s["benefit_sharing"]["host_share"]))

    manifest = {
        "scenario": region.scenario.name,
        "scenario_file": str(region.scenario.path),
        "scenario_sha256": region.scenario.sha256(),
        "baseline": baseline,  # the run whose plan the solve started from, if any
        "settings": s,
        "inputs": region.inputs,
        "work_crs": crs_label(region.work_crs),
        "output_crs": str(s["crs"]["output"]),
        "travel_times": region.travel.method,
        "solution": solution_info,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": {p: _version(p) for p in PACKAGES},
        "files": sorted({str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != STAGING_MARK}
                       | {"manifest.json"}),
    }
    _write_json(folder / "manifest.json", manifest)
    return summary_doc


def _gis_layers(region: Region, assignments: pd.DataFrame, parks: pd.DataFrame,
                links: pd.DataFrame, priorities: pd.DataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The output layers, in the scenario's output CRS (CGCS2000 by default)."""
    out_crs = region.scenario.settings["crs"]["output"] or CGCS2000
    park_geom = region.parks[["park_id", "geometry"]]
    extra = [c for c in region.parks.columns if c not in parks.columns and c != "geometry"]
    parks_layer = gpd.GeoDataFrame(parks.merge(region.parks[["park_id", *extra]], on="park_id", how="left")
                                   .merge(park_geom, on="park_id"), geometry="geometry", crs=region.work_crs)
    points = dict(zip(region.parks["park_id"], park_points(region.parks)))
    projects_layer = gpd.GeoDataFrame(assignments.copy(), geometry=[points[p] for p in assignments["park_id"]],
                                      crs=region.work_crs)
    placed = links[(links["supplier_park"] != "") & (links["customer_park"] != "")].copy()
    geoms = [LineString([points[a], points[b]]) if a != b else None
             for a, b in zip(placed["supplier_park"], placed["customer_park"])]
    links_layer = gpd.GeoDataFrame(placed, geometry=geoms, crs=region.work_crs)
    priority_layer = gpd.GeoDataFrame(
        priorities, geometry=[LineString([points[a], points[b]]) for a, b in
                              zip(priorities["park_a"], priorities["park_b"], strict=True)], crs=region.work_crs)
    layers = {"parks": parks_layer, "projects": projects_layer, "links": links_layer,
              "corridors": region.corridors, "hubs": region.hubs, "exclusions": region.exclusions,
              "priorities": priority_layer}
    return {name: frame.to_crs(out_crs) for name, frame in layers.items()}


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"
