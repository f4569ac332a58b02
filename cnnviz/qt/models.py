"""The app's current trained (or imported) model, and the File menu's import / export / run-config actions.

``ModelActions.model_changed(model, class_names)`` tells the inspector and draw tabs which Keras model to show.
Loading a model file imports TensorFlow, so it runs on a pool thread (cnnviz.qt.tasks).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnviz.core.data.choice import DataChoice
from cnnviz.core.model.model_io import ImportedModel, load_model_file
from cnnviz.core.train.runs import write_run_config
from cnnviz.core.train.config import TrainingConfig
from cnnviz.qt.export_dialog import ExportDialog
from cnnviz.qt.tasks import Task, wait_for_tasks

MODEL_FILTER = "Keras model (*.keras *.h5);;All files (*)"


class ModelActions(QObject):
    model_changed = Signal(object, object)   # keras model, tuple of class names (or None)
    message = Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.model = None
        self.class_names: tuple[str, ...] | None = None
        self.source = ""
        self._task: Task | None = None
        # Set by the training tab: returns the (TrainingConfig, DataChoice) the user has chosen.
        self.training_settings: Callable[[], tuple[TrainingConfig, DataChoice]] = lambda: (TrainingConfig(),
                                                                                            DataChoice())

    def set_model(self, model, class_names=None, source: str = "") -> None:
        self.model, self.class_names, self.source = model, tuple(class_names) if class_names else None, source
        self.model_changed.emit(model, self.class_names)

    # --- import -----------------------------------------------------------------------------------------------
    def import_model(self, path: str | Path | None = None) -> Task | None:
        settings = self.window.settings
        if not path:
            path, _ = QFileDialog.getOpenFileName(self.window, "Import a Keras model", settings.last_folder("model"),
                                                  MODEL_FILTER)
            if not path:
                return None
        settings.set_last_folder("model", Path(path).parent)
        self.window.statusBar().showMessage(f"Loading {path}…")
        self._task = Task(load_model_file, path)
        self._task.finished.connect(self._on_import_finished)
        self._task.failed.connect(self._on_import_failed)
        return self._task.start()

    def import_run(self, run_path: str) -> Task | None:
        from cnnviz.core.train.runs import RunDirectory

        run = RunDirectory(Path(run_path))
        target = run.final_model if run.final_model.exists() else run.last_checkpoint
        if not target.exists():
            QMessageBox.warning(self.window, "Use run's model", f"{run_path} has no saved model yet.")
            return None
        return self.import_model(target)

    @Slot(object)
    def _on_import_finished(self, imported: ImportedModel) -> None:
        doc = self.window.document
        names = None
        units = int(imported.model.outputs[0].shape[-1])
        if units == 10:
            names = tuple(str(d) for d in range(10))
        if imported.spec is not None:
            if self.window.maybe_save("replace the model in the builder"):
                doc.new(imported.spec)
            note = "its layers are in the builder"
        else:
            note = imported.read_only_reason
        self.set_model(imported.model, names, str(imported.path))
        self.window.statusBar().showMessage(f"Imported {imported.path.name}: {note}", 8000)
        if imported.spec is None:
            QMessageBox.information(self.window, "Model imported",
                                    f"{imported.path.name} was loaded for the inspector, the draw tab and export.\n\n"
                                    f"It is {note}.")

    @Slot(str)
    def _on_import_failed(self, message: str) -> None:
        self.window.statusBar().clearMessage()
        QMessageBox.critical(self.window, "Import model", f"The model could not be imported.\n\n{message}")

    # --- export -----------------------------------------------------------------------------------------------
    def export_model(self) -> ExportDialog | None:
        if self.model is None:
            QMessageBox.information(self.window, "Export model",
                                    "There is no trained model yet: train one in the Training tab, or import one "
                                    "(File > Import model…).")
            return None
        dialog = ExportDialog(self.model, folder=self.window.settings.last_folder("export"),
                              name=self.window.document.spec.name, parent=self.window)
        dialog.open()
        return dialog

    def export_run_config(self, path: str | Path | None = None) -> str | None:
        doc = self.window.document
        if doc.problems:
            QMessageBox.warning(self.window, "Export as run config",
                                "Fix the model's problems first:\n\n" + "\n".join(p.message for p in doc.problems))
            return None
        if not path:
            suggested = str(Path(self.window.settings.last_folder("export")) / f"{doc.spec.name}.run.json")
            path, _ = QFileDialog.getSaveFileName(self.window, "Export as run config", suggested,
                                                  "cnnviz run config (*.json)")
            if not path:
                return None
        config, data = self.training_settings()
        try:
            command = write_run_config(path, spec=doc.spec.to_dict(), training=config.to_dict(), data=data.to_dict())
        except OSError as exc:
            QMessageBox.critical(self.window, "Export as run config", f"Could not write {path}: {exc.strerror or exc}")
            return None
        box = QMessageBox(QMessageBox.Icon.Information, "Run config written",
                          f"Wrote {path}.\n\nRun it on any machine with cnnviz installed:", parent=self.window)
        box.setDetailedText(command)
        box.setInformativeText(command)
        box.setTextInteractionFlags(box.textInteractionFlags())
        box.open()
        self.message.emit(command)
        return command

    def export_bundle(self, folder: str | Path | None = None) -> Path | None:
        """File > Export reproducibility bundle: spec, Keras code, settings, seed, data, history, test metrics and
        library versions of the model trained in the Training tab, in one folder."""
        training = self.window.training
        session = training.session
        if training.trained_model is None or session is None or not session.epochs_done:
            QMessageBox.information(self.window, "Export reproducibility bundle",
                                    "Train a model in the Training tab first: the bundle records that run.")
            return None
        if not folder:
            name = f"{self.window.document.spec.name}-bundle"
            suggested = str(Path(self.window.settings.last_folder("export")) / name)
            folder, _ = QFileDialog.getSaveFileName(self.window, "Export reproducibility bundle (a folder)",
                                                    suggested, "Folder (*)")
            if not folder:
                return None
        from cnnviz.core.io.bundle import write_bundle
        from cnnviz.core.model.model_io import spec_from_model
        from cnnviz.core.model.spec import SpecError
        from cnnviz.core.tf_runtime import versions

        try:
            spec = spec_from_model(training.trained_model)  # exactly what was trained, whatever the builder shows now
        except SpecError:
            spec = self.window.document.spec
        config, data = self.training_settings()
        evaluation = training.last_evaluation
        metrics = None
        if evaluation is not None:
            metrics = {"test_accuracy": evaluation.accuracy, "confusion": evaluation.confusion.tolist(),
                       "per_class_accuracy": [float(v) for v in evaluation.per_class_accuracy],
                       "class_names": list(training.class_names)}
        dataset = training.form.dataset
        data_info = {**data.to_dict(), "source": getattr(dataset, "source", None),
                     "train_images": session.data.train_count, "validation_images": session.data.val_count}
        try:
            path = write_bundle(folder, spec=spec, training=config.to_dict(), data=data_info,
                                history=session.history, metrics=metrics, versions=versions())
        except OSError as exc:
            QMessageBox.critical(self.window, "Export reproducibility bundle",
                                 f"Could not write {folder}: {exc.strerror or exc}\nNothing was left behind.")
            return None
        self.window.settings.set_last_folder("export", Path(path).parent)
        self.message.emit(f"Wrote the reproducibility bundle {path}")
        return Path(path)

    def shutdown(self) -> None:
        wait_for_tasks(30000)
