"""Coordinate systems: a projected working CRS for areas, buffers and distances; CGCS2000 for outputs."""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

CGCS2000 = CRS.from_epsg(4490)


def gauss_kruger_zone(lon: float) -> CRS:
    """The CGCS2000 3-degree Gauss–Krüger zone (no zone prefix) whose central meridian is nearest ``lon``.

    EPSG:4534 has its central meridian at 75°E, EPSG:4554 at 135°E; 114°E gives EPSG:4547.
    """
    central = 3 * round(lon / 3)
    if not 75 <= central <= 135:
        raise ValueError(f"longitude {lon:.3f} is outside China's Gauss–Krüger zones (75°E–135°E); set crs.work")
    return CRS.from_epsg(4534 + (central - 75) // 3)


def choose_work_crs(frame: gpd.GeoDataFrame, setting: str | int | None = "auto") -> CRS:
    """The projected CRS in which to measure: ``setting`` if given, else the GK zone of the layer's centre."""
    if setting not in (None, "auto"):
        crs = CRS.from_user_input(setting)
        if not crs.is_projected:
            raise ValueError(f"crs.work must be a projected CRS (metres), got {crs.to_string()}")
        return crs
    centre = frame.to_crs(CGCS2000).union_all().centroid
    return gauss_kruger_zone(centre.x)


def crs_label(crs: CRS | None) -> str:
    if crs is None:
        return "none"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name
