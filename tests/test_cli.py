"""The command line: exit codes and messages for good and bad input (every problem at once, no traceback)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Polygon

import cli
from siting import load_region, load_scenario

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


def test_validate_names_what_the_scenario_adds(tiny, capsys):
    small(tiny).settings.update(locks=[{"project": "A", "park": "P1"}], overrides={"parks.P1.land_available_ha": "x0.9"})
    code, out, _ = siting("validate", tiny.write(), capsys=capsys)
    assert code == 0
    assert "locks      1 locked and 0 forbidden pairs in the scenario" in out
    assert "overrides  1: parks.P1.land_available_ha x0.9" in out and "counties   " not in out


def test_scenario_mistakes_an_officer_makes(tiny, capsys):
    """Each is exit 2 naming the file and key, with a fix; found by a helper running scenarios for a week."""
    scenario = small(tiny).write()
    text = scenario.read_text(encoding="utf-8")
    folder = scenario.parent
    # an outline cannot be overridden (it crashed with a TypeError); true is not a number of parks
    scenario.write_text(text + "overrides: {parks.P1.geometry: x2}\n"
                        "model: {max_parks_per_chain: true}\n", encoding="utf-8")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err and "2 problem(s)" in err
    assert "field 'overrides.parks.P1.geometry': the park's outline cannot be overridden" in err
    assert "field 'model.max_parks_per_chain': expected a whole number ≥ 1" in err and "null (or leave it out)" in err
    # a missing parent is named by the file that extends it; a list is not a path
    (folder / "child.yaml").write_text("extends: gone.yaml\n", encoding="utf-8")
    code, _, err = siting("validate", folder / "child.yaml", capsys=capsys)
    assert code == 2 and f"child.yaml: field 'extends': the scenario it extends, {folder / 'gone.yaml'}, was not found" in err
    (folder / "child.yaml").write_text("extends: [a.yaml]\n", encoding="utf-8")
    code, _, err = siting("validate", folder / "child.yaml", capsys=capsys)
    assert code == 2 and "field 'extends': expected the path of one scenario file, got ['a.yaml']" in err
    # a value an override sets that a reference check finds wrong is the override's problem, not the table's
    scenario.write_text(text + "overrides: {projects.A.fixed_park: P9, parks.P1.leading_chains: nevv}\n",
                        encoding="utf-8")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "projects.csv" not in err and "parks.gpkg" not in err
    assert (f"{scenario}: project_id A: field 'overrides.projects.A.fixed_park': unknown park 'P9', the value this "
            "override sets (fix: use a park_id of the parks layer)") in err
    assert f"{scenario}: park_id P1: field 'overrides.parks.P1.leading_chains': unknown chain 'nevv'" in err
    # a mistake in a file that another extends is reported against the file that has it
    scenario.write_text(text, encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "c1.yaml").write_text("extends: scenario.yaml\nwieghts: {output: 1}\noverrides: {energy_quota: '10%'}\n",
                                    encoding="utf-8")
    (folder / "c2.yaml").write_text("extends: c1.yaml\nlocks: [{project: A, park: P77}]\n", encoding="utf-8")
    (folder / "sub" / "c3.yaml").write_text("extends: ../c2.yaml\nweights: {tax: -1}\n", encoding="utf-8")
    code, _, err = siting("validate", folder / "sub" / "c3.yaml", capsys=capsys)
    assert code == 2 and "4 problem(s)" in err
    assert f"{folder / 'c1.yaml'}: field 'wieghts': unknown key" in err
    assert f"{folder / 'c1.yaml'}: field 'overrides.energy_quota': a percentage needs a sign" in err
    assert f"{folder / 'c2.yaml'}: locks entry 1: field 'park': unknown park 'P77'" in err
    assert f"{folder / 'sub' / 'c3.yaml'}: field 'weights.tax': expected a number ≥ 0, got -1" in err
    # every key written twice is named (PyYAML would keep the last silently; only the first was named)
    (folder / "dup.yaml").write_text("extends: scenario.yaml\nname: a\nname: b\nsolver: {gap: 0.1, gap: 0.2}\n",
                                     encoding="utf-8")
    code, _, err = siting("validate", folder / "dup.yaml", capsys=capsys)
    assert code == 2 and "2 problem(s)" in err
    assert f"{folder / 'dup.yaml'}: line 3: field 'name': key 'name' appears twice in one mapping" in err
    assert f"{folder / 'dup.yaml'}: line 4: field 'gap': key 'gap' appears twice" in err
    # tabs: YAML's own message, and the fix says why
    (folder / "tabs.yaml").write_text("name: t\nsolver:\n\tname: highs\n", encoding="utf-8")
    code, _, err = siting("validate", folder / "tabs.yaml", capsys=capsys)
    assert code == 2 and "(fix: indent with spaces, not tabs)" in err


def test_scenario_numbers_are_read_as_yaml_1_2_does():
    """010 is ten (YAML 1.1 read eight) and 5:00 is text (YAML 1.1 read 300, sexagesimal)."""
    import yaml

    from siting.scenario import _StrictLoader

    values = yaml.load("a: 010\nb: 5:00\nc: 0x10\nd: 1_000\ne: -2.5e1\nf: .5\ng: .\nh: 3.\ni: -.inf\n",
                       Loader=_StrictLoader)
    assert values == {"a": 10, "b": "5:00", "c": 16, "d": 1000, "e": -25.0, "f": 0.5, "g": ".", "h": 3.0,
                      "i": float("-inf")}


def test_run_prints_folder_and_kpis(tmp_path, tiny, capsys):
    scenario = small(tiny).write()
    code, out, err = siting("run", scenario, "--out", tmp_path / "run1", "--solver", "highs",
                            "--time-limit", "10", capsys=capsys)
    assert code == 0, err
    assert f"run folder   {tmp_path / 'run1'}" in out
    assert "status       optimal (highs)" in out
    assert "budget       proven within the gap: the same plan on any machine" in out
    assert "placed       2 of 2" in out
    code, out, err = siting("run", scenario, "--out", tmp_path / "run1", capsys=capsys)
    assert code == 1 and "never overwrites" in err
    code, out, _ = siting("check", tmp_path / "run1", capsys=capsys)
    assert code == 0 and "OK" in out
    assert "  - 2 placed and 0 unplaced projects" in out and "  - 1 supplier links" in out
    assert "in 2 parks within their quotas" in out


def test_quiet_prints_only_problems_and_the_run_folder(tmp_path, tiny, capsys):
    scenario = small(tiny).write()
    assert siting("validate", "-q", scenario, capsys=capsys) == (0, "", "")
    code, out, err = siting("run", "-q", scenario, "--out", tmp_path / "r", "--solver", "highs", capsys=capsys)
    assert (code, out, err) == (0, f"run folder   {tmp_path / 'r'}\n", "")
    assert siting("check", "-q", tmp_path / "r", capsys=capsys) == (0, "", "")
    (scenario.parent / "parks.gpkg").unlink()
    code, out, err = siting("validate", "-q", scenario, capsys=capsys)
    assert code == 2 and out == "" and "parks.gpkg" in err


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
    assert "row 4 (project_id C): field 'land_ha': value 'lots' is not a number; expected a number > 0 in ha" in err
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
    # P1 would take A with 50 ha more land; P2 (too small too) needs less growth but does not accept A's chain
    tiny.park("P1", land_available_ha=10).park("P2", land_available_ha=40, allowed_chains="food")
    tiny.park("P3", land_available_ha=5, energy_quota_tce=100)
    tiny.project("A", land_ha=60, energy_tce=500, status="committed")
    tiny.project("B", land_ha=5, status="committed")
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 3  # the committed set cannot be placed: not bad input
    lines = [line for line in err.splitlines() if line.startswith("  - ")]
    assert lines[0] == "  - committed (or locked) project A fits no park alone; park P1 (园区P1) would take it if it had more: land short by 50 ha (needs 60, has 10 free)"
    # P3 needs 11 times its land and 4 times its energy: listed after P1 (5 times its land)
    assert lines[1] == ("  - committed (or locked) project A fits no park alone; park P3 (园区P3) would take it if it had more: energy short by 400 tce/yr "
                        "(needs 500, has 100 free); land short by 55 ha (needs 60, has 5 free)")
    assert lines[2].startswith("  - committed (or locked) project A fits no park alone; 1 park(s) ruled out by a rule "
                               "(chain 1) — P2: park accepts only food")
    assert len(lines) == 3 and "project B" not in err  # B fits


def test_committed_project_fixed_to_a_park_that_rules_it_out(tiny, capsys):
    tiny.park("P1", allowed_chains="food").park("P2", land_available_ha=10)
    tiny.project("A", status="committed", fixed_park="P1")
    tiny.project("B", land_ha=20, status="committed", fixed_park="P2")
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 3
    # only the fixed park's reasons count: the others are out because the project is fixed elsewhere
    assert ("project A fits no park alone; it is fixed to park P1 by its fixed_park, and P1 rules it out — P1: park "
            "accepts only food; project chain is equipment") in err
    assert ("project B fits no park alone; it is fixed to park P2 by its fixed_park; park P2 (园区P2) would take it "
            "if it had more: land short by 10 ha (needs 20, has 10 free)") in err
    assert err.count("\n  - ") == 2


def test_committed_project_ruled_out_everywhere(tiny, capsys):
    tiny.park("P1", allowed_chains="food").park("P2", allowed_chains="food")
    tiny.project("A", status="committed")
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 3
    assert "project A fits no park alone; 2 park(s) ruled out by a rule (chain 2) — P1: park accepts only food" in err
    assert "set its status to candidate" in err


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
    # forcing B to be placed: only P1 can take it (50 ha); evicting C (the lowest scorer) is not enough, so A goes
    # too, and C comes back: B + C in P1, D in P2 = 220
    code, out, _ = siting("explain", tmp_path / "r", "--project", "B", capsys=capsys)
    assert "simplest change 最小调整: B into P1, evicting A (from P1): objective 230.0 → 220.0 (-10.0)" in out
    assert "forcing B to be placed (强制落地): objective 230.0 → 220.0 (-10.0; proven)" in out
    # an ineligible pair is explained by its rule, without solving
    code, out, _ = siting("explain", tmp_path / "r", "--project", "A", "--park", "P2", capsys=capsys)
    assert "cannot go to P2" in out and "land: needs 60 ha of land; the park has 30 ha free" in out
    code, out, _ = siting("explain", tmp_path / "r", "--project", "A", "--park", "P1", capsys=capsys)
    assert code == 0 and "A is already in P1 (已位于 P1); ask with another --park" in out
    # inputs changed since the run: refuse with exit 2
    projects = tmp_path / "region" / "projects.csv"
    projects.write_text(projects.read_text().replace("60", "61", 1))
    code, _, err = siting("explain", tmp_path / "r", "--project", "A", capsys=capsys)
    assert code == 2 and "changed since the run" in err


def test_explain_refuses_a_run_whose_plan_was_edited(tmp_path, tiny, capsys):
    """A row of assignments.csv deleted, or a project moved to a park it cannot go to: explain answered about the
    edited plan (exit 0), or blamed the solver (exit 1). It is a damaged run folder (exit 2), as for compare."""
    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=30)
    for pid, land, output in [("A", 60, 100), ("C", 40, 80), ("D", 30, 50)]:
        tiny.project(pid, land_ha=land, output=output)
    assert siting("run", tiny.write(), "--out", tmp_path / "r", capsys=capsys)[0] == 0
    path = tmp_path / "r" / "assignments.csv"
    original = path.read_text(encoding="utf-8-sig")
    lines = original.splitlines()
    row = next(n for n, line in enumerate(lines) if line.startswith("D,"))
    path.write_text("\n".join(lines[:row] + lines[row + 1:]) + "\n", encoding="utf-8-sig")
    code, _, err = siting("explain", tmp_path / "r", "--project", "D", capsys=capsys)
    assert code == 2 and "its plan scores 180.0, but summary.json says the run's plan scored 230" in err
    assert "the run folder is damaged or was edited" in err
    path.write_text(original.replace(",P1,", ",P2,", 1), encoding="utf-8-sig")  # A (60 ha) into P2 (30 ha)
    code, _, err = siting("explain", tmp_path / "r", "--project", "D", capsys=capsys)
    assert code == 2 and "not eligible" in err and "solver failed" not in err
    path.write_text(original, encoding="utf-8-sig")
    assert siting("explain", tmp_path / "r", "--project", "D", capsys=capsys)[0] == 0


def test_explain_shows_the_scores_here_and_there(tmp_path, tiny, capsys):
    # weights: output 1, leading chain 0.5. A (nev, output 100) scores 150 in P1 (nev leads there), 100 in P2 and
    # P3; the run puts it in P1. Forced into P2 it loses 50
    tiny.park("P1", leading_chains="nev").park("P2").park("P3")
    tiny.project("A", chain="nev", output=100)
    tiny.settings["weights"] = {"output": 1.0, "tax": 0.0, "jobs": 0.0, "leading_chain": 0.5, "hub_access": 0.0,
                                "belt": 0.0}
    assert siting("run", tiny.write(), "--out", tmp_path / "r", capsys=capsys)[0] == 0
    code, out, _ = siting("explain", tmp_path / "r", "--project", "A", "--park", "P2", capsys=capsys)
    assert code == 0
    assert "150.0 → 100.0 (-50.0; proven)" in out
    assert "eligible in 3 parks, best 150.0 in P1" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  ")}
    assert rows["value"] == ["100.0", "100.0"]
    assert rows["leading_bonus"] == ["50.0", "0.0"]
    assert rows["score"] == ["150.0", "100.0"]
    assert rows["rank"] == ["排名", "1", "of", "3", "2", "of", "3"]
    assert "park P2 (A goes here in the variant" in out and "park P1 (A's park in the run" in out
    assert "hub_bonus" not in rows  # a term that is 0 everywhere is left out


def test_explain_names_the_county_cap_that_a_forced_pair_breaks(tmp_path, tiny, capsys):
    """P2 lies in B县, whose county energy cap is 50 tce/yr: X (100 tce/yr) alone overflows it; X2 (40) fits
    alone but not with Z (30), committed to P2."""
    tiny.park("P1", county="A县").park("P2", county="B县")
    tiny.project("X", energy_tce=100, output=10).project("X2", energy_tce=40, output=8)
    tiny.project("Z", energy_tce=30, output=5, status="committed", fixed_park="P2")
    scenario = tiny.write()
    (scenario.parent / "counties.csv").write_text("county,energy_quota_tce,emission_quota_t\nB县,50,\n",
                                                  encoding="utf-8")
    scenario.write_text(scenario.read_text().replace("links: links.csv", "links: links.csv\n  counties: counties.csv"))
    assert siting("run", scenario, "--out", tmp_path / "r", capsys=capsys)[0] == 0  # X, X2 in P1; Z in P2
    code, out, _ = siting("explain", tmp_path / "r", "--project", "X", "--park", "P2", capsys=capsys)
    assert code == 0
    assert ("forcing X into P2 (强制落地 P2): no feasible plan (无可行方案) — X alone does not fit in P2: X needs 100 "
            "tce/yr of energy, more than county B县's energy cap (counties.csv, model.county_caps): 50 tce/yr") in out
    assert "cannot all fit" not in out
    code, out, _ = siting("explain", tmp_path / "r", "--project", "X2", "--park", "P2", capsys=capsys)
    assert code == 0
    assert ("forcing X2 into P2 (强制落地 P2): no feasible plan — the committed projects and this choice cannot all "
            "fit (无可行方案)\n  - county B县 energy (tce/yr): short by 20 (needs 70, has 50) for committed or forced "
            "projects X2, Z\n") in out
    # no eviction helps, and the line says what binds (it said "a limit across parks binds, e.g. max_parks_per_chain")
    assert ("simplest change 最小调整: none by evicting projects from park P2 alone (with every project that may move "
            "evicted from it, still: county B县 energy (tce/yr): uses 70 of 50; P2 keeps Z, which must stay)") in out


def test_compare_two_runs(tmp_path, tiny, capsys):
    # the knapsack of test_explain_forces_bans_and_refuses: A + C in P1, D in P2 = 230. With P1 down to 90 ha,
    # B + C (90 ha, 170) beat A alone (100): A is left out, B comes in, C and D stay; 220
    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=30)
    for pid, land, output in [("A", 60, 100), ("B", 50, 90), ("C", 40, 80), ("D", 30, 50)]:
        tiny.project(pid, land_ha=land, output=output)
    tiny.projects[1]["name"] = "<script>alert(1)</script>"  # B: a name that must be escaped on the page
    assert siting("run", tiny.write(), "--out", tmp_path / "a", capsys=capsys)[0] == 0
    tiny.settings["overrides"] = {"parks.P1.land_available_ha": 90}
    assert siting("run", tiny.write(), "--out", tmp_path / "b", capsys=capsys)[0] == 0
    code, out, err = siting("compare", tmp_path / "a", tmp_path / "b", "--csv", tmp_path / "c.csv", "--html",
                            tmp_path / "c.html", "--map", tmp_path / "m.html", capsys=capsys)
    assert code == 0, err
    drawn = (tmp_path / "m.html").read_text(encoding="utf-8")  # offline: Leaflet inlined, no tiles
    assert "Left out 未落地: 1 at P1" in drawn and "Newly placed 新落地: 1 at P1" in drawn
    assert "<script>alert(1)" not in drawn and "&lt;script&gt;alert(1)" in drawn
    from siting.maps import REMOTE_RESOURCE

    assert not REMOTE_RESOURCE.search(drawn)
    assert '  overrides.parks.P1.land_available_ha: "(not set)" → 90' in out
    assert "objective 目标值" in out and "230.0 → 220.0 (-10.0, -4.3%)" in out
    assert "projects 项目: 2 same park, 1 left out, 1 newly placed" in out
    assert "    A 项目A: was in P1 — " in out and "    B <script>alert(1)</script>: now in P1" in out
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "<table id='headline'>" in page and "<td>230.0</td><td>220.0</td><td>-10.0, -4.3%</td>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page and "http" not in page
    assert "  park P1: land 100.0 → 90.0 of 100.0 → 90.0 ha" in out
    table = pd.read_csv(tmp_path / "c.csv", keep_default_na=False).set_index("project_id")
    assert table["change"].to_dict() == {"A": "left out", "B": "newly placed", "C": "same park", "D": "same park"}
    assert "land" in table.at["A", "reason_b"]
    # never overwrites; a folder that is not a run, a missing folder or one file for both is bad input
    code, _, err = siting("compare", tmp_path / "a", tmp_path / "b", "--csv", tmp_path / "c.csv", capsys=capsys)
    assert code == 1 and "never overwrites" in err
    code, _, err = siting("compare", tmp_path / "a", tmp_path / "b", "--csv", tmp_path / "no" / "c.csv",
                          capsys=capsys)
    assert code == 2 and "field '--csv': names no folder that exists" in err
    code, _, err = siting("compare", tmp_path / "a", tmp_path / "b", "--csv", tmp_path / "d", "--html",
                          tmp_path / "d", capsys=capsys)
    assert code == 2 and "the same file for two outputs" in err and not (tmp_path / "d").exists()
    # locks are compared as pairs, and a damaged run folder is bad input, not a difference
    tiny.settings["locks"] = [{"project": "C", "park": "P1"}, {"project": "D", "park": "P2"}]
    assert siting("run", tiny.write(), "--out", tmp_path / "e", capsys=capsys)[0] == 0
    tiny.settings["locks"] = [{"project": "D", "park": "P2"}, {"project": "B", "park": "P1"}]
    assert siting("run", tiny.write(), "--out", tmp_path / "f", capsys=capsys)[0] == 0
    code, out, _ = siting("compare", tmp_path / "e", tmp_path / "f", capsys=capsys)
    assert "  locks: +B→P1, −C→P1" in out and "region" not in out
    path = tmp_path / "f" / "assignments.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8-sig")
    code, _, err = siting("compare", tmp_path / "e", tmp_path / "f", capsys=capsys)
    assert code == 2 and "projects repeat" in err
    code, _, err = siting("compare", tmp_path / "a", tmp_path, capsys=capsys)
    assert code == 2 and "is not a run folder" in err and "Traceback" not in err


def test_compare_that_fails_to_write_leaves_no_file(tmp_path, tiny, capsys, monkeypatch):
    """The page's write fails (a full disk) after the CSV was written: neither file, nor a staged one, is left."""
    import importlib

    compare = importlib.import_module("siting.compare")  # (``siting`` here is the test's CLI helper)
    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)
    assert siting("run", tiny.write(), "--out", tmp_path / "a", capsys=capsys)[0] == 0
    assert siting("run", tiny.write(), "--out", tmp_path / "b", capsys=capsys)[0] == 0

    def full(path, _comparison):
        path.write_text("<html>half", encoding="utf-8")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(compare, "write_compare_html", full)
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = siting("compare", tmp_path / "a", tmp_path / "b", "--csv", out / "c.csv", "--html",
                          out / "c.html", capsys=capsys)
    assert code == 1 and "could not write the comparison's files" in err and "Traceback" not in err
    assert list(out.iterdir()) == []


def test_compare_never_overwrites_a_file_that_appears_while_it_writes(tmp_path, tiny, capsys, monkeypatch):
    """Another compare writes the same page while this one writes its CSV: this one refuses, removes the CSV it had
    placed, leaves the other's page as it is, and never touches a user's file that looks like a staging name (the
    staging name was fixed, so two compares overwrote each other's pages, and a user's '.c.html.partial' was deleted)."""
    import importlib

    compare = importlib.import_module("siting.compare")
    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)
    assert siting("run", tiny.write(), "--out", tmp_path / "a", capsys=capsys)[0] == 0
    assert siting("run", tiny.write(), "--out", tmp_path / "b", capsys=capsys)[0] == 0
    out = tmp_path / "out"
    out.mkdir()
    (out / ".c.html.partial").write_text("USER DATA", encoding="utf-8")
    written = compare.write_compare_html

    def raced(path, comparison):
        written(path, comparison)
        (out / "c.html").write_text("the other compare's page", encoding="utf-8")

    monkeypatch.setattr(compare, "write_compare_html", raced)
    code, _, err = siting("compare", tmp_path / "a", tmp_path / "b", "--csv", out / "c.csv", "--html",
                          out / "c.html", capsys=capsys)
    assert code == 1 and "c.html appeared while the comparison was written" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == [".c.html.partial", "c.html"]
    assert (out / "c.html").read_text(encoding="utf-8") == "the other compare's page"
    assert (out / ".c.html.partial").read_text(encoding="utf-8") == "USER DATA"
    monkeypatch.setattr(compare, "write_compare_html", written)
    code, _, _ = siting("compare", tmp_path / "a", tmp_path / "b", "--html", out / "d.html", capsys=capsys)
    assert code == 0 and sorted(p.name for p in out.iterdir()) == [".c.html.partial", "c.html", "d.html"]


def test_only_staging_folders_siting_made_are_swept(tmp_path, tiny, capsys):
    """A run removes killed runs' staging folders older than 6 hours, but only those it can tell it made: a user's
    folder that happens to be called '.partial-…' was deleted with its contents."""
    import os
    import time

    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)
    theirs, ours = tmp_path / ".partial-photos", tmp_path / ".partial-abc123"
    for folder in (theirs, ours):
        folder.mkdir()
        (folder / "img1.txt").write_text("precious", encoding="utf-8")
    (ours / ".siting-staging").touch()
    old = time.time() - 2 * 86400
    for folder in (theirs, ours):
        os.utime(folder, (old, old))
    assert siting("run", tiny.write(), "--out", tmp_path / "run", capsys=capsys)[0] == 0
    assert (theirs / "img1.txt").read_text(encoding="utf-8") == "precious"
    assert not ours.exists()
    assert not (tmp_path / "run" / ".siting-staging").exists()
    manifest = (tmp_path / "run" / "manifest.json").read_text(encoding="utf-8")
    assert ".siting-staging" not in manifest


@pytest.mark.parametrize(("text", "said"), [
    ("", "the scenario file is empty"),
    ("\0" * 200, "remove the control character"),
    ('name: "a\x01b"\n', "remove the control character"),
    ("name：demo\nregion: x\n", "not '：'"),
])
def test_a_scenario_that_is_not_yaml_text_is_bad_input(tmp_path, capsys, text, said):
    """NUL or control characters were a traceback (PyYAML's reader refuses them before parsing); a full-width colon
    and an empty file are named."""
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = siting("validate", path, capsys=capsys)
    assert code == 2 and said in err and "Traceback" not in err


def test_exclusion_kinds_that_differ_only_in_case_are_bad_input(tiny, capsys):
    """'Basic_Farmland' beside 'basic_farmland' passed validate, then the run failed writing its GeoPackage (two
    columns excluded_ha_<kind> that differ only in case) and blamed the folder."""
    tiny.park("P1", land_available_ha=100).project("A", land_ha=10, output=100)
    tiny.exclusions += [{"kind": "Basic_Farmland", "box": (0, 0, 0.5, 0.5)}, {"kind": "basic_farmland", "box": (1, 1, 1.5, 1.5)}]
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2 and "kinds 'Basic_Farmland' and 'basic_farmland' differ only in letter case" in err


def test_a_geopackage_with_a_style_table_is_read_and_one_without_geometry_is_refused(tiny, capsys):
    """QGIS saves a layer's style into its GeoPackage as a table 'layer_styles' (the runs' results.gpkg have one): it
    was 'has 2 layers and none was chosen'. An attribute table saved as a GeoPackage was a traceback."""
    import sqlite3

    import geopandas as gpd

    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=30).project("A", land_ha=10, output=100)
    scenario = tiny.write()
    parks = scenario.parent / "parks.gpkg"
    with sqlite3.connect(parks) as db:
        db.execute("CREATE TABLE layer_styles (id INTEGER PRIMARY KEY, f_table_name TEXT, styleQML TEXT)")
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES "
                   "('layer_styles', 'attributes', 'layer_styles')")
    code, out, err = siting("validate", scenario, capsys=capsys)
    assert code == 0 and "parks      2 in 1 counties" in out, err
    table = pd.DataFrame(gpd.read_file(parks, layer="parks").drop(columns="geometry"))
    parks.unlink()
    pyogrio.write_dataframe(table, parks, layer="parks", driver="GPKG")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "parks.gpkg: has no layer with geometry (tables: parks)" in err and "Traceback" not in err


def test_park_ids_in_a_field_of_real_numbers_match_the_project_library(tmp_path, tiny, capsys):
    """A parks layer whose park_id field holds real numbers reads ID 2 as '2.0', and the project library's
    fixed_park 2 matched no park: 'unknown park '2'' for every such project."""
    import geopandas as gpd

    tiny.park("1", land_available_ha=100).park("2", land_available_ha=100)
    tiny.project("A", land_ha=10, output=100, fixed_park="2")
    scenario = tiny.write()
    parks = scenario.parent / "parks.gpkg"
    layer = gpd.read_file(parks)
    layer["park_id"] = layer["park_id"].astype(float)
    layer.to_file(parks, driver="GPKG")
    code, _, err = siting("run", scenario, "--out", tmp_path / "r", capsys=capsys)
    assert code == 0, err
    assert pd.read_csv(tmp_path / "r" / "assignments.csv", dtype=str)["park_id"].tolist() == ["2"]


def test_no_run_or_comparison_is_written_into_a_run_folder(tmp_path, tiny, capsys):
    """--out inside another run's folder put a run into its shp/ folder (and check still passed the first run); a
    dangling symbolic link as --out was refused only after the solve; check of a path that does not exist said it
    had no manifest.json."""
    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)
    scenario = tiny.write()
    assert siting("run", scenario, "--out", tmp_path / "a", capsys=capsys)[0] == 0
    before = sorted(p.name for p in (tmp_path / "a" / "shp").iterdir())
    code, _, err = siting("run", scenario, "--out", tmp_path / "a" / "shp" / "nested", capsys=capsys)
    assert code == 1 and f"is inside the run folder {tmp_path / 'a'}" in err
    assert sorted(p.name for p in (tmp_path / "a" / "shp").iterdir()) == before
    code, _, err = siting("compare", tmp_path / "a", tmp_path / "a", "--csv", tmp_path / "a" / "c.csv", capsys=capsys)
    assert code == 1 and "is inside the run folder" in err and not (tmp_path / "a" / "c.csv").exists()
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    code, out, err = siting("run", scenario, "--out", tmp_path / "link", capsys=capsys)
    assert code == 1 and "exists already" in err and out == ""  # refused before loading or solving
    code, _, err = siting("check", tmp_path / "nowhere", capsys=capsys)
    assert code == 2 and "nowhere: does not exist" in err
    # a path that leaves the run folder by '..' is not inside it
    code, _, err = siting("run", scenario, "--out", tmp_path / "a" / ".." / "b", capsys=capsys)
    assert code == 0, err
    code, _, err = siting("compare", tmp_path / "a", tmp_path / "b", "--csv", tmp_path / "a" / ".." / "c.csv",
                          capsys=capsys)
    assert code == 0 and (tmp_path / "c.csv").is_file(), err


def test_a_western_shapefile_with_accented_names_is_read_as_its_cpg_says(tiny, capsys):
    """A 1252 .cpg over Chinese text is refused, but Western text in 1252 ('Zürich': FC 72, which GB18030 also reads)
    must not be: it was, after the refusal was added."""
    import warnings

    import geopandas as gpd

    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)
    scenario = tiny.write()
    hubs = gpd.read_file(scenario.parent / "hubs.gpkg").assign(name="Zürich Güterbahnhof")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hubs.to_file(scenario.parent / "hubs.shp", encoding="cp1252")
    (scenario.parent / "hubs.cpg").write_text("1252")
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("hubs.gpkg", "hubs.shp"), encoding="utf-8")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 0, err


def test_a_utf16_project_library_and_a_windows_path_are_named(tiny, capsys):
    """Excel's 'Unicode Text' (UTF-16) was told to be converted from GBK; a path written with '\\' only 'does not
    exist'."""
    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)
    scenario = tiny.write()
    projects = scenario.parent / "projects.csv"
    projects.write_text(projects.read_text(encoding="utf-8-sig"), encoding="utf-16")
    (scenario.parent / "data").mkdir()
    (scenario.parent / "parks.gpkg").rename(scenario.parent / "data" / "parks.gpkg")
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("parks.gpkg", "data\\parks.gpkg"), encoding="utf-8")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "projects.csv: is UTF-16 text (as Excel saves 'Unicode Text'), not UTF-8" in err
    assert "(fix: write '/' instead of '\\' in the path in" in err


def test_hubs_saved_as_single_part_multipoints_are_read_as_points(tiny, capsys):
    """GIS tools often save points as MultiPoints of one point; they were refused (parks take MultiPolygons)."""
    import geopandas as gpd
    from shapely.geometry import MultiPoint

    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)
    scenario = tiny.write()
    hubs = gpd.read_file(scenario.parent / "hubs.gpkg")
    hubs.geometry = [MultiPoint([p]) for p in hubs.geometry]
    hubs.to_file(scenario.parent / "hubs.gpkg", driver="GPKG")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 0, err
    hubs.geometry = [MultiPoint([p.geoms[0], (p.geoms[0].x + 10, p.geoms[0].y)]) for p in hubs.geometry]
    hubs.to_file(scenario.parent / "hubs.gpkg", driver="GPKG")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "geometry is a MultiPoint; expected Point" in err and "Multipart to Singleparts" in err


def test_full_width_numbers_units_in_headers_and_excel_scientific_ids(tmp_path, tiny, capsys):
    """'１９．２' was not a number while '９０' was; 'land_ha（ha）' was only 'required column is missing'; IDs
    Excel saved as 3.205E+14 were only duplicates."""
    tiny.park("P1", land_available_ha=100).project("A", land_ha="６０．５", output="１，２００")
    code, _, err = siting("run", tiny.write(), "--out", tmp_path / "r", capsys=capsys)
    assert code == 0, err
    row = pd.read_csv(tmp_path / "r" / "assignments.csv").iloc[0]
    assert (row["land_ha"], row["output"]) == (60.5, 1200)
    scenario = tiny.write()
    projects = scenario.parent / "projects.csv"
    text = projects.read_text(encoding="utf-8-sig")
    projects.write_text(text.replace("land_ha", "land_ha（ha）", 1), encoding="utf-8")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "rename the column 'land_ha（ha）' to 'land_ha'" in err
    tiny.project("B", land_ha=1, output=1)
    for p in tiny.projects:
        p["project_id"] = "3.205E+14"
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2 and "Excel showed long numeric IDs in scientific notation" in err


def test_a_failed_run_removes_the_folders_it_made_for_out(tmp_path, tiny, capsys, monkeypatch):
    """--out deep/a/b/run whose writing fails (a full disk) left deep/a/b behind, empty."""
    import importlib

    run_module = importlib.import_module("siting.run")
    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_module, "_write_run", full)
    (tmp_path / "deep").mkdir()
    code, _, err = siting("run", tiny.write(), "--out", tmp_path / "deep" / "a" / "b" / "run", capsys=capsys)
    assert code == 1 and "No space left on device" in err
    assert list((tmp_path / "deep").iterdir()) == []


def test_compare_counts_a_baseline_by_its_plan_not_its_path():
    """Two runs started from copies of one plan were listed as 'start: started from A → started from B'."""
    from siting.compare import _how_solved

    solution = {"solution": {"solver": "highs", "steps": 200}}
    first = {"baseline": {"run": "runs/base", "assignments_sha256": "ab12"}}
    assert _how_solved(first, solution, {"baseline": {"run": "/tmp/copy", "assignments_sha256": "ab12"}}, solution) == []
    assert _how_solved(first, solution, {"baseline": {"run": "runs/base", "assignments_sha256": "cd34"}}, solution) == [
        "start: started from runs/base (plan ab12) → started from runs/base (plan cd34)"]
    assert _how_solved(first, solution, {}, solution) == ["start: started from runs/base → solved afresh"]


def test_a_row_typed_with_full_width_commas_is_one_problem(tiny, capsys):
    """A row typed with '，' is one value: it was reported as a project ID the whole row long and one 'value is empty'
    per other field; a row that leaves out trailing values is still read (they are empty)."""
    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100).project("B", land_ha=10, output=5)
    scenario = tiny.write()
    projects = scenario.parent / "projects.csv"
    lines = projects.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace(",", "，")
    projects.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "1 problem(s)" in err
    assert "projects.csv: row 3: has 1 value(s) where the header has" in err and "full-width comma" in err


def test_a_layer_on_the_beijing_1954_datum_is_read_with_a_caveat(tiny, capsys):
    """Beijing 1954 and Xian 1980 layers were reprojected without a word that the datum shift is approximate."""
    import geopandas as gpd

    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100)
    scenario = tiny.write()
    parks = scenario.parent / "parks.gpkg"
    gpd.read_file(parks).to_crs("EPSG:2435").to_file(parks, driver="GPKG")
    code, out, err = siting("validate", scenario, capsys=capsys)
    assert code == 0, err
    assert "parks: reprojected from EPSG:2435" in out and "the shift from the Beijing 1954 datum is approximate" in out


def test_a_run_without_shadow_prices_says_so(tmp_path, tiny, capsys, monkeypatch):
    """At province scale the shadow prices' LP did not finish in its fixed 60 s (which also overran a 120 s run by
    half), and only the report said so. The LP gets a share of the time limit; a reproducible run solves it only up
    to a size (no clock); either way a run without prices says so on the command line and in summary.json."""
    import importlib
    import json

    run_module = importlib.import_module("siting.run")
    tiny.park("P1", land_available_ha=100).project("A", land_ha=60, output=100).project("B", land_ha=60, output=90)
    scenario = tiny.write()
    code, out, _ = siting("run", scenario, "--out", tmp_path / "a", "--steps", "5", "--solver", "highs", capsys=capsys)
    assert code == 0 and "prices" not in out
    assert pd.read_csv(tmp_path / "a" / "shadow_prices.csv")["shadow_price"].notna().all()
    monkeypatch.setattr(run_module, "SHADOW_COUNTED_ROWS", 1)
    code, out, _ = siting("run", scenario, "--out", tmp_path / "b", "--steps", "5", "--solver", "highs",
                          capsys=capsys)
    assert code == 0 and "prices       no shadow prices: the model (" in out and "a run with --time-limit" in out
    assert pd.read_csv(tmp_path / "b" / "shadow_prices.csv")["shadow_price"].isna().all()
    notes = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))["solution"]["notes"]
    assert any(n.startswith("no shadow prices") for n in notes)
    assert siting("check", tmp_path / "b", capsys=capsys)[0] == 0
    seen = []
    real = run_module.shadow_prices

    def spy(*args, **kwargs):
        seen.append(kwargs["time_limit"])
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "shadow_prices", spy)
    assert siting("run", scenario, "--out", tmp_path / "c", "--time-limit", "30", capsys=capsys)[0] == 0
    assert siting("run", scenario, "--out", tmp_path / "d", "--time-limit", "600", capsys=capsys)[0] == 0
    assert seen == [7.5, 60.0]


def test_compare_counts_a_null_setting_as_not_set():
    from siting.compare import settings_changes

    a = {"model": {"max_parks_per_chain": None, "county_caps": True}, "overrides": {}}
    b = {"model": {"max_parks_per_chain": {}, "county_caps": True}, "overrides": {"parks.P1.land_available_ha": "+30"}}
    assert settings_changes(a, b) == ['overrides.parks.P1.land_available_ha: "(not set)" → "+30"']
    b["model"]["max_parks_per_chain"] = {"c1": 2}
    assert settings_changes(a, b)[0] == 'model.max_parks_per_chain.c1: "(not set)" → 2'


def test_compare_prints_small_values_with_enough_decimals(tmp_path, tiny, capsys):
    """A 100 ha (1,500 亩) project with 0.75 万元 of output, then 20 % less: 0.0005 → 0.0004 万元 per 亩, which at
    one decimal would be 0.0 → 0.0 (-0.0, -20.0%)."""
    tiny.park("P1").project("A", land_ha=100, output=0.75)
    assert siting("run", tiny.write(), "--out", tmp_path / "a", capsys=capsys)[0] == 0
    tiny.settings["overrides"] = {"projects.A.output": "x0.8"}
    assert siting("run", tiny.write(), "--out", tmp_path / "b", capsys=capsys)[0] == 0
    code, out, err = siting("compare", tmp_path / "a", tmp_path / "b", capsys=capsys)
    assert code == 0, err
    lines = {line.split("  ")[1]: line.split("  ")[-1].strip() for line in out.splitlines()
             if line.startswith("  ") and " → " in line}
    assert lines["output per 亩 亩均产值"] == "0.0005 → 0.0004 (-0.0001, -20.0%) 万元/yr"
    assert lines["output 产值"] == "0.8 → 0.6 (-0.2, -20.0%) 万元/yr"  # 0.75 → 0.6: not 1 → 1 (-0, -20.0%)
    assert lines["tax per 亩 亩均税收"] == "0.00 → 0.00 (0.00) 万元/yr"  # no change: no sign, no percent
    assert lines["placed 落地项目"] == "1 → 1 (0)"


def test_headline_changes_that_round_to_zero_have_no_sign():
    from siting.compare import headline_rows

    def row(key: str, x: float, y: float) -> tuple[str, str, str]:
        (_, _, first, second, change), = headline_rows({"kpis": {key: x}}, {"kpis": {key: y}})
        return first, second, change

    assert row("output_per_mu", 230.0, 220.0) == ("230.0", "220.0", "-10.0, -4.3%")  # as before
    assert row("output_per_mu", 0.05, 0.04) == ("0.05", "0.04", "-0.01, -20.0%")
    assert row("output_per_mu", 0.04, 0.3) == ("0.0", "0.3", "+0.3")  # no percent of a value shown as 0.0
    assert row("output_per_mu", 230.0, 230.0 - 1e-9) == ("230.0", "230.0", "0.0")  # rounding noise
    assert row("output", 7_085_150.0, 7_085_140.0) == ("7,085,150", "7,085,140", "-10, 0.0%")
    assert row("local_supply_rate", 0.500001, 0.5) == ("50.00%", "50.00%", "0.00 points")


def test_a_scenario_starts_from_a_baseline_run(tmp_path, tiny, capsys):
    import json

    # the baseline locks A (50 ha, 100) and B (50 ha, 80) into P2. The scenario drops the locks and cuts P2 to
    # 60 ha: from the baseline A stays in P2 (moving gains nothing) and B, which no longer fits, goes to P1
    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=100)
    tiny.project("A", land_ha=50, output=100).project("B", land_ha=50, output=80)
    tiny.settings["locks"] = [{"project": "A", "park": "P2"}, {"project": "B", "park": "P2"}]
    assert siting("run", tiny.write(), "--out", tmp_path / "base", capsys=capsys)[0] == 0
    tiny.settings["locks"] = []
    tiny.settings["overrides"] = {"parks.P2.land_available_ha": 60}
    code, out, err = siting("run", tiny.write(), "--out", tmp_path / "s", "--baseline", tmp_path / "base",
                            capsys=capsys)
    assert code == 0, err
    assert ("baseline     started from the baseline's plan: 1 of its 2 placements kept (0 no longer eligible, "
            "1 no longer fitting)") in out
    table = pd.read_csv(tmp_path / "s" / "assignments.csv")
    assert dict(zip(table["project_id"], table["park_id"], strict=True)) == {"A": "P2", "B": "P1"}
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256((tmp_path / "base" / "assignments.csv").read_bytes()).hexdigest()
    assert manifest["baseline"] == {"run": str(tmp_path / "base"), "assignments_sha256": digest}
    code, _, err = siting("run", tiny.write(), "--out", tmp_path / "t", "--baseline", tmp_path, capsys=capsys)
    assert code == 2 and "is not a run folder" in err and not (tmp_path / "t").exists()
    # a project newly committed that the baseline left out goes first, and the baseline's placements that still
    # fit are kept (before, a committed project that found no room after them made the whole baseline go). C
    # (30 ha, 10) must be placed; P1 is cut to 70 ha: A and C fill P1 and P2 (either way round), B fits nowhere
    tiny.project("C", land_ha=30, output=10)
    tiny.settings["overrides"] = {"parks.P2.land_available_ha": 60, "parks.P1.land_available_ha": 70,
                                  "projects.C.status": "committed"}
    code, out, err = siting("run", tiny.write(), "--out", tmp_path / "u", "--baseline", tmp_path / "s",
                            capsys=capsys)
    assert code == 0, err
    assert ("baseline     started from the baseline's plan: 1 of its 2 placements kept (0 no longer eligible, "
            "1 no longer fitting)") in out
    assert set(pd.read_csv(tmp_path / "u" / "assignments.csv")["project_id"]) == {"A", "C"}
    # a run of another project library is refused
    tiny.projects = [{**p, "project_id": "Z" + p["project_id"]} for p in tiny.projects]
    tiny.settings["overrides"] = {}
    code, _, err = siting("run", tiny.write(), "--out", tmp_path / "v", "--baseline", tmp_path / "s", capsys=capsys)
    assert code == 2 and "none of the baseline run's 2 projects is in this scenario" in err


def test_explain_evicts_the_cheapest_set_not_the_lowest_scorers(tmp_path, tiny, capsys):
    # P1 (100 ha) is full; X (30 ha) needs 30 ha freed. Evicting the lowest scorers (A, C, D, E, then A back)
    # loses 205; evicting B alone loses 200
    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=1)
    for pid, land, output in [("A", 5, 50), ("C", 10, 60), ("D", 10, 70), ("E", 10, 75), ("B", 30, 200),
                              ("F", 35, 1000), ("X", 30, 150)]:
        tiny.project(pid, land_ha=land, output=output)
    assert siting("run", tiny.write(), "--out", tmp_path / "r", capsys=capsys)[0] == 0
    code, out, _ = siting("explain", tmp_path / "r", "--project", "X", "--park", "P1", capsys=capsys)
    assert code == 0
    assert "simplest change 最小调整: X into P1, evicting B (from P1): objective" in out


def test_explain_a_project_that_cannot_leave_its_park(tmp_path, tiny, capsys):
    tiny.park("P1").park("P2")
    tiny.project("A", status="committed", fixed_park="P1")
    assert siting("run", tiny.write(), "--out", tmp_path / "r", capsys=capsys)[0] == 0
    code, out, _ = siting("explain", tmp_path / "r", "--project", "A", capsys=capsys)
    assert code == 0
    assert ("A must be placed and no park but P1 may take it, so it cannot be banned there (只能位于 P1): the other "
            "parks are ruled out (fixed 1) — project is fixed to park P1") in out


def test_explain_banning_the_only_pair_leaves_an_empty_plan(tmp_path, tiny, capsys):
    # one park, one project (output 5): banned from P1, A has nowhere to go and the plan is empty (score 0)
    tiny.park("P1").project("A", output=5)
    assert siting("run", tiny.write(), "--out", tmp_path / "r", capsys=capsys)[0] == 0
    code, out, err = siting("explain", tmp_path / "r", "--project", "A", capsys=capsys)
    assert (code, err) == (0, "")
    assert "simplest change 最小调整: A left out, nothing else moved: objective 5.0 → 0.0 (-5.0)" in out
    assert "banning A from P1 (禁止落地 P1): objective 5.0 → 0.0 (-5.0; proven)" in out
    assert "  placed 落地项目: 1 → 0" in out and "  A: P1 → not placed" in out


def test_parks_without_crs_do_not_hold_back_the_raster_and_road_files(tiny, capsys):
    import geopandas as gpd
    import numpy as np
    import rasterio
    from affine import Affine

    scenario = small(tiny).write()
    parks = gpd.read_file(scenario.parent / "parks.gpkg")
    parks[["park_id", "name", "geometry"]].to_file(scenario.parent / "parks.shp", engine="pyogrio")
    (scenario.parent / "parks.prj").unlink()
    (scenario.parent / "fake.tif").write_text("not a raster")
    with rasterio.open(scenario.parent / "bare.tif", "w", driver="GTiff", width=2, height=2, count=1,
                       dtype="float32", transform=Affine(1000, 0, X0, 0, -1000, Y0 + 2000)) as dst:  # no CRS
        dst.write(np.zeros((1, 2, 2), dtype="float32"))
    (scenario.parent / "roads.osm").write_text("<osm><way id='1'>", encoding="utf-8")  # cut off
    text = scenario.read_text().replace("parks.gpkg", "parks.shp")
    scenario.write_text(text.replace("layers:\n", "layers:\n  rasters: {slope: fake.tif, dem: bare.tif}\n"
                                     "  roads: roads.osm\n", 1))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert "parks.shp: has no coordinate reference system (CRS)" in err
    assert "fake.tif: raster 'slope' could not be used" in err  # before, these two waited for the parks' CRS
    assert "roads.osm: could not be read as a road network" in err
    assert "bare.tif: raster 'dem' has no coordinate reference system (CRS)" in err


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


def test_a_folder_given_as_a_layer_is_called_a_folder(tiny, capsys):
    scenario = small(tiny).write()
    (scenario.parent / "parksdir").mkdir()  # no suffix: it was 'unknown vector format' before
    scenario.write_text(scenario.read_text().replace("parks.gpkg", "parksdir"))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "parksdir: is a folder, not a vector layer file" in err and "unknown vector format" not in err


def test_folder_for_a_table_duplicate_column_zero_land_and_empty_parks_layer(tiny, capsys):
    scenario = small(tiny).write()
    folder = scenario.parent
    text = scenario.read_text()
    (folder / "tables").mkdir()
    scenario.write_text(text.replace("projects: projects.csv", "projects: tables"))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "tables: is a folder, not a CSV file" in err and "Traceback" not in err
    scenario.write_text(text)
    projects = folder / "projects.csv"
    original = projects.read_text()
    lines = original.splitlines()
    projects.write_text("\n".join([lines[0] + ",land_ha", *(line + ",5" for line in lines[1:])]) + "\n")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "line 1: field 'land_ha': the header names this column 2 times" in err
    projects.write_text("\n".join(line + ",," for line in lines) + "\n")  # Excel's trailing empty columns
    assert siting("validate", scenario, capsys=capsys)[0] == 0
    projects.write_text(original.replace(",60,", ",0,", 1))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "project_id A): field 'land_ha': value 0 must be above 0; expected a number > 0 in ha" in err
    projects.write_text(original)
    import geopandas as gpd

    parks = gpd.read_file(folder / "parks.gpkg")
    parks.iloc[:0].to_file(folder / "parks.gpkg", driver="GPKG")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "parks.gpkg: the parks layer has no features" in err


def test_park_gates_must_be_whole_degrees_near_the_park(tiny, capsys):
    import geopandas as gpd
    from shapely.geometry import Point

    # park n is a 2 km square from x = X0 + 20 km · n: P1's centre and P4's, in CGCS2000 degrees
    p1, p4 = gpd.GeoSeries([Point(X0 + 1000, Y0 + 1000), Point(X0 + 61_000, Y0 + 1000)],
                           crs="EPSG:4547").to_crs("EPSG:4490")
    tiny.park("P1", gate_lon=p1.x, gate_lat=999.0).park("P2", gate_lon=p1.x, gate_lat=None)
    tiny.park("P3", gate_lon=0.0, gate_lat=0.0).park("P4", gate_lon=p4.x, gate_lat=p4.y)
    tiny.project("A", land_ha=1, output=1)
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert f"park_id P1: field 'gate_lat': ({p1.x:g}, 999) is not a longitude and latitude in degrees" in err
    assert "park_id P2: field 'gate_lat': the gate has only one coordinate" in err
    assert "park_id P3: field 'gate_lon': the gate (0, 0) lies" in err and "expected within 20 km" in err
    assert "P4" not in err  # a gate at its own park's centre is fine


def test_check_and_explain_refuse_what_is_not_a_sound_run_folder(tmp_path, tiny, capsys):
    import shutil

    scenario = small(tiny).write()
    assert siting("run", scenario, "--out", tmp_path / "run", "--solver", "highs", capsys=capsys)[0] == 0
    code, _, err = siting("check", tmp_path / "nowhere", capsys=capsys)
    assert code == 2 and "nowhere: does not exist" in err
    (tmp_path / "empty").mkdir()
    code, _, err = siting("check", tmp_path / "empty", capsys=capsys)
    assert code == 2 and "is not a run folder (no manifest.json)" in err
    damage = {"manifest.json": "[1, 2]", "summary.json": "{not json", "assignments.csv": "",
              "results.gpkg": "hi", "map.html": b"\xff\xfe\x00"}
    for name, content in damage.items():
        broken = tmp_path / f"broken-{name}"
        shutil.copytree(tmp_path / "run", broken)
        target = broken / name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
        code, out, err = siting("check", broken, capsys=capsys)
        assert code == 2, (name, out, err)
        assert f"{target}: " in err and "run the scenario again" in err and "Traceback" not in err
    edited = tmp_path / "edited"
    shutil.copytree(tmp_path / "run", edited)
    table = (edited / "assignments.csv").read_text(encoding="utf-8").splitlines()
    header = table[0].split(",")
    cells = table[1].split(",")
    cells[header.index("land_ha")] = "lots"
    (edited / "assignments.csv").write_text("\n".join([table[0], ",".join(cells), *table[2:]]) + "\n", encoding="utf-8")
    code, _, err = siting("check", edited, capsys=capsys)
    assert code == 2 and "assignments.csv: row 2 (project_id " in err and "field 'land_ha': expected a finite number, got 'lots'" in err
    cells[header.index("land_ha")] = table[1].split(",")[header.index("land_ha")]
    cells[header.index("output")] = "inf"  # would compare equal to a recomputed infinity
    (edited / "assignments.csv").write_text("\n".join([table[0], ",".join(cells), *table[2:]]) + "\n", encoding="utf-8")
    code, _, err = siting("check", edited, capsys=capsys)
    assert code == 2 and "field 'output': expected a finite number, got 'inf'" in err
    code, _, err = siting("explain", tmp_path / "broken-manifest.json", "--project", "A", capsys=capsys)
    assert code == 2 and "missing scenario_file, inputs, solution" in err
    code, _, err = siting("explain", tmp_path / "broken-assignments.csv", "--project", "A", capsys=capsys)
    assert code == 2 and "assignments.csv: could not be read" in err


def test_a_wrong_out_is_refused_before_solving(tmp_path, tiny, capsys, monkeypatch):
    import importlib

    run_module = importlib.import_module("siting.run")  # `import siting.run` would hide the helper siting()
    scenario = small(tiny).write()
    (tmp_path / "taken").mkdir()
    (tmp_path / "afile").write_text("")
    monkeypatch.setattr(run_module, "prepare", lambda *_: pytest.fail("solved before refusing"))
    code, _, err = siting("run", scenario, "--out", tmp_path / "taken", capsys=capsys)
    assert code == 1 and "exists already; a run never overwrites another" in err
    code, _, err = siting("run", scenario, "--out", tmp_path / "afile" / "run", capsys=capsys)
    assert code == 1 and "afile is a file, so no run folder can be made under it: choose another --out" in err
    code, _, err = siting("run", scenario, "--runs-dir", tmp_path / "afile", capsys=capsys)
    assert code == 1 and "choose another --runs-dir" in err


def test_a_raster_that_covers_no_park_is_refused(tiny, capsys):
    import numpy as np
    import rasterio
    from affine import Affine

    scenario = small(tiny).write()
    with rasterio.open(scenario.parent / "far.tif", "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
                       crs="EPSG:4547", transform=Affine(1000, 0, X0 + 500_000, 0, -1000, Y0)) as dst:
        dst.write(np.ones((2, 2), dtype="float32"), 1)  # 500 km east of the parks
    text = scenario.read_text()
    scenario.write_text(text.replace("layers:\n", "layers:\n  rasters: {slope: {file: far.tif, suitable_below: 3}}\n", 1))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "far.tif: raster 'slope' covers none of the parks" in err


def test_problems_of_every_stage_are_reported_in_one_run(tiny, capsys):
    """A bad scenario value, a bad table value, dangling references and an unusable raster: one run, one list."""
    scenario = small(tiny).project("C", land_ha="lots").link("A", "ZZZ", 10).write()
    folder = scenario.parent
    (folder / "fake.tif").write_text("not a raster")
    text = scenario.read_text().replace("  tax: 0.0\n", "  tax: -1\n").replace(
        "layers:\n", "layers:\n  rasters: {slope: fake.tif}\n", 1)
    scenario.write_text(text + "locks: [{project: A, park: P9}]\n")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert f"{scenario}: field 'weights.tax': expected a number ≥ 0, got -1" in err  # the scenario's own value
    assert f"{folder / 'projects.csv'}: row 4 (project_id C): field 'land_ha': value 'lots' is not a number" in err
    assert f"{folder / 'links.csv'}: row 3: field 'customer_id': unknown project 'ZZZ'" in err
    assert f"{scenario}: locks entry 1: field 'park': unknown park 'P9' (fix: use a park_id of the parks layer)" in err
    assert f"{folder / 'fake.tif'}: raster 'slope' could not be used" in err
    assert "5 problem(s)" in err


def test_a_lock_that_a_forbid_contradicts_is_bad_input(tiny, capsys):
    """A lock to a park that a scenario forbid or the project's own forbidden_parks excludes is a contradiction in
    the input (exit 2, listed with the other problems), not a plan that cannot be placed (exit 3)."""
    tiny.park("P1").park("P2")
    tiny.project("A", forbidden_parks="P2").project("B").project("C", land_ha="lots")
    tiny.settings.update(locks=[{"project": "A", "park": "P2"}, {"project": "B", "park": "P1"}],
                         forbids=[{"project": "A", "park": "P1"}, {"project": "B", "park": "P1"}])
    scenario = tiny.write()
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert (f"{scenario}: locks entry 1: field 'park': project A is locked to P2 here but P2 is in its forbidden_parks "
            f"in {scenario.parent / 'projects.csv'} (fix: drop the lock, or take P2 out of the project's "
            "forbidden_parks)") in err
    assert (f"{scenario}: locks entry 2: field 'park': project B is locked to P1 and also forbidden there (forbids "
            "entry 2) (fix: drop the lock or the forbid)") in err
    assert "field 'land_ha': value 'lots' is not a number" in err  # with the other problems, in one run
    assert "3 problem(s)" in err
    # a forbid of the park the library fixes a project to is as contradictory (it was exit 3 for a committed one)
    tiny.projects[2]["land_ha"] = 5
    tiny.project("D", fixed_park="P1", status="committed")
    tiny.settings.update(locks=[], forbids=[{"project": "D", "park": "P1"}])
    scenario = tiny.write()
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "1 problem(s)" in err
    assert (f"{scenario}: forbids entry 1: field 'park': project D is fixed to P1 in the project library "
            f"({scenario.parent / 'projects.csv'}) but forbidden there here (fix: drop the forbid or change the "
            "project's fixed_park)") in err


def test_list_values_may_be_separated_the_chinese_way_but_not_by_commas(tiny, capsys):
    """'；' (full-width) and '、' (enumeration comma) separate list values as ';' does; a list written with commas
    is not split, but named as such when each part is known."""
    tiny.park("P1", leading_chains="nev；equipment").park("P2", leading_chains="food、 biomed").park("P3")
    tiny.project("A", forbidden_parks="P1；P2").project("B", forbidden_parks="P2、P3;P1")
    region = load_region(load_scenario(tiny.write()))
    assert region.parks["leading_chains"].tolist() == [("nev", "equipment"), ("food", "biomed"), ()]
    assert region.projects["forbidden_parks"].tolist() == [("P1", "P2"), ("P2", "P3", "P1")]

    tiny.park("P4", leading_chains="nev,equipment").project("C", forbidden_parks="P1, P2").project(
        "D", forbidden_parks="P1,P9")
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2
    assert ("park_id P4: field 'leading_chains': unknown chain 'nev,equipment'; separate list values with ';' "
            "(fix: write 'nev;equipment')") in err
    assert ("row 4 (project_id C): field 'forbidden_parks': unknown park 'P1, P2'; separate list values with ';' "
            "(fix: write 'P1;P2')") in err
    assert "row 5 (project_id D): field 'forbidden_parks': unknown park 'P1,P9' (fix: use park_ids of the parks" in err
    assert "3 problem(s)" in err


def test_an_empty_id_reads_empty_not_nan(tiny, capsys):
    bowtie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    tiny.park("P1").park(None, leading_chains="spaceships", geometry=bowtie)  # a null ID in the layer
    tiny.project("A").project(" ", chain="spaceships")  # a blank ID in the CSV
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2
    assert "parks.gpkg: feature 2 (park_id empty): field 'geometry': invalid geometry" in err
    assert "parks.gpkg: row 2 (park_id empty): field 'park_id': value is empty" in err
    assert "parks.gpkg: park_id empty: field 'leading_chains': unknown chain 'spaceships'" in err
    assert "projects.csv: row 3 (project_id empty): field 'project_id': value is empty" in err
    assert "projects.csv: row 3 (project_id empty): field 'chain': unknown chain 'spaceships'" in err
    assert "_id nan" not in err and "5 problem(s)" in err


def test_one_bad_value_gives_one_problem(tiny, capsys):
    """A cell reported as a bad value is not checked again against the other tables (no follow-on problems)."""
    small(tiny).project("C", needs_hub="spaceport", max_hub_minutes=30).project("D", needs_hub="highway",
                                                                                 max_hub_minutes="soon")
    tiny.link("", "A", 10)  # an empty supplier: reported once, not also as an unknown project
    tiny.project("A2", chain="")  # an empty chain: reported once, not also as an unknown chain
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2
    assert "row 4 (project_id C): field 'needs_hub': value 'spaceport' is not allowed" in err
    assert "row 5 (project_id D): field 'max_hub_minutes': value 'soon' is not a number" in err
    assert "links.csv: row 3: field 'supplier_id': value is empty" in err
    assert "row 6 (project_id A2): field 'chain': value is empty" in err
    assert "4 problem(s)" in err and "no hub of kind" not in err and "no limit is given" not in err
    assert "unknown project" not in err and "unknown chain" not in err


def test_a_repeated_id_still_lets_references_be_checked(tiny, capsys):
    """A second A (perhaps meant as C): C is unknown whichever row is meant, and both problems are reported at
    once (fixing the first by renaming the row to C fixes the second too). An empty ID stops the check instead:
    the link may mean that row."""
    small(tiny).project("A", land_ha=5)
    tiny.link("B", "C", 10)
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2 and "2 problem(s)" in err
    assert "rows 2, 4: field 'project_id': duplicate ID 'A'" in err
    assert "row 3: field 'customer_id': unknown project 'C'" in err
    tiny.projects[-1]["project_id"] = ""
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2 and "1 problem(s)" in err and "unknown project" not in err


def test_hub_minutes_without_a_hub_kind_is_refused(tiny, capsys):
    small(tiny).project("C", max_hub_minutes=45)  # needs_hub empty: a limit to which hub?
    scenario = tiny.write()
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2
    assert (f"{scenario.parent / 'projects.csv'}: row 4 (project_id C): field 'max_hub_minutes': a limit of 45 minutes "
            "is given but needs_hub is empty") in err
    assert "set needs_hub to the kind of hub it is for (airport_cargo, rail_freight, hsr, inland_port, highway), " \
           "or clear max_hub_minutes" in err


def test_overrides_that_change_hub_needs(tiny, capsys):
    small(tiny).project("C", needs_hub="highway", max_hub_minutes=45)
    scenario = tiny.write()
    text = scenario.read_text()
    # clearing needs_hub in a scenario is deliberate: accepted, and the run notes say the limit is ignored
    scenario.write_text(text + "overrides: {projects.C.needs_hub: ''}\n")
    code, out, err = siting("validate", scenario, capsys=capsys)
    assert code == 0, err
    assert "note       max_hub_minutes ignored for 1 project(s) left with a limit but no needs_hub by the scenario's overrides: C" in out
    # a project without hub needs given one by the scenario: the limit set on an empty cell is kept
    scenario.write_text(text + "overrides: {projects.A.needs_hub: highway, projects.A.max_hub_minutes: 1}\n")
    import siting as package

    region, eligibility = package.prepare(scenario)
    assert region.projects.set_index("project_id").at["A", "max_hub_minutes"] == 1
    removed = eligibility.removed
    assert set(removed.loc[(removed["project_id"] == "A") & (removed["rule"] == "hub"), "park_id"]) == {"P1", "P2"}


def test_check_and_explain_name_a_damaged_key_of_the_manifest(tmp_path, tiny, capsys):
    import json
    import shutil

    assert siting("run", small(tiny).write(), "--out", tmp_path / "run", "--solver", "highs", capsys=capsys)[0] == 0
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))

    def damaged(name: str, change) -> Path:
        folder = tmp_path / name
        shutil.copytree(tmp_path / "run", folder)
        data = json.loads(json.dumps(manifest))
        change(data)
        (folder / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
        return folder

    folder = damaged("empty-settings", lambda m: m.update(settings={}))
    code, out, err = siting("check", folder, capsys=capsys)
    assert code == 2 and "Traceback" not in err and out == ""
    for key, expected in (("settings.locks", "a list of {project: ID, park: ID}"), ("settings.eligibility", "a mapping"),
                          ("settings.weights", "a mapping"), ("settings.model", "a mapping")):
        assert f"{folder / 'manifest.json'}: field '{key}': is missing; expected {expected}" in err
    assert "run the scenario again" in err and "5 problem(s)" in err  # and settings.forbids

    folder = damaged("bad-values", lambda m: (m["settings"]["weights"].update(tax="lots"),
                                              m["settings"]["locks"].append({"project": "A"})))
    code, _, err = siting("check", folder, capsys=capsys)
    assert code == 2
    assert "manifest.json: field 'settings.weights.tax': expected a number, got \"lots\"" in err
    assert "manifest.json: field 'settings.locks': expected a list of {project: ID, park: ID}, got [{\"project\": \"A\"}]" in err

    folder = damaged("empty-solution", lambda m: m.update(solution={"solver": "cbc"}))
    code, _, err = siting("explain", folder, "--project", "A", capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert f"{folder / 'manifest.json'}: field 'solution.gap_limit': is missing; expected a number" in err
    assert "field 'solution.threads': is missing; expected a whole number ≥ 1" in err

    summary = tmp_path / "run" / "summary.json"
    data = json.loads(summary.read_text(encoding="utf-8"))
    del data["kpis"]["candidate_projects"]
    summary.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = siting("check", tmp_path / "run", capsys=capsys)
    assert code == 2 and f"{summary}: field 'kpis.candidate_projects': is missing; expected a number" in err
    both = damaged("manifest-and-summary", lambda m: m.update(settings={}))  # copied with the damaged summary
    code, _, err = siting("check", both, capsys=capsys)
    assert code == 2 and "6 problem(s)" in err and "summary.json: field 'kpis.candidate_projects'" in err


def test_semicolons_gbk_scenario_and_folders_are_named(tiny, capsys):
    scenario = small(tiny).write()
    folder = scenario.parent
    projects = folder / "projects.csv"
    original = projects.read_text()
    projects.write_text(original.replace(",", ";"))  # Excel in a locale with a decimal comma
    (folder / "roads").mkdir()
    text = scenario.read_text()
    scenario.write_text(text.replace("layers:", "layers:\n  roads: roads", 1))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert "projects.csv: line 1: the columns are separated by semicolons (';'), not by commas" in err
    assert "roads: is a folder, not a road file" in err
    projects.write_text(original)
    scenario.write_bytes(("# 情景\n" + text).encode("gbk"))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "is not UTF-8 text" in err and "convert it from GBK" in err
    code, _, err = siting("validate", folder, capsys=capsys)
    assert code == 2 and "is a folder, not a scenario file" in err


def test_coordinates_that_do_not_fit_the_crs_units(tiny, capsys):
    import geopandas as gpd
    import shapely

    scenario = small(tiny).write()
    parks_file = scenario.parent / "parks.gpkg"
    parks = gpd.read_file(parks_file)
    degrees = parks.to_crs("EPSG:4490").set_crs("EPSG:4547", allow_override=True)  # lon/lat tagged as metres
    degrees.to_file(parks_file, engine="pyogrio")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert "parks.gpkg: field 'crs': the coordinates look like longitude and latitude in degrees" in err
    assert "but the CRS is EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E), in metres" in err
    assert err.count("\n  - ") == 1  # no follow-on problems from parks measured in millionths of a hectare
    parks.set_crs("EPSG:4490", allow_override=True).to_file(parks_file, engine="pyogrio")  # metres tagged as degrees
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "the coordinates do not fit degrees" in err and "they look like metres" in err
    assert err.count("\n  - ") == 1
    swapped = parks.to_crs("EPSG:4490")  # latitude written as x, longitude as y (an export's axis order)
    swapped.geometry = shapely.transform(swapped.geometry.values, lambda xy: xy[:, ::-1])
    swapped.to_file(parks_file, engine="pyogrio")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "parks.gpkg: field 'geometry': x and y look swapped: x 3" in err and "look like metres" not in err
    assert "(fix: swap them" in err and err.count("\n  - ") == 1
    parks.to_file(parks_file, engine="pyogrio")
    # one hub typed wrong in a layer in degrees: the feature is named, the CRS is not blamed
    tiny.hubs.append({"hub_id": "H2", "name": "枢纽2", "kind": "highway", "x": 5.0, "y": 5.0})
    scenario = tiny.write()
    hubs_file = scenario.parent / "hubs.gpkg"
    hubs = gpd.read_file(hubs_file).to_crs("EPSG:4490")
    hubs.loc[1, "geometry"] = shapely.Point(1126.5, 34.7)
    hubs.to_file(hubs_file, engine="pyogrio")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "hubs.gpkg: feature 2 (hub_id H2): field 'geometry': coordinates outside ±180° longitude" in err
    assert "look like metres" not in err


def test_rows_are_numbered_as_the_file_is_with_blank_lines(tiny, capsys):
    scenario = small(tiny).write()
    links = scenario.parent / "links.csv"
    lines = links.read_text(encoding="utf-8").splitlines()
    links.write_text("\n".join([lines[0], "", lines[1], "", "A,Z9,5"]) + "\n", encoding="utf-8")
    projects = scenario.parent / "projects.csv"
    rows = projects.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    bad = rows[2].split(",")
    bad[header.index("chain")] = "no_such_chain"
    projects.write_text("\n".join([rows[0], "", "", rows[1], ",".join(bad)]) + "\n", encoding="utf-8")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2
    assert "links.csv: row 5: field 'customer_id': unknown project 'Z9'" in err  # line 5 of the file, not row 3
    assert "projects.csv: row 5 (project_id B): field 'chain': unknown chain 'no_such_chain'" in err


def test_steps_give_a_reproducible_run(tmp_path, tiny, capsys):
    import json

    scenario = small(tiny).write()
    for name in ("a", "b"):
        code, out, err = siting("run", scenario, "--out", tmp_path / name, "--solver", "highs", "--steps", "5",
                                capsys=capsys)
        assert code == 0, err
        assert "budget       5 search steps: reproducible" in out
    assert (tmp_path / "a" / "assignments.csv").read_bytes() == (tmp_path / "b" / "assignments.csv").read_bytes()
    solution = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))["solution"]
    assert solution["steps"] == 5 and solution["time_limit"] is None
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", str(scenario), "--steps", "5", "--time-limit", "10"])
    assert exc.value.code == 2  # one budget or the other
    code, _, err = siting("run", scenario, "--out", tmp_path / "c", "--solver", "cbc", "--steps", "5", capsys=capsys)
    assert code == 2 and "command line: field '--steps': a reproducible solve (steps) needs the highs solver" in err
    assert not (tmp_path / "c").exists()
    scenario.write_text(scenario.read_text().replace("solver:", "solver:\n  steps: -1", 1)
                        if "solver:" in scenario.read_text() else scenario.read_text() + "solver:\n  steps: -1\n")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "field 'solver.steps': expected a whole number of search steps ≥ 0, got -1" in err
    # the scenario's steps with cbc asked on the command line: a timed solve (the steps need highs)
    tiny.settings["solver"] = {"name": "highs", "steps": 5, "time_limit": 10}
    scenario = tiny.write()
    code, _, err = siting("run", scenario, "--out", tmp_path / "d", "--solver", "cbc", capsys=capsys)
    assert code == 0, err
    solution = json.loads((tmp_path / "d" / "summary.json").read_text(encoding="utf-8"))["solution"]
    assert solution["steps"] is None and solution["time_limit"] == 10 and solution["solver"] == "cbc"
    code, _, err = siting("explain", tmp_path / "d", "--project", "A", "--steps", "5", capsys=capsys)
    assert code == 2 and "a reproducible re-solve needs a run made with highs" in err
    # a scenario's own cbc with inherited steps: the fix names solver.steps: null
    (scenario.parent / "cbc.yaml").write_text("extends: scenario.yaml\nsolver: {name: cbc}\n", encoding="utf-8")
    code, _, err = siting("run", scenario.parent / "cbc.yaml", "--out", tmp_path / "e", capsys=capsys)
    assert code == 2 and "field 'solver.steps'" in err and "set solver.steps: null in the scenario" in err
    # a child that writes a time limit and no steps asks for a timed solve: the parent's steps do not win
    (scenario.parent / "timed.yaml").write_text("extends: scenario.yaml\nsolver: {time_limit: 7}\n", encoding="utf-8")
    code, out, err = siting("run", scenario.parent / "timed.yaml", "--out", tmp_path / "f", capsys=capsys)
    assert code == 0 and "budget       5 search steps" not in out, err
    solution = json.loads((tmp_path / "f" / "summary.json").read_text(encoding="utf-8"))["solution"]
    assert solution["steps"] is None and solution["time_limit"] == 7


def _unreadable(monkeypatch, *paths: Path) -> None:
    """Opening ``paths`` from Python fails as it does without read permission (the suite may run as root)."""
    import builtins
    import io

    denied = {str(p) for p in paths}
    real_open = io.open

    def guarded(file, *args, **kwargs):
        if str(file) in denied:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", guarded)
    monkeypatch.setattr(builtins, "open", guarded)


def test_files_that_cannot_be_opened_are_named_not_a_traceback(tiny, capsys, monkeypatch):
    scenario = small(tiny).write()
    folder = scenario.parent
    (folder / "roads.osm").write_text("<osm version='0.6'></osm>")
    scenario.write_text(scenario.read_text().replace("layers:", "layers:\n  roads: roads.osm", 1))
    _unreadable(monkeypatch, folder / "projects.csv", folder / "links.csv", folder / "roads.osm",
                folder / "hubs.gpkg")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    for name in ("projects.csv", "links.csv", "roads.osm", "hubs.gpkg"):
        assert f"{name}: could not be opened: Permission denied (fix: let the user who runs siting read" in err
    _unreadable(monkeypatch, scenario)
    code, _, err = siting("run", scenario, "--out", folder / "run", capsys=capsys)
    assert code == 2 and "scenario.yaml: could not be opened: Permission denied" in err
    assert not (folder / "run").exists()


def test_a_shapefile_without_its_dbf_is_named(tiny, capsys):
    import geopandas as gpd

    scenario = small(tiny).write()
    folder = scenario.parent
    gpd.read_file(folder / "hubs.gpkg").to_file(folder / "hubs.shp")
    (folder / "hubs.dbf").unlink()
    scenario.write_text(scenario.read_text().replace("hubs.gpkg", "hubs.shp"))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2
    assert "hubs.shp: the shapefile's attribute table hubs.dbf is missing beside it" in err
    assert "required column is missing" not in err


def test_a_folder_that_cannot_be_written_is_refused_and_nothing_is_left(tmp_path, tiny, capsys, monkeypatch):
    import errno
    import importlib

    run_module = importlib.import_module("siting.run")
    scenario = small(tiny).write()
    runs = tmp_path / "runs"
    runs.mkdir()
    with monkeypatch.context() as m:  # a read-only folder (root may write anywhere, so access() is asked)
        m.setattr(run_module.os, "access", lambda path, mode: Path(path) != runs)
        m.setattr(run_module, "prepare", lambda *_: pytest.fail("solved before refusing"))
        code, _, err = siting("run", scenario, "--runs-dir", runs, capsys=capsys)
    assert code == 1 and "Traceback" not in err
    assert f"{runs} is not writable, so no run folder can be made in it: choose another --runs-dir" in err

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(runs / "x.gpkg"))

    monkeypatch.setattr(run_module, "_write_run", full)
    code, _, err = siting("run", scenario, "--runs-dir", runs, "--steps", "0", "--solver", "highs", capsys=capsys)
    assert code == 1 and "Traceback" not in err
    assert "the run folder could not be written, so nothing was written: No space left on device" in err
    assert list(runs.iterdir()) == []  # no staging folder, no half-written run

    def gdal_full(*_args, **_kwargs):  # GDAL's own error on a full disk is not an OSError
        raise pyogrio.errors.DataSourceError("Failed to commit transaction")

    monkeypatch.undo()
    monkeypatch.setattr(run_module, "write_gpkg", gdal_full)
    code, _, err = siting("run", scenario, "--runs-dir", runs, "--steps", "0", "--solver", "highs", capsys=capsys)
    assert code == 1 and "Traceback" not in err
    assert ("the run folder could not be written, so nothing was written: the GIS files could not be written: "
            "Failed to commit transaction") in err
    assert list(runs.iterdir()) == []


def test_a_run_file_without_its_key_columns_is_named(tmp_path, tiny, capsys):
    import shutil

    scenario = small(tiny).write()
    assert siting("run", scenario, "--out", tmp_path / "run", "--solver", "highs", capsys=capsys)[0] == 0
    broken = tmp_path / "broken"
    shutil.copytree(tmp_path / "run", broken)
    links = pd.read_csv(broken / "links.csv", dtype=str, keep_default_na=False)
    links.drop(columns=["supplier_id"]).to_csv(broken / "links.csv", index=False)
    code, out, err = siting("check", broken, capsys=capsys)
    assert code == 1 and "Traceback" not in err
    assert "links.csv lacks column 'supplier_id'" in out
    plan = pd.read_csv(broken / "assignments.csv", dtype=str, keep_default_na=False)
    plan.drop(columns=["park_id"]).to_csv(broken / "assignments.csv", index=False)
    code, _, err = siting("explain", broken, "--project", "A", "--steps", "0", capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert "assignments.csv: field 'project_id, park_id': is not a run's plan (a column is missing" in err


def test_a_decimal_comma_is_not_read_as_thousands(tiny, capsys):
    small(tiny).project("C", land_ha="19,2").project("D", investment="1,234,567.5").project("E", output="12,5,0")
    tiny.project("F", land_ha="0,125")
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2 and "3 problem(s)" in err
    assert "row 7 (project_id F): field 'land_ha': value '0,125' has a comma that does not separate thousands" in err
    assert ("row 4 (project_id C): field 'land_ha': value '19,2' has a comma that does not separate thousands "
            "(a decimal comma? write '19.2' for a fraction); expected a number > 0 in ha") in err
    assert "row 6 (project_id E): field 'output': value '12,5,0' is not a number" in err
    assert "project_id D" not in err  # thousands separated as Excel writes them are read


def test_an_override_may_not_make_a_project_need_no_land(tiny, capsys):
    scenario = small(tiny).write()
    scenario.write_text(scenario.read_text() + "overrides: {projects.*.land_ha: 0, projects.A.land_ha: x0}\n")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "2 problem(s)" in err
    assert ("field 'overrides.projects.*.land_ha': makes land_ha 0; expected a number > 0 in ha (fix: use a smaller "
            "reduction)") in err
    assert "field 'overrides.projects.A.land_ha': makes land_ha 0" in err


def test_a_parks_shapefile_with_field_names_cut_to_10_characters(tiny, capsys):
    import warnings

    import geopandas as gpd

    scenario = small(tiny).write()
    folder = scenario.parent
    parks = gpd.read_file(folder / "parks.gpkg")
    with warnings.catch_warnings():  # geopandas and GDAL say that land_available_ha is cut to land_avail
        warnings.simplefilter("ignore")
        parks.to_file(folder / "parks.shp")
    assert "land_avail" in gpd.read_file(folder / "parks.shp").columns
    scenario.write_text(scenario.read_text().replace("parks.gpkg", "parks.shp"))
    code, out, err = siting("validate", scenario, capsys=capsys)
    assert code == 0, err
    assert "parks      2 in 1 counties, 130 ha free land" in out


def test_a_gbk_parks_shapefile_is_read_with_or_without_its_cpg(tmp_path, tiny, capsys):
    """QGIS and ArcGIS write GBK .dbf files, often without a .cpg: GDAL would then read the Chinese as mojibake
    (ISO-8859-1) and the run would go on with wrong county names. Without a .cpg the text is read as GBK, and
    noted; a .cpg that names the wrong encoding is bad input that says so."""
    import warnings

    import geopandas as gpd

    tiny.park("P1", county="郑州市中原区", name="中原园").park("P2", county="开封市", name="开封园")
    tiny.project("A", land_ha=10, output=100)
    scenario = tiny.write()
    folder = scenario.parent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gpd.read_file(folder / "parks.gpkg").to_file(folder / "parks.shp", encoding="GBK")
    (folder / "parks.cpg").unlink()
    scenario.write_text(scenario.read_text().replace("parks.gpkg", "parks.shp"))
    code, out, err = siting("validate", scenario, capsys=capsys)
    assert code == 0, err
    assert "parks      2 in 2 counties" in out
    assert "note       parks.shp: no .cpg beside it and its text is not UTF-8, so it was read as GBK" in out
    code, _, err = siting("run", scenario, "--out", tmp_path / "r", "--solver", "highs", capsys=capsys)
    assert code == 0, err
    parks = pd.read_csv(tmp_path / "r" / "parks.csv", encoding="utf-8-sig")
    assert sorted(parks["county"]) == ["开封市", "郑州市中原区"] and sorted(parks["name"]) == ["中原园", "开封园"]
    dbf = bytearray((folder / "parks.dbf").read_bytes())  # ArcGIS's "ANSI" code page byte names no code page
    dbf[29] = 0x57
    (folder / "parks.dbf").write_bytes(bytes(dbf))
    code, out, err = siting("validate", scenario, capsys=capsys)
    assert code == 0 and "parks      2 in 2 counties" in out and "so it was read as GBK" in out, err
    (folder / "parks.cpg").write_text("UTF-8")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert "parks.shp: its text is not in the encoding its .cpg names ('UTF-8')" in err
    assert "it reads as GBK (fix: write GBK in parks.cpg, or save the layer again as UTF-8)" in err
    # ArcGIS's 'ANSI 936' is GBK; 'System' names no code page (GDAL read both as ISO-8859-1: mojibake, exit 0)
    (folder / "parks.cpg").write_text("ANSI 936")
    code, out, err = siting("validate", scenario, capsys=capsys)
    assert code == 0 and "parks      2 in 2 counties" in out and "GBK" not in out, err
    (folder / "parks.cpg").write_text("System")
    code, out, err = siting("validate", scenario, capsys=capsys)
    assert code == 0 and "parks      2 in 2 counties" in out, err
    assert "parks.shp: its .cpg says 'System', which names no encoding and its text is not UTF-8, so it was read as GBK" in out
    (folder / "parks.cpg").write_text("1252")  # a Western code page over Chinese text
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "its .cpg names CP1252, a Western code page, but its text reads as GBK" in err
    hubs = folder / "hubs.geojson"  # GeoJSON is UTF-8 by definition: one in GBK is told to be saved again
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gpd.read_file(folder / "hubs.gpkg").assign(name="郑州站").to_file(hubs, driver="GeoJSON", encoding="GBK")
    scenario.write_text(scenario.read_text().replace("parks.shp", "parks.gpkg").replace("hubs.gpkg", "hubs.geojson"))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "hubs.geojson: its text is not UTF-8 (" in err and ".cpg" not in err
    assert "(fix: save it again as UTF-8" in err


def test_a_chain_cap_for_an_unknown_chain_is_refused(tiny, capsys):
    scenario = small(tiny).write()
    scenario.write_text(scenario.read_text() + "model: {max_parks_per_chain: {equipment: 1, equipmnet: 2}}\n")
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "1 problem(s)" in err
    assert "scenario.yaml: field 'model.max_parks_per_chain.equipmnet': unknown chain 'equipmnet' (fix: use one of:" in err


def test_committed_projects_kept_out_by_a_rule_beyond_the_quotas(tmp_path, tiny, capsys):
    tiny.park("P1").park("P2", county="东区")
    tiny.project("A", status="committed", fixed_park="P1", source_county="东区", output=100)
    tiny.settings["benefit_sharing"] = {"host_share": 0.5, "floor": 0.9}  # 东区 keeps 50 % of A's output, not 90 %
    code, _, err = siting("run", tiny.write(), "--out", tmp_path / "r", "--solver", "highs", capsys=capsys)
    assert code == 3 and "Traceback" not in err and "Relax these constraints" not in err  # no quota to relax
    assert "No plan can place every committed (or locked) project:" in err
    assert ("  - the land, energy and emission quotas would let every committed (or locked) project in; what keeps "
            "them out is one of these rules of the scenario: each county keeps at least 90% of the output of the "
            "projects it sourced, while a host county keeps 50% of a project sourced elsewhere (lower "
            "benefit_sharing.floor") in err
    assert not (tmp_path / "r").exists()


def test_column_names_with_other_letter_case_or_spaces(tmp_path, tiny, capsys):
    """'Land_HA' (Excel users capitalise headers) or ' Park_ID ' is read as the field when it is the only such
    column; two columns that differ only in letter case are refused (which one is meant? the GeoPackage output
    could not keep both), not guessed, and other columns are carried as written."""
    import warnings

    import geopandas as gpd

    scenario = small(tiny).write()
    folder = scenario.parent
    parks = gpd.read_file(folder / "parks.gpkg").rename(columns={"park_id": " Park_ID ", "tier": "TIER"})
    parks["Remark"] = "备注"
    parks.to_file(folder / "parks.gpkg")
    with warnings.catch_warnings():  # a shapefile whose .dbf has upper-case names cut to 10 characters
        warnings.simplefilter("ignore")
        parks.rename(columns={"land_available_ha": "LAND_AVAILABLE_HA"}).to_file(folder / "parks.shp")
    projects = folder / "projects.csv"
    table = pd.read_csv(projects, dtype=str, keep_default_na=False)
    table.rename(columns={"land_ha": "Land_HA", "project_id": " Project_ID"}).assign(Note="x").to_csv(
        projects, index=False)
    region = load_region(load_scenario(scenario))
    assert region.projects["land_ha"].tolist() == [60.0, 40.0]
    assert region.projects["project_id"].tolist() == ["A", "B"]
    assert region.parks["tier"].tolist() == ["national", "national"] and region.parks["Remark"].tolist() == ["备注"] * 2
    assert "Land_HA" not in region.projects.columns and region.projects["Note"].tolist() == ["x", "x"]
    code, _, err = siting("run", scenario, "--out", tmp_path / "r", "--solver", "highs", capsys=capsys)
    assert code == 0, err
    assert {"Remark", "tier"} <= set(gpd.read_file(tmp_path / "r" / "results.gpkg", layer="parks").columns)
    scenario.write_text(scenario.read_text().replace("parks.gpkg", "parks.shp"))
    assert load_region(load_scenario(scenario)).parks["land_available_ha"].tolist() == [100.0, 30.0]

    table.rename(columns={"land_ha": "Land_HA"}).assign(LAND_HA="1", JOBS="1", note="x", Note="y").to_csv(
        projects, index=False)
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "Traceback" not in err
    assert ("projects.csv: field 'land_ha': the columns 'Land_HA' and 'LAND_HA' could each be this field: their "
            "names differ only in letter case or spaces (fix: keep one of them, named 'land_ha')") in err
    assert "projects.csv: field 'jobs': the columns 'jobs' and 'JOBS' could each be this field" in err
    assert ("projects.csv: the columns 'note' and 'Note' have names that differ only in letter case or spaces, "
            "which a GeoPackage or shapefile cannot keep apart (fix: rename or delete all but one)") in err
    assert "required column is missing" not in err and "3 problem(s)" in err


def test_a_pair_adjusted_twice_is_named_not_added_up(tiny, capsys):
    scenario = small(tiny).write()
    (scenario.parent / "adj.csv").write_text("project_id,park_id,score\nA,P1,10\nB,P1,5\nA,P1,10\n")
    scenario.write_text(scenario.read_text().replace("links: links.csv", "links: links.csv\n  pair_adjustments: adj.csv"))
    code, _, err = siting("validate", scenario, capsys=capsys)
    assert code == 2 and "1 problem(s)" in err
    assert ("adj.csv: row 4: field 'park_id': the pair A → P1 is adjusted already in row 2 (fix: keep one row per "
            "pair (add the scores if both are meant))") in err


def test_an_id_with_a_list_separator_is_refused(tiny, capsys):
    small(tiny).project("C；D", land_ha=10).write()  # forbidden_parks, leading_chains... could never name it
    code, _, err = siting("validate", tiny.write(), capsys=capsys)
    assert code == 2 and "1 problem(s)" in err
    assert "field 'project_id': ID 'C；D' contains a list separator (';', '；' or '、')" in err


def test_a_bad_baseline_and_a_bad_scenario_are_reported_together(tmp_path, tiny, capsys):
    small(tiny).project("C", land_ha="x")
    code, _, err = siting("run", tiny.write(), "--out", tmp_path / "r", "--baseline", tmp_path, capsys=capsys)
    assert code == 2 and "2 problem(s)" in err and "Traceback" not in err
    assert "is not a run folder" in err and "row 4 (project_id C): field 'land_ha'" in err
    assert not (tmp_path / "r").exists()
