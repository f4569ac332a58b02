"""Walking a folder the user chose: regular files only, bounded, reporting progress, stoppable.

A folder chooser can hand back "/" (or a home folder, a mount point). Walking it with ``os.walk`` and opening every
file hung the app: a device node (``/dev/console``) or a FIFO blocks the first ``open()`` forever. So a walk here
never opens anything: it lists folders with ``os.scandir`` and keeps an entry only when ``stat`` says it is a
regular file (``S_ISREG``; a symlink is kept only when it points to a regular file). FIFOs, sockets, device nodes,
symlinks to folders (no loops) and names starting with "." are skipped, and the kernel's pseudo-file systems
(/dev, /proc, /sys) are never entered. It is bounded: more than :data:`MAX_FILES` files or :data:`MAX_DIRS`
folders under the chosen folder stop it with a message saying which folder to choose instead.

Progress and cancelling: :func:`reporting` installs a callback for the calling thread; long reads call
:func:`report` now and then (``what``, ``done``, ``total`` or None). The callback may raise to stop the read (the
app's background jobs raise their Cancelled there), so a cancelled load ends at the next file. A thread-local and
not a parameter: the readers between the app and the walk (load_dataset -> load_image_folder ->
read_image_folder) need not pass it along. Pure Python.
"""
from __future__ import annotations

import os
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

MAX_FILES = 200_000   # files under one chosen folder (an image folder this big does not fit in memory anyway)
MAX_DIRS = 20_000     # folders under it
REPORT_EVERY = 256    # entries between progress calls while listing
SYSTEM_DIRS = ("/dev", "/proc", "/sys") if os.name == "posix" else ()

Report = Callable[[str, int, "int | None"], None]   # (what, done, total or None)
_local = threading.local()


class WalkLimitError(ValueError):
    """The chosen folder holds more than the walk's bound; the message names the folder and what to choose."""


@contextmanager
def reporting(callback: Report) -> Iterator[None]:
    """Call ``callback(what, done, total)`` from :func:`report` in this thread while the block runs."""
    previous = getattr(_local, "callback", None)
    _local.callback = callback
    try:
        yield
    finally:
        _local.callback = previous


def report(what: str, done: int, total: int | None = None) -> None:
    """Tell this thread's :func:`reporting` callback (if any) how far a read is; it may raise to stop the read."""
    callback = getattr(_local, "callback", None)
    if callback is not None:
        callback(what, done, total)


def is_system_dir(path: str | os.PathLike) -> bool:
    """True for /dev, /proc, /sys and anything below them (after resolving symlinks)."""
    real = os.path.realpath(path)
    return any(real == d or real.startswith(d + os.sep) for d in SYSTEM_DIRS)


def is_regular_file(path: str | os.PathLike) -> bool:
    """True when ``path`` is (or links to) a regular file: never a FIFO, socket or device node. Opens nothing."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


class FolderWalk:
    """The bound of one walk: files and folders counted across every :meth:`files` call (one per class folder
    of the same chosen ``root``)."""

    def __init__(self, root: str | os.PathLike, max_files: int | None = None, max_dirs: int | None = None) -> None:
        self.root = Path(root)
        self.max_files = MAX_FILES if max_files is None else max_files
        self.max_dirs = MAX_DIRS if max_dirs is None else max_dirs
        self.files_seen = 0
        self.dirs_seen = 0
        self.yielded = 0

    def _too_many(self, what: str, limit: int) -> WalkLimitError:
        return WalkLimitError(f"More than {limit:,} {what} under {self.root}: choose the folder that holds the "
                              "class folders (one subfolder of images per class), not a folder above it.")

    def files(self, folder: str | os.PathLike) -> Iterator[Path]:
        """The regular files below ``folder``, in a reproducible order (sorted names, a folder's own files before
        its subfolders'). The folder is listed completely first (bounded, reporting "listing"), then each file is
        yielded (reporting "reading" as the caller consumes them, so a slow reader can be stopped per file)."""
        found: list[Path] = []
        stack = [Path(folder)]
        while stack:
            current = stack.pop()
            if is_system_dir(current):
                continue
            self.dirs_seen += 1
            if self.dirs_seen > self.max_dirs:
                raise self._too_many("folders", self.max_dirs)
            try:
                with os.scandir(current) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue   # an unreadable folder holds nothing we can use
            subdirs = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        subdirs.append(Path(entry.path))
                        continue
                    regular = entry.is_file(follow_symlinks=True)   # S_ISREG of the target: no FIFO, no device
                except OSError:
                    continue
                if not regular:
                    continue
                self.files_seen += 1
                if self.files_seen > self.max_files:
                    raise self._too_many("files", self.max_files)
                found.append(Path(entry.path))
                if self.files_seen % REPORT_EVERY == 0:
                    report("listing", self.files_seen, None)
            stack.extend(reversed(subdirs))
        report("listing", self.files_seen, None)
        for path in found:
            self.yielded += 1
            report("reading", self.yielded, self.files_seen)
            yield path
