"""Regularising with dropout: a layer's units, p_drop, and one training iteration at a time.

Each iteration shows which units ``keras.layers.Dropout(p_drop, seed=seed)`` drops on its t-th call in training
mode and how the survivors are scaled by 1 / (1 - p_drop) (cnnviz.core.lecture.dropout reproduces the layer bit
for bit: the same stateless random op, seed pair [seed, t]). The random numbers come from TensorFlow, so they
are drawn on the TensorFlow lane; inference mode (nothing dropped) needs no TensorFlow.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QSpinBox,
                               QVBoxLayout, QWidget)

from cnnviz.core.lecture.dropout import DropoutStep, dropout_step, example_activations

from .dropout_effect_view import DropoutEffectBox

INTRO = ("Dropout (the lecture: a fraction p_drop of the hidden units is dropped at random at every training "
         "iteration). Each cell is a unit: its activation going in (small, top) and what the Dropout layer passes "
         "on (large, bottom). At each training iteration a new random number u is drawn per unit; units with "
         "u < p_drop are dropped (grey), the rest are multiplied by 1 / (1 − p_drop) so the layer's expected "
         "output stays the same. At inference (predict, evaluate) nothing is dropped or scaled. The masks are "
         "Keras's own: keras.layers.Dropout(p_drop, seed=seed) in training mode draws exactly these.")
COLUMNS = 16


class UnitsGrid(QWidget):
    """The units as a grid of cells; ``texts()`` returns what each cell shows (for tests and screen readers)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.step: DropoutStep | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_step(self, step: DropoutStep | None) -> None:
        self.step = step
        self.updateGeometry()
        self.setMinimumHeight(self.sizeHint().height())
        self.update()

    def _rows(self) -> int:
        n = 0 if self.step is None else self.step.inputs.size
        return max(1, (n + COLUMNS - 1) // COLUMNS)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(COLUMNS * 52, self._rows() * 44 + 4)

    def texts(self) -> list[tuple[str, str]]:
        if self.step is None:
            return []
        return [(f"{x:.2f}", f"{y:.3g}" if keep else "dropped")
                for x, y, keep in zip(self.step.inputs, self.step.outputs, self.step.kept)]

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.step is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Drawing the first mask…")
            return
        w = min(52.0, (self.width() - 4) / COLUMNS)
        h = 42.0
        small, big = QFont(self.font()), QFont(self.font())
        small.setPointSizeF(max(6.0, self.font().pointSizeF() * 0.75))
        big.setBold(True)
        top = float(np.max(self.step.outputs)) or 1.0
        for i, (x_text, y_text) in enumerate(self.texts()):
            r, c = divmod(i, COLUMNS)
            rect = QRectF(2 + c * w, 2 + r * (h + 2), w - 3, h)
            kept = bool(self.step.kept[i])
            if kept:
                t = float(self.step.outputs[i]) / top
                fill = QColor.fromRgbF(1 - 0.75 * t, 1 - 0.45 * t, 1.0)
            else:
                fill = QColor("#d0d0d0")
            painter.setPen(QPen(QColor("#555") if kept else QColor("#999"), 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 4, 4)
            if not kept:
                painter.setPen(QPen(QColor("#b8b8b8"), 1))
                painter.drawLine(rect.topLeft(), rect.bottomRight())
                painter.drawLine(rect.topRight(), rect.bottomLeft())
            painter.setPen(QColor("#333"))
            painter.setFont(small)
            painter.drawText(rect.adjusted(0, 1, 0, -h / 2), Qt.AlignmentFlag.AlignCenter, x_text)
            painter.setFont(big)
            painter.drawText(rect.adjusted(0, h / 2 - 2, 0, 0), Qt.AlignmentFlag.AlignCenter,
                             y_text if kept else "0")


class DropoutView(QWidget):
    """Signals: ``step_shown(object)`` the DropoutStep now drawn."""

    step_shown = Signal(object)

    def __init__(self, state, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._jobs = state.background.tf.client(self)
        self._jobs.finished.connect(self._on_job_finished)
        self._jobs.failed.connect(self._on_job_failed)
        self.iteration = 0
        self.step: DropoutStep | None = None
        self._shown_once = False

        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.units = QSpinBox()
        self.units.setRange(4, 256)
        self.units.setValue(32)
        self.p_slider = QSlider(Qt.Orientation.Horizontal)
        self.p_slider.setRange(0, 95)
        self.p_slider.setSingleStep(5)
        self.p_slider.setPageStep(10)
        self.p_slider.setValue(50)
        self.p_label = QLabel()
        self.p_label.setMinimumWidth(90)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(1)
        self.next_button = QPushButton("Next training iteration")
        self.restart_button = QPushButton("Back to iteration 0")
        self.inference = QCheckBox("Inference (predict / evaluate)")
        self.grid = UnitsGrid()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        controls = QHBoxLayout()
        for widget in (QLabel("units"), self.units, QLabel("p_drop"), self.p_slider, self.p_label,
                       QLabel("seed"), self.seed):
            controls.addWidget(widget)
        buttons = QHBoxLayout()
        for widget in (self.next_button, self.restart_button, self.inference):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(controls)
        layout.addLayout(buttons)
        layout.addWidget(self.grid)
        layout.addWidget(self.status)
        self.effect = DropoutEffectBox(state, self._current_rate)
        layout.addWidget(self.effect)
        layout.addStretch(1)

        self.units.valueChanged.connect(self._on_layer_changed)
        self.p_slider.valueChanged.connect(self._on_layer_changed)
        self.seed.valueChanged.connect(self._on_layer_changed)
        self.next_button.clicked.connect(self.next_iteration)
        self.restart_button.clicked.connect(self._on_layer_changed)
        self.inference.toggled.connect(self._on_inference_toggled)
        self._update_p_label()

    # --- the layer ---------------------------------------------------------------------------------------------
    @property
    def rate(self) -> float:
        return self.p_slider.value() / 100.0

    def _current_rate(self) -> float:
        return self.rate

    def activations(self) -> np.ndarray:
        return example_activations(self.units.value(), seed=0)

    def _update_p_label(self) -> None:
        self.p_label.setText(f"{self.rate:.2f}  (×{1 / (1 - self.rate):.3g})")

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self._request()

    def _request(self) -> None:
        self.next_button.setEnabled(not self.inference.isChecked())
        if self.inference.isChecked():        # no random numbers: nothing is dropped
            self._show(dropout_step(self.activations(), self.rate, self.seed.value(), self.iteration, training=False))
            return
        self._jobs.submit("dropout", dropout_step, self.activations(), self.rate, self.seed.value(), self.iteration)

    @Slot()
    def _on_layer_changed(self) -> None:
        """A new layer (units, p_drop or seed changed, or a restart): its iterations count from 0 again."""
        self._update_p_label()
        self.iteration = 0
        self._request()

    @Slot()
    def next_iteration(self) -> None:
        self.iteration += 1
        self._request()

    @Slot(bool)
    def _on_inference_toggled(self, _on: bool) -> None:
        self._request()

    @Slot(str, object)
    def _on_job_finished(self, _key: str, step) -> None:
        current = (self.rate, self.seed.value(), self.iteration, self.units.value())
        if (step.rate, step.seed, step.iteration, step.inputs.size) == current and not self.inference.isChecked():
            self._show(step)

    @Slot(str, str, str)
    def _on_job_failed(self, _key: str, message: str, _details: str) -> None:
        self.status.setText(f"Could not draw the mask: {message}")

    def _show(self, step: DropoutStep) -> None:
        self.step = step
        self.grid.set_step(step)
        n = step.inputs.size
        if not step.training:
            text = (f"Inference: all {n} units pass unchanged (no unit dropped, no scaling); Keras's Dropout "
                    "does nothing when training=False.")
        elif step.rate == 0:
            text = f"p_drop = 0: the Dropout layer returns its input ({n} units, nothing dropped)."
        else:
            text = (f"Training iteration {step.iteration} (Keras seed pair [{step.seed}, {step.iteration}]): "
                    f"{step.dropped} of {n} units dropped ({step.dropped / n:.0%}; expected {step.rate:.0%}); the "
                    f"{n - step.dropped} survivors are multiplied by 1 / (1 − {step.rate:g}) = {step.scale:.6g}. "
                    f"Sum in {float(step.inputs.sum()):.2f}, sum out {float(step.outputs.sum()):.2f}.")
        self.status.setText(text)
        self.step_shown.emit(step)
