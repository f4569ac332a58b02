"""Atomic writes, and outputs that never lose what was there before.

* :func:`atomic_path` / :func:`atomic_write_text`: a file is written under a temporary name beside its target and
  renamed into place, so a crash, a full disk or a failed converter never leaves half a file and never spoils the
  old one. It never replaces a folder.
* :func:`replacing_output`: the same for what a user asks cnnviz to write (an export, a bundle), with one rule for
  what was there: a folder is replaced only when it is a previous cnnviz output of the same kind (cnnviz marks the
  folders it writes with :data:`OUTPUT_MARKER`) or empty; anything else is refused with :class:`TargetRefused`.
  What is replaced goes to the system trash (``send2trash``), or, where there is no trash, is renamed beside
  (``NAME.old-<time>``): never deleted.
* :func:`strict_json`: JSON text that every parser reads (NaN and infinities become null).
* :func:`safe_file_name` / :func:`path_inside`: a name from a document (a model's name) used in a file name.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

# Suffixes that writers insist on (Keras checks .keras / .weights.h5): the temporary name keeps them.
_KEPT_SUFFIXES = (".weights.h5", ".keras", ".tflite", ".onnx", ".h5", ".png", ".json", ".csv")
PARTIAL_TAG = ".partial-"   # in the name of every temporary file or folder (see clean_partials)
OUTPUT_MARKER = ".cnnviz-output.json"
OUTPUT_SCHEMA = "cnnviz.output"


class TargetRefused(ValueError):
    """A place cnnviz will not write to, because it would replace something it did not write; the message says
    what is there and what to do."""


def _kept_suffix(name: str) -> str:
    for suffix in _KEPT_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return ".tmp"


def _remove_partial(path: Path) -> None:
    """Remove a temporary file or folder that this module made (never anything else)."""
    if PARTIAL_TAG not in path.name:
        raise ValueError(f"refusing to remove {path}: not a temporary file of cnnviz")
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _temporary_sibling(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}{PARTIAL_TAG}", suffix=_kept_suffix(path.name),
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as model.export want to create it themselves
    return tmp


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, not yet existing); when the block ends without an
    exception it replaces the file ``path``, otherwise it is removed and ``path`` is untouched. A folder at
    ``path`` is never replaced (IsADirectoryError): outputs that are folders go through :func:`replacing_output`."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file", str(path))
    tmp = _temporary_sibling(path)
    try:
        yield tmp
        if path.is_dir():
            raise IsADirectoryError(21, "is a folder, not a file", str(path))
        os.replace(tmp, path)
    finally:
        _remove_partial(tmp)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, flushed to disk before the rename."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def clean_partials(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files and folders an interrupted atomic write left directly in ``folder`` (a kill
    between writing and renaming); returns what was removed. Only names this module makes are touched."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(".") and PARTIAL_TAG in entry.name:
            _remove_partial(entry)
            removed.append(entry)
    return removed


# --- strict JSON ------------------------------------------------------------------------------------------

def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _numpy_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return _finite(value.item())
    if isinstance(value, np.ndarray):
        return _finite(value.tolist())
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def strict_json(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as strict JSON (RFC 8259: no NaN or Infinity, which Python writes by default and most other
    parsers refuse): non-finite floats become null; NumPy scalars and arrays become numbers and lists."""
    return json.dumps(_finite(data), indent=indent, allow_nan=False, default=_numpy_default)


# --- names from documents in file names ----------------------------------------------------------------------

def safe_file_name(name: str, *, default: str = "model", max_length: int = 60) -> str:
    """``name`` (a model's name, say) made fit to be one file name on every platform: letters (any script),
    digits, ``-``, ``_`` and ``.`` kept, anything else (``/``, ``\\``, ``:``, spaces, control characters) becomes
    ``_``; no leading dots (so never ``..`` or a hidden file); ``default`` when nothing is left."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(name or ""))
    safe = safe.lstrip("._")[:max_length].rstrip(". ")
    return safe or default


def path_inside(folder: str | os.PathLike, name: str) -> Path:
    """``folder / name`` where ``name`` is one plain file name; TargetRefused if it would lie outside ``folder``
    (an absolute name, ``..``, a separator)."""
    folder = Path(folder)
    if not name or name in (".", "..") or "/" in name or "\\" in name or Path(name).is_absolute() or "\0" in name:
        raise TargetRefused(f"{name!r} is not a plain file name: give a name without folders in it")
    target = folder / name
    if os.path.dirname(os.path.abspath(target)) != os.path.abspath(folder):
        raise TargetRefused(f"{name!r} would lie outside {folder}")
    return target


# --- outputs the user asked for ---------------------------------------------------------------------------

def read_output_marker(folder: str | os.PathLike) -> dict | None:
    """The marker cnnviz wrote into an output folder (a dict with its ``kind``), or None."""
    marker = Path(folder) / OUTPUT_MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > 65536:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == OUTPUT_SCHEMA else None


def write_output_marker(folder: str | os.PathLike, kind: str) -> None:
    """Mark ``folder`` as a cnnviz output of ``kind``, so that a later output of that kind may replace it."""
    import cnnviz

    atomic_write_text(Path(folder) / OUTPUT_MARKER, strict_json(
        {"schema": OUTPUT_SCHEMA, "kind": kind, "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
         "cnnviz": cnnviz.__version__}) + "\n")


def check_replaceable(path: str | os.PathLike, *, kind: str, folder: bool) -> None:
    """Raise TargetRefused unless writing an output of ``kind`` at ``path`` loses nothing the user made:
    ``path`` is absent, or (``folder``) an empty folder or a previous cnnviz ``kind`` output, or (a file) a
    file, which is moved to the trash when replaced."""
    path = Path(path)
    label = kind_label(kind)
    if path.is_symlink():
        raise TargetRefused(f"{path} is a link; give the real place to write the {label} to")
    if not path.exists():
        return
    if not folder:
        if path.is_dir():
            raise TargetRefused(f"{path} is a folder; give a file name for the {label}")
        if not path.is_file():
            raise TargetRefused(f"{path} is not a regular file; choose another name")
        return
    if not path.is_dir():
        raise TargetRefused(f"{path} is a file; the {label} is a folder: give a new folder name")
    try:
        entries = sorted(p.name for p in path.iterdir())
    except OSError as exc:
        raise TargetRefused(f"cannot look into {path}: {exc.strerror or exc}") from None
    if not entries:
        return
    marker = read_output_marker(path)
    if marker is None:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise TargetRefused(f"{path} already exists and is not a {label} written by cnnviz (it holds {shown}); "
                            "choose a new or empty folder: cnnviz never replaces a folder it did not write")
    if marker.get("kind") != kind:
        raise TargetRefused(f"{path} is a {kind_label(str(marker.get('kind')))} written by cnnviz, not a "
                            f"{label}; choose another folder")


KIND_LABELS = {"savedmodel": "SavedModel export", "bundle": "reproducibility bundle", "keras": "Keras model",
               "weights": "weights file", "tflite": "TensorFlow Lite file", "onnx": "ONNX file"}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, f"{kind} output")


def send_to_trash(path: Path) -> None:
    """Move ``path`` to the system trash (send2trash: freedesktop trash, macOS Trash, Windows Recycle Bin)."""
    from send2trash import send2trash

    send2trash(str(path))


def move_aside(path: str | os.PathLike) -> str:
    """Move ``path`` (a file or folder) out of the way without deleting it: to the system trash, else renamed
    beside it as ``NAME.old-<YYYYmmdd-HHMMSS>``. Returns a sentence saying where it went."""
    path = Path(path)
    try:
        send_to_trash(path)
        return f"the previous {path.name} is in the trash"
    except Exception:  # noqa: BLE001 - no trash here (a server, another volume): keep it beside instead
        pass
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside, n = path.with_name(f"{path.name}.old-{stamp}"), 1
    while aside.exists() or aside.is_symlink():
        n += 1
        aside = path.with_name(f"{path.name}.old-{stamp}-{n}")
    path.rename(aside)
    return f"the previous {path.name} was kept as {aside.name}"


@dataclass
class Output:
    """What :func:`replacing_output` yields: ``tmp`` to write to; after the block, ``previous`` says where the
    replaced output went ('' when nothing was there)."""

    tmp: Path
    previous: str = ""


@contextmanager
def replacing_output(path: str | os.PathLike, *, kind: str, folder: bool) -> Iterator[Output]:
    """Write an output of ``kind`` (a file, or with ``folder`` a folder) at ``path``: check first that nothing the
    user made is in the way (:func:`check_replaceable`), yield a temporary sibling to write, then mark it (a
    folder), move what was at ``path`` aside (trash) and rename the new one into place. When the block raises,
    the temporary is removed and ``path`` is untouched."""
    path = Path(path)
    check_replaceable(path, kind=kind, folder=folder)
    out = Output(_temporary_sibling(path))
    try:
        yield out
        if folder:
            write_output_marker(out.tmp, kind)
        check_replaceable(path, kind=kind, folder=folder)   # again: something may have appeared meanwhile
        if path.exists():
            if folder and not any(path.iterdir()):
                path.rmdir()   # an empty folder holds nothing to keep
            else:
                out.previous = move_aside(path)
        os.rename(out.tmp, path)
    finally:
        if out.tmp.exists() or out.tmp.is_symlink():
            _remove_partial(out.tmp)


def run_replacing(path: str | os.PathLike, kind: str, folder: bool, write: Callable[[Path], None]) -> str:
    """:func:`replacing_output` around ``write(tmp)``; returns where a replaced output went ('' if none)."""
    with replacing_output(path, kind=kind, folder=folder) as out:
        write(out.tmp)
    return out.previous
