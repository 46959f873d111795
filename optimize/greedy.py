"""A greedy plan: a feasible start for the solver, a fallback, and a yardstick for reports."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .problem import AssignmentProblem


def greedy_plan(problem: AssignmentProblem, prefer: Mapping[int, int] | None = None) -> list[int]:
    """Place items one by one into the best-scoring bin that still has room.

    Mandatory items go first (those with the fewest eligible pairs first, so they are not crowded
    out), then optional items by their best score, highest first. An optional item is placed only
    where its score is positive, and only where its class (chain) may still open. Ties are broken by item and bin order, so the plan is deterministic.

    ``prefer`` ({item: pair}, e.g. another run's plan) puts those pairs first: a mandatory item tries its
    preferred pair before the others; then optional items with one try that pair alone, by its score; then
    every optional item not yet placed tries all its pairs as above (so an item whose preferred bin is full
    does not take the room of another's preferred pair).

    Returns
    -------
    list of int
        Chosen pair indices. Mandatory items that find no room are left out; the caller compares
        the plan with :meth:`AssignmentProblem.violations`.
    """
    pairs_of_item = problem.pairs_of_item()
    rows_of_bin = problem.rows_of_bin()
    remaining = np.array([row.capacity for row in problem.capacities], dtype=float)
    row_resource = [row.resource for row in problem.capacities]
    score = problem.pair_score

    def best_score(i: int) -> float:
        return float(score[pairs_of_item[i]].max()) if len(pairs_of_item[i]) else -np.inf

    mandatory = [i for i in range(len(problem.items)) if problem.mandatory[i]]
    optional = [i for i in range(len(problem.items)) if not problem.mandatory[i]]
    prefer = prefer or {}
    mandatory.sort(key=lambda i: (len(pairs_of_item[i]), i))
    optional.sort(key=lambda i: (-best_score(i), i))
    preferred = sorted((i for i in optional if i in prefer), key=lambda i: (-score[prefer[i]], i))

    classes = problem.classes
    opened: set[tuple[int, int]] = set()
    per_bin = np.zeros(len(problem.bins), dtype=int)
    per_class = np.zeros(len(classes.names) if classes else 0, dtype=int)

    def class_ok(k: int) -> bool:
        if classes is None:
            return True
        c, b = int(classes.pair_class[k]), int(problem.pair_bin[k])
        if (c, b) in opened:
            return True
        if classes.per_bin_limit is not None and per_bin[b] + 1 > classes.per_bin_limit[b]:
            return False
        return classes.bins_limit is None or per_class[c] + 1 <= classes.bins_limit[c]

    chosen: list[int] = []
    placed: set[int] = set()
    for i, only_preferred in [(i, False) for i in mandatory] + [(i, True) for i in preferred] + \
            [(i, False) for i in optional]:
        if i in placed:
            continue
        candidates = pairs_of_item[i]
        candidates = candidates[np.lexsort((problem.pair_bin[candidates], -score[candidates]))]
        if i in prefer:
            candidates = np.r_[[prefer[i]], [] if only_preferred else candidates[candidates != prefer[i]]].astype(
                candidates.dtype)
        for k in candidates:
            if not problem.mandatory[i] and score[k] <= 0:
                break
            rows = rows_of_bin[problem.pair_bin[k]]
            if class_ok(k) and all(problem.pair_use[row_resource[r]][k] <= remaining[r] + 1e-9 for r in rows):
                for r in rows:
                    remaining[r] -= problem.pair_use[row_resource[r]][k]
                if classes is not None:
                    key = (int(classes.pair_class[k]), int(problem.pair_bin[k]))
                    if key not in opened:
                        opened.add(key)
                        per_bin[key[1]] += 1
                        per_class[key[0]] += 1
                chosen.append(int(k))
                placed.add(i)
                break
    return sorted(chosen)
