"""The Draw tab: draw a digit (or open a picture of one) and watch the model read it, live.

The shipped digit model is loaded in the background when the panel is made (drawing works meanwhile);
``set_model`` switches to a model from the app when it reads digits. Predictions run in the GUI thread: a
render, the preprocessing and the compiled forward pass take a few milliseconds together (see
benchmarks/draw_latency.py), and they run at most every ``UPDATE_MS`` while a stroke goes on.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QApplication, QButtonGroup, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QSlider, QToolButton, QVBoxLayout, QWidget)

from cnnviz.core.data.preprocess import PreprocessError, PreprocessResult, load_image, preprocess_array
from cnnviz.core.model.pretrained import digit_model_problem

from ..state import AppState, CurrentModel
from .drawing import BRUSH_RANGE, DEFAULT_BRUSH, DrawingCanvas
from .deletion_view import DeletionView
from .fragility_view import FragilityView
from .model_loader import ModelLoader, ReadyModel
from .prediction_view import MUTED, ProbabilityBars, StepStrip, TopClassView

UPDATE_MS = 40          # live prediction at most this often while drawing (~25 per second)
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
WARN = "#b35900"
ERROR = "#c62828"


class DrawPanel(QWidget):
    """Draw a digit, see the preprocessing and the ten class probabilities update as you draw.

    Signals: ``inspect_requested(np.ndarray)`` the preprocessed 28x28 float32 image (white ink on black, 0..1);
    ``prediction_changed(object)`` the class probabilities ``(K,)`` or None (nothing drawn / no model yet);
    ``model_changed(str)`` the title of the model now in use; ``model_failed(str)`` why a model could not load.
    """

    inspect_requested = Signal(object)
    prediction_changed = Signal(object)
    model_changed = Signal(str)
    model_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, load_shipped: bool = True,
                 state: AppState | None = None) -> None:
        super().__init__(parent)
        # The app's state: its current model is followed (model_changed); its TensorFlow lane prepares models.
        self.state = state if state is not None else AppState(parent=self)
        self._active: ReadyModel | None = None
        self._shipped: ReadyModel | None = None
        self._note = ""                 # why the app's model is not used, shown under the status
        self._result: PreprocessResult | None = None
        self._probabilities: np.ndarray | None = None

        self.canvas = DrawingCanvas()
        self.loader = ModelLoader(self, worker=self.state.background.tf)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(UPDATE_MS)
        self._build()

        self.canvas.changed.connect(self._on_canvas_changed)
        self.canvas.stroke_finished.connect(self._on_canvas_changed)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.loader.ready.connect(self._on_loader_ready)
        self.loader.failed.connect(self._on_loader_failed)
        self.state.model_changed.connect(self._on_state_model_changed)
        self._show_status()
        self.predict_now()
        if load_shipped:
            self.use_shipped_model()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.pen_button = QToolButton(text="Pen", checkable=True, checked=True)
        self.eraser_button = QToolButton(text="Eraser", checkable=True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.pen_button)
        group.addButton(self.eraser_button)
        self.eraser_button.toggled.connect(self._on_eraser_toggled)
        self.brush_slider = QSlider(Qt.Orientation.Horizontal)
        self.brush_slider.setRange(*BRUSH_RANGE)
        self.brush_slider.setValue(DEFAULT_BRUSH)
        self.brush_slider.setMaximumWidth(140)
        self.brush_slider.setToolTip("Brush size")
        self.brush_label = QLabel()
        self.brush_slider.valueChanged.connect(self._on_brush_slider_changed)
        self._on_brush_slider_changed(DEFAULT_BRUSH)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z)")
        self.undo_button.clicked.connect(self._on_undo_clicked)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start again on an empty sheet (Undo brings the drawing back)")
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.canvas.changed.connect(self._update_edit_buttons)
        self._update_edit_buttons()
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Read a picture of a digit (PNG, JPEG, BMP, …) through the same steps")
        self.open_button.clicked.connect(self._on_open_clicked)
        QShortcut(QKeySequence.StandardKey.Undo, self, self._on_undo_clicked,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.brush_slider.setMinimumWidth(110)
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        for w in (self.pen_button, self.eraser_button, QLabel("   Brush"), self.brush_slider, self.brush_label):
            tools.addWidget(w)
        tools.addStretch(1)
        edits = QHBoxLayout()
        edits.setContentsMargins(0, 0, 0, 0)
        for w in (self.undo_button, self.clear_button):
            edits.addWidget(w)
        edits.addStretch(1)
        edits.addWidget(self.open_button)
        left = QVBoxLayout()
        left.addLayout(tools)
        left.addLayout(edits)
        left.addWidget(self.canvas, 1)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.top_view = TopClassView()
        self.bars = ProbabilityBars()
        self.strip = StepStrip()
        strip_title = QLabel("<b>How the drawing becomes the model's 28×28 input</b> (as MNIST was prepared)")
        self.inspect_button = QPushButton("Inspect this drawing")
        self.inspect_button.setToolTip("Open the preprocessed 28×28 image in the Inspector")
        self.inspect_button.clicked.connect(self._on_inspect_clicked)
        self.timing_label = QLabel()
        self.timing_label.setStyleSheet(f"color: {MUTED};")
        self.timing_label.setMinimumWidth(230)
        self.timing_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        prediction = QHBoxLayout()
        prediction.addWidget(self.top_view)
        prediction.addWidget(self.bars, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.inspect_button)
        bottom.addStretch(1)
        bottom.addWidget(self.timing_label)
        right = QVBoxLayout()
        right.addWidget(self.status_label)
        right.addLayout(prediction, 1)
        right.addSpacing(6)
        right.addWidget(strip_title)
        right.addWidget(self.strip)
        right.addLayout(bottom)

        # FGSM and int8 quantization of the drawing, under the prediction; their TensorFlow work runs on the lane
        self.fragility = FragilityView(self.state.background.tf)
        right.addWidget(self.fragility)
        self.deletion = DeletionView(self.state.background.tf)   # the deletion check of a heat map, on the lane
        right.addWidget(self.deletion)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 5)
        layout.addSpacing(8)
        layout.addLayout(right, 6)

    # ------------------------------------------------------------------ public API
    def set_model(self, model, class_names=None, title: str | None = None) -> None:
        """Predict with ``model`` (a keras.Model) from now on, if it reads digits (28x28x1 input, classes 0..9).

        Otherwise a note says why and the shipped digit model stays in use. ``None`` goes back to the shipped
        model. The model's compiled forward pass is prepared in the background; call this when the model is
        not being trained (predictions read its weights).
        """
        if model is None:
            self.use_shipped_model()
            return
        name = title or getattr(model, "name", "this model")
        problem = digit_model_problem(model, class_names)
        if problem:
            self._note = (f"The Draw tab reads handwritten digits; “{name}” cannot: {problem}. "
                          "Predictions use the shipped digit model instead.")
            if self._active is None or not self._active.shipped:
                self.use_shipped_model(keep_note=True)
            self._show_status()
            return
        self._note = ""
        self.loader.prepare(model, class_names, f"“{name}”")
        self._show_status(f"Preparing “{name}”…")

    def use_shipped_model(self, *, keep_note: bool = False) -> None:
        """Predict with the digit model shipped with cnnviz (loaded in the background the first time)."""
        if not keep_note:
            self._note = ""
        if self._shipped is not None:
            self._activate(self._shipped)
            return
        self.loader.load_shipped()
        self._show_status()

    def load_image_file(self, path: str | Path) -> bool:
        """Show the picture at ``path`` on the canvas and read it; False (with the reason shown) if unreadable."""
        try:
            gray = load_image(path)
        except PreprocessError as exc:
            self._show_status(f"<span style='color:{ERROR}'>{exc}</span>")
            return False
        self.canvas.set_background(gray)
        self.predict_now()
        self._show_status()
        return True

    def predict_now(self) -> PreprocessResult:
        """Render the canvas, preprocess it and predict at once (the live update does this on a timer)."""
        self._timer.stop()
        t0 = time.perf_counter()
        result = preprocess_array(self.canvas.to_gray_array())
        t1 = time.perf_counter()
        probabilities = None
        if not result.empty and self._active is not None:
            probabilities = np.asarray(self._active.predictor(result.model_input())[0], dtype=np.float64)
            if probabilities.shape[0] == 1:  # one sigmoid unit (not a digit model, kept for safety)
                probabilities = np.array([1.0 - probabilities[0], probabilities[0]])
        t2 = time.perf_counter()
        self._result, self._probabilities = result, probabilities
        self._show_prediction(result, probabilities, (t1 - t0) * 1e3, (t2 - t1) * 1e3)
        drawing = None if result.empty or self._active is None else result.model_input()
        self.fragility.set_drawing(drawing, self._active)
        self.deletion.set_drawing(drawing, self._active)
        self.prediction_changed.emit(probabilities)
        return result

    @property
    def result(self) -> PreprocessResult | None:
        """The last preprocessing result (steps and the 28x28 image)."""
        return self._result

    @property
    def probabilities(self) -> np.ndarray | None:
        return self._probabilities

    def predicted_class(self) -> str | None:
        """The name of the most likely class now, or None (nothing drawn, or no model yet)."""
        if self._probabilities is None or self._active is None:
            return None
        return self._active.class_names[int(np.argmax(self._probabilities))]

    def model_ready(self) -> bool:
        return self._active is not None

    def model_title(self) -> str:
        return self._active.title if self._active is not None else ""

    def wait_for_loader(self, msecs: int = 60000) -> bool:
        """Block until background model loading has finished (tests)."""
        return self.loader.wait(msecs)

    def shutdown(self, timeout_ms: int = 60000) -> bool:
        """Stop the live-update timer and background loading (the lanes too, when this panel made them)."""
        self._timer.stop()
        self.fragility.shutdown()
        self.deletion.shutdown()
        ok = self.loader.shutdown(timeout_ms)
        return self.state.shutdown_own_background(timeout_ms) and ok

    # ------------------------------------------------------------------ display
    def _show_status(self, override: str | None = None) -> None:
        if override is not None:
            text = override
        elif self._active is not None:
            text = f"Model: {self._active.title}"
            if self.loader.busy():
                text += " <span style='color:#5c5c5c'>(preparing another…)</span>"
        elif self.loader.busy():
            text = "Loading the digit model… <span style='color:#5c5c5c'>(you can draw meanwhile)</span>"
        else:
            text = "No model loaded."
        if self._note and override is None:
            text += f"<br><span style='color:{WARN}'>{self._note}</span>"
        self.status_label.setText(text)

    def _show_prediction(self, result: PreprocessResult, probabilities, prep_ms: float, model_ms: float) -> None:
        self.strip.set_steps(result.steps, result.message)
        self.inspect_button.setEnabled(not result.empty)
        if result.empty:
            self.top_view.show_nothing("nothing drawn")
            self.bars.set_probabilities(None)
            self.timing_label.setText("")
            return
        if probabilities is None:
            self.top_view.show_nothing("loading model…")
            self.bars.set_probabilities(None)
            self.timing_label.setText(f"preprocessing {prep_ms:.1f} ms")
            return
        self.bars.set_class_names(tuple(self._active.class_names))
        top = int(np.argmax(probabilities))
        self.top_view.show_prediction(self._active.class_names[top], float(probabilities[top]))
        self.bars.set_probabilities(probabilities)
        self.timing_label.setText(f"preprocessing {prep_ms:.1f} ms · model {model_ms:.1f} ms")

    def _activate(self, ready: ReadyModel) -> None:
        self._active = ready
        if ready.shipped:
            self._shipped = ready
        self._show_status()
        self.model_changed.emit(ready.title)
        self.predict_now()

    # ------------------------------------------------------------------ slots
    @Slot()
    def _on_canvas_changed(self) -> None:
        # Throttle, not debounce: a stroke that never pauses still gets an update every UPDATE_MS.
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.predict_now()

    @Slot(object)
    def _on_loader_ready(self, ready: ReadyModel) -> None:
        self._activate(ready)

    @Slot(str)
    def _on_loader_failed(self, message: str) -> None:
        fallback = " Predictions use the shipped digit model." if self._active is not None else ""
        self._show_status(f"<span style='color:{ERROR}'>The model could not be loaded: {message}</span>{fallback}")
        self.model_failed.emit(message)

    @Slot(bool)
    def _on_eraser_toggled(self, on: bool) -> None:
        self.canvas.set_eraser(on)

    @Slot(int)
    def _on_brush_slider_changed(self, value: int) -> None:
        self.canvas.set_brush_size(value)
        self.brush_label.setText(f"{value:2d} px")

    @Slot()
    def _update_edit_buttons(self) -> None:
        """Undo only when there is something to take back, Clear only when the sheet has something on it."""
        self.undo_button.setEnabled(self.canvas.can_undo())
        self.clear_button.setEnabled(not self.canvas.is_empty())

    @Slot()
    def _on_undo_clicked(self) -> None:
        self.canvas.undo()

    @Slot()
    def _on_clear_clicked(self) -> None:
        self.canvas.clear()
        self._show_status()

    @Slot()
    def _on_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a picture of a digit", "", IMAGE_FILTER)
        if path:
            self.load_image_file(path)

    @Slot()
    def _on_inspect_clicked(self) -> None:
        if self._result is not None and not self._result.empty:
            self.inspect_requested.emit(self._result.image.copy())

    @Slot(object)
    def _on_state_model_changed(self, current: CurrentModel | None) -> None:
        from ..document_model import SOURCE as UNTRAINED_BUILD

        if current is None:
            self.set_model(None)
        elif current.source == UNTRAINED_BUILD:
            # the Builder's model before any training: its answers would be random, which teaches nothing here;
            # the Draw tab keeps a model that reads digits and says whose answers these are
            self._note = (f"“{current.name}” (the Builder's model) is not trained yet, so its answers would be "
                          "random: these predictions are the shipped digit model's. Train the Builder's model in "
                          "the Training tab to draw for it.")
            if self._active is None or not self._active.shipped:
                self.use_shipped_model(keep_note=True)
            self._show_status()
        else:
            self.set_model(current.model, current.class_names)


if __name__ == "__main__":  # preview: python -m cnnviz.qt.canvas.panel
    import sys

    app = QApplication(sys.argv)
    panel = DrawPanel()
    panel.resize(1100, 620)
    panel.show()
    app.aboutToQuit.connect(panel.shutdown)
    sys.exit(app.exec())
