"""How the Training tab looks: the widgets it is made of and where each one sits (what Qt Designer's setupUi does).

``build_layout(panel)`` makes them as attributes of the cnnviz.qt.training.panel.TrainingPanel: the set-up form
in a scroll area on the left; on the right the model line, the Train / Stop / Train more buttons with the "+N
epochs" box and the progress bar, the progress text and message, the plots ("Curves", "Watch it learn") above the
results, and the export buttons. It connects nothing: what the widgets do is the panel's.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QScrollArea, QSpinBox, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from .learning_view import LearningView
from .live_plots import LivePlots
from .progress import RunProgress
from .results import ResultsView
from .setup_form import SetupForm

__all__ = ["build_layout"]


def build_layout(panel: QWidget) -> None:
    """Make the Training tab's widgets on ``panel`` and lay them out (called once, from its __init__)."""
    panel.form = SetupForm()
    scroll = QScrollArea()
    scroll.setWidget(panel.form)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(340)
    scroll.setMaximumWidth(520)

    panel.train_button = QPushButton("Train")   # its text says the epochs it trains (the form's Epochs)
    panel.train_button.setDefault(True)
    panel.stop_button = QPushButton("Stop")
    panel.stop_button.setToolTip("Stop after the current batch; the weights and the curves so far are kept")
    panel.more_button = QPushButton("Train more")
    panel.more_spin = QSpinBox()   # how many epochs Train more adds; Train itself uses the form's Epochs
    panel.more_spin.setRange(1, 10000)
    panel.more_spin.setValue(5)
    panel.more_spin.setPrefix("+")
    panel.more_spin.setSuffix(" epochs")
    panel.more_spin.setToolTip("How many more epochs “Train more” adds to the model trained so far. "
                               "Train (a fresh model) uses Epochs in the set-up on the left.")
    panel.report = RunProgress()
    panel.progress, panel.progress_label, panel.message = panel.report.bar, panel.report.label, panel.report.message
    panel.model_label = QLabel()   # which model Train builds, and the app's current model (every tab's)
    panel.model_label.setWordWrap(True)
    panel.model_label.setTextFormat(Qt.TextFormat.PlainText)
    panel.csv_button = QPushButton("Export history (CSV)…")
    panel.png_button = QPushButton("Save plots (PNG)…")

    panel.plots = LivePlots()
    panel.results = ResultsView()
    panel.learning = LearningView()   # "watch it learn": recorded on the training thread at each epoch's end
    panel.plot_tabs = QTabWidget()
    panel.plot_tabs.setDocumentMode(True)
    panel.plot_tabs.addTab(panel.plots, "Curves")
    panel.plot_tabs.addTab(panel.learning, "Watch it learn")
    panel.plot_tabs.setTabToolTip(1, "After every epoch: where the network puts the test images (PCA of its "
                                     "last hidden layer) and how each layer's weights are spread")

    controls = QHBoxLayout()
    for w in (panel.train_button, panel.stop_button, panel.more_button, panel.more_spin):
        controls.addWidget(w)
    controls.addWidget(panel.progress, 1)
    exports = QHBoxLayout()
    exports.addStretch(1)
    exports.addWidget(panel.csv_button)
    exports.addWidget(panel.png_button)
    right = QWidget()
    rl = QVBoxLayout(right)
    rl.setContentsMargins(4, 0, 0, 0)
    rl.addWidget(panel.model_label)
    rl.addLayout(controls)
    rl.addWidget(panel.progress_label)
    rl.addWidget(panel.message)
    vsplit = QSplitter(Qt.Orientation.Vertical)
    vsplit.addWidget(panel.plot_tabs)
    vsplit.addWidget(panel.results)
    vsplit.setStretchFactor(0, 1)
    vsplit.setStretchFactor(1, 1)
    vsplit.setSizes([330, 330])
    vsplit.setChildrenCollapsible(False)
    rl.addWidget(vsplit, 1)
    rl.addLayout(exports)
    split = QSplitter(Qt.Orientation.Horizontal)
    split.addWidget(scroll)
    split.addWidget(right)
    split.setStretchFactor(1, 1)
    split.setSizes([390, 810])
    split.setChildrenCollapsible(False)
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(split)
