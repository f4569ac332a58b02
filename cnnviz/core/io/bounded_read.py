"""Reading a small document a user names (a model spec, a run config, a run folder's JSON): regular files only,
never more than a bound.

A path can name a FIFO (opening it for reading waits for a writer forever), a device (``/dev/zero`` never ends) or
a huge file; :func:`read_regular_file` opens without blocking, checks what it opened, and reads at most
``max_bytes``, so none of them can hang or exhaust memory.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from cnnviz.core.errors import UserError

DOCUMENT_MAX_BYTES = 64 * 1024 * 1024   # far above any spec or run config cnnviz writes (a few KB)


class FileRefused(UserError):
    """A path that is not a regular file of a readable size, with a message for the user."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular_file(path: str | os.PathLike, max_bytes: int = DOCUMENT_MAX_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``max_bytes``; FileRefused otherwise.
    OSError (FileNotFoundError, PermissionError...) when it cannot be opened."""
    path = Path(path)
    # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting; it is refused just below.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"{path} is {_kind(st.st_mode)}, not a file")
        if st.st_size > max_bytes:
            raise FileRefused(f"{path} is {st.st_size:,} bytes; a file of at most {max_bytes:,} bytes is expected")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:   # it grew while being read
                raise FileRefused(f"{path} is larger than {max_bytes:,} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)
