"""Change detection for the dashboard: a version string of the tree file and its record data.

The page polls the version and reloads its data when it changes. The version is two digests
joined by ``-``: the SHA-256 of the tree file's bytes, then the SHA-256 of the path,
modification time (ns) and size of every file the tree's ``sources:`` read (a glob expanded
as measurement expands it, sorted). Sources are compared by their metadata, not their bytes,
so a poll stays cheap for large exports; a file rewritten with the same size within the
file system's timestamp resolution goes unnoticed. A missing tree file or source gives a
version of its own instead of an error, so the page sees the change and the server reports
the problem when it reloads.

Database sources (``url:``) are not watched: a query's result can change at any time without
anything on disk changing, so a measured tree over a database is reloaded by hand.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from kpitree.files import read_regular_file
from kpitree.measurement.spec import Source
from kpitree.spec.schema import MAX_TREE_BYTES
from kpitree.tree import TreeModel

DIGEST_LENGTH = 16
"""Hex digits kept of each digest (64 bits): enough to tell versions apart, short in JSON."""
_MISSING = b"\x00missing"


def fingerprint(tree_path: Path, tree: TreeModel) -> str:
    """The version of the tree file at ``tree_path`` and of the files its sources read.

    Parameters
    ----------
    tree_path : Path
        The tree file.
    tree : TreeModel
        The tree read from it: its ``sources`` say which record files to watch.

    Returns
    -------
    str
        ``TREE-SOURCES``: two hex digests; the first changes exactly when the tree file's bytes
        change (see :func:`tree_version`), the second when a source file is touched, resized,
        added to or removed from a glob's matches, or goes missing.
    """
    sources = hashlib.sha256()
    for name in sorted(tree.sources):
        source = tree.sources[name]
        if not isinstance(source, Source) or source.is_database:
            continue
        sources.update(f"{name}\x00".encode())
        paths = source.matches() if source.is_glob else [source.resolved]
        for path in paths:
            sources.update(f"{path}\x00".encode("utf-8", "surrogateescape"))
            sources.update(_stat(path))
    return f"{_tree_digest(tree_path)}-{sources.hexdigest()[:DIGEST_LENGTH]}"


def tree_version(version: str) -> str:
    """The part of a :func:`fingerprint` that stands for the tree file's bytes alone."""
    return version.partition("-")[0]


def tree_text_version(data: bytes) -> str:
    """The tree part of a :func:`fingerprint` for a tree file holding ``data``."""
    return hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]


def _tree_digest(path: Path) -> str:
    try:
        data = read_regular_file(path, MAX_TREE_BYTES)
    except OSError:  # gone, a folder, a pipe, too large: the reload will say which
        return hashlib.sha256(_MISSING).hexdigest()[:DIGEST_LENGTH]
    return tree_text_version(data)


def _stat(path: Path) -> bytes:
    try:
        status = os.stat(path)
    except OSError:
        return _MISSING
    return f"{status.st_mtime_ns}\x00{status.st_size}\x00".encode()
