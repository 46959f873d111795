"""Two runs side by side: "what changed when the energy quota dropped 10 %?"

``compare_runs(a, b)`` reads two run folders (their files only, as :mod:`siting.check` does) and says how
the second differs from the first: what the scenarios changed (settings and input files), the headline KPIs,
every project that moved, was left out or came in (with, for one left out, the second run's reason), and
the parks whose use of land, energy or emission changed most. ``project_table`` is the same at project level,
one row per project of either run, for a CSV; ``write_compare_html`` writes it as a page and ``compare_map``
draws it on an offline map; ``check_outputs`` and ``write_outputs`` write those files, whole or not at all.
"""

from __future__ import annotations

import errno
import math
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import pyogrio

from layers import InputError, Problem

from .check import (
    DAMAGED,
    MAPPING,
    RunKey,
    lookup_key,
    read_manifest,
    read_run_file,
    read_run_json,
    run_folder_around,
    short_json,
)
from .maps import add_box, blank_map, esc, title_html, write_map
from .report import CSS, html_table

COMPARED_MANIFEST = (RunKey("settings", *MAPPING), RunKey("scenario", "text", lambda v: isinstance(v, str)),
                     RunKey("inputs", "a mapping of file: sha256", lambda v: isinstance(v, dict) and all(
                         isinstance(h, str) for h in v.values()), required=False))
COMPARED_SUMMARY = (RunKey("solution", *MAPPING), RunKey("kpis", *MAPPING),
                    RunKey("kpis.placed_projects", "a number", lambda v: isinstance(v, int | float)
                           and not isinstance(v, bool)))
# headline measures: summary key, label, unit, digits
HEADLINE = (
    ("solution.objective", "objective 目标值", "points/yr", 1),
    ("solution.gap", "proven gap 间隙", "%", None),
    ("kpis.placed_projects", "placed 落地项目", "", 0),
    ("kpis.investment", "investment 投资", "万元", 0),
    ("kpis.output", "output 产值", "万元/yr", 0),
    ("kpis.tax", "tax 税收", "万元/yr", 0),
    ("kpis.jobs", "jobs 就业", "", 0),
    ("kpis.land_used_ha", "land used 用地", "ha", 1),
    ("kpis.energy_used_tce", "energy used 能耗", "tce/yr", 0),
    ("kpis.emission_used_t", "emission used 排放", "t/yr", 0),
    ("kpis.output_per_mu", "output per 亩 亩均产值", "万元/yr", 1),
    ("kpis.tax_per_mu", "tax per 亩 亩均税收", "万元/yr", 2),
    ("kpis.local_supply_rate", "local supply rate 市内配套率", "%", None),
    ("kpis.leading_chain_output_share", "leading-chain share 主导产业占比", "%", None),
    ("kpis.chains_per_park_mean", "chains per park 专而精", "", 2),
)
SHOWN = 20  # projects listed per kind of change
NOT_SET = "(not set)"  # a setting absent, null or an empty mapping in a run's scenario
NOT_COMPARED = {"name", "title", "description", "region"}  # labels, and the folder the paths are in


@dataclass(frozen=True)
class Comparison:
    lines: list[str]  # the whole answer in plain words, for the terminal
    projects: pd.DataFrame  # project_id, name, park_a, park_b, change, total_a, total_b, reason_b
    runs: tuple[str, str]  # "folder (scenario name)"
    changes: list[str]  # what the second run's scenario changes
    headline: list[tuple[str, str, str, str, str]]  # measure, unit, first, second, change
    parks: list[str]  # parks whose use changed most, in words


def _run(folder: Path) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    manifest = read_manifest(folder, COMPARED_MANIFEST)
    summary = read_run_json(folder / "summary.json", COMPARED_SUMMARY)

    def table(name: str, columns: tuple[str, ...]) -> pd.DataFrame:
        frame = read_run_file(folder / name, lambda p: pd.read_csv(p, dtype=str, keep_default_na=False))
        lacking = [c for c in columns if c not in frame.columns]
        if lacking:
            raise InputError([Problem(str(folder / name), "", c, "column is missing", DAMAGED) for c in lacking])
        return frame

    placed = table("assignments.csv", ("project_id", "name", "park_id", "total"))
    unplaced = table("unplaced.csv", ("project_id", "name", "reason"))
    damaged = []
    for name, frame in (("assignments.csv", placed), ("unplaced.csv", unplaced)):
        if (frame["project_id"].str.strip() == "").any():
            damaged.append(Problem(str(folder / name), "", "project_id", "a row has no project ID", DAMAGED))
        repeated = sorted(set(frame.loc[frame["project_id"].duplicated() & (frame["project_id"] != ""), "project_id"]))
        if repeated:
            damaged.append(Problem(str(folder / name), "", "project_id", f"projects repeat: {', '.join(repeated[:5])}",
                                   DAMAGED))
    both = sorted(set(placed["project_id"]) & set(unplaced["project_id"]))
    if both:
        damaged.append(Problem(str(folder / "unplaced.csv"), "", "project_id", f"projects both placed and unplaced: "
                               f"{', '.join(both[:5])}", DAMAGED))
    count = _number(lookup_key(summary, "kpis.placed_projects"))
    if count is not None and count != len(placed):
        damaged.append(Problem(str(folder / "assignments.csv"), "", "", f"holds {len(placed)} projects, summary.json "
                               f"says {count:g} were placed", DAMAGED))
    if damaged:
        raise InputError(damaged)
    parks = table("parks.csv", ("park_id", *(f"{r}_{k}" for r in ("land", "energy", "emission")
                                             for k in ("quota", "used"))))
    return manifest, summary, placed, unplaced, parks


def _flat(data: object, prefix: str = "") -> dict[str, object]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; an empty mapping sets nothing."""
    if isinstance(data, dict):
        out: dict[str, object] = {}
        for key, value in data.items():
            out |= _flat(value, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): data}


def settings_changes(a: dict, b: dict, inputs_a: dict | None = None, inputs_b: dict | None = None) -> list[str]:
    """The scenario settings that differ, as ``key: A → B``. Labels (name, title, description) and the region
    folder are left aside; a file path counts as changed only when the file's content differs (``inputs_*``:
    path → SHA-256, from the manifests); locks and forbids are compared as sets of pairs."""
    inputs_a, inputs_b = inputs_a or {}, inputs_b or {}
    a, b = dict(a), dict(b)
    out = []
    for key in ("locks", "forbids"):
        pairs_a, pairs_b = (_pairs(side.pop(key, None)) for side in (a, b))
        added, dropped = sorted(pairs_b - pairs_a), sorted(pairs_a - pairs_b)
        if added or dropped:
            out.append(f"{key}: " + ", ".join([*(f"+{x}→{y}" for x, y in added), *(f"−{x}→{y}" for x, y in dropped)]))
    fa, fb = _flat(a), _flat(b)
    for key in sorted(set(fa) | set(fb)):
        x, y = (NOT_SET if value is None else value for value in (fa.get(key), fb.get(key)))  # null sets nothing either
        if key.split(".")[0] in NOT_COMPARED or x == y:
            continue
        if isinstance(x, str) and isinstance(y, str) and (x in inputs_a or y in inputs_b) \
                and inputs_a.get(x) == inputs_b.get(y):
            continue  # the same file content under another path
        out.append(f"{key}: {short_json(x, 60)} → {short_json(y, 60)}")
    return out


def _pairs(entries: object) -> set[tuple[str, str]]:
    if not isinstance(entries, list):
        return set()
    return {(str(e.get("project")), str(e.get("park"))) for e in entries if isinstance(e, dict)}


def _how_solved(ma: dict, sa: dict, mb: dict, sb: dict) -> list[str]:
    """Differences in how the two plans were solved: solver, budget (time limit or steps), baseline run."""
    def budget(s: dict) -> str:
        sol = s.get("solution") or {}
        steps, limit = sol.get("steps"), sol.get("time_limit")
        how = f"{steps} steps (reproducible)" if steps is not None else (f"{limit:g} s time limit"
                                                                          if isinstance(limit, int | float) else "no limit")
        return f"{sol.get('solver', '?')}, {how}"

    def origin(m: dict) -> str:
        base = m.get("baseline")
        return f"started from {base.get('run')}" if isinstance(base, dict) else "solved afresh"

    def plan(m: dict) -> object:  # a baseline counts by its plan's content, as inputs do, not by its path
        base = m.get("baseline")
        return base.get("assignments_sha256") or base.get("run") if isinstance(base, dict) else None

    out = []
    if budget(sa) != budget(sb):
        out.append(f"solve: {budget(sa)} → {budget(sb)}")
    if plan(ma) != plan(mb):
        first, second = origin(ma), origin(mb)
        if first == second:  # one path, whose plan changed between the two runs
            first, second = (f"{origin(m)} (plan {str(plan(m))[:8]})" for m in (ma, mb))
        out.append(f"start: {first} → {second}")
    return out


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


MORE_DIGITS = 4  # at most this many more decimals for two values that differ but print alike


def _signed(text: str) -> str:
    """A signed number as formatted (``-0.0``, ``+0.00%``), without its sign when it rounds to zero."""
    return text.lstrip("+-") if not any(c in "123456789" for c in text) else text


def headline_rows(sa: dict, sb: dict) -> list[tuple[str, str, str, str, str]]:
    """(measure, unit, first, second, change) for each headline measure either run has.

    A measure prints with its ``HEADLINE`` decimals, or with up to ``MORE_DIGITS`` more when the change between
    two different values would round to zero (0.05 → 0.04 (-0.01, -20.0%) 万元 per 亩, not 0.0 → 0.0 (-0.0,
    -20.0%)). A change that still rounds to zero has no sign, and the relative change is left out when the first
    value prints as zero or the two print alike.
    """
    out = []
    for key, label, unit, digits in HEADLINE:
        x, y = _number(lookup_key(sa, key)), _number(lookup_key(sb, key))
        if x is None and y is None:
            continue
        if digits is None:  # a share: shown in %, its change in percentage points
            show = [("—" if v is None else f"{v:.2%}") for v in (x, y)]
            delta = "" if x is None or y is None else _signed(f"{(y - x) * 100:+.2f}") + " points"
        else:
            if x is not None and y is not None and x != y:
                digits = next((d for d in range(digits, digits + MORE_DIGITS + 1)
                               if _signed(f"{y - x:+.{d}f}") != _signed(f"{0:+.{d}f}")), digits)
            show = [("—" if v is None else f"{v:,.{digits}f}") for v in (x, y)]
            delta = ""
            if x is not None and y is not None:
                delta = _signed(f"{y - x:+,.{digits}f}")
                if show[0] != show[1] and _signed(f"{x:+.{digits}f}") != _signed(f"{0:+.{digits}f}"):
                    delta += ", " + _signed(f"{(y - x) / abs(x):+.1%}")
        out.append((label, "" if unit == "%" else unit, show[0], show[1], delta))
    return out


def _headline(rows: list[tuple[str, str, str, str, str]]) -> list[str]:
    width = max(len(label) for _, label, _, _ in HEADLINE) + 2
    return [f"  {label:<{width}}{x} → {y}" + (f" ({delta})" if delta else "") + (f" {unit}" if unit else "")
            for label, unit, x, y, delta in rows]


def project_table(placed_a: pd.DataFrame, unplaced_a: pd.DataFrame, placed_b: pd.DataFrame,
                  unplaced_b: pd.DataFrame) -> pd.DataFrame:
    """One row per project of either run: its park in each (empty = not placed), the change, its total in each
    and, when the second run leaves it out, that run's reason."""
    park_a = dict(zip(placed_a["project_id"], placed_a["park_id"], strict=True))
    park_b = dict(zip(placed_b["project_id"], placed_b["park_id"], strict=True))
    total_a = dict(zip(placed_a["project_id"], placed_a["total"], strict=True))
    total_b = dict(zip(placed_b["project_id"], placed_b["total"], strict=True))
    names = {**dict(zip(unplaced_a["project_id"], unplaced_a["name"], strict=True)),
             **dict(zip(placed_a["project_id"], placed_a["name"], strict=True)),
             **dict(zip(unplaced_b["project_id"], unplaced_b["name"], strict=True)),
             **dict(zip(placed_b["project_id"], placed_b["name"], strict=True))}
    reason_b = dict(zip(unplaced_b["project_id"], unplaced_b["reason"], strict=True))
    in_a = set(park_a) | set(unplaced_a["project_id"])
    in_b = set(park_b) | set(unplaced_b["project_id"])
    rows = []
    for pid in sorted(in_a | in_b):
        a, b = park_a.get(pid, ""), park_b.get(pid, "")
        if pid not in in_b:
            change = "only in the first run"
        elif pid not in in_a:
            change = "only in the second run"
        elif a == b:
            change = "same park" if a else "not placed in either"
        elif a and b:
            change = "moved"
        elif a:
            change = "left out"
        else:
            change = "newly placed"
        rows.append({"project_id": pid, "name": names.get(pid, ""), "park_a": a, "park_b": b, "change": change,
                     "total_a": _number(total_a.get(pid)), "total_b": _number(total_b.get(pid)),
                     "reason_b": reason_b.get(pid, "") if change == "left out" else ""})
    return pd.DataFrame(rows, columns=["project_id", "name", "park_a", "park_b", "change", "total_a", "total_b",
                                       "reason_b"])


def _park_changes(parks_a: pd.DataFrame, parks_b: pd.DataFrame, top: int = 10) -> list[str]:
    a, b = parks_a.set_index("park_id"), parks_b.set_index("park_id")
    rows = []
    for park in sorted(set(a.index) & set(b.index)):
        parts, weight = [], 0.0
        for resource, unit, digits in (("land", "ha", 1), ("energy", "tce", 0), ("emission", "t", 0)):
            qa, qb = _number(a.at[park, f"{resource}_quota"]), _number(b.at[park, f"{resource}_quota"])
            ua, ub = _number(a.at[park, f"{resource}_used"]), _number(b.at[park, f"{resource}_used"])
            if None in (qa, qb, ua, ub):
                continue
            if abs(ub - ua) > 1e-6 * max(1.0, abs(ua)) or abs(qb - qa) > 1e-6 * max(1.0, abs(qa)):
                quota = f" of {qa:,.{digits}f}" + (f" → {qb:,.{digits}f}" if abs(qb - qa) > 1e-6 * max(1.0, abs(qa))
                                                   else "")
                parts.append(f"{resource} {ua:,.{digits}f} → {ub:,.{digits}f}{quota} {unit}")
                weight = max(weight, abs(ub - ua) / max(qa, qb, 1e-9))
        if parts:
            rows.append((weight, park, "; ".join(parts)))
    rows.sort(key=lambda r: (-r[0], r[1]))
    out = [f"  park {park}: {text}" for _, park, text in rows[:top]]
    if len(rows) > top:
        out.append(f"  … and {len(rows) - top} more parks changed")
    return out


def compare_runs(first: str | Path, second: str | Path) -> Comparison:
    """How the run ``second`` differs from the run ``first``, in plain words, and at project level."""
    first, second = Path(first), Path(second)
    ma, sa, placed_a, unplaced_a, parks_a = _run(first)
    mb, sb, placed_b, unplaced_b, parks_b = _run(second)
    runs = (f"{first} (scenario {ma['scenario']})", f"{second} (scenario {mb['scenario']})")
    lines = [f"first  {runs[0]}", f"second {runs[1]}"]
    inputs_a, inputs_b = ma.get("inputs") or {}, mb.get("inputs") or {}
    changed = settings_changes(ma["settings"], mb["settings"], inputs_a, inputs_b)
    hashes_a, hashes_b = set(inputs_a.values()), set(inputs_b.values())
    for label, files in (("input files whose content is not in the first run",
                          sorted(f for f, h in inputs_b.items() if h not in hashes_a)),
                         ("input files of the first run whose content is not in the second",
                          sorted(f for f, h in inputs_a.items() if h not in hashes_b))):
        if files:
            changed.append(f"{label}: " + ", ".join(Path(f).name for f in files))
    changed += _how_solved(ma, sa, mb, sb)
    if not changed:
        changed = ["none: the same scenario settings, input files and solve"]
    lines.append("what the second run changes 情景差异:")
    lines += [f"  {c}" for c in changed[:30]] + ([f"  … and {len(changed) - 30} more"] if len(changed) > 30 else [])
    lines.append("headline 主要指标 (first → second):")
    headline = headline_rows(sa, sb)
    lines += _headline(headline)
    projects = project_table(placed_a, unplaced_a, placed_b, unplaced_b)
    counts = projects["change"].value_counts()
    if not counts.get("only in the first run", 0) + counts.get("only in the second run", 0) < len(projects):
        lines.append("note: the two runs share no project: are they runs of the same project library?")
    order = ("same park", "moved", "left out", "newly placed", "not placed in either", "only in the first run",
             "only in the second run")
    lines.append("projects 项目: " + ", ".join(f"{counts[c]} {c}" for c in order if counts.get(c, 0)))
    for change, label in (("moved", "moved 调整园区"), ("left out", "left out in the second run 未落地"),
                          ("newly placed", "placed only in the second run 新落地")):
        rows = projects[projects["change"] == change]
        if rows.empty:
            continue
        lines.append(f"  {label} ({len(rows)}):")
        for row in rows.head(SHOWN).itertuples(index=False):
            where = (f"{row.park_a} → {row.park_b}" if change == "moved" else
                     f"was in {row.park_a}" if change == "left out" else f"now in {row.park_b}")
            reason = f" — {row.reason_b[:160]}{'…' if len(row.reason_b) > 160 else ''}" if row.reason_b else ""
            lines.append(f"    {row.project_id} {row.name}: {where}{reason}")
        if len(rows) > SHOWN:
            lines.append(f"    … and {len(rows) - SHOWN} more (all in the CSV of --csv)")
    park_lines = _park_changes(parks_a, parks_b)
    if park_lines:
        lines.append("parks whose use changed most 园区资源使用变化:")
        lines += park_lines
    return Comparison(lines, projects, runs, changed, headline, [line.strip() for line in park_lines])


def write_compare_html(path: Path, comparison: Comparison) -> None:
    """A static page of the comparison for reviewers (no scripts, nothing remote, every string escaped)."""
    c = comparison
    counts = c.projects["change"].value_counts()
    headline = pd.DataFrame(c.headline, columns=["measure", "unit", "first", "second", "change"])
    changed = c.projects[~c.projects["change"].isin(["same park", "not placed in either"])]
    body = [
        "<h1>Scenario comparison 情景对比</h1>",
        f"<p>First 基准: {esc(c.runs[0])}<br>Second 情景: {esc(c.runs[1])}</p>",
        "<h2>What the second run changes 情景差异</h2><ul>" + "".join(f"<li>{esc(x)}</li>" for x in c.changes)
        + "</ul>",
        "<h2>Headline 主要指标</h2>",
        html_table(headline, {"measure": "measure", "first": "first", "second": "second", "change": "change",
                              "unit": "unit"}, table_id="headline"),
        "<h2>Projects 项目</h2><p class='note'>" + esc(", ".join(f"{n} {k}" for k, n in counts.items())) + ". "
        "Left out: the second run's reason, as in its unplaced.csv.</p>",
        html_table(changed, {"project_id": "project", "name": "name", "change": "change", "park_a": "first park",
                             "park_b": "second park", "total_a": "total, first", "total_b": "total, second",
                             "reason_b": "why left out (second run)"}, {"total_a": 1, "total_b": 1},
                   table_id="projects"),
    ]
    if c.parks:
        body += ["<h2>Parks whose use changed most 园区资源使用变化</h2><ul>"
                 + "".join(f"<li>{esc(x)}</li>" for x in c.parks) + "</ul>"]
    page = (f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>Scenario comparison</title>"
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>")
    path.write_text(page, encoding="utf-8")


def _map_layer(folder: Path, layer: str) -> gpd.GeoDataFrame:
    """A layer of a run's results.gpkg in CGCS2000 degrees, with ``park_id``; a damaged one is bad input."""
    path = Path(folder) / "results.gpkg"
    frame = read_run_file(path, lambda p: pyogrio.read_dataframe(p, layer=layer))
    if frame.crs is None or "park_id" not in frame.columns:
        raise InputError([Problem(str(path), "", layer, "has no CRS or no park_id column", DAMAGED)])
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].to_crs("EPSG:4490")
    return frame.assign(park_id=frame["park_id"].map(str))


def compare_map(first: Path, second: Path, comparison: Comparison) -> folium.Map:
    """A map of the comparison, from the two run folders' GeoPackages: each park of either run, labelled when
    something changed there, with what came in and went out; a line between two parks for the projects that
    moved between them (either way, wider for more, a dot at each destination), and rings for the projects
    left out (at their old park) and newly placed (at their new park). Offline like the run's map
    (:func:`siting.maps.render_offline`)."""
    first_parks, second_parks = _map_layer(first, "parks"), _map_layer(second, "parks")
    parks = pd.concat([second_parks, first_parks[~first_parks["park_id"].isin(second_parks["park_id"])]],
                      ignore_index=True)
    if parks.empty:
        raise InputError([Problem(str(Path(second) / "results.gpkg"), "", "parks", "has no parks", DAMAGED)])
    names = dict(zip(parks["park_id"], parks["name"].map(str) if "name" in parks.columns else parks["park_id"],
                     strict=True))
    point = {p: geom.representative_point() for p, geom in zip(parks["park_id"], parks.geometry, strict=True)}
    for folder in (first, second):  # where the runs drew each park's projects (a gate, or a point inside)
        drawn = _map_layer(folder, "projects")
        point |= dict(zip(drawn["park_id"], drawn.geometry, strict=True))
    xy = {p: (pt.y, pt.x) for p, pt in point.items()}
    fmap = blank_map(parks.total_bounds)
    projects = comparison.projects
    layer = folium.FeatureGroup(name="Parks 园区", show=True)
    for park_id, geom in zip(parks["park_id"], parks.geometry, strict=True):
        name = names[park_id]
        here = projects[(projects["park_a"] == park_id) | (projects["park_b"] == park_id)]
        came = here[(here["park_b"] == park_id) & (here["park_a"] != park_id)]
        went = here[(here["park_a"] == park_id) & (here["park_b"] != park_id)]
        popup = (f"<b>{esc(name)}</b> ({esc(park_id)})<br>in: {len(came)} · out: {len(went)} · stayed: "
                 f"{int(((here['park_a'] == park_id) & (here['park_b'] == park_id)).sum())}"
                 + _project_list("came in 迁入/新落地", came) + _project_list("went out 迁出/未落地", went))
        folium.GeoJson(geom.__geo_interface__, style_function=lambda _f: {"color": "#555", "weight": 2,
                                                                           "fillOpacity": 0.15},
                       tooltip=esc(f"{park_id} {name}"), popup=folium.Popup(popup, max_width=420)).add_to(layer)
        if park_id in xy:  # seen at any zoom (the polygons are a few pixels at the opening one)
            changed = len(came) + len(went)
            label = folium.Tooltip(esc(f"{park_id} +{len(came)} −{len(went)}"), permanent=True, direction="right",
                                   offset=(8, 0)) if changed else folium.Tooltip(esc(f"{park_id} {name}"))
            folium.CircleMarker(xy[park_id], radius=7, color="#555" if changed else "#aaa", weight=2, fill=True,
                                fill_color="#fff", fill_opacity=0.9, tooltip=label,
                                popup=folium.Popup(popup, max_width=420)).add_to(layer)
    layer.add_to(fmap)
    moves = folium.FeatureGroup(name="Moved 调整园区", show=True)
    moved = projects[projects["change"] == "moved"]
    pairs = moved.assign(low=moved[["park_a", "park_b"]].min(axis=1), high=moved[["park_a", "park_b"]].max(axis=1))
    for (a, b), rows in pairs.groupby(["low", "high"], sort=True):
        if a in xy and b in xy:
            ways = "; ".join(f"{x} → {y}: {n}" for (x, y), n in rows.groupby(["park_a", "park_b"]).size().items())
            folium.PolyLine([xy[a], xy[b]], color="#1f4e9c", weight=2 + 2 * min(len(rows), 5), opacity=0.7,
                            tooltip=esc(ways), popup=folium.Popup(_project_list(ways, rows), max_width=420)
                            ).add_to(moves)
            for end in set(rows["park_b"]):  # a dot at each destination
                folium.CircleMarker(xy[end], radius=3, color="#1f4e9c", fill=True, fill_opacity=1).add_to(moves)
    moves.add_to(fmap)
    for change, park, color, label in (("left out", "park_a", "#c62828", "Left out 未落地"),
                                       ("newly placed", "park_b", "#2e7d32", "Newly placed 新落地")):
        group = folium.FeatureGroup(name=label, show=True)
        for park_id, rows in projects[projects["change"] == change].groupby(park, sort=True):
            if park_id in xy:
                folium.CircleMarker(xy[park_id], radius=5 + 2 * len(rows), color=color, weight=3, fill=False,
                                    tooltip=esc(f"{label}: {len(rows)} at {park_id}"),
                                    popup=folium.Popup(_project_list(f"{label} · {park_id}", rows, reasons=True),
                                                       max_width=460)).add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    facts = [f"first 基准: {comparison.runs[0]}", f"second 情景: {comparison.runs[1]}", *comparison.changes[:6],
             *(f"{label}: {x} → {y}" + (f" ({delta})" if delta else "")
               for label, _, x, y, delta in comparison.headline[:3])]
    add_box(fmap, "title", title_html("Scenario comparison 情景对比", facts), "top: 10px; left: 50px; max-width: 520px;")
    legend = ("<b>Legend 图例</b><div>○ park 园区, labelled +in −out where something changed (click: which "
              "projects)</div>"
              "<div><span style='color:#1f4e9c'>━●</span> projects moved between two parks 调整园区 (the dot: "
              "where they went); wider for more</div>"
              "<div><span style='color:#c62828'>◯</span> left out 未落地, at the park it left (click: why)</div>"
              "<div><span style='color:#2e7d32'>◯</span> newly placed 新落地, at its park</div>")
    add_box(fmap, "legend", legend, "bottom: 20px; left: 10px; max-width: 360px;")
    return fmap


def _project_list(title: str, rows: pd.DataFrame, *, reasons: bool = False) -> str:
    if rows.empty:
        return ""
    items = "".join(f"<li>{esc(r.project_id)} {esc(r.name)}: {esc(r.park_a or '—')} → {esc(r.park_b or '—')}"
                    + (f"<br><small>{esc(r.reason_b[:300])}</small>" if reasons and r.reason_b else "") + "</li>"
                    for r in rows.itertuples(index=False))
    return f"<div><b>{esc(title)}</b><ul style='margin:2px 0;padding-left:16px'>{items}</ul></div>"


# the files ``siting compare`` can write, by option: what the terminal calls each
OUTPUTS = {"--csv": "projects in both runs", "--html": "comparison page", "--map": "comparison map"}


def check_outputs(files: Mapping[str, Path]) -> None:
    """Refuse output files (option → path) before anything is read: a folder that does not exist or one file for
    two outputs is bad input (every problem at once); a file that exists is never overwritten (FileExistsError)."""
    problems = [Problem(str(path), "", option, "names no folder that exists", "create the folder or name another")
                for option, path in files.items() if not path.parent.is_dir()]
    if len({path.resolve() for path in files.values()}) < len(files):
        problems.append(Problem(", ".join(str(p) for p in files.values()), "", " ".join(files),
                                "the same file for two outputs", "name a file for each"))
    if problems:
        raise InputError(problems)
    for path in files.values():
        if os.path.lexists(path):
            raise FileExistsError(f"{path} exists; compare never overwrites a file (name a new one)")
        inside = run_folder_around(path.parent)
        if inside is not None:
            raise FileExistsError(f"{path} is inside the run folder {inside}, and compare never changes a run: "
                                  "name a file elsewhere")


def write_outputs(files: Mapping[str, Path], comparison: Comparison, fmap: folium.Map | None) -> None:
    """Write the comparison's files (option → path; ``fmap`` for ``--map``): each is staged beside its place under a
    name of its own and linked there once all are written, so every file appears whole or none does, and a file
    that appeared meanwhile (another compare) is never overwritten (FileExistsError when a write fails)."""
    writers = {"--csv": lambda p: comparison.projects.to_csv(p, index=False, encoding="utf-8-sig"),
               "--html": lambda p: write_compare_html(p, comparison),
               "--map": lambda p: write_map(p, fmap)}
    staged: dict[str, Path] = {}
    placed: list[Path] = []
    try:
        for option, path in files.items():  # a name no other compare (nor a user's file) has
            staged[option] = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
            writers[option](staged[option])
        for option, staging in staged.items():
            _place(staging, files[option])
            placed.append(files[option])
    except BaseException as exc:  # (Ctrl-C between two placements too)
        for path in placed:  # the files this compare placed a moment ago: all or none
            path.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        if isinstance(exc, FileExistsError):
            raise FileExistsError(f"{exc.filename or exc} appeared while the comparison was written; compare never "
                                  "overwrites a file (name a new one)") from None
        raise FileExistsError(f"could not write the comparison's files: {exc}") from None
    finally:
        for staging in staged.values():
            staging.unlink(missing_ok=True)


def _place(staging: Path, path: Path) -> None:
    """Give ``staging`` the name ``path``, unless a file has it (FileExistsError): a hard link fails then, where a
    rename would replace it. On a file system without hard links, a rename after a last look."""
    try:
        os.link(staging, path)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
    except OSError:
        if path.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
        os.replace(staging, path)
