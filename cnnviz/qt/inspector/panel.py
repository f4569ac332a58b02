"""The Inspector tab: choose an image, then look inside the model for it.

``InspectorPanel(parent=None, *, state=None)``: it follows the app state's current model and last run
(cnnviz.qt.state.AppState); slots ``set_model(keras_model, class_names)``, ``set_image(image HxWxC float32
0..1)``, ``set_dataset(dataset)``, ``set_snapshots(store)``; ``shutdown()`` at close. Without a model it builds
the lecture's CNN with untrained weights (said on screen). All TensorFlow work runs on the state's TensorFlow
lane (cnnviz.qt.concurrency), the MNIST sample is read on its I/O pool.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget)

from cnnviz.core.inspect.inspection import to_model_input

from ..scroll_tabs import ScrollTabs
from ..state import AppState, CurrentModel, LastRun
from .ablation_view import AblationView
from .bars import ProbabilityBars
from .colors import CAPTION_STYLE, ERROR_STYLE, NOTE_STYLE, UNTRAINED_STYLE
from .conv1d_view import Conv1DView
from .conv_stepper import StepperView
from .explain_view import ExplainView
from .feature_maps import FeatureMapsView
from .image_source import ImageChooser
from .kernels_view import KernelsView
from .pixels_view import PixelsView
from .replay_view import ReplayView
from .units_view import UnitsView
from .worker import InspectionController, ModelRequest

TABS = ("Image as numbers", "Feature maps", "Kernels", "Step by step", "1D convolution", "Why this prediction",
        "What units look for", "Filter ablation", "Training replay")


class InspectorPanel(QWidget):
    model_ready = Signal()      # a model is set up and its views built
    maps_ready = Signal()       # every view shows the current image
    explanation_ready = Signal()
    ablation_ready = Signal()
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, state: AppState | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else AppState(parent=self)
        self.inspector = None
        self.maps = None
        self.image: np.ndarray | None = None
        self.image_description = ""
        self._model_requested = False
        self._dataset_requested = False
        self._given_image = False
        self.controller = InspectionController(self, worker=self.state.background.tf,
                                               pool=self.state.background.io)
        self.controller.finished.connect(self._on_controller_finished)
        self.controller.failed.connect(self._on_controller_failed)
        self.controller.busy_changed.connect(self._on_controller_busy_changed)

        self.model_label = QLabel("Preparing the model (loading TensorFlow)…")
        self.model_label.setStyleSheet(CAPTION_STYLE)
        self.untrained = QLabel("Untrained weights: the lecture's MNIST CNN with its random initial weights. Kernels "
                                "and feature maps show a network before it has learned anything.")
        self.untrained.setStyleSheet(UNTRAINED_STYLE)
        self.untrained.setWordWrap(True)
        self.untrained.hide()
        self.shipped_button = QPushButton("Use the shipped trained digit model")
        self.shipped_button.setToolTip("cnnviz's small pretrained MNIST CNN (about 99% test accuracy)")
        self.shipped_button.hide()
        self.busy_label = QLabel()
        self.busy_label.setStyleSheet(NOTE_STYLE)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.chooser = ImageChooser()
        self.prediction = QLabel("Prediction: …")
        self.prediction.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.prediction.setWordWrap(True)
        self.bars = ProbabilityBars(row_px=17)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.chooser)
        left_layout.addWidget(self.prediction)
        left_layout.addWidget(self.bars)
        left_layout.addStretch(1)
        left.setMinimumWidth(250)
        left.setMaximumWidth(330)

        self.pixels = PixelsView()
        self.feature_maps = FeatureMapsView()
        self.kernels = KernelsView()
        self.stepper = StepperView()
        self.conv1d = Conv1DView()
        self.explain = ExplainView()
        self.units = UnitsView(worker=self.controller.worker)   # its own jobs on the same TensorFlow lane
        self.ablation = AblationView()
        self.replay = ReplayView()
        self.tabs = ScrollTabs()   # a wide view scrolls instead of growing the window past the screen
        for title, view in zip(TABS, (self.pixels, self.feature_maps, self.kernels, self.stepper, self.conv1d,
                                      self.explain, self.units, self.ablation, self.replay)):
            self.tabs.addTab(view, title)
        self.tabs.setCurrentIndex(1)

        head = QHBoxLayout()
        head.addWidget(self.model_label, 1)
        head.addWidget(self.busy_label)
        banner = QHBoxLayout()
        banner.addWidget(self.untrained, 1)
        banner.addWidget(self.shipped_button)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 1200])
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(banner)
        layout.addWidget(self.error_label)
        layout.addWidget(splitter, 1)

        self.chooser.image_chosen.connect(self._on_chooser_image_chosen)
        self.explain.explain_requested.connect(self._on_explain_requested)
        self.ablation.ablation_requested.connect(self._on_ablation_requested)
        self.units.image_chosen.connect(self._on_units_image_chosen)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.shipped_button.clicked.connect(self._on_shipped_clicked)
        self.state.model_changed.connect(self._on_state_model_changed)
        self.state.last_run_changed.connect(self._on_state_last_run_changed)
        if self.state.last_run is not None:
            self.set_snapshots(self.state.last_run.snapshots)
        if self.state.model is not None:
            self._on_state_model_changed(self.state.model)
        QTimer.singleShot(0, self._on_start)

    # ----------------------------------------------------------------------------------------------- API
    @Slot(object, object)
    def set_model(self, keras_model, class_names=None) -> None:
        """Inspect ``keras_model`` (a copy of its current weights is taken on the worker thread)."""
        self._model_requested = True
        self.model_label.setText(f"Preparing {getattr(keras_model, 'name', 'the model')}…")
        names = None if class_names is None else tuple(class_names)
        self.controller.submit("model", ModelRequest(keras_model, names, "given"))

    @Slot(object)
    def set_image(self, image: np.ndarray, description: str = "Image given by another tab") -> None:
        """Inspect this image (H, W, C float32 0..1; converted to the model's input size if needed)."""
        image = np.asarray(image, np.float32)
        self._given_image = True  # the dataset browser must not replace it when it finishes loading
        self._show_image(image[..., None] if image.ndim == 2 else image, description)

    @Slot(object)
    def set_dataset(self, dataset) -> None:
        """Browse images from ``dataset`` (a cnnviz.core.data.dataset.Dataset)."""
        self._dataset_requested = True
        self.chooser.set_dataset(dataset)

    @Slot(object)
    def set_snapshots(self, store) -> None:
        """Replay per-epoch snapshots from a cnnviz.core.train.snapshots.SnapshotStore in the Training replay tab."""
        self.replay.set_store(store)

    @Slot()
    def shutdown(self) -> bool:
        """Stop the timers and this panel's background jobs (call when the window closes)."""
        self.stepper.timer.stop()
        self.conv1d.timer.stop()
        self.replay.timer.stop()
        self.replay.play_timer.stop()
        units_ok = self.units.shutdown()
        ok = self.controller.shutdown() and units_ok
        return self.state.shutdown_own_background() and ok

    @Slot(object)
    def _on_state_model_changed(self, current: CurrentModel | None) -> None:
        if current is not None:
            self.set_model(current.model, current.class_names)

    @Slot(object)
    def _on_state_last_run_changed(self, run: LastRun | None) -> None:
        if run is not None and run.snapshots is not None:
            self.set_snapshots(run.snapshots)

    # ------------------------------------------------------------------------------------------- private
    @Slot()
    def _on_start(self) -> None:
        if not self._model_requested:
            self._model_requested = True
            self.controller.submit("model", ModelRequest(None, None, "default"))
        if not self._dataset_requested:
            self._dataset_requested = True
            self.controller.submit("dataset", "mnist_sample")

    def _show_image(self, image: np.ndarray, description: str) -> None:
        if self.inspector is not None:
            image = to_model_input(image, self.inspector.input_shape)
        self.image, self.image_description = image, description
        if self._given_image:
            self.chooser.show_image(image, description)
        self.pixels.set_image(image)
        self._request_maps()

    def _request_maps(self) -> None:
        self.controller.cancel("explain")   # a new image or model: the running explanation is stale
        self.explain.cancelled()
        if self.inspector is not None and self.image is not None:
            if self.image.shape != self.inspector.input_shape:
                self.image = to_model_input(self.image, self.inspector.input_shape)
            self.controller.submit("maps", (self.inspector, self.image))

    def _set_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if text:
            self.error.emit(text)

    def _model_ready(self, ready) -> None:
        ins = ready.inspector
        self.controller.cancel("explain")   # an explanation of the old model is of no use now
        self.inspector, self.maps = ins, None
        params = ins.param_count
        h, w, c = ins.input_shape
        self.model_label.setText(f"Model: {ready.description} — {len(ins.layers)} layers, {params:,} parameters, "
                                 f"input {h}×{w}×{c}, {len(ins.class_names)} classes")
        self.untrained.setVisible(ready.untrained)
        self.shipped_button.setVisible(ready.untrained)
        self._set_error("")
        for view in (self.feature_maps, self.kernels, self.stepper, self.explain, self.ablation, self.units):
            view.set_inspector(ins)
        self._quietly(self.chooser.set_input_shape, ins.input_shape)
        self.model_ready.emit()
        self._request_maps()

    def _maps_ready(self, inspector, maps) -> None:
        if inspector is not self.inspector:
            return  # a result for a model that was replaced meanwhile
        self.maps = maps
        self.controller.cancel("explain")   # the old image's explanation (a new one follows if its tab is shown)
        self.pixels.set_image(maps.image)
        for view in (self.feature_maps, self.stepper):
            view.set_maps(maps)
        self.explain.maps = self.ablation.maps = None
        self._update_hidden_views()
        names = inspector.class_names
        k = maps.predicted
        true = self.chooser.label if self.image_description == self.chooser.description else None
        dataset = self.chooser.dataset
        if true is not None and (dataset is None or tuple(dataset.class_names) != tuple(names)):
            true = None  # the dataset's labels are not this model's classes
        if self._given_image:
            true = None  # a drawing or another tab's image: the browser's label is not its label
        verdict = "" if true is None else ("  ✓ correct" if true == k else f"  ✗ (true: {names[true]})")
        self.prediction.setText(f"Prediction: {names[k]}  ({100 * maps.probabilities[k]:.1f}%){verdict}")
        self.bars.set_values(maps.probabilities, names, true_class=true)
        self.maps_ready.emit()

    def _update_hidden_views(self) -> None:
        """The gradient views run only while their tab is shown (they cost a backward pass)."""
        if self.maps is None:
            return
        current = self.tabs.currentWidget()
        if current is self.explain and self.explain.maps is not self.maps:
            self.explain.set_maps(self.maps)
        elif current is self.ablation and self.ablation.maps is not self.maps:
            self.ablation.set_maps(self.maps)

    @Slot(object, str)
    def _on_chooser_image_chosen(self, image, description: str) -> None:
        self._given_image = False  # the user browses the dataset again
        self._show_image(image, description)

    def _quietly(self, update, *args) -> None:
        """Update the image chooser without letting it replace an image another tab gave (e.g. a drawing)."""
        if not self._given_image:
            update(*args)
            return
        self.chooser.blockSignals(True)
        try:
            update(*args)
        finally:
            self.chooser.blockSignals(False)
        if self.image is not None:
            self.chooser.show_image(self.image, self.image_description)  # the update showed its own image

    @Slot(str, int, str)
    def _on_explain_requested(self, method: str, class_index: int, layer: str) -> None:
        self.controller.submit("explain", (self.inspector, self.maps.image, method, class_index, layer or None,
                                           self.explain.options()))

    @Slot(str, object)
    def _on_ablation_requested(self, layer: str, channels) -> None:
        self.controller.submit("ablate", (self.inspector, self.maps.image, layer, tuple(channels)))

    @Slot(object, str)
    def _on_units_image_chosen(self, image, description: str) -> None:
        self.set_image(image, description)
        self.tabs.setCurrentWidget(self.feature_maps)   # what the layers make of the unit's picture

    @Slot(int)
    def _on_tabs_current_changed(self, _index: int) -> None:
        self._update_hidden_views()

    @Slot()
    def _on_shipped_clicked(self) -> None:
        self._model_requested = True
        self.model_label.setText("Loading the shipped digit model…")
        self.controller.submit("model", ModelRequest(None, None, "shipped"))

    @Slot(str, object)
    def _on_controller_finished(self, kind: str, result) -> None:
        if kind == "model":
            self._model_ready(result)
        elif kind == "dataset":
            self._quietly(self.chooser.set_dataset, result)
        elif kind == "maps":
            self._maps_ready(*result)
        elif kind == "explain":
            if result.inspector is self.inspector and self.explain.maps is not None:
                self.explain.show_explanation(result)
                self.explanation_ready.emit()
        elif kind == "ablate":
            inspector, layer, channels, probs = result
            if inspector is self.inspector and self.ablation.maps is not None:
                self.ablation.show_result(layer, channels, probs)
                self.ablation_ready.emit()

    @Slot(str, str)
    def _on_controller_failed(self, kind: str, message: str) -> None:
        what = {"model": "The model could not be prepared", "dataset": "The MNIST sample could not be loaded",
                "maps": "The feature maps could not be computed", "explain": "The explanation failed",
                "ablate": "The ablation failed"}.get(kind, "Inspection failed")
        if kind == "explain":
            self.explain.show_failure(f"{what}: {message}")
        if kind == "model" and self.inspector is None:
            self.model_label.setText("No model")
        self._set_error(f"{what}: {message}")

    @Slot(bool)
    def _on_controller_busy_changed(self, busy: bool) -> None:
        self.busy_label.setText("working…" if busy else "")
