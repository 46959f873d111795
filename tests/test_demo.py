"""The bundled demo region end to end, through the CLI, checked by the independent checker."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pandas as pd
import pytest

import cli
import siting
from siting.check import check_run

DEMO = siting.DEMO_SCENARIO
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "run"
    assert cli.main(["demo", "--out", str(out), "-q"]) == 0
    return out


def test_demo_data_is_what_the_data_readme_promises():
    region, eligibility = siting.prepare(DEMO)
    assert len(region.parks) >= 30 and len(region.hubs) >= 12 and len(region.corridors) == 6
    assert set(region.hubs["kind"]) == {"airport_cargo", "rail_freight", "hsr", "inland_port", "highway"}
    assert len(region.projects) == 200 and region.projects["chain"].nunique() >= 10
    assert len(region.links) == 300 and len(region.exclusions) > 0
    assert region.projects["land_ha"].between(2, 60).all()
    assert (region.projects["status"] == "committed").sum() == 15
    assert region.projects["hazardous"].any() and region.parks["chemical_park"].any()
    assert len(eligibility.mandatory) == 15
    assert region.work_crs.to_epsg() == 4547


def test_demo_runs_end_to_end_and_passes_the_checker(demo_run):
    assert check_run(demo_run) == []
    summary = json.loads((demo_run / "summary.json").read_text(encoding="utf-8"))
    sol, kpis = summary["solution"], summary["kpis"]
    assert sol["status"] in {"optimal", "feasible"}
    assert sol["bound"] >= sol["objective"] >= sol["greedy_objective"]
    assert kpis["placed_committed"] == 15
    assert 0 < kpis["land_used_ha"] <= kpis["land_free_ha"]
    assert kpis["local_supply_rate"] is not None
    unplaced = pd.read_csv(demo_run / "unplaced.csv")
    assert len(unplaced) + kpis["placed_projects"] == 200
    assert unplaced["reason"].str.len().gt(0).all()
    for name in ("map.html", "results.gpkg", "shp/parks.shp", "shp/projects.cpg", "manifest.json"):
        assert (demo_run / name).exists()


def test_every_csv_column_of_the_demo_is_described_with_its_unit(demo_run):
    from siting.columns import unknown_columns

    dictionary = pd.read_csv(demo_run / "columns.csv", keep_default_na=False)
    written = {(f, c) for f in dictionary["file"].unique() for c in pd.read_csv(demo_run / f, nrows=0).columns}
    assert written == set(zip(dictionary["file"], dictionary["column"], strict=True))
    assert len(written) > 100 and set(dictionary["file"]) >= {"assignments.csv", "parks.csv", "shadow_prices.csv"}
    assert unknown_columns(dictionary) == []
    row = dictionary.set_index(["file", "column"])
    assert row.loc[("assignments.csv", "tax"), "unit"] == "万元/yr"
    assert row.loc[("parks.csv", "slope_suitable_share"), "unit"] == "0–1"  # a raster's column, by its name
    assert row.loc[("parks.csv", "excluded_ha_basic_farmland"), "unit"] == "ha"
    assert row.loc[("links.csv", "value"), "含义"] == "关联价值"
    assert row.loc[("assignments.csv", "name_en"), "meaning"] == "copied from the input as given"


def test_energy_quota_scenario_uses_less_energy(demo_run, tmp_path):
    scenario = DEMO.parent / "energy-minus-10.yaml"
    assert cli.main(["run", str(scenario), "--out", str(tmp_path / "e"), "--time-limit", "10", "-q"]) == 0
    assert check_run(tmp_path / "e") == []
    base = pd.read_csv(demo_run / "parks.csv").set_index("park_id")
    tight = pd.read_csv(tmp_path / "e" / "parks.csv").set_index("park_id")
    assert tight["energy_quota"].to_numpy() == pytest.approx(base["energy_quota"].to_numpy() * 0.9)
    assert (tight["energy_used"] <= tight["energy_quota"] + 1e-6).all()


def test_walkthrough_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("SITING_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("SITING_NOTEBOOK_TIME_LIMIT", "5")
    runpy.run_path(str(Path(__file__).parent.parent / "notebooks" / "01_demo_walkthrough.py"), run_name="__main__")
    assert (tmp_path / "walkthrough-run" / "map.html").exists()
