"""The exclusive lock a process holds on a run folder while it writes it.

One writer per run folder: a second ``train --resume`` (or ``--overwrite``, or the app's run) into a folder that
another process is writing is refused with who holds it. The lock is an OS file lock (``filelock``: ``flock`` on
POSIX, ``LockFileEx`` on Windows) on ``<run>/.cnnviz-lock``, so the kernel releases it when the holder dies, even
by ``kill -9``: a stale lock needs no clean-up. Beside it, ``.cnnviz-lock.json`` says who holds it (pid, host,
start time, command); it is information only, never what decides.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

LOCK_NAME = ".cnnviz-lock"
LOCK_INFO_NAME = ".cnnviz-lock.json"
LOCK_FILES = (LOCK_NAME, LOCK_INFO_NAME)
# A reader that asks whether a run is live (the Runs tab, :meth:`RunLock.held_by_other`) holds the lock for a few
# microseconds: a writer waits this long before it concludes that another writer holds it.
ACQUIRE_WAIT_S = 1.5


class RunLocked(RuntimeError):
    """The run folder is being written by another process (or another Run in this one)."""


def _holder_text(info: dict[str, Any] | None) -> str:
    if not info:
        return "another process"
    return (f"process {info.get('pid', '?')} on {info.get('host', '?')} (since {info.get('started', '?')}: "
            f"{info.get('command', '?')})")


class RunLock:
    """``acquire()`` or refuse at once (RunLocked); ``release()``; :meth:`held_by_other` asks without taking it."""

    def __init__(self, folder: str | os.PathLike) -> None:
        from filelock import FileLock

        self.folder = Path(folder)
        # thread_local=False: the app takes the lock on its training lane and may release it from another thread
        self._lock = FileLock(str(self.folder / LOCK_NAME), thread_local=False)

    @property
    def info_path(self) -> Path:
        return self.folder / LOCK_INFO_NAME

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._lock.is_locked

    def read_info(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def acquire(self) -> None:
        """Take the lock now or raise RunLocked saying who holds it. Re-entrant for this object."""
        from filelock import Timeout

        if self.held:
            return
        try:
            self._lock.acquire(timeout=ACQUIRE_WAIT_S)
        except Timeout:
            raise RunLocked(f"{self.folder} is being written by {_holder_text(self.read_info())}; wait for it to "
                            "finish or stop it, then try again") from None
        from cnnviz.core.io.files import atomic_write_text, strict_json

        try:
            atomic_write_text(self.info_path, strict_json({
                "pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "command": " ".join(sys.argv) or "python"}) + "\n")
        except OSError:
            self.release()
            raise

    def release(self) -> None:
        if self.held:
            try:
                self.info_path.unlink()
            except OSError:
                pass
            self._lock.release(force=True)

    def held_by_other(self) -> bool:
        """Whether another process (or another RunLock object) holds the lock now. A folder that was never locked,
        or that cannot be locked (read-only), counts as not held."""
        if self.held:
            return False
        if not (self.folder / LOCK_NAME).exists():
            return False
        from filelock import Timeout

        probe = type(self._lock)(str(self.folder / LOCK_NAME), thread_local=False)
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return True
        except OSError:
            return False
        probe.release(force=True)
        return False

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
