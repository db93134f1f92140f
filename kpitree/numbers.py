"""Numbers as people type them: the characters allowed (one rule for CSV cells and ``--set``
values) and the parsers of ``--set`` values, options and the dashboard's fields.

People paste numbers from spreadsheets and Japanese input methods, so full-width forms
(``１，２００``, ``１２％``, ``￥``) and odd spaces are read as their ASCII twins. Unicode's
compatibility normalisation (NFKC) does that, but it also turns a superscript ``⁵`` into ``5``
and a circled ``①`` into ``1``: ``10⁵`` would read as 105 and ``2²`` as 22. Such characters
carry a meaning (a power, a footnote mark) that a digit does not, so they are refused rather
than guessed at. (Formatting numbers for display lives in :mod:`kpitree.present.numbers`.)
"""

from __future__ import annotations

import math
import sys
import unicodedata
from decimal import Context, Decimal, InvalidOperation

from kpitree.errors import (
    CharacterError,  # re-exported: every error class lives in errors.py
    UsageError,
)
from kpitree.excerpt import excerpt

# Full-width ASCII forms (！ .. ～) and the full-width cent, pound, not, macron, bar, yen and
# won signs: NFKC maps each to the ASCII (or Latin-1) character it is a wide copy of.
_FULL_WIDTH = (range(0xFF01, 0xFF5F), range(0xFFE0, 0xFFE7))


def plain_text(text: str) -> str:
    """``text`` with full-width forms and spaces made ASCII (NFKC), refusing any other
    character that normalisation would change.

    Parameters
    ----------
    text : str
        A number as typed (a CSV cell, a ``--set`` value, a period label).

    Returns
    -------
    str
        The normalised text, not stripped.

    Raises
    ------
    CharacterError
        Naming the first refused character: ``'10⁵' has '⁵' (SUPERSCRIPT FIVE), which is not
        a digit or sign: write powers as 1e5, numbers in plain digits``.
    """
    for character in text:
        if character.isascii() or _allowed(character):
            continue
        if unicodedata.normalize("NFKC", character) != character:
            name = unicodedata.name(character, f"U+{ord(character):04X}")
            raise CharacterError(
                f"'{text}' has '{character}' ({name}), which is not a digit or sign: write "
                "powers as 1e5, numbers in plain digits"
            )
    return unicodedata.normalize("NFKC", text)


def _allowed(character: str) -> bool:
    """True for a character that NFKC may change: a full-width form or a space."""
    code = ord(character)
    return any(code in block for block in _FULL_WIDTH) or unicodedata.category(character) == "Zs"


_FLOAT_MAX = Decimal(sys.float_info.max)


def parse_number(text: str, what: str) -> float:
    """A number as people type it: ``1_000``, ``2.5e6``, ``12%`` (0.12)."""
    try:
        clean = plain_text(text).strip().replace("_", "")
    except CharacterError as error:
        raise UsageError(f"{what}: {error}") from None
    scale = 1.0
    if clean.endswith("%"):
        clean, scale = clean[:-1].strip(), 0.01
    try:
        number = float(clean) * scale
    except ValueError:
        raise UsageError(f"{what}: '{excerpt(text)}' is not a number") from None
    if not math.isfinite(number):
        raise UsageError(f"{what}: expected a finite number, found '{excerpt(text)}'")
    return number


def parse_whole(text: str | None, what: str) -> int | None:
    """A whole number >= 0 as people type it (``100_000``, ``1e5``), read exactly (a seed of
    ``9007199254740993`` stays that number, it does not go through a float); ``None`` passes.
    """
    if text is None:
        return None
    try:
        clean = plain_text(text).strip().replace("_", "")
    except CharacterError as error:
        raise UsageError(f"{what}: {error}") from None
    percent = clean.endswith("%")
    if percent:
        clean = clean[:-1].strip()
    try:
        number = Decimal(clean)
    except (InvalidOperation, ValueError):
        raise UsageError(f"{what}: '{excerpt(text)}' is not a number") from None
    if percent:
        number = number.scaleb(-2, Context(prec=len(clean) + 2))
    # Beyond a float's range is refused as parse_number refuses it, and it keeps int() from
    # building a number with millions of digits.
    if not number.is_finite() or abs(number) > _FLOAT_MAX:
        raise UsageError(f"{what}: expected a finite number, found '{excerpt(text)}'")
    if number < 0 or number != number.to_integral_value():
        raise UsageError(f"{what}: expected a whole number >= 0, found '{excerpt(text)}'")
    return int(number)
