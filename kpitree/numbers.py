"""The characters a typed number may use: one rule for CSV cells and ``--set`` values.

People paste numbers from spreadsheets and Japanese input methods, so full-width forms
(``１，２００``, ``１２％``, ``￥``) and odd spaces are read as their ASCII twins. Unicode's
compatibility normalisation (NFKC) does that, but it also turns a superscript ``⁵`` into ``5``
and a circled ``①`` into ``1``: ``10⁵`` would read as 105 and ``2²`` as 22. Such characters
carry a meaning (a power, a footnote mark) that a digit does not, so they are refused rather
than guessed at. (Formatting numbers for display lives in :mod:`kpitree.present.numbers`.)
"""

from __future__ import annotations

import unicodedata

from kpitree.errors import CharacterError  # re-exported: every error class lives in errors.py

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
