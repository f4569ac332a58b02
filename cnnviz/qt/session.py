"""Nothing trained is lost on quit: the quit warning and the next launch's offer to reopen the last session.

Every run of the Training tab is a run folder (cnnviz.core.train.runs) holding its checkpoints and final model.
:class:`LastSession` remembers the last trained model until it is exported: quitting then says what has not been
exported and where its run folder is (Export model… / Quit / Cancel). At quit it records the session in the
settings (AppSettings.last_session: the spec's file or the spec itself, the data choice, the last run's folder);
the next launch shows a bar above the tabs (non-modal) offering to reopen it: the spec, the dataset and the run's
trained model (loaded from its run folder on the TensorFlow lane, as the app's current model).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QSizePolicy, QToolBar, QWidget

from cnnviz.core.data.choice import DataChoice
from cnnviz.core.data.dataset import DatasetError
from cnnviz.core.model.presets import get_preset
from cnnviz.core.model.spec import ModelSpec, SpecError

from .concurrency import JobClient

BAR_STYLE = "QToolBar#last_session_bar { background: #e8f1fa; border-bottom: 1px solid #b6d4ef; }"


def run_model_file(folder: str | Path) -> Path | None:
    """The trained model a run folder holds (its final model, else its last checkpoint), or None."""
    from cnnviz.core.train.runs import RunDirectory

    run = RunDirectory(Path(folder))
    for path in (run.final_model, run.last_checkpoint):
        if path.is_file():
            return path
    return None


def _load_run_model(folder: str):
    """(keras model, class names or None) of a run folder (TensorFlow lane)."""
    from cnnviz.core.model.model_io import load_model_file
    from cnnviz.core.train.runs import RunDirectory

    path = run_model_file(folder)
    if path is None:
        raise FileNotFoundError(f"{folder} holds no trained model (no model.keras, no checkpoint)")
    model = load_model_file(path).model
    names = None
    try:
        meta = RunDirectory(Path(folder)).read_json("meta.json")
        listed = meta.get("dataset", {}).get("class_names")
        if isinstance(listed, list) and len(listed) == int(model.outputs[0].shape[-1]):
            names = tuple(str(n) for n in listed)
    except Exception:  # noqa: BLE001 - a damaged meta.json only loses the class names
        names = None
    return model, names


def _dataset_title(name: str) -> str:
    from cnnviz.core.data.datasets import DATASETS

    info = DATASETS.get(name)
    return info.title if info is not None else name


class LastSession(QObject):
    """The quit warning and the reopen offer. ``files`` (DocumentActions) opens specs, ``training`` (the Training
    tab) takes the data choice, ``document_model`` (DocumentModel) is told when the run's model takes over.

    Signals: ``message(str)`` a status line; ``export_requested()`` the quit dialog's Export model…;
    ``reopened(object)`` the CurrentModel reopened from the run folder (None when the session had no model);
    ``reopen_failed(str)`` why its model could not be loaded."""

    message = Signal(str)
    export_requested = Signal()
    reopened = Signal(object)
    reopen_failed = Signal(str)

    def __init__(self, state, settings, files, training, document_model, dialog_parent: QWidget,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state, self.settings, self.files = state, settings, files
        self.training, self.document_model = training, document_model
        self.dialog_parent = dialog_parent
        self._trained: dict | None = None      # the last model trained here, until it is exported
        self._run_folder: str | None = None    # the last run's folder (trained here, or reopened)
        self._exports: list = []               # export dialogs opened for the trained model
        self._offered: dict | None = None
        self._jobs = JobClient(state.background.tf, self)
        self._jobs.finished.connect(self._on_jobs_finished)
        self._jobs.failed.connect(self._on_jobs_failed)

        self.bar = QToolBar("Last session")
        self.bar.setObjectName("last_session_bar")
        self.bar.setMovable(False)
        self.bar.setFloatable(False)
        self.bar.setStyleSheet(BAR_STYLE)
        self.bar_label = QLabel()
        self.bar_label.setTextFormat(Qt.TextFormat.PlainText)
        # a long offer is clipped (full text in its tooltip) instead of widening the window
        self.bar_label.setMinimumWidth(160)
        self.bar_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.reopen_button = QPushButton("Reopen")
        self.reopen_button.setToolTip("Open the last session's model spec, choose its dataset and load the model "
                                      "it trained from its run folder")
        self.dismiss_button = QPushButton("Not now")
        self.reopen_button.clicked.connect(self._on_reopen_button_clicked)
        self.dismiss_button.clicked.connect(self._on_dismiss_button_clicked)
        self.bar.addWidget(self.bar_label)
        self.bar.addWidget(self.reopen_button)
        self.bar.addWidget(self.dismiss_button)
        self.bar.hide()

    # --- what was trained -----------------------------------------------------------------------------
    def model_trained(self, model, run_folder, epochs: int, accuracy: float | None = None) -> None:
        """A run of the Training tab ended with ``model`` (``epochs`` trained in all; 0: nothing learned)."""
        self._run_folder = str(run_folder) if run_folder is not None else self._run_folder
        if epochs > 0:
            self._trained = {"model": model, "name": str(getattr(model, "name", "model")), "epochs": int(epochs),
                             "accuracy": accuracy, "run_folder": str(run_folder) if run_folder else None}
        self.record()

    def watch_export(self, dialog) -> None:
        """An export dialog was opened: once it has exported the trained model, quitting loses nothing."""
        if dialog is not None:
            self._exports.append(dialog)

    def unexported(self) -> dict | None:
        """The trained model not exported yet (name, epochs, accuracy, run_folder), or None."""
        t = self._trained
        if t is None:
            return None
        if any(getattr(d, "report", None) is not None and getattr(d, "model", None) is t["model"]
               for d in self._exports):
            return None
        return t

    def quit_text(self) -> str | None:
        t = self.unexported()
        if t is None:
            return None
        acc = "" if t["accuracy"] is None else f", test accuracy {100 * t['accuracy']:.1f}%"
        head = f"The trained model “{t['name']}” ({t['epochs']} epoch(s){acc}) has not been exported."
        folder = t["run_folder"]
        if folder and run_model_file(folder) is not None:
            keep = (f"Its weights stay in its run folder:\n{folder}\n(Runs tab › Use run's model), and the next "
                    "launch offers to reopen this session.")
        else:
            keep = "Its trained weights will be lost: no run folder holds them."
        return f"{head}\n\n{keep}\n\nExport it first, or quit anyway?"

    def confirm_quit(self) -> bool:
        """Ask before quitting with a trained model that was not exported; True when it is fine to quit."""
        text = self.quit_text()
        if text is None:
            return True
        sb = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Warning, "Quit cnnviz", text, sb.Save | sb.Discard | sb.Cancel,
                          self.dialog_parent)
        box.button(sb.Save).setText("Export model…")
        box.button(sb.Discard).setText("Quit")
        box.setDefaultButton(sb.Cancel)
        answer = sb(box.exec())
        if answer == sb.Save:
            self.export_requested.emit()
            return False
        return answer == sb.Discard

    # --- recording and offering the session -----------------------------------------------------------
    def record(self) -> dict:
        """Write the session to the settings (called at quit and after each run); returns the record."""
        doc = self.state.document
        folder = self._run_folder
        if folder is None and self._offered and self._offered.get("run_folder"):
            folder = self._offered["run_folder"]   # "Not now" is not "never": the last run stays offered
        name = self._trained["name"] if self._trained else None
        epochs = self._trained["epochs"] if self._trained else None
        if name is None and folder is not None and self._offered and self._offered.get("run_folder") == folder:
            name, epochs = self._offered.get("model_name"), self._offered.get("epochs")
        value = {"spec_path": str(doc.path) if doc.path is not None else None, "spec": doc.spec.to_dict(),
                 "data": self.training.data_choice().to_dict(), "run_folder": folder, "model_name": name,
                 "epochs": epochs}
        self.settings.last_session = value
        return value

    @staticmethod
    def worth_offering(record: dict | None) -> bool:
        """A session with a run, a spec file, or a model other than the one a fresh start shows."""
        if not record:
            return False
        if record.get("run_folder") or record.get("spec_path"):
            return True
        return record.get("spec") not in (None, get_preset("lecture").to_dict())

    def offer(self) -> bool:
        """Show the reopen bar when the settings hold a last session worth reopening (non-modal)."""
        record = self.settings.last_session
        self.bar.hide()   # a restored window state may have shown it
        if not self.worth_offering(record):
            return False
        self._offered = record
        self.bar_label.setText(self.describe(record))
        self.bar_label.setToolTip(self.bar_label.text())
        self.bar.show()
        return True

    def describe(self, record: dict) -> str:
        parts = []
        path = record.get("spec_path")
        spec = record.get("spec") or {}
        if path:
            parts.append(f"“{Path(path).name}”" + ("" if Path(path).is_file() else " (file gone: its last state)"))
        elif spec:
            parts.append(f"“{spec.get('name', 'model')}” (not saved)")
        data = record.get("data") or {}
        if data.get("name"):
            parts.append(_dataset_title(str(data["name"])))
        folder = record.get("run_folder")
        if folder:
            epochs = record.get("epochs")
            trained = f"{epochs} epoch(s)" if epochs else "trained"
            if run_model_file(folder) is not None:
                parts.append(f"model “{record.get('model_name') or 'model'}” ({trained}) from run {Path(folder).name}")
            else:
                parts.append(f"run {Path(folder).name} (no trained model in it any more)")
        return "Reopen your last session?  " + " · ".join(parts)

    @Slot()
    def _on_reopen_button_clicked(self) -> None:
        self.reopen()

    @Slot()
    def _on_dismiss_button_clicked(self) -> None:
        self.bar.hide()

    def reopen(self) -> bool:
        """Reopen the offered session: spec, data choice, then the run's model (in the background). False when
        the spec could not be opened (or the user kept unsaved changes)."""
        record = self._offered or self.settings.last_session
        if not record:
            return False
        path = record.get("spec_path")
        if path and Path(path).is_file():
            if not self.files.open_spec(path):
                return False
        elif record.get("spec"):
            try:
                spec = ModelSpec.from_dict(record["spec"])
            except SpecError as exc:
                self.message.emit(f"The last session's model could not be read: {exc}")
                return False
            if not self.files.maybe_save("reopen the last session"):
                return False
            self.state.document.new(spec)
        data = record.get("data")
        if isinstance(data, dict):
            try:
                self.training.set_data_choice(DataChoice.from_dict(data))
            except (DatasetError, TypeError, ValueError, KeyError) as exc:
                self.message.emit(f"The last session's dataset could not be chosen: {exc}")
        self.bar.hide()
        folder = record.get("run_folder")
        if folder and run_model_file(folder) is not None:
            self.document_model.cancel()   # the run's trained model, not an untrained build, is current
            self._run_folder = str(folder)
            self.message.emit(f"Loading the trained model of run {Path(folder).name}…")
            self._jobs.submit("reopen", _load_run_model, str(folder))
        else:
            self.message.emit("Reopened the last session.")
            self.reopened.emit(None)
        return True

    @Slot(str, object)
    def _on_jobs_finished(self, _key: str, result) -> None:
        model, names = result
        folder = self._run_folder
        self.document_model.cancel()
        current = self.state.set_model(model, names, str(folder), str(model.name))
        self.message.emit(f"Reopened the last session: model “{model.name}” from run {Path(folder).name}")
        self.reopened.emit(current)

    @Slot(str, str, str)
    def _on_jobs_failed(self, _key: str, message: str, _details: str) -> None:
        self.message.emit(f"The last session's model could not be loaded: {message}")
        self.reopen_failed.emit(message)

    def shutdown(self) -> None:
        self._jobs.cancel_all()
