"""The File menu's model actions: import a Keras model (or a run's), export it, export a run config or a bundle.

The current model lives in the app state (cnnviz.qt.state.AppState); importing sets it there and the panels
that follow the state (Draw, Inspector) pick it up. Loading a model file imports TensorFlow, so it runs on the
state's TensorFlow lane (cnnviz.qt.concurrency). Nothing here holds the window: dialogs get ``dialog_parent``,
status lines go out as ``message(str)``, and replacing the builder's model asks ``confirm_replace(doing)``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnviz.core.data.choice import DataChoice
from cnnviz.core.io.files import safe_file_name
from cnnviz.core.model.model_io import ImportedModel, load_model_file
from cnnviz.core.train.runs import write_run_config
from cnnviz.core.train.config import TrainingConfig
from cnnviz.qt.concurrency import Job, JobClient
from cnnviz.qt.export_dialog import ExportDialog
from cnnviz.qt.state import AppState

MODEL_FILTER = "Keras model (*.keras *.h5);;All files (*)"


class ModelActions(QObject):
    """``message(str)``: a line for the status bar; ``import_failed(str)``: why a model file could not be loaded.
    ``training`` (the Training tab, set by the window) is read through its public API for the bundle."""

    message = Signal(str)
    import_failed = Signal(str)

    def __init__(self, state: AppState, settings, dialog_parent=None, *,
                 confirm_replace: Callable[[str], bool] | None = None, training=None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.settings = settings
        self.dialog_parent = dialog_parent
        self.confirm_replace = confirm_replace or (lambda _doing: True)
        self.training = training
        self._jobs = JobClient(state.background.tf, self)
        self._jobs.finished.connect(self._on_jobs_finished)
        self._jobs.failed.connect(self._on_jobs_failed)
        # Set by the window: returns the (TrainingConfig, DataChoice) the user has chosen in the Training tab.
        self.training_settings: Callable[[], tuple[TrainingConfig, DataChoice]] = lambda: (TrainingConfig(),
                                                                                            DataChoice())

    @property
    def model(self):
        """The app's current Keras model (None before one is trained or imported)."""
        current = self.state.model
        return None if current is None else current.model

    def set_model(self, model, class_names=None, source: str = "") -> None:
        self.state.set_model(model, class_names, source)

    def busy(self) -> bool:
        return self._jobs.busy()

    # --- import -----------------------------------------------------------------------------------------------
    def import_model(self, path: str | Path | None = None) -> Job | None:
        settings = self.settings
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Import a Keras model",
                                                  settings.last_folder("model"), MODEL_FILTER)
            if not path:
                return None
        settings.set_last_folder("model", Path(path).parent)
        self.message.emit(f"Loading {path}…")
        return self._jobs.submit("import", load_model_file, path)   # a newer import replaces a waiting one

    def import_run(self, run_path: str) -> Job | None:
        from cnnviz.core.train.runs import RunDirectory

        run = RunDirectory(Path(run_path))
        target = run.final_model if run.final_model.exists() else run.last_checkpoint
        if not target.exists():
            QMessageBox.warning(self.dialog_parent, "Use run's model", f"{run_path} has no saved model yet.")
            return None
        return self.import_model(target)

    @Slot(str, object)
    def _on_jobs_finished(self, _key: str, imported: ImportedModel) -> None:
        self._on_import_finished(imported)

    @Slot(str, str, str)
    def _on_jobs_failed(self, _key: str, message: str, _details: str) -> None:
        self._on_import_failed(message)

    def _on_import_finished(self, imported: ImportedModel) -> None:
        doc = self.state.document
        names = None
        units = int(imported.model.outputs[0].shape[-1])
        if units == 10:
            names = tuple(str(d) for d in range(10))
        if imported.spec is not None:
            if self.confirm_replace("replace the model in the builder"):
                doc.new(imported.spec)
            note = "its layers are in the builder"
        else:
            note = imported.read_only_reason
        self.set_model(imported.model, names, str(imported.path))
        self.message.emit(f"Imported {imported.path.name}: {note}")
        if imported.spec is None:
            QMessageBox.information(self.dialog_parent, "Model imported",
                                    f"{imported.path.name} was loaded for the inspector, the draw tab and export.\n\n"
                                    f"It is {note}.")

    def _on_import_failed(self, message: str) -> None:
        self.message.emit("")
        self.import_failed.emit(message)
        QMessageBox.critical(self.dialog_parent, "Import model", f"The model could not be imported.\n\n{message}")

    # --- export -----------------------------------------------------------------------------------------------
    def export_model(self) -> ExportDialog | None:
        if self.model is None:
            QMessageBox.information(self.dialog_parent, "Export model",
                                    "There is no trained model yet: train one in the Training tab, or import one "
                                    "(File > Import model…).")
            return None
        dialog = ExportDialog(self.model, folder=self.settings.last_folder("export"),
                              name=self.state.document.spec.name, worker=self.state.background.tf,
                              parent=self.dialog_parent)
        dialog.open()
        return dialog

    def export_run_config(self, path: str | Path | None = None) -> str | None:
        doc = self.state.document
        if doc.problems:
            QMessageBox.warning(self.dialog_parent, "Export as run config",
                                "Fix the model's problems first:\n\n" + "\n".join(p.message for p in doc.problems))
            return None
        if not path:
            suggested = str(Path(self.settings.last_folder("export")) / f"{safe_file_name(doc.spec.name)}.run.json")
            path, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Export as run config", suggested,
                                                  "cnnviz run config (*.json)")
            if not path:
                return None
        config, data = self.training_settings()
        try:
            command = write_run_config(path, spec=doc.spec.to_dict(), training=config.to_dict(), data=data.to_dict())
        except OSError as exc:
            QMessageBox.critical(self.dialog_parent, "Export as run config",
                                 f"Could not write {path}: {exc.strerror or exc}")
            return None
        box = QMessageBox(QMessageBox.Icon.Information, "Run config written",
                          f"Wrote {path}.\n\nRun it on any machine with cnnviz installed:",
                          parent=self.dialog_parent)
        box.setDetailedText(command)
        box.setInformativeText(command)
        box.setTextInteractionFlags(box.textInteractionFlags())
        box.open()
        self.message.emit(command)
        return command

    def export_bundle(self, folder: str | Path | None = None) -> Path | None:
        """File > Export reproducibility bundle: spec, Keras code, settings, seed, data, history, test metrics and
        library versions of the model trained in the Training tab, in one folder."""
        training = self.training
        session = training.session
        if training.trained_model is None or session is None or not session.epochs_done \
                or training.run_folder is None:
            QMessageBox.information(self.dialog_parent, "Export reproducibility bundle",
                                    "Train a model in the Training tab first: the bundle records that run.")
            return None
        if not folder:
            name = f"{safe_file_name(self.state.document.spec.name)}-bundle"
            suggested = str(Path(self.settings.last_folder("export")) / name)
            folder, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Export reproducibility bundle (a folder)",
                                                    suggested, "Folder (*)")
            if not folder:
                return None
        from cnnviz.core.io.bundle import write_bundle_from_run
        from cnnviz.core.io.files import TargetRefused
        from cnnviz.core.train.runs import RunError

        try:   # read from the run's folder: exactly what was trained and measured, whatever the form shows now
            path = write_bundle_from_run(folder, training.run_folder)
        except (OSError, RunError, TargetRefused) as exc:
            QMessageBox.critical(self.dialog_parent, "Export reproducibility bundle",
                                 f"Could not write {folder}: {getattr(exc, 'strerror', None) or exc}\n"
                                 "Nothing was left behind.")
            return None
        self.settings.set_last_folder("export", Path(path).parent)
        self.message.emit(f"Wrote the reproducibility bundle {path}")
        return Path(path)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Drop a model import still waiting (the lanes themselves are stopped by the window's registry)."""
        self._jobs.cancel_all()
        return True
