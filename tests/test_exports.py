"""GeoPackage and shapefile outputs: round trips with Chinese text, 10-byte field names, UTF-8, CGCS2000."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

import siting
from siting.exports import join_lists, shapefile_names, write_gpkg, write_shapefiles
from siting.styles import layer_styles

LONG = "郑州航空港经济综合实验区" * 12  # 144 characters, 432 bytes of UTF-8


@pytest.fixture
def layer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"park_id": ["P1", "P2"], "name": ["郑州经开区", LONG], "leading_chains": [("nev", "equipment"), ()],
         "land_available_ha": [120.5, 30.0], "chemical_park": [True, False], "名称": ["甲", "乙"]},
        geometry=[Point(113.7, 34.7), Point(114.3, 34.8)], crs="EPSG:4490")


def test_written_tables_have_no_floating_point_noise():
    frame = pd.DataFrame({"total": [0.1 + 0.2, 11529.875000000002, 1.23456789012e-5, float("nan")],
                          "chains": [("nev", "ev"), (), ("x",), ()]})
    out = join_lists(frame)
    assert out["total"].iloc[:3].tolist() == [0.3, 11529.875, 1.23456789012e-5] and out["total"].isna().iat[3]
    assert out["chains"].tolist() == ["nev;ev", "", "x", ""]


def test_shapefile_names_are_short_ascii_and_unique():
    names = shapefile_names(["land_available_ha", "land_available_mu", "名称", "energy_quota_tce", "x"])
    assert all(len(n.encode()) <= 10 and n.isascii() for n in names.values())
    assert len(set(names.values())) == 5
    assert names["land_available_ha"] == "land_avail" and names["land_available_mu"] == "land_avai1"


def test_gpkg_round_trip_keeps_chinese_names_lists_and_crs(tmp_path, layer):
    path = tmp_path / "out.gpkg"
    write_gpkg(path, {"parks": layer, "hubs": layer.iloc[:1]})
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["hubs", "parks"]
    back = gpd.read_file(path, layer="parks")
    assert back.crs.to_epsg() == 4490
    assert back["name"].tolist() == ["郑州经开区", LONG]
    assert back["名称"].tolist() == ["甲", "乙"]
    assert back["leading_chains"].tolist() == ["nev;equipment", ""]
    with pytest.raises(ValueError, match=r"expected a \.gpkg"):
        write_gpkg(tmp_path / "out.shp", {"parks": layer})


def test_shapefile_round_trip_with_field_map_and_cpg(tmp_path, layer):
    field_map = write_shapefiles(tmp_path / "shp", {"parks": layer})
    assert (tmp_path / "shp" / "parks.cpg").read_text().strip().upper() in {"UTF-8", "UTF8"}
    back = gpd.read_file(tmp_path / "shp" / "parks.shp")
    assert back.crs.to_epsg() == 4490
    assert all(len(c.encode()) <= 10 for c in back.columns)
    names = dict(zip(field_map["field"], field_map["shp_field"], strict=True))
    assert back[names["name"]].iat[0] == "郑州经开区"
    cut = back[names["name"]].iat[1]
    assert len(cut.encode("utf-8")) <= 254 and LONG.startswith(cut)  # cut on a character boundary
    assert back[names["chemical_park"]].tolist() == [1, 0]
    assert back[names["名称"]].tolist() == ["甲", "乙"]
    on_disk = pd.read_csv(tmp_path / "shp" / "field_names.csv")
    assert set(on_disk.columns) == {"layer", "shp_field", "field", "note"}
    assert "cut" in on_disk.loc[on_disk["field"] == "name", "note"].iat[0]


def test_run_outputs_open_as_gis_layers(tmp_path, tiny):
    tiny.park("P1", name="郑州经济技术开发区").park("P2", name="洛阳高新区")
    tiny.project("A", name="年产20万辆新能源汽车整车项目", output=10).project("B", name="传感器芯片", output=5)
    tiny.link("A", "B", 50, 60)
    result = siting.execute(tiny.write(), out=tmp_path / "run")
    gpkg = result.folder / "results.gpkg"
    assert sorted(pyogrio.list_layers(gpkg)[:, 0]) == ["corridors", "exclusions", "hubs", "layer_styles", "links", "parks",
                                                       "priorities", "projects"]
    projects = gpd.read_file(gpkg, layer="projects")
    assert projects.crs.to_epsg() == 4490
    assert set(projects["name"]) == {"年产20万辆新能源汽车整车项目", "传感器芯片"}
    parks = gpd.read_file(result.folder / "shp" / "parks.shp")
    assert "郑州经济技术开发区" in set(parks["name"])
    assert 113 < parks.geometry.get_coordinates()['x'].mean() < 115  # lon/lat degrees near 114°E, not metres
    for name in ("parks", "projects", "links", "hubs"):
        assert (result.folder / "shp" / f"{name}.cpg").exists()
    # whole numbers are integer fields for GIS programs, not text
    for path in (gpkg, result.folder / "shp" / "parks.shp"):
        info = pyogrio.read_info(path, layer="parks" if path.suffix == ".gpkg" else None)
        assert dict(zip(info["fields"], info["dtypes"], strict=True))["max_chains"] == "int64"
    # and flags are BOOLEAN in the GeoPackage (hazardous was the text 'False'), 1/0 in the shapefiles
    for layer, column in (("projects", "hazardous"), ("parks", "chemical_park"), ("links", "local")):
        info = pyogrio.read_info(gpkg, layer=layer)
        assert dict(zip(info["fields"], info["dtypes"], strict=True))[column] == "bool", (layer, column)
    # CSVs start with a UTF-8 BOM, so Excel on Chinese Windows does not read them as GBK; pandas drops it
    for name in ("assignments.csv", "parks.csv", "unplaced.csv", "shp/field_names.csv"):
        assert (result.folder / name).read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(result.folder / "assignments.csv").columns[0] == "project_id"
    assert set(pd.read_csv(result.folder / "assignments.csv")["name"]) == {"年产20万辆新能源汽车整车项目", "传感器芯片"}


def _attributes(qml: str) -> set[str]:
    """Every field a QGIS style refers to (renderer attribute, label field, rule expressions)."""
    root = ET.fromstring(qml.split("\n", 1)[1])
    out = {e.get("attr") for e in root.iter("renderer-v2") if e.get("attr")}
    out |= {e.get("fieldName") for e in root.iter("text-style")}
    out |= {e.get("filter").strip('"') for e in root.iter("rule") if e.get("filter") != "ELSE"}
    return out


def test_run_outputs_carry_qgis_styles_naming_real_fields(tmp_path, tiny):
    tiny.park("P1").park("P2")
    tiny.project("A", chain="nev", output=10).project("B", chain="sensors", output=5)
    tiny.link("A", "B", 50, 60)
    result = siting.execute(tiny.write(), out=tmp_path / "run")
    shp = result.folder / "shp"
    for layer in ("parks", "projects", "links", "corridors", "hubs", "exclusions", "priorities"):
        qml = (shp / f"{layer}.qml").read_text(encoding="utf-8")
        fields = set(pyogrio.read_info(shp / f"{layer}.shp")["fields"])
        assert _attributes(qml) <= fields, (layer, _attributes(qml) - fields)  # the 10-character names
    projects = ET.fromstring((shp / "projects.qml").read_text(encoding="utf-8").split("\n", 1)[1])
    assert {c.get("value") for c in projects.iter("category")} == {"nev", "sensors"}
    with sqlite3.connect(result.folder / "results.gpkg") as db:
        styles = dict(db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault = 1"))
    assert set(styles) == {"parks", "projects", "links", "corridors", "hubs", "exclusions", "priorities"}
    parks_fields = set(pyogrio.read_info(result.folder / "results.gpkg", layer="parks")["fields"])
    assert _attributes(styles["parks"]) == {"land_use_share", "name"} <= parks_fields
    # hubs are squares, projects circles (as on the map): a hub is not taken for a project of a similar colour
    hub_shapes = {o.get("value") for o in ET.fromstring(styles["hubs"].split("\n", 1)[1]).iter("Option")
                  if o.get("name") == "name"}
    project_shapes = {o.get("value") for o in ET.fromstring(styles["projects"].split("\n", 1)[1]).iter("Option")
                      if o.get("name") == "name"}
    assert hub_shapes == {"square"} and project_shapes == {"circle"}


def test_style_values_from_the_data_are_xml_escaped(layer):
    layer = layer.assign(chain=['a<b&"c', "d"])
    qml = layer_styles({"projects": layer}, lambda _layer, column: column, chain_names={"d": "<b>甲</b>"})["projects"]
    root = ET.fromstring(qml.split("\n", 1)[1])  # parses: nothing broke out of its attribute
    assert {c.get("value") for c in root.iter("category")} == {'a<b&"c', "d"}
    assert {c.get("label") for c in root.iter("category")} == {'a<b&"c', "d <b>甲</b>"}
