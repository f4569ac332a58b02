"""Atomic writes: a file (or folder) is written under a temporary name beside its target and renamed into
place, so a crash, a full disk or a failed converter never leaves half a file and never spoils the old one."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# Suffixes that writers insist on (Keras checks .keras / .weights.h5): the temporary name keeps them.
_KEPT_SUFFIXES = (".weights.h5", ".keras", ".tflite", ".onnx", ".h5", ".png", ".json", ".csv")


def _kept_suffix(name: str) -> str:
    for suffix in _KEPT_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return ".tmp"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, not yet existing); when the block ends without an
    exception it replaces ``path`` (a file or a folder), otherwise it is removed and ``path`` is untouched."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.partial-", suffix=_kept_suffix(path.name), dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as model.export want to create it themselves
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    try:
        yield tmp
        if path.is_dir() and not path.is_symlink():
            path.rename(old)  # os.replace cannot put a folder over a folder
        os.replace(tmp, path)
    finally:
        _remove(tmp)
        _remove(old)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, flushed to disk before the rename."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
