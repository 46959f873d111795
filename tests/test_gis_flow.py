"""GIS analysis in the siting flow: exclusion zones cap land, rasters feed the fit, transport priorities."""

from __future__ import annotations

import pandas as pd
import pytest

import siting
from siting.check import check_run

from .test_cluster_model import placed, weights


def run(tmp_path, scenario):
    result = siting.execute(scenario, runs_dir=tmp_path / "outputs")
    assert check_run(result.folder) == []
    return result


def test_exclusion_zone_caps_free_land(tmp_path, tiny):
    # P1 is 2 km × 2 km = 400 ha and declares 1,000 ha free; a red line covers its left half (200 ha) and a
    # farmland block overlaps that half by 0.5 km × 1 km (counted once) and covers 50 ha more to the right.
    # Usable: 400 − 200 − 50 = 150 ha → a 160 ha project no longer fits, a 140 ha one does.
    tiny.park("P1", land_available_ha=1000)
    tiny.exclusions = [{"kind": "ecological_redline", "box": (0, 0, 1, 2)},
                       {"kind": "basic_farmland", "box": (0.5, 0, 1.5, 1)}]
    tiny.project("BIG", land_ha=160, output=100).project("OK", land_ha=140, output=10)
    result = run(tmp_path, tiny.write())
    assert placed(result) == {"OK": "P1"}
    parks = pd.read_csv(result.folder / "parks.csv").set_index("park_id")
    assert parks.at["P1", "area_ha"] == pytest.approx(400)
    assert parks.at["P1", "excluded_ha_ecological_redline"] == pytest.approx(200)
    assert parks.at["P1", "excluded_ha_basic_farmland"] == pytest.approx(100)
    assert parks.at["P1", "excluded_ha"] == pytest.approx(250)
    assert parks.at["P1", "land_quota"] == pytest.approx(150) and parks.at["P1", "land_declared_ha"] == 1000
    removed = pd.read_csv(result.folder / "eligibility_removed.csv")
    assert removed.loc[removed["project_id"] == "BIG", "reason"].iat[0].startswith("needs 160 ha of land; the park has 150")


def test_raster_share_feeds_the_fit(tmp_path, tiny):
    # 1 km cells: P1 (x 0–2 km) is flat (slope 1°), P2 (x 20–22 km) is steep (10°). suitable_below 3, weight 0.5:
    # a project of value 100 gets +50 in P1 and 0 in P2, so it goes to P1 despite +30 for P2 from an expert.
    tiny.settings["weights"] = weights()
    row = [1.0, 1.0] + [5.0] * 18 + [10.0, 10.0]
    tiny.raster = ("slope", [row, row], {"suitable_below": 3, "weight": 0.5})
    tiny.park("P1").park("P2")
    tiny.project("X", output=100)
    scenario = tiny.write()
    (scenario.parent / "adj.csv").write_text("project_id,park_id,score\nX,P2,30\n")
    scenario.write_text(scenario.read_text().replace("links: links.csv", "links: links.csv\n  pair_adjustments: adj.csv"))
    result = run(tmp_path, scenario)
    assert placed(result) == {"X": "P1"}
    assert result.plan.assignments["raster_bonus"].iat[0] == pytest.approx(50)
    parks = pd.read_csv(result.folder / "parks.csv").set_index("park_id")
    assert parks.at["P1", "slope_mean"] == pytest.approx(1.0) and parks.at["P2", "slope_mean"] == pytest.approx(10.0)
    assert parks.at["P2", "slope_suitable_share"] == 0
    # a parks layer that already has such columns (a run's own parks layer used as input, or a share someone
    # measured) keeps them as *_input, with a note; it crashed the run (KeyError) before
    (tiny.parks[0].update(slope_suitable_share=0.2, Slope_Mean=4.0, excluded_ha_forest=1.0),
     tiny.parks[1].update(slope_suitable_share=0.9, Slope_Mean=4.0, excluded_ha_forest=2.0))
    tiny.write()
    result = run(tmp_path, scenario)
    assert placed(result) == {"X": "P1"} and result.plan.assignments["raster_bonus"].iat[0] == pytest.approx(50)
    parks = pd.read_csv(result.folder / "parks.csv").set_index("park_id")
    assert parks.at["P2", "slope_suitable_share"] == 0 and parks.at["P2", "slope_suitable_share_input"] == 0.9
    assert parks.at["P2", "excluded_ha_forest_input"] == 2.0 and "excluded_ha_forest" not in parks.columns
    columns = pd.read_csv(result.folder / "columns.csv", keep_default_na=False).set_index(["file", "column"])
    assert columns.loc[("parks.csv", "excluded_ha_forest_input"), "meaning"] == "copied from the input as given"
    assert ("parks.gpkg: column 'slope_suitable_share' is carried to the outputs as 'slope_suitable_share_input', "
            "since the run computes its own 'slope_suitable_share'") in result.summary["notes"]


def test_transport_priorities_list_slow_connections_with_link_value(tmp_path, tiny):
    # A only fits P1 and B only P2 (20 km apart: 26 min); their 500 万元 link has a 10 min limit → not local.
    tiny.park("P1").park("P2")
    tiny.project("A", output=10, forbidden_parks="P2").project("B", output=10, forbidden_parks="P1")
    tiny.link("A", "B", 500, 10)
    result = run(tmp_path, tiny.write())
    priorities = pd.read_csv(result.folder / "network_priorities.csv")
    assert priorities[["park_a", "park_b", "links", "value", "value_not_local"]].values.tolist() == [["P1", "P2", 1, 500, 500]]
    assert priorities["minutes"].iat[0] == pytest.approx(20 * 1.3 / 60 * 60)


def test_park_gate_is_where_travel_starts(tmp_path, tiny):
    # P2's gate is put 1 km from P1's centre (P2 itself is 20 km away): P1→P2 becomes 1 km × 1.3 at 60 km/h.
    from pyproj import Transformer

    from .conftest import KM, X0, Y0

    lon, lat = Transformer.from_crs(4547, 4490, always_xy=True).transform(X0 + 2 * KM, Y0 + 1 * KM)
    tiny.park("P1").park("P2", gate_lon=lon, gate_lat=lat)
    tiny.project("A", output=1)
    region, _ = siting.prepare(tiny.write())
    assert region.travel.park_park.at["P1", "P2"] == pytest.approx(1.3, rel=1e-6)
