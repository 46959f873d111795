"""Travel times over a road network: OpenStreetMap XML (``.osm``) or an osmnx GraphML file.

The network is read with osmnx without simplification, cut down to drivable highway classes, and every edge
gets a speed from its highway class (a built-in table, overridable) and a travel time. Parks and hubs are
snapped to the nearest road node; the straight line from a point to its node is driven at a separate access
speed at both ends. All shortest paths are computed in one sparse Dijkstra run over the directed graph
(one-way streets are respected), so times from A to B may differ from B to A.

Optionally the two result tables are cached in a folder, keyed by everything that affects them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import numbers
import os
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from xml.etree.ElementTree import ParseError

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from ._errors import Problems
from .travel import TravelTimes, park_points

ROADS_VERSION = "roads-1"
"""Part of the cache key: bump it whenever a change to this module changes the results."""

DEFAULT_SPEEDS_KMH: Mapping[str, float] = MappingProxyType({
    "motorway": 100.0,
    "trunk": 80.0,
    "primary": 60.0,
    "secondary": 50.0,
    "tertiary": 40.0,
    "motorway_link": 40.0,
    "trunk_link": 40.0,
    "primary_link": 40.0,
    "secondary_link": 40.0,
    "tertiary_link": 40.0,
    "unclassified": 30.0,
    "residential": 30.0,
})
"""Free-flow speed (km/h) per OSM ``highway`` class; only these classes are kept as drivable roads."""

PBF_MESSAGE = "convert the file to OSM XML first, e.g. `osmium cat in.osm.pbf -o out.osm`, and pass the .osm file"
MAX_DISTANCE_ENTRIES = 25_000_000  # Dijkstra rows are computed in chunks of at most this many distances (200 MB)
N_EXAMPLES = 5

_log = logging.getLogger(__name__)


def road_travel_times(
    parks: gpd.GeoDataFrame,
    hubs: gpd.GeoDataFrame,
    road_file: Path,
    *,
    speeds_kmh: Mapping[str, float] | None = None,
    access_speed_kmh: float = 30.0,
    snap_warn_m: float = 2000.0,
    cache_dir: Path | None = None,
) -> tuple[TravelTimes, list[str]]:
    """Minutes between parks and from parks to hubs along a road network.

    Parameters
    ----------
    parks
        Park polygons with a unique ``park_id`` column, in a projected CRS in metres. Each park is represented
        by :func:`layers.travel.park_points`.
    hubs
        Hub points with a unique ``hub_id`` column, in the same CRS as ``parks``.
    road_file
        OSM XML (``.osm``, ``.osm.xml``), ``.osm.pbf`` (its highway ways, via pyosmium) or osmnx GraphML
        (``.graphml``).
    speeds_kmh
        Speeds (km/h) per highway class that replace entries of :data:`DEFAULT_SPEEDS_KMH`. Only the classes
        of that table are allowed. ``maxspeed`` tags in the file are ignored: speeds are by class only.
    access_speed_kmh
        Speed of the straight-line leg from a park or hub to its nearest road node, added at both ends.
    snap_warn_m
        A park or hub farther than this (metres) from its nearest road node is reported in the notes.
    cache_dir
        Folder for cached results (created if missing); nothing is written anywhere else. A cached result is
        used when the road file's bytes, the IDs and points (to 0.1 m), the CRS, the speeds, the access speed,
        ``snap_warn_m`` and this module's version all match. An unreadable cache file is ignored and rewritten.

    Returns
    -------
    times
        :class:`~layers.travel.TravelTimes`: ``park_park`` (row = origin, column = destination, 0 on the
        diagonal) and ``park_hub`` (park to hub), in minutes; ``inf`` where no road route exists.
        ``method`` names the file, the edge count, the speeds and the access speed.
    notes
        Plain-words remarks: points far from any road, unreachable pairs, ignored non-drivable edges.

    Raises
    ------
    layers.InputError
        (a ``ValueError``) listing every problem with the inputs: CRS not projected or not shared, missing or
        duplicate IDs, empty geometries, unsupported file type, unknown speed classes,
        non-positive speeds, a file without drivable roads.
    """
    road_file = Path(road_file)
    speeds = _check_inputs(parks, hubs, road_file, speeds_kmh, access_speed_kmh, snap_warn_m)
    park_ids = parks["park_id"].tolist()
    hub_ids = hubs["hub_id"].tolist()
    points = park_points(parks)
    park_xy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    hub_xy = np.column_stack([hubs.geometry.x.to_numpy(), hubs.geometry.y.to_numpy()])

    cache_file: Path | None = None
    key = ""
    cache_notes: list[str] = []
    if cache_dir is not None:
        key = _cache_key(road_file, parks.crs, park_ids, park_xy, hub_ids, hub_xy, speeds, access_speed_kmh,
                         snap_warn_m)
        cache_file = Path(cache_dir) / f"road-times-{key}.npz"
        if cache_file.exists():
            cached = _read_cache(cache_file, key, park_ids, hub_ids)
            if cached is not None:
                park_park, park_hub, method, notes = cached
                return _tables(park_park, park_hub, park_ids, hub_ids, method), notes
            cache_notes.append(f"cache file {cache_file.name} was unreadable or stale and has been rewritten")

    with _phase("load"):
        graph = load_road_graph(road_file)
    with _phase("speeds"):
        graph, notes = _drivable_with_times(graph, speeds, road_file)
    n_edges = graph.number_of_edges()
    with _phase("snap"):
        nodes, node_xy = _node_coordinates(graph, parks.crs)
        park_node, park_snap = _snap(node_xy, park_xy)
        hub_node, hub_snap = _snap(node_xy, hub_xy)
    notes += _far_notes("park", park_ids, park_snap, snap_warn_m)
    notes += _far_notes("hub", hub_ids, hub_snap, snap_warn_m)
    with _phase("matrices"):
        matrix = _csr(graph, nodes)
        del graph
        park_access = park_snap / (access_speed_kmh / 3.6)  # seconds
        hub_access = hub_snap / (access_speed_kmh / 3.6)
        park_park, park_hub = _minutes(matrix, park_node, hub_node, park_access, hub_access)
    notes += _unreachable_notes(park_park, park_hub, park_ids, hub_ids)
    method = (f"road network {road_file.name} (osmnx, {n_edges:,} edges; speeds by highway class; "
              f"access legs at {access_speed_kmh:g} km/h)")
    if cache_file is not None:
        try:
            _write_cache(cache_file, key, park_ids, hub_ids, park_park, park_hub, method, notes)
        except OSError as exc:  # a cache that cannot be written costs the next run time, not this run
            cache_notes.append(f"the travel times could not be cached in {cache_file.parent} ({exc.strerror or exc}); "
                               "they are computed again next time (set SITING_CACHE_DIR to a writable folder)")
    return _tables(park_park, park_hub, park_ids, hub_ids, method), notes + cache_notes


def load_road_graph(road_file: Path) -> nx.MultiDiGraph:
    """Read a road file as an unsimplified directed osmnx graph (no class filter applied yet).

    Parameters
    ----------
    road_file
        ``.osm``/``.osm.xml`` (OSM XML, read with ``simplify=False, retain_all=True``) or ``.graphml``.

    Returns
    -------
    networkx.MultiDiGraph
        The graph as osmnx builds it; OSM ``oneway`` tags give single-direction edges.
    """
    kind = _file_kind(road_file)
    if kind == "graphml":
        try:
            return ox.load_graphml(road_file)
        except (ParseError, KeyError, TypeError) as exc:  # cut off, or not osmnx's GraphML
            raise ValueError(f"{road_file}: not readable as osmnx GraphML ({exc})") from exc
    if kind == "pbf":
        with tempfile.TemporaryDirectory(prefix="siting-pbf-") as tmp:
            xml = Path(tmp) / "roads.osm"
            pbf_to_xml(road_file, xml)
            return ox.graph_from_xml(xml, simplify=False, retain_all=True)
    try:
        return ox.graph_from_xml(road_file, simplify=False, retain_all=True)
    except ParseError as exc:
        raise ValueError(f"{road_file}: not readable as OSM XML ({exc})") from exc


def road_lines(road_file: Path) -> gpd.GeoDataFrame:
    """The drivable roads of a road file as lines, merged per highway class (lon/lat, EPSG:4326), for maps."""
    graph = load_road_graph(road_file)
    rows = []
    for u, v, data in graph.edges(data=True):
        highway = data.get("highway")
        highway = highway[0] if isinstance(highway, list) else highway
        if highway not in DEFAULT_SPEEDS_KMH:
            continue
        geom = data.get("geometry") or LineString([(graph.nodes[u]["x"], graph.nodes[u]["y"]),
                                                   (graph.nodes[v]["x"], graph.nodes[v]["y"])])
        rows.append((highway, geom))
    frame = gpd.GeoDataFrame(rows, columns=["highway", "geometry"], geometry="geometry", crs=graph.graph["crs"])
    merged = frame.dissolve(by="highway", as_index=False)
    merged["geometry"] = merged.geometry.line_merge()
    return merged.to_crs(4326)


def pbf_to_xml(pbf: Path, xml: Path) -> None:
    """Write the ways with a ``highway`` tag of an ``.osm.pbf`` file, and the nodes they use, as OSM XML.

    Uses pyosmium (``pip install osmium``): one pass selects the highway ways, and its back-reference
    writer adds the nodes they reference, so a regional extract shrinks to its road network.
    """
    try:
        import osmium
    except ImportError as exc:  # pragma: no cover - osmium is in requirements.txt
        raise ValueError(f"{pbf}: reading .osm.pbf needs pyosmium: pip install osmium, or {PBF_MESSAGE}") from exc
    def highway_ways():
        return osmium.FileProcessor(str(pbf), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))

    try:  # read once to fail cleanly on a corrupt file, before the writer opens its temporary files
        for _ in highway_ways():
            pass
    except RuntimeError as exc:
        raise ValueError(f"{pbf}: not readable as OSM PBF ({exc})") from exc
    with osmium.BackReferenceWriter(str(xml), ref_src=str(pbf), overwrite=True) as writer:
        for way in highway_ways():
            writer.add(way)


@contextmanager
def _phase(name: str) -> Iterator[None]:
    """Log how long a phase took (logger ``layers.roads``, level DEBUG, args ``(name, seconds)``)."""
    start = time.perf_counter()
    yield
    _log.debug("phase %s took %.3f s", name, time.perf_counter() - start)


def _file_kind(road_file: Path) -> str:
    """``"osm"``, ``"graphml"``, ``"pbf"`` or ``""`` (unknown) from the file name."""
    name = road_file.name.lower()
    if name.endswith(".pbf"):
        return "pbf"
    if name.endswith((".osm", ".osm.xml")):
        return "osm"
    if name.endswith(".graphml"):
        return "graphml"
    return ""


def road_file_problems(road_file: Path, problems: Problems) -> bool:
    """Add what is wrong with the road file's path (a folder, an unknown type, missing); whether it may be read."""
    before = len(problems.items)
    if road_file.is_dir():
        problems.add(str(road_file), "", "", "is a folder, not a road file",
                     "give the path of the OSM XML (.osm) or GraphML (.graphml) file inside it")
    elif not _file_kind(road_file):
        problems.add(str(road_file), "", "", "unknown road file type",
                     "give OSM XML (.osm) or an osmnx GraphML file (.graphml)")
    elif not road_file.is_file():
        problems.add(str(road_file), "", "", "file not found")
    else:
        try:
            road_file.open("rb").close()
        except OSError as exc:  # e.g. no permission to read it
            problems.unreadable(road_file, exc)
    return len(problems.items) == before


def _check_inputs(parks: gpd.GeoDataFrame, hubs: gpd.GeoDataFrame, road_file: Path,
                  speeds_kmh: Mapping[str, float] | None, access_speed_kmh: float,
                  snap_warn_m: float) -> dict[str, float]:
    """Collect every problem with the arguments, raise them together, and return the merged speed table."""
    problems = Problems()
    for label, gdf, id_col, kinds in (("parks", parks, "park_id", ("Polygon", "MultiPolygon")),
                                      ("hubs", hubs, "hub_id", ("Point",))):
        if not isinstance(gdf, gpd.GeoDataFrame):
            problems.add(label, "", "", f"expected a GeoDataFrame, got {type(gdf).__name__}")
            continue
        if id_col not in gdf.columns:
            problems.add(label, "", id_col, "column missing", f"add a unique '{id_col}' column")
        else:
            dup = gdf[id_col][gdf[id_col].duplicated()].astype(str).tolist()
            if dup:
                problems.add(label, "", id_col, f"duplicate IDs: {', '.join(sorted(set(dup)))}", "make IDs unique")
            if gdf[id_col].isna().any():
                problems.add(label, "", id_col, "empty IDs", f"give every row a '{id_col}'")
        if len(gdf) == 0:
            problems.add(label, "", "", "no rows")
        bad = gdf.geometry.isna() | gdf.geometry.is_empty | ~gdf.geometry.geom_type.isin(kinds)
        if bad.any():
            where = ", ".join(str(v) for v in (gdf.loc[bad, id_col] if id_col in gdf.columns else gdf.index[bad]))
            problems.add(label, where, "geometry", f"missing, empty or not {'/'.join(kinds)}")
    if isinstance(parks, gpd.GeoDataFrame) and isinstance(hubs, gpd.GeoDataFrame):
        crs = parks.crs
        if crs is None or not crs.is_projected:
            problems.add("parks", "", "crs", f"CRS {crs.to_string() if crs else 'missing'} is not projected; "
                         "road times need a projected CRS in metres",
                         "reproject with parks.to_crs(...), e.g. EPSG:4547 for 114°E")
        elif any(axis.unit_name not in ("metre", "meter") for axis in crs.axis_info):
            problems.add("parks", "", "crs", f"CRS {crs.to_string()} is not in metres",
                         "reproject to a projected CRS in metres")
        if hubs.crs != crs:
            problems.add("hubs", "", "crs", f"CRS {hubs.crs.to_string() if hubs.crs else 'missing'} differs "
                         f"from the parks' {crs.to_string() if crs else 'missing'}",
                         "reproject hubs with hubs.to_crs(parks.crs)")
    road_file_problems(road_file, problems)
    speeds = dict(DEFAULT_SPEEDS_KMH)
    if speeds_kmh is not None:
        unknown = sorted(str(k) for k in speeds_kmh if k not in DEFAULT_SPEEDS_KMH)
        if unknown:
            problems.add("speeds_kmh", "", ", ".join(unknown), "unknown highway class(es)",
                         f"use only {', '.join(DEFAULT_SPEEDS_KMH)}")
        bad_speeds = sorted(str(k) for k, v in speeds_kmh.items() if not _positive(v))
        if bad_speeds:
            problems.add("speeds_kmh", "", ", ".join(bad_speeds), "speeds must be positive numbers (km/h)")
        speeds.update({k: float(v) for k, v in speeds_kmh.items() if k in speeds and _positive(v)})
    if not _positive(access_speed_kmh):
        problems.add("access_speed_kmh", "", "", f"must be a positive number (km/h), got {access_speed_kmh!r}")
    if not (isinstance(snap_warn_m, numbers.Real) and snap_warn_m >= 0):
        problems.add("snap_warn_m", "", "", f"must be a number ≥ 0 (metres), got {snap_warn_m!r}")
    problems.raise_if_any()
    return speeds


def _positive(value: object) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
            and math.isfinite(value) and value > 0)


def _drivable_with_times(graph: nx.MultiDiGraph, speeds: dict[str, float],
                         road_file: Path) -> tuple[nx.MultiDiGraph, list[str]]:
    """Keep drivable classes only, then add ``speed_kph`` and ``travel_time`` (s) to every edge.

    Runs on the unsimplified graph, where each edge has a single ``highway`` value. An edge with a list of
    classes (a simplified GraphML input) gets the slowest drivable one, so the result does not depend on the
    order of that list. ``maxspeed`` is dropped so that the class table alone sets the speed.
    """
    drop, dropped, several, maxspeed = [], Counter(), 0, 0
    for u, v, k, data in graph.edges(keys=True, data=True):
        hwy = data.get("highway")
        classes = hwy if isinstance(hwy, list) else [hwy]
        kept = sorted({c for c in classes if isinstance(c, str) and c in speeds}, key=lambda c: (speeds[c], c))
        if not kept or u == v:
            drop.append((u, v, k))
            named = sorted({c for c in classes if isinstance(c, str)})
            dropped["self-loop" if kept else "/".join(named) or "no highway tag"] += 1
            continue
        if len(classes) > 1:
            several += 1
        data["highway"] = kept[0]
        if data.pop("maxspeed", None) is not None:
            maxspeed += 1
    graph.remove_edges_from(drop)
    graph.remove_nodes_from(list(nx.isolates(graph)))
    if graph.number_of_edges() == 0:
        raise ValueError(f"{road_file}: no drivable roads (highway = {', '.join(DEFAULT_SPEEDS_KMH)})")
    notes = []
    if dropped:
        parts = ", ".join(f"{name} {n:,}" for name, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))
        notes.append(f"ignored {sum(dropped.values()):,} edges that are not drivable roads ({parts})")
    if several:
        notes.append(f"{several:,} edges carry several highway classes (simplified graph); the slowest was used")
    if maxspeed:
        notes.append(f"ignored maxspeed on {maxspeed:,} edges: speeds are by highway class")
    graph = ox.add_edge_speeds(graph, hwy_speeds=speeds)
    graph = ox.add_edge_travel_times(graph)
    return graph, notes


def _node_coordinates(graph: nx.MultiDiGraph, crs: CRS) -> tuple[list[object], np.ndarray]:
    """Node IDs in a fixed (sorted) order and their x/y in ``crs``."""
    try:
        nodes = sorted(graph.nodes)
    except TypeError:
        nodes = sorted(graph.nodes, key=str)
    xs = np.fromiter((graph.nodes[n]["x"] for n in nodes), dtype=float, count=len(nodes))
    ys = np.fromiter((graph.nodes[n]["y"] for n in nodes), dtype=float, count=len(nodes))
    transformer = Transformer.from_crs(CRS.from_user_input(graph.graph.get("crs", "EPSG:4326")), crs,
                                       always_xy=True)
    x, y = transformer.transform(xs, ys)
    return nodes, np.column_stack([x, y])


def _snap(node_xy: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest node to each point and the straight-line distance (m)."""
    dist, idx = cKDTree(node_xy).query(xy, k=1)
    return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=float)


def _csr(graph: nx.MultiDiGraph, nodes: list[object]) -> csr_matrix:
    """Directed travel-time matrix (s) with the minimum over parallel edges (scipy would add them up)."""
    index = {n: i for i, n in enumerate(nodes)}
    m = graph.number_of_edges()
    u = np.empty(m, dtype=np.int64)
    v = np.empty(m, dtype=np.int64)
    t = np.empty(m, dtype=float)
    for e, (a, b, tt) in enumerate(graph.edges(data="travel_time")):
        u[e], v[e], t[e] = index[a], index[b], tt
    t = np.maximum(t, 1e-6)  # a zero-length edge must stay an edge, not an absent entry
    pair = u * len(nodes) + v
    order = np.lexsort((t, pair))
    first = np.ones(m, dtype=bool)
    first[1:] = pair[order][1:] != pair[order][:-1]
    keep = order[first]
    return csr_matrix((t[keep], (u[keep], v[keep])), shape=(len(nodes), len(nodes)))


def _minutes(matrix: csr_matrix, park_node: np.ndarray, hub_node: np.ndarray, park_access: np.ndarray,
             hub_access: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Park→park and park→hub minutes: access leg + network time + access leg; 0 from a park to itself."""
    sources, row_of_park = np.unique(park_node, return_inverse=True)
    n_nodes = matrix.shape[0]
    chunk = max(1, MAX_DISTANCE_ENTRIES // max(n_nodes, 1))
    net_pp = np.empty((len(sources), len(park_node)))
    net_ph = np.empty((len(sources), len(hub_node)))
    for start in range(0, len(sources), chunk):
        dist = dijkstra(matrix, directed=True, indices=sources[start:start + chunk])
        net_pp[start:start + chunk] = dist[:, park_node]
        net_ph[start:start + chunk] = dist[:, hub_node]
    park_park = (park_access[:, None] + net_pp[row_of_park] + park_access[None, :]) / 60.0
    park_hub = (park_access[:, None] + net_ph[row_of_park] + hub_access[None, :]) / 60.0
    np.fill_diagonal(park_park, 0.0)
    return park_park, park_hub


def _distance_text(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def _far_notes(label: str, ids: list[object], snap: np.ndarray, limit: float) -> list[str]:
    return [f"{label} {i} is {_distance_text(d)} from the nearest road node"
            for i, d in zip(ids, snap, strict=True) if d > limit]


def _unreachable_notes(park_park: np.ndarray, park_hub: np.ndarray, park_ids: list[object],
                       hub_ids: list[object]) -> list[str]:
    notes = []
    for label, table, cols in (("park→park", park_park, park_ids), ("park→hub", park_hub, hub_ids)):
        rows, columns = np.nonzero(np.isinf(table))
        if len(rows):
            examples = ", ".join(f"{park_ids[r]}→{cols[c]}" for r, c in zip(rows[:N_EXAMPLES], columns[:N_EXAMPLES]))
            more = ", …" if len(rows) > N_EXAMPLES else ""
            notes.append(f"{len(rows):,} {label} pairs have no road route (inf minutes), e.g. {examples}{more}")
    return notes


def _tables(park_park: np.ndarray, park_hub: np.ndarray, park_ids: list[object], hub_ids: list[object],
            method: str) -> TravelTimes:
    return TravelTimes(park_park=pd.DataFrame(park_park, index=park_ids, columns=park_ids),
                       park_hub=pd.DataFrame(park_hub, index=park_ids, columns=hub_ids), method=method)


# ---------------------------------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------------------------------

def _cache_key(road_file: Path, crs: CRS, park_ids: list[object], park_xy: np.ndarray, hub_ids: list[object],
               hub_xy: np.ndarray, speeds: dict[str, float], access_speed_kmh: float, snap_warn_m: float) -> str:
    """sha256 over the road file's bytes and every other input that changes the result."""
    digest = hashlib.sha256()
    with road_file.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)

    def points(ids: list[object], xy: np.ndarray) -> list[list[str]]:
        return [[str(i), f"{x:.1f}", f"{y:.1f}"] for i, (x, y) in zip(ids, np.round(xy, 1) + 0.0, strict=True)]

    meta = {
        "version": ROADS_VERSION, "osmnx": ox.__version__, "file_name": road_file.name,
        "crs": crs.to_wkt(), "parks": points(park_ids, park_xy), "hubs": points(hub_ids, hub_xy),
        "speeds": sorted((k, repr(float(v))) for k, v in speeds.items()),
        "access_speed_kmh": repr(float(access_speed_kmh)), "snap_warn_m": repr(float(snap_warn_m)),
    }
    digest.update(json.dumps(meta, sort_keys=True, ensure_ascii=True).encode())
    return digest.hexdigest()


def _read_cache(path: Path, key: str, park_ids: list[object],
                hub_ids: list[object]) -> tuple[np.ndarray, np.ndarray, str, list[str]] | None:
    """The cached tables, method and notes, or ``None`` when the file is unreadable or does not match."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            if data["park_ids"].tolist() != [str(i) for i in park_ids]:
                return None
            if data["hub_ids"].tolist() != [str(i) for i in hub_ids]:
                return None
            park_park = np.asarray(data["park_park"], dtype=float)
            park_hub = np.asarray(data["park_hub"], dtype=float)
            method = str(data["method"])
            notes = [str(n) for n in data["notes"].tolist()]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if park_park.shape != (len(park_ids), len(park_ids)) or park_hub.shape != (len(park_ids), len(hub_ids)):
        return None
    return park_park, park_hub, method, notes


def _write_cache(path: Path, key: str, park_ids: list[object], hub_ids: list[object], park_park: np.ndarray,
                 park_hub: np.ndarray, method: str, notes: list[str]) -> None:
    """Write the cache file atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".road-times-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(
                fh, key=np.array(key), park_ids=np.array([str(i) for i in park_ids], dtype=str),
                hub_ids=np.array([str(i) for i in hub_ids], dtype=str), park_park=park_park, park_hub=park_hub,
                method=np.array(method), notes=np.array(notes, dtype=str).reshape(-1))
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
