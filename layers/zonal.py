"""Raster zonal statistics per park with exact cell coverage (e.g. mean slope, share of flat land).

Cells are weighted by the fraction of the cell that lies inside the park polygon (``exactextract``), so a
park covering half a cell counts that cell half; nodata cells are left out, never counted as 0. The raster
is read through rasterio only (its own bundled GDAL); polygons reach exactextract as GeoJSON-like mappings,
so no GDAL object crosses between libraries.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource
from pyproj import CRS

_ROW = "_zonal_row"  # internal column that carries each park's input position through exactextract
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def zonal_stats(
    parks: gpd.GeoDataFrame, raster: Path, *, name: str, suitable_below: float | None = None
) -> pd.DataFrame:
    """Coverage-weighted statistics of band 1 of ``raster`` inside each park polygon.

    Parameters
    ----------
    parks
        Park polygons (Polygon or MultiPolygon) with a ``park_id`` column, in any CRS (it must have one).
        When it differs from the raster's CRS the polygons are reprojected to the raster's CRS, once; the
        raster itself is never resampled.
    raster
        GeoTIFF (or any raster rasterio can open) with a CRS and, ideally, a nodata value. Only band 1 is
        read; other bands of a multi-band raster are ignored. NaN cells in float rasters count as nodata.
    name
        Prefix of the output columns, e.g. ``"slope"`` gives ``slope_mean``; letters, digits and ``_``.
    suitable_below
        Optional threshold in the raster's value units (e.g. 15 for slope in degrees). When given, the
        output has ``{name}_suitable_share``.

    Returns
    -------
    pandas.DataFrame
        One row per park, in the input order, with columns:

        - ``park_id``;
        - ``{name}_mean``: mean of the valid cells, each weighted by the fraction of it inside the park
          (raster value units);
        - ``{name}_min``, ``{name}_max``: extreme values of the valid cells the park touches, partially or
          wholly (raster value units);
        - ``{name}_coverage``: share (0..1) of the park's area covered by valid (non-nodata) cells; parts
          outside the raster or on nodata lower it;
        - ``{name}_suitable_share`` (only with ``suitable_below``): share (0..1) of the park's *valid* area
          whose value is ``< suitable_below``, weighted by cell coverage.

        A park that lies entirely outside the raster or on nodata gets NaN statistics and a coverage of 0.

    Raises
    ------
    FileNotFoundError
        ``raster`` does not exist.
    ValueError
        ``parks`` has no CRS, no ``park_id`` column or missing/non-polygon geometries; the raster has no CRS
        or is rotated; ``name`` is not a plain identifier.

    Notes
    -----
    Areas and weights are measured in the raster's CRS. For a geographic raster (e.g. EPSG:4490, degrees)
    cells are weighted by their share in degree², which differs from metric area weighting only by the
    change of cos(latitude) across one park (< 0.1 % for parks of a few km).
    """
    raster = Path(raster)
    if not _NAME.match(name):
        raise ValueError(f"zonal_stats: name {name!r} must be letters, digits and '_' (it prefixes column names)")
    _check_parks(parks)
    if not raster.is_file():
        raise FileNotFoundError(f"{raster}: raster file not found (fix: check the path in the scenario)")

    columns = ["park_id", f"{name}_mean", f"{name}_min", f"{name}_max", f"{name}_coverage"]
    if suitable_below is not None:
        columns.append(f"{name}_suitable_share")

    with rasterio.open(raster) as ds:
        if ds.crs is None:
            raise ValueError(
                f"{raster}: raster has no coordinate reference system, so the parks cannot be placed on it "
                f"(fix: assign the right one, e.g. `gdal_edit.py -a_srs EPSG:4490 {raster}`)"
            )
        raster_wkt = ds.crs.to_wkt()
        raster_crs = CRS.from_wkt(raster_wkt)
        a, b, _, d, e, _ = tuple(ds.transform)[:6]
        if b != 0 or d != 0:
            raise ValueError(f"{raster}: rotated rasters are not supported (fix: warp it to a north-up grid)")
        cell_area = abs(a * e)  # raster CRS units², e.g. m² or degree²

        polygons = parks[["park_id", parks.geometry.name]].copy()
        if not polygons.crs.equals(raster_crs, ignore_axis_order=True):
            polygons = polygons.to_crs(raster_crs)  # the polygons move, never the raster; exactly once
        # Same CRS now; label it with the raster's own WKT so exactextract sees an exact match.
        polygons = polygons.set_crs(raster_wkt, allow_override=True)
        polygons[_ROW] = np.arange(len(polygons))
        park_area = shapely.area(polygons.geometry.to_numpy())  # raster CRS units²

        ops: list = ["mean", "min", "max", "count"]
        if suitable_below is not None:
            ops.append(_suitable_op(float(suitable_below)))
        if len(polygons):
            stats = exact_extract(
                RasterioRasterSource(ds, 1),
                polygons[[_ROW, polygons.geometry.name]],
                ops,
                include_cols=[_ROW],
                output="pandas",
            )
        else:
            stats = pd.DataFrame(columns=[_ROW, "mean", "min", "max", "count", "suitable"])

    stats = stats.set_index(_ROW).reindex(np.arange(len(polygons)))
    valid_cells = stats["count"].to_numpy(dtype=float)  # coverage-weighted number of valid cells
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(park_area > 0, valid_cells * cell_area / park_area, 0.0)
    coverage = np.clip(np.nan_to_num(coverage, nan=0.0), 0.0, 1.0)

    out = pd.DataFrame({"park_id": parks["park_id"].to_numpy()})
    empty = valid_cells <= 0
    for stat in ("mean", "min", "max"):
        out[f"{name}_{stat}"] = np.where(empty, np.nan, stats[stat].to_numpy(dtype=float))
    out[f"{name}_coverage"] = coverage
    if suitable_below is not None:
        out[f"{name}_suitable_share"] = np.where(empty, np.nan, stats["suitable"].to_numpy(dtype=float))
    return out[columns]


def _suitable_op(threshold: float):
    """exactextract Python operation: coverage-weighted share of valid cells with value < ``threshold``."""

    def suitable(values: np.ma.MaskedArray, coverage: np.ndarray) -> float:
        data = np.ma.getdata(values).astype(float, copy=False)
        valid = ~np.ma.getmaskarray(values) & ~np.isnan(data)
        total = float(coverage[valid].sum())
        if total <= 0:
            return float("nan")
        return float(coverage[valid & (data < threshold)].sum()) / total

    return suitable


def _check_parks(parks: gpd.GeoDataFrame) -> None:
    """Raise ``ValueError`` if ``parks`` cannot be summarised (no CRS, no ``park_id``, bad geometries)."""
    if "park_id" not in parks.columns:
        raise ValueError("zonal_stats: parks need a 'park_id' column")
    if parks.crs is None:
        raise ValueError("zonal_stats: parks have no CRS (fix: set it when reading, e.g. .set_crs(4490))")
    geoms = parks.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms) | ~np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    if bad.any():
        ids = ", ".join(map(str, parks["park_id"].to_numpy()[bad][:10]))
        raise ValueError(f"zonal_stats: parks {ids} have a missing, empty or non-polygon geometry")
