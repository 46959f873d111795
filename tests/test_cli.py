"""The command line: exit codes and messages for good and bad input (every problem at once, no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Polygon

import cli

from .conftest import X0, Y0


def siting(*args, capsys) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def small(tiny):
    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=30)
    tiny.project("A", land_ha=60, output=100).project("B", land_ha=40, output=80)
    tiny.link("A", "B", 1000)
    return tiny


def test_validate_ok(tiny, capsys):
    code, out, _ = siting("validate", small(tiny).write(), capsys=capsys)
    assert code == 0
    assert "parks      2" in out and "OK" in out


def test_run_prints_folder_and_kpis(tmp_path, tiny, capsys):
    scenario = small(tiny).write()
    code, out, err = siting("run", scenario, "--out", tmp_path / "run1", "--solver", "highs",
                            "--time-limit", "10", capsys=capsys)
    assert code == 0, err
    assert f"run folder   {tmp_path / 'run1'}" in out
    assert "status       optimal (highs)" in out
    assert "placed       2 of 2" in out
    code, out, err = siting("run", scenario, "--out", tmp_path / "run1", capsys=capsys)
    assert code == 1 and "never overwrites" in err
    code, out, _ = siting("check", tmp_path / "run1", capsys=capsys)
    assert code == 0 and "OK" in out


def test_missing_file(tiny, capsys):
    scenario = small(tiny).write()
    (scenario.parent / "parks.gpkg").unlink()
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2
    assert "parks.gpkg" in err and "does not exist" in err


def test_missing_field_duplicate_id_unknown_chain_all_at_once(tiny, capsys):
    small(tiny).project("A", chain="spaceships")  # duplicate ID and unknown chain
    for park in tiny.parks:
        del park["tier"]
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2
    assert "field 'tier': required column is missing" in err
    assert "duplicate ID 'A'" in err and "rows 2, 4" in err
    assert "unknown chain 'spaceships'" in err or "parks.gpkg" in err  # chains are checked once the tables parse
    assert "Traceback" not in err


def test_unknown_chain_and_unknown_link_end(tiny, capsys):
    small(tiny).project("C", chain="spaceships").link("A", "ZZZ", 10)
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2
    assert "row 4 (project_id C): field 'chain': unknown chain 'spaceships'" in err
    assert "links.csv: row 3: field 'customer_id': unknown project 'ZZZ'" in err
    assert "2 problem(s)" in err


def test_bad_number_names_row_field_and_fix(tiny, capsys):
    small(tiny).project("C", land_ha="lots")
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2
    assert "row 4 (project_id C): field 'land_ha': value 'lots' is not a number; expected a number ≥ 0 in ha" in err
    assert "fix:" in err


def test_invalid_geometry(tiny, capsys):
    bowtie = Polygon([(X0, Y0), (X0 + 2000, Y0 + 2000), (X0 + 2000, Y0), (X0, Y0 + 2000)])
    small(tiny).parks[1]["geometry"] = bowtie
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2
    assert "feature 2 (park_id P2): field 'geometry': invalid geometry: Self-intersection" in err


def test_layer_without_crs(tiny, capsys):
    import geopandas as gpd

    scenario = small(tiny).write()
    parks = gpd.read_file(scenario.parent / "parks.gpkg")
    parks[["park_id", "name", "geometry"]].to_file(scenario.parent / "parks.shp", engine="pyogrio")
    (scenario.parent / "parks.prj").unlink()
    scenario.write_text(scenario.read_text().replace("parks.gpkg", "parks.shp"))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2
    assert "parks.shp: has no coordinate reference system (CRS)" in err


def test_committed_projects_that_cannot_all_fit(tmp_path, tiny, capsys):
    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=30)
    tiny.project("A", land_ha=60, status="committed", fixed_park="P1")
    tiny.project("B", land_ha=55, status="committed")  # fits P1 alone, not with A; too big for P2
    code, _, err = siting("run", tiny.write(), "--out", tmp_path / "r", capsys=capsys)
    assert code == 3
    assert "park P1 (园区P1) land (ha): short by 15 (needs 115, has 100) for committed or locked projects A, B" in err
    assert not (tmp_path / "r").exists()


def test_committed_project_with_no_eligible_park(tiny, capsys):
    tiny.park("P1", land_available_ha=10)
    tiny.project("A", land_ha=60, status="committed")
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2
    assert "project_id A" in err and "no eligible park" in err and "needs 60 ha of land" in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "x.yaml", "--gap", "2"])
    assert exc.value.code == 2
    assert "--gap" in capsys.readouterr().err


def test_console_script_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("layers: {parks: nowhere.gpkg}\nsurprise: 1\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "cli", "validate", str(bad)], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "field 'surprise': unknown key" in proc.stderr
    assert "nowhere.gpkg" in proc.stderr
    assert pd.notna(proc.stderr)


def test_explain_forces_bans_and_refuses(tmp_path, tiny, capsys):
    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=30)
    for pid, land, output in [("A", 60, 100), ("B", 50, 90), ("C", 40, 80), ("D", 30, 50)]:
        tiny.project(pid, land_ha=land, output=output)
    assert siting("run", tiny.write(), "--out", tmp_path / "r", capsys=capsys)[0] == 0  # optimum 230: A+C, D
    # forcing B into P1: B + C (90 ha) in P1, D in P2 = 220
    code, out, _ = siting("explain", tmp_path / "r", "--project", "B", "--park", "P1", capsys=capsys)
    assert code == 0
    assert "forcing B into P1" in out and "230.0 → 220.0 (-10.0" in out
    assert "A: P1 → not placed" in out
    # banning A from P1: A has nowhere else to go (P2 has 30 ha), B + C take P1: 220, A out
    code, out, _ = siting("explain", tmp_path / "r", "--project", "A", capsys=capsys)
    assert "banning A from P1" in out and "230.0 → 220.0" in out
    # an ineligible pair is explained by its rule, without solving
    code, out, _ = siting("explain", tmp_path / "r", "--project", "A", "--park", "P2", capsys=capsys)
    assert "cannot go to P2" in out and "land: needs 60 ha of land; the park has 30 ha free" in out
    # inputs changed since the run: refuse with exit 2
    projects = tmp_path / "region" / "projects.csv"
    projects.write_text(projects.read_text().replace("60", "61", 1))
    code, _, err = siting("explain", tmp_path / "r", "--project", "A", capsys=capsys)
    assert code == 2 and "changed since the run" in err


def test_unreadable_raster_and_empty_project_library(tiny, capsys):
    scenario = small(tiny).write()
    (scenario.parent / "fake.tif").write_text("not a raster")
    text = scenario.read_text()
    scenario.write_text(text.replace("layers:\n", "layers:\n  rasters: {slope: fake.tif}\n", 1))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "fake.tif: raster 'slope' could not be used" in err and "Traceback" not in err
    scenario.write_text(text)
    (scenario.parent / "projects.csv").write_text((scenario.parent / "projects.csv").read_text().splitlines()[0] + "\n")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "the project library has no rows" in err


def test_scenario_shape_errors_and_bad_override_values(tiny, capsys):
    scenario = small(tiny).write()
    text = scenario.read_text()
    scenario.write_text(text + "overrides: {projects.A.status: signed, parks.P1.tier: 国家级}\n")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2
    assert "field 'overrides.projects.A.status': value 'signed' is not allowed; expected one of candidate, committed" in err
    assert "overrides.parks.P1.tier" in err
    scenario.write_text(text.replace("layers:\n  parks: parks.gpkg\n  hubs: hubs.gpkg\n", "layers: [parks.gpkg]\n"))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "field 'layers': expected a mapping" in err and "Traceback" not in err


def test_row_numbers_count_blank_lines(tiny, capsys):
    scenario = small(tiny).project("C", land_ha="lots").write()
    path = scenario.parent / "projects.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", *lines[2:]]) + "\n")  # a blank line 3: C is on line 5
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "row 5 (project_id C): field 'land_ha'" in err and "1 problem(s)" in err
