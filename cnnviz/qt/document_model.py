"""One current model across the tabs: until a model is trained or imported, it is the Builder's model.

When the document is replaced (File > Open, Open recent, New, a crash restore, a preset, and their undo/redo), a
model trained from the previous spec is no longer the model being worked on: :class:`DocumentModel` builds the
document's spec untrained (seeded, on the TensorFlow lane) and makes it the app state's current model, named
``<spec name>_untrained``, so the Inspector, the Draw tab and the Training tab all name the same model. While the
current model is such an untrained build (or there is none yet), edits in the Builder rebuild it (debounced). A
trained or imported model replaces it and stays until the document is replaced again.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from .concurrency import JobClient
from .state import AppState, CurrentModel

UNTRAINED_SUFFIX = "_untrained"
SOURCE = "the Builder's model, untrained"


def untrained_name(spec_name: str) -> str:
    """The Keras name of the untrained build of a spec called ``spec_name`` (as the tabs show it)."""
    from cnnviz.core.model.build import _keras_model_name

    return _keras_model_name(f"{spec_name}{UNTRAINED_SUFFIX}")


def _build_untrained(spec):
    from cnnviz.core.model.build import build_model

    named = spec.copy()
    named.name = f"{spec.name}{UNTRAINED_SUFFIX}"
    return build_model(named, seed=0)


class DocumentModel(QObject):
    """Keeps the state's current model the document's model until one is trained or imported.

    ``enabled`` False (the window without TensorFlow, in tests) builds nothing. ``failed(str)``: why the
    document's model could not be built (shown in the status bar)."""

    failed = Signal(str)

    def __init__(self, state: AppState, *, enabled: bool = True, delay_ms: int = 400,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.enabled = enabled
        self._ours: CurrentModel | None = None
        self._setting = False
        self._jobs = JobClient(state.background.tf, self)
        self._jobs.finished.connect(self._on_jobs_finished)
        self._jobs.failed.connect(self._on_jobs_failed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        state.document.replaced.connect(self._on_document_replaced)
        state.document.spec_changed.connect(self._on_document_spec_changed)
        state.model_changed.connect(self._on_state_model_changed)

    @property
    def following(self) -> bool:
        """True while the current model is the Builder's (none yet, or an untrained build of it)."""
        current = self.state.model
        return current is None or current is self._ours

    def cancel(self) -> None:
        """Drop a build that is waiting or running (another model is about to become current)."""
        self._timer.stop()
        self._jobs.cancel_all()

    def busy(self) -> bool:
        return self._timer.isActive() or self._jobs.busy()

    def shutdown(self) -> bool:
        self.cancel()
        return True

    @Slot()
    def _on_document_replaced(self) -> None:
        self._ours = None   # whatever was current belonged to the previous model
        self._schedule()

    @Slot()
    def _on_document_spec_changed(self) -> None:
        if self.following and self.state.model is not None:
            self._schedule()

    def _schedule(self) -> None:
        if self.enabled:
            self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        doc = self.state.document
        if doc.problems:   # nothing to build; the Builder says why
            return
        self._jobs.submit("document-model", _build_untrained, doc.spec.copy())

    @Slot(object)
    def _on_state_model_changed(self, current) -> None:
        if not self._setting and current is not None and current is not self._ours:
            self.cancel()   # trained or imported: it is the current model now

    @Slot(str, object)
    def _on_jobs_finished(self, _key: str, model) -> None:
        if self._timer.isActive():
            return   # the document changed again meanwhile: the newer build follows
        self._setting = True
        try:
            self._ours = self.state.set_model(model, None, SOURCE, model.name)
        finally:
            self._setting = False

    @Slot(str, str, str)
    def _on_jobs_failed(self, _key: str, message: str, _details: str) -> None:
        self.failed.emit(f"The Builder's model could not be built: {message}")
