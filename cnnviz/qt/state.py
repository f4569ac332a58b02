"""The app's state, passed to the panels (never reached for through the window or another panel's widgets).

:class:`AppState` holds

* ``document``: the model being edited (a SpecDocument: spec + file path, undo stack),
* ``model``: the current trained or imported Keras model with its class names, source and title
  (:class:`CurrentModel`; held here once, the panels subscribe to ``model_changed``),
* ``last_run``: the last training run made in the app (:class:`LastRun`),
* ``background``: the app's background lanes (cnnviz.qt.concurrency.Background).

A panel made on its own (a test, a preview) makes a private AppState; ``owns_background`` then says that the
panel has to stop its lanes itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from .concurrency import Background


@dataclass(frozen=True)
class CurrentModel:
    """``model``: a keras.Model (trained in the app or imported); ``class_names`` None when unknown."""

    model: Any
    class_names: tuple[str, ...] | None
    source: str = ""     # "trained in the Training tab", a file path, a run folder
    title: str = ""      # shown to the user; defaults to the model's name

    @property
    def name(self) -> str:
        return self.title or str(getattr(self.model, "name", "model"))


@dataclass(frozen=True)
class LastRun:
    """The last run of the Training tab: the trained model (a copy), its session (history, data counts), the
    per-epoch snapshots, the test evaluation (None without test images), the class names and its run folder."""

    model: Any
    session: Any
    snapshots: Any
    evaluation: Any
    class_names: tuple[str, ...]
    run_folder: Any = None


class AppState(QObject):
    """Signals: ``model_changed(object)`` a CurrentModel or None; ``last_run_changed(object)`` a LastRun or None."""

    model_changed = Signal(object)
    last_run_changed = Signal(object)

    def __init__(self, document=None, background: Background | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if document is None:
            from .builder.document import SpecDocument

            document = SpecDocument(parent=self)
        self.document = document
        self.owns_background = background is None
        self.background = Background(self) if background is None else background
        self._model: CurrentModel | None = None
        self._last_run: LastRun | None = None

    @property
    def model(self) -> CurrentModel | None:
        return self._model

    @property
    def last_run(self) -> LastRun | None:
        return self._last_run

    def set_model(self, model, class_names=None, source: str = "", title: str = "") -> CurrentModel | None:
        """Make ``model`` the app's current model (None: no model); every subscriber is told."""
        names = tuple(str(n) for n in class_names) if class_names is not None else None
        self._model = None if model is None else CurrentModel(model, names, source, title)
        self.model_changed.emit(self._model)
        return self._model

    def set_last_run(self, run: LastRun | None) -> None:
        self._last_run = run
        self.last_run_changed.emit(run)

    def shutdown_own_background(self, timeout_ms: int = 30000) -> bool:
        """Stop the lanes if this state made them (a panel on its own); the window's are stopped by the window."""
        return self.background.shutdown(timeout_ms) if self.owns_background else True
