"""The reviewer's map: user strings escaped (HTML and ${...}), no remote resources, and it renders offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import geopandas as gpd
import pytest
from shapely.geometry import Point

import siting
from layers import CGCS2000
from siting.maps import REMOTE_RESOURCE, esc

from .conftest import KM, X0, Y0, TinyRegion

IMG = "<img src=x onerror=\"document.title='PWNED-IMG'\">"
TEMPLATE = "${(document.title='PWNED-TEMPLATE')}`"
SCRIPT = "</script><script>document.title='PWNED-SCRIPT'</script>"
BACKSLASH = "C:\\temp\\`x`"


def test_esc_covers_html_and_template_literals():
    assert esc(IMG) == "&lt;img src=x onerror=&quot;document.title=&#x27;PWNED-IMG&#x27;&quot;&gt;"
    assert "${" not in esc(TEMPLATE) and "`" not in esc(TEMPLATE)
    assert "\\" not in esc(BACKSLASH)
    assert esc(None) == "" and esc(float("nan")) == ""


@pytest.fixture
def hostile_run(tmp_path, tiny):
    tiny.settings["chains"] = {"equipment": IMG}
    tiny.hubs[0]["name"] = TEMPLATE
    tiny.park("P1", name=IMG, county=SCRIPT, leading_chains="equipment").park("P2", name=TEMPLATE)
    tiny.project("A", name=SCRIPT, output=10, source_county=SCRIPT).project("B", name=TEMPLATE, output=5)
    tiny.project("C", name=BACKSLASH, output=5, land_ha=500)  # too big: unplaced, with no eligible park
    # E takes one park's land, A and B (linked) the other's: D fits either alone but is left out, drawn at its best
    tiny.project("E<i>", name=IMG + "E", output=50, land_ha=95).project("D", name=SCRIPT + "D", output=1, land_ha=95)
    tiny.link("A", "B", 100, 0)
    tiny.corridors = [{"corridor_id": IMG, "name": SCRIPT, "name_en": TEMPLATE, "chains": "equipment",
                       "buffer_km": 5, "coords": [(-5, 1), (50, 1)]}]
    tiny.exclusions = [{"kind": SCRIPT, "box": (30, 30, 31, 31)}]
    tiny.settings["title"] = TEMPLATE + IMG
    return siting.execute(tiny.write(), out=tmp_path / "run")


def test_user_strings_are_escaped_in_the_map(hostile_run):
    html = (hostile_run.folder / "map.html").read_text(encoding="utf-8")
    for raw in (IMG, SCRIPT, "${(document.title", "PWNED-SCRIPT'</script>"):
        assert raw not in html
    assert esc(IMG) in html and esc(SCRIPT) in html and esc(TEMPLATE) in html
    # the fields added for "why here?": the runner-up park's name, the chain's name beside its code
    assert f"{esc(TEMPLATE)} (P2): pair score" in html or f"{esc(IMG)} (P1): pair score" in html
    assert f"{esc(IMG)} equipment" in html  # a chain name with no Chinese part is shown whole, escaped
    assert f"</span>{esc(SCRIPT)}</div>" in html  # an exclusion kind of the data, in the legend
    # an unplaced project's popup: its name, its best park's name, and the reason (with a hostile winner's ID)
    assert f"<b>{esc(SCRIPT + 'D')}</b> (D)" in html and f"{esc(SCRIPT + 'D')}: not placed 未落地" in html
    assert "its best eligible park " + esc(IMG) + " (P1)" in html or "its best eligible park " + esc(TEMPLATE) in html
    assert "won by E&lt;i&gt;" in html and "won by E<i>" not in html
    assert "1 more has no eligible park (not drawn)" in html  # C


def test_report_is_escaped_and_static(hostile_run):
    html = (hostile_run.folder / "report.html").read_text(encoding="utf-8")
    for raw in (IMG, SCRIPT, "${(document.title"):
        assert raw not in html
    assert esc(SCRIPT) in html and "<script" not in html
    assert REMOTE_RESOURCE.findall(html) == []


def test_map_loads_nothing_remote(hostile_run):
    html = (hostile_run.folder / "map.html").read_text(encoding="utf-8")
    assert REMOTE_RESOURCE.findall(html) == []
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert "L.map(" in html and "jQuery" in html  # leaflet and jquery are inlined, not dropped


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.browser
@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_map_renders_offline_in_a_real_browser(hostile_run, tmp_path):
    """Headless Chromium with no network: the map draws its vector layers and no injected code runs."""
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--proxy-server=http://127.0.0.1:9",  # any fetch would fail
         "--virtual-time-budget=5000", "--dump-dom", (hostile_run.folder / "map.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    dom = proc.stdout
    assert "leaflet-container" in dom, proc.stderr[-2000:]
    assert "PWNED" not in dom.split("<body")[0]  # an injected document.title='PWNED…' would show in <head>
    assert dom.count("<path") >= 4  # 2 parks, a corridor and its buffer drawn as SVG paths
    assert "leaflet-interactive" in dom
    assert "siting-legend" in dom and "siting-title" in dom
    assert not re.search(r"<img[^>]+onerror", dom)


def _map_html(tiny, tmp_path) -> str:
    run = siting.execute(tiny.write(), out=tmp_path / "run")
    return (run.folder / "map.html").read_text(encoding="utf-8")


def test_park_popup_says_what_is_left(tiny, tmp_path):
    """Quota − used, in ha and 亩: P1 has 100 ha free and takes A (30 ha), so 70 ha (1,050 亩) are left."""
    tiny.park("P1", land_available_ha=100.0, energy_quota_tce=1000.0, emission_quota_t=500.0)
    tiny.project("A", output=10, land_ha=30.0, energy_tce=100.0, emission_t=200.0)
    html = _map_html(tiny, tmp_path)
    assert "used 已用 30.0 of quota 配额 100.0 ha (1,500 亩); left 剩余 70.0 ha (1,050 亩)" in html
    assert "used 已用 100 of quota 配额 1,000 tce/yr; left 剩余 900 tce/yr" in html
    assert "used 已用 200 of quota 配额 500 t/yr; left 剩余 300 t/yr" in html
    assert "亩 free" not in html  # the whole quota was once labelled as what is free
    assert html.count(".getContent(),") == 1  # the park's ring (seen at low zoom) opens the same popup


def test_project_popup_counts_eligible_parks_and_names_the_runner_up(tiny, tmp_path):
    """A fits 2 of 4 parks: P1 leads its chain (score 10 + 0.5 × 10 = 15), P2 does not (10); P3 and P4 are below
    its minimum tier, and P4 also accepts only food: 2 parks ruled out, by 3 rule failures."""
    tiny.settings["weights"] = {"output": 1.0, "tax": 0.0, "jobs": 0.0, "leading_chain": 0.5, "hub_access": 0.0,
                                "belt": 0.0}
    tiny.park("P1", leading_chains="equipment").park("P2").park("P3", tier="county")
    tiny.park("P4", tier="county", allowed_chains="food")
    tiny.project("A", output=10, min_tier="city")
    html = _map_html(tiny, tmp_path)
    assert "2 of 4" in html
    assert "园区P2 (P2): pair score 10.0, 5.0 below here" in html
    assert "2 of 4 parks ruled out</b> (a park may fail several rules" in html
    assert "园区级别 tier 2, 产业不符 chain 1" in html
    assert "1 × output + 0 × tax + 0 × jobs" in html  # the value's formula, with the scenario's weights


def test_scale_bar_and_popups_stay_clear_of_the_title_and_legend(hostile_run):
    html = (hostile_run.folder / "map.html").read_text(encoding="utf-8")
    assert html.count("L.control.scale(") == 1 and "imperial: false" in html and '"bottomright"' in html
    assert "bottom: 20px; left: 10px" in html  # the legend: bottom left, foldable
    assert "<details open><summary" in html
    assert html.count('"autoPanPaddingTopLeft": [360, 160]') == html.count("L.popup(")  # pan clear of the title box


def test_unplaced_projects_are_drawn_at_their_best_eligible_park(tiny, tmp_path):
    """A (80 ha) fits only P1 and C (55 ha) goes to P2: B (50 ha) fits either alone but is left out for land, 20 ha
    left in P1 and 5 in P2. Its pair score is 15 in P1 (it leads the chain: 10 + 0.5 × 10) and 10 in P2, so it is
    drawn at P1. P3 takes only food. D (500 ha) fits no park: counted, not drawn."""
    tiny.settings["weights"] = {"output": 1.0, "tax": 0.0, "jobs": 0.0, "leading_chain": 0.5, "hub_access": 0.0,
                                "belt": 0.0}
    tiny.park("P1", land_available_ha=100.0, leading_chains="equipment").park("P2", land_available_ha=60.0)
    tiny.park("P3", allowed_chains="food")
    tiny.project("A", output=100, land_ha=80.0).project("C", output=50, land_ha=55.0)
    tiny.project("B", output=10, land_ha=50.0, energy_tce=1234.0, emission_t=567.0)
    tiny.project("D", output=10, land_ha=500.0)
    run = siting.execute(tiny.write(), out=tmp_path / "run")
    html = (run.folder / "map.html").read_text(encoding="utf-8")
    assert run.plan.assignments.set_index("project_id")["park_id"].to_dict() == {"A": "P1", "C": "P2"}

    assert html.count('"className": "su"') == 1  # B only
    name = json.dumps("Unplaced projects 未落地项目 (1; 1 with no eligible park, not drawn)")  # in the layer control
    group = re.search(re.escape(name) + r" : (feature_group_\w+)", html).group(1)
    assert f"{group}.addTo(" not in html  # the layer is off at start
    assert "1 more has no eligible park (not drawn): see report.html / unplaced.csv" in html  # the legend
    assert "项目D" not in html
    popup = html[html.index("<b>项目B</b> (B)"):]
    popup = popup[:popup.index("</div>")]
    assert "50.0 ha (750 亩) / 1,234 tce / 567 t" in popup
    assert "its best eligible park 园区P1 (P1): pair score 15.0" in popup
    assert "2 of 3" in popup
    assert ("eligible in 2 park(s): P1: land needs 50, 20 ha left (won by A)<br>"
            "P2: land needs 50, 5 ha left (won by C)") in popup
    assert "1 of 3 parks ruled out</b> (a park may fail several rules, so the counts add up to more): 产业不符 chain 1" in popup

    # drawn at P1's point (a little off it, beyond A's marker), not at P2's 20 km east
    marker = re.search(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\],\s*\{\s*\"zIndexOffset\": -1000", html)
    lat, lon = float(marker.group(1)), float(marker.group(2))
    p1, p2 = gpd.GeoSeries([Point(X0 + KM, Y0 + KM), Point(X0 + 21 * KM, Y0 + KM)], crs="EPSG:4547").to_crs(CGCS2000)
    assert abs(lat - p1.y) < 0.02 and abs(lon - p1.x) < 0.02 and abs(lon - p2.x) > 0.15


def _legend(html: str) -> str:
    start = html.index("<b>Legend 图例</b>")
    return html[start:html.index("</details>", start)]


def test_the_legend_names_only_what_the_map_draws(tmp_path, hostile_run):
    # no corridors, no exclusions, no links: their legend entries would describe nothing on the map
    region = TinyRegion(tmp_path / "plain-region").park("P1").project("A", output=10)
    plain = _legend((siting.execute(region.write(), out=tmp_path / "plain").folder / "map.html").read_text("utf-8"))
    for absent in ("Exclusions 三条控制线", "belt 产业带", "supplier link 配套", "transport priority"):
        assert absent not in plain
    assert "Hubs 枢纽" in plain and "Projects by chain" in plain
    full = _legend((hostile_run.folder / "map.html").read_text("utf-8"))
    for present in ("Exclusions 三条控制线", "belt 产业带", "supplier link 配套", "transport priority", esc(SCRIPT)):
        assert present in full
    assert "永久基本农田" not in full  # only the exclusion kinds the region has
