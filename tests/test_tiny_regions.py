"""Tiny hand-made regions whose optimum is worked out in each test, run through the real pipeline."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

import siting
from siting.check import check_run
from siting.columns import unknown_columns


def run(tmp_path, scenario, **kwargs):
    result = siting.execute(scenario, runs_dir=tmp_path / "outputs", **kwargs)
    assert check_run(result.folder) == []
    assert unknown_columns(pd.read_csv(result.folder / "columns.csv", keep_default_na=False)) == []
    return result


def placed(result) -> dict[str, str]:
    return dict(zip(result.plan.assignments["project_id"], result.plan.assignments["park_id"]))


def knapsack(tiny):
    """P1 has 100 ha, P2 30 ha. A 60 ha/100, B 50 ha/90, C 40 ha/80, D 30 ha/50 (output = score).

    P2 can only take D (the others exceed 30 ha). P1's best subset within 100 ha is A+C (180); with D
    in P2 the optimum is 230 and B stays out (B+C = 170, A+D = 150 are worse).
    """
    tiny.park("P1", land_available_ha=100).park("P2", land_available_ha=30)
    for pid, land, output in [("A", 60, 100), ("B", 50, 90), ("C", 40, 80), ("D", 30, 50)]:
        tiny.project(pid, land_ha=land, output=output)
    return tiny


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_knapsack_optimum_worked_out_by_hand(tmp_path, tiny, solver):
    result = run(tmp_path, knapsack(tiny).write(), solver=solver)
    assert placed(result) == {"A": "P1", "C": "P1", "D": "P2"}
    sol = result.summary["solution"]
    assert sol["status"] == "optimal"
    assert sol["objective"] == pytest.approx(230)
    assert sol["bound"] == pytest.approx(230, rel=1e-4)
    unplaced = pd.read_csv(result.folder / "unplaced.csv")
    assert unplaced["project_id"].tolist() == ["B"]
    assert unplaced["reason"].iat[0] == "eligible in 1 park(s): P1: land needs 50, 0 ha left (won by A, C)"
    assert unplaced["removed_by_rule"].iat[0] == "land: 1 park(s)"  # P2 has 30 ha: B (50 ha) can never fit


def test_energy_quota_binds_instead_of_land(tmp_path, tiny):
    # One park, plenty of land, 250 tce. X: 200 tce/score 100, Y: 150 tce/70, Z: 100 tce/60.
    # Feasible sets within 250 tce: {X} 100, {Y,Z} 130, {Y} 70, {Z} 60 → optimum Y+Z = 130.
    tiny.park("P1", land_available_ha=1000, energy_quota_tce=250)
    for pid, energy, output in [("X", 200, 100), ("Y", 150, 70), ("Z", 100, 60)]:
        tiny.project(pid, energy_tce=energy, output=output)
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"Y": "P1", "Z": "P1"}
    parks = pd.read_csv(result.folder / "parks.csv")
    assert parks.loc[0, "energy_used"] == pytest.approx(250)


def test_a_plan_that_places_nothing_is_a_complete_run(tmp_path, tiny):
    # P1 has 20 ha; A needs 30 ha: nothing can be placed, and the run says so in every file (no warning)
    tiny.park("P1", land_available_ha=20).project("A", land_ha=30, output=100)
    result = run(tmp_path, tiny.write())
    assert placed(result) == {}
    parks = pd.read_csv(result.folder / "parks.csv", keep_default_na=False)
    assert parks.loc[0, "chains"] == "" and parks.loc[0, "n_chains"] == 0 and parks.loc[0, "projects"] == 0
    assert pd.read_csv(result.folder / "unplaced.csv")["project_id"].tolist() == ["A"]
    assert result.summary["solution"]["objective"] == pytest.approx(0)


def test_a_plan_with_no_eligible_pair_prices_every_quota_at_zero(tmp_path, tiny):
    # no pair is eligible (A needs 30 ha, P1 has 20): the LP around the plan is empty and every quota is worth 0,
    # not "the LP did not finish" (prices left empty)
    tiny.park("P1", land_available_ha=20).project("A", land_ha=30, output=100)
    result = run(tmp_path, tiny.write())
    prices = pd.read_csv(result.folder / "shadow_prices.csv")
    assert prices["row"].tolist() == ["land[P1]", "energy[P1]", "emission[P1]"]
    assert prices["shadow_price"].tolist() == [0.0, 0.0, 0.0]
    report = (result.folder / "report.html").read_text(encoding="utf-8")
    assert "did not finish" not in report and "land (ha): 0 quota(s) with a price" in report


def test_a_project_worth_nothing_is_left_out_for_that_reason(tmp_path, tiny):
    # Z has no output, tax or jobs: it scores 0 in P1, where it would fit. The reason says so, not "leaving it out
    # scores higher elsewhere or the search stopped before finding it" (the plan is proven optimal)
    tiny.park("P1").project("A", output=5).project("Z", output=0)
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"A": "P1"}
    unplaced = pd.read_csv(result.folder / "unplaced.csv")
    assert unplaced["reason"].tolist() == ["eligible in 1 park(s): P1: would fit, but its own score there is 0.0: "
                                           "only a supplier link could make placing it worth anything (won by A)"]

def test_links_worth_nothing_give_no_local_supply_rate(tmp_path, tiny):
    # a link of value 0 (allowed) between two placed projects: the rate is 0 ÷ 0, so there is none (it was a
    # RuntimeWarning, and NaN in summary.json without -W error)
    tiny.park("P1").project("A", output=5).project("B", output=6).link("A", "B", 0)
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"A": "P1", "B": "P1"}
    k = result.summary["kpis"]
    assert (k["local_supply_rate"], k["local_supply_rate_all_links"], k["links_local"], k["links_total"]) == (
        None, None, 1, 1)
    assert "NaN" not in (result.folder / "summary.json").read_text(encoding="utf-8")
    report = (result.folder / "report.html").read_text(encoding="utf-8")
    assert "– (no link with both ends placed carries any value)" in report

def test_a_project_left_out_by_a_county_cap_is_told_so(tmp_path, tiny):
    # A (100 tce) may only go to P2, in B县, whose county energy cap is 50 tce: A is left out by the cap, not
    # "would fit; leaving it out scores higher elsewhere or the search stopped before finding it"
    tiny.park("P1", county="A县").park("P2", county="B县")
    tiny.project("A", output=5, fixed_park="P2").project("B", output=6)
    scenario = tiny.write()
    (scenario.parent / "counties.csv").write_text("county,energy_quota_tce,emission_quota_t\nB县,50,\n",
                                                  encoding="utf-8")
    scenario.write_text(scenario.read_text().replace("links: links.csv", "links: links.csv\n  counties: counties.csv"))
    result = run(tmp_path, scenario)
    assert placed(result) == {"B": "P1"}
    unplaced = pd.read_csv(result.folder / "unplaced.csv")
    assert unplaced["reason"].tolist() == ["eligible in 1 park(s): P2: county B县 energy needs 100, 50 tce/yr left"]
    report = (result.folder / "report.html").read_text(encoding="utf-8")  # the counties table says what left is
    assert "county caps (能耗双控) of the counties table; left = the lower of the quota and the cap, − used" in report


def test_gis_layers_without_geometries_keep_their_geometry_type(tmp_path, tiny):
    import pyogrio

    # nothing placed, no corridors, no exclusions: the empty layers were 'Unknown' in the GeoPackage and line
    # shapefiles (even projects and exclusions, whose QGIS styles are for points and polygons)
    expected = {"parks": "Polygon", "projects": "Point", "links": "LineString", "corridors": "LineString",
                "hubs": "Point", "exclusions": "Polygon", "priorities": "LineString"}
    tiny.park("P1", land_available_ha=20).project("A", land_ha=30, output=100).project("B", land_ha=30)
    result = run(tmp_path, tiny.link("A", "B", 10).write())
    folder = result.folder
    assert {name: kind for name, kind in pyogrio.list_layers(folder / "results.gpkg") if kind} == expected
    assert {name: pyogrio.read_info(folder / "shp" / f"{name}.shp")["geometry_type"] for name in expected} == expected
    # a link within one park has no line: a links layer of such links only is still a line layer
    tiny.parks[0]["land_available_ha"] = 100
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"A": "P1", "B": "P1"}
    assert pyogrio.read_info(result.folder / "shp" / "links.shp")["geometry_type"] == "LineString"
    assert dict(pyogrio.list_layers(result.folder / "results.gpkg"))["links"] == "LineString"


def test_optional_layers_not_given_are_not_said_to_be_reprojected(tmp_path, tiny):
    # no corridors and no exclusions: the notes used to say 'corridors: reprojected from EPSG:4490 ...' for each
    result = run(tmp_path, knapsack(tiny).write())
    assert siting.load_region(siting.load_scenario(tiny.folder / "scenario.yaml")).notes == []
    assert result.summary["notes"] == []
    report = (result.folder / "report.html").read_text(encoding="utf-8")
    assert "reprojected" not in report and "work CRS EPSG:4547" in report

def test_links_of_a_plan_that_places_nothing(tmp_path, tiny):
    # neither end of the link A→B is placed, and nothing else is: the link table warned (Pandas4Warning) when
    # filling the parks of the ends, an error under pytest
    tiny.park("P1", land_available_ha=20).project("A", land_ha=30, output=100).project("B", land_ha=30)
    result = run(tmp_path, tiny.link("A", "B", 10).write())
    assert placed(result) == {}
    links = pd.read_csv(result.folder / "links.csv", keep_default_na=False)
    assert links[["supplier_park", "customer_park", "minutes", "local"]].values.tolist() == [["", "", "", False]]
    k = result.summary["kpis"]
    assert (k["links_total"], k["links_local"], k["local_supply_rate"], k["local_supply_rate_all_links"]) == (
        1, 0, None, 0.0)

def test_input_columns_named_like_computed_ones_are_carried_under_their_own_name(tmp_path, tiny):
    # a planner's 'score' and 'Park_ID' columns beside the run's own score and park_id (GIS field names ignore
    # case): a KeyError after the solve, or a GeoPackage that cannot take both; now carried as *_input
    knapsack(tiny)
    for n, p in enumerate(tiny.projects):  # and QGIS's 'fid', which a GeoPackage keeps for its feature IDs
        p.update({"score": "A-", "Park_ID": "老园区", "FID": n + 1})
    result = run(tmp_path, tiny.write())  # the checker and the column dictionary pass too
    assert placed(result) == {"A": "P1", "C": "P1", "D": "P2"}
    a = pd.read_csv(result.folder / "assignments.csv", keep_default_na=False)
    assert a.loc[a["project_id"] == "A", "score"].iat[0] == 100 and a["score_input"].eq("A-").all()
    assert a["Park_ID_input"].eq("老园区").all() and a["park_id"].tolist() == ["P1", "P1", "P2"]
    notes = result.summary["notes"]
    assert "projects.csv: column 'score' is carried to the outputs as 'score_input', since the run computes its own " \
           "'score'" in notes
    import geopandas as gpd
    assert "Park_ID_input" in gpd.read_file(result.folder / "results.gpkg", layer="projects").columns
    assert a["FID_input"].tolist() == [1, 3, 4]
    assert "projects.csv: column 'FID' is carried to the outputs as 'FID_input', since a GeoPackage keeps 'fid' for " \
           "its feature IDs" in notes


def test_committed_project_is_placed_even_when_worth_less(tmp_path, tiny):
    # P1 has 50 ha. A (50 ha, 100) would win, but B (50 ha, 10) is committed: B must be placed.
    tiny.park("P1", land_available_ha=50)
    tiny.project("A", land_ha=50, output=100).project("B", land_ha=50, output=10, status="committed")
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"B": "P1"}


def test_scenario_override_changes_the_optimum(tmp_path, tiny):
    knapsack(tiny).settings["overrides"] = {"parks.P2.land_available_ha": "+30"}  # P2: 60 ha → takes A or B
    # P1 100 ha, P2 60 ha: A+C in P1 (180) and B (90) in P2 = 270... or D as well? P2 60: B 50 → 90, D alone 50,
    # A 60 → 100. Best: P1 {B, C} 170 + P2 {A} 100 = 270 = P1 {A, C} 180 + P2 {B} 90 = 270; with D: P1 {A, D}
    # 150 + P2 {B} 90 = 240. Optimum 270; in both optimal plans D stays out.
    result = run(tmp_path, tiny.write())
    assert result.summary["solution"]["objective"] == pytest.approx(270)
    assert "D" not in placed(result)


def test_report_names_the_most_similar_counties_escaped(tmp_path, tiny):
    """Two counties hosting the same chain mix: similarity 1; the report names the pair, the county name escaped."""
    tiny.park("P1", county="<i>甲</i>县").park("P2", county="乙县")
    tiny.project("A", output=10, fixed_park="P1").project("B", output=20, fixed_park="P2")
    result = run(tmp_path, tiny.write())
    assert result.summary["kpis"]["structural_similarity"] == {"<i>甲</i>县|乙县": 1.0}
    report = (result.folder / "report.html").read_text(encoding="utf-8")
    assert "1.000; most similar: &lt;i&gt;甲&lt;/i&gt;县–乙县 1.000</td>" in report and "<i>甲" not in report
    assert "<th>Parks over their max_chains</th><td>0</td>" in report


def test_max_chains_scaled_by_an_override_rounds_halves_up(tmp_path, tiny):
    tiny.settings["overrides"] = {"parks.*.max_chains": "x1.5"}
    tiny.park("P1", max_chains=3).park("P2", max_chains=5).project("A", output=10)
    parks = pd.read_csv(run(tmp_path, tiny.write()).folder / "parks.csv").set_index("park_id")
    assert parks["max_chains"].to_dict() == {"P1": 5, "P2": 8}  # 4.5 → 5 and 7.5 → 8 (not the even 4 and 8)


def test_an_unquoted_plus_in_an_override_adds(tmp_path, tiny):
    """YAML reads +30 as the number 30; an override written so still means "add 30" (P2: 30 → 60 ha), as
    "+30" does, and the run records it as "+30". A number with a + elsewhere is just the number."""
    scenario = knapsack(tiny).write()
    text = scenario.read_text(encoding="utf-8")
    assert "time_limit: 30" in text
    scenario.write_text(text.replace("time_limit: 30", "time_limit: +30")
                        + "overrides: {parks.P2.land_available_ha: +30}\n", encoding="utf-8")
    result = run(tmp_path, scenario)
    assert result.summary["solution"]["objective"] == pytest.approx(270)  # as in the test above
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["overrides"] == {"parks.P2.land_available_ha": "+30"}
    assert manifest["settings"]["solver"]["time_limit"] == 30


def test_lock_and_forbid_from_the_scenario(tmp_path, tiny):
    knapsack(tiny).settings.update(locks=[{"project": "B", "park": "P1"}], forbids=[{"project": "A", "park": "P1"}])
    # B locked in P1 (50 ha left); A forbidden in P1 and too big for P2 → out. P1 takes B + C (90 ha, 170),
    # P2 takes D (50): 220.
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"B": "P1", "C": "P1", "D": "P2"}
    removed = pd.read_csv(result.folder / "eligibility_removed.csv")
    assert set(removed.loc[removed["project_id"] == "A", "rule"]) == {"forbidden", "land"}


def test_every_eligibility_rule_removes_with_a_reason(tmp_path, tiny):
    tiny.park("P1", tier="county", chemical_park=False, min_invest_intensity=500, allowed_chains="food")
    tiny.park("P2", tier="national", chemical_park=True, leading_chains="chemicals")
    tiny.hubs = [{"hub_id": "H1", "name": "港 Port", "kind": "inland_port", "x": 21.0, "y": 1.0}]  # inside P2
    tiny.project("haz", chain="chemicals", hazardous=True, output=10)  # only P2 (chemical park)
    tiny.project("tier", chain="food", min_tier="provincial", output=10)  # only P2
    tiny.project("chain", chain="equipment", output=10)  # P1 accepts food only
    tiny.project("thin", chain="food", land_ha=10, investment=10 * 15 * 400, output=10)  # 400 万元/亩 < 500 in P1
    tiny.project("hub", chain="food", needs_hub="inland_port", max_hub_minutes=10, output=10)  # P1 is ~20 km away
    tiny.project("fixed", chain="food", fixed_park="P1", output=10)  # only P1
    tiny.project("forbid", chain="food", forbidden_parks="P2", output=10)  # only P1
    result = run(tmp_path, tiny.write())
    removed = pd.read_csv(result.folder / "eligibility_removed.csv")
    rules = {(r.project_id, r.park_id, r.rule) for r in removed.itertuples()}
    assert rules == {("haz", "P1", "hazardous"), ("haz", "P1", "chain"), ("tier", "P1", "tier"),
                     ("chain", "P1", "chain"), ("thin", "P1", "intensity"), ("hub", "P1", "hub"),
                     ("fixed", "P2", "fixed"), ("forbid", "P2", "forbidden")}
    assert placed(result) == {"haz": "P2", "tier": "P2", "chain": "P2", "thin": "P2", "hub": "P2",
                              "fixed": "P1", "forbid": "P1"}
    reason = removed.loc[(removed["project_id"] == "thin"), "reason"].iat[0]
    assert "400 万元/亩" in reason and "500" in reason


def test_leading_chain_bonus_decides_between_equal_parks(tmp_path, tiny):
    tiny.settings["weights"] = {"output": 1.0, "tax": 0.0, "jobs": 0.0, "leading_chain": 0.5, "hub_access": 0.0,
                                "belt": 0.0}
    tiny.park("P1", land_available_ha=10).park("P2", land_available_ha=10, leading_chains="food")
    tiny.project("F", chain="food", output=100)
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"F": "P2"}
    row = result.plan.assignments.iloc[0]
    assert (row["value"], row["leading_bonus"], row["score"]) == (100, 50, 150)


def test_runs_are_deterministic(tmp_path, tiny):
    scenario = knapsack(tiny).write()
    a = siting.execute(scenario, runs_dir=tmp_path / "o")
    b = siting.execute(scenario, runs_dir=tmp_path / "o")
    assert a.folder != b.folder
    assert (a.folder / "assignments.csv").read_bytes() == (b.folder / "assignments.csv").read_bytes()


def test_checker_catches_tampered_outputs(tmp_path, tiny):
    result = run(tmp_path, knapsack(tiny).write())
    path = result.folder / "assignments.csv"
    table = pd.read_csv(path, keep_default_na=False)
    table.loc[table["project_id"] == "D", "park_id"] = "P1"  # P1 now holds 130 ha of 100
    table.to_csv(path, index=False)
    problems = check_run(result.folder)
    assert any("land used 130 exceeds quota 100" in p for p in problems)
    summary = json.loads((result.folder / "summary.json").read_text())
    summary["kpis"]["output"] = 1
    (result.folder / "summary.json").write_text(json.dumps(summary))
    assert any("KPI output" in p for p in check_run(result.folder))


def test_checker_catches_gis_outputs_that_disagree_with_the_tables(tmp_path, tiny):
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import Point

    result = run(tmp_path, knapsack(tiny).write())
    folder = result.folder
    gpkg = folder / "results.gpkg"
    projects = gpd.read_file(gpkg, layer="projects")
    projects.loc[projects["project_id"] == "D", "park_id"] = "P1"  # the layer puts D in P1, assignments.csv in P2
    projects.loc[projects["project_id"] == "A", "geometry"] = Point(0, 0)  # A drawn far from its park
    pyogrio.write_dataframe(projects, gpkg, layer="projects", driver="GPKG")
    shp = gpd.read_file(folder / "shp" / "projects.shp", encoding="UTF-8")
    shp.loc[shp["project_id"] == "C", "land_ha"] = 4.0  # 40 ha in the tables
    shp.to_file(folder / "shp" / "projects.shp", encoding="UTF-8")
    (folder / "shp" / "parks.cpg").unlink()
    (folder / "shp" / "parks.prj").write_text(
        'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
        'UNIT["degree",0.0174532925199433]]')
    problems = check_run(folder)
    assert "results.gpkg layer 'projects' against assignments.csv: field park_id differs in 1 row(s), " \
           "e.g. project_id D" in problems
    # A's point was moved far away; D's park changed, so P1's projects are drawn at two points
    assert any("'projects': 1 point(s) missing or more than 20 km from their park's polygon, e.g. project_id A" in p
               for p in problems)
    assert "results.gpkg layer 'projects': the projects of park(s) P1 are drawn at different points" in problems
    assert any(p.startswith("shp/projects.shp against results.gpkg: field land_ha differs") for p in problems)
    assert any(p.startswith("shp/parks.cpg is missing") for p in problems)
    assert any(p.startswith("shp/parks.shp: CRS") for p in problems)
    assert not any("hazardous" in p or "chemical_park" in p for p in problems)  # flags written as 1/0 agree


def test_checker_accepts_gates_outside_the_polygon_and_text_as_written(tmp_path, tiny):
    import geopandas as gpd
    from shapely.geometry import Point

    from .conftest import X0, Y0

    # P1's gate lies 2 km north of its 2 km square: its projects are drawn there, outside the polygon. Text the
    # shapefile stores without its trailing space, and text that reads like a number, are still the same text
    gate = gpd.GeoSeries([Point(X0 + 1000, Y0 + 4000)], crs="EPSG:4547").to_crs("EPSG:4490")
    tiny.park("P1", land_available_ha=100, gate_lon=gate.x.iat[0], gate_lat=gate.y.iat[0])
    tiny.project("A", name="说明 ", land_ha=10, output=10, remark="nan").project("B", land_ha=10, output=5,
                                                                                   remark="0012")
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"A": "P1", "B": "P1"}
    # a repeated row of assignments.csv is a violation, not a traceback
    path = result.folder / "assignments.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8-sig")
    problems = check_run(result.folder)
    repeated = lines[1].split(",")[0]
    assert f"project(s) assigned more than once: {repeated}" in problems
    assert any("project_id A appears more than once in the run's table" in p for p in problems)
    # text that reads like a number is compared as text: 0012 is not 12
    path.write_text("\n".join(lines).replace("0012", "12") + "\n", encoding="utf-8-sig")
    assert any("field remark differs in 1 row(s), e.g. project_id B" in p for p in check_run(result.folder))


def test_a_run_never_overwrites_and_a_failed_run_leaves_nothing(tmp_path, tiny, monkeypatch):
    scenario = knapsack(tiny).write()
    out = tmp_path / "mine"
    siting.execute(scenario, out=out)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(FileExistsError):
        siting.execute(scenario, out=out)
    assert sorted(p.name for p in out.iterdir()) == before

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("siting.run.write_map", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        siting.execute(scenario, out=tmp_path / "second")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "region"]


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_shadow_price_of_land_equals_the_marginal_density(tmp_path, tiny, solver):
    # P1 has 10 ha. A (6 ha, 12) is placed; B (6 ha, 6) does not fit. In the LP around the plan B would take
    # the 4 ha left at 6 / 6 = 1 point per ha, so one more ha of land in P1 is worth 1; energy is slack: 0.
    tiny.park("P1", land_available_ha=10)
    tiny.project("A", land_ha=6, output=12).project("B", land_ha=6, output=6)
    result = run(tmp_path, tiny.write(), solver=solver)
    prices = pd.read_csv(result.folder / "shadow_prices.csv").set_index("row")
    assert prices.loc["land[P1]", "shadow_price"] == pytest.approx(1.0)
    assert prices.loc["energy[P1]", "shadow_price"] == 0
    assert prices.loc["land[P1]", "used"] == 6


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path, tiny):
    from siting.run import reserve_run_folder

    first = reserve_run_folder(tmp_path / "o", "same")
    second = reserve_run_folder(tmp_path / "o", "same")
    assert first != second and first.is_dir() and second.is_dir()
    result = siting.execute(knapsack(tiny).write(), runs_dir=tmp_path / "o")
    umask = os.umask(0)
    os.umask(umask)
    assert result.folder.stat().st_mode & 0o777 == 0o777 & ~umask  # as any folder made here, not private (mkdtemp)
    assert not list((tmp_path / "o").glob(".partial-*"))
