"""Tiny hand-made regions: a few square parks near Zhengzhou whose optimum can be worked out on paper."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import LineString, Point, box

# EPSG:4547 = CGCS2000 / 3-degree Gauss-Kruger CM 114E; x ≈ 500 km at 114°E
X0, Y0 = 480_000.0, 3_850_000.0
KM = 1000.0

PARK_DEFAULTS = {
    "county": "中牟县", "tier": "national", "leading_chains": "", "land_available_ha": 100.0,
    "energy_quota_tce": 1e6, "emission_quota_t": 1e6, "max_chains": 5, "min_invest_intensity": 0.0,
    "chemical_park": False, "allowed_chains": "", "min_tax_per_mu": 0.0,
}
PROJECT_DEFAULTS = {
    "chain": "equipment", "stage": "manufacturing", "land_ha": 10.0, "energy_tce": 100.0, "emission_t": 100.0,
    "investment": 100000.0, "output": 0.0, "tax": 0.0, "jobs": 0, "needs_hub": "", "max_hub_minutes": "",
    "hazardous": False, "min_tier": "county", "source_county": "", "status": "candidate", "fixed_park": "",
    "forbidden_parks": "",
}


class TinyRegion:
    """Writes a region folder (parks.gpkg, hubs.gpkg, projects.csv, links.csv, scenario.yaml) from dicts.

    Parks are 2 km squares on a line, 20 km apart, with IDs P1, P2, ...; coordinates in EPSG:4547.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.parks: list[dict] = []
        self.projects: list[dict] = []
        self.links: list[dict] = []
        self.hubs: list[dict] = [{"hub_id": "H1", "name": "枢纽 Hub", "kind": "highway", "x": 0.0, "y": 5.0}]
        self.corridors: list[dict] = []
        self.exclusions: list[dict] = []  # {"kind": ..., "box": (x0, y0, x1, y1) in km from the origin}
        self.raster: tuple[str, list[list[float]], dict] | None = None  # (name, rows of values per 1 km cell, entry)
        self.settings: dict = {"name": "tiny", "solver": {"time_limit": 30}}

    def park(self, park_id: str, **attrs) -> TinyRegion:
        self.parks.append({"park_id": park_id, "name": f"园区{park_id}", **PARK_DEFAULTS, **attrs})
        return self

    def project(self, project_id: str, **attrs) -> TinyRegion:
        self.projects.append({"project_id": project_id, "name": f"项目{project_id}", **PROJECT_DEFAULTS, **attrs})
        return self

    def link(self, supplier: str, customer: str, value: float, max_minutes: float = 0) -> TinyRegion:
        self.links.append({"supplier_id": supplier, "customer_id": customer, "value": value,
                           "max_minutes": max_minutes})
        return self

    def write(self) -> Path:
        f = self.folder
        f.mkdir(parents=True, exist_ok=True)
        geoms = [p.get("geometry") or box(X0 + 20 * KM * n, Y0, X0 + 20 * KM * n + 2 * KM, Y0 + 2 * KM)
                 for n, p in enumerate(self.parks)]
        parks = pd.DataFrame([{k: v for k, v in p.items() if k != "geometry"} for p in self.parks])
        gpd.GeoDataFrame(parks, geometry=geoms, crs="EPSG:4547").to_file(f / "parks.gpkg", driver="GPKG")
        hubs = pd.DataFrame(self.hubs)
        hub_geoms = [Point(X0 + h["x"] * KM, Y0 + h["y"] * KM) for h in self.hubs]
        gpd.GeoDataFrame(hubs.drop(columns=["x", "y"]), geometry=hub_geoms, crs="EPSG:4547").to_file(
            f / "hubs.gpkg", driver="GPKG")
        pd.DataFrame(self.projects).to_csv(f / "projects.csv", index=False)
        pd.DataFrame(self.links, columns=["supplier_id", "customer_id", "value", "max_minutes"]).to_csv(
            f / "links.csv", index=False)
        settings = {
            "layers": {"parks": "parks.gpkg", "hubs": "hubs.gpkg"},
            "tables": {"projects": "projects.csv", "links": "links.csv"},
            "weights": {"output": 1.0, "tax": 0.0, "jobs": 0.0, "leading_chain": 0.0, "hub_access": 0.0, "belt": 0.0},
            **self.settings,
        }
        if self.corridors:
            lines = [LineString([(X0 + a * KM, Y0 + b * KM) for a, b in c.pop("coords")]) for c in self.corridors]
            gpd.GeoDataFrame(pd.DataFrame(self.corridors), geometry=lines, crs="EPSG:4547").to_file(
                f / "corridors.gpkg", driver="GPKG")
            settings["layers"]["corridors"] = "corridors.gpkg"
        if self.exclusions:
            geoms = [box(*(X0 + e["box"][0] * KM, Y0 + e["box"][1] * KM, X0 + e["box"][2] * KM, Y0 + e["box"][3] * KM))
                     for e in self.exclusions]
            gpd.GeoDataFrame(pd.DataFrame([{"kind": e["kind"]} for e in self.exclusions]), geometry=geoms,
                             crs="EPSG:4547").to_file(f / "exclusions.gpkg", driver="GPKG")
            settings["layers"]["exclusions"] = "exclusions.gpkg"
        if self.raster:
            import numpy as np
            import rasterio
            from affine import Affine

            name, values, entry = self.raster
            data = np.array(values, dtype="float32")[::-1]  # rows given bottom-up (y grows), stored top-down
            transform = Affine(KM, 0, X0, 0, -KM, Y0 + data.shape[0] * KM)
            with rasterio.open(f / f"{name}.tif", "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                               count=1, dtype="float32", crs="EPSG:4547", transform=transform, nodata=-9999) as dst:
                dst.write(data, 1)
            settings["layers"]["rasters"] = {name: {"file": f"{name}.tif", **entry}}
        path = f / "scenario.yaml"
        path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Travel-time caches go to a temporary folder, never the user's home."""
    monkeypatch.setenv("SITING_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def tiny(tmp_path: Path) -> TinyRegion:
    return TinyRegion(tmp_path / "region")
