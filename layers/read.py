"""Reading vector layers (GeoPackage, Shapefile, GeoJSON) and CSV tables, with every problem reported."""

from __future__ import annotations

import codecs
import csv
import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ._errors import Problems
from ._validate import Field, id_label, match_columns, parse_table
from .crs import crs_label

VECTOR_SUFFIXES = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def read_layer(
    path: Path,
    *,
    fields: Sequence[Field],
    id_field: str,
    geometry: Sequence[str],
    problems: Problems,
    layer: str | None = None,
) -> gpd.GeoDataFrame | None:
    """Read and check one vector layer.

    Parameters
    ----------
    path
        A ``.gpkg``, ``.shp`` or ``.geojson`` file.
    fields
        The attribute columns it must have (others are kept).
    id_field
        The ID column.
    geometry
        Allowed geometry types, e.g. ``("Polygon", "MultiPolygon")``.
    problems
        Every problem found is added here.
    layer
        For a GeoPackage with several layers, the one to read; by default the only layer.

    Returns
    -------
    geopandas.GeoDataFrame or None
        In the file's own CRS (never silently changed); ``None`` if the file could not be read.
    """
    src = str(path)
    if not path.exists():
        problems.add(src, "", "", "file not found", "check the path in the scenario")
        return None
    if path.is_dir():
        problems.add(src, "", "", "is a folder, not a vector layer file",
                     "point the scenario at the .gpkg, .shp or .geojson file inside it")
        return None
    if path.suffix.lower() not in VECTOR_SUFFIXES:
        problems.add(src, "", "", f"unknown vector format {path.suffix!r}; expected .gpkg, .shp or .geojson",
                     "convert the layer, e.g. with ogr2ogr or QGIS 'Export > Save Features As'")
        return None
    parts = [path]
    if path.suffix.lower() == ".shp":  # GDAL reads a shapefile without its .dbf as one with no attributes
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        if dbf is None:
            problems.add(src, "", "", f"the shapefile's attribute table {path.with_suffix('.dbf').name} is missing "
                         "beside it", "copy every file of the shapefile (.shp, .shx, .dbf, .prj, .cpg) together")
            return None
        parts.append(dbf)
    for part in parts:
        try:
            part.open("rb").close()
        except OSError as exc:  # e.g. no permission to read it
            problems.unreadable(part, exc)
            return None
    try:
        if layer is None and path.suffix.lower() == ".gpkg":
            listed = pyogrio.list_layers(path)
            # the layers with features; QGIS keeps its styles in a table 'layer_styles', which has no geometry
            names = [str(name) for name, kind in listed if kind is not None and str(name) != "layer_styles"]
            if len(names) > 1:
                problems.add(src, "", "", f"has {len(names)} layers with features ({', '.join(names)}); which one "
                             "is meant cannot be told", "keep one layer per file (QGIS: Export > Save Features As)")
                return None
            if not names:
                tables = ", ".join(str(name) for name, _ in listed) or "none"
                problems.add(src, "", "", f"has no layer with geometry (tables: {tables})",
                             "save the layer with its geometry (QGIS: Export > Save Features As, geometry type "
                             "automatic)")
                return None
            layer = names[0]
        encoding, vague = _cpg_encoding(path) if len(parts) > 1 else (None, "")
        if encoding is not None and _western(encoding) and _reads_as_chinese(path):
            problems.add(src, "", "", f"its .cpg names {encoding}, a Western code page, but its text reads as GBK "
                         "(Chinese); read as its .cpg says, every Chinese name would be garbled",
                         f"write GBK in {_cpg(path).name}, or save the layer again as UTF-8")
            return None
        frame, notes = _read_vector(path, layer, guess=len(parts) > 1 and (bool(vague) or _dbf_guessed(path, parts[1])),
                                    encoding=encoding, vague=vague)
    except UnicodeDecodeError as exc:  # a shapefile whose .cpg names the wrong encoding, or a GeoJSON not in UTF-8
        if len(parts) == 1:
            problems.add(src, "", "", f"its text is not UTF-8 ({exc.reason} at byte {exc.start})",
                         "save it again as UTF-8 (QGIS: Export > Save Features As, encoding UTF-8)")
            return None
        cpg = _cpg(path)
        named = cpg.read_text(errors="replace").strip() if cpg is not None else "?"
        gbk = _reads_as(path, "GB18030")
        problems.add(src, "", "", f"its text is not in the encoding its .cpg names ({named!r}): {exc.reason} at byte "
                     f"{exc.start}" + ("; it reads as GBK" if gbk else ""),
                     f"write GBK in {cpg.name if cpg else 'the .cpg'}, or save the layer again as UTF-8" if gbk
                     else "write the right encoding in the .cpg, or save the layer again as UTF-8")
        return None
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types; we report them all as unreadable input
        problems.add(src, "", "", f"could not be read as a vector layer: {exc}", "open it in QGIS to check it")
        return None
    cut = 10 if path.suffix.lower() == ".shp" else 0  # a .dbf keeps 10 characters of a field name
    # 'Park_ID' and 'land_avail' are read as park_id and land_available_ha from here on, feature labels included
    renames, _ = match_columns([c for c in frame.columns if c != frame.geometry.name], fields, cut=cut)
    frame = frame.rename(columns=renames)
    if frame.crs is None:
        problems.add(src, "", "", "has no coordinate reference system (CRS)",
                     "define it (QGIS: Layer Properties > Source > Set CRS, or add a .prj beside a shapefile)")
    else:
        _check_units(frame, src, id_field, problems)
    row_offset = 1  # features are numbered from 1, as QGIS does
    if "Point" in geometry and "MultiPoint" not in geometry:  # a MultiPoint of one point is that point
        values = frame.geometry.values
        single = np.asarray((frame.geometry.geom_type == "MultiPoint") & (shapely.get_num_geometries(values) == 1))
        if single.any():
            frame = frame.set_geometry(np.where(single, shapely.get_geometry(values, 0), values), crs=frame.crs)
    for pos, geom in enumerate(frame.geometry):
        where = _feature(frame, pos, id_field)
        if geom is None or geom.is_empty:
            problems.add(src, where, "geometry", "geometry is empty", "draw the feature or delete the row", row=pos)
        elif geom.geom_type not in geometry:
            problems.add(src, where, "geometry", f"geometry is a {geom.geom_type}; expected {' or '.join(geometry)}",
                         "save the layer with the right geometry type" + (
                             " (QGIS: Vector > Geometry Tools > Multipart to Singleparts)"
                             if geom.geom_type.startswith("Multi") else ""), row=pos)
        elif not geom.is_valid:
            problems.add(src, where, "geometry", f"invalid geometry: {shapely.is_valid_reason(geom)}",
                         "repair it (QGIS: Vector > Geometry Tools > Fix Geometries)", row=pos)
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    parsed = parse_table(attributes, fields, source=src, id_field=id_field, problems=problems, row_offset=row_offset,
                         cut_names=cut)
    out = gpd.GeoDataFrame(parsed, geometry=frame.geometry.values, crs=frame.crs)
    out.attrs["notes"] = notes  # how the layer was read, for the run's notes
    return out


def _cpg(path: Path) -> Path | None:
    return next((p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()), None)


def _reads_as(path: Path, encoding: str) -> bool:
    """Whether the shapefile's text decodes in ``encoding``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.read_dataframe(path, encoding=encoding, read_geometry=False)
    except UnicodeDecodeError:
        return False
    return True


def _cpg_encoding(path: Path) -> tuple[str | None, str]:
    """The Python codec a shapefile's .cpg names, or (None, the .cpg's text) when it names none that can be used:
    ArcGIS writes 'ANSI 936' (GBK), '936' or 'UTF-8', but also 'System', 'ANSI' or 'OEM' ("this computer's code
    page"), which GDAL does not know either and reads as ISO-8859-1, turning Chinese into mojibake silently.
    (None, '') without a .cpg."""
    cpg = _cpg(path)
    if cpg is None:
        return None, ""
    text = cpg.read_text(encoding="ascii", errors="replace").strip()
    name = text.upper().removeprefix("ANSI").strip().replace(" ", "")
    if name.isdigit():
        name = {"65001": "UTF-8", "88591": "ISO-8859-1", "20936": "GB2312", "54936": "GB18030"}.get(name, f"CP{name}")
    try:
        codecs.lookup(name)
    except LookupError:
        return None, text or "(empty)"
    return name, ""


def _western(encoding: str) -> bool:
    """Whether a codec is a Western single-byte code page (Windows-1252, Latin-1 and the like)."""
    name = codecs.lookup(encoding).name
    return name in ("cp1252", "latin-1", "iso8859-1", "cp850", "cp437") or name.startswith("iso8859")


def _reads_as_chinese(path: Path) -> bool:
    """Whether a shapefile's text reads as Chinese GBK: its non-ASCII values decode as GB18030, and most of them
    also as GB2312 (both bytes of a character ≥ 0xA1) to Chinese characters. Western text in a single-byte code
    page pairs an accented letter with an ASCII one ('Zürich': FC 72), which GB18030 reads as a character, GB2312
    not."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, encoding="GB18030", read_geometry=False)
    except (UnicodeDecodeError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return False
    values = [str(v) for c in frame.columns if pd.api.types.is_string_dtype(frame[c])
              for v in frame[c].dropna() if not str(v).isascii()]
    chinese = 0
    for value in values:
        try:  # (GB18030 gives back the very bytes it decoded)
            chinese += any("\u4e00" <= ch <= "\u9fff" for ch in value.encode("gb18030").decode("gb2312"))
        except UnicodeError:
            pass  # a character of GBK beyond GB2312 (堃), or Western text
    return bool(values) and chinese * 2 > len(values)


def _dbf_guessed(path: Path, dbf: Path) -> bool:
    """Whether a shapefile's text encoding must be guessed: GDAL follows the .cpg, or else the code page in the
    .dbf's header; with neither (or with 0x57, "the system's ANSI code page", as ArcGIS writes it) it takes
    ISO-8859-1, which turns Chinese into mojibake silently (QGIS and ArcGIS often write GBK .dbf files without
    a .cpg)."""
    if _cpg(path) is not None:
        return False
    with dbf.open("rb") as handle:
        header = handle.read(32)
    return len(header) < 32 or header[29] in (0x00, 0x57)


def _read_vector(path: Path, layer: str | None, *, guess: bool, encoding: str | None = None,
                 vague: str = "") -> tuple[gpd.GeoDataFrame, list[str]]:
    """The layer, and a note when its text encoding was guessed (``guess``; ``vague``, the text of a .cpg that names
    no usable encoding): UTF-8 if the text is valid UTF-8, else GBK (GB18030); text valid in neither is read as
    GDAL reads it. ``encoding``: the one its .cpg names."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on e.g. missing .cpg
        if guess:
            why = f"its .cpg says {vague!r}, which names no encoding" if vague else "no .cpg beside it"
            for guessed in ("UTF-8", "GB18030"):
                try:
                    frame = gpd.read_file(path, layer=layer, engine="pyogrio", encoding=guessed)
                except UnicodeDecodeError:
                    continue
                if guessed == "UTF-8":
                    return frame, [f"{path.name}: {why}; its text is valid UTF-8 and was read so"] if vague else []
                return frame, [f"{path.name}: {why} and its text is not UTF-8, so it was read as GBK; put a "
                               f"{path.with_suffix('.cpg').name} containing GBK beside it to say so"]
        if encoding is not None:
            return gpd.read_file(path, layer=layer, engine="pyogrio", encoding=encoding), []
        return gpd.read_file(path, layer=layer, engine="pyogrio"), []


def _feature(frame: gpd.GeoDataFrame, pos: int, id_field: str) -> str:
    """``feature 3 (park_id P03)``, or ``(park_id empty)``: features numbered from 1, as QGIS does."""
    return f"feature {pos + 1}" + (f" ({id_label(id_field, frame[id_field].iloc[pos])})"
                                   if id_field in frame.columns else "")


def _check_units(frame: gpd.GeoDataFrame, src: str, id_field: str, problems: Problems) -> None:
    """The coordinates must fit the CRS's units: a layer of longitudes and latitudes tagged with a CRS in
    metres would measure parks in millionths of a hectare, and metres tagged as degrees cannot be measured.

    Degrees in a CRS in metres: every feature within China's longitudes and latitudes (73–136°E, 3–54°N;
    projected coordinates there would lie within 150 m of the CRS's origin, which no Chinese CRS in
    metres has). Metres in a CRS in degrees: every feature outside ±180°, ±90°; when only some are, those
    features are named instead (a typing slip, not a wrong CRS). Latitudes and longitudes swapped (x within
    3–54, y within 73–136, as an export with the wrong axis order gives) are told as such.
    """
    geoms = frame.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    bounds = shapely.bounds(geoms[present])  # x0, y0, x1, y1 per feature
    label = crs_label(frame.crs)
    x0, y0, x1, y1 = bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()
    if frame.crs.is_projected and 73 <= x0 and x1 <= 136 and 3 <= y0 and y1 <= 54:
        problems.add(src, "", "crs", f"the coordinates look like longitude and latitude in degrees (x {x0:g} to "
                     f"{x1:g}, y {y0:g} to {y1:g}), but the CRS is {label}, in metres",
                     "set the CRS the coordinates are really in (e.g. EPSG:4490, CGCS2000 degrees; QGIS: Layer "
                     "Properties > Source > Set CRS), without reprojecting")
    elif 3 <= x0 and x1 <= 54 and 73 <= y0 and y1 <= 136:  # China's latitudes in x, longitudes in y
        problems.add(src, "", "geometry", f"x and y look swapped: x {x0:g} to {x1:g} are latitudes and y {y0:g} to "
                     f"{y1:g} longitudes (the CRS is {label})",
                     "swap them (QGIS: Processing > Swap X and Y coordinates; or export with longitude first)")
    elif frame.crs.is_geographic:
        outside = ((bounds[:, 0] < -180) | (bounds[:, 2] > 180) | (bounds[:, 1] < -90) | (bounds[:, 3] > 90))
        if outside.all():
            problems.add(src, "", "crs", f"the coordinates do not fit degrees (x {x0:g} to {x1:g}, y {y0:g} to "
                         f"{y1:g}), but the CRS is {label}, in degrees: they look like metres",
                         "set the projected CRS the coordinates are really in (e.g. EPSG:4547, CGCS2000 / "
                         "3-degree Gauss-Kruger CM 114E), without reprojecting")
            return
        for pos in np.flatnonzero(present)[outside]:
            problems.add(src, _feature(frame, int(pos), id_field), "geometry", f"coordinates outside ±180° longitude, ±90° latitude in {label}",
                         "correct the feature's coordinates", row=int(pos))


_SEPARATORS = {";": "semicolons (';')", "\t": "tabs", "|": "bars ('|')"}


def _first_line(path: Path) -> str | None:
    """The file's header line, or ``None`` when it cannot be read as UTF-8 (the full read reports that)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return handle.readline()
    except (UnicodeDecodeError, OSError):
        return None


def _other_separator(first: str) -> str:
    """How the header line is separated when semicolons, tabs or bars split it into at least three names and
    into more than twice as many as commas do (Excel in a locale with a decimal comma writes ';'); empty when
    it looks comma-separated."""
    fields = {sep: len(next(csv.reader([first], delimiter=sep), [])) for sep in (",", *_SEPARATORS)}
    best = max(_SEPARATORS, key=lambda sep: fields[sep])
    # a comma may sit inside a column name ("name, full"): the separator is the one that splits the header most
    return _SEPARATORS[best] if fields[best] >= 3 and fields[best] > 2 * fields[","] else ""


def read_csv(path: Path, *, fields: Sequence[Field], id_field: str, problems: Problems) -> pd.DataFrame | None:
    """Read and check a CSV table (UTF-8, with or without BOM, comma-separated, header row)."""
    src = str(path)
    if not path.exists():
        problems.add(src, "", "", "file not found", "check the path in the scenario")
        return None
    if not path.is_file():
        problems.add(src, "", "", "is a folder, not a CSV file", "point the scenario at the CSV file inside it")
        return None
    first = _first_line(path)
    separator = _other_separator(first) if first is not None else ""
    if separator:
        problems.add(src, "line 1", "", f"the columns are separated by {separator}, not by commas",
                     "save it as 'CSV UTF-8 (comma delimited)' (Excel), or export it with ',' as the separator")
        return None
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True,
                          skip_blank_lines=False)
    except OSError as exc:  # e.g. no permission to read it
        problems.unreadable(src, exc)
        return None
    except UnicodeDecodeError:
        with open(path, "rb") as handle:
            head = handle.read(4)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode Text" is UTF-16 (and tab-separated)
            problems.add(src, "", "", "is UTF-16 text (as Excel saves 'Unicode Text'), not UTF-8",
                         "save it as 'CSV UTF-8 (comma delimited)' (Excel)")
        else:
            problems.add(src, "", "", "is not UTF-8 text", "save it as 'CSV UTF-8' (Excel) or convert it from GBK")
        return None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        problems.add(src, "", "", f"could not be read as CSV: {exc}", "check the separators and quotes")
        return None
    raw.columns = [str(c).strip() for c in raw.columns]
    # pandas renames a repeated header to "name.1": the names as written (the header line read above)
    header = [c.strip() for c in next(csv.reader([first or ""], skipinitialspace=True), [])]
    repeated = sorted({c for c in header if c and header.count(c) > 1})  # blank names: Excel's trailing commas
    for name in repeated:
        problems.add(src, "line 1", name, f"the header names this column {header.count(name)} times",
                     "keep one column of that name")
    if repeated:
        return None
    blank = (raw.astype(str).apply(lambda c: c.str.strip()) == "").all(axis=1).to_numpy()
    short = _short_rows(path, raw, len(header), src, problems) & ~blank  # reported whole, not field by field
    keep = ~blank & ~short
    numbers = [n + 2 for n in range(len(raw)) if keep[n]]  # the file's own line numbers
    return parse_table(raw[keep].reset_index(drop=True), fields, source=src, id_field=id_field, problems=problems,
                       row_numbers=numbers)


def _short_rows(path: Path, raw: pd.DataFrame, width: int, src: str, problems: Problems) -> np.ndarray:
    """The rows typed with full-width commas '，' (fewer values than the header has columns, one holding a '，'),
    each reported once, not once per empty field; a boolean per row of the table. A row that only leaves out
    trailing values is read as before (they are empty)."""
    count = len(raw)
    short = np.zeros(count, dtype=bool)
    if not any("，" in str(v) for v in raw.to_numpy().ravel()):  # (the usual case: the file is not read again)
        return short
    with open(path, encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle, skipinitialspace=True))[1:]
    if len(records) != count:  # (a quoted value over several lines: the rows are not the records; leave it)
        return short
    for n, record in enumerate(records):
        if 0 < len(record) < width and any("，" in value for value in record):
            short[n] = True
            problems.add(src, f"row {n + 2}", "", f"has {len(record)} value(s) where the header has {width} columns, "
                         "and its values are separated by the full-width comma '，'",
                         "separate the values with the ASCII comma ','")
    return short
