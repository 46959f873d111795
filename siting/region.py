"""Load a scenario's region: layers and tables, checked together, overrides applied, in a working CRS."""

from __future__ import annotations

import hashlib
import math
import os
import re
import warnings
from collections.abc import Container, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from pyproj import CRS
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from layers import (
    CGCS2000,
    Field,
    InputError,
    Problems,
    TravelTimes,
    choose_work_crs,
    convert,
    crs_label,
    effective_land,
    exclusion_overlay,
    id_label,
    parks_on_belts,
    read_csv,
    read_layer,
    road_travel_times,
    straight_line_times,
    zonal_stats,
)
from layers.roads import load_road_graph, road_file_problems

from .columns import COLUMNS, computed_per_park
from .scenario import Scenario, blame_files
from .schema import (
    ADJUSTMENT_FIELDS,
    CHAINS,
    CORRIDOR_FIELDS,
    COUNTY_FIELDS,
    EXCLUSION_FIELDS,
    HUB_FIELDS,
    HUB_KINDS,
    LINK_FIELDS,
    PARK_FIELDS,
    PROJECT_FIELDS,
)

POLYGONS = ("Polygon", "MultiPolygon")


@dataclass
class Region:
    """Everything a run reads, checked and in the working CRS (metres)."""

    scenario: Scenario
    parks: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    exclusions: gpd.GeoDataFrame
    projects: pd.DataFrame
    links: pd.DataFrame
    adjustments: pd.DataFrame
    counties: pd.DataFrame  # county caps (may be empty)
    chains: dict[str, str]
    work_crs: CRS
    travel: TravelTimes
    belts: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # file → sha256

    def summary_lines(self) -> list[str]:
        committed = int((self.projects["status"] == "committed").sum())
        return [
            f"scenario   {self.scenario.name} ({self.scenario.path})",
            f"parks      {len(self.parks)} in {self.parks['county'].nunique()} counties, "
            f"{self.parks['land_available_ha'].sum():,.0f} ha free land",
            f"hubs       {len(self.hubs)} ({', '.join(f'{k} {n}' for k, n in self.hubs['kind'].value_counts().sort_index().items())})",
            f"corridors  {len(self.corridors)}; exclusion zones {len(self.exclusions)}",
            f"projects   {len(self.projects)} ({committed} committed) over {self.projects['chain'].nunique()} chains, "
            f"{self.projects['land_ha'].sum():,.0f} ha demanded",
            f"links      {len(self.links)} supplier→customer links",
            *self._optional_lines(),
            f"work CRS   {crs_label(self.work_crs)}",
            f"travel     {self.travel.method}",
        ] + [f"note       {n}" for n in self.notes]

    def _optional_lines(self) -> list[str]:
        """What the scenario adds beyond the layers and tables every run has: county caps, rasters, per-pair
        adjustments, locks, forbids and overrides."""
        s, out = self.scenario.settings, []
        if len(self.counties):
            applied = "applied" if s["model"].get("county_caps") else "not applied (model.county_caps: false)"
            out.append(f"counties   {len(self.counties)} with caps, {applied}")
        rasters = s["layers"].get("rasters") or {}
        if rasters:
            out.append(f"rasters    {', '.join(sorted(rasters))}")
        if self.adjustments is not None and len(self.adjustments):
            out.append(f"pair adj.  {len(self.adjustments)} per-pair scores or uses")
        if s["locks"] or s["forbids"]:
            out.append(f"locks      {len(s['locks'])} locked and {len(s['forbids'])} forbidden pairs in the scenario")
        if s["overrides"]:
            out.append(f"overrides  {len(s['overrides'])}: " + ", ".join(f"{k} {v}" for k, v in s["overrides"].items()))
        return out


def load_region(scenario: Scenario, *, problems: Problems | None = None) -> Region:
    """Read and check every input of ``scenario``; raise one :class:`layers.InputError` with all problems.

    The checks go as far as what was read allows, so that one run reports as much as it can: a file that
    could not be read (or that the scenario names wrongly) skips only the checks that need it, and a cell
    already reported as a bad value is not checked again against the other tables.

    Parameters
    ----------
    scenario
        The scenario, possibly with problems in its values (see :func:`siting.scenario.read_scenario`).
    problems
        Problems found before, e.g. in the scenario's values; they are raised together with these.
    """
    problems = problems if problems is not None else Problems()
    s = scenario.settings
    if not (isinstance(s["layers"], dict) and isinstance(s["tables"], dict)):
        _raise_if_any(problems, scenario)  # the scenario check said so: no input can be found
    layer, table = s["layers"], s["tables"]
    parks_path, hubs_path = _named(layer.get("parks")), _named(layer.get("hubs"))
    projects_path = _named(table.get("projects"))
    parks = (read_layer(parks_path, fields=PARK_FIELDS, id_field="park_id", geometry=POLYGONS, problems=problems)
             if parks_path else None)
    hubs = (read_layer(hubs_path, fields=HUB_FIELDS, id_field="hub_id", geometry=("Point",), problems=problems)
            if hubs_path else None)
    corridors = _optional_layer(_named(layer.get("corridors")), CORRIDOR_FIELDS, "corridor_id",
                                ("LineString", "MultiLineString"), problems)
    exclusions = _optional_layer(_named(layer.get("exclusions")), EXCLUSION_FIELDS, "excl_id", POLYGONS, problems)
    if exclusions is not None and "kind" in exclusions.columns:
        _kinds_apart(exclusions, str(_named(layer.get("exclusions"))), problems)
    projects = (read_csv(projects_path, fields=PROJECT_FIELDS, id_field="project_id", problems=problems)
                if projects_path else None)
    links = _read_keyed_csv(_named(table.get("links")), LINK_FIELDS, "link_id", "L", problems)
    adjustments = _read_keyed_csv(_named(table.get("pair_adjustments")), ADJUSTMENT_FIELDS, "adjustment_id", "A",
                                  problems)
    counties_path = _named(table.get("counties"))
    counties = (read_csv(counties_path, fields=COUNTY_FIELDS, id_field="county", problems=problems)
                if counties_path else None)
    if counties is None:
        counties = pd.DataFrame({f.name: pd.Series(dtype=object if f.kind == "id" else float) for f in COUNTY_FIELDS})
    if projects is not None and projects.empty:
        problems.add(str(projects_path), "", "", "the project library has no rows",
                     "add at least one project below the header line")
    if parks is not None and parks.empty:
        problems.add(str(parks_path), "", "", "the parks layer has no features",
                     "add the parks (polygons) to the layer, or point the scenario at the right file or layer")
    if _has(parks, "county") and _has(counties, "county") and not problems.bad_rows(str(parks_path), "county"):
        bad = problems.bad_rows(str(counties_path), "county")
        known = set(parks["county"])
        for n, county in enumerate(counties["county"]):
            if n not in bad and county not in known:
                problems.add(str(counties_path), f"county {county}", "county", "no park in the parks layer lies "
                             "in this county", "use the county names of the parks layer")

    chains = ({**CHAINS, **{str(k): str(v) for k, v in s["chains"].items()}} if isinstance(s["chains"], dict)
              else None)  # None: the scenario's chains are not readable (reported), so chain IDs are not checked
    _check_hub_limits(str(projects_path), projects, problems)
    overridden = _apply_overrides(scenario, parks, projects, problems) if isinstance(s["overrides"], dict) else {}
    _cross_check(scenario, parks, hubs, corridors, projects, links, adjustments, chains, problems)
    _blame_overrides(problems, overridden, scenario)

    notes: list[str] = [n for frame in (parks, hubs, corridors, exclusions) if frame is not None
                        for n in frame.attrs.get("notes", [])]  # e.g. a shapefile's text read as GBK
    rasters = s["layers"].get("rasters") if isinstance(s["layers"], dict) else None
    parks = _make_room_for_outputs(parks_path, parks, PARK_FIELDS, notes,
                                   tuple(str(r) for r in rasters) if isinstance(rasters, dict) else ())
    projects = _make_room_for_outputs(projects_path, projects, PROJECT_FIELDS, notes)
    links = _make_room_for_outputs(_named(table.get("links")), links, LINK_FIELDS, notes)
    work_crs = _work_crs(scenario, parks, problems)
    if work_crs is None:
        _files_on_their_own(scenario, problems)
        _raise_if_any(problems, scenario)  # nothing below can be checked without parks to measure in a working CRS
    assert work_crs is not None and parks is not None  # a problem was raised otherwise
    layers = {"parks": parks, "hubs": hubs, "corridors": corridors, "exclusions": exclusions}
    for name, frame in layers.items():
        if frame is None:
            continue
        if frame.crs is not None and not frame.crs.equals(work_crs):
            if len(frame):  # (an optional layer not given is an empty one in CGCS2000: nothing was reprojected)
                notes.append(f"{name}: reprojected from {crs_label(frame.crs)} to {crs_label(work_crs)} for measuring"
                             + _datum_caveat(frame.crs))
            layers[name] = frame.to_crs(work_crs)
        elif frame.crs is None:
            # an empty optional layer; a layer with features but no CRS was reported and is not measured
            layers[name] = frame.set_crs(work_crs) if frame.empty else None
    parks, hubs, corridors, exclusions = (layers[k] for k in ("parks", "hubs", "corridors", "exclusions"))
    parks_src = str(parks_path)
    if "park_id" in parks.columns:
        _check_gates(parks_src, parks, problems)
    if not problems:
        parks = _land(parks, exclusions, notes)
    parks = _rasters(scenario, parks, problems)
    travel = None
    located = _sound(hubs, str(hubs_path), "hub_id", problems) and _sound(parks, parks_src, "park_id", problems)
    travel_ok = isinstance(s["travel"], dict) and not any(
        p.source == str(scenario.path) and p.field.startswith("travel.") for p in problems.items)
    if located and travel_ok and (layer.get("roads") or not problems):  # straight-line times find no problems
        gates = [c for c in ("gate_lon", "gate_lat") if problems.reported(parks_src, c)]
        # with a gate reported, the road file is still checked, from the parks' centroids (there are problems
        # already, so these times are not used), lest the bad gate give a second problem
        travel = _travel_times(scenario, parks.drop(columns=["gate_lon", "gate_lat"]) if gates else parks, hubs,
                               notes, problems)
    elif not located:
        _road_file_on_its_own(scenario, problems)
    _raise_if_any(problems, scenario)
    assert hubs is not None and projects is not None and corridors is not None and exclusions is not None
    assert travel is not None and chains is not None
    files = [p for p in (*scenario.files, *(Path(v) for v in _input_paths(s))) if p.exists()]
    return Region(
        scenario=scenario, parks=parks, hubs=hubs, corridors=corridors, exclusions=exclusions,
        projects=projects, links=links, adjustments=adjustments, counties=counties, chains=chains, work_crs=work_crs,
        travel=travel, belts=parks_on_belts(parks, corridors),
        notes=notes + _ignored_hub_limits(projects) + _sourcing_counties(parks, projects, s["benefit_sharing"]),
        inputs={str(p): _sha256(p) for p in files},
    )


def _named(value: object) -> Path | None:
    """The file a scenario names, if it exists (a missing one is reported by the scenario's own check)."""
    return Path(value) if isinstance(value, str) and value and Path(value).exists() else None


def _kinds_apart(exclusions: gpd.GeoDataFrame, source: str, problems: Problems) -> None:
    """Exclusion kinds that differ only in letter case (Basic_Farmland, basic_farmland): each kind is a column of
    the outputs (excluded_ha_<kind>), and GeoPackage and shapefile field names ignore case."""
    spellings: dict[str, set[str]] = {}
    for kind in exclusions["kind"].dropna().astype(str):
        spellings.setdefault(kind.strip().casefold(), set()).add(kind.strip())
    for found in spellings.values():
        if len(found) > 1:
            written = " and ".join(repr(k) for k in sorted(found))
            problems.add(source, "", "kind", f"kinds {written} differ only in letter case; as two kinds they would be "
                         "two columns that GIS files cannot tell apart", "spell the kind the same way in every feature")


def _datum_caveat(crs: object) -> str:
    """For a layer on the old national datums (Beijing 1954, Xian 1980): their shift to CGCS2000 is approximate."""
    try:
        datum = crs.geodetic_crs.datum.name  # type: ignore[union-attr]
    except AttributeError:
        return ""
    if "Beijing 1954" in datum or "Xian 1980" in datum:
        return (f"; the shift from the {datum} datum is approximate (tens of metres): for official work, use the "
                "layer in CGCS2000 as the surveying office provides it")
    return ""


# column names a GeoPackage layer keeps for itself (QGIS writes 'fid' into a table exported to CSV)
GPKG_RESERVED = ("fid",)


def _make_room_for_outputs(source: Path | None, frame: pd.DataFrame | None, fields: Sequence[Field],
                           notes: list[str], rasters: tuple[str, ...] | None = None) -> pd.DataFrame | None:
    """``frame`` with each column that it carries to the outputs as given, but that is named like a column the run
    computes (``score``, or ``Park_ID`` beside ``park_id``: GeoPackage and shapefile field names ignore letter
    case; for parks, given ``rasters``, also ``excluded_ha_<kind>`` and the rasters' statistics, such as
    ``slope_suitable_share``, as a run's own parks layer has them), renamed ``score_input``; a note for each goes
    to ``notes``."""
    if frame is None:
        return frame
    known = {f.name for f in fields} | ({frame.geometry.name} if isinstance(frame, gpd.GeoDataFrame) else set())
    computed = {c.casefold(): c for c in COLUMNS if c not in known}
    renames = {}
    for column in frame.columns:
        hit = computed.get(str(column).strip().casefold()) if column not in known else None
        if hit is None and rasters is not None and column not in known and computed_per_park(str(column), rasters):
            hit = str(column)
        reserved = column not in known and str(column).strip().casefold() in GPKG_RESERVED
        if hit is not None or reserved:
            new = f"{column}_input"
            while new in frame.columns or new.casefold() in computed:
                new += "_"
            renames[column] = new
            why = (f"a GeoPackage keeps '{str(column).strip().casefold()}' for its feature IDs" if reserved
                   else f"the run computes its own '{hit}'")
            notes.append(f"{Path(str(source)).name}: column '{column}' is carried to the outputs as '{new}', since "
                         f"{why}")
    if not renames:
        return frame
    out = frame.rename(columns=renames)
    out.attrs = frame.attrs  # the rows' line numbers, for later messages
    return out


def county_caps(region: Region) -> dict[tuple[str, str], float]:
    """{(resource, county): cap} of the county energy and emission caps the model applies (``counties`` table,
    switch ``model.county_caps``; an empty cell is no cap)."""
    if not region.scenario.settings["model"]["county_caps"]:
        return {}
    caps = {}
    for county in region.counties.to_dict("records"):
        for resource, column in (("energy", "energy_quota_tce"), ("emission", "emission_quota_t")):
            cap = county.get(column)
            if cap is not None and pd.notna(cap):
                caps[resource, county["county"]] = float(cap)
    return caps


def _raise_if_any(problems: Problems, scenario: Scenario) -> None:
    """Raise every problem found, each about a scenario key naming the file (of an ``extends`` chain) that wrote it."""
    blame_files(problems, scenario.path, scenario.origins)
    problems.raise_if_any()


def _known_ids(frame: pd.DataFrame | None, column: str) -> set | None:
    """The IDs in ``column`` of ``frame``; ``None`` when it was not read or an ID is empty (or unreadable)."""
    if not _has(frame, column):
        return None
    ids = frame[column]
    if ids.isna().any() or (ids.astype(str).str.strip() == "").any():
        return None
    return set(ids)


def _has(frame: pd.DataFrame | None, *columns: str) -> bool:
    """Whether ``frame`` was read, has rows, and has ``columns`` (a missing required column was reported)."""
    return frame is not None and len(frame) > 0 and all(c in frame.columns for c in columns)


def _measurable(frame: gpd.GeoDataFrame | None, source: str, problems: Problems) -> bool:
    """Whether a layer can be measured: read, with a CRS that fits its coordinates, and no geometry reported as bad."""
    return (frame is not None and frame.crs is not None and not problems.reported(source, "geometry")
            and not problems.reported(source, "crs"))


def _sound(frame: gpd.GeoDataFrame | None, source: str, id_field: str, problems: Problems) -> bool:
    """Whether a layer's features can be measured and named: measurable, and no ID reported as bad."""
    return (_measurable(frame, source, problems) and id_field in frame.columns
            and not problems.reported(source, id_field))


def _work_crs(scenario: Scenario, parks: gpd.GeoDataFrame | None, problems: Problems) -> CRS | None:
    """The projected CRS to measure in, or ``None`` when it cannot be chosen (the reason is reported)."""
    s, src = scenario.settings, str(scenario.path)
    if not isinstance(s["crs"], dict) or problems.reported(src, "crs.work"):
        return None
    if not _measurable(parks, str(s["layers"].get("parks")), problems) or parks.empty:
        return None
    try:
        return choose_work_crs(parks, s["crs"]["work"])
    except ValueError as exc:
        problems.add(src, "", "crs.work", str(exc), "set crs.work to a projected EPSG code")
        return None


# a park's gate (gate_lon, gate_lat) farther than this from its polygon is taken for a typing or CRS mistake
GATE_MAX_KM = 20.0


def _check_gates(source: str, parks: gpd.GeoDataFrame, problems: Problems) -> None:
    """Each gate has both coordinates, in degrees, near its park (``parks`` in the projected work CRS)."""
    if not {"gate_lon", "gate_lat"} & set(parks.columns):
        return
    lon = pd.to_numeric(parks.get("gate_lon", pd.Series(np.nan, index=parks.index)), errors="coerce")
    lat = pd.to_numeric(parks.get("gate_lat", pd.Series(np.nan, index=parks.index)), errors="coerce")
    fix_pair = "give both gate_lon and gate_lat (CGCS2000 degrees), or neither"
    usable = []
    reported = problems.bad_rows(source, "gate_lon") | problems.bad_rows(source, "gate_lat")
    for n, park_id in enumerate(parks["park_id"]):
        where, x, y = id_label("park_id", park_id), lon.iloc[n], lat.iloc[n]
        if (np.isnan(x) and np.isnan(y)) or n in reported:
            continue
        if np.isnan(x) or np.isnan(y):
            missing = "gate_lon" if np.isnan(x) else "gate_lat"
            problems.add(source, where, missing, "the gate has only one coordinate", fix_pair)
        elif not (-180 <= x <= 180 and -90 <= y <= 90):
            problems.add(source, where, "gate_lon" if not -180 <= x <= 180 else "gate_lat",
                         f"({x:g}, {y:g}) is not a longitude and latitude in degrees",
                         "give the gate in CGCS2000 degrees, e.g. gate_lon 113.6, gate_lat 34.7")
        else:
            usable.append(n)
    if not usable:
        return
    gates = gpd.GeoSeries(gpd.points_from_xy(lon.iloc[usable], lat.iloc[usable]), crs="EPSG:4490").to_crs(parks.crs)
    km = gates.distance(parks.geometry.iloc[usable].reset_index(drop=True)).to_numpy() / 1000.0
    for n, d in zip(usable, km, strict=True):
        if d > GATE_MAX_KM:
            problems.add(source, id_label("park_id", parks["park_id"].iloc[n]), "gate_lon",
                         f"the gate ({lon.iloc[n]:g}, {lat.iloc[n]:g}) lies {d:,.1f} km from the park's polygon; "
                         f"expected within {GATE_MAX_KM:g} km",
                         "check the gate's coordinates (longitude first, CGCS2000 degrees) and the layer's CRS")


def _land(parks: gpd.GeoDataFrame, exclusions: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """Exclusion overlay: each park's usable land (outside the exclusion zones) caps its free land."""
    overlay = exclusion_overlay(parks, exclusions)
    parks = parks.merge(overlay, on="park_id", how="left")
    declared = parks["land_available_ha"].astype(float)
    parks["land_declared_ha"] = declared
    parks["land_available_ha"] = effective_land(declared, parks["usable_ha"]).to_numpy()
    capped = parks.loc[parks["land_available_ha"] < declared - 1e-9, "park_id"].tolist()
    if capped:
        notes.append(f"exclusion zones cap the free land of {len(capped)} park(s): {', '.join(capped)} "
                     "(free land ≤ park area outside the exclusions)")
    return parks


def _files_on_their_own(scenario: Scenario, problems: Problems) -> None:
    """With no parks to measure against (no CRS, broken geometries), the raster and road files are still read on
    their own, so that mending the parks does not bring a second round of problems: each raster must open and
    have a CRS, the road file must read as a road graph. (What needs the parks, such as a raster covering none
    of them or a park far from every road, waits for them.)"""
    for name, entry in _raster_entries(scenario, problems):
        try:
            with warnings.catch_warnings():  # a raster without a geotransform warns; its CRS is what counts here
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(entry["file"]) as raster:
                    crs = raster.crs
        except (OSError, RasterioError) as exc:
            problems.add(entry["file"], "", "", f"raster '{name}' could not be used: {exc}",
                         "check that it is a GeoTIFF with a CRS (open it in QGIS)")
            continue
        if crs is None:
            problems.add(entry["file"], "", "", f"raster '{name}' has no coordinate reference system (CRS)",
                         "assign its CRS in QGIS (Raster › Projections › Assign Projection) and save it")
    _road_file_on_its_own(scenario, problems)


def _road_file_on_its_own(scenario: Scenario, problems: Problems) -> None:
    """The road file must read as a road graph, also when the parks or hubs it would connect cannot be used."""
    s, src = scenario.settings, str(scenario.path)
    roads = _named(s["layers"].get("roads")) if isinstance(s["layers"], dict) else None
    if roads is not None and not problems.reported(str(roads)) and not problems.reported(src, "layers.roads") \
            and road_file_problems(roads, problems):
        try:
            load_road_graph(roads)
        except (ValueError, OSError) as exc:  # not a road file: bad input, not a crash
            problems.add(str(roads), "", "", f"could not be read as a road network: {exc}",
                         "check the road file (open it in JOSM or QGIS)")


def _raster_entries(scenario: Scenario, problems: Problems) -> list[tuple[str, dict]]:
    """The scenario's rasters that can be read: their entries were not reported and their files exist."""
    s, src = scenario.settings, str(scenario.path)
    rasters = s["layers"].get("rasters") if isinstance(s["layers"], dict) else None
    return [(name, entry) for name, entry in (rasters.items() if isinstance(rasters, dict) else ())
            if not any(p.source == src and p.field.startswith(f"layers.rasters.{name}") for p in problems.items)
            and isinstance(entry, dict) and _named(entry.get("file"))]


def _rasters(scenario: Scenario, parks: gpd.GeoDataFrame, problems: Problems) -> gpd.GeoDataFrame:
    """Zonal statistics of each raster per park, merged into ``parks``; an unusable raster is reported.

    Rasters whose scenario entry was reported, or whose file does not exist, are skipped; so are all of them
    when the parks' geometries were reported (there is nothing sound to summarise).
    """
    parks_src = str(scenario.settings["layers"].get("parks"))
    if not _has(parks, "park_id") or not _measurable(parks, parks_src, problems):
        return parks
    for name, entry in _raster_entries(scenario, problems):
        try:
            stats = zonal_stats(parks, Path(entry["file"]), name=name, suitable_below=entry["suitable_below"])
        except (ValueError, OSError, RasterioError) as exc:  # unreadable or unusable raster: bad input
            problems.add(entry["file"], "", "", f"raster '{name}' could not be used: {exc}",
                         "check that it is a GeoTIFF with a CRS (open it in QGIS)")
            continue
        if not (stats[f"{name}_coverage"] > 0).any():
            problems.add(entry["file"], "", "", f"raster '{name}' covers none of the parks (no valid cell inside any "
                         "park)", "check that the raster is for this region and that its CRS is right (open both "
                         "in QGIS)")
            continue
        parks = parks.merge(stats, on="park_id", how="left")
    return parks


def cache_dir() -> Path:
    """Where computed travel-time matrices are cached: ``$SITING_CACHE_DIR``, else ``~/.cache/siting``."""
    return Path(os.environ.get("SITING_CACHE_DIR") or Path.home() / ".cache" / "siting")


def _travel_times(scenario: Scenario, parks: gpd.GeoDataFrame, hubs: gpd.GeoDataFrame, notes: list[str],
                  problems: Problems) -> TravelTimes | None:
    """Road-network times when the scenario names a road file, else straight-line distance × circuity ÷ speed.

    ``None`` when the road file cannot be used (the reason is added to ``problems``); a road file that the
    scenario check reported missing is not read again.
    """
    t = scenario.settings["travel"]
    roads = scenario.settings["layers"].get("roads")
    if not roads:
        return straight_line_times(parks, hubs, circuity=float(t["circuity"]), speed_kmh=float(t["speed_kmh"]))
    if not _named(roads):
        return None
    try:
        travel, road_notes = road_travel_times(
            parks, hubs, Path(roads), speeds_kmh=t["speeds_kmh"] or None,
            access_speed_kmh=float(t["access_speed_kmh"]), snap_warn_m=float(t["snap_warn_m"]), cache_dir=cache_dir())
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    except ValueError as exc:  # an unreadable road file: bad input, not a crash
        problems.add(str(roads), "", "", str(exc), "check the road file (open it in JOSM or QGIS)")
        return None
    notes.extend(f"roads: {n}" for n in road_notes)
    return travel


def _input_paths(settings: dict) -> list[str]:
    paths = [v for v in settings["layers"].values() if isinstance(v, str)]
    paths += [entry["file"] for entry in (settings["layers"].get("rasters") or {}).values()]
    paths += [v for v in settings["tables"].values() if isinstance(v, str)]
    out = []
    for p in paths:
        out.append(p)
        if p.lower().endswith(".shp"):
            out += [str(Path(p).with_suffix(ext)) for ext in (".dbf", ".shx", ".prj", ".cpg")]
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _optional_layer(path: str | None, fields, id_field: str, geometry, problems: Problems) -> gpd.GeoDataFrame:
    if not path:
        columns = [f.name for f in fields] + ([id_field] if id_field not in [f.name for f in fields] else [])
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=CGCS2000))
    frame = read_layer(Path(path), fields=fields, id_field=id_field, geometry=geometry, problems=problems)
    if frame is not None and id_field not in frame.columns:
        frame[id_field] = [f"{id_field[0].upper()}{n + 1}" for n in range(len(frame))]
    return frame if frame is not None else gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=CGCS2000))


def _read_keyed_csv(path: str | None, fields, id_field: str, prefix: str, problems: Problems) -> pd.DataFrame:
    """A table without its own ID column gets one (``L2`` = the link in line 2 of the file)."""
    if not path:
        return pd.DataFrame({f.name: pd.Series(dtype=object) for f in fields})
    raw_fields = [f for f in fields if f.name != id_field]
    frame = read_csv(Path(path), fields=raw_fields, id_field=id_field, problems=problems)
    if frame is None:
        return pd.DataFrame({f.name: pd.Series(dtype=object) for f in fields})
    if id_field not in frame.columns:
        frame.insert(0, id_field, [f"{prefix}{_line(frame, n)}" for n in range(len(frame))])
    return frame


OVERRIDE_SHORTHANDS = {
    "land_available": "land_available_ha",
    "energy_quota": "energy_quota_tce",
    "emission_quota": "emission_quota_t",
}
_CHANGE = re.compile(r"^\s*(?P<op>[+\-x×*])?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<pct>%)?\s*$")


def _apply_overrides(scenario: Scenario, parks: pd.DataFrame | None, projects: pd.DataFrame | None,
                     problems: Problems) -> dict[tuple[str, str, str], str]:
    """Apply ``overrides`` from the scenario in place (tables are copies; input files are never changed).

    Keys: ``parks.<ID|*>.<field>``, ``projects.<ID|*>.<field>``, or the shorthands ``land_available``,
    ``energy_quota``, ``emission_quota`` (all parks). Values: a number or text (set), ``+N`` / ``-N``
    (add), ``xF`` / ``×F`` (multiply), ``+N%`` / ``-N%`` (change by a percentage). Overrides of a table
    that could not be read are skipped, and cells reported as bad values are left alone.

    Returns the cells set to a text value ({(table file, ID label, field): override key}), for
    :func:`_blame_overrides`: a reference check that later finds the value wrong is the override's problem.
    """
    src = str(scenario.path)
    overridden: dict[tuple[str, str, str], str] = {}
    sources = {"parks": str(scenario.settings["layers"].get("parks")),
               "projects": str(scenario.settings["tables"].get("projects"))}
    tables = {name: (frame, id_col) for name, frame, id_col in (("parks", parks, "park_id"),
                                                                 ("projects", projects, "project_id"))
              if frame is not None and id_col in frame.columns}
    fields = {"parks": PARK_FIELDS, "projects": PROJECT_FIELDS}
    for key, value in scenario.settings["overrides"].items():
        key = str(key)
        if key in OVERRIDE_SHORTHANDS:
            table_name, target, column = "parks", "*", OVERRIDE_SHORTHANDS[key]
        else:
            parts = key.split(".")
            if len(parts) != 3 or parts[0] not in fields:
                problems.add(src, "", f"overrides.{key}", "expected parks.<ID or *>.<field>, projects.<ID or *>.<field>, "
                             f"or one of {', '.join(OVERRIDE_SHORTHANDS)}", "e.g. parks.P07.land_available_ha: +200")
                continue
            table_name, target, column = parts
        if table_name not in tables:
            continue  # the table could not be read: its own problems are reported
        table, id_col = tables[table_name]
        geometry = table.geometry.name if isinstance(table, gpd.GeoDataFrame) else None
        if column not in table.columns or column in (id_col, geometry):
            what = "the park's outline cannot be overridden" if column == geometry else f"{table_name} have no field '{column}'"
            problems.add(src, "", f"overrides.{key}", what,
                         f"use one of: {', '.join(c for c in table.columns if c not in (id_col, geometry))}"
                         + ("; edit the outline in the parks layer" if column == geometry else ""))
            continue
        rows = table.index if target == "*" else table.index[table[id_col] == target]
        if target != "*" and not len(rows):
            problems.add(src, "", f"overrides.{key}", f"no {table_name[:-1]} with ID {target!r}", "check the ID")
            continue
        bad = problems.bad_rows(sources[table_name], column)
        rows = rows[[table.index.get_loc(r) not in bad for r in rows]]
        numeric = pd.api.types.is_float_dtype(table[column]) or column in {"max_chains", "jobs"}
        if not numeric:
            spec = next((f for f in fields[table_name] if f.name == column), None)
            converted, error = convert(value, spec) if spec is not None else (value, "")
            if error:
                problems.add(src, "", f"overrides.{key}", f"{error}; expected {spec.expectation()}",
                             "correct the value in the scenario")
                continue
            for row in rows:
                table.at[row, column] = converted
                overridden[(sources[table_name], id_label(id_col, table.at[row, id_col]), column)] = key
            continue
        match = _CHANGE.match(str(value))
        if not match:
            problems.add(src, "", f"overrides.{key}", f"cannot read change {value!r}",
                         "write a number, +N, -N, xF (multiply) or ±N%")
            continue
        op, num = match["op"], float(match["num"])
        if match["pct"] and op not in ("+", "-"):
            problems.add(src, "", f"overrides.{key}", f"a percentage needs a sign: {value!r}",
                         "write +50% or -10% (or x0.5 to halve)")
            continue
        current = table.loc[rows, column].astype(float)
        if match["pct"]:
            num = num / 100.0
            new = current * (1 + num) if op != "-" else current * (1 - num)
        elif op in ("x", "×", "*"):
            new = current * num
        elif op == "+":
            new = current + num
        elif op == "-":
            new = current - num
        else:
            new = pd.Series(num, index=current.index)  # also where the cell was empty
        spec = next((f for f in fields[table_name] if f.name == column), None)
        minimum = 0.0 if spec is None or spec.minimum is None else spec.minimum
        if (new < minimum).any():
            problems.add(src, "", f"overrides.{key}", f"makes {column} less than {minimum:g}", "use a smaller reduction")
            continue
        if spec is not None and spec.positive and (new <= minimum).any():
            problems.add(src, "", f"overrides.{key}", f"makes {column} {minimum:g}; expected {spec.expectation()}",
                         "use a smaller reduction")
            continue
        # max_chains: a whole number, halves rounded up (x1.5 of 3 is 5, not the even 4)
        table.loc[rows, column] = new.round(6) if column != "max_chains" else np.floor(new + 0.5).astype(int)
    return overridden


def _blame_overrides(problems: Problems, overridden: dict[tuple[str, str, str], str], scenario: Scenario) -> None:
    """Problems found in a cell that an override set (an unknown park in ``fixed_park``, an unknown chain in
    ``leading_chains``) are the scenario's: they name its override key, not the table file, which is right."""
    if not overridden:
        return
    for n, p in enumerate(problems.items):
        for (source, label, column), key in overridden.items():
            if p.source == source and p.field == column and (p.where == label or f"({label})" in p.where):
                problems.items[n] = replace(p, source=str(scenario.path), where=label, field=f"overrides.{key}",
                                            message=f"{p.message}, the value this override sets")
                break


def _cross_check(scenario, parks, hubs, corridors, projects, links, adjustments, chains, problems: Problems) -> None:
    """References between the inputs: chains, hub kinds, park and project IDs, counties, locks and forbids.

    A table that could not be read (``None``, or without the column a check needs) skips the checks against
    it; so does an ID column with an empty or repeated ID. A cell already reported as a bad value is not
    checked again, so one bad value gives one problem.
    """
    s = scenario.settings
    layer, table = s["layers"], s["tables"]
    parks_src, psrc = str(layer.get("parks")), str(table.get("projects"))
    # None: an empty ID leaves the IDs unknown (a reference may mean that row), so references are not checked
    # until it is fixed; a repeated one does not: an ID that no row has is unknown whichever row is meant
    park_ids = _known_ids(parks, "park_id")
    project_ids = _known_ids(projects, "project_id")
    hub_kinds = set(hubs["kind"]) if _has(hubs, "kind") and not problems.bad_rows(str(layer.get("hubs")), "kind") else None
    chain_fix = (f"use one of: {', '.join(sorted(chains))}, or declare it under 'chains:' in the scenario"
                 if chains is not None else "")
    if chains is not None and _has(parks, "park_id", "leading_chains"):
        for _, p in parks.iterrows():
            for column in ("leading_chains", "allowed_chains"):
                for c in p[column]:
                    if c not in chains:
                        problems.add(parks_src, id_label("park_id", p["park_id"]), column,
                                     *_unknown_in_list("chain", c, chains, chain_fix))
    cap = s["model"].get("max_parks_per_chain") if isinstance(s["model"], dict) else None
    if chains is not None and isinstance(cap, dict):  # a typo would silently cap nothing
        for chain in cap:
            if chain not in chains:
                problems.add(str(scenario.path), "", f"model.max_parks_per_chain.{chain}", f"unknown chain {chain!r}",
                             chain_fix)
    if chains is not None and _has(corridors, "corridor_id", "chains"):
        for _, c in corridors.iterrows():
            for chain in c["chains"]:
                if chain not in chains:
                    problems.add(str(layer.get("corridors")), id_label("corridor_id", c["corridor_id"]),
                                 "chains", *_unknown_in_list("chain", chain, chains, chain_fix))
    if _has(projects, "project_id"):  # the optional columns are filled in when read; 'chain' is required
        bad_chain, bad_hub = problems.bad_rows(psrc, "chain"), problems.bad_rows(psrc, "needs_hub")
        bad_minutes = problems.bad_rows(psrc, "max_hub_minutes")
        check_chain = chains is not None and "chain" in projects.columns
        for n, p in enumerate(projects.itertuples(index=False)):
            where = f"row {_line(projects, n)} ({id_label('project_id', p.project_id)})"
            if check_chain and n not in bad_chain and p.chain not in chains:
                problems.add(psrc, where, "chain", f"unknown chain {p.chain!r}", chain_fix)
            if (p.needs_hub and n not in bad_hub | bad_minutes
                    and (p.max_hub_minutes is None or math.isnan(p.max_hub_minutes))):
                problems.add(psrc, where, "max_hub_minutes", f"needs_hub is {p.needs_hub!r} but no limit is given",
                             "give the most minutes allowed to the nearest such hub")
            if p.needs_hub and n not in bad_hub and hub_kinds is not None and p.needs_hub not in hub_kinds:
                problems.add(psrc, where, "needs_hub", f"no hub of kind {p.needs_hub!r} in the hubs layer",
                             "add such a hub or clear needs_hub")
            if park_ids is not None:
                if p.fixed_park and p.fixed_park not in park_ids:
                    problems.add(psrc, where, "fixed_park", f"unknown park {p.fixed_park!r}",
                                 "use a park_id of the parks layer")
                for q in p.forbidden_parks:
                    if q not in park_ids:
                        problems.add(psrc, where, "forbidden_parks",
                                     *_unknown_in_list("park", q, park_ids, "use park_ids of the parks layer"))
            if p.fixed_park and p.fixed_park in p.forbidden_parks:
                problems.add(psrc, where, "fixed_park", f"park {p.fixed_park} is both fixed and forbidden", "drop one")
    lsrc = str(table.get("links"))
    if _has(links, "supplier_id", "customer_id"):
        bad = {c: problems.bad_rows(lsrc, c) for c in ("supplier_id", "customer_id")}
        seen: set[tuple[str, str]] = set()
        for n, link in enumerate(links.itertuples(index=False)):
            where = f"row {_line(links, n)}"
            if n in bad["supplier_id"] | bad["customer_id"]:
                continue
            for column in ("supplier_id", "customer_id"):
                if project_ids is not None and getattr(link, column) not in project_ids:
                    problems.add(lsrc, where, column, f"unknown project {getattr(link, column)!r}",
                                 "use a project_id of the project library, or delete the link")
            if link.supplier_id == link.customer_id:
                problems.add(lsrc, where, "customer_id", "a project cannot supply itself", "delete the row")
            if (link.supplier_id, link.customer_id) in seen:
                problems.add(lsrc, where, "supplier_id", f"link {link.supplier_id}→{link.customer_id} is listed twice",
                             "merge the rows (add their values)")
            seen.add((link.supplier_id, link.customer_id))
    asrc = str(table.get("pair_adjustments"))
    if _has(adjustments, "project_id", "park_id"):
        first_row: dict[tuple[str, str], str] = {}
        for n, adj in enumerate(adjustments.itertuples(index=False)):
            pair = (adj.project_id, adj.park_id)
            if pair in first_row:  # two experts' rows, or one copied twice: adding them up would be a guess
                problems.add(asrc, f"row {_line(adjustments, n)}", "park_id", f"the pair {adj.project_id} → "
                             f"{adj.park_id} is adjusted already in row {first_row[pair]}",
                             "keep one row per pair (add the scores if both are meant)")
            first_row.setdefault(pair, str(_line(adjustments, n)))
            if (project_ids is not None and n not in problems.bad_rows(asrc, "project_id")
                    and adj.project_id not in project_ids):
                problems.add(asrc, f"row {_line(adjustments, n)}", "project_id", f"unknown project {adj.project_id!r}",
                             "check the ID")
            if park_ids is not None and n not in problems.bad_rows(asrc, "park_id") and adj.park_id not in park_ids:
                problems.add(asrc, f"row {_line(adjustments, n)}", "park_id", f"unknown park {adj.park_id!r}",
                             "check the ID")
    entries = {key: [(n, e) for n, e in enumerate(s[key] if isinstance(s[key], list) else [], 1)
                     if isinstance(e, dict) and set(e) == {"project", "park"}]  # others were reported
               for key in ("locks", "forbids")}
    if _has(projects, "project_id", "fixed_park"):
        fixed = dict(zip(projects["project_id"], projects["fixed_park"].fillna(""), strict=True))
        for n, entry in entries["locks"]:
            if fixed.get(entry["project"]) and fixed[entry["project"]] != entry["park"]:
                problems.add(str(scenario.path), f"locks entry {n}", "park", f"project {entry['project']} is fixed to "
                             f"{fixed[entry['project']]} in the project library but locked to {entry['park']} here",
                             "drop the lock or change the project's fixed_park")
        for n, entry in entries["forbids"]:  # the only park it may go to, forbidden: as contradictory as a lock
            if fixed.get(entry["project"]) == entry["park"]:
                problems.add(str(scenario.path), f"forbids entry {n}", "park", f"project {entry['project']} is fixed to "
                             f"{entry['park']} in the project library ({psrc}) but forbidden there here",
                             "drop the forbid or change the project's fixed_park")
    if _has(projects, "project_id", "forbidden_parks"):
        forbidden = dict(zip(projects["project_id"], projects["forbidden_parks"], strict=True))
        for n, entry in entries["locks"]:
            if entry["park"] in (forbidden.get(entry["project"]) or ()):
                problems.add(str(scenario.path), f"locks entry {n}", "park", f"project {entry['project']} is locked to "
                             f"{entry['park']} here but {entry['park']} is in its forbidden_parks in {psrc}",
                             f"drop the lock, or take {entry['park']} out of the project's forbidden_parks")
    forbids = {(e["project"], e["park"]): n for n, e in entries["forbids"]}
    for n, entry in entries["locks"]:
        if (entry["project"], entry["park"]) in forbids:
            problems.add(str(scenario.path), f"locks entry {n}", "park", f"project {entry['project']} is locked to "
                         f"{entry['park']} and also forbidden there (forbids entry "
                         f"{forbids[entry['project'], entry['park']]})", "drop the lock or the forbid")
    for key in ("locks", "forbids"):
        for n, entry in entries[key]:
            if project_ids is not None and entry["project"] not in project_ids:
                problems.add(str(scenario.path), f"{key} entry {n}", "project", f"unknown project {entry['project']!r}",
                             "use a project_id of the project library")
            if park_ids is not None and entry["park"] not in park_ids:
                problems.add(str(scenario.path), f"{key} entry {n}", "park", f"unknown park {entry['park']!r}",
                             "use a park_id of the parks layer")


def _unknown_in_list(kind: str, value: str, known: Container[str], fix: str) -> tuple[str, str]:
    """The message and fix for an unknown value of a list field: ``P01,P02``, where each part between the commas
    is known, is a list written with commas (which do not separate list values: they are not split silently)."""
    parts = [part.strip() for part in re.split("[,，]", value)]
    if len(parts) > 1 and all(part in known for part in parts):
        return f"unknown {kind} {value!r}; separate list values with ';'", f"write {';'.join(parts)!r}"
    return f"unknown {kind} {value!r}", fix


def _line(table: pd.DataFrame, position: int) -> int:
    """The line of a CSV table that row ``position`` came from (blank lines skipped), as its reader numbered it."""
    numbers = table.attrs.get("line_numbers")
    return int(numbers[position]) if numbers is not None and position < len(numbers) else position + 2


def _check_hub_limits(source: str, projects: pd.DataFrame | None, problems: Problems) -> None:
    """A ``max_hub_minutes`` without ``needs_hub`` limits nothing (the limit is to the nearest hub of the
    needed kind), so a project library that gives one is refused rather than silently half-read.

    Checked on the table as read, before the scenario's overrides: an override that clears ``needs_hub``
    is a deliberate change, and :func:`_ignored_hub_limits` notes it instead.
    """
    if not _has(projects, "project_id", "needs_hub", "max_hub_minutes"):
        return
    bad = problems.bad_rows(source, "needs_hub") | problems.bad_rows(source, "max_hub_minutes")
    for n, p in enumerate(projects.itertuples(index=False)):
        if n not in bad and not p.needs_hub and not math.isnan(p.max_hub_minutes):
            problems.add(source, f"row {_line(projects, n)} ({id_label('project_id', p.project_id)})", "max_hub_minutes",
                         f"a limit of {p.max_hub_minutes:g} minutes is given but needs_hub is empty, so no hub kind "
                         "says what the limit is to (it would be ignored)",
                         f"set needs_hub to the kind of hub it is for ({', '.join(HUB_KINDS)}), or clear "
                         "max_hub_minutes")


def _sourcing_counties(parks: pd.DataFrame, projects: pd.DataFrame, sharing: object) -> list[str]:
    """A note naming the source counties that host no park: they only source projects for other counties' parks
    (飞地经济), which is allowed; the note lets a misspelt county be seen. With a benefit floor above what such a
    county keeps of a project (1 − host_share), none of its projects can be placed, which the note says too."""
    source = projects["source_county"].fillna("").astype(str)
    counts = source[(source != "") & ~source.isin(set(parks["county"]))].value_counts().sort_index()
    if not len(counts):
        return []
    note = (f"source_county names {len(counts)} county(ies) with no park in the parks layer, which only source "
            "projects for other counties (飞地经济): " + ", ".join(f"{c} ({n} project(s))" for c, n in counts.items())
            + "; if one is misspelt, correct it in the project library")
    kept = parkless_share(sharing)
    if kept is not None:
        note += (f". They keep {kept[0]:g} of each project (1 − host_share), below the benefit floor {kept[1]:g}: "
                 "none of their projects can be placed (lower benefit_sharing.floor or host_share)")
    return [note]


def parkless_share(sharing: object) -> tuple[float, float] | None:
    """(1 − host_share, floor) when a county without a park keeps less of each project it sources than the benefit
    floor asks (so none of them can be placed); else ``None``."""
    if not isinstance(sharing, dict) or sharing.get("floor") is None:
        return None
    try:
        kept, floor = 1.0 - float(sharing.get("host_share", 0.5)), float(sharing["floor"])
    except (TypeError, ValueError):
        return None
    return (kept, floor) if kept < floor - 1e-12 else None


def _ignored_hub_limits(projects: pd.DataFrame) -> list[str]:
    """A note for the projects whose ``max_hub_minutes`` the scenario's overrides left without a ``needs_hub``."""
    ignored = projects.loc[(projects["needs_hub"].fillna("") == "") & projects["max_hub_minutes"].notna(),
                           "project_id"].tolist()
    if not ignored:
        return []
    return [f"max_hub_minutes ignored for {len(ignored)} project(s) left with a limit but no needs_hub by the "
            f"scenario's overrides: {', '.join(ignored)}"]
