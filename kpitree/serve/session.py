"""What ``kpitree serve`` holds between requests: the loaded tree, its actuals and its version.

One :class:`Session` per server. Its lock serialises every use of the tree: the compiled engine
(built once, on the first evaluation, and reused by every request after) is not meant to be run
from two threads at once, and a reload must not swap the tree under a running analysis.

The version is :func:`kpitree.serve.watch.fingerprint` of the tree file and its record
sources. :meth:`Session.refresh` (what ``GET /api/version`` calls) reloads the tree and its
actuals when the fingerprint moves; a tree that no longer loads keeps the old one serving and
the session remembers the error (``FILE:LINE: message``) until the file changes again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpitree.errors import KpiTreeError
from kpitree.serve.watch import fingerprint

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.facade import Tree

ReadActuals = Callable[["Tree"], "Actuals | None"]
"""Reads the actuals for a freshly loaded tree (``--actuals FILE`` or ``--measure``), or
``None`` when the server was started without them."""


@dataclass(frozen=True, eq=False)
class Loaded:
    """One consistent state of the session: a tree, its actuals and the version they are of
    (compared by identity: a reload makes a new one)."""

    tree: Tree
    actuals: Actuals | None
    version: str


def load_state(path: Path, read_actuals: ReadActuals | None) -> Loaded:
    """Read the tree at ``path`` and its actuals.

    Raises
    ------
    KpiTreeError
        A subclass saying ``FILE:LINE: what is wrong``, for the tree or the actuals.
    """
    from kpitree.facade import load

    tree = load(path)
    actuals = read_actuals(tree) if read_actuals is not None else None
    return Loaded(tree, actuals, fingerprint(path, tree))


class Session:
    """The tree served, its actuals and version, reloaded when the files change.

    Parameters
    ----------
    path : pathlib.Path
        The tree file.
    read_actuals : callable, optional
        Reads the actuals for a tree (called again on each reload).
    loaded : Loaded, optional
        The state already read (the command line reads it before binding, to fail early);
        read here when not given.

    Raises
    ------
    KpiTreeError
        When the tree or its actuals cannot be read.
    """

    def __init__(
        self, path: Path, read_actuals: ReadActuals | None = None, loaded: Loaded | None = None
    ) -> None:
        self.path = Path(path)
        self.read_actuals = read_actuals
        self.lock = threading.Lock()
        self._state = loaded if loaded is not None else load_state(self.path, read_actuals)
        # The fingerprint that last failed to load, and why: retried only when it moves again.
        self._failed: tuple[str, str] | None = None

    @property
    def state(self) -> Loaded:
        """The current tree, actuals and version (take :attr:`lock` to use the tree)."""
        return self._state

    def refresh(self) -> tuple[str, str | None]:
        """Reload when the tree file or its sources changed; return the version served and the
        error of a tree that no longer loads (``None`` when it does).

        Call with :attr:`lock` held.
        """
        current = self._state
        seen = fingerprint(self.path, current.tree)
        if seen == current.version:
            self._failed = None
            return current.version, None
        if self._failed is not None and self._failed[0] == seen:
            return current.version, self._failed[1]
        try:
            fresh = load_state(self.path, self.read_actuals)
        except KpiTreeError as error:
            self._failed = (seen, str(error))
            return current.version, str(error)
        except OSError as error:
            self._failed = (seen, f"{self.path}: {error.strerror}")
            return current.version, self._failed[1]
        self._state = fresh
        self._failed = None
        return fresh.version, None
