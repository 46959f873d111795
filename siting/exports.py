"""GIS outputs: one GeoPackage with a layer each, and one shapefile per layer for tools that want them.

Writers only write. Shapefile field names are limited to 10 *bytes*, so every shapefile gets ASCII
names of at most 10 characters and ``shp/field_names.csv`` maps them back to the full names; values
are UTF-8 with a ``.cpg`` beside each file, and text longer than 254 bytes is cut on a character
boundary (and said so in the field map).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

GPKG_OPTIONS = {"VERSION": "1.3"}  # GPKG 1.4 opens with a warning in QGIS 3.22
# each output layer's geometry type, declared when it has no geometry to infer it from (a plan that places
# nothing, no exclusions): an empty shapefile would otherwise be a line file, and a GeoPackage layer 'GEOMETRY'
LAYER_GEOMETRY = {"parks": "Polygon", "projects": "Point", "links": "LineString", "corridors": "LineString",
                  "hubs": "Point", "exclusions": "Polygon", "priorities": "LineString"}


def join_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for CSV and GIS files: list-valued cells joined with ';' (as in the inputs), and floating-point
    numbers cut to 12 significant digits, so a sum written as 11529.875000000002 reads 11529.875 (far below
    the checker's tolerance of 1e-6). A column of Python booleans becomes a boolean one, so that a GeoPackage
    field is BOOLEAN rather than the text 'True' (QGIS: ``"hazardous" = true``)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object and len(values) and values.map(lambda v: isinstance(v, bool | np.bool_)).all():
            out[column] = values.astype(bool)
        elif values.dtype == object and values.map(lambda v: isinstance(v, (tuple, list))).any():
            out[column] = values.map(lambda v: ";".join(map(str, v)) if isinstance(v, (tuple, list)) else v)
        elif pd.api.types.is_float_dtype(values):
            out[column] = values.map(lambda v: float(f"{v:.12g}") if math.isfinite(v) else v)
    return out


def _layer_type(name: str, frame: gpd.GeoDataFrame) -> dict[str, str]:
    """The ``geometry_type`` to write ``frame`` with: the layer's own type when no feature has a geometry."""
    inferable = len(frame) and not (frame.geometry.isna() | frame.geometry.is_empty).all()
    return {} if inferable or name not in LAYER_GEOMETRY else {"geometry_type": LAYER_GEOMETRY[name]}


def write_gpkg(path: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Write every layer into one GeoPackage (explicit driver, one named layer each)."""
    if path.suffix.lower() != ".gpkg":
        raise ValueError(f"refusing to write a GeoPackage to {path.name}: expected a .gpkg file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, frame in layers.items():
        join_lists(frame).to_file(path, layer=name, driver="GPKG", engine="pyogrio", **_layer_type(name, frame),
                                  **GPKG_OPTIONS)


def shapefile_names(columns: list[str]) -> dict[str, str]:
    """Map full column names to unique ASCII shapefile names of at most 10 characters."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        base = re.sub(r"[^a-z0-9_]", "_", column.lower().encode("ascii", "ignore").decode()).strip("_") or "field"
        name = base[:10]
        n = 1
        while name in used:
            suffix = str(n)
            name = base[: 10 - len(suffix)] + suffix
            n += 1
        used.add(name)
        out[column] = name
    return out


def _cut_utf8(text: str, limit: int = 254) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


def write_shapefiles(folder: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Write one shapefile per layer into ``folder`` and the field map ``field_names.csv``; return the map."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for layer, frame in layers.items():
        plain = join_lists(frame)
        columns = [c for c in plain.columns if c != plain.geometry.name]
        names = shapefile_names(columns)
        for column in columns:
            values = plain[column]
            note = ""
            if len(values) and (pd.api.types.is_bool_dtype(values) or values.map(lambda v: isinstance(v, bool)).all()):
                plain[column] = values.astype(int)
                note = "1 = true, 0 = false"
            elif values.dtype == object or pd.api.types.is_string_dtype(values):
                text = values.map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
                cut = text.map(_cut_utf8)
                if (cut != text).any():
                    note = "text longer than 254 bytes was cut; the GeoPackage has it in full"
                plain[column] = cut
            rows.append({"layer": layer, "shp_field": names[column], "field": column, "note": note})
        plain = plain.rename(columns=names)
        plain.to_file(folder / f"{layer}.shp", driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8",
                      **_layer_type(layer, frame))
    field_map = pd.DataFrame(rows, columns=["layer", "shp_field", "field", "note"])
    field_map.to_csv(folder / "field_names.csv", index=False, encoding="utf-8-sig")  # a BOM: Excel reads it as UTF-8
    return field_map
