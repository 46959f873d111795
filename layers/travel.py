"""Travel times between parks and to hubs.

Without a road network the time is the straight-line distance in the projected working CRS times a
circuity factor, divided by an average speed; the method is named in every output that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TravelTimes:
    """Minutes between parks and from parks to hubs, as tables keyed by IDs.

    Attributes
    ----------
    park_park
        Square table, index and columns ``park_id``.
    park_hub
        Index ``park_id``, columns ``hub_id``.
    method
        Plain-words description of how the minutes were obtained.
    """

    park_park: pd.DataFrame
    park_hub: pd.DataFrame
    method: str

    def nearest_hub(self, hub_kinds: pd.Series) -> pd.DataFrame:
        """Per park and hub kind, the nearest hub and its minutes (columns ``park_id, kind, hub_id, minutes``)."""
        rows = []
        for kind in sorted(set(hub_kinds)):
            ids = hub_kinds.index[hub_kinds == kind]
            sub = self.park_hub[ids]
            best = sub.idxmin(axis=1)
            for park_id, hub_id in best.items():
                rows.append((park_id, kind, hub_id, float(sub.at[park_id, hub_id])))
        return pd.DataFrame(rows, columns=["park_id", "kind", "hub_id", "minutes"])


def park_points(parks: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The point that stands for a park: its gate if given, else a point inside the polygon.

    A gate is given by the optional columns ``gate_lon`` and ``gate_lat`` (CGCS2000 / WGS84 degrees),
    e.g. the main entrance where trucks join the road network. Without one, the centroid is used when
    it lies inside the polygon, else a representative point.
    """
    centroids = parks.geometry.centroid
    inside = parks.geometry.contains(centroids)
    points = centroids.where(inside, parks.geometry.representative_point())
    if {"gate_lon", "gate_lat"} <= set(parks.columns):
        lon = pd.to_numeric(parks["gate_lon"], errors="coerce")
        lat = pd.to_numeric(parks["gate_lat"], errors="coerce")
        has_gate = (lon.notna() & lat.notna()).to_numpy()
        if has_gate.any():
            gates = gpd.GeoSeries(gpd.points_from_xy(lon.fillna(0), lat.fillna(0)), index=parks.index,
                                  crs="EPSG:4490").to_crs(parks.crs)
            points = gpd.GeoSeries(np.where(has_gate, gates.to_numpy(), points.to_numpy()), index=parks.index,
                                   crs=parks.crs)
    return points


def straight_line_times(
    parks: gpd.GeoDataFrame, hubs: gpd.GeoDataFrame, *, circuity: float, speed_kmh: float
) -> TravelTimes:
    """Travel times from straight-line distance; both layers must be in the same projected CRS (metres)."""
    if parks.crs is None or not parks.crs.is_projected or parks.crs != hubs.crs:
        raise ValueError("straight-line times need parks and hubs in one projected CRS; reproject them first")
    points = park_points(parks)
    pxy = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    hxy = np.column_stack([hubs.geometry.x.to_numpy(), hubs.geometry.y.to_numpy()])
    factor = circuity / (speed_kmh * 1000.0) * 60.0  # metres → minutes

    def minutes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) * factor

    park_ids = parks["park_id"].tolist()
    return TravelTimes(
        park_park=pd.DataFrame(minutes(pxy, pxy), index=park_ids, columns=park_ids),
        park_hub=pd.DataFrame(minutes(pxy, hxy), index=park_ids, columns=hubs["hub_id"].tolist()),
        method=(f"straight-line distance × circuity {circuity:g} ÷ {speed_kmh:g} km/h "
                "(no road network given)"),
    )
