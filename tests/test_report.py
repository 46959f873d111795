"""The run report on a tiny region whose plan, land left and shadow prices are worked out by hand."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

import siting
from siting.check import check_run


class _Tables(HTMLParser):
    """The cell texts of every ``<table id=...>`` of a page, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._current: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            ident = dict(attrs).get("id")
            self._current = self.tables.setdefault(ident, []) if ident else None
        elif tag == "tr" and self._current is not None:
            self._current.append([])
        elif tag in ("td", "th") and self._current is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._current is not None:
            self._current[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._current = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[dict[str, str]]]:
    """Each identified table as a list of rows keyed by the header cells."""
    parser = _Tables()
    parser.feed(html)
    return {ident: [dict(zip(rows[0], row, strict=True)) for row in rows[1:]] for ident, rows in parser.tables.items()}


def three_parks(tiny):
    """One park per binding resource; every project is fixed to its park (output = score).

    - P1, 10 ha: A (6 ha, 12) and B (6 ha, 6): A is placed, 4 ha are left. Around the plan the LP would put
      4/6 of B in them, at 6 / 6 = 1 point per ha: land in P1 is worth 1.0 a ha.
    - P2, 300 ha and 25,000 tce: X (20,000 tce, 10,000), Y (15,000 tce, 7,000), Z (10,000 tce, 6,000). Y + Z
      (13,000, 25,000 tce) beats X + nothing-else-fits (10,000); 280 ha are left. The LP takes Z (0.6 a tce)
      and 15,000 tce of X (0.5 a tce): energy in P2 is worth 0.5 a tce.
    - P3, 100 ha and 100,000 t of emission: E1 (60,000 t, 30,000), E2 (60,000 t, 12,000): E1 is placed, 90 ha
      left; the LP adds 40,000 t of E2 at 0.2 a t: emission in P3 is worth 0.2 a t.

    Land quota 410 ha, used 6 + 20 + 10 = 36 ha, left 374 ha (parks are 2 km squares: 400 ha). The rows not
    named above have slack in the LP too: price 0.

    P1 and P2 lie in 中牟县, P3 in 新郑市; 中牟县 brought E1. Links: Y→Z (300, same park: local, affinity
    0.1 × 300 = 30), E1→A (100, both placed, not local), X→A (100, X is not placed): 75 % of the value of links
    with both ends placed is local, 60 % of all. Neither of the last two can ever be local, so no price moves.

    W (2,000,000 t of emission) exceeds every park's emission quota (1,000,000 t, P3 100,000 t): no park.
    """
    tiny.park("P1", land_available_ha=10).park("P2", land_available_ha=300, energy_quota_tce=25_000)
    tiny.park("P3", land_available_ha=100, emission_quota_t=100_000, county="新郑市")
    tiny.project("A", land_ha=6, output=12, fixed_park="P1").project("B", land_ha=6, output=6, fixed_park="P1")
    for pid, energy, output in [("X", 20_000, 10_000), ("Y", 15_000, 7_000), ("Z", 10_000, 6_000)]:
        tiny.project(pid, energy_tce=energy, output=output, fixed_park="P2")
    for pid, emission, output in [("E1", 60_000, 30_000), ("E2", 60_000, 12_000)]:
        tiny.project(pid, emission_t=emission, output=output, fixed_park="P3")
    tiny.projects[-2]["source_county"] = "中牟县"  # E1
    tiny.project("W", emission_t=2_000_000, output=1)
    tiny.link("Y", "Z", 300).link("E1", "A", 100).link("X", "A", 100)
    return tiny


@pytest.fixture
def three(tmp_path, tiny):
    result = siting.execute(three_parks(tiny).write(), out=tmp_path / "run")
    assert check_run(result.folder) == []
    assert dict(zip(result.plan.assignments["project_id"], result.plan.assignments["park_id"])) == {
        "A": "P1", "Y": "P2", "Z": "P2", "E1": "P3"}
    assert result.summary["solution"]["objective"] == pytest.approx(43_042)
    return result


def report_tables(result) -> dict[str, list[dict[str, str]]]:
    return tables((result.folder / "report.html").read_text(encoding="utf-8"))


def test_land_left_is_quota_minus_use(three):
    kpis = json.loads((three.folder / "summary.json").read_text(encoding="utf-8"))["kpis"]
    assert kpis["land_free_ha"] == pytest.approx(410)  # the quota before the plan, under its old name
    assert kpis["land_used_ha"] == pytest.approx(36)
    assert kpis["land_left_ha"] == pytest.approx(374)
    parks = {row["park"]: row for row in report_tables(three)["parks"]}
    assert {p: (row["land quota 可用 (ha)"], row["land used (ha)"], row["land left (ha)"]) for p, row in parks.items()} \
        == {"P1": ("10.0", "6.0", "4.0"), "P2": ("300.0", "20.0", "280.0"), "P3": ("100.0", "10.0", "90.0")}
    counties = report_tables(three)["counties"]
    assert [(r["county"], r["land quota 可用 (ha)"], r["land left (ha)"]) for r in counties] == [
        ("中牟县", "310.0", "284.0"), ("新郑市", "100.0", "90.0")]
    html = (three.folder / "report.html").read_text(encoding="utf-8")
    assert "land free" not in html
    assert "36.0 (540 亩) of a land quota 可用 of 410.0; 374.0 left" in html


def test_checker_recomputes_land_left(three):
    path = three.folder / "summary.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["kpis"]["land_left_ha"] = 410  # the quota again, as if nothing were used
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert check_run(three.folder) == ["KPI land_left_ha is 410, recomputed 374.0"]


def test_one_shadow_price_table_per_resource_with_the_prices_worked_out(three):
    found = report_tables(three)
    land, energy, emission = found["prices-land"], found["prices-energy"], found["prices-emission"]
    assert [(r["quota"], r["left (ha)"], r["points per ha"], r["points per 亩"]) for r in land] == [
        ("park P1 (园区P1) land (ha)", "4.0", "1.000", "0.06667")]
    assert [(r["quota"], r["used (tce/yr)"], r["left (tce/yr)"], r["points per tce"]) for r in energy] == [
        ("park P2 (园区P2) energy (tce/yr)", "25,000", "0", "0.5000")]
    assert [(r["quota"], r["left (t/yr)"], r["points per t"]) for r in emission] == [
        ("park P3 (园区P3) emission (t/yr)", "40,000", "0.2000")]
    html = (three.folder / "report.html").read_text(encoding="utf-8")
    assert "0 = not binding" not in html and "chain openings are kept" in html


def test_price_tables_sort_each_resource_by_its_own_price_with_county_rows():
    from siting.report import price_tables

    # land prices are worth ~1,000× energy ones: sorted together, energy and emission would never show
    prices = pd.DataFrame([
        ("land[P1]", "park P1 land (ha)", "land", 100.0, 99.0, 1500.0),
        ("land[P2]", "park P2 land (ha)", "land", 50.0, 50.0, 1800.0),
        ("energy[P1]", "park P1 energy (tce/yr)", "energy", 70_600.0, 70_473.0, 1.017),
        ("energy[P2]", "park P2 energy (tce/yr)", "energy", 93_100.0, 61_140.0, 0.2013),
        ("energy[县]", "county 县 energy (tce/yr)", "energy", 150_000.0, 131_613.0, 1.5),
        ("emission[P1]", "park P1 emission (t/yr)", "emission", 10.0, 5.0, 0.0),
    ], columns=["row", "label", "resource", "capacity", "used", "shadow_price"])
    tables = price_tables(prices)
    assert tables["land"]["row"].tolist() == ["land[P2]", "land[P1]"]
    assert tables["land"]["price_per_mu"].tolist() == pytest.approx([120.0, 100.0])
    assert tables["energy"]["row"].tolist() == ["energy[县]", "energy[P1]", "energy[P2]"]
    assert tables["energy"]["left"].tolist() == pytest.approx([18_387, 127, 31_960])
    assert tables["emission"].empty  # price 0: not shown


def test_county_benefit_parks_per_chain_and_plain_words(three):
    found = report_tables(three)
    # 中牟县 hosts A, Y, Z (13,012) and gets half of E1 (30,000), which it brought to 新郑市: 28,012
    assert [(r["county"], r["output hosted (万元/yr)"], r["output sourced (万元/yr)"], r["output benefit (万元/yr)"])
            for r in found["county-benefit"]] == [("中牟县", "13,012", "30,000", "28,012"),
                                                  ("新郑市", "30,000", "0", "15,000")]
    assert found["parks-per-chain"] == [{"chain": "equipment", "parks": "3", "park IDs": "P1, P2, P3"}]
    parks = {r["park"]: r for r in found["parks"]}
    assert parks["P3"]["tax/亩 (万元/yr)"] == "0.00" and parks["P2"]["output/亩 (万元/yr)"] == "43.3"  # 13,000 / 300 亩
    html = (three.folder / "report.html").read_text(encoding="utf-8")
    assert "75.0% of the value of links with both ends placed; 60.0% of the value of all links (1 of 3 links local)" \
        in html
    assert "value = 1 × output" in html
    assert "No plan under this model can score more than the proven bound 43,042.0, so this plan is proven to be " \
           "within 0.00% of the best possible (optimal within the gap limit)." in html


def test_empty_sections_say_none_instead_of_a_header_without_rows(tmp_path, tiny):
    """A plan that places nothing (A and B, linked, are too large for P1) has no chain in any park and no link
    between parks: each section says so in one line; the sections with rows keep their tables."""
    tiny.park("P1", land_available_ha=20)
    tiny.project("A", land_ha=30, output=10).project("B", land_ha=30, output=10).link("A", "B", 100)
    result = siting.execute(tiny.write(), out=tmp_path / "run")
    assert result.plan.assignments.empty
    html = (result.folder / "report.html").read_text(encoding="utf-8")
    found = tables(html)
    assert "parks-per-chain" not in found and "transport-priorities" not in found
    assert "</p><p class='note'>None: the plan places no project in any park.</p><h2>Counties" in html
    assert "</p><p class='note'>None: no supplier link has its two ends placed in different parks.</p><h2>Unplaced" \
        in html
    assert len(found["parks"]) == 1


def test_transport_priorities_are_a_table_when_links_cross_parks(three):
    # E1 (P3) → A (P1), both placed, not local: one pair of parks
    rows = report_tables(three)["transport-priorities"]
    assert [(r["links"], r["link value (万元/yr)"], r["not local (万元/yr)"]) for r in rows] == [("1", "100.0", "100.0")]


SCIENTIFIC = re.compile(r"\d(\.\d+)?e[+-]?\d+", re.IGNORECASE)


def test_reasons_and_notes_print_large_numbers_in_full(three):
    unplaced = pd.read_csv(three.folder / "unplaced.csv").set_index("project_id")["reason"]
    assert unplaced.to_dict() == {
        "B": "eligible in 1 park(s): P1: land needs 6, 4 ha left (won by A)",
        "X": "eligible in 1 park(s): P2: energy needs 20,000, 0 tce/yr left (won by Y, Z)",
        "E2": "eligible in 1 park(s): P3: emission needs 60,000, 40,000 t/yr left (won by E1)",
        "W": "no eligible park (see removed_by_rule and eligibility_removed.csv)",
    }
    removed = pd.read_csv(three.folder / "eligibility_removed.csv")
    emission = removed[(removed["project_id"] == "W") & (removed["rule"] == "emission")]
    assert sorted(emission["reason"]) == [
        "needs 2,000,000 t/yr of emission; the park has 1,000,000 t/yr free",
        "needs 2,000,000 t/yr of emission; the park has 1,000,000 t/yr free",
        "needs 2,000,000 t/yr of emission; the park has 100,000 t/yr free"]
    for text in [*unplaced, *removed["reason"], (three.folder / "report.html").read_text(encoding="utf-8")]:
        assert not SCIENTIFIC.search(text), SCIENTIFIC.search(text)


def test_quantities_print_in_full():
    from siting.eligibility import quantity

    assert quantity("land", 19.2) == "19.2" and quantity("land", 0.0) == "0" and quantity("land", 2503.04) == "2,503"
    assert quantity("energy", 135_100.0) == "135,100" and quantity("emission", 14_010.4) == "14,010"
    assert quantity("energy", 0.5) == "0.5"


def test_the_report_defines_what_it_shows(three):
    html = (three.folder / "report.html").read_text(encoding="utf-8")
    assert "defined in the README" not in html  # the README is not in the run folder
    glossary = html[html.index("<table id='glossary'>"):]
    terms = re.findall(r"<tr><th>(.*?)</th>", glossary[:glossary.index("</table>")])
    for term in ("Objective 目标值", "Gap 间隙", "Land quota 可用", "Local supply rate 市内配套率",
                 "Parks per chain 产业链布局", "County benefit 飞地经济", "Shadow price 影子价格"):
        assert term in terms
    assert len(terms) == len(set(terms)) >= 18


def _edited(value):
    """A KPI's value changed: a number scaled, none made a number, a mapping with one figure changed."""
    if isinstance(value, dict):
        key = sorted(value)[0]
        return {**value, key: _edited(value[key])}
    return 1.0 if value is None else value * 1.5 + 1


def test_checker_recomputes_every_kpi_and_the_gap(three):
    """Each KPI of summary.json, and the solution's gap, status and bound, edited alone, is caught by the checker
    (it was not for 20 KPIs, the gap and the status: a reviewer comparing runs was shown the edited figures)."""
    path = three.folder / "summary.json"
    original = path.read_text(encoding="utf-8")
    doc = json.loads(original)
    assert doc["kpis"]["county_benefit"] and doc["kpis"]["structural_similarity"] is not None
    missed = []
    edits = [("kpis", key) for key in doc["kpis"]] + [("solution", key) for key in ("gap", "bound", "status")]
    for section, key in edits:
        changed = json.loads(original)
        value = changed[section][key]
        changed[section][key] = ("optimal" if value != "optimal" else "infeasible") if key == "status" else _edited(value)
        if key == "status" and value == "feasible" and doc["solution"]["gap"] <= doc["solution"]["gap_limit"]:
            changed[section][key] = "infeasible"
        path.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
        if not check_run(three.folder):
            missed.append(f"{section}.{key}")
    path.write_text(original, encoding="utf-8")
    assert check_run(three.folder) == []
    assert missed == []


def test_checker_passes_runs_whose_counties_and_chains_are_numbers(tmp_path, tiny):
    """County codes (行政区划代码 410122) and numeric chain IDs are text in the data contract; the checker read them
    from the CSVs as numbers and then reported every county's benefit, the structural similarity and the
    leading-chain share of a sound run as wrong."""
    tiny.settings["chains"] = {"3901": "C3901", "3902": "C3902"}
    tiny.park("P1", county="410122", land_available_ha=100, leading_chains="3901", allowed_chains="3901;3902")
    tiny.park("P2", county="410183", land_available_ha=100, leading_chains="3902", allowed_chains="3901;3902")
    tiny.park("P3", county="9", land_available_ha=100, allowed_chains="3901;3902")
    tiny.project("A", land_ha=60, output=100, chain="3901").project("B", land_ha=60, output=80, chain="3902")
    tiny.projects[-1]["source_county"] = "410122"
    tiny.project("C", land_ha=60, output=50, chain="3901").project("D", land_ha=10, output=10, chain="3902")
    result = siting.execute(tiny.write(), out=tmp_path / "run")
    assert len(result.plan.assignments) == 4
    assert result.summary["kpis"]["leading_chain_output_share"] > 0
    assert check_run(result.folder) == []
