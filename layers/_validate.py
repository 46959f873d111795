"""Field-by-field checking of attribute tables (of layers and of CSV files).

A :class:`Field` says what a column must hold; :func:`parse_table` converts a raw table (every cell a
string, or whatever the layer reader produced) into typed columns and records every problem with
the file, row, ID, field, expectation and fix. Unknown columns are kept as they are.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._errors import Problems

# 1,234 or 1,234,567.5 as Excel writes thousands; '19,2' or '0,125' (decimal commas) would silently read as 192
# and 125 (no group of thousands starts with 0)
_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$")
# list values are separated by ';', or by the full-width '；' and the enumeration comma '、' that Chinese input
# methods type; a ',' is not a separator (the cross-checks point at a list written with commas)
LIST_SEPARATORS = re.compile("[;；、]")
TRUE = {"true", "t", "yes", "y", "1", "是", "1.0"}
FALSE = {"false", "f", "no", "n", "0", "否", "0.0", ""}


@dataclass(frozen=True)
class Field:
    """What one column must hold.

    ``kind`` is one of ``id`` (non-empty unique text), ``text``, ``number`` (float), ``integer``,
    ``bool``, ``list`` (text separated by ``;``, ``；`` or ``、``) or ``choice`` (one of ``choices``).
    """

    name: str
    kind: str
    required: bool = True
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    doc: str = ""
    default: object = None
    allow_empty: bool = False
    positive: bool = False  # a number must be above ``minimum``, not equal to it (a project on 0 ha)

    def expectation(self) -> str:
        unit = f" in {self.unit}" if self.unit else ""
        if self.kind == "number":
            bound = f" {'>' if self.positive else '≥'} {self.minimum:g}" if self.minimum is not None else ""
            return f"a number{bound}{unit}"
        if self.kind == "integer":
            bound = f" ≥ {self.minimum:g}" if self.minimum is not None else ""
            return f"a whole number{bound}{unit}"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "list":
            return "values separated by ';' (or '；', '、')"
        if self.kind == "id":
            return "a non-empty, unique ID"
        return "text"


def _is_empty(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def id_label(id_field: str, value: object) -> str:
    """``park_id P03`` in messages, or ``park_id empty`` for a missing ID (a null cell of a layer, which would
    read ``nan``, or a blank cell of a CSV)."""
    return f"{id_field} {'empty' if _is_empty(value) else str(value).strip()}"


def _column_key(name: object) -> str:
    return str(name).strip().casefold()


def match_columns(columns: Sequence[str], fields: Sequence[Field], *, cut: int = 0,
                  ) -> tuple[dict[str, str], list[list[str]]]:
    """How ``columns`` name ``fields`` when not exactly: Excel users capitalise headers and leave spaces.

    A field without a column of its exact name is read from the one column whose name differs only in letter
    case or surrounding spaces (``Land_HA``, `` land_ha``); with ``cut``, failing that, from the one column
    named by its first ``cut`` characters (a shapefile's .dbf keeps 10: ``land_avail``, ``LAND_AVAIL``).

    Returns
    -------
    renames
        {column: field name} for the columns to rename.
    clashes
        The groups of columns whose names differ only in letter case or spaces (``land_ha`` and ``Land_HA``):
        which one a field is read from would be a guess, and the outputs (GeoPackage, shapefile) could not
        keep both. Nothing in them is renamed.
    """
    groups: dict[str, list[str]] = {}
    for column in columns:
        groups.setdefault(_column_key(column), []).append(column)
    present = set(columns)
    renames: dict[str, str] = {}
    for spec in fields:
        if spec.name in present:
            continue
        found = groups.get(_column_key(spec.name), [])
        if not found and cut and len(spec.name) > cut:
            found = groups.get(_column_key(spec.name[:cut]), [])
        if len(found) == 1 and found[0] not in renames:
            renames[found[0]] = spec.name
    return renames, [names for names in groups.values() if len(names) > 1]


def parse_table(
    table: pd.DataFrame,
    fields: Sequence[Field],
    *,
    source: str,
    id_field: str,
    problems: Problems,
    row_offset: int = 2,
    row_numbers: Sequence[int] | None = None,
    cut_names: int = 0,
) -> pd.DataFrame:
    """Check and convert the columns of ``table`` that ``fields`` describe.

    Parameters
    ----------
    table
        The raw table. Its other columns are kept unchanged.
    fields
        What each known column must hold.
    source
        File name used in messages.
    id_field
        The ID column; used to name rows in messages and checked for uniqueness.
    problems
        Where problems are recorded (nothing is raised here).
    row_offset
        Added to the 0-based row position to give the row number users see (2 for a CSV with a
        header line, 1 for a layer's feature number).
    row_numbers
        The row number users see for each row, when rows were dropped (e.g. blank CSV lines); overrides
        ``row_offset``.
    cut_names
        The length a shapefile cuts field names to (10), for a layer read from one; see :func:`match_columns`.

    Returns
    -------
    pandas.DataFrame
        A copy with the known columns converted and named as the fields (``Land_HA`` read as ``land_ha``, see
        :func:`match_columns`); optional missing columns filled with defaults.
    """
    renames, clashes = match_columns([str(c) for c in table.columns], fields, cut=cut_names)
    out = table.rename(columns=renames)  # a copy
    clashed = set()
    for names in clashes:
        key = _column_key(names[0])
        named = [f.name for f in fields if key in (_column_key(f.name), _column_key(f.name[:cut_names or None]))]
        clashed.update(named)
        listed = ", ".join(repr(n) for n in names[:-1]) + f" and {names[-1]!r}"
        if named:
            problems.add(source, "", named[0], f"the columns {listed} could each be this field: their names differ "
                         "only in letter case or spaces", f"keep one of them, named '{named[0]}'")
        else:
            problems.add(source, "", "", f"the columns {listed} have names that differ only in letter case or "
                         "spaces, which a GeoPackage or shapefile cannot keep apart",
                         "rename or delete all but one")
    has_ids = id_field in out.columns
    raw_ids = out[id_field].tolist() if has_ids else [""] * len(out)
    ids = ["" if _is_empty(v) else _text(v) for v in raw_ids]

    numbers = list(row_numbers) if row_numbers is not None else [p + row_offset for p in range(len(out))]

    def where(pos: int) -> str:
        label = f" ({id_label(id_field, ids[pos])})" if has_ids else ""
        return f"row {numbers[pos]}{label}"

    missing = [f.name for f in fields if f.required and f.name not in out.columns and f.name not in clashed]
    for name in missing:
        spec = next(f for f in fields if f.name == name)
        near = [str(c) for c in out.columns if _UNIT_SUFFIX.sub("", str(c)).strip().casefold() == name]
        problems.add(source, "", name, f"required column is missing; expected {spec.expectation()}",
                     f"rename the column {near[0]!r} to '{name}' (units go in the README's data contract, not the "
                     "header)" if near else f"add a column '{name}'" + (f" ({spec.doc})" if spec.doc else ""))
    for spec in fields:
        if spec.name not in out.columns:
            if not spec.required:
                out[spec.name] = [_default(spec)] * len(out)
            continue
        values = []
        for pos, raw in enumerate(out[spec.name].tolist()):
            value, error = convert(raw, spec)
            if error:
                problems.add(source, where(pos), spec.name, f"{error}; expected {spec.expectation()}",
                             f"correct the value in row {numbers[pos]}", row=pos)
            values.append(value)
        dtype = float if spec.kind == "number" else object
        if spec.kind == "integer" and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            dtype = "int64"  # whole numbers stay whole in the outputs (a GIS integer field, not text)
        out[spec.name] = pd.Series(values, index=out.index, dtype=dtype)

    if id_field in out.columns:
        counts = pd.Series(ids).value_counts()
        for dup in sorted(counts[counts > 1].index):
            if dup:
                rows = [str(numbers[p]) for p, v in enumerate(ids) if v == dup]
                excel = bool(re.fullmatch(r"\d+(\.\d+)?[eE]\+\d+", dup))
                problems.add(source, f"rows {', '.join(rows)}", id_field, f"duplicate ID {dup!r}; IDs must be unique",
                             "Excel showed long numeric IDs in scientific notation and saved them so: format the ID "
                             "column as Text and enter the IDs again" if excel else "give each row its own ID")
        # stripped; a null stays null (an optional layer's ID, such as excl_id, is carried to the outputs as it was)
        out[id_field] = [i if i or isinstance(raw, str) else raw for i, raw in zip(ids, raw_ids, strict=True)]
    out.attrs["line_numbers"] = numbers  # what users see, for later messages about the same rows
    return out


# full-width ASCII (what Chinese input methods type in full-width mode), the ideographic space, the minus sign
_FULL_WIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20, 0x2212: 0x2D}
# a unit or note in brackets after a column name: land_ha(ha), land_ha（公顷）
_UNIT_SUFFIX = re.compile(r"\s*[\(（\[【].*$")


def _text(raw: object) -> str:
    """A cell as text, stripped; a whole number in a field of real numbers as a whole number (a GIS field of real
    numbers holds ID 11 as 11.0, which the other files write 11)."""
    if isinstance(raw, float | np.floating) and math.isfinite(raw) and float(raw).is_integer():
        return str(int(raw))
    return str(raw).strip()


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _default(spec: Field) -> object:
    if spec.default is not None:
        return spec.default
    return {"list": (), "bool": False, "number": math.nan, "text": "", "choice": ""}.get(spec.kind)


def convert(raw: object, spec: Field) -> tuple[object, str]:
    """Convert one cell; returns (value, error message or '')."""
    if _is_empty(raw):
        if spec.kind == "list":
            return (), ""
        if spec.kind == "bool":
            return False, ""
        if spec.allow_empty or not spec.required:
            return _default(spec), ""
        return _default(spec), "value is empty"
    text = _text(raw) if spec.kind in ("id", "text") else str(raw).strip()
    if spec.kind == "id" and LIST_SEPARATORS.search(text):  # it could never be named in a list of IDs
        return text, f"ID {text!r} contains a list separator (';', '；' or '、')"
    if spec.kind in ("id", "text"):
        return text, ""
    if spec.kind == "list":
        return tuple(part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()), ""
    if spec.kind == "choice":
        return (text, "") if text in spec.choices else (text, f"value {text!r} is not allowed")
    if spec.kind == "bool":
        if isinstance(raw, bool):
            return raw, ""
        low = text.lower()
        if low in TRUE:
            return True, ""
        if low in FALSE:
            return False, ""
        return False, f"value {text!r} is not a boolean"
    if isinstance(raw, str) and not text.isascii():  # full-width digits, point, comma or minus (１９．２)
        text = text.translate(_FULL_WIDTH).strip()  # (not NFKC, which reads 10⁴ as 104 and ① as 1)
    if isinstance(raw, str) and "," in text and not _THOUSANDS.match(text):
        if _is_float(text.replace(",", ".")):
            return math.nan, (f"value {text!r} has a comma that does not separate thousands (a decimal comma? "
                              f"write {text.replace(',', '.')!r} for a fraction)")
        return math.nan, f"value {text!r} is not a number"
    try:
        number = float(text.replace(",", "")) if isinstance(raw, str) else float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan, f"value {text!r} is not a number"
    if not math.isfinite(number):
        return math.nan, f"value {text!r} is not a finite number"
    if spec.minimum is not None and number < spec.minimum:
        return number, f"value {number:g} is below {spec.minimum:g}"
    if spec.positive and spec.minimum is not None and number == spec.minimum:
        return number, f"value {number:g} must be above {spec.minimum:g}"
    if spec.kind == "integer":
        if number != int(number):
            return number, f"value {text!r} is not a whole number"
        return int(number), ""
    return number, ""
