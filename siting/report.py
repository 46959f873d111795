"""The run report: one static HTML page (no scripts, no remote resources), every user string escaped."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .maps import esc
from .schema import MU_PER_HA

CSS = """
body { font: 14px/1.45 "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ddd; padding: 3px 7px; }
th { background: #f3f3f3; text-align: left; } td { min-width: 2.5em; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; } h3 { font-size: 14px; margin: 14px 0 4px; }
"""


def _fmt(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return esc(value)


def _price(value: float) -> str:
    """A shadow price with four significant digits and never in scientific notation (1,924; 1.017; 0.2013)."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    decimals = max(0, 3 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def html_table(frame: pd.DataFrame, columns: dict[str, str], digits: dict[str, int | Callable[[float], str]] | None = None,
               *, table_id: str = "") -> str:
    """An HTML table of ``frame``'s ``columns`` (name → heading); ``digits`` per column: decimals or a formatter."""
    digits = digits or {}
    head = "".join(f"<th>{esc(label)}</th>" for label in columns.values())
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column in columns:
            value = row[column]
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            how = digits.get(column, 1)
            if numeric:
                cells.append(f"<td class='n'>{esc(how(value)) if callable(how) else _fmt(value, how)}</td>")
            else:
                cells.append(f"<td>{_fmt(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ident = f" id='{esc(table_id)}'" if table_id else ""
    return f"<table{ident}><tr>{head}</tr>{''.join(rows)}</table>"


def _table_or_none(frame: pd.DataFrame, columns: dict[str, str],
                   digits: dict[str, int | Callable[[float], str]] | None = None, *, table_id: str,
                   none: str) -> str:
    """``html_table``, or the one-line sentence ``none`` when ``frame`` has no rows (not a header without rows)."""
    return html_table(frame, columns, digits, table_id=table_id) if len(frame) else f"<p class='note'>{esc(none)}</p>"


COUNTY_CAPS = {"energy": "energy_cap_tce", "emission": "emission_cap_t"}


def _most_similar(pairs: dict[str, float], top: int = 5) -> str:
    """The ``top`` most similar county pairs, e.g. "; most similar: A县–B县 0.982, …" (every pair is in
    summary.json)."""
    best = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    if not best:
        return ""
    shown = ", ".join(f"{esc(a.replace('|', '–'))} {v:.3f}" for a, v in best)  # (the cell is HTML: names escaped)
    more = f" (all {len(pairs)} pairs in summary.json)" if len(pairs) > top else ""
    return f"; most similar: {shown}{more}"


def _with_left(frame: pd.DataFrame) -> pd.DataFrame:
    """``<resource>_left`` = quota − used for every resource the table has (parks.csv, counties.csv); where a
    county cap is lower than the sum of the county's park quotas, the cap is what is left from."""
    left = {}
    for r in ("land", "energy", "emission"):
        if f"{r}_quota" not in frame.columns:
            continue
        limit = frame[f"{r}_quota"]
        if COUNTY_CAPS.get(r) in frame.columns:
            limit = np.fmin(limit, pd.to_numeric(frame[COUNTY_CAPS[r]], errors="coerce"))
        left[f"{r}_left"] = limit - frame[f"{r}_used"]
    return frame.assign(**left)


PRICE_UNITS = {"land": "ha", "energy": "tce/yr", "emission": "t/yr"}
PRICE_ROWS = 30  # per resource; shadow_prices.csv has every row


def price_tables(prices: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per resource (land, energy, emission), its quotas with a price > 0, highest price first.

    Park and county rows of a resource share its table; ``left`` = capacity − the plan's use; land also
    gets the price per 亩 (``price_per_mu``).
    """
    out = {}
    for resource in PRICE_UNITS:
        rows = prices[(prices["resource"] == resource) & (prices["shadow_price"] > 0)]
        rows = rows.assign(left=rows["capacity"] - rows["used"]).sort_values(["shadow_price", "row"],
                                                                             ascending=[False, True])
        if resource == "land":
            rows = rows.assign(price_per_mu=rows["shadow_price"] / MU_PER_HA)
        out[resource] = rows.reset_index(drop=True)
    return out


def _prices_section(prices: pd.DataFrame, weights: dict) -> str:
    terms = [f"{weights[m]:g} per {unit}" for m, unit in (("output", "万元 of output"), ("tax", "万元 of tax"),
                                                        ("jobs", "job")) if weights.get(m)]
    head = [
        "<h2>Shadow prices 影子价格</h2>",
        "<p class='note'>A quota's shadow price is how many objective points one more unit of it (one more ha, "
        "tce/yr or t/yr) would add. Points are the objective's unit, 万元-equivalents per year under this scenario's "
        f"weights ({esc(', '.join(terms) or 'none set')}, per year, plus the fit bonuses and link affinity). "
        "It is the dual value of the quota's row in the <em>LP relaxation around the plan</em>: every project may be "
        "placed in fractions, only in the parks where the plan opens its chain (the plan's chain openings are kept), "
        "under every other constraint of the model (committed projects, county caps, benefit floors, supplier "
        "links). That fractional optimum can fill a quota that the plan, made of whole projects, leaves partly "
        "unused, so a quota with slack in the plan can still have a price, and one the plan fills can have price 0 "
        "when the LP leaves room in it. A guide for negotiation, not a promise. One table per resource, "
        "highest price first; quotas at price 0 are left out (every quota is in shadow_prices.csv).</p>",
    ]
    if len(prices) and prices["shadow_price"].isna().all():
        return "".join(head) + ("<p class='note'>The LP did not finish within its time limit: no shadow prices "
                                "for this run.</p>")
    unused = (prices["capacity"] - prices["used"]) / prices["capacity"].where(prices["capacity"] > 0)
    slack = prices.assign(unused=unused)[(prices["shadow_price"] > 0) & (unused >= 0.05)]
    if len(slack):
        top = slack.sort_values(["unused", "row"], ascending=[False, True]).iloc[0]
        head.append(f"<p class='note'>In this run {len(slack)} quota(s) have a price although the plan leaves 5 % "
                    f"or more of them unused, e.g. {esc(top['label'])}: {top['capacity'] - top['used']:,.0f} of "
                    f"{top['capacity']:,.0f} unused, {_price(top['shadow_price'])} points per unit.</p>")
    body = []
    for resource, rows in price_tables(prices).items():
        unit = PRICE_UNITS[resource]
        columns = {"label": "quota", "capacity": f"capacity ({unit})", "used": f"used ({unit})",
                   "left": f"left ({unit})", "shadow_price": f"points per {unit.split('/')[0]}"}
        if resource == "land":
            columns["price_per_mu"] = "points per 亩"
        more = (f" ({len(rows) - PRICE_ROWS} more in shadow_prices.csv)" if len(rows) > PRICE_ROWS else "")
        body.append(f"<h3>{esc(resource)} ({esc(unit)}): {len(rows)} quota(s) with a price{more}</h3>")
        body.append(html_table(rows.head(PRICE_ROWS), columns,
                               {"capacity": 0 if resource != "land" else 1, "used": 0 if resource != "land" else 1,
                                "left": 0 if resource != "land" else 1, "shadow_price": _price, "price_per_mu": _price},
                               table_id=f"prices-{resource}") if len(rows) else "<p class='note'>none</p>")
    return "".join(head + body)


GLOSSARY = (
    ("Objective 目标值", "Σ scores of the placed projects (value = weighted output, tax and jobs, plus the fit bonuses) "
                      "+ link affinity − chain-opening costs, in points (万元-equivalents per year under the weights)"),
    ("Proven bound 上界", "no plan under this model can score more"),
    ("Gap 间隙", "(bound − objective) ÷ bound: at most how far below the best possible plan this one is"),
    ("Greedy plan 贪心方案", "highest value first, each into its best park with room: the simple plan the optimum "
                          "is compared with"),
    ("Committed", "a signed project (status committed) or a scenario lock: it must be placed"),
    ("Investment, output, tax, jobs", "sums over the placed projects (万元; output and tax per year)"),
    ("Output / tax per 亩 亩均", "Σ output (tax) ÷ Σ land of the placed projects in 亩 (1 ha = 15 亩), 万元 per 亩 "
                              "per year; overall and per park"),
    ("Land quota 可用", "the land a park may give new projects before the plan (land_available_ha after the scenario's "
                      "overrides, capped at its area outside exclusion zones); used = Σ land of its projects, left = "
                      "quota − used"),
    ("Energy / emission quota 能耗 / 排放", "the park's allowed annual energy use (tce/yr) and emission (t/yr) for new "
                                         "projects; a county's is the sum of its parks', and its cap (if any) "
                                         "comes from the counties table"),
    ("Local supply rate 市内配套率", "value of supplier links whose two ends are placed within the link's time limit "
                                  "(0 = same park) ÷ value of the links with both ends placed; also ÷ all links"),
    ("Leading-chain output share 主导产业占比", "share of placed output whose chain is one of its park's leading chains"),
    ("Chains per park 专而精", "distinct chains among a park's projects (fewer = more specialised); mean over parks "
                            "with projects"),
    ("Chains opened", "number of (chain, park) combinations in the plan"),
    ("Parks per chain 产业链布局", "distinct parks hosting each chain"),
    ("Structural similarity 产业同构系数", "cosine similarity of two counties' vectors of placed output by chain "
                                      "(1 = the same mix, 0 = nothing in common); mean over pairs of counties"),
    ("Output on matching belts 产业带占比", "share of placed output in parks on a belt (corridor) themed on the "
                                        "project's chain"),
    ("Minutes to needed hubs", "travel minutes from the park to the nearest hub of the kind a project needs, over the "
                               "projects that need one"),
    ("County benefit 飞地经济", "hosted = placed in the county's parks; sourced = brought by the county (source_county); "
                             "benefit = own projects at home in full, the host share of others' projects it hosts, "
                             "the rest of its projects hosted elsewhere"),
    ("Shadow price 影子价格", "points one more ha, tce/yr or t/yr of a quota would add, from the LP relaxation around "
                           "the plan"),
    ("Transport priorities 交通补短板", "park pairs with much supplier-link value between them that is beyond the "
                                     "links' time limits"),
)


def _glossary() -> str:
    rows = "".join(f"<tr><th>{esc(term)}</th><td>{esc(meaning)}</td></tr>" for term, meaning in GLOSSARY)
    return f"<h2 id='glossary-h'>Glossary 指标说明</h2><table id='glossary'>{rows}</table>"


def _objective_note(sol: dict, weights: dict) -> str:
    """One or two plain sentences: what the objective adds up, and what the gap proves."""
    value = " + ".join(f"{weights[m]:g} × {m}" for m in ("output", "tax", "jobs") if weights.get(m)) or "0"
    text = (f"The objective adds up the placed projects' scores (value = {value}, output and tax in 万元/yr, "
            "plus the leading-chain, hub, belt and expert bonuses), the link affinity of supplier links whose ends "
            "are close enough, less the chain-opening costs.")
    if sol["gap"] is not None and sol["bound"] is not None:
        text += (f" No plan under this model can score more than the proven bound {sol['bound']:,.1f}, so this plan "
                 f"is proven to be within {sol['gap']:.2%} of the best possible"
                 + (" (optimal within the gap limit)." if sol["status"] == "optimal" else
                    "; a longer solve could find a better plan or prove a lower bound."))
    else:
        text += " No bound was proven for this run, so how far the plan is from the best possible is not known."
    return f"<p class='note'>{esc(text)}</p>"


def parks_per_chain(parks: pd.DataFrame) -> pd.DataFrame:
    """Per chain present in the plan: how many parks host it, and which (``parks.csv``'s ``chains``)."""
    hosts: dict[str, list[str]] = {}
    for park_id, chains in zip(parks["park_id"], parks["chains"].fillna(""), strict=True):
        for chain in filter(None, str(chains).split(";")):
            hosts.setdefault(chain, []).append(str(park_id))
    rows = [(chain, len(ids), ", ".join(ids)) for chain, ids in sorted(hosts.items())]
    return pd.DataFrame(rows, columns=["chain", "n_parks", "parks"])


def _local_supply(k: dict) -> str:
    if k["local_supply_rate"] is None:
        return "– (no link with both ends placed carries any value)"
    text = f"{k['local_supply_rate']:.1%} of the value of links with both ends placed"
    if k.get("local_supply_rate_all_links") is not None:
        text += f"; {k['local_supply_rate_all_links']:.1%} of the value of all links"
    if "links_local" in k:
        text += f" ({k['links_local']:,} of {k['links_total']:,} links local)"
    return esc(text)


def write_report(path: Path, *, title: str, summary: dict, parks: pd.DataFrame, counties: pd.DataFrame,
                 unplaced: pd.DataFrame, prices: pd.DataFrame, priorities: pd.DataFrame, notes: list[str],
                 host_share: float = 0.5) -> None:
    """Write ``report.html``: solution quality, headline KPIs, parks, counties, shadow prices, unplaced projects.

    ``host_share`` is the scenario's ``benefit_sharing.host_share``, for the note on county benefits.
    """
    sol, k = summary["solution"], summary["kpis"]
    gain = sol["objective"] - sol["greedy_objective"] if sol["objective"] is not None else None
    capped = (" (county caps 能耗双控 may leave less: see Counties)"
              if any(c in counties.columns and counties[c].notna().any() for c in COUNTY_CAPS.values()) else "")
    solution_rows = [
        ("Status 求解状态", f"{esc(sol['status'])} ({esc(sol['solver'])}; plan from {esc(sol['source'])})"),
        ("Objective 目标值", _fmt(sol["objective"])),
        ("Proven bound 上界", _fmt(sol["bound"])),
        ("Gap 间隙", f"{sol['gap']:.3%}" if sol["gap"] is not None else "–"),
        ("Greedy plan 贪心方案", _fmt(sol["greedy_objective"])
         + (f" (optimization adds {gain:,.1f}, {gain / sol['greedy_objective']:.1%})"
            if gain is not None and sol["greedy_objective"] else "")),
        ("Times", f"build {sol['build_seconds']:.1f} s, solver {sol['solve_seconds']:.1f} s, neighbourhood search "
                  f"{sol.get('search_seconds', 0.0):.1f} s"),
    ]
    kpi_rows = [
        ("Projects placed 落地项目", f"{k['placed_projects']} of {k['candidate_projects']} "
                                   f"({k['placed_committed']} committed)"),
        ("Investment 投资 (万元)", _fmt(k["investment"], 0)),
        ("Output 产值 (万元/yr)", _fmt(k["output"], 0)),
        ("Tax 税收 (万元/yr)", _fmt(k["tax"], 0)),
        ("Jobs 就业", _fmt(k["jobs"], 0)),
        ("Output per 亩 亩均产出 (万元/yr)", _fmt(k["output_per_mu"])),
        ("Tax per 亩 亩均税收 (万元/yr)", _fmt(k["tax_per_mu"], 2)),
        ("Land used 用地 (ha)", f"{k['land_used_ha']:,.1f} ({k['land_used_mu']:,.0f} 亩) of a land quota 可用 of "
                              f"{k['land_free_ha']:,.1f}; {k['land_left_ha']:,.1f} left"),
        ("Energy 能耗 (tce/yr)", f"{k['energy_used_tce']:,.0f} of the parks' quotas of {k['energy_quota_tce']:,.0f}; "
                               f"{k['energy_quota_tce'] - k['energy_used_tce']:,.0f} left" + capped),
        ("Emission 排放 (t/yr)", f"{k['emission_used_t']:,.0f} of the parks' quotas of {k['emission_quota_t']:,.0f}; "
                               f"{k['emission_quota_t'] - k['emission_used_t']:,.0f} left" + capped),
        ("Local supply rate 市内配套率", _local_supply(k)),
        ("Leading-chain output share 主导产业占比", f"{k['leading_chain_output_share']:.1%}"),
        ("Chains per park (mean) 专而精", _fmt(k["chains_per_park_mean"], 2)),
        ("Chains opened (chain, park)", _fmt(k["chains_opened"])),
        ("Structural similarity (mean) 产业同构系数", _fmt(k["structural_similarity_mean"], 3)
         + _most_similar(k["structural_similarity"])),
        ("Parks over their max_chains", _fmt(k["parks_over_max_chains"])),
        ("Output on matching belts 产业带占比", f"{k['belt_output_share']:.1%}"),
        ("Minutes to needed hubs (mean / max)", f"{_fmt(k['hub_minutes_mean'])} / {_fmt(k['hub_minutes_max'])}"),
    ]

    def pairs_table(rows: list[tuple[str, str]], table_id: str) -> str:
        return (f"<table id='{table_id}'>" + "".join(f"<tr><th>{esc(a)}</th><td>{b}</td></tr>" for a, b in rows)
                + "</table>")

    parks, counties = _with_left(parks), _with_left(counties)
    use_cols = {}
    for resource, unit in (("land", "ha"), ("energy", "tce"), ("emission", "t")):
        label = "land quota 可用" if resource == "land" else f"{resource} quota"
        use_cols |= {f"{resource}_quota": f"{label} ({unit})", f"{resource}_used": f"{resource} used ({unit})",
                     f"{resource}_left": f"{resource} left ({unit})"}
    use_digits = {f"{r}_{m}": 0 for r in ("energy", "emission") for m in ("quota", "used", "left")}
    park_cols = {"park_id": "park", "name": "name", "county": "county", "tier": "tier", "projects": "projects",
                 **use_cols, "output_per_mu": "output/亩 (万元/yr)", "tax_per_mu": "tax/亩 (万元/yr)",
                 "chains": "chains", "leading_chain_share": "leading-chain share"}
    county_cols = {"county": "county", "parks": "parks", **use_cols}
    caps = [c for c in ("energy_cap_tce", "emission_cap_t") if c in counties.columns]
    county_cols |= {"energy_cap_tce": "county energy cap (tce)", "emission_cap_t": "county emission cap (t)"} \
        if caps else {}
    benefit_cols = {"county": "county", "output_hosted": "output hosted (万元/yr)",
                    "output_sourced": "output sourced (万元/yr)", "output_benefit": "output benefit (万元/yr)",
                    "tax_hosted": "tax hosted (万元/yr)", "tax_sourced": "tax sourced (万元/yr)",
                    "tax_benefit": "tax benefit (万元/yr)"}
    money = dict.fromkeys(benefit_cols, 0)
    unplaced_cols = {"project_id": "project", "name": "name", "chain": "chain", "land_ha": "land (ha)",
                     "reason": "why not placed", "removed_by_rule": "parks removed by rule"}
    body = [
        f"<h1>{esc(title)}</h1>",
        f"<p class='note'>Scenario {esc(summary['scenario'])}. Travel times: {esc(summary['travel_times'])}. "
        "Every measure is defined in the <a href='#glossary-h'>glossary</a> at the end.</p>",
        "<h2>Solution 求解结果</h2>", pairs_table(solution_rows, "solution"),
        _objective_note(sol, summary["weights"]),
        "<h2>Headline KPIs 主要指标</h2>", pairs_table(kpi_rows, "kpis"),
        "<h2>Parks 园区</h2><p class='note'>Quota 可用 = what the park may give new projects before the plan; "
        "left = quota − used.</p>",
        html_table(parks.assign(chains=parks["chains"].fillna("").str.replace(";", "; ")), park_cols,
                   {"leading_chain_share": 2, "tax_per_mu": 2, **use_digits}, table_id="parks"),
        "<h2>Parks per chain 产业链布局</h2><p class='note'>How many parks host each chain in the plan, and "
        "which.</p>",
        _table_or_none(parks_per_chain(parks), {"chain": "chain", "n_parks": "parks", "parks": "park IDs"},
                       table_id="parks-per-chain", none="None: the plan places no project in any park."),
        "<h2>Counties: quota use 县区资源使用</h2><p class='note'>Sums over each county's parks"
        + (", and the county caps (能耗双控) of the counties table; left = the lower of the quota and the cap, − used"
           if caps else "; left = quota − used") + ".</p>",
        html_table(counties, county_cols, {**use_digits, "energy_cap_tce": 0, "emission_cap_t": 0}, table_id="counties"),
        "<h2>Counties: benefit sharing 飞地经济收益分享</h2><p class='note'>Hosted: placed in the county's parks. "
        "Sourced: brought by the county's investment-promotion office (source_county), wherever placed. Benefit: "
        f"all of its own projects hosted at home, {host_share:.0%} of what it hosts for other counties and "
        f"{1 - host_share:.0%} of its projects hosted elsewhere (host share {host_share:g}). Highest output benefit "
        "first.</p>",
        html_table(counties.sort_values(["output_benefit", "county"], ascending=[False, True]), benefit_cols, money,
                   table_id="county-benefit"),
        _prices_section(prices, summary["weights"]),
        "<h2>Transport priorities 交通补短板</h2><p class='note'>Park pairs with much supplier-link value between "
        "them that is not local (beyond the links' time limits): where a faster connection would pay most.</p>",
        _table_or_none(priorities, {"park_a": "park", "park_b": "park", "links": "links", "value": "link value (万元/yr)",
                                    "value_not_local": "not local (万元/yr)", "minutes": "minutes"}, {"minutes": 0},
                       table_id="transport-priorities",
                       none="None: no supplier link has its two ends placed in different parks."),
        f"<h2>Unplaced projects 未落地项目 ({len(unplaced)})</h2>", html_table(unplaced, unplaced_cols),
        "<h2>Notes 说明</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in [*notes, *sol["notes"]]) + "</ul>",
        _glossary(),
        "<p class='note'>Files in this run folder: report.html (this page), map.html, summary.json, manifest.json, "
        "assignments.csv, greedy_assignments.csv, parks.csv, counties.csv, unplaced.csv, links.csv, shadow_prices.csv, "
        "eligibility_removed.csv, network_priorities.csv, columns.csv (every CSV column with its unit), results.gpkg, "
        "shp/.</p>",
    ]
    page = (f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>")
    path.write_text(page, encoding="utf-8")
