"""The lesson dock of the main window (View > Lesson, F9) and the first-launch welcome page."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QCheckBox, QDialog, QDockWidget, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from .actions import window_handlers
from .panel import LessonPanel


def install_lesson_dock(window) -> QDockWidget:
    """A hidden dock holding a LessonPanel for ``window``, with its toggle action (F9) in the View menu."""
    panel = LessonPanel(window_handlers(window), lambda: window.document.spec, window.settings)
    dock = QDockWidget("Lesson", window)
    dock.setObjectName("lesson_dock")
    dock.setWidget(panel)
    dock.setMinimumWidth(280)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()
    action = dock.toggleViewAction()
    action.setText("&Lesson")
    action.setShortcut(QKeySequence("F9"))
    action.setToolTip("the guided lesson beside any tab")
    for menu_action in window.menuBar().actions():
        if menu_action.text().replace("&", "") == "View":
            menu_action.menu().addSeparator()
            menu_action.menu().addAction(action)
            break
    else:
        window.addAction(action)
    return dock


def start_lesson(window, lesson_id: str = "lecture") -> LessonPanel:
    dock = window.lesson_dock
    dock.show()
    panel: LessonPanel = dock.widget()
    panel.select_lesson(lesson_id)
    return panel


class WelcomeDialog(QDialog):
    """First launch: three ways in (napari and Orange greet newcomers the same way); "don't show again"."""

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.setWindowTitle("Welcome to cnnviz")
        intro = QLabel("<h2>Welcome to cnnviz</h2><p>Convolutional neural networks you can touch: build one, "
                       "train it, look inside it. Where would you like to start?</p>")
        intro.setWordWrap(True)
        self.lesson_button = QPushButton("Follow the lecture, step by step")
        self.lesson_button.setToolTip("a guided lesson beside the tabs: images as numbers to the trained MNIST CNN")
        self.draw_button = QPushButton("Draw a digit for a trained network")
        self.draw_button.setToolTip("the shipped MNIST model reads what you draw on the Draw tab")
        self.blank_button = QPushButton("Start from a blank model")
        self.blank_button.setToolTip("an empty model in the Builder: add layers from the palette")
        self.dont_show = QCheckBox("Don't show this again")
        buttons = QVBoxLayout()
        for b in (self.lesson_button, self.draw_button, self.blank_button):
            b.setMinimumHeight(36)
            buttons.addWidget(b)
        bottom = QHBoxLayout()
        bottom.addWidget(self.dont_show)
        bottom.addStretch(1)
        close = QPushButton("Close")
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addLayout(bottom)
        self.lesson_button.clicked.connect(self._on_lesson_clicked)
        self.draw_button.clicked.connect(self._on_draw_clicked)
        self.blank_button.clicked.connect(self._on_blank_clicked)
        close.clicked.connect(self.accept)
        self.finished.connect(self._on_finished)

    def _on_lesson_clicked(self) -> None:
        start_lesson(self.window_, "lecture").show_me()
        self.accept()

    def _on_draw_clicked(self) -> None:
        tabs = self.window_.tabs
        tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.tabText(i).replace("&", "") == "Draw"))
        self.accept()

    def _on_blank_clicked(self) -> None:
        from cnnviz.core.model.spec import ModelSpec

        self.window_.document.replace_spec(ModelSpec((28, 28, 1), [], name="my_model"), "Blank model")
        tabs = self.window_.tabs
        tabs.setCurrentIndex(0)
        self.accept()

    def _on_finished(self, _result: int) -> None:
        if self.dont_show.isChecked():
            self.window_.settings.store.setValue("welcome/hide", True)


def should_welcome(settings) -> bool:
    value = settings.store.value("welcome/hide", False)
    return not (value is True or str(value).lower() == "true")


def offer_welcome(window) -> WelcomeDialog | None:
    """Show the welcome page (non-modal) unless the user asked not to see it again."""
    if not should_welcome(window.settings):
        return None
    dialog = WelcomeDialog(window)
    dialog.setModal(False)
    dialog.show()
    return dialog
