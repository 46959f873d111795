"""Road-network travel times (layers/roads.py) on a hand-made OSM file whose times are worked out below."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from layers import InputError
from layers import roads as roads_module
from layers.roads import DEFAULT_SPEEDS_KMH, road_travel_times

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "gis" / "demo"
GK = "EPSG:4547"  # CGCS2000 3-degree Gauss-Kruger, CM 114°E
X0, Y0 = 500_000.0, 3_840_000.0  # ≈ 114.0°E 34.7°N
KM = 1000.0
EARTH_RADIUS_M = 6_371_009.0  # what osmnx uses for edge lengths

# Road nodes in km from (X0, Y0). A–B is a 10 km residential street; the motorway detour A–M1–M2–B (18 km)
# is faster. B→C is a one-way primary; back from C goes C–D–B on a secondary. The footway A–W–D is a
# shortcut that must be ignored, and G–H is a street that nothing else connects to.
NODES = {1: (0, 0), 2: (10, 0), 3: (20, 0), 4: (15, -5), 5: (0, 4), 6: (10, 4), 7: (7.5, -2.5), 8: (0, 20),
         9: (2, 20)}
A, B, C, D, M1, M2, W, G, H = NODES
WAYS = (  # id, node refs, tags
    (101, (A, B), {"highway": "residential", "name": "小街"}),
    (102, (A, M1, M2, B), {"highway": "motorway", "name": "京港澳高速", "ref": "G4", "oneway": "no"}),
    (103, (B, C), {"highway": "primary", "name": "单行路", "oneway": "yes"}),
    (104, (C, D, B), {"highway": "secondary", "name": "绕行路"}),
    (105, (A, W, D), {"highway": "footway"}),
    (106, (G, H), {"highway": "residential", "name": "孤路"}),
    (107, (A, B), {"building": "yes"}),  # not a road at all: no highway tag
)
# Parks are 200 m squares whose centres lie 300 m from a node; hub HB lies off the roads (snaps to B).
PARKS = {"PA": (0, -0.3), "PB": (10, -0.3), "PC": (20, 0.3), "PG": (0, 22.5)}
HUBS = {"HD": (15, -5.3), "HB": (7.5, -2.0)}


def lonlat() -> dict[int, tuple[float, float]]:
    """Node coordinates as written into the OSM file (rounded to 1e-9°)."""
    to_geo = Transformer.from_crs(GK, "EPSG:4326", always_xy=True)
    out = {}
    for node, (x, y) in NODES.items():
        lon, lat = to_geo.transform(X0 + x * KM, Y0 + y * KM)
        out[node] = (round(lon, 9), round(lat, 9))
    return out


def length_km(*nodes: int) -> float:
    """Great-circle length (haversine, as osmnx computes it) along the node sequence, in km."""
    ll = lonlat()
    total = 0.0
    for a, b in itertools.pairwise(nodes):
        (lon1, lat1), (lon2, lat2) = ll[a], ll[b]
        p1, p2 = math.radians(lat1), math.radians(lat2)
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        total += 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
    return total / KM


def minutes(km: float, kmh: float) -> float:
    return km / kmh * 60.0


def write_osm(path: Path) -> Path:
    ll = lonlat()
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'  <node id="{n}" lat="{lat:.9f}" lon="{lon:.9f}"/>' for n, (lon, lat) in ll.items()]
    for way_id, refs, tags in WAYS:
        lines.append(f'  <way id="{way_id}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def layers_in(crs: str = GK) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    parks = gpd.GeoDataFrame(
        {"park_id": list(PARKS)},
        geometry=[box(X0 + x * KM - 100, Y0 + y * KM - 100, X0 + x * KM + 100, Y0 + y * KM + 100)
                  for x, y in PARKS.values()], crs=GK)
    hubs = gpd.GeoDataFrame({"hub_id": list(HUBS)},
                            geometry=[Point(X0 + x * KM, Y0 + y * KM) for x, y in HUBS.values()], crs=GK)
    return parks.to_crs(crs), hubs.to_crs(crs)


@pytest.fixture
def osm(tmp_path: Path) -> Path:
    return write_osm(tmp_path / "roads.osm")


def test_times_by_hand(osm: Path) -> None:
    parks, hubs = layers_in()
    times, notes = road_travel_times(parks, hubs, osm)
    pp, ph = times.park_park, times.park_hub
    access = minutes(0.3, 30)  # 300 m at 30 km/h = 0.6 min, at each end
    motorway_ab = minutes(length_km(A, M1, M2, B), 100)  # 18 km at 100 km/h ≈ 10.8 min
    assert motorway_ab < minutes(length_km(A, B), 30)  # the detour beats the 20-minute street
    b_to_c = minutes(length_km(B, C), 60)  # one-way primary ≈ 10 min
    c_to_b = minutes(length_km(C, D, B), 50)  # back on the secondary ≈ 17 min
    b_to_d = minutes(length_km(B, D), 50)

    assert pp.at["PA", "PB"] == pytest.approx(access + motorway_ab + access, rel=1e-6)
    assert pp.at["PB", "PA"] == pytest.approx(access + motorway_ab + access, rel=1e-6)
    assert pp.at["PB", "PC"] == pytest.approx(access + b_to_c + access, rel=1e-6)
    assert pp.at["PC", "PB"] == pytest.approx(access + c_to_b + access, rel=1e-6)
    assert pp.at["PA", "PC"] == pytest.approx(access + motorway_ab + b_to_c + access, rel=1e-6)
    assert pp.at["PC", "PA"] == pytest.approx(access + c_to_b + motorway_ab + access, rel=1e-6)
    assert np.diag(pp.to_numpy()).tolist() == [0.0] * 4
    # the footway A–W–D would be a shortcut; it is ignored, so PA reaches HD through B
    assert ph.at["PA", "HD"] == pytest.approx(access + motorway_ab + b_to_d + access, rel=1e-6)
    # HB is 3.2 km from B (the footway node W, 0.5 km away, is not a road node)
    hb_access = minutes(math.hypot(2.5, 2.0), 30)
    assert ph.at["PB", "HB"] == pytest.approx(access + hb_access, rel=1e-6)
    assert ph.at["PC", "HB"] == pytest.approx(access + c_to_b + hb_access, rel=1e-6)
    # PG's street is cut off from the rest
    assert np.isinf(pp.loc["PG", ["PA", "PB", "PC"]]).all() and np.isinf(pp.loc[["PA", "PB", "PC"], "PG"]).all()
    assert np.isinf(ph.loc["PG"]).all()
    assert np.isfinite(ph.drop(index="PG")).all().all()

    assert list(pp.index) == list(pp.columns) == list(PARKS) and list(ph.columns) == list(HUBS)
    assert times.method == ("road network roads.osm (osmnx, 15 edges; speeds by highway class; "
                            "access legs at 30 km/h)")
    assert "park PG is 2.5 km from the nearest road node" in notes
    assert "hub HB is 3.2 km from the nearest road node" in notes
    assert "6 park→park pairs have no road route (inf minutes), e.g. PA→PG, PB→PG, PC→PG, PG→PA, PG→PB, …" in notes
    assert "2 park→hub pairs have no road route (inf minutes), e.g. PG→HD, PG→HB" in notes
    assert "ignored 6 edges that are not drivable roads (footway 4, no highway tag 2)" in notes


def test_speeds_override_changes_route(osm: Path) -> None:
    parks, hubs = layers_in()
    slow, _ = road_travel_times(parks, hubs, osm, speeds_kmh={"motorway": 20.0}, access_speed_kmh=15.0)
    access = minutes(0.3, 15)
    # at 20 km/h the 18 km motorway takes 54 min; the 10 km street at 30 km/h takes 20 min
    assert slow.park_park.at["PA", "PB"] == pytest.approx(access + minutes(length_km(A, B), 30) + access, rel=1e-6)
    assert "access legs at 15 km/h" in slow.method


def test_maxspeed_is_ignored(tmp_path: Path) -> None:
    text = write_osm(tmp_path / "a.osm").read_text(encoding="utf-8")
    text = text.replace('<tag k="ref" v="G4"/>', '<tag k="ref" v="G4"/>\n    <tag k="maxspeed" v="5"/>')
    path = tmp_path / "maxspeed.osm"
    path.write_text(text, encoding="utf-8")
    parks, hubs = layers_in()
    times, notes = road_travel_times(parks, hubs, path)
    assert times.park_park.at["PA", "PB"] == pytest.approx(1.2 + minutes(length_km(A, M1, M2, B), 100), rel=1e-6)
    assert "ignored maxspeed on 6 edges: speeds are by highway class" in notes


def test_graphml_gives_the_same_times(osm: Path, tmp_path: Path) -> None:
    parks, hubs = layers_in()
    graph = roads_module.load_road_graph(osm)
    graphml = tmp_path / "roads.graphml"
    import osmnx as ox

    ox.save_graphml(graph, graphml)
    from_xml, _ = road_travel_times(parks, hubs, osm)
    from_graphml, _ = road_travel_times(parks, hubs, graphml)
    np.testing.assert_allclose(from_graphml.park_park.to_numpy(), from_xml.park_park.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(from_graphml.park_hub.to_numpy(), from_xml.park_hub.to_numpy(), rtol=1e-9)


def test_cache_hit_and_key(osm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parks, hubs = layers_in()
    cache = tmp_path / "cache"
    first, notes1 = road_travel_times(parks, hubs, osm, cache_dir=cache)
    files = sorted(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"

    def fail(_: Path) -> None:
        raise AssertionError("the road file was read although the result is cached")

    monkeypatch.setattr(roads_module, "load_road_graph", fail)
    second, notes2 = road_travel_times(parks, hubs, osm, cache_dir=cache)
    assert second.park_park.equals(first.park_park) and second.park_hub.equals(first.park_hub)
    assert second.method == first.method and notes2 == notes1
    # other speeds → another key → the loader is needed again
    with pytest.raises(AssertionError, match="was read"):
        road_travel_times(parks, hubs, osm, cache_dir=cache, speeds_kmh={"motorway": 90.0})
    monkeypatch.undo()
    road_travel_times(parks, hubs, osm, cache_dir=cache, speeds_kmh={"motorway": 90.0})
    assert len(list(cache.iterdir())) == 2
    # a moved park → another key
    moved = parks.copy()
    moved.geometry = moved.geometry.translate(5.0, 0.0)
    road_travel_times(moved, hubs, osm, cache_dir=cache)
    assert len(list(cache.iterdir())) == 3
    assert not list(tmp_path.glob("*.npz")) and sorted(p.name for p in tmp_path.iterdir()) == ["cache", "roads.osm"]


def test_corrupt_cache_is_rewritten(osm: Path, tmp_path: Path) -> None:
    parks, hubs = layers_in()
    cache = tmp_path / "cache"
    good, _ = road_travel_times(parks, hubs, osm, cache_dir=cache)
    (file,) = cache.iterdir()
    file.write_bytes(b"not a zip file")
    again, notes = road_travel_times(parks, hubs, osm, cache_dir=cache)
    assert again.park_park.equals(good.park_park)
    assert any("unreadable" in n for n in notes)
    assert file.read_bytes()[:2] == b"PK" and len(list(cache.iterdir())) == 1
    _, notes = road_travel_times(parks, hubs, osm, cache_dir=cache)
    assert not any("unreadable" in n for n in notes)


DETERMINISM_SCRIPT = """
import json, sys
import geopandas as gpd
from layers.roads import road_travel_times
parks = gpd.read_file(sys.argv[1]).to_crs("EPSG:4547")
hubs = gpd.read_file(sys.argv[2]).to_crs("EPSG:4547")
times, notes = road_travel_times(parks, hubs, __import__("pathlib").Path(sys.argv[3]))
print(json.dumps({"pp": [[float(v).hex() for v in row] for row in times.park_park.to_numpy()],
                  "ph": [[float(v).hex() for v in row] for row in times.park_hub.to_numpy()],
                  "notes": notes, "method": times.method}))
"""


def test_same_result_whatever_the_hash_seed() -> None:
    outputs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", DETERMINISM_SCRIPT, str(DEMO / "parks.gpkg"), str(DEMO / "hubs.geojson"),
             str(DEMO / "roads.osm")], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        outputs.append(json.loads(run.stdout))
    assert outputs[0] == outputs[1]


def test_demo_roads_reach_every_park_and_hub() -> None:
    parks = gpd.read_file(DEMO / "parks.gpkg").to_crs(GK)
    hubs = gpd.read_file(DEMO / "hubs.geojson").to_crs(GK)
    times, notes = road_travel_times(parks, hubs, DEMO / "roads.osm", snap_warn_m=2000.0)
    assert not [n for n in notes if "nearest road node" in n]
    assert np.isfinite(times.park_park.to_numpy()).all()
    assert np.isfinite(times.park_hub.to_numpy()).all()
    # plausible: Zhengzhou Economic Zone (P02) to Zhengzhou East station (H07) within half an hour,
    # Sanmenxia (P30) to Xinyang (P25), ~550 km apart by road, between 4 and 9 hours
    assert times.park_hub.at["P02", "H07"] < 30
    assert 240 < times.park_park.at["P30", "P25"] < 540


def test_pbf_gives_the_same_times_as_xml(osm: Path, tmp_path: Path) -> None:
    import osmium

    pbf = tmp_path / "roads.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:  # the hand-made network, as PBF
        for obj in osmium.FileProcessor(str(osm)):
            writer.add(obj)
    parks, hubs = layers_in()
    from_xml, _ = road_travel_times(parks, hubs, osm)
    from_pbf, _ = road_travel_times(parks, hubs, pbf)
    pd.testing.assert_frame_equal(from_pbf.park_park, from_xml.park_park)
    pd.testing.assert_frame_equal(from_pbf.park_hub, from_xml.park_hub)
    assert from_pbf.method.startswith("road network roads.osm.pbf")
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"\x00")
    with pytest.raises(Exception):  # noqa: B017 - osmium raises RuntimeError for a corrupt file
        road_travel_times(parks, hubs, bad)


def test_unknown_speed_class_is_named(osm: Path) -> None:
    parks, hubs = layers_in()
    with pytest.raises(InputError, match=r"footway, track.*unknown highway class") as err:
        road_travel_times(parks, hubs, osm, speeds_kmh={"motorway": 110, "track": 10, "footway": 5})
    assert len(err.value.problems) == 1
    with pytest.raises(InputError, match="positive"):
        road_travel_times(parks, hubs, osm, speeds_kmh={"primary": 0})


def test_geographic_crs_is_refused(osm: Path) -> None:
    parks, hubs = layers_in("EPSG:4490")
    with pytest.raises(ValueError, match="not projected"):
        road_travel_times(parks, hubs, osm)
    gk_parks, _ = layers_in()
    with pytest.raises(ValueError, match="differs from the parks'"):
        road_travel_times(gk_parks, hubs, osm)


def test_all_problems_at_once(tmp_path: Path) -> None:
    parks, hubs = layers_in()
    parks = parks.rename(columns={"park_id": "id"})
    with pytest.raises(InputError) as err:
        road_travel_times(parks, hubs, tmp_path / "missing.osm", access_speed_kmh=-1)
    text = str(err.value)
    assert "park_id" in text and "file not found" in text and "access_speed_kmh" in text


def test_no_drivable_roads(tmp_path: Path) -> None:
    path = tmp_path / "paths.osm"
    path.write_text('<?xml version="1.0"?>\n<osm version="0.6">\n'
                    '<node id="1" lat="34.7" lon="114.0"/><node id="2" lat="34.71" lon="114.0"/>\n'
                    '<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>\n</osm>\n',
                    encoding="utf-8")
    parks, hubs = layers_in()
    with pytest.raises(ValueError, match="no drivable roads"):
        road_travel_times(parks, hubs, path)


def test_default_table_covers_the_drivable_classes() -> None:
    links = {f"{c}_link" for c in ("motorway", "trunk", "primary", "secondary", "tertiary")}
    assert set(DEFAULT_SPEEDS_KMH) == {"motorway", "trunk", "primary", "secondary", "tertiary",
                                       "unclassified", "residential"} | links


def test_a_cache_that_cannot_be_written_is_a_note(osm: Path, tmp_path: Path) -> None:
    """A cache 'folder' that is a file (or not writable) was a traceback; the times are computed all the same."""
    parks, hubs = layers_in()
    good, _ = road_travel_times(parks, hubs, osm)
    blocked = tmp_path / "afile"
    blocked.write_text("not a folder", encoding="utf-8")
    times, notes = road_travel_times(parks, hubs, osm, cache_dir=blocked)
    assert times.park_park.equals(good.park_park)
    assert any("could not be cached in" in n and "SITING_CACHE_DIR" in n for n in notes)
    assert blocked.read_text(encoding="utf-8") == "not a folder"
