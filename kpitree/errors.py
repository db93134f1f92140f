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
    """Base class: a message, and optionally where in which file the problem is.

    Parameters
    ----------
    message : str
        What is wrong, without the location.
    location : Location, optional
        The file and line, when the problem was read from a file.
    node : str, optional
        The node the problem is about, when there is one.
    key : str, optional
        The node's key (``effort``, ``alert``, ``indicator``...) the problem is in, so a
        reader can point at that key's own line.
    """

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        node: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.node = node
        self.key = key

    def at(self, location: Location | None) -> KpiTreeError:
        """The same error (class, message, node and key) placed at ``location``."""
        return type(self)(self.message, location, node=self.node, key=self.key)

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


class ScenarioConflict(DataError):  # noqa: N818 (the name the dashboard's contract fixes)
    """A scenario saved into a tree file that changed (by hand or by another save) since the
    version the saver had loaded; nothing was written."""


class EvaluationError(KpiTreeError, ArithmeticError):
    """A node's value could not be computed: division by zero, a non-finite result."""


class SolveError(KpiTreeError, ValueError):
    """A target that cannot be solved for as asked."""


class UsageError(DataError):
    """A command-line argument that cannot be used as given."""


class TimeAxisError(KpiTreeError, ValueError):
    """A ``time:`` block that does not describe a time axis; the caller adds the location."""


class TargetError(KpiTreeError, ValueError):
    """A target label that is no period (or span of periods) of the tree; the caller adds
    where."""


class DistributionError(KpiTreeError, ValueError):
    """A distribution whose parameters do not define a law; the caller adds the location."""


class CharacterError(KpiTreeError, ValueError):
    """A typed number holds a character that looks like a digit but is not one (``⁵``, ``①``);
    the caller adds where it was found."""


class EncodingError(KpiTreeError, ValueError):
    """Bytes that are none of the encodings read; the caller names the file."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


class DestinationError(DataError):
    """A ``--notify`` URL that cannot be used: scheme, host, port, recipients, credentials."""


class DeliveryError(Exception):
    """One attempt to deliver an alert failed; ``permanent`` when trying again cannot help (a
    404, a rejected recipient, a refused login). Not a user error: the sender retries it and
    reports the last one."""

    def __init__(self, reason: str, permanent: bool = False, attempts: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.attempts = attempts
