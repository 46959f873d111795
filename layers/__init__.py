"""GIS layers: reading and validating, coordinate systems, overlays and travel times."""

from ._errors import InputError, Problem, Problems
from ._validate import Field, convert, id_label, parse_table
from .crs import CGCS2000, choose_work_crs, crs_label, gauss_kruger_zone
from .exclusions import effective_land, exclusion_overlay
from .overlay import parks_on_belts
from .read import read_csv, read_layer
from .roads import road_travel_times
from .travel import TravelTimes, park_points, straight_line_times
from .zonal import zonal_stats

__all__ = [
    "CGCS2000",
    "Field",
    "InputError",
    "Problem",
    "Problems",
    "TravelTimes",
    "choose_work_crs",
    "convert",
    "crs_label",
    "effective_land",
    "exclusion_overlay",
    "gauss_kruger_zone",
    "id_label",
    "park_points",
    "parks_on_belts",
    "parse_table",
    "read_csv",
    "read_layer",
    "road_travel_times",
    "straight_line_times",
    "zonal_stats",
]
