"""Errors for bad input: every problem at once, each naming the file, the row or ID, the field, what was
expected and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input.

    Parameters
    ----------
    source
        The file (or scenario key) where the problem is.
    where
        Row and/or ID, e.g. ``"row 12 (project_id X012)"``; empty for file-level problems.
    field
        Column or key; empty when the problem is not about one field.
    message
        What is wrong and what was expected.
    fix
        How to fix it.
    """

    source: str
    where: str
    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        parts = [self.source]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(f"field '{self.field}'")
        text = ": ".join(parts) + f": {self.message}"
        return text + (f" (fix: {self.fix})" if self.fix else "")


class InputError(ValueError):
    """Bad input: a file, a field, a value. Carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self, limit: int = 200) -> str:
        lines = [f"{len(self.problems)} problem(s) in the input:"]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)


class Problems:
    """Collects problems while checking, then raises them all at once.

    A problem about one cell of a table can name the row's position (``row``), so that later checks skip
    that cell instead of reporting a second, confusing problem caused by the same bad value.
    """

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self._cells: set[tuple[str, str, int]] = set()

    def add(self, source: str, where: str, field: str, message: str, fix: str = "", *, row: int | None = None) -> None:
        self.items.append(Problem(str(source), where, field, message, fix))
        if row is not None:
            self._cells.add((str(source), field, row))

    def unreadable(self, path: object, exc: OSError) -> None:
        """A file that exists but could not be opened (e.g. no permission to read it)."""
        self.add(str(path), "", "", f"could not be opened: {exc.strerror or exc}",
                 "let the user who runs siting read the file (e.g. chmod a+r FILE, or the file's Properties > Security)")

    def reported(self, source: str, field: str | None = None) -> bool:
        """Whether a problem was recorded about ``source`` (about its ``field``, when given)."""
        return any(p.source == str(source) and (field is None or p.field == field) for p in self.items)

    def bad_rows(self, source: str, field: str) -> set[int]:
        """Positions (from 0) of the rows of ``source`` whose ``field`` was reported as a bad value."""
        return {row for src, name, row in self._cells if src == str(source) and name == field}

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)
