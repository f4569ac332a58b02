"""The lecture's 2D convolution, one output cell at a time, beside what Keras's Conv2D computes.

Left: the padded image with the current window, the kernel as it meets that window (rotated by 180 degrees for
the textbook's convolution), their products and the output filling in. Right: the same image through Keras's
cross-correlation (the kernel not rotated), so the student sees where the two differ and that they agree once the
kernel is rotated. The maths is :mod:`cnnviz.core.inspect.textbook` (checked against scipy and tf.nn.conv2d).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit,
                               QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

from cnnviz.core.inspect.textbook import MODES, WORKED_EXAMPLES, conv2d, conv2d_steps, mode_padding
from cnnviz.qt.inspector.number_grid import NumberGrid

_MAX_SIDE = 16   # an editable matrix stays readable: at most 16x16


def parse_matrix(text: str, what: str) -> np.ndarray:
    """Rows of numbers, one row per line, separated by spaces or commas; ValueError with the line at fault."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.replace(",", " ").replace(";", " ").strip()
        if not line:
            continue
        try:
            row = [float(v) for v in line.split()]
        except ValueError:
            raise ValueError(f"{what}, line {n}: only numbers, separated by spaces or commas") from None
        if not all(np.isfinite(row)):
            raise ValueError(f"{what}, line {n}: a value is not a finite number")
        rows.append(row)
    if not rows:
        raise ValueError(f"{what} is empty: type rows of numbers, one row per line")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"{what}: every row needs the same number of values "
                         f"(found {', '.join(str(len(r)) for r in rows)})")
    if len(rows) > _MAX_SIDE or len(rows[0]) > _MAX_SIDE:
        raise ValueError(f"{what}: at most {_MAX_SIDE}x{_MAX_SIDE} values here")
    return np.array(rows)


def matrix_text(m: np.ndarray) -> str:
    return "\n".join(" ".join(f"{v:g}" for v in row) for row in np.asarray(m))


def _boxed(title: str, widget: QWidget, tip: str) -> QGroupBox:
    box = QGroupBox(title)
    box.setToolTip(tip)
    lay = QVBoxLayout(box)
    lay.addWidget(widget)
    return box


class Conv2DLectureView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list = []
        self.keras_output = np.zeros((1, 1))
        self.output = np.zeros((1, 1))
        self.current = 0

        self.example = QComboBox()
        for key, ex in WORKED_EXAMPLES.items():
            self.example.addItem(ex.title, key)
        self.example.setToolTip("The lecture's worked examples: one click sets the image, kernel, mode and stride")
        self.x_edit = QPlainTextEdit()
        self.w_edit = QPlainTextEdit()
        for edit, tip in ((self.x_edit, "the image X: one row per line"), (self.w_edit, "the kernel W")):
            edit.setToolTip(tip)
            edit.setFixedHeight(96)
            edit.setTabChangesFocus(True)
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.mode.setToolTip("full: every overlap (m - 1 zeros a side); same: output as big as the image; "
                             "valid: only windows inside the image")
        self.stride = QSpinBox()
        self.stride.setRange(1, 8)
        self.stride.setToolTip("keep every s-th window: o = floor((n + p - m)/s) + 1")
        self.flip = QCheckBox("textbook convolution: rotate W by 180\u00b0 (off: cross-correlation, as Keras)")
        self.flip.setChecked(True)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)

        self.padded = NumberGrid(max_cell=40, show_indices=True)
        self.kernel = NumberGrid(max_cell=40)
        self.products = NumberGrid(max_cell=40)
        self.out_grid = NumberGrid(max_cell=40, show_indices=True)
        self.keras_grid = NumberGrid(max_cell=40, show_indices=True)
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sizes = QLabel()
        self.sizes.setWordWrap(True)
        self.compare = QLabel()
        self.compare.setWordWrap(True)

        self.back_button = QPushButton("\u25c0 Back")
        self.step_button = QPushButton("Step \u25b6")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("which output cell is computed")
        self.timer = QTimer(self)
        self.timer.setInterval(450)

        lecture = QLabel("Y = X * W  \u2192  Y[i, j] = \u03a3<sub>k1, k2</sub> X[i \u2212 k1, j \u2212 k2] \u00b7 "
                         "W[k1, k2]: read this way the kernel meets the image rotated by 180\u00b0. Keras's Conv2D "
                         "computes \u03a3 X[i + k1, j + k2] \u00b7 W[k1, k2] instead (a cross-correlation): the same "
                         "windows, W not rotated. A kernel Keras learned therefore looks rotated against the "
                         "textbook's, and the two results agree when the kernel is rotated.")
        lecture.setWordWrap(True)

        form = QGridLayout()
        form.addWidget(QLabel("Example"), 0, 0)
        form.addWidget(self.example, 0, 1, 1, 3)
        form.addWidget(QLabel("Image X"), 1, 0)
        form.addWidget(self.x_edit, 1, 1)
        form.addWidget(QLabel("Kernel W"), 1, 2)
        form.addWidget(self.w_edit, 1, 3)
        form.addWidget(QLabel("Mode"), 2, 0)
        form.addWidget(self.mode, 2, 1)
        form.addWidget(QLabel("Stride"), 2, 2)
        form.addWidget(self.stride, 2, 3)
        form.addWidget(self.flip, 3, 0, 1, 4)

        # two rows of three equal columns: the computation above, the two results below (fits beside the dock)
        grids = QGridLayout()
        boxes = [
            _boxed("X padded, the window", self.padded, "the image with the mode's zeros (hatched); "
                   "the outlined window makes the current output cell"),
            _boxed("W as it meets the window", self.kernel, "rotated by 180\u00b0 in the textbook's "
                   "convolution; as stored in Keras's cross-correlation"),
            _boxed("products", self.products, "window \u00d7 kernel, cell by cell; their sum is the output cell"),
            _boxed("Y (this view)", self.out_grid, "the output so far; click a cell to jump to it"),
            _boxed("Keras Conv2D (cross-correlation)", self.keras_grid, "what tf.nn.conv2d gives for the same X, W "
                   "and padding: W is not rotated"),
        ]
        self.kernel_box = boxes[1]
        for n, box in enumerate(boxes):
            grids.addWidget(box, n // 3, n % 3)
        for grid in (self.padded, self.kernel, self.products, self.out_grid, self.keras_grid):
            grid.setMinimumSize(150, 150)
        for c in range(3):
            grids.setColumnStretch(c, 1)

        controls = QHBoxLayout()
        for w in (self.back_button, self.step_button, self.play_button):
            controls.addWidget(w)
        controls.addWidget(self.slider, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(lecture)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.sizes)
        layout.addLayout(grids, 1)
        layout.addLayout(controls)
        layout.addWidget(self.formula)
        layout.addWidget(self.compare)

        self.example.currentIndexChanged.connect(self._on_example_changed)
        self.x_edit.textChanged.connect(self._on_inputs_changed)
        self.w_edit.textChanged.connect(self._on_inputs_changed)
        self.mode.currentIndexChanged.connect(self._on_inputs_changed)
        self.stride.valueChanged.connect(self._on_inputs_changed)
        self.flip.toggled.connect(self._on_inputs_changed)
        self.slider.valueChanged.connect(self._show)
        self.back_button.clicked.connect(lambda: self.slider.setValue(self.slider.value() - 1))
        self.step_button.clicked.connect(lambda: self.slider.setValue(self.slider.value() + 1))
        self.play_button.toggled.connect(self._on_play_toggled)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.out_grid.cell_clicked.connect(self.go_to)
        self._on_example_changed()

    # ------------------------------------------------------------------------------------------------ API
    def load_example(self, key: str) -> None:
        self.example.setCurrentIndex(self.example.findData(key))
        self._on_example_changed()

    def go_to(self, i: int, j: int) -> None:
        for n, step in enumerate(self.steps):
            if (step.row, step.col) == (i, j):
                self.slider.setValue(n)
                return

    # ------------------------------------------------------------------------------------------ internals
    def _on_example_changed(self, *_):
        ex = WORKED_EXAMPLES[self.example.currentData()]
        for w in (self.x_edit, self.w_edit, self.mode, self.stride, self.flip):
            w.blockSignals(True)
        self.x_edit.setPlainText(matrix_text(ex.x))
        self.w_edit.setPlainText(matrix_text(ex.w))
        self.mode.setCurrentText(ex.mode)
        self.stride.setValue(ex.stride)
        self.flip.setChecked(True)
        for w in (self.x_edit, self.w_edit, self.mode, self.stride, self.flip):
            w.blockSignals(False)
        self._on_inputs_changed()
        self.compare.setText(self.compare.text() + "\n" + ex.note)

    def _on_inputs_changed(self, *_):
        try:
            x = parse_matrix(self.x_edit.toPlainText(), "Image X")
            w = parse_matrix(self.w_edit.toPlainText(), "Kernel W")
            mode, stride, flip = self.mode.currentText(), self.stride.value(), self.flip.isChecked()
            self.xp, self.steps = conv2d_steps(x, w, mode, stride, flip)
            self.keras_output = conv2d(x, w, mode, stride, flip=False)
        except ValueError as exc:
            self.error.setText(str(exc))
            self._set_enabled(False)
            return
        self.error.clear()
        self._set_enabled(True)
        self.x, self.w, self.pads = x, w, mode_padding(w.shape, mode)
        self.output = np.array([s.value for s in self.steps]).reshape(self.steps[-1].row + 1,
                                                                      self.steps[-1].col + 1)
        (pt, pb), (pl, pr) = self.pads
        oh, ow = self.output.shape
        self.sizes.setText(
            f"X {x.shape[0]}x{x.shape[1]}, W {w.shape[0]}x{w.shape[1]}, mode '{mode}': {pt} + {pb} zero rows, "
            f"{pl} + {pr} zero columns; o = floor((n + p - m)/s) + 1 = floor(({x.shape[0]} + {pt + pb} - "
            f"{w.shape[0]})/{stride}) + 1 = {oh} rows, floor(({x.shape[1]} + {pl + pr} - {w.shape[1]})/{stride})"
            f" + 1 = {ow} columns")
        self.kernel_box.setTitle("W rotated 180\u00b0, as it meets the window" if flip else "W as stored (not rotated)")
        same = np.allclose(self.output, self.keras_output)
        if flip:
            self.compare.setText("Keras's result equals this one: W looks the same after a half turn."
                                 if same else "Keras's result differs: it does not rotate W. Rotate W by 180\u00b0 "
                                 "(or untick the box) and the two agree.")
        else:
            self.compare.setText("With the box unticked this is Keras's cross-correlation: the two grids agree.")
        lo = float(min(self.xp.min(), self.output.min(), self.keras_output.min(), 0.0))
        hi = float(max(self.xp.max(), self.output.max(), self.keras_output.max(), 1.0))
        self._range = (lo, hi)
        padding = np.ones(self.xp.shape, bool)
        padding[pt:pt + x.shape[0], pl:pl + x.shape[1]] = False
        self.padded.set_data(self.xp, lo, hi, "gray", padding=padding, offset=(pt, pl))
        self.keras_grid.set_data(self.keras_output, lo, hi, "viridis")
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.steps) - 1)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._show(0)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.back_button, self.step_button, self.play_button, self.slider):
            w.setEnabled(on)
        if not on:
            self.play_button.setChecked(False)

    def _show(self, n: int) -> None:
        if not self.steps:
            return
        self.current = n = max(0, min(n, len(self.steps) - 1))
        step = self.steps[n]
        lo, hi = self._range
        m_h, m_w = step.kernel.shape
        self.padded.set_highlight((step.top, step.left, m_h, m_w))
        k_abs = float(max(np.abs(step.kernel).max(), 1e-9))
        p_abs = float(max(np.abs(step.products).max(), 1e-9))
        self.kernel.set_data(step.kernel, -k_abs, k_abs, "diverging")
        self.products.set_data(step.products, -p_abs, p_abs, "diverging")
        filled = np.zeros(self.output.shape, bool)
        filled.ravel()[:n + 1] = True
        self.out_grid.set_data(self.output, lo, hi, "viridis", filled=filled)
        self.out_grid.set_highlight((step.row, step.col, 1, 1))
        self.keras_grid.set_highlight((step.row, step.col, 1, 1))
        keras_value = float(self.keras_output[step.row, step.col])
        self.formula.setText(f"{step.formula(self.flip.isChecked())}      Keras's Conv2D here: {keras_value:g}")
        self.back_button.setEnabled(n > 0)
        self.step_button.setEnabled(n < len(self.steps) - 1)

    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on:
            if self.current >= len(self.steps) - 1:
                self.slider.setValue(0)
            self.timer.start()
        else:
            self.timer.stop()

    def _on_timer_timeout(self) -> None:
        if self.current >= len(self.steps) - 1:
            self.play_button.setChecked(False)
        else:
            self.slider.setValue(self.current + 1)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.play_button.setChecked(False)
        super().hideEvent(event)
