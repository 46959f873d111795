"""Generate the Henan demo data set for the cluster siting optimizer.

The demo region is modelled on Henan province (central China).  Real facts are limited to the
approximate public locations (lon/lat, CGCS2000 ≈ WGS84) of cities, development zones, transport hubs
and the industrial belts named in the provincial policy text; they are the literal tables at the top of
this file.  Every numeric attribute (land, quotas, thresholds, projects, links, slope values) and every
polygon shape is synthetic, drawn from one seeded generator so that two runs give identical files.

Usage::

    python data/gis/make_demo.py [--out DIR]     # default: the demo/ folder beside this script

Units: hectares, 万元 (10,000 CNY), tce/yr, t CO2/yr, minutes, 万元/亩 (1 ha = 15 亩).
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.features import geometry_mask
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, Polygon

SEED = 20261128
CRS_GEO = "EPSG:4490"  # CGCS2000 geographic
CRS_GK = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E (metres)
CRS_GEOJSON = "EPSG:4326"
MU_PER_HA = 15.0

CHAINS = ("nev", "electronics", "equipment", "food", "biomed", "new_materials", "sensors", "hydrogen",
          "superhard", "smart_terminal", "eco_env", "chemicals")
TIERS = ("county", "city", "provincial", "national")
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
HUB_KINDS = ("airport_cargo", "rail_freight", "hsr", "inland_port", "highway")

# ---------------------------------------------------------------------------------------------------
# Real facts: approximate public locations (lon, lat).  Attributes such as tier, leading chains and the
# chain restrictions follow each zone's publicly known profile; everything numeric is synthetic.
# ---------------------------------------------------------------------------------------------------

# park_id, name, name_en, county, city, tier, lon, lat, leading_chains, allowed_chains, chemical_park
PARKS: tuple[tuple[str, str, str, str, str, str, float, float, str, str, bool], ...] = (
    ("P01", "郑州航空港经济综合实验区", "Zhengzhou Airport Economy Zone", "航空港区", "郑州市",
     "national", 113.87, 34.45, "electronics;smart_terminal;biomed", "", False),
    ("P02", "郑州经济技术开发区", "Zhengzhou Economic and Technological Development Zone", "管城回族区",
     "郑州市", "national", 113.76, 34.70, "nev;equipment", "", False),
    ("P03", "郑州高新技术产业开发区", "Zhengzhou High-tech Industrial Development Zone", "中原区", "郑州市",
     "national", 113.54, 34.82, "sensors;electronics;superhard", "", False),
    ("P04", "中牟汽车产业集聚区", "Zhongmu Automobile Industry Cluster", "中牟县", "郑州市",
     "city", 113.93, 34.73, "nev;equipment", "nev;equipment;sensors;hydrogen", False),
    ("P05", "新郑食品产业园", "Xinzheng Food Industry Park", "新郑市", "郑州市",
     "county", 113.71, 34.39, "food;biomed", "", False),
    ("P06", "巩义市先进制造业开发区", "Gongyi Advanced Manufacturing Development Zone", "巩义市", "郑州市",
     "city", 113.05, 34.76, "new_materials;equipment", "", False),
    ("P07", "洛阳高新技术产业开发区", "Luoyang High-tech Industrial Development Zone", "涧西区", "洛阳市",
     "national", 112.36, 34.65, "equipment;new_materials;sensors", "", False),
    ("P08", "洛阳经济技术开发区", "Luoyang Economic and Technological Development Zone", "洛龙区", "洛阳市",
     "national", 112.52, 34.57, "equipment;nev", "", False),
    ("P09", "义马经济技术开发区", "Yima Economic Development Zone (coal chemicals)", "义马市", "三门峡市",
     "provincial", 111.88, 34.73, "chemicals;new_materials", "chemicals;new_materials;hydrogen", True),
    ("P10", "孟州产业集聚区", "Mengzhou Industrial Cluster", "孟州市", "焦作市",
     "county", 112.80, 34.92, "equipment;food", "", False),
    ("P11", "焦作高新技术产业开发区", "Jiaozuo High-tech Industrial Development Zone", "山阳区", "焦作市",
     "national", 113.30, 35.21, "new_materials;nev", "", False),
    ("P12", "济源虎岭产业集聚区（玉泉特色产业园）", "Jiyuan Huling Industrial Cluster (Yuquan Park)",
     "济源市", "济源市", "provincial", 112.66, 35.05, "new_materials;chemicals;hydrogen",
     "chemicals;new_materials;hydrogen;equipment", True),
    ("P13", "开封经济技术开发区", "Kaifeng Economic and Technological Development Zone", "龙亭区", "开封市",
     "national", 114.23, 34.80, "nev;equipment", "", False),
    ("P14", "新乡高新技术产业开发区", "Xinxiang High-tech Industrial Development Zone", "红旗区", "新乡市",
     "national", 113.95, 35.27, "nev;biomed", "", False),
    ("P15", "长垣起重装备产业园", "Changyuan Lifting Equipment Industrial Park", "长垣市", "新乡市",
     "provincial", 114.70, 35.19, "equipment;biomed", "equipment;biomed;eco_env", False),
    ("P16", "安阳高新技术产业开发区", "Anyang High-tech Industrial Development Zone", "文峰区", "安阳市",
     "national", 114.30, 36.08, "equipment;new_materials", "", False),
    ("P17", "鹤壁经济技术开发区", "Hebi Economic and Technological Development Zone", "淇滨区", "鹤壁市",
     "national", 114.30, 35.70, "electronics;nev", "", False),
    ("P18", "濮阳经济技术开发区", "Puyang Economic and Technological Development Zone", "华龙区", "濮阳市",
     "national", 114.98, 35.70, "chemicals;new_materials;hydrogen",
     "chemicals;new_materials;hydrogen;eco_env",
     True),
    ("P19", "许昌经济技术开发区", "Xuchang Economic and Technological Development Zone", "魏都区", "许昌市",
     "national", 113.90, 33.99, "equipment;eco_env", "", False),
    ("P20", "长葛经济技术开发区", "Changge Economic Development Zone", "长葛市", "许昌市",
     "city", 113.78, 34.23, "eco_env;superhard;equipment", "", False),
    ("P21", "漯河经济技术开发区", "Luohe Economic and Technological Development Zone", "召陵区", "漯河市",
     "national", 114.06, 33.55, "food;biomed", "", False),
    ("P22", "临颍县食品产业园", "Linying Food Industry Park", "临颍县", "漯河市",
     "county", 113.95, 33.81, "food", "food;biomed;eco_env", False),
    ("P23", "平顶山尼龙新材料产业集聚区", "Pingdingshan Nylon New Materials Industrial Cluster", "叶县",
     "平顶山市", "provincial", 113.38, 33.66, "chemicals;new_materials", "chemicals;new_materials", True),
    ("P24", "南阳高新技术产业开发区", "Nanyang High-tech Industrial Development Zone", "卧龙区", "南阳市",
     "national", 112.47, 32.99, "equipment;biomed;electronics", "", False),
    ("P25", "信阳高新技术产业开发区", "Xinyang High-tech Industrial Development Zone", "平桥区", "信阳市",
     "provincial", 114.11, 32.10, "electronics;smart_terminal;food", "", False),
    ("P26", "周口港口物流产业集聚区", "Zhoukou Port Logistics Industrial Cluster", "川汇区", "周口市",
     "provincial", 114.74, 33.61, "food;new_materials;eco_env", "", False),
    ("P27", "驻马店经济开发区", "Zhumadian Economic Development Zone", "驿城区", "驻马店市",
     "provincial", 113.98, 32.95, "food;equipment;biomed", "", False),
    ("P28", "商丘经济技术开发区", "Shangqiu Economic and Technological Development Zone", "睢阳区", "商丘市",
     "provincial", 115.68, 34.39, "equipment;food;smart_terminal", "", False),
    ("P29", "民权高新技术产业开发区（制冷）", "Minquan High-tech Zone (refrigeration)", "民权县", "商丘市",
     "county", 115.16, 34.66, "eco_env;equipment", "equipment;eco_env;smart_terminal", False),
    ("P30", "三门峡经济开发区", "Sanmenxia Economic Development Zone", "湖滨区", "三门峡市",
     "provincial", 111.25, 34.77, "new_materials;food", "", False),
)
PARK_COUNTIES = frozenset(row[3] for row in PARKS)

# hub_id, name, name_en, kind, lon, lat
HUBS: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("H01", "郑州新郑国际机场货运区", "Zhengzhou Xinzheng Intl. Airport cargo area", "airport_cargo", 113.84,
     34.53),
    ("H02", "洛阳北郊机场", "Luoyang Beijiao Airport", "airport_cargo", 112.39, 34.74),
    ("H03", "南阳姜营机场", "Nanyang Jiangying Airport", "airport_cargo", 112.61, 32.98),
    ("H04", "郑州国际陆港（圃田中欧班列集结中心）",
     "Zhengzhou Intl. Land Port (Putian China-Europe rail hub)",
     "rail_freight", 113.87, 34.77),
    ("H05", "洛阳铁路物流基地", "Luoyang rail logistics base", "rail_freight", 112.52, 34.70),
    ("H06", "许昌铁路物流基地", "Xuchang rail logistics base", "rail_freight", 113.86, 34.07),
    ("H07", "郑州东站", "Zhengzhou East HSR station", "hsr", 113.78, 34.76),
    ("H08", "洛阳龙门站", "Luoyang Longmen HSR station", "hsr", 112.46, 34.59),
    ("H09", "商丘站", "Shangqiu HSR station", "hsr", 115.64, 34.44),
    ("H10", "信阳东站", "Xinyang East HSR station", "hsr", 114.14, 32.14),
    ("H11", "新乡东站", "Xinxiang East HSR station", "hsr", 113.98, 35.29),
    ("H12", "安阳东站", "Anyang East HSR station", "hsr", 114.43, 36.09),
    ("H13", "周口中心港", "Zhoukou central port", "inland_port", 114.71, 33.63),
    ("H14", "信阳淮滨港", "Huaibin port (Xinyang)", "inland_port", 115.42, 32.45),
    ("H15", "漯河港", "Luohe port", "inland_port", 114.08, 33.58),
    ("H16", "京港澳×连霍高速郑州枢纽", "Zhengzhou interchange (G4 x G30)", "highway", 113.72, 34.83),
    ("H17", "京港澳×宁洛高速漯河枢纽", "Luohe interchange (G4 x G36)", "highway", 113.97, 33.58),
    ("H18", "沪陕×二广高速南阳枢纽", "Nanyang interchange (G40 x G55)", "highway", 112.44, 33.06),
)

# corridor_id, name, name_en, chains, buffer_km, vertices through the real cities
CORRIDORS: tuple[tuple[str, str, str, str, float, tuple[tuple[float, float], ...]], ...] = (
    ("C1", "京广沿线电子信息产业带", "Beijing-Guangzhou line electronics belt",
     "electronics;smart_terminal;sensors",
     15.0, ((114.35, 36.10), (114.30, 35.75), (113.93, 35.30), (113.65, 34.76), (113.80, 34.45),
            (113.85, 34.03), (114.02, 33.58), (114.02, 33.01), (114.09, 32.13))),
    ("C2", "郑开科创走廊", "Zhengzhou-Kaifeng science and innovation corridor", "electronics;biomed;sensors",
     10.0, ((113.55, 34.81), (113.65, 34.76), (113.75, 34.77), (113.98, 34.72), (114.31, 34.80))),
    ("C3", "郑洛高端装备产业带", "Zhengzhou-Luoyang high-end equipment belt (Longhai line)",
     "equipment;nev;superhard", 20.0,
     ((111.20, 34.77), (111.76, 34.77), (112.45, 34.62), (112.79, 34.73), (113.02, 34.75), (113.65, 34.76),
      (114.31, 34.80), (114.82, 34.82), (115.15, 34.65), (115.65, 34.44))),
    ("C4", "郑汴洛濮氢走廊", "Zhengzhou-Kaifeng-Luoyang-Puyang hydrogen corridor", "hydrogen;nev;chemicals",
     12.0, ((112.45, 34.62), (113.02, 34.75), (113.65, 34.76), (114.31, 34.80), (114.42, 35.04),
            (114.67, 35.20), (115.03, 35.76))),
    ("C5", "豫南生物经济产业带", "Southern Henan bio-economy belt", "biomed;food",
     18.0, ((112.53, 33.00), (113.32, 32.72), (114.02, 33.01), (114.26, 33.26), (114.65, 33.62))),
    ("C6", "许昌—长葛—郑州智能装备产业带", "Xuchang-Changge-Zhengzhou smart equipment belt",
     "equipment;eco_env;smart_terminal", 8.0,
     ((113.85, 34.03), (113.77, 34.22), (113.74, 34.40), (113.84, 34.50), (113.70, 34.72))),
)

# Exclusion zones named after real features; the shapes are synthetic blobs.
# kind, name, name_en, lon, lat, equivalent radius km, aspect (x/y), rotation degrees
EXCLUSIONS_AT: tuple[tuple[str, str, str, float, float, float, float, float], ...] = (
    ("ecological_redline", "太行山生态保护红线（林州段）", "Taihang Mountains red line (Linzhou)",
     113.78, 36.00, 16.0, 0.6, 20.0),
    ("ecological_redline", "小秦岭生态保护红线", "Xiaoqinling red line", 110.75, 34.40, 13.0, 2.0, 0.0),
    ("ecological_redline", "伏牛山生态保护红线", "Funiu Mountains red line", 111.80, 33.65, 24.0, 1.8, 10.0),
    ("ecological_redline", "大别山生态保护红线", "Dabie Mountains red line", 115.20, 31.70, 18.0, 2.2, -5.0),
    ("ecological_redline", "桐柏山生态保护红线", "Tongbai Mountains red line", 113.45, 32.40, 11.0, 1.6,
     25.0),
    ("ecological_redline", "郑州黄河湿地自然保护区", "Zhengzhou Yellow River wetland reserve",
     113.65, 34.93, 10.0, 6.0, 0.0),
    ("ecological_redline", "丹江口水库水源保护区", "Danjiangkou reservoir source protection area",
     111.55, 32.78, 11.0, 1.2, 30.0),
    ("basic_farmland", "黄泛区永久基本农田（西华）", "Xihua permanent basic farmland", 114.45, 33.78, 12.0,
     1.3, 0.0),
)
# kind, name, name_en, park the zone borders on, bearing from the park (degrees, 0 = north), radius km
EXCLUSIONS_NEXT_TO_PARK: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("ecological_redline", "王屋山—太行山生态保护红线（济源段）", "Wangwu-Taihang red line (Jiyuan)",
     "P12", 0.0, 9.0),
    ("ecological_redline", "黄河湿地自然保护区（孟州段）", "Yellow River wetland reserve (Mengzhou)",
     "P10", 180.0, 6.0),
    ("ecological_redline", "南湾湖生态保护红线", "Nanwan Lake red line", "P25", 250.0, 6.0),
    ("basic_farmland", "周口永久基本农田", "Zhoukou permanent basic farmland", "P26", 90.0, 7.0),
    ("basic_farmland", "商丘永久基本农田", "Shangqiu permanent basic farmland", "P28", 180.0, 8.0),
    ("basic_farmland", "民权永久基本农田", "Minquan permanent basic farmland", "P29", 0.0, 6.0),
    ("basic_farmland", "驻马店永久基本农田", "Zhumadian permanent basic farmland", "P27", 100.0, 7.0),
    ("basic_farmland", "临颍永久基本农田", "Linying permanent basic farmland", "P22", 225.0, 5.0),
    ("urban_boundary", "郑州中心城区城镇开发边界", "Zhengzhou central city boundary", "P02", 315.0, 9.0),
    ("urban_boundary", "洛阳中心城区城镇开发边界", "Luoyang central city boundary", "P07", 90.0, 6.0),
    ("urban_boundary", "开封中心城区城镇开发边界", "Kaifeng central city boundary", "P13", 90.0, 5.0),
    ("urban_boundary", "南阳中心城区城镇开发边界", "Nanyang central city boundary", "P24", 80.0, 6.0),
)

# Raster extent (province bounding box) and no-data water blocks: name, lon0, lon1, lat0, lat1
SLOPE_BOUNDS = (110.3, 31.3, 116.7, 36.4)  # west, south, east, north
SLOPE_CELL = 0.01
LAKES: tuple[tuple[str, float, float, float, float], ...] = (
    ("丹江口水库 Danjiangkou reservoir", 111.45, 111.62, 32.70, 32.85),
    ("宿鸭湖 Suya lake", 114.18, 114.28, 32.88, 32.98),
    ("小浪底水库 Xiaolangdi reservoir", 112.20, 112.40, 34.95, 35.02),
)
# Mountain ranges as Gaussian bumps: lon, lat, peak slope (degrees), sigma lon, sigma lat
MOUNTAINS: tuple[tuple[float, float, float, float, float], ...] = (
    (112.50, 35.25, 18.0, 0.25, 0.12), (113.00, 35.42, 20.0, 0.30, 0.12),  # Taihang south (Wangwu)
    (113.50, 35.68, 18.0, 0.20, 0.20), (113.80, 36.02, 16.0, 0.15, 0.25),  # Taihang east (Linzhou)
    (111.30, 34.30, 22.0, 0.40, 0.25), (111.85, 34.10, 24.0, 0.35, 0.25),  # Xiao Shan / Xiong'er
    (110.70, 34.45, 20.0, 0.30, 0.15),  # Xiaoqinling
    (112.00, 33.70, 25.0, 0.50, 0.25), (112.70, 33.75, 18.0, 0.30, 0.20),  # Funiu
    (113.05, 34.45, 14.0, 0.20, 0.10),  # Song Shan
    (113.40, 32.40, 12.0, 0.30, 0.20),  # Tongbai
    (114.00, 31.75, 20.0, 0.60, 0.20), (115.20, 31.60, 22.0, 0.50, 0.20),  # Dabie
    (113.40, 34.86, 4.0, 0.30, 0.05),  # Mangshan loess bluffs
)

# ---------------------------------------------------------------------------------------------------
# Synthetic parameters
# ---------------------------------------------------------------------------------------------------

# tier: land weight, min_invest_intensity (万元/亩), min_tax_per_mu (万元/亩/yr), max_chains
TIER_PARAMS: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[int,
int]]] = {
    "national": ((3.0, 7.0), (300.0, 450.0), (18.0, 30.0), (4, 5)),
    "provincial": ((1.2, 2.2), (250.0, 350.0), (13.0, 20.0), (3, 4)),
    "city": ((0.8, 1.2), (200.0, 280.0), (10.0, 15.0), (2, 3)),
    "county": ((0.6, 1.0), (150.0, 220.0), (8.0, 12.0), (2, 3)),
}
LAND_DEMAND_RATIO = 1.5  # total candidate land demand / total free land
ENERGY_DEMAND_RATIO = 1.3  # total energy demand / total energy quota (emission likewise)
ENERGY_SLACK = (0.3, 1.6)  # spread of energy-per-ha relative to likely tenants; low ends bind before land

# chain: project count, energy intensity (tce per 万元 output), investment intensity (万元/亩), hub kinds
CHAIN_PARAMS: dict[str, tuple[int, tuple[float, float], tuple[float, float], tuple[str, ...]]] = {
    "equipment": (30, (0.04, 0.08), (250.0, 600.0), ("rail_freight", "highway")),
    "electronics": (26, (0.02, 0.05), (450.0, 900.0), ("airport_cargo",)),
    "nev": (24, (0.04, 0.08), (320.0, 700.0), ("rail_freight", "highway")),
    "food": (22, (0.05, 0.10), (200.0, 420.0), ("highway", "inland_port")),
    "new_materials": (20, (0.20, 0.50), (250.0, 550.0), ("rail_freight", "inland_port")),
    "biomed": (16, (0.05, 0.10), (450.0, 850.0), ("airport_cargo", "highway")),
    "chemicals": (12, (0.40, 0.90), (330.0, 650.0), ("rail_freight", "inland_port")),
    "sensors": (12, (0.02, 0.04), (450.0, 900.0), ("airport_cargo",)),
    "smart_terminal": (12, (0.02, 0.04), (350.0, 800.0), ("airport_cargo",)),
    "hydrogen": (10, (0.10, 0.30), (300.0, 650.0), ("highway",)),
    "superhard": (8, (0.20, 0.40), (280.0, 550.0), ("airport_cargo", "highway")),
    "eco_env": (8, (0.05, 0.10), (220.0, 450.0), ("highway", "rail_freight")),
}
HUB_AFFINITY = {"electronics": 2.0, "smart_terminal": 2.0, "sensors": 1.5, "food": 1.5, "equipment": 1.5}
HAZARDOUS_COUNT = {"new_materials": 6, "hydrogen": 4}  # chemicals: every non-R&D project is hazardous
STAGE_LAND_FACTOR = {"manufacturing": 1.3, "assembly": 1.1, "parts": 0.8, "pilot": 0.5, "rd": 0.35,
"hq": 0.25}
N_HUB_PROJECTS = 50
N_COMMITTED = 15
N_FIXED = 8
N_FORBIDDEN = 8
N_LINKS = 300
COMMITTED_SHARE = 0.6  # committed projects may use at most this share of a park's quotas
CONSERVATIVE_MIN_PER_KM = 1.5  # the tool's default is circuity 1.3 at 60 km/h = 1.3 min/km

# chain: (stage, Chinese name, English name, quantity low, quantity high, multiplier for the English {e})
TEMPLATES: dict[str, tuple[tuple[str, str, str, int, int, int], ...]] = {
    "nev": (
        ("manufacturing", "年产{q}万辆新能源汽车整车项目",
         "NEV vehicle plant, {e} vehicles/yr", 5, 30, 10000),
        ("manufacturing", "年产{q}GWh动力电池项目", "Power battery plant, {e} GWh/yr", 5, 40, 1),
        ("assembly", "年产{q}万辆新能源商用车总装项目",
         "NEV commercial vehicle assembly, {e} units/yr", 1, 5, 10000),
        ("parts", "年产{q}万套驱动电机及电控系统项目",
         "E-motor and controller plant, {e} sets/yr", 10, 80, 10000),
        ("parts", "年产{q}万套汽车热管理系统项目",
         "Vehicle thermal management plant, {e} sets/yr", 20, 100, 10000),
        ("rd", "智能网联汽车研发测试中心", "Connected vehicle R&D and test centre", 0, 0, 1),
        ("pilot", "固态电池中试线项目", "Solid-state battery pilot line", 0, 0, 1),
        ("hq", "新能源汽车区域总部及结算中心", "NEV regional headquarters and settlement centre", 0, 0, 1),
    ),
    "electronics": (
        ("manufacturing", "年产{q}万片功率半导体器件项目",
         "Power semiconductor fab, {e} wafers/yr", 12, 60, 10000),
        ("manufacturing", "新型显示模组生产线项目（年产{q}万片）",
         "Display module line, {e} panels/yr", 100, 600, 10000),
        ("parts", "年产{q}亿只片式电子元器件项目",
         "Chip passive components, {e} million pcs/yr", 10, 200, 100),
        ("parts", "高端印制电路板项目（年产{q}万平方米）", "High-end PCB plant, {e} m2/yr", 50, 300, 10000),
        ("assembly", "服务器及算力设备整机项目（年产{q}万台）",
         "Server and computing equipment, {e} units/yr", 5, 50, 10000),
        ("rd", "集成电路设计与封测研发中心", "IC design and packaging R&D centre", 0, 0, 1),
        ("pilot", "第三代半导体（碳化硅）中试线", "Silicon-carbide semiconductor pilot line", 0, 0, 1),
        ("hq", "电子信息产业区域总部基地", "Electronics regional headquarters", 0, 0, 1),
    ),
    "equipment": (
        ("manufacturing", "年产{q}台盾构机及隧道装备项目",
         "Tunnel boring machines, {e} units/yr", 50, 200, 1),
        ("manufacturing", "年产{q}台（套）大型矿山装备项目",
         "Large mining equipment, {e} sets/yr", 100, 800, 1),
        ("manufacturing", "年产{q}万台农业机械项目", "Agricultural machinery, {e} units/yr", 1, 5, 10000),
        ("manufacturing", "年产{q}台起重机械项目",
         "Cranes and lifting machinery, {e} units/yr", 500, 3000, 1),
        ("manufacturing", "年产{q}万套精密轴承项目", "Precision bearings, {e} sets/yr", 100, 800, 10000),
        ("assembly", "智能成套装备总装基地（年产{q}台套）",
         "Integrated smart equipment assembly, {e} sets/yr", 200, 1500, 1),
        ("parts", "年产{q}万件精密铸锻件项目", "Precision castings and forgings, {e} pcs/yr", 5, 50, 10000),
        ("parts", "液压件及传动部件项目（年产{q}万件）",
         "Hydraulic and transmission parts, {e} pcs/yr", 10, 100, 10000),
        ("rd", "高端装备工程技术研究中心", "High-end equipment engineering research centre", 0, 0, 1),
        ("pilot", "工业机器人中试基地", "Industrial robot pilot base", 0, 0, 1),
        ("hq", "装备制造企业区域总部", "Equipment maker regional headquarters", 0, 0, 1),
    ),
    "food": (
        ("manufacturing", "年产{q}万吨休闲食品项目", "Snack food plant, {e} t/yr", 5, 30, 10000),
        ("manufacturing", "年产{q}万吨速冻食品项目", "Frozen food plant, {e} t/yr", 5, 40, 10000),
        ("manufacturing", "年屠宰{q}万头生猪及肉制品深加工项目",
         "Pork processing, {e} pigs/yr", 50, 300, 10000),
        ("manufacturing", "年产{q}万吨面粉及主食产业化项目",
         "Flour and staple food plant, {e} t/yr", 10, 60, 10000),
        ("parts", "食品包装材料项目（年产{q}亿个）", "Food packaging, {e} million units/yr", 5, 50, 100),
        ("assembly", "中央厨房及预制菜加工配送项目",
         "Central kitchen and prepared-meal distribution", 0, 0, 1),
        ("rd", "食品营养与安全研发中心", "Food nutrition and safety R&D centre", 0, 0, 1),
        ("pilot", "功能性食品中试基地", "Functional food pilot base", 0, 0, 1),
        ("hq", "食品企业区域总部及电商结算中心", "Food company headquarters and e-commerce centre", 0, 0, 1),
    ),
    "biomed": (
        ("manufacturing", "生物疫苗生产基地（年产{q}万剂）",
         "Vaccine production base, {e} doses/yr", 1000, 8000, 10000),
        ("manufacturing", "年产{q}亿片固体制剂项目",
         "Solid-dose drug plant, {e} million tablets/yr", 5, 30, 100),
        ("manufacturing", "医疗器械产业化项目（年产{q}万台）",
         "Medical device plant, {e} units/yr", 1, 20, 10000),
        ("parts", "药用辅料及包材项目", "Pharmaceutical excipients and packaging", 0, 0, 1),
        ("pilot", "细胞与基因治疗中试平台", "Cell and gene therapy pilot platform", 0, 0, 1),
        ("rd", "创新药研发中心", "Innovative drug R&D centre", 0, 0, 1),
        ("hq", "生物医药企业总部", "Biomedicine company headquarters", 0, 0, 1),
    ),
    "new_materials": (
        ("manufacturing", "年产{q}万吨高性能铝合金板带箔项目",
         "High-performance aluminium sheet and foil, {e} t/yr", 5, 30, 10000),
        ("manufacturing", "年产{q}万吨尼龙66切片项目", "Nylon 66 chips, {e} t/yr", 5, 20, 10000),
        ("manufacturing", "年产{q}万吨碳纤维及复合材料项目",
         "Carbon fibre and composites, {e} t/yr", 1, 3, 10000),
        ("manufacturing", "年产{q}万吨锂电负极材料项目", "Battery anode materials, {e} t/yr", 2, 10, 10000),
        ("manufacturing", "年产{q}万吨耐火材料项目", "Refractory materials, {e} t/yr", 5, 30, 10000),
        ("parts", "特种合金精密部件项目", "Special alloy precision parts", 0, 0, 1),
        ("pilot", "新材料中试基地", "New materials pilot base", 0, 0, 1),
        ("rd", "新材料研究院", "New materials research institute", 0, 0, 1),
    ),
    "chemicals": (
        ("manufacturing", "年产{q}万吨己内酰胺项目", "Caprolactam plant, {e} t/yr", 10, 40, 10000),
        ("manufacturing", "年产{q}万吨乙二醇项目", "Ethylene glycol plant, {e} t/yr", 20, 60, 10000),
        ("manufacturing", "年产{q}万吨可降解塑料（PBAT）项目",
         "Biodegradable plastics (PBAT), {e} t/yr", 6, 30, 10000),
        ("manufacturing", "年产{q}万吨电子级化学品项目",
         "Electronic-grade chemicals, {e} t/yr", 2, 10, 10000),
        ("manufacturing", "年产{q}万吨氟化工新材料项目", "Fluorochemical materials, {e} t/yr", 2, 15, 10000),
        ("pilot", "精细化工中试装置", "Fine chemicals pilot unit", 0, 0, 1),
        ("rd", "化工新材料研发中心", "Chemical materials R&D centre", 0, 0, 1),
    ),
    "sensors": (
        ("manufacturing", "年产{q}亿只MEMS传感器项目", "MEMS sensors, {e} million units/yr", 1, 10, 100),
        ("manufacturing", "年产{q}万只气体传感器项目", "Gas sensors, {e} units/yr", 100, 1000, 10000),
        ("manufacturing", "智能仪器仪表生产线（年产{q}万台）",
         "Smart instruments line, {e} units/yr", 5, 50, 10000),
        ("parts", "传感器芯片封装测试项目", "Sensor chip packaging and testing", 0, 0, 1),
        ("rd", "智能传感器创新中心", "Smart sensor innovation centre", 0, 0, 1),
        ("pilot", "MEMS中试线", "MEMS pilot line", 0, 0, 1),
    ),
    "hydrogen": (
        ("manufacturing", "年产{q}千套燃料电池电堆项目", "Fuel-cell stacks, {e} sets/yr", 2, 20, 1000),
        ("manufacturing", "年产{q}台电解水制氢装备项目", "Water electrolysers, {e} units/yr", 100, 500, 1),
        ("manufacturing", "年产{q}万吨工业副产氢提纯项目",
         "By-product hydrogen purification, {e} t/yr", 1, 5, 10000),
        ("parts", "储氢瓶及加氢装备项目（年产{q}万只）",
         "Hydrogen tanks and refuelling equipment, {e} units/yr", 1, 10, 10000),
        ("assembly", "氢燃料电池商用车总装项目", "Fuel-cell commercial vehicle assembly", 0, 0, 1),
        ("pilot", "液氢中试项目", "Liquid hydrogen pilot", 0, 0, 1),
        ("rd", "氢能与储能研究院", "Hydrogen and energy storage institute", 0, 0, 1),
    ),
    "superhard": (
        ("manufacturing", "年产{q}亿克拉人造金刚石项目",
         "Synthetic diamond, {e} million carats/yr", 1, 10, 100),
        ("manufacturing", "培育钻石项目（年产{q}万克拉）",
         "Lab-grown diamonds, {e} carats/yr", 50, 300, 10000),
        ("manufacturing", "年产{q}万片立方氮化硼刀具项目", "CBN cutting tools, {e} pcs/yr", 50, 500, 10000),
        ("parts", "超硬刀具及磨具项目", "Superhard tools and abrasives", 0, 0, 1),
        ("rd", "超硬材料研究院", "Superhard materials institute", 0, 0, 1),
    ),
    "smart_terminal": (
        ("assembly", "年产{q}万部智能手机组装项目", "Smartphone assembly, {e} units/yr", 500, 3000, 10000),
        ("assembly", "智能穿戴设备组装项目（年产{q}万台）",
         "Wearables assembly, {e} units/yr", 100, 1000, 10000),
        ("manufacturing", "年产{q}万台智能家电项目", "Smart home appliances, {e} units/yr", 50, 300, 10000),
        ("parts", "手机摄像模组及结构件项目", "Camera modules and structural parts", 0, 0, 1),
        ("parts", "触控显示屏模组项目", "Touch display modules", 0, 0, 1),
        ("rd", "智能终端研发中心", "Smart terminal R&D centre", 0, 0, 1),
        ("hq", "智能终端区域总部", "Smart terminal regional headquarters", 0, 0, 1),
    ),
    "eco_env": (
        ("manufacturing", "年产{q}台（套）环保装备项目",
         "Environmental equipment, {e} sets/yr", 200, 2000, 1),
        ("manufacturing", "年产{q}万吨再生资源综合利用项目", "Resource recycling, {e} t/yr", 5, 50, 10000),
        ("manufacturing", "制冷压缩机及冷链装备项目（年产{q}万台）",
         "Compressors and cold-chain equipment, {e} units/yr", 20, 200, 10000),
        ("manufacturing", "节能电机及变频器项目（年产{q}万台）",
         "Efficient motors and drives, {e} units/yr", 10, 100, 10000),
        ("parts", "膜材料及水处理部件项目", "Membranes and water treatment parts", 0, 0, 1),
        ("rd", "节能环保技术研发中心", "Energy saving and environment R&D centre", 0, 0, 1),
    ),
}

INVESTOR_ORIGINS = (("港资", "Hong Kong-funded"), ("深资", "Shenzhen-funded"), ("沪资", "Shanghai-funded"),
                    ("浙资", "Zhejiang-funded"), ("京资", "Beijing-funded"), ("苏资", "Jiangsu-funded"),
                    ("台资", "Taiwan-funded"), ("德资", "German-funded"), ("日资", "Japanese-funded"),
                    ("韩资", "Korean-funded"), ("央企", "SOE-funded"), ("省属国企", "Provincial SOE"))
SUPPLIER_STAGES = ("parts", "manufacturing", "rd", "pilot")
CUSTOMER_STAGES = ("assembly", "manufacturing", "hq")
CROSS_CHAIN_LINKS = (("sensors", "nev"), ("new_materials", "nev"), ("new_materials", "equipment"),
                     ("electronics", "smart_terminal"), ("hydrogen", "nev"), ("superhard", "equipment"),
                     ("chemicals", "new_materials"), ("electronics", "nev"))
LINK_MINUTES = (0, 30, 45, 60, 90)
LINK_MINUTES_P = (0.2, 0.2, 0.2, 0.25, 0.15)

PROJECT_COLUMNS = ("project_id", "name", "name_en", "chain", "stage", "land_ha", "energy_tce", "emission_t",
                   "investment", "output", "tax", "jobs", "needs_hub", "max_hub_minutes", "hazardous",
                   "min_tier", "source_county", "status", "fixed_park", "forbidden_parks")


class DemoDataError(RuntimeError):
    """A generated table breaks one of the guarantees the demo promises."""


def require(condition: bool, message: str) -> None:
    """Raise :class:`DemoDataError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise DemoDataError(message)


# ---------------------------------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------------------------------

def blob(lon: float, lat: float, area_km2: float, rng: np.random.Generator, *, aspect: float = 1.0,
         rotation_deg: float = 0.0) -> Polygon:
    """An irregular, star-shaped (hence valid) polygon of ``area_km2`` around (lon, lat)."""
    n = int(rng.integers(9, 17))
    step = 2 * math.pi / n
    theta = np.arange(n) * step + rng.uniform(-0.3, 0.3, n) * step
    radius = np.ones(n)
    for k in (2, 3, 4):
        radius += rng.uniform(0.0, 0.12) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    radius += rng.uniform(-0.06, 0.06, n)
    x = radius * np.cos(theta) * math.sqrt(aspect)
    y = radius * np.sin(theta) / math.sqrt(aspect)
    rot = math.radians(rotation_deg)
    x, y = x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot)
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    scale = math.sqrt(area_km2 / area)
    lons = lon + x * scale / (111.32 * math.cos(math.radians(lat)))
    lats = lat + y * scale / 110.57
    return Polygon(np.round(np.column_stack([lons, lats]), 6))


def offset(lon: float, lat: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    """The point ``distance_km`` from (lon, lat) along ``bearing_deg`` (flat-earth approximation)."""
    b = math.radians(bearing_deg)
    return (lon + distance_km * math.sin(b) / (111.32 * math.cos(math.radians(lat))),
            lat + distance_km * math.cos(b) / 110.57)


# ---------------------------------------------------------------------------------------------------
# Parks
# ---------------------------------------------------------------------------------------------------

def park_table(rng: np.random.Generator) -> pd.DataFrame:
    """Parks with their real locations and synthetic thresholds (quotas and land come later)."""
    cols = ["park_id", "name", "name_en", "county", "city", "tier", "lon", "lat", "leading_chains",
            "allowed_chains", "chemical_park"]
    parks = pd.DataFrame(PARKS, columns=cols)
    rows = []
    for tier, n_leading in zip(parks["tier"], parks["leading_chains"].str.count(";") + 1, strict=True):
        _, invest, tax, (lo, hi) = TIER_PARAMS[tier]
        rows.append({
            "max_chains": max(n_leading, int(rng.integers(lo, hi + 1))),
            "min_invest_intensity": round(float(rng.uniform(*invest)) / 5) * 5.0,
            "min_tax_per_mu": round(float(rng.uniform(*tax)), 1),
        })
    return pd.concat([parks, pd.DataFrame(rows)], axis=1)


def rules_ok(project: pd.Series, park: pd.Series) -> bool:
    """Chain, tier, hazard and standard-land thresholds (not quotas) let ``project`` locate in ``park``."""
    allowed = park["allowed_chains"]
    mu = project["land_ha"] * MU_PER_HA
    return ((not allowed or project["chain"] in allowed.split(";"))
            and TIER_RANK[park["tier"]] >= TIER_RANK[project["min_tier"]]
            and (not project["hazardous"] or bool(park["chemical_park"]))
            and project["investment"] / mu >= park["min_invest_intensity"]
            and project["tax"] / mu >= park["min_tax_per_mu"])


def fits_quotas(project: pd.Series, land: float, energy: float, emission: float) -> bool:
    """The project's land, energy and emission fit within the given remaining amounts."""
    return (project["land_ha"] <= land and project["energy_tce"] <= energy
            and project["emission_t"] <= emission)


def eligible_parks(projects: pd.DataFrame, parks: pd.DataFrame) -> dict[str, list[str]]:
    """Per project, the parks that pass :func:`rules_ok`."""
    return {p["project_id"]: [k["park_id"] for _, k in parks.iterrows() if rules_ok(p, k)]
            for _, p in projects.iterrows()}


def spread_with_bounds(weights: np.ndarray, total: float, low: float, high: float) -> np.ndarray:
    """Split ``total`` proportionally to ``weights`` with every share clipped to [low, high]."""
    values = weights / weights.sum() * total
    for _ in range(20):
        values = np.clip(values, low, high)
        free = (values > low) & (values < high)
        gap = total - values.sum()
        if abs(gap) < 1e-6 or not free.any():
            break
        values[free] += gap * values[free] / values[free].sum()
    return values


def tenant_energy_density(parks: pd.DataFrame, projects: pd.DataFrame,
                          eligible: dict[str, list[str]]) -> pd.Series:
    """Per park, tce/yr per ha of the projects it may host, averaged with that of its leading chains only."""
    out = {}
    for _, park in parks.iterrows():
        may = projects[projects["project_id"].map(lambda pid, k=park["park_id"]: k in eligible[pid])]
        leads = may[may["chain"].isin(park["leading_chains"].split(";"))]
        densities = [g["energy_tce"].sum() / g["land_ha"].sum() for g in (may, leads) if len(g)]
        out[park["park_id"]] = float(np.mean(densities)) if densities else 0.0
    return pd.Series(out)


def set_park_quotas(parks: pd.DataFrame, projects: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Free land and energy/emission quotas sized against the candidate pipeline's total demand.

    Energy is spread by each park's land times the energy density of its likely tenants times a slack
    factor (evenly spaced, randomly assigned), so that parks with a low factor run out of energy before land.
    """
    parks = parks.copy()
    land_w = np.array([rng.uniform(*TIER_PARAMS[t][0]) for t in parks["tier"]])
    land = spread_with_bounds(land_w, projects["land_ha"].sum() / LAND_DEMAND_RATIO, 40.0, 700.0)
    parks["land_available_ha"] = np.round(land).astype(float)
    density = tenant_energy_density(parks, projects, eligible_parks(projects, parks)).to_numpy()
    slack = rng.permutation(np.linspace(*ENERGY_SLACK, len(parks)))
    energy_w = parks["land_available_ha"].to_numpy() * density * slack
    energy = energy_w / energy_w.sum() * projects["energy_tce"].sum() / ENERGY_DEMAND_RATIO
    parks["energy_quota_tce"] = np.round(energy, -2)
    emission_w = energy * rng.uniform(2.45, 2.75, len(parks))
    emission = emission_w / emission_w.sum() * projects["emission_t"].sum() / ENERGY_DEMAND_RATIO
    parks["emission_quota_t"] = np.round(emission, -2)
    return parks


def park_polygons(parks: pd.DataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Irregular polygons of 6–38 km² around each park's location, larger for more free land."""
    geoms = []
    for lon, lat, land in zip(parks["lon"], parks["lat"], parks["land_available_ha"], strict=True):
        area = float(np.clip(5.0 + land / 100.0 * rng.uniform(4.0, 8.0), 6.0, 38.0))
        geoms.append(blob(lon, lat, area, rng))
    out = parks.drop(columns=["lon", "lat"])
    return gpd.GeoDataFrame(out, geometry=geoms, crs=CRS_GEO)


# ---------------------------------------------------------------------------------------------------
# Hubs, corridors, exclusions, slope
# ---------------------------------------------------------------------------------------------------

def hubs_layer() -> gpd.GeoDataFrame:
    """Transport hubs as points (GeoJSON, so EPSG:4326)."""
    df = pd.DataFrame(HUBS, columns=["hub_id", "name", "name_en", "kind", "lon", "lat"])
    geoms = [Point(xy) for xy in zip(df["lon"], df["lat"], strict=True)]
    return gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=geoms, crs=CRS_GEOJSON)


def corridors_layer() -> gpd.GeoDataFrame:
    """The six industrial belts as lines through their cities."""
    columns = ["corridor_id", "name", "name_en", "chains", "buffer_km"]
    df = pd.DataFrame([c[:5] for c in CORRIDORS], columns=columns)
    return gpd.GeoDataFrame(df, geometry=[LineString(c[5]) for c in CORRIDORS], crs=CRS_GEO)


def exclusions_layer(parks: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Red lines, farmland and urban boundaries; those next to a park cut into it without covering it."""
    rows, geoms = [], []
    for kind, name, name_en, lon, lat, radius, aspect, rotation in EXCLUSIONS_AT:
        rows.append((kind, name, name_en))
        geoms.append(blob(lon, lat, math.pi * radius**2, rng, aspect=aspect, rotation_deg=rotation))
    areas_km2 = parks.set_index("park_id").to_crs(CRS_GK).area / 1e6
    centres = {row[0]: (row[6], row[7]) for row in PARKS}
    for kind, name, name_en, park_id, bearing, radius in EXCLUSIONS_NEXT_TO_PARK:
        park_radius = math.sqrt(areas_km2[park_id] / math.pi)
        lon, lat = offset(*centres[park_id], bearing, radius + 0.45 * park_radius)
        rows.append((kind, name, name_en))
        geoms.append(blob(lon, lat, math.pi * radius**2, rng))
    df = pd.DataFrame(rows, columns=["kind", "name", "name_en"])
    df.insert(0, "excl_id", [f"E{i:02d}" for i in range(1, len(df) + 1)])
    return gpd.GeoDataFrame(df, geometry=geoms, crs=CRS_GEO).to_crs(CRS_GK)


def slope_grid(rng: np.random.Generator) -> tuple[np.ndarray, rasterio.Affine]:
    """Slope (degrees): Gaussian mountain bumps, a near-flat eastern plain, smoothed noise, no-data lakes."""
    west, south, east, north = SLOPE_BOUNDS
    width, height = round((east - west) / SLOPE_CELL), round((north - south) / SLOPE_CELL)
    lon, lat = np.meshgrid(west + (np.arange(width) + 0.5) * SLOPE_CELL,
                           north - (np.arange(height) + 0.5) * SLOPE_CELL)
    slope = 0.6 + 1.6 / (1.0 + np.exp((lon - 113.3) / 0.35))
    for m_lon, m_lat, peak, s_lon, s_lat in MOUNTAINS:
        slope += peak * np.exp(-0.5 * (((lon - m_lon) / s_lon) ** 2 + ((lat - m_lat) / s_lat) ** 2))
    noise = np.pad(rng.normal(0.0, 0.6, (height, width)), 1, mode="edge")
    shifts = [(dy, dx) for dy in (0, 1, 2) for dx in (0, 1, 2)]
    smooth = sum(noise[dy:dy + height, dx:dx + width] for dy, dx in shifts) / len(shifts)
    slope = np.round(np.clip(slope + smooth * (0.5 + slope / 10.0), 0.0, 45.0), 1).astype(np.float32)
    for _, lon0, lon1, lat0, lat1 in LAKES:
        slope[(lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)] = -9999.0
    return slope, from_origin(west, north, SLOPE_CELL, SLOPE_CELL)


# ---------------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------------

def project_row(chain: str, rng: np.random.Generator) -> dict[str, object]:
    """One synthetic project of ``chain``: name, stage and money/land/energy figures that belong together."""
    _, energy_range, invest_range, _ = CHAIN_PARAMS[chain]
    templates = TEMPLATES[chain]
    stage, zh, en, lo, hi, mult = templates[int(rng.integers(len(templates)))]
    base = math.exp(rng.normal(math.log(15.0), 0.65))
    land = round(float(np.clip(base * STAGE_LAND_FACTOR[stage], 2, 60)), 1)
    size = float(np.clip(land / 40.0 * rng.uniform(0.7, 1.3), 0.0, 1.0))  # bigger sites make more
    q = round(lo + (hi - lo) * size)
    investment = round(land * MU_PER_HA * rng.uniform(*invest_range))
    output = round(investment * rng.uniform(0.8, 2.5))
    energy = round(output * rng.uniform(*energy_range))
    per_job = rng.uniform(80.0, 220.0) / (1.6 if stage in ("rd", "pilot", "hq") else 1.0)
    return {
        "name": zh.format(q=q), "name_en": en.format(e=f"{q * mult:,}"), "chain": chain, "stage": stage,
        "land_ha": land, "energy_tce": energy, "emission_t": round(energy * rng.uniform(2.5, 2.7)),
        "investment": investment, "output": output, "tax": round(output * rng.uniform(0.04, 0.09), 1),
        "jobs": max(30, round(output / per_job)),
    }


def dedupe_names(projects: pd.DataFrame) -> pd.DataFrame:
    """A repeated name gets the investor's origin in front (港资…, Hong Kong-funded …), then a phase II."""
    seen: dict[str, int] = {}
    zh, en = [], []
    for name, name_en in zip(projects["name"], projects["name_en"], strict=True):
        k = seen.get(name, 0)
        seen[name] = k + 1
        if k == 0:
            zh.append(name)
            en.append(name_en)
            continue
        origin, origin_en = INVESTOR_ORIGINS[(k - 1) % len(INVESTOR_ORIGINS)]
        phase, phase_en = ("（二期）", " (phase II)") if k > len(INVESTOR_ORIGINS) else ("", "")
        zh.append(origin + name + phase)
        en.append(f"{origin_en} {name_en[0].lower()}{name_en[1:]}{phase_en}")
    return projects.assign(name=zh, name_en=en)


def mark_hazardous(projects: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """Chemicals (except R&D) plus a few new-materials and hydrogen plants handle hazardous substances."""
    hazardous = (projects["chain"] == "chemicals") & (projects["stage"] != "rd")
    for chain, n in HAZARDOUS_COUNT.items():
        pool = projects.index[(projects["chain"] == chain) & (projects["stage"] != "rd")]
        hazardous[rng.choice(pool, size=min(n, len(pool)), replace=False)] = True
    return hazardous


def min_tiers(projects: pd.DataFrame) -> list[str]:
    """The largest investments need higher-tier parks; hazardous projects at most provincial."""
    rank = projects["investment"].rank(ascending=False, method="first").to_numpy()
    tiers = np.select([rank <= 12, rank <= 32, rank <= 72], ["national", "provincial", "city"], "county")
    return ["provincial" if h and t == "national" else str(t)
            for t, h in zip(tiers, projects["hazardous"], strict=True)]


def relaxed_min_tiers(projects: pd.DataFrame, parks: pd.DataFrame) -> list[str]:
    """Lower a project's minimum tier step by step while fewer than 3 parks would pass the rules."""
    out = []
    for _, project in projects.iterrows():
        p = project.copy()
        while p["min_tier"] != "county" and sum(rules_ok(p, k) for _, k in parks.iterrows()) < 3:
            p["min_tier"] = TIERS[TIER_RANK[p["min_tier"]] - 1]
        out.append(p["min_tier"])
    return out


def hub_needs(projects: pd.DataFrame, rng: np.random.Generator) -> tuple[list[str], list[object]]:
    """About a quarter of the projects need a hub of some kind within a travel time."""
    weights = projects["chain"].map(lambda c: HUB_AFFINITY.get(c, 1.0)).to_numpy()
    chosen = set(rng.choice(len(projects), size=N_HUB_PROJECTS, replace=False, p=weights / weights.sum()))
    kinds: list[str] = []
    minutes: list[object] = []
    for i, (chain, stage) in enumerate(zip(projects["chain"], projects["stage"], strict=True)):
        if i not in chosen:
            kinds.append("")
            minutes.append(pd.NA)
            continue
        options = ("hsr",) if stage in ("rd", "hq") else CHAIN_PARAMS[chain][3]
        kinds.append(str(rng.choice(options)))
        minutes.append(int(rng.choice([30, 45, 60, 90, 120])))
    return kinds, minutes


def source_counties(projects: pd.DataFrame, parks: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    """Mostly a county whose park leads in the project's chain, otherwise any park county."""
    counties = sorted(parks["county"].unique())
    leads = list(zip(parks["county"], parks["leading_chains"].str.split(";"), strict=True))
    own_by_chain = {c: sorted(county for county, chains in leads if c in chains) for c in CHAINS}
    out = []
    for chain in projects["chain"]:
        own = own_by_chain[chain]
        pool = own if own and rng.random() < 0.7 else counties
        out.append(str(rng.choice(pool)))
    return out


def project_table(parks: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The 200 candidate projects (commitments and forbidden parks are added later)."""
    chains = [chain for chain, params in CHAIN_PARAMS.items() for _ in range(params[0])]
    rows = [project_row(str(chain), rng) for chain in rng.permutation(chains)]
    projects = dedupe_names(pd.DataFrame(rows))
    projects.insert(0, "project_id", [f"X{i:03d}" for i in range(1, len(projects) + 1)])
    projects["hazardous"] = mark_hazardous(projects, rng)
    projects["min_tier"] = min_tiers(projects)
    projects["min_tier"] = relaxed_min_tiers(projects, parks)
    projects["needs_hub"], projects["max_hub_minutes"] = hub_needs(projects, rng)
    projects["max_hub_minutes"] = projects["max_hub_minutes"].astype("Int64")
    projects["source_county"] = source_counties(projects, parks, rng)
    projects["status"] = "candidate"
    projects["fixed_park"] = ""
    projects["forbidden_parks"] = ""
    return projects[list(PROJECT_COLUMNS)]


def nearest_hub_minutes(parks: gpd.GeoDataFrame, hubs: gpd.GeoDataFrame) -> pd.DataFrame:
    """Conservative minutes from each park (centroid, or a point inside) to the nearest hub of each kind."""
    parks_gk, hubs_gk = parks.to_crs(CRS_GK), hubs.to_crs(CRS_GK)
    centroids = parks_gk.geometry.centroid
    points = centroids.where(parks_gk.geometry.contains(centroids), parks_gk.geometry.representative_point())
    table = {}
    for kind in HUB_KINDS:
        pts = hubs_gk.geometry[hubs_gk["kind"] == kind]
        table[kind] = [min(p.distance(h) for h in pts) / 1000.0 * CONSERVATIVE_MIN_PER_KM for p in points]
    return pd.DataFrame(table, index=parks["park_id"].to_list())


def hub_ok(project: pd.Series, park_id: str, hub_minutes: pd.DataFrame) -> bool:
    """The project needs no hub, or the park reaches one of the needed kind in time."""
    kind = project["needs_hub"]
    return not kind or hub_minutes.at[park_id, kind] <= project["max_hub_minutes"]


def usable_quotas(parks: pd.DataFrame, excluded: pd.Series) -> pd.DataFrame:
    """Land, energy and emission per park, land reduced by the park's excluded share (a safe reading)."""
    quotas = parks.set_index("park_id")[["land_available_ha", "energy_quota_tce", "emission_quota_t"]].copy()
    quotas["land_available_ha"] *= 1.0 - excluded.reindex(quotas.index)
    return quotas


def choose_committed(projects: pd.DataFrame, parks: pd.DataFrame, eligible: dict[str, list[str]],
                     hub_minutes: pd.DataFrame, excluded: pd.Series,
                     rng: np.random.Generator) -> dict[str, str]:
    """Pick the committed projects with a joint park assignment inside a share of every park's quotas."""
    quotas = usable_quotas(parks, excluded)
    remaining = {k: COMMITTED_SHARE * quotas.loc[k].to_numpy(dtype=float) for k in quotas.index}
    count = dict.fromkeys(parks["park_id"], 0)
    assignment: dict[str, str] = {}
    for i in rng.permutation(len(projects)):
        project = projects.iloc[i]
        pid = project["project_id"]
        if project["land_ha"] > 20 or len(eligible[pid]) < 3:
            continue
        options = [k for k in eligible[pid] if count[k] < 2 and fits_quotas(project, *remaining[k])
                   and hub_ok(project, k, hub_minutes)]
        if not options:
            continue
        park_id = options[int(rng.integers(len(options)))]
        assignment[pid] = park_id
        remaining[park_id] -= project[["land_ha", "energy_tce", "emission_t"]].to_numpy(dtype=float)
        count[park_id] += 1
        if len(assignment) == N_COMMITTED:
            break
    require(len(assignment) == N_COMMITTED, f"only {len(assignment)} projects could be committed")
    return assignment


def apply_commitments(projects: pd.DataFrame, assignment: dict[str, str], eligible: dict[str, list[str]],
                      rng: np.random.Generator) -> pd.DataFrame:
    """Mark committed projects, fix the first few to their park and forbid 1–2 parks for a few candidates."""
    projects = projects.copy()
    committed = projects["project_id"].isin(assignment)
    projects.loc[committed, "status"] = "committed"
    for pid in list(assignment)[:N_FIXED]:
        projects.loc[projects["project_id"] == pid, "fixed_park"] = assignment[pid]
    park_ids = sorted({k for parks in eligible.values() for k in parks})
    for i in rng.choice(projects.index[~committed], size=N_FORBIDDEN, replace=False):
        pool = eligible[projects.at[i, "project_id"]]
        pool = pool if len(pool) >= 4 else park_ids
        picks = rng.choice(pool, size=int(rng.integers(1, 3)), replace=False)
        projects.at[i, "forbidden_parks"] = ";".join(sorted(str(k) for k in picks))
    return projects


# ---------------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------------

def build_links(projects: pd.DataFrame, assignment: dict[str, str], eligible: dict[str, list[str]],
                rng: np.random.Generator) -> pd.DataFrame:
    """Supplier→customer links, mostly within a chain, some across chains, values within supplier output."""
    by_chain = projects.groupby("chain")
    suppliers = {c: g.loc[g["stage"].isin(SUPPLIER_STAGES), "project_id"].to_list() for c, g in by_chain}
    customers = {c: g.loc[g["stage"].isin(CUSTOMER_STAGES), "project_id"].to_list() for c, g in by_chain}
    within = [c for c in CHAINS if suppliers.get(c) and customers.get(c)]
    within_p = np.array([len(suppliers[c]) + len(customers[c]) for c in within], dtype=float)
    left = dict(zip(projects["project_id"], projects["output"].astype(float), strict=True))
    rows: list[tuple[str, str, int, int]] = []
    seen: set[tuple[str, str]] = set()
    for _ in range(50 * N_LINKS):
        if len(rows) == N_LINKS:
            break
        if rng.random() < 0.8:
            a = b = str(rng.choice(within, p=within_p / within_p.sum()))
        else:
            a, b = CROSS_CHAIN_LINKS[int(rng.integers(len(CROSS_CHAIN_LINKS)))]
        s, c = str(rng.choice(suppliers[a])), str(rng.choice(customers[b]))
        both_fixed_apart = s in assignment and c in assignment and assignment[s] != assignment[c]
        if s == c or (s, c) in seen or both_fixed_apart or left[s] < 500:
            continue
        value = min(round(left[s] * rng.uniform(0.02, 0.25), -1), 60000.0, left[s])
        value = max(value, 500.0)
        minutes = int(rng.choice(LINK_MINUTES, p=LINK_MINUTES_P))
        if minutes == 0 and not set(eligible[s]) & set(eligible[c]):
            minutes = int(rng.choice(LINK_MINUTES[1:]))
        rows.append((s, c, int(value), minutes))
        seen.add((s, c))
        left[s] -= value
    require(len(rows) == N_LINKS, f"only {len(rows)} links could be drawn")
    return pd.DataFrame(rows, columns=["supplier_id", "customer_id", "value", "max_minutes"])


# ---------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------

def check_parks(parks: gpd.GeoDataFrame, slope: np.ndarray, transform: rasterio.Affine) -> None:
    """Attributes in range, polygons valid, 4–40 km², disjoint, each on several valid slope cells."""
    require(len(parks) == 30 and parks["park_id"].is_unique, "expected 30 parks with unique IDs")
    require(parks["county"].nunique() >= 15, "parks must sit in at least 15 counties")
    require(parks["chemical_park"].sum() in (3, 4), "expected 3–4 chemical parks")
    for _, park in parks.iterrows():
        leading = park["leading_chains"].split(";")
        allowed = [c for c in park["allowed_chains"].split(";") if c]
        require(1 <= len(leading) <= 3 and set(leading + allowed) <= set(CHAINS), f"{park.park_id}: chains")
        require(2 <= park["max_chains"] <= 5, f"{park.park_id}: max_chains")
        require(40 <= park["land_available_ha"] <= 700, f"{park.park_id}: land_available_ha out of range")
        require(8 <= park["min_tax_per_mu"] <= 30, f"{park.park_id}: min_tax_per_mu out of range")
    require(bool(shapely.is_valid(parks.geometry.to_numpy()).all()), "invalid park polygon")
    areas = parks.to_crs(CRS_GK).area / 1e6
    require(bool(areas.between(4, 40).all()), f"park areas {areas.min():.1f}–{areas.max():.1f} km², not 4–40")
    geoms = parks.geometry.to_list()
    overlaps = [(i, j) for i in range(len(geoms)) for j in range(i + 1, len(geoms))
                if geoms[i].intersects(geoms[j])]
    require(not overlaps, f"park polygons overlap: {overlaps}")
    for pid, geom in zip(parks["park_id"], geoms, strict=True):
        inside = geometry_mask([geom], out_shape=slope.shape, transform=transform, invert=True)
        require(int((inside & (slope != -9999.0)).sum()) >= 4, f"{pid}: fewer than 4 valid slope cells")


def excluded_share(exclusions: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> pd.Series:
    """Per park, the share of its polygon inside any exclusion zone."""
    parks_gk = parks.to_crs(CRS_GK)
    union = exclusions.to_crs(CRS_GK).geometry.union_all()
    return pd.Series(parks_gk.intersection(union).area.to_numpy() / parks_gk.area.to_numpy(),
                     index=parks["park_id"].to_list())


def check_exclusions(exclusions: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, share: pd.Series) -> None:
    """12–20 valid polygons, at least 6 parks partly cut, none covered."""
    require(12 <= len(exclusions) <= 20, "expected 12–20 exclusion polygons")
    kinds = {"ecological_redline", "basic_farmland", "urban_boundary"}
    require(set(exclusions["kind"]) <= kinds, "unknown exclusion kind")
    require(bool(shapely.is_valid(exclusions.geometry.to_numpy()).all()), "invalid exclusion polygon")
    parks_gk = parks.to_crs(CRS_GK)
    for geom in exclusions.geometry:
        require(not parks_gk.geometry.covered_by(geom).any(), "an exclusion polygon covers a whole park")
    require(int(((share > 0) & (share < 1)).sum()) >= 6, "fewer than 6 parks partly excluded")
    require(float(share.max()) < 0.8, "a park loses more than 80 % of its polygon to exclusions")


def check_projects(projects: pd.DataFrame, eligible: dict[str, list[str]]) -> None:
    """Vocabularies, ranges and the money/energy relations stated in the README."""
    require(len(projects) == 200 and projects["project_id"].is_unique, "expected 200 unique projects")
    require(projects["chain"].nunique() >= 10 and set(projects["chain"]) <= set(CHAINS), "chain vocabulary")
    require(bool(projects["land_ha"].between(2, 60).all()), "land_ha out of 2–60")
    intensity = projects["investment"] / (projects["land_ha"] * MU_PER_HA)
    require(bool(intensity.between(179, 901).all()), "investment intensity out of 180–900 万元/亩")
    for num, den, lo, hi in (("output", "investment", 0.79, 2.51), ("tax", "output", 0.039, 0.091),
                             ("emission_t", "energy_tce", 2.49, 2.71)):
        require(bool((projects[num] / projects[den]).between(lo, hi).all()), f"{num}/{den} out of {lo}–{hi}")
    hub = projects["needs_hub"] != ""
    require(set(projects.loc[hub, "needs_hub"]) <= set(HUB_KINDS), "needs_hub vocabulary")
    require(bool(projects.loc[hub, "max_hub_minutes"].between(30, 120).all()), "max_hub_minutes not 30–120")
    require(bool(projects.loc[~hub, "max_hub_minutes"].isna().all()), "max_hub_minutes without needs_hub")
    require(set(projects["source_county"]) <= set(PARK_COUNTIES), "source_county not a park county")
    for _, p in projects[projects["forbidden_parks"] != ""].iterrows():
        require(p["fixed_park"] not in p["forbidden_parks"].split(";"), f"{p.project_id}: fixed & forbidden")
    committed = projects.loc[projects["status"] == "committed", "project_id"]
    require(all(len(eligible[pid]) >= 3 for pid in committed), "a committed project has < 3 eligible parks")


def check_committed(projects: pd.DataFrame, parks: pd.DataFrame, assignment: dict[str, str],
                    hub_minutes: pd.DataFrame, excluded: pd.Series) -> None:
    """Every committed project passes every rule in its park and all of them fit the quotas together.

    Land is checked against the free land net of the park's excluded share, so the guarantee holds
    whether or not a tool deducts exclusion zones from a park's free land.
    """
    committed = projects[projects["status"] == "committed"]
    require(len(committed) == N_COMMITTED, f"expected {N_COMMITTED} committed projects")
    require(set(committed["project_id"]) == set(assignment), "committed projects differ from the assignment")
    require(int((projects["fixed_park"] != "").sum()) == N_FIXED, f"expected {N_FIXED} fixed projects")
    fixed_status = set(projects.loc[projects["fixed_park"] != "", "status"])
    require(fixed_status == {"committed"}, "a fixed project is not committed")
    by_id = parks.set_index("park_id")
    used = pd.DataFrame(0.0, index=by_id.index, columns=["land_ha", "energy_tce", "emission_t"])
    for _, p in committed.iterrows():
        park_id = assignment[p["project_id"]]
        park = by_id.loc[park_id].copy()
        park["park_id"] = park_id
        require(rules_ok(p, park), f"{p.project_id} breaks a rule in {park_id}")
        require(hub_ok(p, park_id, hub_minutes), f"{p.project_id} misses its hub from {park_id}")
        require(p["fixed_park"] in ("", park_id), f"{p.project_id}: fixed park differs from its assignment")
        require(park_id not in p["forbidden_parks"].split(";"), f"{p.project_id}: in a forbidden park")
        used.loc[park_id] += p[["land_ha", "energy_tce", "emission_t"]].to_numpy(dtype=float)
    quotas = usable_quotas(parks, excluded).to_numpy()
    require(bool((used.to_numpy() <= quotas).all()), "committed projects exceed a park quota together")


def check_links(links: pd.DataFrame, projects: pd.DataFrame) -> None:
    """300 links between existing projects, no self or duplicate links, values within supplier output."""
    ids = set(projects["project_id"])
    require(len(links) == N_LINKS, f"expected {N_LINKS} links")
    require(bool(links["supplier_id"].isin(ids).all() and links["customer_id"].isin(ids).all()), "unknown ID")
    require(not (links["supplier_id"] == links["customer_id"]).any(), "self link")
    require(not links.duplicated(["supplier_id", "customer_id"]).any(), "duplicate link")
    require(bool(links["value"].between(500, 60000).all()), "link value out of 500–60,000")
    output = projects.set_index("project_id")["output"]
    supplied = links.groupby("supplier_id")["value"].sum()
    require(bool((supplied <= output.loc[supplied.index]).all()), "links exceed a supplier's output")
    require(set(links["max_minutes"]) <= set(LINK_MINUTES), "max_minutes vocabulary")



# ---------------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------------

def remove_existing(path: Path) -> None:
    """Delete ``path`` and, for a shapefile, its sidecar files, so every run writes from scratch."""
    suffixes = (".shp", ".shx", ".dbf", ".prj", ".cpg") if path.suffix == ".shp" else (path.suffix,)
    for suffix in suffixes:
        path.with_suffix(suffix).unlink(missing_ok=True)


def write_vector(gdf: gpd.GeoDataFrame, path: Path, driver: str, **kwargs: object) -> None:
    """Write one vector layer with pyogrio and an explicit driver."""
    remove_existing(path)
    gdf.to_file(path, driver=driver, engine="pyogrio", **kwargs)


def write_slope(slope: np.ndarray, transform: rasterio.Affine, path: Path) -> None:
    """Float32, deflate-compressed GeoTIFF in EPSG:4490 with nodata -9999."""
    remove_existing(path)
    profile = {"driver": "GTiff", "height": slope.shape[0], "width": slope.shape[1], "count": 1,
               "dtype": "float32", "crs": CRS_GEO, "transform": transform, "nodata": -9999.0,
               "compress": "deflate", "predictor": 3, "tiled": True, "blockxsize": 256, "blockysize": 256}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(slope, 1)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8, comma-separated, header row, Unix line ends, booleans as ``true``/``false``."""
    out = df.copy()
    for col in out.select_dtypes(bool).columns:
        out[col] = out[col].map({True: "true", False: "false"})
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_roads(parks: gpd.GeoDataFrame, hubs: gpd.GeoDataFrame, path: Path) -> None:
    """OSM XML of the main roads: motorways and national roads between the cities, plus a spur to every park.

    The routes follow the real expressways (京港澳 G4, 连霍 G30, 二广 G55, 大广 G45, 宁洛 G36, 沪陕 G40, 晋新
    G5512) and national roads (G107, G310) through the cities they serve, as straight legs between city
    waypoints with a node every ~2 km; the geometry is schematic. Roads meet at shared city nodes. Each park
    point (the polygon's centroid, or a point inside when the centroid falls outside) and each hub gets a
    spur to the nearest motorway or national-road node: primary when longer than 15 km, else secondary. All
    ways are two-way (``oneway=no``). No random numbers are used, so the file is the same on every run.
    """
    cities = {
        "安阳": (114.35, 36.10), "鹤壁": (114.25, 35.72), "新乡": (113.93, 35.30), "郑州": (113.72, 34.83),
        "航空港": (113.84, 34.50), "许昌": (113.85, 34.05), "漯河": (113.97, 33.58), "驻马店": (114.03, 32.98),
        "信阳": (114.10, 32.17), "三门峡": (111.22, 34.76), "义马": (111.88, 34.76), "洛阳": (112.45, 34.70),
        "巩义": (113.03, 34.73), "开封": (114.33, 34.82), "民权": (115.15, 34.66), "商丘": (115.63, 34.42),
        "济源": (112.60, 35.08), "汝州": (112.84, 34.17), "南召": (112.43, 33.49), "南阳": (112.44, 33.06),
        "濮阳": (115.03, 35.74), "滑县": (114.52, 35.57), "长垣": (114.67, 35.22), "通许": (114.47, 34.48),
        "太康": (114.85, 34.06), "周口": (114.68, 33.60), "项城": (114.88, 33.45), "新蔡": (114.98, 32.75),
        "潢川": (115.05, 32.13), "焦作": (113.24, 35.22), "平顶山": (113.30, 33.74), "叶县": (113.36, 33.62),
        "桐柏": (113.42, 32.37),
    }
    # highway, name, ref, waypoints (city names, or (lon, lat) bends of the national roads between cities)
    routes: tuple[tuple[str, str, str, tuple[str | tuple[float, float], ...]], ...] = (
        ("motorway", "京港澳高速", "G4", ("安阳", "鹤壁", "新乡", "郑州", "航空港", "许昌", "漯河", "驻马店", "信阳")),
        ("motorway", "连霍高速", "G30", ("三门峡", "义马", "洛阳", "巩义", "郑州", "开封", "民权", "商丘")),
        ("motorway", "二广高速", "G55", ("济源", "洛阳", "汝州", "南召", "南阳")),
        ("motorway", "大广高速", "G45",
         ("濮阳", "滑县", "长垣", "开封", "通许", "太康", "周口", "项城", "新蔡", "潢川")),
        ("motorway", "宁洛高速", "G36", ("洛阳", "汝州", "平顶山", "叶县", "漯河", "周口")),
        ("motorway", "沪陕高速", "G40", ("南阳", "桐柏", "信阳", "潢川")),
        ("motorway", "晋新高速", "G5512", ("济源", "焦作", "新乡")),
        ("trunk", "107国道", "G107",
         ("安阳", (114.22, 35.92), "鹤壁", (114.05, 35.52), "新乡", (113.78, 35.05), "郑州", (113.70, 34.45),
          "许昌", (113.88, 33.82), "漯河", (113.96, 33.28), "驻马店", (114.00, 32.58), "信阳")),
        ("trunk", "310国道", "G310",
         ("三门峡", (111.55, 34.72), "义马", (112.15, 34.66), "洛阳", (112.75, 34.66), "巩义",
          (113.38, 34.77), "郑州", (114.02, 34.76), "开封", (114.75, 34.72), "民权", (115.40, 34.58), "商丘")),
    )
    step_km = 2.0
    node_ids: dict[tuple[float, float], int] = {}

    def node(lon: float, lat: float) -> int:
        return node_ids.setdefault((round(lon, 7), round(lat, 7)), len(node_ids) + 1)

    def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
        mid_lat = math.radians((a[1] + b[1]) / 2)
        return math.hypot((b[0] - a[0]) * 111.32 * math.cos(mid_lat), (b[1] - a[1]) * 110.57)

    def line(points: list[tuple[float, float]]) -> list[int]:
        """Node IDs along straight legs between ``points``, one node every ``step_km`` or less."""
        refs = [node(*points[0])]
        for i in range(1, len(points)):
            a, b = points[i - 1], points[i]
            n = max(1, math.ceil(km_between(a, b) / step_km))
            refs += [node(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n) for k in range(1, n + 1)]
        return refs

    ways: list[tuple[list[int], dict[str, str]]] = []
    for highway, name, ref, waypoints in routes:
        points = [cities[w] if isinstance(w, str) else w for w in waypoints]
        ways.append((line(points), {"highway": highway, "name": name, "ref": ref, "oneway": "no"}))
    backbone = np.array(list(node_ids), dtype=float)  # (lon, lat) of every motorway and national-road node

    parks_gk = parks.to_crs(CRS_GK)
    centroids = parks_gk.geometry.centroid
    inside = centroids.where(parks_gk.geometry.contains(centroids), parks_gk.geometry.representative_point())
    park_xy = gpd.GeoSeries(inside, crs=CRS_GK).to_crs(CRS_GEO)
    hub_xy = hubs.geometry
    targets = [(f"{name}连接线", p.x, p.y) for name, p in zip(parks["name"], park_xy, strict=True)]
    targets += [(f"{name}连接线", p.x, p.y) for name, p in zip(hubs["name"], hub_xy, strict=True)]
    for name, lon, lat in targets:
        scale = np.array([111.32 * math.cos(math.radians(lat)), 110.57])
        dist = np.hypot(*((backbone - (lon, lat)) * scale).T)
        nearest = int(np.argmin(dist))
        if dist[nearest] < 0.01:
            continue
        start = (float(backbone[nearest, 0]), float(backbone[nearest, 1]))
        highway = "primary" if dist[nearest] > 15.0 else "secondary"
        ways.append((line([start, (lon, lat)]), {"highway": highway, "name": name, "oneway": "no"}))

    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<osm version="0.6" generator="data/gis/make_demo.py (schematic demo roads)">']
    lines += [f'  <node id="{i}" lat="{lat:.7f}" lon="{lon:.7f}"/>' for (lon, lat), i in node_ids.items()]
    for way_id, (refs, tags) in enumerate(ways, start=1):
        lines.append(f'  <way id="{way_id}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    remove_existing(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------------

def energy_binding_parks(projects: pd.DataFrame, parks: pd.DataFrame,
                         eligible: dict[str, list[str]]) -> list[str]:
    """Parks whose energy quota per hectare is below the energy density of their likely tenants."""
    density = tenant_energy_density(parks, projects, eligible)
    per_ha = parks.set_index("park_id")["energy_quota_tce"] / parks.set_index("park_id")["land_available_ha"]
    return per_ha.index[per_ha < density].to_list()


def print_summary(projects: pd.DataFrame, parks: pd.DataFrame, links: pd.DataFrame,
                  eligible: dict[str, list[str]], assignment: dict[str, str], excluded: pd.Series) -> None:
    """Totals of demand vs supply, counts per chain and the committed assignment."""
    for label, demand, supply, unit in (("land", "land_ha", "land_available_ha", "ha"),
                                        ("energy", "energy_tce", "energy_quota_tce", "tce/yr"),
                                        ("emission", "emission_t", "emission_quota_t", "t/yr")):
        d, s = projects[demand].sum(), parks[supply].sum()
        print(f"{label:>8} demand vs supply: {d:,.0f} vs {s:,.0f} {unit} (×{d / s:.2f})")
    counts = {"hazardous": int(projects["hazardous"].sum()),
              "needs_hub": int((projects["needs_hub"] != "").sum()),
              "forbidden_parks": int((projects["forbidden_parks"] != "").sum())}
    print(f"project land median {projects['land_ha'].median():.1f} ha;",
          "; ".join(f"{k} {v}" for k, v in counts.items()))
    print("projects per chain:", ", ".join(f"{c} {n}" for c, n in projects["chain"].value_counts().items()))
    n_eligible = pd.Series({pid: len(v) for pid, v in eligible.items()})
    few = ", ".join(n_eligible.index[n_eligible < 3]) or "none"
    print(f"eligible parks per project (rules only): min {n_eligible.min()}, "
          f"median {n_eligible.median():.0f}; fewer than 3: {few}")
    print("parks where energy binds before land:", ", ".join(energy_binding_parks(projects, parks, eligible)))
    cut = excluded[excluded > 0]
    print(f"parks partly excluded: {len(cut)} ({', '.join(f'{k} {v:.0%}' for k, v in cut.items())})")
    fixed = dict(zip(projects["project_id"], projects["fixed_park"], strict=True))
    pairs = ", ".join(f"{pid}→{k}{'*' if fixed[pid] else ''}" for pid, k in sorted(assignment.items()))
    print(f"committed, jointly feasible (* = fixed_park): {pairs}")
    chain = projects.set_index("project_id")["chain"]
    cross = int((links["supplier_id"].map(chain) != links["customer_id"].map(chain)).sum())
    same_park = int((links["max_minutes"] == 0).sum())
    print(f"links: {len(links)}, same park (0 min) {same_park}, cross-chain {cross}")


def main() -> None:
    """Build every layer from one seeded generator, check the guarantees and write the files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "demo")
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    os.environ["OGR_CURRENT_DATE"] = "2026-01-01T00:00:00Z"

    rng = np.random.default_rng(SEED)
    parks = park_table(rng)
    projects = project_table(parks, rng)
    parks = park_polygons(set_park_quotas(parks, projects, rng), rng)
    hubs, corridors = hubs_layer(), corridors_layer()
    exclusions = exclusions_layer(parks, rng)
    slope, transform = slope_grid(rng)
    eligible = eligible_parks(projects, parks)
    hub_minutes = nearest_hub_minutes(parks, hubs)
    excluded = excluded_share(exclusions, parks)
    assignment = choose_committed(projects, parks, eligible, hub_minutes, excluded, rng)
    projects = apply_commitments(projects, assignment, eligible, rng)
    links = build_links(projects, assignment, eligible, rng)

    check_parks(parks, slope, transform)
    check_exclusions(exclusions, parks, excluded)
    check_projects(projects, eligible)
    check_committed(projects, parks, assignment, hub_minutes, excluded)
    check_links(links, projects)

    write_vector(parks, out / "parks.gpkg", "GPKG", layer="parks")
    write_vector(hubs, out / "hubs.geojson", "GeoJSON")
    write_vector(corridors, out / "corridors.gpkg", "GPKG", layer="corridors")
    write_vector(exclusions, out / "exclusions.shp", "ESRI Shapefile", encoding="UTF-8")
    write_slope(slope, transform, out / "slope.tif")
    write_csv(projects, out / "projects.csv")
    write_csv(links, out / "links.csv")
    write_roads(parks, hubs, out / "roads.osm")
    print_summary(projects, parks, links, eligible, assignment, excluded)


if __name__ == "__main__":
    main()
