"""Every error kpitree raises for bad input, in one place.

Each error says where (``file:line`` or the node's name), what was expected and what was
found. Every class is also a builtin exception (``ValueError``, ``KeyError``...) so callers that
do not know kpitree can still catch them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a tree file: the file's name and a 1-based line (0 when unknown)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class KpiTreeError(Exception):
    """Base class: a message, and optionally where in which file the problem is."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class SpecError(KpiTreeError, ValueError):
    """The tree file is not a well-formed tree: YAML syntax, keys, types, values."""


class FormulaError(KpiTreeError, ValueError):
    """A formula does not parse, or uses something the formula language does not allow."""


class UnknownNodeError(KpiTreeError, KeyError):
    """A name that is not a node of the tree."""

    def __str__(self) -> str:  # KeyError would quote the message
        return KpiTreeError.__str__(self)


class CycleError(KpiTreeError, ValueError):
    """Formulas that depend on each other in the same period."""


class DataError(KpiTreeError, ValueError):
    """Values given at run time (overrides, scenarios, actuals) that do not fit the tree."""


class EvaluationError(KpiTreeError, ArithmeticError):
    """A node's value could not be computed: division by zero, a non-finite result."""


class SolveError(KpiTreeError, ValueError):
    """A target that cannot be solved for as asked."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""
