"""Autosave of the model being edited, so a crash (or a kill) never loses it.

While the app runs, every change to the spec is written (atomically, debounced by the GUI) to
``<cnnviz home>/autosave/spec.json`` together with the owner's process id. A clean exit removes it. On the next
start, an autosave whose owner is no longer running is a crash's leftover and is offered back.
The cnnviz home is ``$CNNVIZ_HOME`` or ``~/.cnnviz``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cnnviz.core.io.files import atomic_write_text
from cnnviz.core.model.spec import ModelSpec, SpecError


def cnnviz_home() -> Path:
    return Path(os.environ.get("CNNVIZ_HOME") or Path.home() / ".cnnviz")


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


@dataclass
class Recovered:
    spec: ModelSpec
    source_path: str | None   # the file the user was editing, if it had one
    saved_at: str


class Autosave:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or cnnviz_home() / "autosave"
        self.path = self.folder / "spec.json"

    def write(self, spec: ModelSpec, source_path: str | None = None) -> None:
        """Save ``spec`` as this process's autosave. Errors (full disk, read-only home) are raised as OSError."""
        import time

        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps({"pid": os.getpid(), "source_path": source_path,
                                                 "saved_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                                                 "spec": spec.to_dict()}, indent=1))

    def clear(self) -> None:
        """Remove this process's autosave (after a clean exit or when the user saved)."""
        owner = self._read()
        if owner is not None and owner.get("pid") not in (os.getpid(), None) and _pid_alive(owner["pid"]):
            return  # another running instance owns it
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def _read(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError, OSError):
            return None
        return data if isinstance(data, dict) else None

    def recoverable(self) -> Recovered | None:
        """The autosave a crashed session left behind, or None (none, still owned by a live process, unreadable)."""
        data = self._read()
        if data is None:
            return None
        pid = data.get("pid")
        if isinstance(pid, int) and pid != os.getpid() and _pid_alive(pid):
            return None
        try:
            spec = ModelSpec.from_dict(data.get("spec"))
        except SpecError:
            return None
        return Recovered(spec, data.get("source_path"), str(data.get("saved_at", "")))
