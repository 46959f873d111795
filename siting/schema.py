"""The data contract: vocabulary and the fields of every input, with units (DESIGN.md §3)."""

from __future__ import annotations

from layers import Field

CHAINS: dict[str, str] = {
    "nev": "新能源及智能网联汽车 New-energy & connected vehicles",
    "electronics": "电子信息 Electronics & information",
    "equipment": "装备制造 Equipment manufacturing",
    "food": "绿色食品 Green food",
    "biomed": "生物医药 Biomedicine",
    "new_materials": "新型材料 New materials",
    "sensors": "智能传感器 Smart sensors",
    "hydrogen": "氢能及储能 Hydrogen & storage",
    "superhard": "超硬材料 Superhard materials",
    "smart_terminal": "智能终端 Smart terminals",
    "eco_env": "节能环保 Energy saving & environment",
    "chemicals": "现代化工 Modern chemicals",
}
TIERS = ("county", "city", "provincial", "national")  # 梯次培育, lowest first
TIER_NAMES = {"county": "县级", "city": "市级", "provincial": "省级", "national": "国家级"}
HUB_KINDS = ("airport_cargo", "rail_freight", "hsr", "inland_port", "highway")
HUB_KIND_NAMES = {"airport_cargo": "航空货运", "rail_freight": "铁路货运(中欧班列)", "hsr": "高铁站",
                  "inland_port": "内河港口", "highway": "高速互通"}
STAGES = ("rd", "pilot", "manufacturing", "assembly", "parts", "hq")
STAGE_NAMES = {"rd": "研发", "pilot": "中试", "manufacturing": "生产制造", "assembly": "总装", "parts": "零部件配套",
               "hq": "总部"}
STATUSES = ("candidate", "committed")
STATUS_NAMES = {"candidate": "候选", "committed": "已签约"}
EXCLUSION_KIND_NAMES = {"ecological_redline": "生态保护红线", "basic_farmland": "永久基本农田",
                        "urban_boundary": "城镇开发边界"}
MU_PER_HA = 15.0

PARK_FIELDS = (
    Field("park_id", "id", doc="stable park ID"),
    Field("name", "text", doc="park name as people read it"),
    Field("county", "text", doc="county / district hosting the park"),
    Field("tier", "choice", choices=TIERS, doc="park tier"),
    Field("leading_chains", "list", doc="1–3 chain IDs separated by ';' (or '；', '、')"),
    Field("land_available_ha", "number", minimum=0, unit="ha"),
    Field("energy_quota_tce", "number", minimum=0, unit="tce/yr"),
    Field("emission_quota_t", "number", minimum=0, unit="t/yr"),
    Field("max_chains", "integer", minimum=1),
    Field("min_invest_intensity", "number", minimum=0, unit="万元/亩"),
    Field("chemical_park", "bool"),
    Field("allowed_chains", "list", required=False, doc="if not empty, the only chains the park accepts"),
    Field("min_tax_per_mu", "number", minimum=0, unit="万元/亩/yr", required=False, default=0.0),
    Field("gate_lon", "number", unit="degrees (CGCS2000)", required=False, doc="main gate, for travel times"),
    Field("gate_lat", "number", unit="degrees (CGCS2000)", required=False, doc="main gate, for travel times"),
)
HUB_FIELDS = (
    Field("hub_id", "id"),
    Field("name", "text"),
    Field("kind", "choice", choices=HUB_KINDS),
)
CORRIDOR_FIELDS = (
    Field("corridor_id", "id"),
    Field("name", "text"),
    Field("chains", "list", doc="the belt's themes: chain IDs separated by ';' (or '；', '、')"),
    Field("buffer_km", "number", minimum=0, unit="km"),
)
EXCLUSION_FIELDS = (
    Field("kind", "text", doc="ecological_redline, basic_farmland, urban_boundary, ..."),
)
PROJECT_FIELDS = (
    Field("project_id", "id"),
    Field("name", "text"),
    Field("chain", "text", doc="a chain ID"),
    Field("stage", "choice", choices=STAGES),
    Field("land_ha", "number", minimum=0, positive=True, unit="ha"),
    Field("energy_tce", "number", minimum=0, unit="tce/yr"),
    Field("emission_t", "number", minimum=0, unit="t/yr"),
    Field("investment", "number", minimum=0, unit="万元"),
    Field("output", "number", minimum=0, unit="万元/yr"),
    Field("tax", "number", minimum=0, unit="万元/yr"),
    Field("jobs", "number", minimum=0, unit="jobs"),
    Field("needs_hub", "choice", choices=HUB_KINDS, required=False, allow_empty=True),
    Field("max_hub_minutes", "number", minimum=0, unit="minutes", required=False),
    Field("hazardous", "bool", required=False),
    Field("min_tier", "choice", choices=TIERS, required=False, default="county"),
    Field("source_county", "text", required=False),
    Field("status", "choice", choices=STATUSES, required=False, default="candidate"),
    Field("fixed_park", "text", required=False),
    Field("forbidden_parks", "list", required=False),
)
LINK_FIELDS = (
    Field("link_id", "id"),
    Field("supplier_id", "text"),
    Field("customer_id", "text"),
    Field("value", "number", minimum=0, unit="万元/yr"),
    Field("max_minutes", "number", minimum=0, unit="minutes", doc="0 = both ends in the same park"),
)
ADJUSTMENT_FIELDS = (
    Field("adjustment_id", "id"),
    Field("project_id", "text"),
    Field("park_id", "text"),
    Field("score", "number", doc="expert judgement added to the pair's fit (score units)"),
)
COUNTY_FIELDS = (
    Field("county", "id", doc="county name as in the parks layer"),
    Field("energy_quota_tce", "number", minimum=0, unit="tce/yr", required=False,
          doc="county energy cap (能耗双控) on top of the park quotas; empty = none"),
    Field("emission_quota_t", "number", minimum=0, unit="t/yr", required=False, doc="county emission cap; empty = none"),
)
