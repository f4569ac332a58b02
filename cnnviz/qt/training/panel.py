"""The Training tab: set-up form on the left; Train / Stop / Train more, progress, live plots and results on the
right. Training runs on a worker thread (workers.TrainingRunner) through the core Run that ``cnnviz-cli train`` runs
too, so every run made here is a run folder in the app's runs folder (cnnviz.core.train.runs.app_runs_dir), listed
in the Runs tab; this panel only shows its events. Its widgets and where they sit are in panel_layout.
"""
from __future__ import annotations

import html
import sys
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from cnnviz.core.data.choice import DataChoice
from cnnviz.core.model.shapes import classifier_problems, infer_shapes
from cnnviz.core.model.spec import ModelSpec
from cnnviz.core.train.config import TrainingConfig, compatibility_problems
from cnnviz.core.train.events import BatchProgress, EpochResult, TrainingFinished, TrainingStarted

from ..workers import RunOutcome, TrainingJob, TrainingRunner
from .export import save_history_csv, save_widget_png
from .panel_layout import build_layout


class TrainingPanel(QWidget):
    """Train the builder's model. Signals: ``model_trained(keras.Model)`` after every run (a copy, safe to use
    while "Train more" trains the original), ``inspect_requested(float32 HWC image, description)``, ``busy_changed(bool)``."""

    model_trained = Signal(object)
    inspect_requested = Signal(object, str)   # a test image and what it is (true and predicted class)
    busy_changed = Signal(bool)
    run_folder_created = Signal(str)   # a new run folder (in the app's runs folder) is being written

    def __init__(self, parent: QWidget | None = None, state=None) -> None:
        """``state``: the app's cnnviz.qt.state.AppState; training then runs on its training lane (a panel made
        on its own, in a test or a preview, has a lane of its own)."""
        super().__init__(parent)
        self._spec: ModelSpec | None = None
        self._spec_problems: list[str] = ["no model yet: build or load one in the Builder tab"]
        self._model = None
        self.last_evaluation = None
        self._class_names: tuple[str, ...] = ()
        self._session = None
        self._snapshots = None
        self._run_folder: Path | None = None

        self._state = state
        if state is not None:   # a preset with a training recipe brings its settings (fast99: batch 256, ...)
            state.document.preset_loaded.connect(self._on_preset_loaded)
        self.runner = TrainingRunner(self, lane=None if state is None else state.background.training)
        build_layout(self)   # the form, buttons, plots and results, where each sits (panel_layout)
        self.form.changed.connect(self._on_form_changed)
        self.more_spin.valueChanged.connect(self._on_more_spin_value_changed)
        self.train_button.clicked.connect(self._on_train_button_clicked)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.more_button.clicked.connect(self._on_more_button_clicked)
        self.csv_button.clicked.connect(self._on_csv_button_clicked)
        self.png_button.clicked.connect(self._on_png_button_clicked)
        self.results.inspect_requested.connect(self.inspect_requested)
        self.learning.inspect_requested.connect(self.inspect_requested)

        r = self.runner
        r.training_started.connect(self._on_runner_training_started)
        r.batch_progressed.connect(self._on_runner_batch_progressed)
        r.epoch_finished.connect(self._on_runner_epoch_finished)
        r.training_finished.connect(self._on_runner_training_finished)
        r.session_ready.connect(self._on_runner_session_ready)
        r.run_folder_ready.connect(self._on_runner_run_folder_ready)
        r.run_done.connect(self._on_runner_run_done)
        r.run_failed.connect(self._on_runner_run_failed)
        r.run_refused.connect(self._on_runner_run_refused)
        r.busy_changed.connect(self._on_runner_busy_changed)
        r.training_started.connect(self.plots.on_training_started)
        r.batch_progressed.connect(self.plots.on_batch_progressed)
        r.epoch_finished.connect(self.plots.on_epoch_finished)
        r.training_finished.connect(self.plots.on_training_finished)
        if state is not None:
            state.model_changed.connect(self._on_state_model_changed)
        self._show_model_names()
        self._show_spec_state()
        self._update_buttons()

    # --- API ------------------------------------------------------------------------------------------
    @property
    def trained_model(self):
        """The last trained keras model (a copy taken when its run ended), or None."""
        return self._model

    @property
    def class_names(self) -> tuple[str, ...]:
        """Class names of the dataset the trained model learned."""
        return self._class_names

    @property
    def snapshots(self):
        """The current session's :class:`~cnnviz.core.train.snapshots.SnapshotStore` (first conv layer per epoch)."""
        return self._snapshots

    @property
    def session(self):
        return self._session

    @property
    def is_busy(self) -> bool:
        return self.runner.busy

    @property
    def run_folder(self) -> Path | None:
        """The run folder of the current (or last) run: every run made here is recorded as a CLI run is."""
        return self._run_folder

    def data_choice(self) -> DataChoice:
        """The data chosen in the form, as the core Run's record (see cnnviz.core.data.choice)."""
        return self.form.data_box.data_choice()

    def set_data_choice(self, choice: DataChoice) -> bool:
        """Choose the data ``choice`` records (the last session's); False when cnnviz has no such dataset."""
        return self.form.data_box.set_data_choice(choice)

    def run_config(self) -> tuple[TrainingConfig, DataChoice]:
        """What Train would run now: the training settings and the data choice (File > Export as run config)."""
        return self.form.config(), self.data_choice()

    @Slot(object)
    def set_spec(self, spec: ModelSpec) -> None:
        """The builder's current model; it is built (on the training thread) when Train is pressed."""
        self._spec = spec.copy() if spec is not None else None
        if spec is None:
            self._spec_problems = ["no model yet: build or load one in the Builder tab"]
        else:
            self._spec_problems = [p.message for p in classifier_problems(spec)]
            self.form.data_box.set_input_shape(tuple(spec.input_shape))
        self._show_model_names()
        if not self.is_busy:
            self._show_spec_state()
        self._update_buttons()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop training and every worker thread; True when all ended within ``timeout_ms``."""
        ok = self.runner.shutdown(timeout_ms)
        self.plots.shutdown()
        return self.form.shutdown(timeout_ms) and ok

    # --- buttons --------------------------------------------------------------------------------------
    def train_problems(self) -> list[str]:
        """Why Train would be refused now (model, settings, model/data fit), or []."""
        if self._spec_problems:
            return list(self._spec_problems)
        problems = self.form.problems()
        ds = self.form.dataset
        if ds is not None:
            out = infer_shapes(self._spec).output_shape
            problems += compatibility_problems(tuple(self._spec.input_shape), int(out[-1]), ds.input_shape,
                                               ds.num_classes, self.form.config().loss)
        return problems

    @Slot()
    def _on_train_button_clicked(self) -> None:
        problems = self.train_problems()
        if problems:
            self._show_message("Cannot train: " + "; ".join(problems), "error")
            return
        config, choice = self.run_config()
        job = TrainingJob(self._spec.copy(), self.form.dataset, config, choice.limit, data=choice,
                          loaded=self.form.data_box.loaded_data())
        self.plots.clear()
        self.results.clear()
        self.learning.begin_run(self.form.dataset)
        self._session = self._snapshots = self._run_folder = None
        self._show_message("Building the model (the first time also loads TensorFlow)…", "info")
        self.runner.start(job)

    @Slot()
    def _on_more_button_clicked(self) -> None:
        self._show_message(f"Training {self.more_spin.value()} more epoch(s)…", "info")
        self.runner.train_more(self.more_spin.value())

    @Slot()
    def _on_stop_button_clicked(self) -> None:
        self.runner.stop()
        self.stop_button.setEnabled(False)
        self._show_message("Stopping after the current batch…", "info")

    @Slot()
    def _on_csv_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export training history", "training_history.csv",
                                              "CSV files (*.csv)")
        if path:
            self._save(save_history_csv, self._session.history, path)

    @Slot()
    def _on_png_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the plots", "training_plots.png", "PNG images (*.png)")
        if path:
            self.plots.flush()
            self._save(save_widget_png, self.plots, path)

    def _save(self, fn, what, path: str) -> None:
        try:
            fn(what, path)
        except OSError as exc:
            self._show_message(f"Could not save {path}: {exc}", "error")
        else:
            self._show_message(f"Saved {path}", "ok")

    # --- runner events --------------------------------------------------------------------------------
    @Slot(object)
    def _on_runner_training_started(self, e: TrainingStarted) -> None:
        self.report.started(e)

    @Slot(object)
    def _on_runner_batch_progressed(self, e: BatchProgress) -> None:
        self.report.batch(e)

    @Slot(object)
    def _on_runner_epoch_finished(self, e: EpochResult) -> None:
        self.report.epoch(e)

    @Slot(object)
    def _on_runner_training_finished(self, e: TrainingFinished) -> None:
        if e.reason == "diverged":
            self._show_message("<b>Training diverged:</b> " + html.escape(e.message), "error", rich=True)
        else:
            self._show_message(f"{e.message[0].upper()}{e.message[1:]}. Evaluating on the test set…", "info")

    @Slot(object, object)
    def _on_runner_session_ready(self, session, snapshots) -> None:
        self._session, self._snapshots = session, snapshots
        self.learning.attach(session)

    @Slot(str)
    def _on_runner_run_folder_ready(self, path: str) -> None:
        self._run_folder = Path(path)
        self.run_folder_created.emit(path)

    @Slot(object)
    def _on_runner_run_done(self, outcome: RunOutcome) -> None:
        f = outcome.finished
        self._model, self._class_names = outcome.model, outcome.class_names
        self.last_evaluation = outcome.evaluation  # for File > Export reproducibility bundle
        if outcome.evaluation is not None and f.epochs_done > 0:
            self.results.set_results(outcome.evaluation, outcome.x_test, outcome.y_test, outcome.class_names)
        else:
            self.results.clear()   # an untrained model's 10% would only confuse
        if f.reason != "diverged":
            acc = "" if outcome.evaluation is None else f" Test accuracy {100 * outcome.evaluation.accuracy:.2f}%."
            where = "" if outcome.run_folder is None else f" Recorded as run {outcome.run_folder.name} (Runs tab)."
            self._show_message(f"{f.message[0].upper()}{f.message[1:]} ({f.epochs_done} epoch(s) in all).{acc}"
                               f"{where}", "ok" if f.reason == "completed" else "info")
        last = self._session.history["seconds"][-1] if self._session and self._session.epochs_done else None
        self.report.done(f.epochs_done, f.reason == "completed", last)
        self.plots.draw_pending()   # training_finished drew them: only what is left
        self._update_buttons()
        self.model_trained.emit(outcome.model)

    @Slot(str, str)
    def _on_runner_run_failed(self, message: str, details: str) -> None:
        print(details, file=sys.stderr)
        self._show_message(f"<b>Training failed:</b> {html.escape(message)}", "error", rich=True)
        self.message.setToolTip(details)
        self._update_buttons()

    @Slot(str)
    def _on_runner_run_refused(self, message: str) -> None:
        self._show_message("Cannot train: " + message, "error")
        self._update_buttons()

    @Slot(bool)
    def _on_runner_busy_changed(self, busy: bool) -> None:
        self.form.set_locked(busy)
        self._update_buttons()
        self.busy_changed.emit(busy)

    @Slot()
    def _on_form_changed(self) -> None:
        self._update_buttons()

    @Slot(int)
    def _on_more_spin_value_changed(self, _value: int) -> None:
        self._update_buttons()

    @Slot(object)
    def _on_state_model_changed(self, _current) -> None:
        self._show_model_names()

    # --- display --------------------------------------------------------------------------------------
    def _show_model_names(self) -> None:
        built = f"Train builds “{self._spec.name}” (the Builder's model)" if self._spec is not None else \
            "Train builds the Builder's model"
        current = None if self._state is None else self._state.model
        now = "none yet" if current is None else f"“{current.name}”"
        self.model_label.setText(f"{built} · current model (Inspector, Draw, export): {now}")

    def _show_spec_state(self) -> None:
        if self._spec is None:
            self._show_message("Build or load a model in the Builder tab, then train it here.", "info")
        elif self._spec_problems:
            self._show_message("The model cannot be trained yet: " + "; ".join(self._spec_problems), "error")
        elif self.message.property("spec"):
            self._show_message("")
        self.message.setProperty("spec", bool(self._spec_problems))

    @Slot(str)
    def _on_preset_loaded(self, key: str) -> None:
        from cnnviz.core.model.presets import preset_training

        try:
            recipe = preset_training(key)
        except KeyError:
            return
        if recipe and not self.is_busy:
            said = self.form.apply_recipe(recipe)
            self._show_message(f"The preset “{key}” comes with its training settings: {said}.", "info")

    def _show_message(self, text: str, kind: str = "info", rich: bool = False) -> None:
        self.report.show_message(text, kind, rich)

    def _update_buttons(self) -> None:
        busy = self.is_busy
        has_session = self._session is not None
        can_train = not busy and not self._spec_problems and self.form.dataset is not None
        self.train_button.setEnabled(can_train)
        epochs, more = self.form.epochs_spin.value(), self.more_spin.value()
        self.train_button.setText(f"Train {epochs} epoch{'s' if epochs != 1 else ''}")
        self.train_button.setToolTip(f"Build a fresh model from the Builder and train it for {epochs} epoch(s): "
                                     "Epochs in the set-up on the left" if not self._spec_problems
                                     else "Cannot train: " + "; ".join(self._spec_problems))
        self.more_button.setText(f"Train more: +{more}")
        self.more_button.setToolTip(f"Continue training the current model (same settings) for {more} more "
                                    "epoch(s): the box beside this button")
        self.stop_button.setEnabled(busy)
        self.more_button.setEnabled(not busy and has_session)
        self.more_spin.setEnabled(not busy)
        has_history = has_session and self._session.epochs_done > 0
        self.csv_button.setEnabled(not busy and has_history)
        self.png_button.setEnabled(not busy and has_history)


if __name__ == "__main__":  # preview: python -m cnnviz.qt.training.panel
    from PySide6.QtWidgets import QApplication

    from cnnviz.core.model.presets import get_preset

    app = QApplication(sys.argv)
    panel = TrainingPanel()
    panel.set_spec(get_preset("fast"))
    panel.resize(1200, 800)
    panel.show()
    app.aboutToQuit.connect(panel.shutdown)
    sys.exit(app.exec())
