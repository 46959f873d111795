"""The assignment problem as plain tables keyed by IDs.

This module knows nothing about geography, parks or projects: an *item* (a project) may be put into at
most one *bin* (a park), or exactly one when it is mandatory; each eligible (item, bin) *pair* has a
score and a use of each resource; *capacity rows* bound the use of one resource over a group of bins
(one bin for a park's land, several for a county's energy cap).

Formulation (every family is named in the model with the IDs it concerns)::

    maximise    Σ_k score_k · x_k                                  (k over eligible pairs)
    assign_i:   Σ_{k ∈ pairs(i)} x_k  ≤ 1     (= 1 when item i is mandatory)
    cap_r:      Σ_{k : bin(k) ∈ bins(r)} use_{res(r),k} · x_k ≤ capacity_r
    x_k ∈ {0, 1}

With every item mandatory and the scores negated this is the generalized assignment problem (GAP).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._errors import ProblemError


@dataclass(frozen=True)
class CapacityRow:
    """One capacity constraint: the use of ``resource`` over ``bins`` is at most ``capacity``.

    Parameters
    ----------
    name
        Stable identifier of the row, e.g. ``"land[P07]"``; used in diagnoses and shadow prices.
    resource
        Name of the resource column in the pair table (``"land"``, ``"energy"``, ...).
    bins
        Indices into :attr:`AssignmentProblem.bins` that share this capacity.
    capacity
        Upper bound, in the resource's unit.
    label
        Plain-words description for reports, e.g. ``"park P07 land (ha)"``.
    """

    name: str
    resource: str
    bins: tuple[int, ...]
    capacity: float
    label: str = ""


@dataclass(frozen=True)
class AssignmentProblem:
    """A generalized assignment problem with optional items, built from plain tables.

    Build it with :meth:`from_tables`; the arrays are read-only views of the input.
    """

    items: tuple[str, ...]
    bins: tuple[str, ...]
    pair_item: np.ndarray
    pair_bin: np.ndarray
    pair_score: np.ndarray
    pair_use: Mapping[str, np.ndarray]
    capacities: tuple[CapacityRow, ...]
    mandatory: np.ndarray
    name: str = "siting"

    @classmethod
    def from_tables(
        cls,
        pairs: pd.DataFrame,
        capacities: pd.DataFrame,
        *,
        items: Sequence[str],
        bins: Sequence[str],
        mandatory: Sequence[str] = (),
        resources: Sequence[str] = (),
        name: str = "siting",
    ) -> AssignmentProblem:
        """Build a problem from ID-keyed tables.

        Parameters
        ----------
        pairs
            One row per eligible pair: columns ``item``, ``bin``, ``score`` and one column per resource.
        capacities
            One row per (constraint, bin): columns ``name``, ``resource``, ``bin``, ``capacity`` and
            optionally ``label``; rows sharing a ``name`` form one constraint over several bins.
        items, bins
            Every item and bin ID, in a fixed order (the order makes solutions deterministic).
        mandatory
            IDs of the items that must be assigned.
        resources
            Resource columns of ``pairs`` to read; by default every resource named in ``capacities``.
        """
        item_index = {item: n for n, item in enumerate(items)}
        bin_index = {b: n for n, b in enumerate(bins)}
        problems = []
        if len(item_index) != len(items):
            problems.append("item IDs are not unique")
        if len(bin_index) != len(bins):
            problems.append("bin IDs are not unique")
        unknown_items = sorted(set(pairs["item"]) - item_index.keys())
        unknown_bins = sorted((set(pairs["bin"]) | set(capacities["bin"])) - bin_index.keys())
        unknown_mandatory = sorted(set(mandatory) - item_index.keys())
        for what, ids in (("items", unknown_items), ("bins", unknown_bins), ("mandatory items", unknown_mandatory)):
            if ids:
                problems.append(f"unknown {what}: {', '.join(map(str, ids[:10]))}")
        if pairs.duplicated(["item", "bin"]).any():
            problems.append("a pair (item, bin) appears twice")
        resources = list(resources) or sorted(set(capacities["resource"]))
        missing = [r for r in resources if r not in pairs.columns]
        if missing:
            problems.append(f"pair table lacks resource columns: {', '.join(missing)}")
        if problems:
            raise ProblemError("; ".join(problems))

        pair_item = pairs["item"].map(item_index).to_numpy(dtype=np.int64)
        pair_bin = pairs["bin"].map(bin_index).to_numpy(dtype=np.int64)
        rows = []
        for row_name, group in capacities.groupby("name", sort=False):
            resource_names = set(group["resource"])
            caps = set(group["capacity"].astype(float))
            if len(resource_names) != 1 or len(caps) != 1:
                raise ProblemError(f"capacity row {row_name!r} mixes resources or capacities")
            label = str(group["label"].iloc[0]) if "label" in group else str(row_name)
            rows.append(
                CapacityRow(
                    name=str(row_name),
                    resource=resource_names.pop(),
                    bins=tuple(sorted(bin_index[b] for b in group["bin"])),
                    capacity=caps.pop(),
                    label=label,
                )
            )
        mandatory_mask = np.zeros(len(items), dtype=bool)
        mandatory_mask[[item_index[m] for m in mandatory]] = True
        return cls(
            items=tuple(items),
            bins=tuple(bins),
            pair_item=_frozen(pair_item),
            pair_bin=_frozen(pair_bin),
            pair_score=_frozen(pairs["score"].to_numpy(dtype=float)),
            pair_use={r: _frozen(pairs[r].to_numpy(dtype=float)) for r in resources},
            capacities=tuple(rows),
            mandatory=_frozen(mandatory_mask),
            name=name,
        )

    @property
    def n_pairs(self) -> int:
        return len(self.pair_item)

    def pairs_of_item(self) -> list[np.ndarray]:
        """Pair indices of each item, in item order."""
        order = np.argsort(self.pair_item, kind="stable")
        bounds = np.searchsorted(self.pair_item[order], np.arange(len(self.items) + 1))
        return [order[bounds[i] : bounds[i + 1]] for i in range(len(self.items))]

    def rows_of_bin(self) -> list[list[int]]:
        """Capacity-row indices that each bin belongs to."""
        rows: list[list[int]] = [[] for _ in self.bins]
        for r, row in enumerate(self.capacities):
            for b in row.bins:
                rows[b].append(r)
        return rows

    def pair_row_use(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each capacity row, the pairs it covers and their use of the row's resource."""
        out = []
        for row in self.capacities:
            mask = np.isin(self.pair_bin, row.bins)
            pairs = np.flatnonzero(mask)
            out.append((pairs, self.pair_use[row.resource][pairs]))
        return out

    def objective_of(self, chosen_pairs: Sequence[int]) -> float:
        """Objective value of a set of chosen pair indices."""
        return float(self.pair_score[list(chosen_pairs)].sum()) if len(chosen_pairs) else 0.0

    def violations(self, chosen_pairs: Sequence[int], *, tol: float = 1e-6) -> list[str]:
        """Every constraint a set of chosen pairs breaks, in plain words (empty when feasible)."""
        chosen = np.asarray(list(chosen_pairs), dtype=np.int64)
        out = []
        counts = np.bincount(self.pair_item[chosen], minlength=len(self.items))
        for i in np.flatnonzero(counts > 1):
            out.append(f"item {self.items[i]} assigned {counts[i]} times")
        for i in np.flatnonzero(self.mandatory & (counts == 0)):
            out.append(f"mandatory item {self.items[i]} not assigned")
        for row in self.capacities:
            in_row = chosen[np.isin(self.pair_bin[chosen], row.bins)]
            used = float(self.pair_use[row.resource][in_row].sum())
            if used > row.capacity + tol * max(1.0, abs(row.capacity)):
                out.append(f"{row.label or row.name}: uses {used:g} of {row.capacity:g}")
        return out


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array
