"""Reading a user's input file whole, safely: only a regular file, and only up to a size.

A path such as ``/dev/zero``, ``/dev/urandom`` or a named pipe would otherwise be read
forever or wait forever for a writer; a file of gigabytes would fill the memory. Tree files
and actuals files both come through :func:`read_regular_file`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 64 * 2**20
"""Largest input file read by default (64 MiB): far beyond any tree or CSV export of one."""


def read_regular_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, refusing devices, pipes, sockets, folders and
    files of more than ``limit`` bytes.

    Raises
    ------
    OSError
        With ``strerror`` saying what is wrong (``FileNotFoundError`` for a missing file), for
        the caller to put after the file's name.
    """
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    # Non-blocking so that opening a named pipe does not wait for a writer; the flag does not
    # change how a regular file reads.
    flags |= getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except ValueError:  # a NUL character in the path
        raise OSError(errno.EINVAL, "the path holds a NUL character") from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise OSError(errno.EISDIR, "is a directory, expected a file")
        raise OSError(
            errno.EINVAL, "is not a regular file (a device, a pipe or a socket): give a saved file"
        )
    with os.fdopen(descriptor, "rb", buffering=0) as stream:
        if info.st_size > limit:
            raise OSError(errno.EFBIG, _too_large(info.st_size, limit))
        data = stream.read(limit + 1)  # the file may have grown since fstat
    if len(data) > limit:
        raise OSError(errno.EFBIG, _too_large(len(data), limit))
    return data


def _too_large(size: int, limit: int) -> str:
    return f"the file has {size:,} bytes, more than the {limit:,} read"
