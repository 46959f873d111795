"""What each column of a run's CSV files means, with its unit: ``columns.csv`` in every run folder.

Planning officers open the CSV files in Excel, where a column called ``tax`` or ``shadow_price`` says
neither its unit nor what it counts. :func:`column_dictionary` gives one row per (file, column) actually
written, in Chinese and English. Columns copied from the inputs take the data contract's unit
(:mod:`siting.schema`); input columns the contract does not know are said to be copied as given. A column
the dictionary cannot name is a bug, and a test fails on it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .schema import LINK_FIELDS, PARK_FIELDS, PROJECT_FIELDS

POINTS = "points/yr"  # the objective's unit: 万元-equivalent a year under the scenario's weights

# column: (unit, 中文, English); the same name means the same thing in every file unless FILE_COLUMNS says otherwise
COLUMNS: dict[str, tuple[str, str, str]] = {
    "project_id": ("", "项目编号", "project ID"),
    "park_id": ("", "园区编号", "park ID"),
    "name": ("", "名称", "name"),
    "chain": ("", "产业链", "industry chain ID"),
    "stage": ("", "环节", "stage in the chain (rd, pilot, manufacturing, assembly, parts, hq)"),
    "status": ("", "状态", "candidate, or committed (must be placed)"),
    "park_name": ("", "园区名称", "name of the park the project is placed in"),
    "host_county": ("", "落地县区", "county of the park the project is placed in"),
    "source_county": ("", "招引县区", "county that sourced the project (benefit sharing 飞地经济); empty = none"),
    "total": (POINTS, "总得分", "score + affinity: what the project adds to the objective here"),
    "score": (POINTS, "适配得分", "value + leading, hub, belt and raster bonuses + adjustment"),
    "value": (POINTS, "价值", "weights × (output, tax, jobs)"),
    "leading_bonus": (POINTS, "主导产业加分", "bonus for a chain the park leads in (weight leading_chain × value)"),
    "hub_bonus": (POINTS, "枢纽加分", "bonus for quick access to a transport hub (weight hub_access × value)"),
    "belt_bonus": (POINTS, "发展带加分", "bonus for a park on a development belt of the chain (weight belt × value)"),
    "raster_bonus": (POINTS, "栅格加分", "bonus from raster layers (e.g. the park's share of suitable slope)"),
    "adjustment": (POINTS, "专家调整", "expert adjustment of the pair from pair_adjustments"),
    "affinity": (POINTS, "配套加分", "half the affinity reward of each local supplier link of the project"),
    "land_ha": ("ha", "用地", "land the project needs"),
    "energy_tce": ("tce/yr", "能耗", "energy the project uses"),
    "emission_t": ("t/yr", "排放", "emissions of the project"),
    "investment": ("万元", "投资", "investment"),
    "output": ("万元/yr", "产值", "annual output"),
    "tax": ("万元/yr", "税收", "annual tax"),
    "jobs": ("jobs", "就业", "jobs"),
    "needs_hub": ("", "所需枢纽", "kind of transport hub the project needs; empty = none"),
    "hub_id": ("", "枢纽编号", "nearest hub of the needed kind"),
    "hub_minutes": ("minutes", "到枢纽时间", "travel minutes from the park to that hub"),
    "max_hub_minutes": ("minutes", "枢纽时间上限", "the project's limit on those minutes"),
    "belts": ("", "发展带", "development belts the park lies on (IDs separated by ';')"),
    "hazardous": ("true/false", "危化", "hazardous: only chemical parks may take it"),
    "min_tier": ("", "最低园区等级", "lowest park tier the project accepts"),
    "fixed_park": ("", "指定园区", "the only park the project may go to; empty = any"),
    "forbidden_parks": ("", "禁止园区", "parks the project may not go to (';')"),
    "county": ("", "县区", "county / district"),
    "tier": ("", "园区等级", "park tier (county, city, provincial, national)"),
    "leading_chains": ("", "主导产业链", "chains the park leads in (';')"),
    "allowed_chains": ("", "准入产业链", "if not empty, the only chains the park accepts (';')"),
    "chemical_park": ("true/false", "化工园区", "chemical park: may take hazardous projects"),
    "min_invest_intensity": ("万元/亩", "投资强度门槛", "least investment per 亩 (standard land)"),
    "min_tax_per_mu": ("万元/亩/yr", "亩均税收门槛", "least tax per 亩 (standard land)"),
    "max_chains": ("chains", "产业链上限", "most chains the park may host (专而精)"),
    "land_quota": ("ha", "用地指标", "land available to new projects before the plan (quota)"),
    "land_used": ("ha", "已用用地", "land used by the plan"),
    "land_use_share": ("0–1", "用地使用率", "land used ÷ land quota"),
    "energy_quota": ("tce/yr", "能耗指标", "energy quota"),
    "energy_used": ("tce/yr", "已用能耗", "energy used by the plan"),
    "energy_use_share": ("0–1", "能耗使用率", "energy used ÷ energy quota"),
    "emission_quota": ("t/yr", "排放指标", "emission quota"),
    "emission_used": ("t/yr", "已用排放", "emissions of the plan"),
    "emission_use_share": ("0–1", "排放使用率", "emissions ÷ emission quota"),
    "projects": ("projects", "项目数", "projects placed"),
    "output_per_mu": ("万元/亩/yr", "亩均产值", "output per 亩 of land used"),
    "tax_per_mu": ("万元/亩/yr", "亩均税收", "tax per 亩 of land used"),
    "chains": ("", "产业链", "chains hosted (';')"),
    "n_chains": ("chains", "产业链数", "number of chains hosted"),
    "leading_chain_share": ("0–1", "主导产业占比", "share of output from the park's leading chains"),
    "area_ha": ("ha", "园区面积", "area of the park polygon"),
    "excluded_ha": ("ha", "管控区面积", "area inside any exclusion zone"),
    "usable_ha": ("ha", "可用面积", "area outside the exclusion zones"),
    "land_declared_ha": ("ha", "申报用地", "land available as declared in the parks layer, before exclusions"),
    "parks": ("parks", "园区数", "parks in the county"),
    "output_hosted": ("万元/yr", "落地产值", "output of the projects the county hosts"),
    "tax_hosted": ("万元/yr", "落地税收", "tax of the projects the county hosts"),
    "output_sourced": ("万元/yr", "招引产值", "output of the placed projects the county sourced"),
    "tax_sourced": ("万元/yr", "招引税收", "tax of the placed projects the county sourced"),
    "output_benefit": ("万元/yr", "分享产值", "output the county keeps under benefit sharing (飞地经济)"),
    "tax_benefit": ("万元/yr", "分享税收", "tax the county keeps under benefit sharing"),
    "energy_cap_tce": ("tce/yr", "县区能耗上限", "county energy cap (能耗双控); empty = none"),
    "emission_cap_t": ("t/yr", "县区排放上限", "county emission cap; empty = none"),
    "rule": ("", "规则", "eligibility rule that removed the pair"),
    "reason": ("", "原因", "why, in plain words"),
    "link_id": ("", "关联编号", "supplier link ID"),
    "supplier_id": ("", "供应方", "supplier project"),
    "customer_id": ("", "需求方", "customer project"),
    "max_minutes": ("minutes", "时间上限", "the link is local within this many minutes (0 = same park)"),
    "supplier_park": ("", "供应方园区", "park of the supplier; empty = not placed"),
    "customer_park": ("", "需求方园区", "park of the customer; empty = not placed"),
    "minutes": ("minutes", "通行时间", "travel minutes between the two parks"),
    "local": ("true/false", "本地配套", "both ends placed within max_minutes of each other"),
    "park_a": ("", "园区A", "one park of the pair"),
    "park_b": ("", "园区B", "the other park"),
    "links": ("links", "关联数", "supplier links between the two parks"),
    "value_not_local": ("万元/yr", "非本地关联价值", "link value between them beyond the links' time limits"),
    "priority": ("万元/yr × minutes", "优先度", "value × minutes: where a faster connection matters most"),
    "row": ("", "约束", "the quota's row in the model, e.g. land[P01]"),
    "label": ("", "说明", "the quota in words"),
    "resource": ("", "资源", "land, energy or emission"),
    "capacity": ("unit of the quota", "指标", "the quota"),
    "used": ("unit of the quota", "已用", "used by the plan"),
    "shadow_price": (f"{POINTS} per unit", "影子价格", "objective points one more unit of the quota would add, from "
                     "the LP relaxation around the plan (see report.html)"),
    "eligible_parks": ("", "可选园区", "parks the rules leave for the project (';')"),
    "removed_by_rule": ("", "排除统计", "parks each rule removed (a park may fail several rules)"),
}
# a name that means something else in one file
FILE_COLUMNS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("links.csv", "value"): ("万元/yr", "关联价值", "value of the supply between the two projects"),
    ("network_priorities.csv", "value"): ("万元/yr", "关联价值", "link value between the two parks"),
    ("unplaced.csv", "reason"): ("", "未落地原因", "why not placed: the rules, or the capacities that bind and the "
                                 "projects that won them"),
    ("greedy_assignments.csv", "park_id"): ("", "贪心方案园区", "the park of the greedy plan"),
}
INPUT_FIELDS = {f.name: f for f in (*PROJECT_FIELDS, *PARK_FIELDS, *LINK_FIELDS)}


def _pattern(column: str, rasters: tuple[str, ...]) -> tuple[str, str, str] | None:
    if column.endswith("_input"):  # an input column carried under another name (region._make_room_for_outputs)
        return None
    if column.startswith("excluded_ha_"):
        kind = column.removeprefix("excluded_ha_")
        return "ha", f"{kind} 管控区面积", f"area of the park inside {kind} exclusions"
    for name in sorted(rasters, key=len, reverse=True):
        stat = column.removeprefix(f"{name}_") if column.startswith(f"{name}_") else None
        if stat in ("mean", "min", "max"):
            return "raster units", f"{name} {stat}", f"{stat} of raster {name} over the park"
        if stat == "coverage":
            return "0–1", f"{name} 覆盖率", f"share of the park covered by valid cells of raster {name}"
        if stat == "suitable_share":
            return "0–1", f"{name} 适宜比例", f"share of the park's valid area where {name} is below its threshold"
    return None


def computed_per_park(column: str, rasters: tuple[str, ...] = ()) -> bool:
    """Whether ``column`` is named like one the run computes per park (``excluded_ha_<kind>``, or a statistic
    of one of ``rasters``, such as ``slope_suitable_share``); letter case aside, as GIS field names go."""
    return _pattern(column.strip().casefold(), tuple(r.casefold() for r in rasters)) is not None


def describe(file: str, column: str, rasters: tuple[str, ...] = ()) -> tuple[str, str, str] | None:
    """(unit, 中文, English) of ``column`` in ``file``, or ``None`` when the dictionary does not know it."""
    if (file, column) in FILE_COLUMNS:
        return FILE_COLUMNS[(file, column)]
    if column in COLUMNS:
        return COLUMNS[column]
    found = _pattern(column, rasters)
    if found is not None:
        return found
    if column in INPUT_FIELDS:
        spec = INPUT_FIELDS[column]
        return spec.unit, "输入字段", spec.doc or "copied from the input"
    return None


def column_dictionary(tables: Mapping[str, pd.DataFrame], input_columns: set[str], rasters: tuple[str, ...] = ()
                      ) -> pd.DataFrame:
    """One row per (file, column) of ``tables`` (file name: table): unit, 含义, meaning. Columns of the inputs
    that the data contract does not know (``input_columns``) are copied as given."""
    rows = []
    for file, table in tables.items():
        for column in table.columns:
            found = describe(file, column, rasters)
            if found is None and column in input_columns:
                found = ("", "输入字段", "copied from the input as given")
            unit, zh, en = found or ("", "", "")
            rows.append({"file": file, "column": column, "unit": unit, "含义": zh, "meaning": en})
    return pd.DataFrame(rows, columns=["file", "column", "unit", "含义", "meaning"])


def unknown_columns(dictionary: pd.DataFrame) -> list[str]:
    """``file:column`` of every row the dictionary could not describe."""
    blank = dictionary["meaning"] == ""
    return [f"{f}:{c}" for f, c in zip(dictionary.loc[blank, "file"], dictionary.loc[blank, "column"], strict=True)]

