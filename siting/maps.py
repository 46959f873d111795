"""The reviewer's map: one self-contained HTML file that opens offline and answers "why here?".

Folium escapes nothing: popups are raw HTML inside a JavaScript template literal, tooltips too. Every
user-supplied string goes through :func:`esc`, which turns ``& < > " ' ` $ \\`` into HTML entities, so
that neither markup nor ``${...}`` in a name can run. GeoJSON handed to the page carries geometry
only. Leaflet and jQuery are inlined from the vendored copies in ``_vendor/`` (no CDN), and no tile
layer is used, so the page works on an intranet with no internet.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template
from shapely.geometry import mapping

from layers import CGCS2000, park_points
from layers.roads import road_lines

from .eligibility import RULE_NAMES, Eligibility
from .region import Region
from .schema import EXCLUSION_KIND_NAMES, HUB_KIND_NAMES, MU_PER_HA, STAGE_NAMES, STATUS_NAMES, TIER_NAMES

CHAIN_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd")
# hubs are drawn as black squares marked with a character (not coloured circles, which are projects); the
# colours are for the QGIS styles (siting.styles)
HUB_GLYPHS = {"airport_cargo": "空", "rail_freight": "铁", "hsr": "高", "inland_port": "港", "highway": "速"}
HUB_COLORS = {"airport_cargo": "#6a3d9a", "rail_freight": "#b15928", "hsr": "#e31a1c", "inland_port": "#1f78b4",
              "highway": "#33a02c"}
LAND_USE_RAMP = ("#fef0d9", "#fc8d59", "#b30000")  # 0 %, 50 %, 100 % of free land used (ColorBrewer OrRd)
PRIORITY_COLOR = "#212121"  # transport priorities: dark dashed lines, unlike any chain colour
LINK_COLORS = {True: "#2e7d32", False: "#c62828"}  # supplier links within / beyond their time limit
CORRIDOR_COLOR, CORRIDOR_FILL = "#7b1fa2", "#ce93d8"
EXCLUSION_COLORS = {"ecological_redline": "#2e7d32", "basic_farmland": "#c0a000", "urban_boundary": "#757575"}
EXCLUSION_OTHER = "#555555"  # any other kind of exclusion zone
# unplaced projects: hollow grey circles (white inside), unlike the placed projects' filled chain colours and the
# hubs' black squares; drawn beside their best eligible park, this many px beyond its ring of placed projects
UNPLACED_COLOR, UNPLACED_SIZE, UNPLACED_GAP = "#616161", 12, 28
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "`": "&#96;", "$": "&#36;",
             "\\": "&#92;"}
_VENDOR_JS = {"leaflet": "leaflet.js", "jquery": "jquery.min.js"}
_VENDOR_CSS = {"leaflet_css": "leaflet.css"}
_PLACEHOLDER = "https://vendored.invalid/"
# what would make a browser fetch something: scripts, stylesheets, images, frames, CSS urls (links people click are fine)
REMOTE_RESOURCE = re.compile(
    r"""(?:<(?:script|img|iframe|source|embed)\b[^>]*\bsrc|<link\b[^>]*\bhref)\s*=\s*["']?(?:https?:)?//[^"'\s>]*"""
    r"""|url\(\s*["']?(?:https?:)?//[^)]*\)|@import\s+["']?(?:https?:)?//""", re.IGNORECASE)


def esc(value: object) -> str:
    """Escape a value for HTML *and* for a JavaScript template literal (folium's popups and tooltips)."""
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def bilingual(code: object, names: dict[str, str]) -> str:
    """``国家级 national``: the Chinese name before the code, where one is known; escaped."""
    code = "" if code is None or (isinstance(code, float) and np.isnan(code)) else str(code)
    return esc(f"{names[code]} {code}" if code in names else code)


def chain_label(code: str, names: dict[str, str]) -> str:
    """``电子信息 electronics``: the Chinese part of the chain's name (``电子信息 Electronics & information``)."""
    name = names.get(code, "")
    short = re.match(r"[\u3400-\u9fff][^\s]*", name)
    return bilingual(code, {code: short.group(0) if short else name} if name else {})


def chain_colors(chains: list[str]) -> dict[str, str]:
    return {c: CHAIN_COLORS[n % len(CHAIN_COLORS)] for n, c in enumerate(sorted(chains))}


def land_use_color(share: float) -> str:
    """Pale (free) → orange → dark red (full) by the share of free land used.

    No green: the ecological red line is drawn green, and an empty park must not look like an exclusion.
    """
    share = float(np.clip(share, 0.0, 1.0))
    low, high = (LAND_USE_RAMP[0], LAND_USE_RAMP[1]) if share < 0.5 else (LAND_USE_RAMP[1], LAND_USE_RAMP[2])
    t = share / 0.5 if share < 0.5 else (share - 0.5) / 0.5
    rgb = [round(int(low[k:k + 2], 16) * (1 - t) + int(high[k:k + 2], 16) * t) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def build_map(region: Region, assignments: pd.DataFrame, parks_kpi: pd.DataFrame, links: pd.DataFrame,
              eligibility: Eligibility, priorities: pd.DataFrame, *, title: str, facts: list[str],
              unplaced: pd.DataFrame | None = None) -> folium.Map:
    """Assemble the map: exclusions, corridors, parks, links, projects, hubs, a legend and a title box.

    ``eligibility`` gives each project's popup its eligible parks (with their pair scores, for the runner-up)
    and the rules that removed the others. ``unplaced`` is the plan's table of unplaced projects (``project_id``
    and ``reason``, as in ``unplaced.csv``): those with an eligible park are drawn, in a layer off at start, beside
    the park where their pair score is highest; the others are counted in the legend and the layer control.
    """
    parks = region.parks.to_crs(CGCS2000)
    points = park_points(region.parks).to_crs(CGCS2000)
    xy = {pid: (pt.y, pt.x) for pid, pt in zip(parks["park_id"], points)}
    fmap = blank_map(parks.total_bounds)
    fmap.get_root().header.add_child(Element(_stylesheet(region.scenario.settings["weights"])))

    _add_roads(fmap, region)
    _add_exclusions(fmap, region.exclusions)
    _add_corridors(fmap, region)
    _add_parks(fmap, parks, parks_kpi, assignments, xy, region.chains)
    _add_links(fmap, links, xy)
    _add_priorities(fmap, priorities, xy)
    colors = chain_colors(sorted(set(region.projects["chain"])))
    _add_projects(fmap, assignments, xy, colors, eligibility, parks_kpi, region)
    counts = _add_unplaced(fmap, unplaced, assignments, xy, eligibility, parks_kpi, region)
    _add_hubs(fmap, region.hubs.to_crs(CGCS2000))
    folium.LayerControl(collapsed=True).add_to(fmap)
    fmap.add_child(_MetricScale())  # bottom right: the legend sits bottom left
    add_box(fmap, "title", title_html(title, facts), "top: 10px; left: 50px; max-width: 460px;")
    add_box(fmap, "legend", _legend_html(colors, region, counts),
            "bottom: 20px; left: 10px; max-height: 64%; overflow-y: auto;")
    return fmap


def blank_map(bounds) -> folium.Map:
    """A map without tiles fitted to ``bounds`` (min lon, min lat, max lon, max lat), whose Leaflet and jQuery
    :func:`render_offline` inlines."""
    fmap = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=7,
                      tiles=None, control_scale=False, zoom_snap=0.25)
    fmap.default_js = [(k, _PLACEHOLDER + v) for k, v in _VENDOR_JS.items()]
    fmap.default_css = [(k, _PLACEHOLDER + v) for k, v in _VENDOR_CSS.items()]
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return fmap


def render_offline(fmap: folium.Map) -> str:
    """Render to one HTML string with Leaflet, jQuery and their images inlined; refuse any remote reference."""
    html = fmap.get_root().render()
    vendor = resources.files("siting") / "_vendor"
    for name in _VENDOR_JS.values():
        tag = f'<script src="{_PLACEHOLDER}{name}"></script>'
        if tag not in html:
            raise RuntimeError(f"expected folium to reference {name}; folium's template changed")
        html = html.replace(tag, "<script>\n" + (vendor / name).read_text(encoding="utf-8") + "\n</script>")
    for name in _VENDOR_CSS.values():
        tag = f'<link rel="stylesheet" href="{_PLACEHOLDER}{name}"/>'
        if tag not in html:
            raise RuntimeError(f"expected folium to reference {name}; folium's template changed")
        css = re.sub(r"url\((images/[^)]+)\)", lambda m: f"url({_data_uri(vendor / m.group(1))})",
                     (vendor / name).read_text(encoding="utf-8"))
        html = html.replace(tag, "<style>\n" + css + "\n</style>")
    remote = REMOTE_RESOURCE.findall(html)
    if remote:
        raise RuntimeError(f"map would load remote resources: {remote[:3]}")
    return html


def write_map(path: Path, fmap: folium.Map) -> None:
    path.write_text(render_offline(fmap), encoding="utf-8")


def _data_uri(path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _geojson(geom) -> dict:
    """A GeoJSON feature with geometry only: no user strings reach the page's data."""
    return {"type": "Feature", "geometry": mapping(geom), "properties": {}}


def _table(rows: list[tuple[str, object]]) -> str:
    cells = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='sx'>{cells}</table>"


# (key, label, meaning): the score terms of a project popup. The meanings (with the scenario's weights) are
# written once, in the page's stylesheet, and shown in every popup by CSS, not repeated in ~200 popups.
SCORE_ROWS = (
    ("value", "value 基础价值", "{output:g} × output + {tax:g} × tax + {jobs:g} × jobs"),
    ("leading_bonus", "leading chain bonus 主导产业", "{leading_chain:g} × value if the park leads the chain"),
    ("hub_bonus", "hub access bonus 枢纽", "up to {hub_access:g} × value, by how close the needed hub is"),
    ("belt_bonus", "belt bonus 产业带", "{belt:g} × value if the park is on a belt themed on the chain"),
    ("raster_bonus", "raster (site) bonus 用地条件", "value × Σ weight × share of suitable land"),
    ("adjustment", "expert adjustment 专家调整", "from the pair adjustments table"),
    ("score", "pair score", "the sum of the above, for this park"),
    ("affinity", "supplier-link affinity 配套", "half of affinity × value of each local supplier link"),
    ("total", "total", "what the plan counts for this project"),
)


def _stylesheet(weights: dict) -> str:
    """Popup table styles, and the score terms' meanings as CSS generated content (numbers and fixed text only)."""
    meanings = "".join(f'.sm-{key}::after{{content:"{meaning.format(**{k: float(v) for k, v in weights.items() if isinstance(v, int | float)})}"}}'
                       for key, _, meaning in SCORE_ROWS)
    return ("<style>.sp{font-size:12px}.sx{font-size:12px}.sx th{text-align:left;padding-right:8px;vertical-align:top;white-space:nowrap}.ss td{padding-right:6px}"
            ".ss td:last-child{text-align:right}.ss td.m{color:#555}"
            ".hub{width:16px;height:16px;background:#111;color:#fff;border:1px solid #fff;box-shadow:0 0 0 1px #111;"
            "border-radius:2px;font:bold 11px/16px sans-serif;text-align:center}"
            ".hl{display:inline-block;width:13px;height:13px;font-size:9px;line-height:13px;margin-right:5px}"
            f".unp{{box-sizing:border-box;width:{UNPLACED_SIZE}px;height:{UNPLACED_SIZE}px;border-radius:50%;"
            f"border:2px solid {UNPLACED_COLOR};background:rgba(255,255,255,0.85)}}.unp:hover{{border-color:#000}}"
            + meanings + "</style>")


def _fmt(value: float, digits: int = 0) -> str:
    return "–" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:,.{digits}f}"


def _use(used: float, quota: float, unit: str, digits: int = 0, *, mu: bool = False) -> str:
    """``used 已用 178.2 of quota 配额 179.0 ha (2,685 亩); left 剩余 0.8 ha (12 亩)``: what is left is quota − used."""
    def amount(value: float) -> str:
        return f"{_fmt(value, digits)} {unit}" + (f" ({_fmt(value * MU_PER_HA)} 亩)" if mu else "")
    left = float(quota) - float(used)
    rest = f"left 剩余 {amount(max(left, 0.0))}" if left >= -1e-9 else f"<b>over quota 超出 {amount(-left)}</b>"
    return f"used 已用 {_fmt(used, digits)} of quota 配额 {amount(quota)}; {rest}"


ROAD_STYLES = {"motorway": ("#9e9e9e", 3.0), "trunk": ("#b0b0b0", 2.2), "primary": ("#c4c4c4", 1.6)}
ROAD_NAMES = {"motorway": "高速公路", "trunk": "干线公路", "primary": "主干路", "secondary": "次干路", "tertiary": "支路"}


def _add_roads(fmap: folium.Map, region: Region) -> None:
    """The road network as a grey backdrop (the map has no tiles), when the scenario names a road file."""
    roads = region.scenario.settings["layers"].get("roads")
    if not roads:
        return
    group = folium.FeatureGroup(name="Roads 路网", show=True)
    for row in road_lines(Path(roads)).itertuples(index=False):
        color, weight = ROAD_STYLES.get(row.highway, ("#d6d6d6", 1.0))
        folium.GeoJson(_geojson(row.geometry), style_function=lambda _f, c=color, w=weight: {
            "color": c, "weight": w, "opacity": 0.9},
            tooltip=folium.Tooltip(bilingual(row.highway, ROAD_NAMES))).add_to(group)
    group.add_to(fmap)


def _add_exclusions(fmap: folium.Map, exclusions: gpd.GeoDataFrame) -> None:
    group = folium.FeatureGroup(name="Exclusion zones 三条控制线", show=True)
    if len(exclusions):
        for row in exclusions.to_crs(CGCS2000).itertuples(index=False):
            color = EXCLUSION_COLORS.get(row.kind, EXCLUSION_OTHER)
            name = getattr(row, "name", "")
            folium.GeoJson(
                _geojson(row.geometry),
                style_function=lambda _f, color=color: {"color": color, "weight": 1, "fillColor": color,
                                                         "fillOpacity": 0.25, "dashArray": "4 3"},
                tooltip=folium.Tooltip(f"{bilingual(row.kind, EXCLUSION_KIND_NAMES)} {esc(name)}"),
            ).add_to(group)
    group.add_to(fmap)


def _add_corridors(fmap: folium.Map, region: Region) -> None:
    group = folium.FeatureGroup(name="Belts 产业带 (corridors)", show=True)
    corridors = region.corridors
    if len(corridors):
        buffers = corridors.geometry.buffer(corridors["buffer_km"].astype(float).to_numpy() * 1000.0)
        buffers = gpd.GeoSeries(buffers, crs=corridors.crs).to_crs(CGCS2000)
        lines = corridors.to_crs(CGCS2000)
        for row, buffer in zip(lines.itertuples(index=False), buffers):
            label = f"<b>{esc(row.name)}</b><br>{esc(getattr(row, 'name_en', ''))}<br>chains: {esc(';'.join(row.chains))}" \
                    f"<br>buffer {row.buffer_km:g} km"
            folium.GeoJson(_geojson(buffer), style_function=lambda _f: {
                "color": CORRIDOR_COLOR, "weight": 0, "fillColor": CORRIDOR_FILL, "fillOpacity": 0.12}).add_to(group)
            parts = row.geometry.geoms if row.geometry.geom_type == "MultiLineString" else [row.geometry]
            folium.PolyLine([[(y, x) for x, y in part.coords] for part in parts], color=CORRIDOR_COLOR, weight=4,
                            opacity=0.8, tooltip=folium.Tooltip(label)).add_to(group)
    group.add_to(fmap)


POPUP_PAN_PADDING = (360, 160)  # px: an opening popup pans clear of the title box (top left) and the legend
PARK_RING_RADIUS = 17  # px: a ring around the park's cluster of project markers, seen at any zoom


def _add_parks(fmap: folium.Map, parks: gpd.GeoDataFrame, kpi: pd.DataFrame, assignments: pd.DataFrame,
               xy: dict, chain_names: dict[str, str]) -> None:
    """Each park as its polygon and as a ring at its point, both coloured by the share of free land used.

    Parks are a few km across: at the opening zoom their polygons are a few pixels under the project markers,
    so the ring (a fixed size on screen, drawn under the projects) shows the land use in the first view. It
    opens the polygon's popup (bound once, not written twice into the page).
    """
    group = folium.FeatureGroup(name="Parks 园区 (colour: share of free land used)", show=True)
    kpi = kpi.set_index("park_id")
    placed = assignments.groupby("park_id")
    for row in parks.itertuples(index=False):
        k = kpi.loc[row.park_id]
        names = placed.get_group(row.park_id)["name"].tolist() if row.park_id in placed.groups else []
        rows = [
            ("Park 园区", f"<b>{esc(row.name)}</b> ({esc(row.park_id)})"),
            ("English", esc(getattr(row, "name_en", ""))),
            ("County 县区", esc(row.county)),
            ("Tier 级别", bilingual(row.tier, TIER_NAMES)),
            ("Leading chains 主导产业", "; ".join(chain_label(c, chain_names) for c in row.leading_chains)),
            ("Chains sited 已入驻产业链", "; ".join(chain_label(c, chain_names) for c in k["chains"].split(";") if c)
             + f" ({int(k['n_chains'])} of max {int(row.max_chains)})"),
            ("Free land 可用地", _use(k["land_used"], k["land_quota"], "ha", 1, mu=True)),
            ("Energy 能耗", _use(k["energy_used"], k["energy_quota"], "tce/yr")),
            ("Emission 排放", _use(k["emission_used"], k["emission_quota"], "t/yr")),
            ("Usable area (ha)", f"{_fmt(k.get('usable_ha'), 1)} of {_fmt(k.get('area_ha'), 1)} "
                                 f"({_fmt(k.get('excluded_ha'), 1)} in exclusion zones)"),
            *[(f"{esc(c[:-5])} mean", _fmt(k[c], 2)) for c in k.index if c.endswith("_mean")],
            ("Output per 亩 (万元)", _fmt(k["output_per_mu"], 1)),
            ("Tax per 亩 (万元)", _fmt(k["tax_per_mu"], 2)),
            ("Projects", f"{len(names)}: " + esc("、".join(names[:12])) + (" …" if len(names) > 12 else "")),
        ]
        color = land_use_color(k["land_use_share"])
        tip = f"{esc(row.name)} · land {k['land_use_share']:.0%} used"
        popup = folium.Popup(_table(rows), max_width=460, auto_pan_padding_top_left=POPUP_PAN_PADDING)
        folium.GeoJson(
            _geojson(row.geometry),
            style_function=lambda _f, color=color: {"color": "#222222", "weight": 2, "fillColor": color,
                                                     "fillOpacity": 0.7},
            tooltip=folium.Tooltip(tip), popup=popup,
        ).add_to(group)
        folium.CircleMarker(xy[row.park_id], radius=PARK_RING_RADIUS, color="#222222", weight=7, fill=False,
                            opacity=0.9).add_to(group)
        ring = folium.CircleMarker(xy[row.park_id], radius=PARK_RING_RADIUS, color=color, weight=4.5, fill=True,
                                   fill_color=color, fill_opacity=0.25, tooltip=folium.Tooltip(tip))
        ring.add_to(group)
        group.add_child(_SharedPopup(ring, popup))
    group.add_to(fmap)


def _add_links(fmap: folium.Map, links: pd.DataFrame, xy: dict) -> None:
    group = folium.FeatureGroup(name="Supplier links 配套 (green: within limit)", show=False)
    drawn = links[(links["supplier_park"] != "") & (links["customer_park"] != "")
                  & (links["supplier_park"] != links["customer_park"])]
    top = max(float(drawn["value"].max()), 1.0) if len(drawn) else 1.0
    for row in drawn.itertuples(index=False):
        color = LINK_COLORS[bool(row.local)]
        tip = (f"{esc(row.supplier_id)} → {esc(row.customer_id)}: {row.value:,.0f} 万元/yr, "
               f"{row.minutes:.0f} min (limit {row.max_minutes:g})")
        folium.PolyLine([xy[row.supplier_park], xy[row.customer_park]], color=color,
                        weight=1 + 4 * row.value / top, opacity=0.7, tooltip=folium.Tooltip(tip)).add_to(group)
    group.add_to(fmap)


def _add_priorities(fmap: folium.Map, priorities: pd.DataFrame, xy: dict) -> None:
    group = folium.FeatureGroup(name="Transport priorities 交通补短板 (link value, slow connection)", show=True)
    top = max(float(priorities["value_not_local"].max()), 1.0) if len(priorities) else 1.0
    for row in priorities.itertuples(index=False):
        tip = (f"{esc(row.park_a)} ↔ {esc(row.park_b)}: {row.links} links, {row.value:,.0f} 万元/yr, "
               f"{row.value_not_local:,.0f} beyond their time limits; {row.minutes:.0f} min")
        folium.PolyLine([xy[row.park_a], xy[row.park_b]], color=PRIORITY_COLOR,
                        weight=2 + 6 * row.value_not_local / top, opacity=0.8, dash_array="8 6", tooltip=folium.Tooltip(tip)).add_to(group)
    group.add_to(fmap)


def _add_projects(fmap: folium.Map, assignments: pd.DataFrame, xy: dict, colors: dict, eligibility: Eligibility,
                  parks_kpi: pd.DataFrame, region: Region) -> None:
    groups = {c: folium.FeatureGroup(name=f"Projects 项目: {chain_label(c, region.chains)}", show=True)
              for c in sorted(colors)}
    reasons = eligibility.removed.groupby("project_id")
    eligible = eligibility.pairs.groupby("project_id")
    context = _ProjectContext(n_parks=len(region.parks), parks=parks_kpi.set_index("park_id"),
                              chain_names=region.chains)
    for park_id, placed in assignments.groupby("park_id", sort=True):
        lat, lon = xy[park_id]
        n = len(placed)
        for k, row in enumerate(placed.sort_values("project_id").itertuples(index=False)):
            angle = 2 * np.pi * k / max(n, 1)
            radius = 0.012 + 0.004 * (k // 12)
            position = (lat + radius * np.sin(angle), lon + radius * np.cos(angle) / np.cos(np.radians(lat)))
            why_not = reasons.get_group(row.project_id) if row.project_id in reasons.groups else None
            options = eligible.get_group(row.project_id) if row.project_id in eligible.groups else None
            groups[row.chain].add_child(folium.CircleMarker(
                position, radius=4 + min(8.0, np.sqrt(row.land_ha)), color="#222222", weight=1,
                fill=True, fill_color=colors[row.chain], fill_opacity=0.9,
                tooltip=folium.Tooltip(f"{esc(row.name)} → {esc(row.park_name)}"),
                popup=folium.Popup(_project_popup(row, why_not, options, context), max_width=480,
                                   auto_pan_padding_top_left=POPUP_PAN_PADDING),
            ))
    for group in groups.values():
        group.add_to(fmap)


@dataclass(frozen=True)
class _ProjectContext:
    """What every project popup needs besides its own row: the number of parks and the parks' KPIs."""

    n_parks: int
    parks: pd.DataFrame  # park_table indexed by park_id
    chain_names: dict[str, str]


def _project_popup(row, why_not: pd.DataFrame | None, options: pd.DataFrame | None, ctx: _ProjectContext) -> str:
    rows = [
        ("Project 项目", f"<b>{esc(row.name)}</b> ({esc(row.project_id)})"),
        ("Chain / stage 产业链 / 环节",
         f"{chain_label(row.chain, ctx.chain_names)} / {bilingual(row.stage, STAGE_NAMES)}"),
        ("Status 状态", bilingual(row.status, STATUS_NAMES)),
        ("Sited in 选址", f"{esc(row.park_name)} ({esc(row.park_id)}), {esc(row.host_county)}"),
        ("Sourced by", esc(row.source_county)),
        ("Land / energy / emission", f"{row.land_ha:,.1f} ha ({row.land_ha * MU_PER_HA:,.0f} 亩) / "
                                     f"{row.energy_tce:,.0f} tce / {row.emission_t:,.0f} t"),
        ("Investment / output / tax (万元)", f"{row.investment:,.0f} / {row.output:,.0f} / {row.tax:,.0f}"),
    ]
    if getattr(row, "needs_hub", ""):
        rows.append(("Hub 枢纽", f"{bilingual(row.needs_hub, HUB_KIND_NAMES)}: {esc(row.hub_id)}, "
                                  f"{row.hub_minutes:.0f} min "
                                  f"(limit {row.max_hub_minutes:g})"))
    n_eligible = 0 if options is None else len(options)
    rows.append(("Eligible parks 可选园区", f"{n_eligible} of {ctx.n_parks}"))
    rows.append(("Runner-up 次优", _runner_up(row, options, ctx)))
    score = "".join(f"<tr><td>{esc(label)}</td><td class='m sm-{key}'></td><td>{getattr(row, key):,.1f}</td></tr>"
                    for key, label, _ in SCORE_ROWS)
    html = (_table(rows) + "<b>Why here? Score 评分</b> <span style='color:#555'>(万元-equivalent points per year; "
            "the plan maximises the sum over projects, less chain-opening costs)</span>"
            "<table class='sx ss'>" + score + "</table>")
    return f"<div class='sp'>{html}{_ruled_out(why_not, ctx.n_parks)}</div>"


def _ruled_out(why_not: pd.DataFrame | None, n_parks: int) -> str:
    """``12 of 30 parks ruled out (…): 产业不符 chain 7, …``: the parks each eligibility rule removed."""
    if why_not is None or not len(why_not):
        return ""
    n_out = why_not["park_id"].nunique()
    counts = why_not.groupby("rule")["park_id"].nunique().sort_values(ascending=False, kind="stable")
    return (f"<b>{n_out} of {n_parks} parks ruled out</b> (a park may fail several rules, so the counts "
            "add up to more): " + ", ".join(f"{bilingual(rule, RULE_NAMES)} {n}" for rule, n in counts.items()))


@dataclass(frozen=True)
class _UnplacedCounts:
    """How many unplaced projects the map draws, and how many it cannot (no eligible park)."""

    drawn: int
    no_park: int


def _add_unplaced(fmap: folium.Map, unplaced: pd.DataFrame | None, assignments: pd.DataFrame, xy: dict,
                  eligibility: Eligibility, parks_kpi: pd.DataFrame, region: Region) -> _UnplacedCounts | None:
    """Each unplaced project with an eligible park, as a hollow grey circle beside its best eligible park.

    The best park is the one where the project's pair score is highest (ties: the lower park ID). A park's
    unplaced projects sit on a circle around its point, beyond its placed projects (whose ring is in degrees) by
    ``UNPLACED_GAP`` px more, so they are seen apart from the park's ring and its projects at any zoom and
    hide none of them. The popup gives the reason of ``unplaced.csv`` and the parks ruled out by rule.
    """
    if unplaced is None:
        return None
    eligible = eligibility.pairs[eligibility.pairs["project_id"].isin(unplaced["project_id"])]
    best = (eligible.sort_values(["project_id", "score", "park_id"], ascending=[True, False, True], kind="stable")
            .drop_duplicates("project_id").set_index("project_id"))
    drawn = unplaced[unplaced["project_id"].isin(best.index)]
    counts = _UnplacedCounts(drawn=len(drawn), no_park=len(unplaced) - len(drawn))
    if not len(drawn):
        return counts
    more = f"; {counts.no_park} with no eligible park, not drawn" if counts.no_park else ""
    group = folium.FeatureGroup(name=f"Unplaced projects 未落地项目 ({counts.drawn}{more})", show=False)
    projects = region.projects.set_index("project_id")
    reasons = eligibility.removed.groupby("project_id")
    n_options = eligible.groupby("project_id").size()
    n_placed = assignments.groupby("park_id").size()
    parks = parks_kpi.set_index("park_id")
    drawn = drawn.assign(best_park=drawn["project_id"].map(best["park_id"]))
    for park_id, here in drawn.groupby("best_park", sort=True):
        lat, lon = xy[park_id]
        n = len(here)
        placed = int(n_placed.get(park_id, 0))
        ring = 0.012 + 0.004 * ((placed - 1) // 12) if placed else 0.0  # degrees: the outer ring of _add_projects
        gap = max(UNPLACED_GAP, UNPLACED_SIZE * 1.2 * n / (2 * np.pi))  # px: room for n circles side by side
        for k, row in enumerate(here.sort_values("project_id").itertuples(index=False)):
            angle = 1.25 * np.pi + 2 * np.pi * k / n  # the first to the south-west
            dx, dy = gap * np.cos(angle), gap * np.sin(angle)  # px, east and north
            position = (lat + ring * np.sin(angle), lon + ring * np.cos(angle) / np.cos(np.radians(lat)))
            half = UNPLACED_SIZE / 2
            icon = folium.DivIcon(html="<div class='unp'></div>", icon_size=(UNPLACED_SIZE, UNPLACED_SIZE),
                                  icon_anchor=(round(half - dx), round(half + dy)),
                                  popup_anchor=(round(dx), round(-dy - half)), class_name="su")
            pair = best.loc[row.project_id]
            project = projects.loc[row.project_id]
            why_not = reasons.get_group(row.project_id) if row.project_id in reasons.groups else None
            popup = _unplaced_popup(row.project_id, project, row.reason, pair, parks.loc[park_id],
                                    int(n_options[row.project_id]), why_not, region)
            folium.Marker(position, icon=icon, z_index_offset=-1000,  # under the hubs
                          tooltip=folium.Tooltip(f"{esc(project['name'])}: not placed 未落地 "
                                                 f"(best eligible park {esc(parks.loc[park_id, 'name'])})"),
                          popup=folium.Popup(popup, max_width=480, auto_pan_padding_top_left=POPUP_PAN_PADDING),
                          ).add_to(group)
    group.add_to(fmap)
    return counts


def _unplaced_popup(project_id: str, project: pd.Series, reason: str, pair: pd.Series, park: pd.Series,
                    n_eligible: int, why_not: pd.DataFrame | None, region: Region) -> str:
    land, energy, emission = (float(project[c]) for c in ("land_ha", "energy_tce", "emission_t"))
    reason_lines = "<br>".join(esc(part) for part in str(reason).split(" | "))  # one line per eligible park
    rows = [
        ("Project 项目", f"<b>{esc(project['name'])}</b> ({esc(project_id)})"),
        ("Chain / stage 产业链 / 环节",
         f"{chain_label(project['chain'], region.chains)} / {bilingual(project['stage'], STAGE_NAMES)}"),
        ("Status 状态", f"{bilingual(project['status'], STATUS_NAMES)}; <b>not placed 未落地</b>"),
        ("Needs land / energy / emission", f"{land:,.1f} ha ({land * MU_PER_HA:,.0f} 亩) / {energy:,.0f} tce / "
                                           f"{emission:,.0f} t"),
        ("Investment / output / tax (万元)",
         f"{float(project['investment']):,.0f} / {float(project['output']):,.0f} / {float(project['tax']):,.0f}"),
        ("Drawn beside 图上位置", f"its best eligible park {esc(park['name'])} ({esc(pair['park_id'])}): "
                                 f"pair score {float(pair['score']):,.1f}"),
        ("Eligible parks 可选园区", f"{n_eligible} of {len(region.parks)}"),
        ("Why not placed 未落地原因", reason_lines),
    ]
    return f"<div class='sp'>{_table(rows)}{_ruled_out(why_not, len(region.parks))}</div>"


def _runner_up(row, options: pd.DataFrame | None, ctx: _ProjectContext) -> str:
    """The best other eligible park by the project's pair score there, and whether what is left there would take it."""
    others = None if options is None else options[options["park_id"] != row.park_id]
    if others is None or not len(others):
        return "none: no other park is eligible"
    best = others.sort_values(["score", "park_id"], ascending=[False, True], kind="stable").iloc[0]
    park = ctx.parks.loc[best["park_id"]]
    diff = float(best["score"]) - float(row.score)
    compared = "the same as here" if abs(diff) < 0.05 else f"{abs(diff):,.1f} {'below' if diff < 0 else 'above'} here"
    text = f"{esc(park['name'])} ({esc(best['park_id'])}): pair score {best['score']:,.1f}, {compared}"
    short = [f"{label} {_fmt(park[f'{r}_quota'] - park[f'{r}_used'], 1)} left, needs {_fmt(need, 1)}"
             for r, label, need in (("land", "land (ha)", row.land_ha), ("energy", "energy (tce/yr)", row.energy_tce),
                                    ("emission", "emission (t/yr)", row.emission_t))
             if need > park[f"{r}_quota"] - park[f"{r}_used"] + 1e-9]
    present = row.chain in str(park["chains"]).split(";")
    if not present and int(park["n_chains"]) >= int(park["max_chains"]):
        short.append(f"its {int(park['max_chains'])} chains are taken")
    if short:
        text += "; no room left there in this plan: " + esc("; ".join(short))
    else:
        text += "; the park's quotas and chain limit have room left for it"
    if diff >= 0.05:
        text += " (the plan weighs all projects together: links, chain costs and room elsewhere)"
    return text


def _add_hubs(fmap: folium.Map, hubs: gpd.GeoDataFrame) -> None:
    group = folium.FeatureGroup(name="Hubs 交通枢纽", show=True)
    for row in hubs.itertuples(index=False):
        folium.Marker(
            (row.geometry.y, row.geometry.x),
            icon=folium.DivIcon(html=_hub_icon(row.kind), icon_size=(18, 18), icon_anchor=(9, 9), class_name="sh"),
            tooltip=folium.Tooltip(f"{esc(row.name)} ({bilingual(row.kind, HUB_KIND_NAMES)})"),
        ).add_to(group)
    group.add_to(fmap)


def _hub_icon(kind: str, css: str = "hub") -> str:
    return f"<div class='{css}'>{esc(HUB_GLYPHS.get(kind, '?'))}</div>"


def title_html(title: str, facts: list[str]) -> str:
    items = "".join(f"<li>{esc(f)}</li>" for f in facts)
    return f"<b style='font-size:14px'>{esc(title)}</b><ul style='margin:4px 0;padding-left:18px'>{items}</ul>"


def _legend_html(colors: dict[str, str], region: Region, unplaced: _UnplacedCounts | None = None) -> str:
    def swatch(color: str, label: str, shape: str = "border-radius:50%") -> str:
        return (f"<div><span style='display:inline-block;width:11px;height:11px;{shape};background:{color};"
                f"border:1px solid #222;margin-right:5px'></span>{esc(label)}</div>")

    def line(color: str, label: str, style: str = "solid", width: int = 3, band: str = "") -> str:
        back = f"background:{band};padding:3px 0;" if band else ""
        return (f"<div><span style='display:inline-block;width:24px;vertical-align:middle;margin-right:5px;{back}'>"
                f"<span style='display:block;border-top:{width}px {style} {color}'></span></span>{esc(label)}</div>")

    names = region.chains
    parts = ["<details open><summary style='cursor:pointer'><b>Legend 图例</b></summary>",
             "<b>Projects by chain 产业链</b> (circles)"]
    parts += [swatch(c, f"{k} {names.get(k, '')}") for k, c in colors.items()]
    if unplaced is not None:  # a hollow circle, and how many are not drawn
        ring = "<span class='unp' style='display:inline-block;vertical-align:middle;margin-right:5px'></span>"
        if unplaced.drawn:
            parts.append(f"<div>{ring}<b>unplaced 未落地项目</b>: {unplaced.drawn}, beside their best eligible park "
                         "(layer off at start)</div>")
        if unplaced.no_park:
            parts.append(f"<div>{unplaced.no_park} {'more ' if unplaced.drawn else 'unplaced '}"
                         f"{'has' if unplaced.no_park == 1 else 'have'} no eligible park (not drawn): see "
                         "report.html / unplaced.csv</div>")
        if not unplaced.drawn and not unplaced.no_park:
            parts.append(f"<div>{ring}unplaced 未落地项目: none, every project is placed</div>")
    # only what the region has: a legend entry for something the map never draws is a question for the reader
    kinds = set(region.hubs["kind"].astype(str)) if len(region.hubs) else set()
    if kinds:
        parts += ["<b>Hubs 枢纽</b> (black squares)"]
        parts += [f"<div>{_hub_icon(k, 'hub hl')}{bilingual(k, HUB_KIND_NAMES)}</div>" for k in HUB_GLYPHS if k in kinds]
    parts += ["<b>Parks 园区: share of free land used</b><br>(polygon, and a ring seen at any zoom)",
              "<div>" + "".join(f"<span style='display:inline-block;width:30px;height:11px;background:"
                                f"{land_use_color(s)};border:1px solid #222;margin-right:2px' title='{s:.0%}'></span>"
                                for s in (0.0, 0.25, 0.5, 0.75, 1.0)) + "</div>",
              "<div style='width:170px;display:flex;justify-content:space-between'><span>0 %</span><span>50 %</span>"
              "<span>100 %</span></div>"]
    present = set(region.exclusions["kind"].astype(str)) if len(region.exclusions) else set()
    if present:
        parts += ["<b>Exclusions 三条控制线</b> (dashed outline)"]
        parts += [swatch(EXCLUSION_COLORS.get(k, EXCLUSION_OTHER), f"{EXCLUSION_KIND_NAMES.get(k, '')} {k}".strip(), "")
                  for k in [*(k for k in EXCLUSION_COLORS if k in present), *sorted(present - set(EXCLUSION_COLORS))]]
    lines = [line(CORRIDOR_COLOR, "belt 产业带 (corridor, with its buffer)", band=CORRIDOR_FILL)] if len(region.corridors) else []
    if region.scenario.settings["layers"].get("roads"):
        lines.append(line(ROAD_STYLES["motorway"][0], "road 路网 (thicker: motorway, trunk)"))
    if len(region.links):
        lines += [line(PRIORITY_COLOR, "transport priority 交通补短板 (supply beyond time limits)", "dashed"),
                  line(LINK_COLORS[True], "supplier link 配套, within its time limit (layer off at start)"),
                  line(LINK_COLORS[False], "supplier link 配套, beyond its time limit (layer off at start)")]
    if lines:
        parts += ["<b>Lines</b>", *lines]
    parts.append("</details>")
    return "".join(parts)


class _Box(MacroElement):
    """A fixed panel over the map holding already-escaped HTML."""

    _template = Template("""
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="siting-{{ this.kind }}" style="position: fixed; z-index: 9999;
             background: rgba(255,255,255,0.93); padding: 8px 10px; border: 1px solid #888; border-radius: 4px;
             font: 12px/1.35 sans-serif; {{ this.css }}">{{ this.content }}</div>
        {% endmacro %}
    """)

    def __init__(self, kind: str, content: str, css: str):
        super().__init__()
        self.kind, self.content, self.css = kind, content, css


class _MetricScale(MacroElement):
    """A metric scale bar (Leaflet's default adds miles) at the bottom right, clear of the legend."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false, position: "bottomright", maxWidth: 160})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


class _SharedPopup(MacroElement):
    """Bind a popup's content, already in the page, to a second layer."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.layer.get_name() }}.bindPopup({{ this.popup.get_name() }}.getContent(),
                                             {{ this.popup.get_name() }}.options);
        {% endmacro %}
    """)

    def __init__(self, layer: MacroElement, popup: folium.Popup):
        super().__init__()
        self.layer, self.popup = layer, popup


def add_box(fmap: folium.Map, kind: str, content: str, css: str) -> None:
    fmap.add_child(_Box(kind, content, css))


__all__ = ["add_box", "blank_map", "build_map", "esc", "render_offline", "title_html", "write_map"]
