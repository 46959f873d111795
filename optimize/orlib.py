"""Readers for OR-Library generalized assignment instances (for tests and benchmarks).

File format (``gap1.txt`` … ``gapd.txt``): the number of instances P, then per instance ``m n``, the
m×n cost matrix, the m×n resource matrix and the m capacities, read as a stream of integers. Files
of single instances (Yagiura's) have no leading P.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .problem import AssignmentProblem


def read_gap(path: str | Path, *, single: bool = False) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The instances of a file as (cost m×n, use m×n, capacity m) integer arrays."""
    numbers = np.array(Path(path).read_text().split(), dtype=np.int64)
    pos = 0
    count = 1 if single else int(numbers[0])
    pos = 0 if single else 1
    out = []
    for _ in range(count):
        m, n = int(numbers[pos]), int(numbers[pos + 1])
        pos += 2
        cost = numbers[pos : pos + m * n].reshape(m, n)
        pos += m * n
        use = numbers[pos : pos + m * n].reshape(m, n)
        pos += m * n
        cap = numbers[pos : pos + m]
        pos += m
        out.append((cost, use, cap))
    return out


def gap_problem(cost: np.ndarray, use: np.ndarray, capacity: np.ndarray, *, maximise: bool,
                name: str = "gap") -> AssignmentProblem:
    """An instance as an assignment problem: every job mandatory; minimisation by negated scores."""
    m, n = cost.shape
    agent, job = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    pairs = pd.DataFrame({
        "item": [f"j{j}" for j in job.ravel()],
        "bin": [f"a{i}" for i in agent.ravel()],
        "score": (cost if maximise else -cost).ravel().astype(float),
        "use": use.ravel().astype(float),
    })
    capacities = pd.DataFrame({"name": [f"cap[a{i}]" for i in range(m)], "resource": "use",
                               "bin": [f"a{i}" for i in range(m)], "capacity": capacity.astype(float)})
    return AssignmentProblem.from_tables(pairs, capacities, items=[f"j{j}" for j in range(n)],
                                         bins=[f"a{i}" for i in range(m)], mandatory=[f"j{j}" for j in range(n)],
                                         name=name)
