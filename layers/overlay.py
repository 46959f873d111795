"""Overlays of parks with corridors (belts)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


def parks_on_belts(parks: gpd.GeoDataFrame, corridors: gpd.GeoDataFrame) -> pd.DataFrame:
    """Which parks lie on which belts: the park polygon meets the corridor buffered by ``buffer_km``.

    Both layers must be in one projected CRS (metres). Returns columns ``park_id, corridor_id``.
    """
    if corridors is None or corridors.empty:
        return pd.DataFrame(columns=["park_id", "corridor_id"])
    if parks.crs is None or not parks.crs.is_projected or parks.crs != corridors.crs:
        raise ValueError("belt overlay needs parks and corridors in one projected CRS; reproject them first")
    buffers = gpd.GeoDataFrame(
        {"corridor_id": corridors["corridor_id"].to_numpy()},
        geometry=corridors.geometry.buffer(corridors["buffer_km"].to_numpy(dtype=float) * 1000.0),
        crs=corridors.crs,
    )
    joined = gpd.sjoin(parks[["park_id", "geometry"]], buffers, predicate="intersects", how="inner")
    return (joined[["park_id", "corridor_id"]].drop_duplicates()
            .sort_values(["park_id", "corridor_id"]).reset_index(drop=True))
