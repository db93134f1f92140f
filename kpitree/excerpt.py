"""Quoting what a user gave in a message, cut short: an error about a 100,000-character value
must still be one readable line."""

from __future__ import annotations

LIMIT = 60
"""Characters of an echoed value kept in a message."""


def excerpt(text: object, limit: int = LIMIT) -> str:
    """``text`` as shown in a message: whole when short, else its start and end around
    ``...`` with the full length, on one line.

    >>> excerpt("a" * 100, limit=20)
    'aaaaaaaa...aaaaaaaa (100 characters)'
    """
    shown = str(text)
    if len(shown) > limit:
        half = max(1, (limit - 3) // 2)
        shown = f"{shown[:half]}...{shown[-half:]} ({len(shown):,} characters)"
    return shown.replace("\r", "\\r").replace("\n", "\\n")
