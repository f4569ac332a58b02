"""The main window: one tab per panel, menus, shortcuts, and a status bar saying what TensorFlow is doing.

The window is shown before TensorFlow is imported (``start_background_work`` starts the import on a thread).
The model being edited is ``window.document`` (a SpecDocument); panels other than the builder read it from there.
A tab's placeholder is replaced with ``window.set_panel("Training", widget)``.
"""
from __future__ import annotations

import sys
import traceback
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QStyle, QTabWidget, QWidget

from cnnviz import __version__
from cnnviz.core.io.autosave import Autosave
from cnnviz.core.model.spec import SpecError
from cnnviz.qt.builder import BuilderPanel, SpecDocument
from cnnviz.qt.canvas.panel import DrawPanel
from cnnviz.qt.training.panel import TrainingPanel
from cnnviz.qt.icons import app_icon, standard_icon
from cnnviz.qt.models import ModelActions
from cnnviz.qt.recovery import AutosaveController, offer_recovery
from cnnviz.qt.runs.panel import RunsPanel
from cnnviz.qt.settings import AppSettings
from cnnviz.qt.tf_loader import TensorFlowLoader

TAB_TITLES = ("Builder", "Training", "Inspector", "Draw", "Augment", "Runs")
SPEC_FILTER = "cnnviz model spec (*.json);;All files (*)"
_PLACEHOLDERS = {
    "Training": "Training: train the model on MNIST and watch loss and accuracy live (coming soon).",
    "Inspector": "Inspector: feature maps, kernels and the convolution step by step (coming soon).",
    "Draw": "Draw: draw a digit and see what the trained model predicts (coming soon).",
    "Augment": "",
    "Runs": "",
}


def _placeholder(text: str) -> QWidget:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: #777; font-size: 14pt")
    return label


class MainWindow(QMainWindow):
    def __init__(self, *, load_tensorflow: bool = True, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else AppSettings()
        self.setWindowIcon(app_icon())
        self.document = SpecDocument(parent=self)
        self.builder = BuilderPanel(self.document)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.builder, "Builder")
        for title in TAB_TITLES[1:-1]:
            self.tabs.addTab(_placeholder(_PLACEHOLDERS[title]), title)
        self.runs = RunsPanel()
        self.tabs.addTab(self.runs, "Runs")
        self.setCentralWidget(self.tabs)
        self.autosave = AutosaveController(self.document, Autosave(), parent=self)
        self.autosave.failed.connect(self._on_builder_message)
        self.models = ModelActions(self)
        self.models.message.connect(self._on_builder_message)
        # The shipped digit model loads in the background once the window shows (start_background_work); not in
        # --smoke or shape-only mode.
        self.draw = DrawPanel(load_shipped=False)
        self.set_panel("Draw", self.draw)
        self.models.model_changed.connect(self._on_models_model_changed)
        self.draw.inspect_requested.connect(self._on_inspect_requested)
        from cnnviz.qt.augment import AugmentPanel

        self.augment = AugmentPanel()  # its TensorFlow work starts when the tab is first shown
        self.set_panel("Augment", self.augment)
        self.training = TrainingPanel()
        self.set_panel("Training", self.training)
        self.training.set_spec(self.document.spec)
        self.document.spec_changed.connect(self._on_document_spec_for_training)
        self.training.model_trained.connect(self._on_training_model_trained)
        self.training.inspect_requested.connect(self._on_inspect_requested)
        self.training.busy_changed.connect(self._on_training_busy_changed)
        self.training.run_folder_created.connect(self.runs.open_run)   # app runs are run folders too
        self.models.training_settings = self._training_settings
        # The inspector builds a model on its worker thread as soon as it exists: create it when first needed.
        self._inspector = None
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.runs.model_requested.connect(self._on_runs_model_requested)
        self.runs.message.connect(self._on_builder_message)

        self.tf_status = QLabel("TensorFlow: not loaded")
        self.model_status = QLabel()
        self.statusBar().addPermanentWidget(self.model_status)
        self.statusBar().addPermanentWidget(self.tf_status)
        self.tf_loader = TensorFlowLoader(self)
        self.tf_loader.ready.connect(self._on_tf_loader_ready)
        self.tf_loader.failed.connect(self._on_tf_loader_failed)
        self._load_tensorflow = load_tensorflow
        if not load_tensorflow:
            self.tf_status.setText("TensorFlow: off (shapes still work)")

        self._make_actions()
        self._make_menus()
        self.document.dirty_changed.connect(self._on_document_dirty_changed)
        self.document.path_changed.connect(self._on_document_path_changed)
        self.document.spec_changed.connect(self._on_document_spec_changed)
        self.builder.message.connect(self._on_builder_message)
        self._on_document_spec_changed()
        self._restore_settings()

    # --- panels ---------------------------------------------------------------------------------------------
    def panel(self, title: str) -> QWidget:
        return self.tabs.widget(TAB_TITLES.index(title))

    def set_panel(self, title: str, widget: QWidget) -> QWidget:
        """Put ``widget`` in the tab called ``title`` (replacing the placeholder); returns the old widget."""
        index = TAB_TITLES.index(title)
        old = self.tabs.widget(index)
        current = self.tabs.currentIndex()
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, title)
        self.tabs.setCurrentIndex(current)
        old.setParent(None)
        return old

    # --- actions and menus --------------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, tip: str = "", icon=None) -> QAction:
        act = QAction(text, self)
        if icon is not None:
            act.setIcon(standard_icon(icon))
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(slot)
        return act

    def _make_actions(self) -> None:
        sk, sp = QKeySequence.StandardKey, QStyle.StandardPixmap
        self.new_action = self._action("&New", self.new_model, sk.New, "Start an empty model", sp.SP_FileIcon)
        self.open_action = self._action("&Open model spec…", self.open_spec, sk.Open, "Open a model spec (.json)",
                                        sp.SP_DialogOpenButton)
        self.save_action = self._action("&Save model spec", self.save_spec, sk.Save, "Save the model spec",
                                        sp.SP_DialogSaveButton)
        self.save_as_action = self._action("Save &as…", self.save_spec_as, sk.SaveAs,
                                           "Save the model spec under a new name")
        self.import_action = self._action("&Import model…", self._on_import_triggered, "Ctrl+I",
                                          "Load a trained Keras model (.keras): its layers go to the builder when "
                                          "the builder supports them, the model to the other tabs")
        self.export_action = self._action("&Export model…", self._on_export_triggered, "Ctrl+E",
                                          "Export the trained model (.keras, weights, SavedModel, TFLite, ONNX), "
                                          "verified by loading it back")
        self.run_config_action = self._action("Export as &run config…", self._on_run_config_triggered, None,
                                              "Write what `cnnviz-cli train` needs to run this experiment headless")
        self.bundle_action = self._action("Export reproducibility &bundle…", self._on_bundle_triggered, None,
                                          "Spec, Keras code, settings, seed, data, history, test metrics and "
                                          "library versions of the last training run, in one folder")
        self.open_run_action = self._action("Open r&un…", self.runs._on_open_clicked, None,
                                            "Open a run folder written by cnnviz-cli train")
        self.follow_run_action = self._action("&Follow run…", self.runs._on_follow_clicked, None,
                                              "Watch a run folder that another process is writing")
        self.quit_action = self._action("&Quit", self.close, sk.Quit, "Quit cnnviz")
        self.undo_action = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence(sk.Undo))
        self.redo_action = self.document.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence(sk.Redo))
        self.about_action = self._action("&About cnnviz", self.show_about, None, "About cnnviz")
        self.tab_actions = []
        for i, title in enumerate(TAB_TITLES):
            act = self._action(title, self._on_tab_action_triggered, f"Ctrl+{i + 1}", f"Show the {title} tab")
            act.setData(i)
            self.tab_actions.append(act)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setToolTipsVisible(True)
        file_menu.addActions([self.new_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        self._on_recent_menu_about_to_show()
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addActions([self.import_action, self.export_action, self.bundle_action, self.run_config_action])
        file_menu.addSeparator()
        file_menu.addActions([self.open_run_action, self.follow_run_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.builder.copy_code_action)
        self.presets_menu = bar.addMenu("&Presets")
        self.presets_menu.setToolTipsVisible(True)
        self.presets_menu.addActions(self.builder.preset_actions)
        view_menu = bar.addMenu("&View")
        view_menu.addActions(self.tab_actions)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    # --- files -----------------------------------------------------------------------------------------------------
    def maybe_save(self, doing: str = "continue") -> bool:
        """Ask what to do with unsaved changes. True when it is fine to go on (saved or discarded)."""
        if not self.document.is_dirty:
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.warning(
            self, "Unsaved changes",
            f"The model “{self.document.display_name}” has unsaved changes.\nSave them before you {doing}?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save_spec()
        return answer == buttons.Discard

    @Slot()
    def new_model(self) -> bool:
        if not self.maybe_save("start a new model"):
            return False
        self.document.new()
        return True

    @Slot()
    def open_spec(self, path: str | Path | None = None) -> bool:
        """Open a spec file (asks for one if ``path`` is None). False if cancelled or it failed (message shown)."""
        if not self.maybe_save("open another model"):
            return False
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Open model spec", self.settings.last_folder("spec"),
                                                  SPEC_FILTER)
            if not path:
                return False
        try:
            self.document.open(path)
        except SpecError as exc:
            QMessageBox.critical(self, "Open model spec", f"This model spec could not be opened.\n\n{exc}")
            if not Path(path).exists():
                self.settings.remove_recent_file(path)
            return False
        self._remember_file(Path(path))
        self.statusBar().showMessage(f"Opened {path}", 5000)
        return True

    @Slot()
    def save_spec(self) -> bool:
        if self.document.path is None:
            return self.save_spec_as()
        return self._write(self.document.path)

    @Slot()
    def save_spec_as(self, path: str | Path | None = None) -> bool:
        if not path:
            suggested = str(Path(self.settings.last_folder("spec")) / f"{self.document.spec.name}.json")
            path, _ = QFileDialog.getSaveFileName(self, "Save model spec", suggested, SPEC_FILTER)
            if not path:
                return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".json")
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except OSError as exc:
            QMessageBox.critical(self, "Save model spec",
                                 f"The model spec could not be saved to\n{path}\n\n{exc.strerror or exc}")
            return False
        self._remember_file(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _remember_file(self, path: Path) -> None:
        self.settings.add_recent_file(path)
        self.settings.set_last_folder("spec", path.parent)

    @Slot()
    def _on_recent_menu_about_to_show(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files:
            act = self.recent_menu.addAction(Path(path).name)
            act.setData(path)
            act.setStatusTip(path)
            act.triggered.connect(self._on_recent_action_triggered)
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list").triggered.connect(self._on_clear_recent_triggered)

    @Slot()
    def _on_recent_action_triggered(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.open_spec(act.data())

    @Slot()
    def _on_clear_recent_triggered(self) -> None:
        self.settings.recent_files = []

    # --- other slots ------------------------------------------------------------------------------------------------
    @Slot()
    def show_about(self) -> None:
        QMessageBox.about(self, "About cnnviz",
                          f"<h3>cnnviz {__version__}</h3><p>A desktop studio for learning convolutional neural "
                          "networks: build a CNN, see its shapes and parameters, train it, look inside it.</p>"
                          "<p>PySide6 (Qt 6), pyqtgraph, TensorFlow/Keras. MIT licence.</p>")

    @Slot()
    def _on_tab_action_triggered(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.tabs.setCurrentIndex(int(act.data()))

    @Slot(bool)
    def _on_document_dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)

    @Slot(str)
    def _on_document_path_changed(self, _path: str) -> None:
        self._update_title()

    @Slot()
    def _on_document_spec_changed(self) -> None:
        self._update_title()
        problems = self.document.problems
        report = self.document.report
        if problems:
            n = len(problems)
            self.model_status.setText(f"<span style='color:#c62828'>✗ {n} problem{'s' if n > 1 else ''}</span>")
            self.model_status.setToolTip("\n".join(p.message for p in problems))
        else:
            self.model_status.setText(f"<span style='color:#2e7d32'>✓ ready to train</span> · "
                                      f"{report.total_params:,} parameters")
            self.model_status.setToolTip("")

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — cnnviz")
        self.setWindowModified(self.document.is_dirty)

    @Slot(str)
    def _on_builder_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    # --- TensorFlow in the background ----------------------------------------------------------------------------
    @Slot()
    def start_background_work(self) -> None:
        if self._load_tensorflow:
            self.tf_status.setText("TensorFlow: loading in the background…")
            self.tf_loader.start()
            if not self.draw.model_ready():
                self.draw.use_shipped_model()

    @Slot(float)
    def _on_tf_loader_ready(self, seconds: float) -> None:
        version = getattr(sys.modules.get("tensorflow"), "__version__", "")
        self.tf_status.setText(f"TensorFlow {version}: ready".replace("  ", " "))
        self.tf_status.setToolTip(f"TensorFlow imported in {seconds:.1f} s")
        if seconds > 0:  # 0: another part of the app had already imported it
            self.statusBar().showMessage(f"TensorFlow loaded in {seconds:.1f} s", 5000)

    @Slot(str)
    def _on_tf_loader_failed(self, message: str) -> None:
        self.tf_status.setText("TensorFlow: failed to load")
        self.tf_status.setToolTip(message)
        QMessageBox.critical(self, "cnnviz", message.split("\n\n")[0])

    # --- settings and closing ---------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.window_geometry
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1200, screen.width()), min(800, screen.height()))
        state = self.settings.window_state
        if state is not None:
            self.restoreState(state)
        for name, splitter in (("builder/main", self.builder.splitter), ("builder/columns", self.builder.columns)):
            saved = self.settings.splitter_state(name)
            if saved is not None:
                splitter.restoreState(saved)
        if self.settings.current_tab in TAB_TITLES:
            self.tabs.setCurrentIndex(TAB_TITLES.index(self.settings.current_tab))

    def save_settings(self) -> None:
        self.settings.window_geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.set_splitter_state("builder/main", self.builder.splitter.saveState())
        self.settings.set_splitter_state("builder/columns", self.builder.columns.saveState())
        self.settings.current_tab = TAB_TITLES[self.tabs.currentIndex()]
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if not self.maybe_save("quit"):
            event.ignore()
            return
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every worker thread (training, model loading, inspection, pool tasks) and the autosave.
        Idempotent; called when the window closes. A QThread destroyed while running aborts the process."""
        self._stop_training_and_keep_history()
        self.models.shutdown()
        self.draw.wait_for_loader()
        if self._inspector is not None:
            self._inspector.shutdown()
        self.runs.shutdown()
        self.autosave.shutdown()
        self.tf_loader.wait()

    def _stop_training_and_keep_history(self) -> None:
        """Closing while training: stop within 5 s and keep the history so far in the cnnviz home folder."""
        busy = self.training.is_busy
        self.training.shutdown(5000)
        run_folder = self.training.run_folder   # the run folder holds every finished epoch
        if busy and run_folder is not None and (run_folder / "history.jsonl").is_file():
            import time

            from cnnviz.core.io.autosave import cnnviz_home
            from cnnviz.qt.training.export import save_run_history_csv

            folder = cnnviz_home() / "history"
            try:
                folder.mkdir(parents=True, exist_ok=True)
                save_run_history_csv(run_folder, folder / time.strftime("training-%Y%m%d-%H%M%S.csv"))
            except OSError:
                pass  # closing must not fail; the user was not asked for this file

    def offer_recovery(self) -> bool:
        """After a crash, offer the autosaved model back (called once the window is shown)."""
        return offer_recovery(self, self.document, self.autosave.autosave)

    @Slot()
    def _on_import_triggered(self) -> None:
        self.models.import_model()

    @Slot()
    def _on_export_triggered(self) -> None:
        self.models.export_model()

    @property
    def inspector(self):
        """The Inspector tab's panel, created on first use."""
        if self._inspector is None:
            from cnnviz.qt.inspector.panel import InspectorPanel

            self._inspector = InspectorPanel()
            self.set_panel("Inspector", self._inspector)
            if self.training.snapshots is not None:
                self._inspector.set_snapshots(self.training.snapshots)
            if self.models.model is not None:
                self._inspector.set_model(self.models.model, self.models.class_names)
        return self._inspector

    @Slot(int)
    def _on_tabs_current_changed(self, index: int) -> None:
        if TAB_TITLES[index] == "Inspector" and self._inspector is None:
            self.inspector  # noqa: B018 - creates the panel

    @Slot()
    def _on_document_spec_for_training(self) -> None:
        self.training.set_spec(self.document.spec)

    @Slot(object)
    def _on_training_model_trained(self, model) -> None:
        self.models.set_model(model, self.training.class_names, "trained in the Training tab")
        if self._inspector is not None:
            self._inspector.set_snapshots(self.training.snapshots)

    @Slot(bool)
    def _on_training_busy_changed(self, busy: bool) -> None:
        self.tf_status.setText("TensorFlow: training…" if busy else "TensorFlow: ready")

    def _training_settings(self):
        """The Training tab's settings, for File > Export as run config."""
        return self.training.run_config()

    @Slot(object)
    def _on_inspect_requested(self, image) -> None:
        source = "Drawing from the Draw tab" if self.sender() is self.draw else "Test image from the Training tab"
        self.inspector.set_image(image, source)
        self.tabs.setCurrentIndex(TAB_TITLES.index("Inspector"))

    @Slot(object, object)
    def _on_models_model_changed(self, model, class_names) -> None:
        self.draw.set_model(model, class_names)
        if self._inspector is not None:
            self._inspector.set_model(model, class_names)

    @Slot(str)
    def _on_runs_model_requested(self, path: str) -> None:
        self.models.import_run(path)

    @Slot()
    def _on_bundle_triggered(self) -> None:
        self.models.export_bundle()

    @Slot()
    def _on_run_config_triggered(self) -> None:
        self.models.export_run_config()


def install_excepthook(window: QWidget) -> None:
    """Show unexpected errors in a dialog instead of dying silently (the traceback also goes to stderr)."""
    def hook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        print(text, file=sys.stderr)
        box = QMessageBox(QMessageBox.Icon.Critical, "cnnviz: unexpected error",
                          f"{exc_type.__name__}: {exc}", parent=window)
        box.setDetailedText(text)
        box.exec()

    sys.excepthook = hook
