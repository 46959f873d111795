"""Benchmark road-network travel times (layers.roads.road_travel_times) on a synthetic ~100k-edge network.

A perturbed grid of streets near 114°E 34.7°N (1 km blocks, a node every 250 m, motorways, trunk, primary,
secondary, tertiary and residential rows and columns, some one-way streets, some footways that are dropped,
a few missing blocks) is written as OSM XML to a temporary folder, with 200 parks and 50 hubs at random
points. Then ``road_travel_times`` runs once without cache, end to end; the time of each phase comes from
the module's DEBUG log. Everything is seeded, so every run builds the same network.

Usage::

    python bench/bench_travel.py [--grid 80] [--parks 200] [--hubs 50] [--seed 7]
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import Transformer
from shapely.geometry import Point, box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from layers.roads import road_travel_times

GK = "EPSG:4547"  # CGCS2000 3-degree Gauss-Kruger, CM 114°E
X0, Y0 = 460_000.0, 3_800_000.0
BLOCK_M = 1000.0
SEGMENTS = 4  # nodes per block side: a node every 250 m, as OSM has between intersections


def line_class(i: int) -> tuple[str, bool]:
    """Highway class of grid row/column ``i`` and whether it is one-way."""
    if i % 20 == 0:
        return "motorway", False
    if i % 10 == 0:
        return "trunk", False
    if i % 5 == 0:
        return "primary", False
    if i % 4 == 0:
        return "secondary", False
    if i % 3 == 0:
        return "tertiary", False
    return "residential", i % 7 == 1


def write_network(path: Path, grid: int, rng: np.random.Generator) -> tuple[int, int]:
    """Write the grid as OSM XML; return (nodes, ways)."""
    to_geo = Transformer.from_crs(GK, "EPSG:4326", always_xy=True)
    n_side = (grid - 1) * SEGMENTS + 1  # fine lattice points per side
    fx, fy = np.meshgrid(np.arange(n_side, dtype=float), np.arange(n_side, dtype=float), indexing="ij")
    x = X0 + fx * BLOCK_M / SEGMENTS + rng.normal(0.0, 25.0, fx.shape)
    y = Y0 + fy * BLOCK_M / SEGMENTS + rng.normal(0.0, 25.0, fy.shape)
    lon, lat = to_geo.transform(x.ravel(), y.ravel())
    ids = np.arange(1, n_side * n_side + 1).reshape(n_side, n_side)

    def nid(i: int, j: int) -> int:
        return int(ids[i, j])

    ways: list[tuple[list[int], str, bool]] = []
    missing = rng.random((2, grid, grid)) < 0.03  # a few blocks have no street
    footway = rng.random((2, grid, grid)) < 0.05  # and a few are footpaths only
    for horizontal in (0, 1):
        for line in range(grid):
            highway, oneway = line_class(line)
            for block in range(grid - 1):
                if highway == "residential" and missing[horizontal, line, block]:
                    continue
                cls = "footway" if highway == "residential" and footway[horizontal, line, block] else highway
                a = line * SEGMENTS
                steps = range(block * SEGMENTS, (block + 1) * SEGMENTS + 1)
                refs = [nid(s, a) if horizontal else nid(a, s) for s in steps]
                ways.append((refs, cls, oneway and cls != "footway"))
    used = sorted({r for refs, _, _ in ways for r in refs})
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="bench_travel">\n')
        for r in used:
            fh.write(f'  <node id="{r}" lat="{lat[r - 1]:.7f}" lon="{lon[r - 1]:.7f}"/>\n')
        for way_id, (refs, cls, oneway) in enumerate(ways, start=1):
            nds = "".join(f'<nd ref="{r}"/>' for r in refs)
            tags = f'<tag k="highway" v="{cls}"/>' + ('<tag k="oneway" v="yes"/>' if oneway else "")
            fh.write(f'  <way id="{way_id}">{nds}{tags}</way>\n')
        fh.write("</osm>\n")
    return len(used), len(ways)


def random_layers(grid: int, n_parks: int, n_hubs: int,
                  rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Parks (600 m squares) and hubs at uniform random points inside the grid."""
    span = (grid - 1) * BLOCK_M
    pxy = rng.uniform(0, span, (n_parks, 2)) + np.array([X0, Y0])
    hxy = rng.uniform(0, span, (n_hubs, 2)) + np.array([X0, Y0])
    parks = gpd.GeoDataFrame({"park_id": [f"P{i:03d}" for i in range(1, n_parks + 1)]},
                             geometry=[box(x - 300, y - 300, x + 300, y + 300) for x, y in pxy], crs=GK)
    hubs = gpd.GeoDataFrame({"hub_id": [f"H{i:02d}" for i in range(1, n_hubs + 1)]},
                            geometry=[Point(x, y) for x, y in hxy], crs=GK)
    return parks, hubs


class PhaseTimes(logging.Handler):
    """Collects ``(phase, seconds)`` from layers.roads' DEBUG records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.phases: list[tuple[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("phase ") and isinstance(record.args, tuple):
            self.phases.append((str(record.args[0]), float(record.args[1])))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=80, help="intersections per side (80 → ~100k edges)")
    parser.add_argument("--parks", type=int, default=200)
    parser.add_argument("--hubs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    handler = PhaseTimes()
    log = logging.getLogger("layers.roads")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    with tempfile.TemporaryDirectory(prefix="bench-roads-") as tmp:
        path = Path(tmp) / "grid.osm"
        start = time.perf_counter()
        n_nodes, n_ways = write_network(path, args.grid, rng)
        parks, hubs = random_layers(args.grid, args.parks, args.hubs, rng)
        print(f"synthetic network: {n_nodes:,} nodes, {n_ways:,} ways, {path.stat().st_size / 1e6:.1f} MB OSM XML "
              f"(written in {time.perf_counter() - start:.1f} s); {len(parks)} parks, {len(hubs)} hubs")
        rss_before = peak_rss_mb()
        start = time.perf_counter()
        times, notes = road_travel_times(parks, hubs, path)
        total = time.perf_counter() - start
    for phase, seconds in handler.phases:
        print(f"  {phase:<9} {seconds:7.2f} s")
    print(f"  {'total':<9} {total:7.2f} s")
    print(f"peak RSS {peak_rss_mb():,.0f} MB (before the call {rss_before:,.0f} MB)")
    print(f"method: {times.method}")
    pp = times.park_park.to_numpy()
    off = pp[~np.eye(len(pp), dtype=bool)]
    print(f"park→park minutes: median {np.median(off):.1f}, max {off.max():.1f}, "
          f"unreachable {int(np.isinf(off).sum())}; park→hub unreachable "
          f"{int(np.isinf(times.park_hub.to_numpy()).sum())}")
    for note in notes[:5]:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
