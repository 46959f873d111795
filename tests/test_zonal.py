"""Zonal statistics on tiny hand-made GeoTIFFs whose coverage-weighted answers are worked out on paper.

The raster: 10 × 10 cells of 100 m in EPSG:4547, columns 0–4 hold 0 and columns 5–9 hold 10, and a nodata
block (-9999) in rows 7–9, columns 0–2. Polygons are given in cell units (column, row from the top) so each
expected value can be checked by counting half and whole cells.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from layers.zonal import zonal_stats

X0, Y0, CELL = 500_000.0, 3_850_000.0, 100.0  # top-left corner, EPSG:4547 (CGCS2000 GK CM 114°E)
NODATA = -9999.0
DEMO = Path(__file__).resolve().parents[1] / "data" / "gis" / "demo"


def cells(c0: float, r0: float, c1: float, r1: float):
    """A box from column c0 to c1 and row r0 to r1 (rows counted down from the top edge), in EPSG:4547."""
    return box(X0 + c0 * CELL, Y0 - r1 * CELL, X0 + c1 * CELL, Y0 - r0 * CELL)


def write_raster(path: Path, *, crs: str | None = "EPSG:4547", bands: int = 1) -> Path:
    values = np.zeros((10, 10), dtype="float32")
    values[:, 5:] = 10.0
    values[7:, :3] = NODATA
    # Affine built directly: rasterio.transform.from_origin multiplies Affines with `*`, which affine 3
    # reports as a PendingDeprecationWarning.
    transform = Affine(CELL, 0.0, X0, 0.0, -CELL, Y0)
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=bands, dtype="float32",
                       crs=crs, transform=transform, nodata=NODATA) as dst:
        dst.write(values, 1)
        for band in range(2, bands + 1):
            dst.write(np.full((10, 10), 99.0, dtype="float32"), band)
    return path


def parks(*geoms, crs="EPSG:4547") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"park_id": [f"P{i + 1}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs)


@pytest.fixture
def raster(tmp_path: Path) -> Path:
    return write_raster(tmp_path / "values.tif")


def test_partial_cells_are_weighted_by_coverage(raster):
    # Columns 3.5–5.5 over rows 1.5–2.5: 1.5 cells' worth of 0 and 0.5 of 10 → mean 2.5.
    out = zonal_stats(parks(cells(3.5, 1.5, 5.5, 2.5)), raster, name="v")
    assert list(out.columns) == ["park_id", "v_mean", "v_min", "v_max", "v_coverage"]
    row = out.iloc[0]
    assert row["park_id"] == "P1"
    assert row["v_mean"] == pytest.approx(2.5, abs=1e-9)
    assert row["v_min"] == 0.0
    assert row["v_max"] == 10.0
    assert row["v_coverage"] == pytest.approx(1.0, abs=1e-9)


def test_nodata_is_ignored_and_lowers_coverage(raster):
    # Row 8, columns 1.5–5.5: 0.5 nodata (col 1) + 1 nodata (col 2) + 2 zeros (cols 3–4) + 0.5 of 10 (col 5).
    out = zonal_stats(parks(cells(1.5, 8, 5.5, 9)), raster, name="v", suitable_below=5)
    row = out.iloc[0]
    assert row["v_mean"] == pytest.approx(5.0 / 2.5, abs=1e-9)  # not dragged towards -9999 or 0
    assert row["v_min"] == 0.0
    assert row["v_max"] == 10.0
    assert row["v_coverage"] == pytest.approx(2.5 / 4.0, abs=1e-9)
    assert row["v_suitable_share"] == pytest.approx(2.0 / 2.5, abs=1e-9)  # of the valid area only


def test_suitable_share(raster):
    out = zonal_stats(parks(cells(3.5, 1.5, 5.5, 2.5), cells(0, 0, 2, 2), cells(6, 0, 8, 2)),
                      raster, name="slope", suitable_below=5.0)
    assert list(out.columns) == ["park_id", "slope_mean", "slope_min", "slope_max", "slope_coverage",
                                 "slope_suitable_share"]
    assert out["slope_suitable_share"].tolist() == pytest.approx([0.75, 1.0, 0.0], abs=1e-9)
    # "below" is strict: a threshold equal to the value does not count it as suitable.
    strict = zonal_stats(parks(cells(6, 0, 8, 2)), raster, name="slope", suitable_below=10.0)
    assert strict["slope_suitable_share"].iloc[0] == 0.0


def test_park_crossing_the_raster_edge(raster):
    out = zonal_stats(parks(cells(9.5, 0, 10.5, 1)), raster, name="v")
    assert out["v_mean"].iloc[0] == pytest.approx(10.0)
    assert out["v_coverage"].iloc[0] == pytest.approx(0.5, abs=1e-9)


def test_park_outside_raster_or_on_nodata_gets_nan_and_zero_coverage(raster):
    out = zonal_stats(parks(cells(20, 20, 22, 22), cells(0.2, 7.2, 2.8, 9.8), cells(3.5, 1.5, 5.5, 2.5)),
                      raster, name="v", suitable_below=5)
    assert out["park_id"].tolist() == ["P1", "P2", "P3"]  # input order kept
    for i in (0, 1):
        assert out.loc[i, ["v_mean", "v_min", "v_max", "v_suitable_share"]].isna().all()
        assert out.loc[i, "v_coverage"] == 0.0
    assert out.loc[2, "v_mean"] == pytest.approx(2.5)


def test_polygons_in_another_crs_are_reprojected(raster):
    here = parks(cells(3.5, 1.5, 5.5, 2.5), cells(1.5, 8, 5.5, 9))
    expected = zonal_stats(here, raster, name="v", suitable_below=5)
    for epsg in (4490, 4326):
        moved = here.to_crs(epsg)
        got = zonal_stats(moved, raster, name="v", suitable_below=5)
        assert moved.crs.to_epsg() == epsg  # the caller's frame is left alone
        for column in ["v_mean", "v_coverage", "v_suitable_share"]:
            np.testing.assert_allclose(got[column], expected[column], rtol=1e-6)


def test_geographic_raster_with_projected_parks(tmp_path):
    """The other way round: the raster in EPSG:4490 (degrees), the parks in EPSG:4547 (metres)."""
    path = tmp_path / "geo.tif"
    values = np.zeros((20, 20), dtype="float32")
    values[:, 10:] = 10.0
    transform = Affine(0.01, 0.0, 113.9, 0.0, -0.01, 34.8)
    with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=1, dtype="float32",
                       crs="EPSG:4490", transform=transform, nodata=NODATA) as dst:
        dst.write(values, 1)
    # A park straddling 114.0°E (the 0/10 boundary) symmetrically: mean ≈ 5, fully covered.
    park = gpd.GeoDataFrame({"park_id": ["P1"]}, geometry=[box(113.98, 34.70, 114.02, 34.74)], crs=4490)
    out = zonal_stats(park.to_crs(4547), path, name="v")
    assert out["v_mean"].iloc[0] == pytest.approx(5.0, rel=1e-3)
    assert out["v_coverage"].iloc[0] == pytest.approx(1.0, abs=1e-6)


def test_raster_without_crs_names_the_file_and_the_fix(tmp_path):
    path = write_raster(tmp_path / "no_crs.tif", crs=None)
    with pytest.raises(ValueError, match="no coordinate reference system") as info:
        zonal_stats(parks(cells(1, 1, 2, 2)), path, name="v")
    assert str(path) in str(info.value)
    assert "gdal_edit.py -a_srs" in str(info.value)


def test_missing_raster_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.tif"):
        zonal_stats(parks(cells(1, 1, 2, 2)), tmp_path / "nope.tif", name="v")


def test_parks_without_crs_are_refused(raster):
    with pytest.raises(ValueError, match="no CRS"):
        zonal_stats(parks(cells(1, 1, 2, 2), crs=None), raster, name="v")


def test_multiband_raster_uses_band_1(tmp_path):
    path = write_raster(tmp_path / "two.tif", bands=2)
    out = zonal_stats(parks(cells(3.5, 1.5, 5.5, 2.5)), path, name="v")
    assert list(out.columns) == ["park_id", "v_mean", "v_min", "v_max", "v_coverage"]
    assert out["v_mean"].iloc[0] == pytest.approx(2.5)


def test_no_parks_gives_empty_frame(raster):
    out = zonal_stats(parks(), raster, name="v", suitable_below=5)
    assert isinstance(out, pd.DataFrame)
    assert len(out) == 0
    assert list(out.columns) == ["park_id", "v_mean", "v_min", "v_max", "v_coverage", "v_suitable_share"]


@pytest.mark.skipif(not (DEMO / "slope.tif").exists(), reason="demo data not generated")
def test_demo_slope_per_park():
    demo_parks = gpd.read_file(DEMO / "parks.gpkg")
    out = zonal_stats(demo_parks, DEMO / "slope.tif", name="slope", suitable_below=15)
    assert out["park_id"].tolist() == demo_parks["park_id"].tolist()
    assert out["slope_coverage"].between(0, 1).all()
    valid = out["slope_coverage"] > 0
    assert valid.any()
    assert (out.loc[valid, "slope_min"] <= out.loc[valid, "slope_mean"] + 1e-9).all()
    assert (out.loc[valid, "slope_mean"] <= out.loc[valid, "slope_max"] + 1e-9).all()
    assert out.loc[valid, "slope_suitable_share"].between(0, 1).all()
