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

Optional extras, each a named family in the model:

*Classes* (chains). Every pair has a class; ``y[c,b] = 1`` when bin b hosts class c::

    open_{c,b}:       x_k ≤ y[c,b]                 (k with class c in bin b)
    classes_b:        Σ_c y[c,b] ≤ per_bin_limit_b  (专而精: at most so many chains per park)
    bins_c:           Σ_b y[c,b] ≤ bins_limit_c     (optional: at most so many parks per chain)
    objective:        − open_cost · Σ y

*Links* (supplier → customer). Link l between items a and b earns ``reward_l`` when both are placed
in bins within ``limit_l`` of each other (limit 0 = the same bin). Per-bin form, with a continuous
``w[l,p]`` only for bins p of a from which some bin of b is within reach::

    link_{l,p}^a:     w[l,p] ≤ x[a,p]
    link_{l,p}^b:     w[l,p] ≤ Σ_{q near p} x[b,q]
    objective:        + Σ_l reward_l Σ_p w[l,p]

Only the upper-bounding halves are needed because rewards are non-negative and we maximise; this form
has the tightest LP bound of the linearisations measured (TECH-NOTES), and it stays sparse: no variable
exists for a bin from which the partner cannot be near.

*Side rows*: any linear row over pairs, ``Σ coef_k x_k (≤|≥) rhs`` (e.g. benefit-sharing floors).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

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

    def __post_init__(self) -> None:  # a bin listed twice counts once, in the model and in every check
        object.__setattr__(self, "bins", tuple(sorted({int(b) for b in self.bins})))


@dataclass(frozen=True)
class Classes:
    """Pair classes (chains) and the limits on how many a bin may host.

    Parameters
    ----------
    names
        Class names, e.g. chain IDs.
    pair_class
        Class index of every pair.
    per_bin_limit
        Most classes per bin (one value per bin), or ``None`` for no limit.
    bins_limit
        Most bins per class (one value per class; ``inf`` for none), or ``None``.
    open_cost
        Objective cost of each (class, bin) that is opened.
    """

    names: tuple[str, ...]
    pair_class: np.ndarray
    per_bin_limit: np.ndarray | None = None
    bins_limit: np.ndarray | None = None
    open_cost: float = 0.0

    @property
    def modelled(self) -> bool:
        """Whether the classes constrain or cost anything (else no y variables are needed)."""
        return self.per_bin_limit is not None or self.bins_limit is not None or self.open_cost != 0.0


@dataclass(frozen=True)
class Links:
    """Rewards for placing two items near each other.

    Parameters
    ----------
    names
        Link IDs.
    a, b
        Item indices of the two ends.
    reward
        Objective reward when the link is satisfied (≥ 0).
    limit
        Largest ``distance`` between the two bins that satisfies the link; 0 means the same bin.
    distance
        Bin × bin matrix (e.g. travel minutes; ``inf`` where unreachable).
    """

    names: tuple[str, ...]
    a: np.ndarray
    b: np.ndarray
    reward: np.ndarray
    limit: np.ndarray
    distance: np.ndarray
    _near: dict[float, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    def near(self, limit: float) -> np.ndarray:
        """Boolean bin × bin matrix (read-only, computed once per limit): which bins are within ``limit`` of which."""
        limit = float(limit)
        if limit not in self._near:
            near = np.eye(len(self.distance), dtype=bool) if limit <= 0 else self.distance <= limit
            near.setflags(write=False)
            self._near[limit] = near
        return self._near[limit]

    def satisfied(self, bin_of_item: np.ndarray) -> np.ndarray:
        """Which links are satisfied when item i sits in ``bin_of_item[i]`` (−1 = not placed)."""
        pa, pb = bin_of_item[self.a], bin_of_item[self.b]
        placed = (pa >= 0) & (pb >= 0)
        same = pa == pb
        dist = np.where(placed, self.distance[np.maximum(pa, 0), np.maximum(pb, 0)], np.inf)
        return placed & np.where(self.limit <= 0, same, dist <= self.limit)


@dataclass(frozen=True)
class SideRow:
    """A linear row over pairs: ``Σ coef_k x_k (sense) rhs`` with sense ``"<="`` or ``">="``."""

    name: str
    label: str
    pairs: np.ndarray
    coef: np.ndarray
    sense: str
    rhs: float


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
    classes: Classes | None = None
    links: Links | None = None
    side_rows: tuple[SideRow, ...] = field(default=())

    def with_extras(self, *, classes: Classes | None = None, links: Links | None = None,
                    side_rows: Sequence[SideRow] = ()) -> AssignmentProblem:
        """A copy with classes, links and side rows added."""
        if classes is not None and len(classes.pair_class) != self.n_pairs:
            raise ProblemError("classes.pair_class must give a class for every pair")
        if links is not None and (links.reward < 0).any():
            raise ProblemError("link rewards must be non-negative")
        return replace(self, classes=classes, links=links, side_rows=tuple(side_rows))

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
                    bins=tuple(bin_index[b] for b in group["bin"]),
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

    def pair_of(self) -> dict[tuple[str, str], int]:
        """The pair index of each eligible (item, bin), by their names."""
        return {(self.items[i], self.bins[b]): k
                for k, (i, b) in enumerate(zip(self.pair_item.tolist(), self.pair_bin.tolist(), strict=True))}

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

    def bin_of_item(self, chosen_pairs: Sequence[int]) -> np.ndarray:
        """Bin index of every item under a plan (−1 when not placed)."""
        out = np.full(len(self.items), -1, dtype=np.int64)
        chosen = np.asarray(list(chosen_pairs), dtype=np.int64)
        out[self.pair_item[chosen]] = self.pair_bin[chosen]
        return out

    def opened(self, chosen_pairs: Sequence[int]) -> set[tuple[int, int]]:
        """The (class, bin) combinations a plan opens."""
        if self.classes is None:
            return set()
        chosen = np.asarray(list(chosen_pairs), dtype=np.int64)
        return set(zip(self.classes.pair_class[chosen].tolist(), self.pair_bin[chosen].tolist(), strict=True))

    def objective_terms(self, chosen_pairs: Sequence[int]) -> dict[str, float]:
        """The objective of a plan by family: pair scores, link rewards, class opening costs."""
        chosen = list(chosen_pairs)
        terms = {"pairs": float(self.pair_score[chosen].sum()) if chosen else 0.0, "links": 0.0, "classes": 0.0}
        if self.links is not None and len(self.links.a):
            terms["links"] = float(self.links.reward[self.links.satisfied(self.bin_of_item(chosen))].sum())
        if self.classes is not None and self.classes.open_cost:
            terms["classes"] = -self.classes.open_cost * len(self.opened(chosen))
        return terms

    def objective_of(self, chosen_pairs: Sequence[int]) -> float:
        """Objective value of a set of chosen pair indices (all families)."""
        return float(sum(self.objective_terms(chosen_pairs).values()))

    def violations(self, chosen_pairs: Sequence[int], *, tol: float = 1e-6) -> list[str]:
        """Every constraint a set of chosen pairs breaks, in plain words (empty when feasible)."""
        chosen = np.asarray(list(chosen_pairs), dtype=np.int64)
        out = []
        counts = np.bincount(self.pair_item[chosen], minlength=len(self.items))
        for i in np.flatnonzero(counts > 1):
            out.append(f"item {self.items[i]} assigned {counts[i]} times")
        for i in np.flatnonzero(self.mandatory & (counts == 0)):
            out.append(f"mandatory item {self.items[i]} not assigned")
        bin_use = {resource: np.bincount(self.pair_bin[chosen], weights=use[chosen], minlength=len(self.bins))
                   for resource, use in self.pair_use.items()}  # one pass per resource, not one per row
        for row in self.capacities:
            used = float(bin_use[row.resource][list(row.bins)].sum())
            if used > row.capacity + tol * max(1.0, abs(row.capacity)):
                out.append(f"{row.label or row.name}: uses {used:g} of {row.capacity:g}")
        if self.classes is not None:
            opened = self.opened(chosen)
            if self.classes.per_bin_limit is not None:
                per_bin = np.bincount([b for _, b in opened], minlength=len(self.bins))
                for b in np.flatnonzero(per_bin > self.classes.per_bin_limit):
                    out.append(f"bin {self.bins[b]} hosts {per_bin[b]} classes, limit {self.classes.per_bin_limit[b]:g}")
            if self.classes.bins_limit is not None:
                per_class = np.bincount([c for c, _ in opened], minlength=len(self.classes.names))
                for c in np.flatnonzero(per_class > self.classes.bins_limit):
                    out.append(f"class {self.classes.names[c]} in {per_class[c]} bins, limit {self.classes.bins_limit[c]:g}")
        chosen_set = np.zeros(self.n_pairs, dtype=bool)
        chosen_set[chosen] = True
        for row in self.side_rows:
            lhs = float((row.coef * chosen_set[row.pairs]).sum())
            slack = tol * max(1.0, abs(row.rhs))
            if (row.sense == "<=" and lhs > row.rhs + slack) or (row.sense == ">=" and lhs < row.rhs - slack):
                out.append(f"{row.label or row.name}: {lhs:,.6g} {row.sense} {row.rhs:,.6g} does not hold")
        return out


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array
