"""Hand-made cases for the cluster model's families: links, chains, county caps, benefit sharing."""

from __future__ import annotations

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
    return dict(zip(result.plan.assignments["project_id"], result.plan.assignments["park_id"], strict=True))


def weights(**kw) -> dict:
    return {"output": 1.0, "tax": 0.0, "jobs": 0.0, "leading_chain": 0.0, "hub_access": 0.0, "belt": 0.0,
            "affinity": 0.0, "chain_open": 0.0, **kw}


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_link_counts_only_when_both_ends_are_near(tmp_path, tiny, solver):
    # Parks are 20 km apart on a line: P1–P2 26 min (20 km × 1.3 at 60 km/h), P1–P3 52 min.
    # S (supplier) only fits P1. C (customer) prefers P3 (+10 leading bonus via adjustment below).
    # Link S→C worth 100 × affinity 0.5 = 50 when C is within 30 min of S: P1 or P2, not P3.
    # C in P3: 10 + 20 = 30; C in P2: 20 + 50 = 70 → C goes to P2 although P3 scores higher alone.
    tiny.settings["weights"] = weights(affinity=0.5)
    tiny.park("P1", land_available_ha=10).park("P2").park("P3")
    tiny.project("S", output=5, forbidden_parks="P2;P3").project("C", output=20, forbidden_parks="P1")
    tiny.link("S", "C", 100, 30)
    scenario = tiny.write()
    (scenario.parent / "adj.csv").write_text("project_id,park_id,score\nC,P3,10\n")
    scenario.write_text(scenario.read_text().replace("links: links.csv", "links: links.csv\n  pair_adjustments: adj.csv"))
    result = run(tmp_path, scenario, solver=solver)
    assert placed(result) == {"S": "P1", "C": "P2"}
    assert result.summary["solution"]["objective"] == pytest.approx(5 + 20 + 50)
    rows = result.plan.assignments.set_index("project_id")
    assert rows.loc["C", "affinity"] == pytest.approx(25) and rows.loc["S", "affinity"] == pytest.approx(25)
    links = pd.read_csv(result.folder / "links.csv")
    assert links["local"].tolist() == [True]
    assert result.summary["kpis"]["local_supply_rate"] == 1.0


def test_same_park_link_needs_the_same_park(tmp_path, tiny):
    # max_minutes 0: only the same park counts. A only fits P1 (P2 forbidden); B is worth 30 in P2 and 25 in
    # P1 (adjustment). Link 20 × 1.0: B in P1 = 25 + 20 = 45 > 30 → B joins A in P1.
    tiny.settings["weights"] = weights(affinity=1.0)
    tiny.park("P1").park("P2")
    tiny.project("A", output=1, forbidden_parks="P2").project("B", output=30)
    tiny.link("A", "B", 20, 0)
    scenario = tiny.write()
    (scenario.parent / "adj.csv").write_text("project_id,park_id,score\nB,P1,-5\n")
    scenario.write_text(scenario.read_text().replace("links: links.csv", "links: links.csv\n  pair_adjustments: adj.csv"))
    result = run(tmp_path, scenario)
    assert placed(result) == {"A": "P1", "B": "P1"}
    assert result.summary["solution"]["objective"] == pytest.approx(1 + 25 + 20)


def test_chain_cap_forces_a_choice(tmp_path, tiny):
    # One park, max_chains 2, plenty of room. food 10 + 10, nev 15, equipment 12: the best two chains are
    # food (20) and nev (15) → equipment stays out although it fits.
    tiny.park("P1", max_chains=2, land_available_ha=1000)
    tiny.project("F1", chain="food", output=10).project("F2", chain="food", output=10)
    tiny.project("N", chain="nev", output=15).project("E", chain="equipment", output=12)
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"F1": "P1", "F2": "P1", "N": "P1"}
    parks = pd.read_csv(result.folder / "parks.csv")
    assert parks.loc[0, "n_chains"] == 2
    reason = pd.read_csv(result.folder / "unplaced.csv").set_index("project_id").at["E", "reason"]
    assert reason == ("eligible in 1 park(s): P1: its chain equipment is not there and the park already hosts 2 of its "
                      "max_chains 2 (food, nev) (won by N, F1, F2)")


def test_chain_cap_can_be_switched_off_and_opening_costs(tmp_path, tiny):
    tiny.settings["model"] = {"max_chains": False}
    tiny.settings["weights"] = weights(chain_open=11)
    tiny.park("P1", max_chains=1, land_available_ha=1000)
    tiny.project("F1", chain="food", output=10).project("F2", chain="food", output=10)
    tiny.project("N", chain="nev", output=15).project("E", chain="equipment", output=12)
    # no cap, but opening a chain costs 11: food 20 − 11 = 9, nev 15 − 11 = 4, equipment 12 − 11 = 1 → all open
    result = run(tmp_path, tiny.write())
    assert len(placed(result)) == 4
    assert result.summary["solution"]["objective"] == pytest.approx(47 - 33)


def test_parks_per_chain_cap(tmp_path, tiny):
    tiny.settings["model"] = {"max_parks_per_chain": {"food": 1}}
    tiny.park("P1", land_available_ha=10).park("P2", land_available_ha=10)
    tiny.project("F1", chain="food", output=10).project("F2", chain="food", output=8)
    # each park takes one project; food may only be in one park → F2 out
    result = run(tmp_path, tiny.write())
    assert set(placed(result)) == {"F1"}
    here = placed(result)["F1"]  # (the two parks tie)
    there = ({"P1", "P2"} - {here}).pop()
    reason = pd.read_csv(result.folder / "unplaced.csv").set_index("project_id").at["F2", "reason"]
    assert f"{there}: chain food is already in 1 park(s), its max_parks_per_chain 1 ({here})" in reason
    assert f"{here}: land needs 10, 0 ha left (won by F1)" in reason


def test_county_energy_cap_on_top_of_park_quotas(tmp_path, tiny):
    # Two parks in one county with 130 tce each; the county cap is 150 tce. Three projects of 60 tce: the
    # parks alone would take all three (two in one park, 120 ≤ 130, one in the other), but the county cap
    # allows two (120 ≤ 150 < 180): the best two are A and B.
    tiny.park("P1", energy_quota_tce=130).park("P2", energy_quota_tce=130)
    for pid, out in (("A", 30), ("B", 20), ("C", 10)):
        tiny.project(pid, energy_tce=60, output=out)
    scenario = tiny.write()
    (scenario.parent / "counties.csv").write_text("county,energy_quota_tce,emission_quota_t\n中牟县,150,\n",
                                                  encoding="utf-8")
    scenario.write_text(scenario.read_text().replace("links: links.csv", "links: links.csv\n  counties: counties.csv"))
    result = run(tmp_path, scenario)
    assert set(placed(result)) == {"A", "B"}
    counties = pd.read_csv(result.folder / "counties.csv")
    assert counties.loc[0, "energy_cap_tce"] == 150
    # the report: 30 tce left under the cap (150 − 120), not 140 under the parks' quotas (260 − 120)
    from .test_report import tables

    row = tables((result.folder / "report.html").read_text(encoding="utf-8"))["counties"][0]
    assert (row["energy quota (tce)"], row["energy used (tce)"], row["energy left (tce)"]) == ("260", "120", "30")
    # with the caps switched off, they are neither applied nor reported (and check does not hold the plan to them)
    scenario.write_text(scenario.read_text() + "model: {county_caps: false}\n")
    result = run(tmp_path, scenario)
    assert set(placed(result)) == {"A", "B", "C"}
    assert "energy_cap_tce" not in pd.read_csv(result.folder / "counties.csv").columns


def test_a_county_without_a_park_sources_projects(tmp_path, tiny, capsys):
    """飞地经济: 丙县 has no park and sourced X (output 100), sited in P1 (甲县). Host share 0.8: 丙 receives 20,
    甲 80; 丙 has a row of its own (no parks, nothing used). A floor of 30 % for what a county sourced cannot be
    met for 丙 anywhere (it hosts nothing), so X is left out and Y (output 60, no source county) placed instead."""
    import cli

    tiny.settings["benefit_sharing"] = {"host_share": 0.8, "floor": None}
    tiny.park("P1", county="甲县", land_available_ha=100)
    tiny.project("X", output=100, land_ha=60, source_county="丙县").project("Y", output=60, land_ha=60)
    scenario = tiny.write()
    assert cli.main(["validate", str(scenario)]) == 0
    assert ("note       source_county names 1 county(ies) with no park in the parks layer, which only source projects "
            "for other counties (飞地经济): 丙县 (1 project(s))") in capsys.readouterr().out
    result = run(tmp_path, scenario)
    assert placed(result) == {"X": "P1"}
    benefit = result.summary["kpis"]["county_benefit"]
    assert benefit["丙县"]["output_benefit"] == pytest.approx(20) and benefit["甲县"]["output_benefit"] == pytest.approx(80)
    counties = pd.read_csv(result.folder / "counties.csv").set_index("county")
    assert counties.loc["丙县", ["parks", "land_used", "output_hosted", "output_sourced"]].tolist() == [0, 0, 0, 100]
    scenario.write_text(scenario.read_text().replace("floor: null", "floor: 0.3"))
    result = run(tmp_path, scenario)
    assert placed(result) == {"Y": "P1"}
    reason = pd.read_csv(result.folder / "unplaced.csv").set_index("project_id").at["X", "reason"]
    assert reason.startswith("its source county 丙县 hosts no park and keeps 0.2 of it wherever it goes, below the "
                             "benefit floor 0.3, so it cannot be placed; eligible in 1 park(s): P1: land needs 60")
    assert any("below the benefit floor 0.3: none of their projects can be placed" in n for n in result.summary["notes"])


def test_benefit_floor_keeps_a_share_at_home(tmp_path, tiny):
    # County 甲 sourced X (output 100). X scores more in P2 (county 乙: +50 adjustment) than at home in P1.
    # Host share 0.8: sited in 乙, 甲 keeps only 20 % < floor 30 % → X must stay in P1 (甲).
    tiny.settings["benefit_sharing"] = {"host_share": 0.8, "floor": 0.3}
    tiny.park("P1", county="甲县").park("P2", county="乙县")
    tiny.project("X", output=100, source_county="甲县")
    scenario = tiny.write()
    (scenario.parent / "adj.csv").write_text("project_id,park_id,score\nX,P2,50\n", encoding="utf-8")
    scenario.write_text(scenario.read_text().replace("links: links.csv", "links: links.csv\n  pair_adjustments: adj.csv"))
    assert placed(run(tmp_path, scenario)) == {"X": "P1"}
    scenario.write_text(scenario.read_text().replace("floor: 0.3", "floor: 0.2"))  # 20 % is enough now
    result = run(tmp_path, scenario)
    assert placed(result) == {"X": "P2"}
    benefit = result.summary["kpis"]["county_benefit"]
    assert benefit["乙县"]["output_benefit"] == pytest.approx(80) and benefit["甲县"]["output_benefit"] == pytest.approx(20)
