"""Exclusion zones (ecological redline, basic farmland, urban boundary, ...) overlaid on park polygons.

Land inside an exclusion zone cannot be built on. Per park this gives the area inside each kind of zone,
the area inside any zone (counted once where zones overlap) and what is left.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

M2_PER_HA = 10_000.0


def exclusion_overlay(parks: gpd.GeoDataFrame, exclusions: gpd.GeoDataFrame) -> pd.DataFrame:
    """Hectares of each park inside exclusion zones, per kind and in total, and the usable rest.

    Parameters
    ----------
    parks
        Park polygons with a ``park_id`` column, in a projected CRS with metre units (e.g. EPSG:4547).
    exclusions
        Exclusion polygons with a ``kind`` column (e.g. ``ecological_redline``, ``basic_farmland``,
        ``urban_boundary``), in the same CRS as ``parks``. May have 0 rows (then nothing is excluded).

    Returns
    -------
    pandas.DataFrame
        One row per park, in the input order, with columns:

        - ``park_id``;
        - ``area_ha``: area of the park polygon (ha);
        - ``excluded_ha_<kind>``, one per kind present in ``exclusions`` (sorted by kind): area of the
          park inside the union of that kind's polygons (ha); overlapping polygons of one kind count once;
        - ``excluded_ha``: area of the park inside the union of all exclusion polygons (ha), counted once
          where kinds overlap, so it can be less than the sum of the per-kind columns;
        - ``usable_ha``: ``area_ha - excluded_ha`` (ha, never negative).

    Raises
    ------
    ValueError
        Either layer has no CRS or a CRS other than one shared projected CRS in metres; ``parks`` lacks
        ``park_id``; ``exclusions`` lacks ``kind`` or has an empty ``kind``.

    Notes
    -----
    Invalid polygons (e.g. self-intersecting rings) are repaired with ``shapely.make_valid`` before
    measuring. 1 ha = 10,000 m².
    """
    _check_inputs(parks, exclusions)
    park_geoms = _valid(parks.geometry.to_numpy())
    area_ha = shapely.area(park_geoms) / M2_PER_HA

    if len(exclusions):
        kinds_all = exclusions["kind"].astype(str).to_numpy()
        excl_geoms = _valid(exclusions.geometry.to_numpy())
    else:
        kinds_all = np.array([], dtype=object)
        excl_geoms = np.array([], dtype=object)
    kinds = sorted(set(kinds_all))

    per_kind = {kind: np.zeros(len(parks)) for kind in kinds}
    total = np.zeros(len(parks))
    if len(excl_geoms) and len(park_geoms):
        tree = shapely.STRtree(excl_geoms)
        park_idx, excl_idx = tree.query(park_geoms, predicate="intersects")
        order = np.argsort(park_idx, kind="stable")
        park_idx, excl_idx = park_idx[order], excl_idx[order]
        hit_parks, starts = np.unique(park_idx, return_index=True)
        for i, hits in zip(hit_parks, np.split(excl_idx, starts[1:])):
            # Clip each zone to the park first: the unions then stay as small as the park.
            pieces = shapely.intersection(park_geoms[i], excl_geoms[hits])
            hit_kinds = kinds_all[hits]
            for kind in set(hit_kinds):
                per_kind[kind][i] = shapely.area(shapely.union_all(pieces[hit_kinds == kind])) / M2_PER_HA
            total[i] = shapely.area(shapely.union_all(pieces)) / M2_PER_HA

    total = np.minimum(total, area_ha)
    out = pd.DataFrame({"park_id": parks["park_id"].to_numpy(), "area_ha": area_ha})
    for kind in kinds:
        out[f"excluded_ha_{kind}"] = np.minimum(per_kind[kind], area_ha)
    out["excluded_ha"] = total
    out["usable_ha"] = np.maximum(area_ha - total, 0.0)
    return out


def effective_land(land_available_ha: pd.Series, usable_ha: pd.Series) -> pd.Series:
    """Free land a park can really offer: the smaller of its declared free land and its usable area.

    Parameters
    ----------
    land_available_ha
        Declared free industrial land per park (ha), indexed by ``park_id``.
    usable_ha
        Park area outside exclusion zones (ha), from :func:`exclusion_overlay`, with the same index.

    Returns
    -------
    pandas.Series
        Elementwise ``min(land_available_ha, usable_ha)`` (ha), same index, named ``effective_land_ha``.
        Where ``usable_ha`` is NaN (no overlay result) the declared land is kept; where
        ``land_available_ha`` is NaN the result stays NaN.

    Raises
    ------
    ValueError
        The two series do not have the same index.
    """
    if not land_available_ha.index.equals(usable_ha.index):
        raise ValueError(
            "effective_land: land_available_ha and usable_ha must have the same index "
            "(fix: index both by park_id, e.g. overlay.set_index('park_id')['usable_ha'])"
        )
    land = land_available_ha.astype(float)
    usable = usable_ha.astype(float)
    return land.mask(usable.notna() & (usable < land), usable).rename("effective_land_ha")


def _valid(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` with invalid ones repaired to their polygonal part (collapsed lines and points dropped)."""
    geoms = np.asarray(geoms, dtype=object).copy()
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    return geoms


def _check_inputs(parks: gpd.GeoDataFrame, exclusions: gpd.GeoDataFrame) -> None:
    if "park_id" not in parks.columns:
        raise ValueError("exclusion overlay: parks need a 'park_id' column")
    crs = parks.crs
    if crs is None or not crs.is_projected or not _in_metres(crs):
        raise ValueError(
            f"exclusion overlay needs parks in a projected CRS in metres, got {crs.to_string() if crs else 'none'}; "
            "reproject them first, e.g. parks.to_crs(4547)"
        )
    if len(exclusions) == 0 and exclusions.crs is None:
        return  # nothing to overlay; an empty frame built without a CRS is fine
    if exclusions.crs is None or not crs.equals(exclusions.crs):
        got = exclusions.crs.to_string() if exclusions.crs else "none"
        raise ValueError(
            f"exclusion overlay needs exclusions in the parks' CRS ({crs.to_string()}), got {got}; "
            f"reproject them first, e.g. exclusions.to_crs(parks.crs)"
        )
    if len(exclusions) == 0:
        return
    if "kind" not in exclusions.columns:
        raise ValueError("exclusion overlay: exclusions need a 'kind' column (e.g. ecological_redline)")
    blank = exclusions["kind"].isna() | (exclusions["kind"].astype(str).str.strip() == "")
    if blank.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(blank.to_numpy())[:10])
        raise ValueError(f"exclusion overlay: exclusions rows {rows} have an empty 'kind'")


def _in_metres(crs) -> bool:
    units = {axis.unit_name.lower() for axis in crs.axis_info}
    return bool(units) and units <= {"metre", "meter", "m"}
