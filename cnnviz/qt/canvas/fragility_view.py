"""Two boxes under the drawing: "How fragile is it?" (FGSM) and "Quantized (int8) vs float32".

* Fragility: the gradient sign of the drawing (cnnviz.core.explain.fgsm) is computed on the app's TensorFlow lane
  whenever the drawing or the model changes (one key, newest wins). The epsilon slider then only adds
  ``epsilon * sign`` and runs the panel's compiled forward pass, in the GUI thread like the live prediction (a few
  ms). "Find the smallest flip" searches epsilon on the lane and moves the slider there. The change itself
  (perturbed - drawing, after clipping) is shown in a diverging map: blue darker, red brighter.
* Quantization: a button converts the model to int8 TFLite on the lane (cnnviz.core.explain.quantize), with
  progress text, evaluates both files on the bundled MNIST sample's test digits and the per-layer error; then the
  two predictions on the drawing are shown side by side, live (a TFLite invoke is well under a millisecond).
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget)

from ..concurrency import JobClient
from ..inspector.colors import array_to_qimage, image_to_qimage
from .prediction_view import MUTED

SLIDER_STEPS = 1000          # slider units per 1.0 of epsilon
SLIDER_MAX = 0.5             # the slider's largest epsilon (the search looks further when it must)
THUMB = 84
TEST_IMAGES = 1000           # the bundled sample's test digits used for the int8-vs-float32 accuracies
CALIBRATION_IMAGES = 200
ERROR = "#c62828"
COMPUTING_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "LOGISTIC", "ADD", "MUL",
                 "AVERAGE_POOL_2D", "MEAN")


def _sign_job(model, scores_cache: dict, image: np.ndarray):
    from cnnviz.core.explain.fgsm import FGSM
    from cnnviz.core.explain.scores import ClassScores

    key = id(model)
    if key not in scores_cache:
        scores_cache.clear()
        scores_cache[key] = ClassScores(model)
    return image, FGSM(scores_cache[key], image)


def _flip_job(fgsm):
    return fgsm, fgsm.smallest_flip()


def _quantize_job(model, progress: "_Progress"):
    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.explain.quantize import QuantizeError, compare, layer_errors, quantize

    progress.text.emit("Loading the bundled MNIST sample…")
    ds = load_dataset("mnist_sample")
    q = quantize(model, ds.x_train[:CALIBRATION_IMAGES], progress=progress.text.emit)
    progress.text.emit(f"Evaluating both on {min(TEST_IMAGES, len(ds.x_test)):,} test digits…")
    report = compare(q, ds.x_test[:TEST_IMAGES], ds.y_test[:TEST_IMAGES])
    progress.text.emit("Measuring the error of each layer (QuantizationDebugger)…")
    try:
        layers, layer_note = layer_errors(q), ""
    except QuantizeError as exc:
        layers, layer_note = [], str(exc)
    return model, q, report, layers, layer_note


class _Progress(QObject):
    """Carries progress text from the worker to the GUI thread (a queued signal)."""

    text = Signal(str)


def _thumb(label: QLabel, image) -> None:
    label.setPixmap(QPixmap.fromImage(image).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                    Qt.TransformationMode.FastTransformation))


def _answer(names, probabilities) -> str:
    k = int(np.argmax(probabilities))
    return f"<b>{names[k]}</b> ({float(probabilities[k]):.1%})"


class FragilityView(QWidget):
    """Call :meth:`set_drawing` with the drawing's 28x28 model input (or None) and the model in use after every
    live prediction. Signals: ``perturbed_changed(object)`` the probabilities on the perturbed drawing (or None),
    ``flip_found(float)``, ``quantized_ready()``, ``quantized_changed(object)`` the int8 probabilities (or None)."""

    perturbed_changed = Signal(object)
    flip_found = Signal(float)
    quantized_ready = Signal()
    quantized_changed = Signal(object)

    def __init__(self, worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = JobClient(worker, self)
        self._jobs.finished.connect(self._on_job_finished)
        self._jobs.failed.connect(self._on_job_failed)
        self._progress = _Progress(self)
        self._progress.text.connect(self._on_progress)
        self._scores_cache: dict = {}
        self._image: np.ndarray | None = None      # (28, 28, 1) float32 of the current drawing
        self._ready = None                         # the panel's ReadyModel
        self._fgsm = None                          # FGSM of the current drawing, when computed
        self._epsilon = 0.0
        self._flip_note = ""                       # the last search's answer, for the current drawing
        self._quant_busy = False
        self._quant = None                         # (model, QuantizedModel, report)
        self.perturbed_probabilities: np.ndarray | None = None
        self.int8_probabilities: np.ndarray | None = None
        self.float_probabilities: np.ndarray | None = None
        self._build()
        self._show_fragility()
        self._show_quantized()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.epsilon_slider = QSlider(Qt.Orientation.Horizontal)
        self.epsilon_slider.setRange(0, int(SLIDER_MAX * SLIDER_STEPS))
        self.epsilon_slider.setToolTip("ε: how far every pixel moves, in the direction that lowers the answer "
                                       "(the sign of the loss gradient)")
        self.epsilon_slider.valueChanged.connect(self._on_slider_changed)
        self.epsilon_label = QLabel()
        self.epsilon_label.setMinimumWidth(80)
        self.flip_button = QPushButton("Find the smallest flip")
        self.flip_button.setToolTip("Search ε (a grid, then bisection) for the smallest change that makes the "
                                    "model read another digit")
        self.flip_button.clicked.connect(self._on_flip_clicked)
        self.fragility_label = QLabel()
        self.fragility_label.setTextFormat(Qt.TextFormat.RichText)
        self.fragility_label.setWordWrap(True)
        self.perturbed_image = QLabel()
        self.change_image = QLabel()
        for label, tip in ((self.perturbed_image, "The drawing with the change added (what the model reads)"),
                           (self.change_image, "The change: blue pixels made darker, red brighter, white unchanged "
                                               "(scale ±ε)")):
            label.setFixedSize(THUMB, THUMB)
            label.setStyleSheet("border: 1px solid #ccc;")
            label.setToolTip(tip)
        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel("ε"))
        slider_row.addWidget(self.epsilon_slider, 1)
        slider_row.addWidget(self.epsilon_label)
        images = QHBoxLayout()
        for caption, label in (("perturbed", self.perturbed_image), ("the change", self.change_image)):
            col = QVBoxLayout()
            col.setSpacing(1)
            col.addWidget(label)
            cap = QLabel(caption)
            cap.setStyleSheet(f"color: {MUTED};")
            cap.setAlignment(Qt.AlignmentFlag.AlignCenter)
            col.addWidget(cap)
            images.addLayout(col)
        text = QVBoxLayout()
        text.addWidget(self.fragility_label, 1)
        text.addWidget(self.flip_button, 0, Qt.AlignmentFlag.AlignLeft)
        images.addLayout(text, 1)
        fragile = QGroupBox("How fragile is it?")
        fl = QVBoxLayout(fragile)
        fl.addLayout(slider_row)
        fl.addLayout(images)

        self.quantize_button = QPushButton("Build the int8 model")
        self.quantize_button.setToolTip("Post-training quantization to TensorFlow Lite int8, calibrated on "
                                        f"{CALIBRATION_IMAGES} digits of the bundled MNIST sample")
        self.quantize_button.clicked.connect(self._on_quantize_clicked)
        self.quant_status = QLabel()
        self.quant_status.setWordWrap(True)
        self.quant_status.setStyleSheet(f"color: {MUTED};")
        self.float_label = QLabel()
        self.int8_label = QLabel()
        for label in (self.float_label, self.int8_label):
            label.setTextFormat(Qt.TextFormat.RichText)
        self.stats_label = QLabel()
        self.stats_label.setWordWrap(True)
        self.stats_label.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        top.addWidget(self.quantize_button)
        top.addWidget(self.quant_status, 1)
        side = QHBoxLayout()
        side.addWidget(self.float_label)
        side.addSpacing(12)
        side.addWidget(self.int8_label)
        side.addStretch(1)
        quant = QGroupBox("Quantized (int8) vs float32")
        ql = QVBoxLayout(quant)
        ql.addLayout(top)
        ql.addLayout(side)
        ql.addWidget(self.stats_label)
        ql.addStretch(1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(fragile, 1)
        layout.addWidget(quant, 1)

    # ------------------------------------------------------------------ public API
    @property
    def epsilon(self) -> float:
        return self._epsilon

    def set_epsilon(self, epsilon: float) -> None:
        """Perturb by exactly ``epsilon`` (the slider moves to the nearest step, without rounding ε itself)."""
        self._epsilon = max(0.0, float(epsilon))
        self.epsilon_slider.blockSignals(True)
        self.epsilon_slider.setValue(min(self.epsilon_slider.maximum(), round(self._epsilon * SLIDER_STEPS)))
        self.epsilon_slider.blockSignals(False)
        self._show_fragility()

    def set_drawing(self, image: np.ndarray | None, ready) -> None:
        """The drawing's model input ``(1, 28, 28, 1)`` or ``(28, 28, 1)`` (None: nothing drawn) and the model."""
        if ready is not self._ready:
            self._ready = ready
            self._fgsm = None
            if self._quant is not None and (ready is None or self._quant[0] is not ready.model):
                self._quant = None
                self.quant_status.setText("The model changed: build the int8 model again.")
        self._image = None if image is None else np.asarray(image, np.float32).reshape(28, 28, 1).copy()
        if self._fgsm is not None and (self._image is None or not np.array_equal(self._fgsm.image, self._image)):
            self._fgsm = None
        if self._fgsm is None:
            self._flip_note = ""
        if self._image is not None and self._ready is not None and self._fgsm is None:
            self._jobs.submit("fgsm-sign", _sign_job, self._ready.model, self._scores_cache, self._image.copy())
        self._show_fragility()
        self._show_quantized()

    def busy(self) -> bool:
        return self._jobs.busy()

    def wait(self, msecs: int = 60000) -> bool:
        """Block until this view's background jobs have been answered (tests); False if not within ``msecs``."""
        return self._jobs.wait(msecs)

    def shutdown(self) -> None:
        self._jobs.cancel_all()

    # ------------------------------------------------------------------ display
    def _show_fragility(self) -> None:
        self.epsilon_label.setText(f"ε = {self._epsilon:.4f}")
        ready = self._ready is not None and self._image is not None
        self.flip_button.setEnabled(ready and self._fgsm is not None)
        probs = None
        if not ready:
            self.fragility_label.setText(f"<span style='color:{MUTED}'>Draw a digit to see how small a change "
                                         "makes the model read another.</span>")
            self.perturbed_image.clear()
            self.change_image.clear()
        elif self._fgsm is None:
            self.fragility_label.setText(f"<span style='color:{MUTED}'>Working out the direction of the "
                                         "change…</span>")
        else:
            perturbed = np.clip(self._image + self._epsilon * self._fgsm.sign, 0.0, 1.0).astype(np.float32)
            probs = np.asarray(self._ready.predictor(perturbed[None])[0], np.float64)
            change = (perturbed - self._image)[..., 0]
            span = max(self._epsilon, 1e-6)
            _thumb(self.perturbed_image, image_to_qimage(perturbed))
            _thumb(self.change_image, array_to_qimage(change, -span, span, "diverging"))
            names = self._ready.class_names
            plain = self._fgsm.original_class
            now = int(np.argmax(probs))
            verdict = (f"<span style='color:{ERROR}'><b>flipped</b> from {names[plain]}</span>" if now != plain
                       else f"still {names[plain]}")
            self.fragility_label.setText(f"With every pixel moved by at most ε = {self._epsilon:.4f} "
                                         f"({self._epsilon * 255:.1f} of 255 grey levels) the model reads "
                                         f"{_answer(names, probs)}: {verdict}.{self._flip_note}")
        self.perturbed_probabilities = probs
        self.perturbed_changed.emit(probs)

    def _show_quantized(self) -> None:
        self.quantize_button.setEnabled(self._ready is not None and not self._quant_running())
        if self._quant is None:
            if not self._quant_busy and not self.quant_status.text():
                self.quant_status.setText("Converts the model to int8 TensorFlow Lite (what ships to a phone) and "
                                          "compares it with float32: size, accuracy, speed, the drawing.")
            self.float_label.setText("")
            self.int8_label.setText("")
            self.stats_label.setText("")
            self.int8_probabilities = self.float_probabilities = None
            return
        _model, q, report, layers, layer_note = self._quant
        if self._image is None:
            self.float_label.setText("float32: –")
            self.int8_label.setText("int8: –")
            self.int8_probabilities = self.float_probabilities = None
        else:
            names = self._ready.class_names
            self.float_probabilities = np.asarray(q.predict_float(self._image[None])[0], np.float64)
            self.int8_probabilities = np.asarray(q.predict_int8(self._image[None])[0], np.float64)
            self.float_label.setText(f"float32 reads {_answer(names, self.float_probabilities)}")
            same = int(np.argmax(self.float_probabilities)) == int(np.argmax(self.int8_probabilities))
            mark = "" if same else f" <span style='color:{ERROR}'>(differs)</span>"
            self.int8_label.setText(f"int8 reads {_answer(names, self.int8_probabilities)}{mark}")
        if not self.stats_label.text():
            shown = [e for e in layers if e.op in COMPUTING_OPS and math.isfinite(e.rmse_over_scale)]
            per_layer = (" · ".join(f"{e.layer if '/' in e.tensor else e.op.lower()} {e.rmse_over_scale:.2f}"
                                    for e in shown) if layers else f"not available ({layer_note})")
            self.stats_label.setText(
                f"Size {report.float_size / 1024:.0f} KiB → {report.int8_size / 1024:.0f} KiB "
                f"({report.size_ratio:.1f}× smaller) · latency {report.float_latency_ms:.3f} → "
                f"{report.int8_latency_ms:.3f} ms per image<br>"
                f"Test accuracy ({report.test_images:,} digits): float32 {report.float_accuracy:.2%}, "
                f"int8 {report.int8_accuracy:.2%} · probabilities differ by ≤ {report.max_prob_diff:.3f}"
                f"<br><span style='color:{MUTED}'>Error each layer adds (RMSE in int8 steps): {per_layer}</span>")
        self.quantized_changed.emit(self.int8_probabilities)

    def _quant_running(self) -> bool:
        return self._quant_busy

    # ------------------------------------------------------------------ slots
    @Slot(int)
    def _on_slider_changed(self, value: int) -> None:
        self._epsilon = value / SLIDER_STEPS
        self._show_fragility()

    @Slot()
    def _on_flip_clicked(self) -> None:
        if self._fgsm is None:
            return
        self.flip_button.setEnabled(False)
        self.fragility_label.setText(f"<span style='color:{MUTED}'>Searching for the smallest flip…</span>")
        self._jobs.submit("fgsm-flip", _flip_job, self._fgsm)

    @Slot()
    def _on_quantize_clicked(self) -> None:
        if self._ready is None:
            return
        self._quant_busy = True
        self._quant = None
        self.stats_label.setText("")
        self.quant_status.setText("Starting…")
        self._show_quantized()
        self._jobs.submit("quantize", _quantize_job, self._ready.model, self._progress)

    @Slot(str)
    def _on_progress(self, text: str) -> None:
        if self._quant_running():
            self.quant_status.setText(text)

    @Slot(str, object)
    def _on_job_finished(self, key: str, value) -> None:
        if key == "fgsm-sign":
            image, fgsm = value
            if self._image is not None and np.array_equal(image, self._image) and self._ready is not None:
                self._fgsm = fgsm
            self._show_fragility()
        elif key == "fgsm-flip":
            fgsm, result = value
            if fgsm is not self._fgsm:
                self._show_fragility()
                return
            if not result.found:
                self._flip_note = f"<br>No ε up to {result.lower:.2f} flips this drawing."
                self._show_fragility()
                return
            names = self._ready.class_names
            self._flip_note = (f"<br>Smallest flip: ε = {result.epsilon:.5f} → {names[result.flipped.predicted]} "
                               f"(ε = {result.lower:.5f} still reads {names[result.original_class]}).")
            self.set_epsilon(result.epsilon)
            self.flip_found.emit(result.epsilon)
        elif key == "quantize":
            self._quant_busy = False
            model, q, report, layers, note = value
            if self._ready is None or model is not self._ready.model:
                self.quant_status.setText("The model changed meanwhile: build the int8 model again.")
                self._show_quantized()
                return
            kind = "full integer (int8 input, weights, activations and output)" if q.full_integer else \
                f"int8 with float fallback: {q.note}"
            self.quant_status.setText(f"Built in {q.seconds:.1f} s: {kind}.")
            self._quant = (model, q, report, layers, note)
            self._show_quantized()
            self.quantized_ready.emit()

    @Slot(str, str, str)
    def _on_job_failed(self, key: str, message: str, details: str) -> None:
        import sys

        print(details, file=sys.stderr)
        if key == "quantize":
            self._quant_busy = False
            self.quant_status.setText(f"<span style='color:{ERROR}'>The int8 model could not be built: "
                                      f"{message}</span>")
            self.quant_status.setTextFormat(Qt.TextFormat.RichText)
            self._show_quantized()
        else:
            self.fragility_label.setText(f"<span style='color:{ERROR}'>{message}</span>")
