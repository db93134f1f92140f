"""Text files as people save them: UTF-8 (with or without a byte-order mark), UTF-16 with a
byte-order mark (Excel's "Unicode text"), or Shift-JIS (cp932, what Excel and Notepad on a
Japanese Windows write by default)."""

from __future__ import annotations

import codecs
import re

from kpitree.errors import EncodingError  # re-exported: every error class lives in errors.py

# cp932 maps the bytes it does not define (0x80, 0xA0, 0xFD-0xFF) to private-use characters:
# seeing one means the file was not Shift-JIS after all (Latin-1, for instance).
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def decode_text(data: bytes) -> str:
    """The text of a file's bytes: UTF-8 or UTF-16 by byte-order mark, else UTF-8, else cp932.

    Raises
    ------
    EncodingError
        When the bytes are neither UTF-8 nor Shift-JIS text.
    """
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "cp932"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp932" and _PRIVATE_USE.search(text):
            continue
        return text
    raise EncodingError("is not UTF-8 text (nor Shift-JIS): save it as UTF-8 (in Excel: CSV UTF-8)")
