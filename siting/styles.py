"""QGIS layer styles for the GIS outputs: a ``.qml`` beside each shapefile, and default styles inside the GeoPackage.

GIS staff open ``results.gpkg`` or ``shp/*.shp`` next to official layers; with these styles the layers
look like the map reviewers see (parks by share of land used, projects by chain, hubs by kind,
exclusions by kind, corridors and transport priorities as lines) instead of QGIS's random colours.

* Shapefiles: QGIS loads ``parks.qml`` automatically when it opens ``parks.shp``. Field names in the
  styles are the shapefiles' 10-character names (:func:`siting.exports.shapefile_names`).
* GeoPackage: the styles go into the ``layer_styles`` table with ``useAsDefault = 1``, where QGIS looks
  for them when a layer of the package is opened (the table is registered as an attribute table in
  ``gpkg_contents``, as QGIS itself does, so GDAL lists it as a plain table).

ArcGIS ignores both and draws its own defaults. Every value taken from the data (chain IDs, names) is
XML-escaped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd

from .exports import join_lists, shapefile_names
from .maps import EXCLUSION_COLORS, HUB_COLORS, chain_colors, land_use_color

QGIS_VERSION = "3.22.0"  # the oldest long-term release whose files we write (it reads Option maps)
LAND_USE_CLASSES = ((0.0, 0.5), (0.5, 0.8), (0.8, 0.95), (0.95, 1.0001))


def _rgba(color: str, alpha: int = 255) -> str:
    color = color.lstrip("#")
    return f"{int(color[0:2], 16)},{int(color[2:4], 16)},{int(color[4:6], 16)},{alpha}"


def _options(props: Mapping[str, str]) -> str:
    """A symbol layer's properties, both as QGIS ≥ 3.16 ``Option`` maps and as older ``prop`` elements."""
    option = "".join(f'<Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>' for k, v in props.items())
    prop = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())
    return f'<Option type="Map">{option}</Option>{prop}'


def _symbol(kind: str, name: str, color: str, *, alpha: int = 255, outline: str = "#ffffff",
            width: float = 0.6, dashed: bool = False, size: float = 2.6, shape: str = "circle") -> str:
    """One symbol: ``kind`` is ``fill``, ``line`` or ``marker`` (of QGIS's ``shape``: circle, square, ...)."""
    if kind == "fill":
        layer, props = "SimpleFill", {"color": _rgba(color, alpha), "style": "solid",
                                      "outline_color": _rgba(outline), "outline_width": f"{width}",
                                      "outline_width_unit": "MM", "outline_style": "solid"}
    elif kind == "line":
        layer, props = "SimpleLine", {"line_color": _rgba(color, alpha), "line_width": f"{width}",
                                      "line_width_unit": "MM", "line_style": "dash" if dashed else "solid",
                                      "capstyle": "round", "joinstyle": "round"}
    else:
        layer, props = "SimpleMarker", {"color": _rgba(color, alpha), "name": shape, "size": f"{size}",
                                        "size_unit": "MM", "outline_color": _rgba(outline),
                                        "outline_width": "0.2", "outline_style": "solid"}
    return (f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="{layer}" enabled="1" locked="0" pass="0">{_options(props)}</layer></symbol>')


def _labels(field: str | None) -> str:
    if not field:
        return ""
    return (f'<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName={quoteattr(field)} isExpression="0" fontSize="8" fontSizeUnit="Point" '
            f'textColor="40,40,40,255"/>'
            f'<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255"/>'
            f'</settings></labeling>')


def _document(renderer: str, geometry: str, label_field: str | None) -> str:
    labels = _labels(label_field)
    enabled = ' labelsEnabled="1"' if labels else ' labelsEnabled="0"'
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling"{enabled}>'
            f"{renderer}{labels}<layerGeometryType>{geometry}</layerGeometryType></qgis>\n")


def _categorized(field: str, kind: str, categories: Sequence[tuple[str, str, str]], **symbol) -> str:
    """``categories``: (value, label, colour)."""
    cats = "".join(f'<category render="true" symbol="{n}" value={quoteattr(v)} label={quoteattr(label)}/>'
                   for n, (v, label, _) in enumerate(categories))
    symbols = "".join(_symbol(kind, str(n), color, **symbol) for n, (_, _, color) in enumerate(categories))
    return (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(field)} symbollevels="0" forceraster="0" '
            f'enableorderby="0"><categories>{cats}</categories><symbols>{symbols}</symbols>'
            f'<source-symbol>{_symbol(kind, "0", "#999999", **symbol)}</source-symbol></renderer-v2>')


def _graduated(field: str, kind: str, ranges: Sequence[tuple[float, float, str, str]], **symbol) -> str:
    """``ranges``: (lower, upper, label, colour)."""
    rows = "".join(f'<range render="true" symbol="{n}" lower="{lo:.6f}" upper="{hi:.6f}" label={quoteattr(label)}/>'
                   for n, (lo, hi, label, _) in enumerate(ranges))
    symbols = "".join(_symbol(kind, str(n), color, **symbol) for n, (_, _, _, color) in enumerate(ranges))
    return (f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(field)} graduatedMethod="GraduatedColor" '
            f'symbollevels="0" forceraster="0" enableorderby="0"><ranges>{rows}</ranges>'
            f'<symbols>{symbols}</symbols></renderer-v2>')


def _rules(rules: Sequence[tuple[str, str, str]], kind: str, **symbol) -> str:
    """``rules``: (QGIS filter expression, label, colour); the filter ``ELSE`` catches the rest."""
    body = "".join(f'<rule key="r{n}" symbol="{n}" filter={quoteattr(expr)} label={quoteattr(label)}/>'
                   for n, (expr, label, _) in enumerate(rules))
    symbols = "".join(_symbol(kind, str(n), color, **symbol) for n, (_, _, color) in enumerate(rules))
    return (f'<renderer-v2 type="RuleRenderer" symbollevels="0" forceraster="0" enableorderby="0">'
            f'<rules key="root">{body}</rules><symbols>{symbols}</symbols></renderer-v2>')


def _single(kind: str, color: str, **symbol) -> str:
    return (f'<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" enableorderby="0">'
            f'<symbols>{_symbol(kind, "0", color, **symbol)}</symbols></renderer-v2>')


def _values(frame: gpd.GeoDataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    return sorted({str(v) for v in frame[column].dropna() if str(v) != ""})


def layer_styles(layers: Mapping[str, gpd.GeoDataFrame], field: Callable[[str, str], str], *,
                 chain_names: Mapping[str, str] | None = None) -> dict[str, str]:
    """QML documents for the output layers.

    ``field(layer, column)`` gives a column's name in the file; ``chain_names`` labels the chains in the
    legend (e.g. ``"nev"`` → ``"nev 新能源及智能网联汽车 New-energy & connected vehicles"``).
    """
    chain_names = chain_names or {}
    out: dict[str, str] = {}
    if "parks" in layers:
        ranges = [(lo, hi, f"{lo:.0%}–{min(hi, 1.0):.0%} of free land used 土地利用", land_use_color((lo + min(hi, 1)) / 2))
                  for lo, hi in LAND_USE_CLASSES]
        out["parks"] = _document(_graduated(field("parks", "land_use_share"), "fill", ranges, alpha=170,
                                            outline="#333333", width=0.4), "Polygon", field("parks", "name"))
    if "projects" in layers:
        colors = chain_colors(_values(layers["projects"], "chain"))
        cats = [(c, f"{c} {chain_names[c]}" if c in chain_names else c, colors[c]) for c in colors]
        out["projects"] = _document(_categorized(field("projects", "chain"), "marker", cats), "Point", None)
    if "links" in layers:
        local = '"' + field("links", "local").replace('"', '""') + '"'
        rules = [(local, "within the link's limit 本地配套", "#2e7d32"), ("ELSE", "too far apart 异地", "#9e9e9e")]
        out["links"] = _document(_rules(rules, "line", width=0.4, alpha=200), "Line", None)
    if "corridors" in layers:
        out["corridors"] = _document(_single("line", "#ff7f0e", width=2.2, alpha=150), "Line",
                                     field("corridors", "name"))
    if "hubs" in layers:
        cats = [(k, k, HUB_COLORS.get(k, "#555555")) for k in _values(layers["hubs"], "kind")]
        out["hubs"] = _document(_categorized(field("hubs", "kind"), "marker", cats, size=3.4, outline="#000000",
                                             shape="square"),  # squares, as on the map: not project circles
                                "Point", field("hubs", "name"))
    if "exclusions" in layers:
        cats = [(k, k, EXCLUSION_COLORS.get(k, "#757575")) for k in _values(layers["exclusions"], "kind")]
        out["exclusions"] = _document(_categorized(field("exclusions", "kind"), "fill", cats, alpha=90,
                                                   outline="#555555", width=0.2), "Polygon", None)
    if "priorities" in layers:
        out["priorities"] = _document(_single("line", "#c62828", width=1.2, dashed=True), "Line", None)
    return out


def write_shapefile_styles(folder: Path, layers: Mapping[str, gpd.GeoDataFrame], *,
                           chain_names: Mapping[str, str] | None = None) -> list[Path]:
    """A ``<layer>.qml`` beside each ``<layer>.shp``, using the shapefiles' 10-character field names."""
    names = {layer: shapefile_names([c for c in join_lists(frame).columns if c != frame.geometry.name])
             for layer, frame in layers.items()}
    written = []
    styles = layer_styles(layers, lambda lyr, col: names[lyr].get(col, col), chain_names=chain_names)
    for layer, qml in styles.items():
        path = folder / f"{layer}.qml"
        path.write_text(qml, encoding="utf-8")
        written.append(path)
    return written


def write_gpkg_styles(path: Path, layers: Mapping[str, gpd.GeoDataFrame], *,
                      chain_names: Mapping[str, str] | None = None) -> None:
    """Default QGIS styles inside the GeoPackage (``layer_styles``), one per layer."""
    styles = layer_styles(layers, lambda _layer, column: column, chain_names=chain_names)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with sqlite3.connect(path) as db:
        db.execute("""CREATE TABLE IF NOT EXISTS layer_styles (
            id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
            f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
            styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
            update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""")
        db.execute("""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change)
                      VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)""", (now,))
        for layer, qml in styles.items():
            geometry_column = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                                         (layer,)).fetchone()
            db.execute("""INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column,
                          styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time)
                          VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '', ?)""",
                       (layer, geometry_column[0] if geometry_column else "geom", layer, qml,
                        escape(f"siting default style for {layer}"), now))


__all__ = ["layer_styles", "write_gpkg_styles", "write_shapefile_styles"]
