"""The main window: one tab per panel, the menus, and a status bar saying what TensorFlow is doing.

The window makes the app state (cnnviz.qt.state.AppState: the document being edited, the current model, the last
run, the background lanes) and hands it to the panels; the menu actions live beside it in cnnviz.qt.actions and
cnnviz.qt.models, the menu bar in cnnviz.qt.window_menus. Everything that has to stop at close is in one registry
(``shutdown_registry``, filled by cnnviz.qt.window_shutdown); closing the window stops and waits on all of it. The
window is shown before TensorFlow is imported (``start_background_work`` queues the import on the TensorFlow lane).
A tab's placeholder is replaced with ``window.set_panel("Training", widget)``.
"""
from __future__ import annotations

import sys

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QWidget

from cnnviz.core.io.autosave import Autosave
from cnnviz.qt.actions import SPEC_FILTER, DocumentActions, RunMenuActions
from cnnviz.qt.builder import BuilderPanel, SpecDocument
from cnnviz.qt.canvas.panel import DrawPanel
from cnnviz.qt.classroom import install_classroom
from cnnviz.qt.concurrency import Background, ShutdownRegistry
from cnnviz.qt.document_model import DocumentModel
from cnnviz.qt.icons import app_icon
from cnnviz.qt.models import ModelActions
from cnnviz.qt.recovery import AutosaveController, offer_recovery
from cnnviz.qt.runs.panel import RunsPanel
from cnnviz.qt.scroll_tabs import ScrollTabs
from cnnviz.qt.session import LastSession
from cnnviz.qt.settings import AppSettings
from cnnviz.qt.state import AppState, LastRun
from cnnviz.qt.tf_loader import TensorFlowLoader
from cnnviz.qt.training.panel import TrainingPanel
from cnnviz.qt.window_menus import install_menus, show_about_dialog
from cnnviz.qt.window_shutdown import register_shutdown

__all__ = ["SPEC_FILTER", "TAB_TITLES", "MainWindow", "install_excepthook"]

TAB_TITLES = ("Builder", "Training", "Inspector", "Draw", "Augment", "Runs", "Lecture")
_PLACEHOLDER = "Inspector: feature maps, kernels and the convolution step by step (loading…)."


def _placeholder(text: str) -> QWidget:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: #5c5c5c; font-size: 14pt")
    return label


class MainWindow(QMainWindow):
    def __init__(self, *, load_tensorflow: bool = True, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else AppSettings()
        self._user_quit = False   # set while File > Quit closes the window
        self.setWindowIcon(app_icon())
        self.document = SpecDocument(parent=self)
        self.background = Background(self)
        self.state = AppState(self.document, self.background, parent=self)
        self.shutdown_registry = ShutdownRegistry()

        self.builder = BuilderPanel(self.document)
        self.training = TrainingPanel(state=self.state)
        self.draw = DrawPanel(load_shipped=False, state=self.state)  # the shipped model loads once shown
        from cnnviz.qt.augment import AugmentPanel

        self.augment = AugmentPanel(state=self.state)  # its TensorFlow work starts when the tab is first shown
        self.runs = RunsPanel()
        from cnnviz.qt.lecture import LecturePanel

        self.lecture = LecturePanel(state=self.state)   # cheap: Keras is asked only once a sub-tab is shown
        self._inspector = None   # it builds a model as soon as it exists: made when first needed
        self.tabs = ScrollTabs()   # no panel may raise the window's minimum size: a big one scrolls
        self.tabs.setDocumentMode(True)
        for title, widget in zip(TAB_TITLES, (self.builder, self.training, _placeholder(_PLACEHOLDER), self.draw,
                                              self.augment, self.runs, self.lecture)):
            self.tabs.addTab(widget, title)
        self.setCentralWidget(self.tabs)

        self.autosave = AutosaveController(self.document, Autosave(), parent=self)
        # one current model: the Builder's (built untrained) until one is trained or imported
        self.document_model = DocumentModel(self.state, enabled=load_tensorflow, parent=self)
        self.files = DocumentActions(self.document, self.settings, self, parent=self)
        self.models = ModelActions(self.state, self.settings, self, confirm_replace=self.files.maybe_save,
                                   training=self.training, parent=self)
        self.models.training_settings = self.training.run_config
        # nothing trained lost on quit; the next launch offers the last session back (a bar above the tabs)
        self.last_session = LastSession(self.state, self.settings, self.files, self.training, self.document_model,
                                        self, parent=self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.last_session.bar)
        self.run_actions = RunMenuActions(self.runs, self, parent=self)
        self.tf_loader = TensorFlowLoader(self.background.tf, self)
        self._load_tensorflow = load_tensorflow
        register_shutdown(self)
        self._connect()

        self.tf_status = QLabel("TensorFlow: not loaded" if load_tensorflow else
                                "TensorFlow: off (shapes still work)")
        self.model_status = QLabel()
        self.statusBar().addPermanentWidget(self.model_status)
        self.statusBar().addPermanentWidget(self.tf_status)
        install_menus(self, TAB_TITLES)   # File, Edit, Presets, View, Help
        from cnnviz.qt.lesson.dock import install_lesson_dock

        self.lesson_dock = install_lesson_dock(self)   # View > Lesson (F9): the guided lesson beside any tab
        self.classroom = install_classroom(self)   # View > Zoom, Presentation, Theme; F1 help; shortcut list
        self.training.set_spec(self.document.spec)
        self._on_document_spec_changed()
        self._restore_settings()
        self.last_session.offer()   # after the window state: the bar's visibility is the offer's

    def _connect(self) -> None:
        for source in (self.autosave.failed, self.models.message, self.runs.message, self.builder.message,
                       self.document_model.failed, self.last_session.message):
            source.connect(self._on_message)
        self.last_session.export_requested.connect(self._on_export_triggered)
        self.files.message.connect(self._on_files_message)
        self.document.dirty_changed.connect(self._on_document_dirty_changed)
        self.document.path_changed.connect(self._on_document_path_changed)
        self.document.spec_changed.connect(self._on_document_spec_changed)
        self.draw.inspect_requested.connect(self._on_inspect_requested)
        self.training.model_trained.connect(self._on_training_model_trained)
        self.training.inspect_requested.connect(self._on_training_inspect_requested)
        self.training.busy_changed.connect(self._on_training_busy_changed)
        self.training.run_folder_created.connect(self.runs.open_run)   # app runs are run folders too
        self.runs.model_requested.connect(self._on_runs_model_requested)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.tf_loader.ready.connect(self._on_tf_loader_ready)
        self.tf_loader.failed.connect(self._on_tf_loader_failed)

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

    @property
    def inspector(self):
        """The Inspector tab's panel, created on first use (it follows the app state's model and last run)."""
        if self._inspector is None:
            from cnnviz.qt.inspector.panel import InspectorPanel

            self._inspector = InspectorPanel(state=self.state)
            if self.state.last_run is None and self.training.snapshots is not None:
                self._inspector.set_snapshots(self.training.snapshots)   # a run in progress
            self.set_panel("Inspector", self._inspector)
        return self._inspector

    # --- menu actions (made in cnnviz.qt.window_menus) ------------------------------------------------------------
    @Slot()
    def show_about(self) -> None:
        show_about_dialog(self)

    @Slot()
    def _on_tab_action_triggered(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.tabs.setCurrentIndex(int(act.data()))

    @Slot()
    def _on_import_triggered(self) -> None:
        self.models.import_model()

    @Slot()
    def _on_export_triggered(self) -> None:
        self.last_session.watch_export(self.models.export_model())

    @Slot()
    def _on_bundle_triggered(self) -> None:
        self.models.export_bundle()

    @Slot()
    def _on_run_config_triggered(self) -> None:
        self.models.export_run_config()

    # --- document and status bar -----------------------------------------------------------------------------
    @Slot(bool)
    def _on_document_dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)

    @Slot(str)
    def _on_document_path_changed(self, _path: str) -> None:
        self._update_title()

    @Slot()
    def _on_document_spec_changed(self) -> None:
        self._update_title()
        self.training.set_spec(self.document.spec)
        problems, report = self.document.problems, self.document.report
        if problems:
            n = len(problems)
            self.model_status.setText(f"<span style='color:#c62828'>✗ {n} problem{'s' if n > 1 else ''}</span>")
            self.model_status.setToolTip("\n".join(p.message for p in problems))
        else:
            self.model_status.setText(f"<span style='color:#256b29'>✓ ready to train</span> · "
                                      f"{report.total_params:,} parameters")
            self.model_status.setToolTip("")

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — cnnviz")
        self.setWindowModified(self.document.is_dirty)

    @Slot(str)
    def _on_message(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text, 5000)
        else:
            self.statusBar().clearMessage()

    @Slot(str, int)
    def _on_files_message(self, text: str, ms: int) -> None:
        self.statusBar().showMessage(text, ms)

    # --- between the panels: through the state and public methods ---------------------------------------------
    @Slot(int)
    def _on_tabs_current_changed(self, index: int) -> None:
        if TAB_TITLES[index] == "Inspector" and self._inspector is None:
            self.inspector  # noqa: B018 - creates the panel

    @Slot(object)
    def _on_training_model_trained(self, model) -> None:
        training = self.training
        self.state.set_last_run(LastRun(model, training.session, training.snapshots, training.last_evaluation,
                                        tuple(training.class_names), training.run_folder))
        self.state.set_model(model, training.class_names, "trained in the Training tab")
        evaluation = training.last_evaluation
        self.last_session.model_trained(model, training.run_folder,
                                        training.session.epochs_done if training.session is not None else 0,
                                        None if evaluation is None else float(evaluation.accuracy))

    @Slot(bool)
    def _on_training_busy_changed(self, busy: bool) -> None:
        self.tf_status.setText("TensorFlow: training…" if busy else "TensorFlow: ready")

    @Slot(object)
    def _on_inspect_requested(self, image) -> None:
        source = "Drawing from the Draw tab" if self.sender() is self.draw else "Test image from the Training tab"
        self.inspector.set_image(image, source)
        self.tabs.setCurrentIndex(TAB_TITLES.index("Inspector"))

    @Slot(object, str)
    def _on_training_inspect_requested(self, image, description: str) -> None:
        """A test image from the Training tab's results, with its true and predicted class."""
        self.inspector.set_image(image, description or "Test image from the Training tab")
        self.tabs.setCurrentIndex(TAB_TITLES.index("Inspector"))

    @Slot(str)
    def _on_runs_model_requested(self, path: str) -> None:
        self.models.import_run(path)

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

    # --- settings, recovery and closing -----------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.window_geometry
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1200, screen.width()), min(800, screen.height()))
        state = self.settings.window_state
        if state is not None:
            self.restoreState(state)
        for name in self.builder.LAYOUT_PARTS:
            saved = self.settings.splitter_state(f"builder/{name}")
            if saved is not None:
                self.builder.restore_layout_state(name, saved)
        if self.settings.current_tab in TAB_TITLES:
            self.tabs.setCurrentIndex(TAB_TITLES.index(self.settings.current_tab))

    def save_settings(self) -> None:
        self.settings.window_geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        for name in self.builder.LAYOUT_PARTS:
            self.settings.set_splitter_state(f"builder/{name}", self.builder.layout_state(name))
        self.settings.current_tab = TAB_TITLES[self.tabs.currentIndex()]
        self.settings.sync()

    def offer_recovery(self) -> bool:
        """After a crash, offer the autosaved model back (called once the window is shown)."""
        return offer_recovery(self, self.document, self.autosave.autosave)

    @Slot()
    def _on_quit_triggered(self) -> None:
        """File > Quit (Ctrl+Q): the user quits, so a trained model that was not exported is asked about."""
        self._user_quit = True
        try:
            self.close()
        finally:
            self._user_quit = False

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        # The user quitting (File > Quit, or the window's close button: a spontaneous event) is told about a
        # trained model that was not exported; a close made by code (a test, a shutdown path) is not asked.
        asked = event.spontaneous() or self._user_quit
        if not self.files.maybe_save("quit") or (asked and not self.last_session.confirm_quit()):
            event.ignore()
            return
        self.last_session.record()   # offered back at the next launch
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)

    @Slot()
    def shutdown(self) -> bool:
        """Stop and wait on everything in the registry (training, panels, autosave, the background lanes).
        Idempotent; called when the window closes (and at aboutToQuit). A QThread destroyed while running aborts
        the process, so nothing may be left running."""
        self.document_model.shutdown()   # a build waiting for its timer (the lanes below stop the rest)
        self.last_session.shutdown()
        return self.shutdown_registry.shutdown(30000)

    def _shutdown_inspector(self) -> bool:   # in the registry (cnnviz.qt.window_shutdown)
        return True if self._inspector is None else self._inspector.shutdown()


def install_excepthook(window: QWidget):
    """Show uncaught errors as the CLI's one line (an unexpected one names its crash report) in a dialog, after
    autosaving the model; the app keeps running (cnnviz.qt.error_dialog)."""
    from cnnviz.qt.error_dialog import install_excepthook as install

    return install(window)
