"""Exclusion-zone overlay on 2 km square parks in EPSG:4547 whose excluded areas are worked out on paper."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from layers.exclusions import effective_land, exclusion_overlay

X0, Y0 = 480_000.0, 3_850_000.0  # EPSG:4547 (CGCS2000 GK CM 114°E), metres
DEMO = Path(__file__).resolve().parents[1] / "data" / "gis" / "demo"


def sq(x0: float, y0: float, x1: float, y1: float):
    """A box in metres relative to (X0, Y0)."""
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture
def parks() -> gpd.GeoDataFrame:
    # P1 and P2: 2 km × 2 km = 400 ha each; P3 far from every exclusion.
    return gpd.GeoDataFrame(
        {"park_id": ["P1", "P2", "P3"]},
        geometry=[sq(0, 0, 2000, 2000), sq(3000, 0, 5000, 2000), sq(20_000, 0, 22_000, 2000)],
        crs="EPSG:4547",
    )


@pytest.fixture
def exclusions() -> gpd.GeoDataFrame:
    rows = [
        # Redline over the left half of P1 (1 km × 2 km = 200 ha), sticking out west of the park.
        ("ecological_redline", sq(-500, 0, 1000, 2000)),
        # Farmland x 750–1100: 50 ha inside the redline half, 20 ha east of it.
        ("basic_farmland", sq(750, 0, 1100, 2000)),
        # A second farmland polygon inside the first: same kind, must not be counted twice.
        ("basic_farmland", sq(1000, 0, 1100, 1000)),
        # Urban boundary over P2's north-east corner: 500 m × 500 m = 25 ha inside the park.
        ("urban_boundary", sq(4500, 1500, 6000, 3000)),
    ]
    return gpd.GeoDataFrame({"kind": [k for k, _ in rows]}, geometry=[g for _, g in rows], crs="EPSG:4547")


def test_areas_per_kind_and_overlap_counted_once(parks, exclusions):
    out = exclusion_overlay(parks, exclusions)
    assert list(out.columns) == [
        "park_id", "area_ha", "excluded_ha_basic_farmland", "excluded_ha_ecological_redline",
        "excluded_ha_urban_boundary", "excluded_ha", "usable_ha",
    ]
    out = out.set_index("park_id")
    expected = pd.DataFrame(
        {
            "area_ha": [400.0, 400.0, 400.0],
            "excluded_ha_basic_farmland": [70.0, 0.0, 0.0],
            "excluded_ha_ecological_redline": [200.0, 0.0, 0.0],
            "excluded_ha_urban_boundary": [0.0, 25.0, 0.0],
            "excluded_ha": [220.0, 25.0, 0.0],  # 200 + 70 − 50 overlap
            "usable_ha": [180.0, 375.0, 400.0],
        },
        index=pd.Index(["P1", "P2", "P3"], name="park_id"),
    )
    pd.testing.assert_frame_equal(out, expected, rtol=1e-9, atol=1e-9)


def test_input_order_is_kept(parks, exclusions):
    shuffled = parks.iloc[[2, 0, 1]]
    out = exclusion_overlay(shuffled, exclusions)
    assert out["park_id"].tolist() == ["P3", "P1", "P2"]
    assert out["excluded_ha"].tolist() == pytest.approx([0.0, 220.0, 25.0])


def test_no_exclusions_leaves_everything_usable(parks):
    for empty in (gpd.GeoDataFrame({"kind": []}, geometry=[], crs="EPSG:4547"),
                  gpd.GeoDataFrame(geometry=[])):
        out = exclusion_overlay(parks, empty)
        assert list(out.columns) == ["park_id", "area_ha", "excluded_ha", "usable_ha"]
        assert out["excluded_ha"].tolist() == [0.0, 0.0, 0.0]
        np.testing.assert_allclose(out["usable_ha"], out["area_ha"])


def test_invalid_exclusion_polygon_is_repaired(parks):
    # A self-intersecting "bowtie" across P3: two triangles of 100 ha each.
    bowtie = Polygon([(X0 + 20_000, Y0), (X0 + 22_000, Y0 + 2000), (X0 + 22_000, Y0), (X0 + 20_000, Y0 + 2000)])
    assert not bowtie.is_valid
    excl = gpd.GeoDataFrame({"kind": ["basic_farmland"]}, geometry=[bowtie], crs="EPSG:4547")
    out = exclusion_overlay(parks, excl).set_index("park_id")
    assert out.loc["P3", "excluded_ha"] == pytest.approx(200.0)
    assert out.loc["P3", "usable_ha"] == pytest.approx(200.0)


def test_crs_mismatch_is_refused(parks, exclusions):
    with pytest.raises(ValueError, match="reproject"):
        exclusion_overlay(parks, exclusions.set_crs(4548, allow_override=True))


def test_geographic_crs_is_refused(parks, exclusions):
    with pytest.raises(ValueError, match=r"projected CRS in metres.*reproject"):
        exclusion_overlay(parks.to_crs(4490), exclusions.to_crs(4490))


def test_missing_kind_column(parks):
    excl = gpd.GeoDataFrame({"name": ["x"]}, geometry=[sq(0, 0, 10, 10)], crs="EPSG:4547")
    with pytest.raises(ValueError, match="'kind'"):
        exclusion_overlay(parks, excl)


def test_effective_land_is_the_smaller():
    index = pd.Index(["P1", "P2", "P3", "P4"], name="park_id")
    land = pd.Series([100.0, 300.0, np.nan, 50.0], index=index)
    usable = pd.Series([180.0, 120.0, 90.0, np.nan], index=index)
    out = effective_land(land, usable)
    assert out.name == "effective_land_ha"
    # P3: unknown free land stays unknown; P4: no overlay result keeps the declared land.
    pd.testing.assert_series_equal(out, pd.Series([100.0, 120.0, np.nan, 50.0], index=index,
                                                  name="effective_land_ha"))


def test_effective_land_needs_aligned_indexes():
    with pytest.raises(ValueError, match="same index"):
        effective_land(pd.Series([1.0], index=["P1"]), pd.Series([1.0], index=["P2"]))


@pytest.mark.skipif(not (DEMO / "exclusions.shp").exists(), reason="demo data not generated")
def test_demo_exclusions():
    demo_parks = gpd.read_file(DEMO / "parks.gpkg").to_crs(4547)
    excl = gpd.read_file(DEMO / "exclusions.shp")
    out = exclusion_overlay(demo_parks, excl)
    assert out["park_id"].tolist() == demo_parks["park_id"].tolist()
    assert (out["excluded_ha"] <= out["area_ha"] + 1e-9).all()
    assert (out["usable_ha"] >= 0).all()
    kinds = [c for c in out.columns if c.startswith("excluded_ha_")]
    assert (out["excluded_ha"] <= out[kinds].sum(axis=1) + 1e-9).all()
    assert (out["excluded_ha"] >= out[kinds].max(axis=1) - 1e-9).all()
