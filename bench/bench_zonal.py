"""Benchmark raster zonal statistics (layers.zonal.zonal_stats) and the exclusion overlay
(layers.exclusions.exclusion_overlay) on synthetic data.

A 5,000 × 5,000 float32 GeoTIFF of 30 m cells in EPSG:4547 (150 km × 150 km near 114°E; a smooth "slope"
field in degrees plus noise, some nodata lakes; tiled 256 × 256, deflate) is written to a temporary folder,
with 200 irregular park polygons of 1–40 km² inside it and 500 irregular exclusion polygons of 0.2–30 km²
of three kinds. Everything is seeded, so every run builds the same data.

The timed calls run in a fresh child process, so the peak memory reported is theirs (resident set size
high-water mark), not the data generator's. Target: zonal_stats under 10 s.

Usage::

    python bench/bench_zonal.py [--size 5000] [--parks 200] [--exclusions 500] [--seed 11]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine
from shapely.geometry import Polygon

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GK = "EPSG:4547"  # CGCS2000 3-degree Gauss-Kruger, CM 114°E
X0, Y0 = 430_000.0, 3_900_000.0  # top-left corner
CELL = 30.0  # metres
NODATA = -9999.0
KINDS = ("ecological_redline", "basic_farmland", "urban_boundary")


def write_raster(path: Path, size: int, rng: np.random.Generator) -> None:
    """Smooth field (a few long waves, 0–40°) plus noise, with circular nodata lakes; written in strips."""
    waves = [(rng.uniform(2e-4, 2e-3), rng.uniform(2e-4, 2e-3), rng.uniform(0, 2 * np.pi)) for _ in range(6)]
    lakes = [(rng.uniform(0, size), rng.uniform(0, size), rng.uniform(20, 120)) for _ in range(25)]
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32", "crs": GK,
        "transform": Affine(CELL, 0.0, X0, 0.0, -CELL, Y0), "nodata": NODATA,
        "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
    }
    strip = 512
    cols = np.arange(size, dtype=float)
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, size, strip):
            rows = np.arange(r0, min(r0 + strip, size), dtype=float)
            y, x = np.meshgrid(rows * CELL, cols * CELL, indexing="ij")
            field = np.zeros_like(x)
            for kx, ky, phase in waves:
                field += np.sin(kx * x + ky * y + phase)
            values = 12.0 + 4.0 * field + rng.normal(0.0, 3.0, x.shape)
            values = np.clip(values, 0.0, 60.0)
            for lc, lr, radius in lakes:
                values[(x / CELL - lc) ** 2 + (y / CELL - lr) ** 2 < radius**2] = NODATA
            dst.write(values.astype("float32"), 1, window=rasterio.windows.Window(0, r0, size, len(rows)))


def blob(cx: float, cy: float, area_m2: float, rng: np.random.Generator, vertices: int = 72) -> Polygon:
    """An irregular star-shaped polygon of the given area around (cx, cy)."""
    theta = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 7):
        radius += rng.uniform(0.0, 0.25 / k * 2) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius = np.clip(radius, 0.3, None)
    shape = Polygon(np.column_stack([np.cos(theta) * radius, np.sin(theta) * radius]))
    scale = np.sqrt(area_m2 / shape.area)
    return Polygon(np.column_stack([cx + np.cos(theta) * radius * scale, cy + np.sin(theta) * radius * scale]))


def make_parks(n: int, size: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """``n`` non-overlapping parks of 1–40 km² (log-uniform) at least 2 km inside the raster."""
    extent = size * CELL
    geoms: list[Polygon] = []
    while len(geoms) < n:
        area = np.exp(rng.uniform(np.log(1e6), np.log(40e6)))
        cx, cy = X0 + rng.uniform(6000, extent - 6000), Y0 - rng.uniform(6000, extent - 6000)
        candidate = blob(cx, cy, area, rng)
        if not any(candidate.intersects(g) for g in geoms):
            geoms.append(candidate)
    return gpd.GeoDataFrame({"park_id": [f"P{i + 1:03d}" for i in range(n)]}, geometry=geoms, crs=GK)


def make_exclusions(n: int, size: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """``n`` overlapping exclusion polygons of 0.2–30 km² (log-uniform), kinds drawn at random."""
    extent = size * CELL
    geoms = [
        blob(X0 + rng.uniform(0, extent), Y0 - rng.uniform(0, extent),
             np.exp(rng.uniform(np.log(0.2e6), np.log(30e6))), rng, vertices=48)
        for _ in range(n)
    ]
    kinds = rng.choice(KINDS, size=n)
    return gpd.GeoDataFrame({"kind": kinds}, geometry=geoms, crs=GK)


def polygons(args: argparse.Namespace) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Parks and exclusions; each has its own seeded generator, so parent and child build the same ones."""
    parks = make_parks(args.parks, args.size, np.random.default_rng([args.seed, 1]))
    exclusions = make_exclusions(args.exclusions, args.size, np.random.default_rng([args.seed, 2]))
    return parks, exclusions


def run_timed(folder: Path, args: argparse.Namespace) -> dict:
    """In the child process: time both calls and report peak memory."""
    from layers.exclusions import exclusion_overlay
    from layers.zonal import zonal_stats

    parks, exclusions = polygons(args)
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    stats = zonal_stats(parks, folder / "slope.tif", name="slope", suitable_below=15)
    t_zonal = time.perf_counter() - t0
    zonal_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    plain = zonal_stats(parks, folder / "slope.tif", name="slope")
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    overlay = exclusion_overlay(parks, exclusions)
    t_overlay = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert (plain["slope_mean"].fillna(-1) == stats["slope_mean"].fillna(-1)).all()
    return {
        "zonal_s": t_zonal, "zonal_plain_s": t_plain, "overlay_s": t_overlay,
        "rss_after_imports_mb": base_mb, "rss_peak_zonal_mb": zonal_mb, "rss_peak_mb": peak_mb,
        "mean_slope_range": [float(stats["slope_mean"].min()), float(stats["slope_mean"].max())],
        "coverage_min": float(stats["slope_coverage"].min()),
        "suitable_share_mean": float(stats["slope_suitable_share"].mean()),
        "parks_losing_land": int((overlay["excluded_ha"] > 0).sum()),
        "excluded_ha_total": float(overlay["excluded_ha"].sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="raster width and height in cells")
    parser.add_argument("--parks", type=int, default=200)
    parser.add_argument("--exclusions", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_timed(args.child, args)))
        return

    with tempfile.TemporaryDirectory(prefix="bench_zonal_") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write_raster(folder / "slope.tif", args.size, np.random.default_rng([args.seed, 0]))
        parks, exclusions = polygons(args)
        print(f"data: {args.size}×{args.size} float32 raster ({args.size * CELL / 1000:.0f} km square, "
              f"{(folder / 'slope.tif').stat().st_size / 1e6:.0f} MB on disk), {len(parks)} parks "
              f"(median {parks.area.median() / 1e6:.1f} km²), {len(exclusions)} exclusions; "
              f"built in {time.perf_counter() - t0:.1f} s")
        options = ["--size", str(args.size), "--parks", str(args.parks), "--exclusions", str(args.exclusions),
                   "--seed", str(args.seed)]
        child = subprocess.run([sys.executable, __file__, "--child", str(folder), *options],
                               capture_output=True, text=True, check=True)
        result = json.loads(child.stdout.strip().splitlines()[-1])

    target = "OK" if result["zonal_s"] < 10 else "OVER TARGET"
    print(f"zonal_stats(suitable_below=15): {result['zonal_s']:.2f} s ({target}: < 10 s); "
          f"without suitable_below: {result['zonal_plain_s']:.2f} s")
    print(f"exclusion_overlay {args.parks} parks × {args.exclusions} exclusions: {result['overlay_s']:.2f} s")
    print(f"peak RSS of the timing process: {result['rss_peak_mb']:.0f} MB "
          f"(after imports and loading the polygons {result['rss_after_imports_mb']:.0f} MB, "
          f"after zonal_stats {result['rss_peak_zonal_mb']:.0f} MB)")
    low, high = result["mean_slope_range"]
    print(f"check: mean slope {low:.1f}–{high:.1f}°, min coverage {result['coverage_min']:.3f}, "
          f"mean share < 15° {result['suitable_share_mean']:.2f}; {result['parks_losing_land']} parks lose "
          f"{result['excluded_ha_total']:.0f} ha to exclusions")


if __name__ == "__main__":
    main()
