"""UI state remembered between sessions: the one typed wrapper around QSettings.

Only UI state lives here (window geometry, splitter positions, recent files, last folders, last tab, last
hyper-parameters of a panel); documents are JSON files. Every key is read through a typed accessor, so a value
of the wrong type (an older version, a hand-edited file) falls back to the default instead of crashing. The
``settings_version`` key is bumped when the meaning of keys changes; stored settings of another version are
discarded.

Panels add their own typed accessors here (one place to see everything the app remembers).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_VERSION = 1
MAX_RECENT_FILES = 8


class AppSettings:
    """Typed access to cnnviz's QSettings (INI format, per user). Pass a QSettings to use another store (tests)."""

    VERSION_KEY = "settings_version"

    def __init__(self, store: QSettings | None = None) -> None:
        self._s = store if store is not None else QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                                            "cnnviz", "cnnviz")
        stored = self._get(self.VERSION_KEY, int, None)
        if stored != SETTINGS_VERSION:
            if stored is not None:  # another version's keys may mean something else: start clean
                self._s.clear()
            self._s.setValue(self.VERSION_KEY, SETTINGS_VERSION)

    @property
    def store(self) -> QSettings:
        return self._s

    def file_name(self) -> str:
        return self._s.fileName()

    def sync(self) -> None:
        self._s.sync()

    # --- typed reading -----------------------------------------------------------------------------------------
    def _get(self, key: str, kind: type, default: Any) -> Any:
        value = self._s.value(key, None)
        if value is None:
            return default
        try:
            if kind is bool:
                if isinstance(value, str):
                    return value.strip().lower() in ("1", "true", "yes", "on")
                return bool(value)
            if kind is int:
                return int(value)
            if kind is float:
                return float(value)
            if kind is str:
                return value if isinstance(value, str) else default
            if kind is QByteArray:
                return value if isinstance(value, QByteArray) else default
            if kind is list:
                if isinstance(value, str):
                    return [value]
                return [str(v) for v in value] if isinstance(value, (list, tuple)) else default
        except (TypeError, ValueError):
            return default
        return default

    # --- main window -------------------------------------------------------------------------------------------
    @property
    def window_geometry(self) -> QByteArray | None:
        return self._get("main_window/geometry", QByteArray, None)

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._s.setValue("main_window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        return self._get("main_window/state", QByteArray, None)

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._s.setValue("main_window/state", value)

    @property
    def current_tab(self) -> str:
        return self._get("main_window/current_tab", str, "Builder")

    @current_tab.setter
    def current_tab(self, value: str) -> None:
        self._s.setValue("main_window/current_tab", value)

    def splitter_state(self, name: str) -> QByteArray | None:
        return self._get(f"splitters/{name}", QByteArray, None)

    def set_splitter_state(self, name: str, state: QByteArray) -> None:
        self._s.setValue(f"splitters/{name}", state)

    # --- files and folders ----------------------------------------------------------------------------------------
    @property
    def recent_files(self) -> list[str]:
        return self._get("files/recent", list, [])[:MAX_RECENT_FILES]

    @recent_files.setter
    def recent_files(self, paths: list[str]) -> None:
        self._s.setValue("files/recent", [str(p) for p in paths][:MAX_RECENT_FILES])

    def add_recent_file(self, path: str | os.PathLike) -> list[str]:
        """Put ``path`` first in the recent files (once); returns the new list."""
        path = str(Path(path).resolve())
        paths = [path] + [p for p in self.recent_files if p != path]
        self.recent_files = paths
        return self.recent_files

    def remove_recent_file(self, path: str | os.PathLike) -> None:
        self.recent_files = [p for p in self.recent_files if p != str(path)]

    def last_folder(self, purpose: str) -> str:
        """The folder last used for ``purpose`` ("spec", "image", "model", ...), or the home folder."""
        folder = self._get(f"folders/{purpose}", str, "")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def set_last_folder(self, purpose: str, folder: str | os.PathLike) -> None:
        path = Path(folder)
        self._s.setValue(f"folders/{purpose}", str(path if path.is_dir() else path.parent))

    # --- the last session (offered back at the next launch, cnnviz.qt.session) -------------------------------
    @property
    def last_session(self) -> dict[str, Any] | None:
        """What the last session worked on: ``spec_path`` (str or None), ``spec`` (the spec as a dict), ``data``
        (a DataChoice as a dict), ``run_folder`` (the last run's folder or None), ``model_name``, ``epochs``;
        None when nothing was recorded or the record is unreadable."""
        text = self._get("session/last", str, "")
        if not text:
            return None
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None

    @last_session.setter
    def last_session(self, value: dict[str, Any] | None) -> None:
        if value is None:
            self._s.remove("session/last")
        else:
            self._s.setValue("session/last", json.dumps(value))

    # --- classroom: View > Zoom and View > Theme ------------------------------------------------------------
    @property
    def zoom_percent(self) -> int:
        return self._get("view/zoom_percent", int, 100)

    @zoom_percent.setter
    def zoom_percent(self, value: int) -> None:
        self._s.setValue("view/zoom_percent", int(value))

    @property
    def theme(self) -> str:
        return self._get("view/theme", str, "system")

    @theme.setter
    def theme(self, value: str) -> None:
        self._s.setValue("view/theme", str(value))
