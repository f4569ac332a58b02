"""The lecture's 1D convolution explorer: y = x * w with padding p (or a mode: full/same/valid) and stride s,
true convolution (w flipped) or the cross-correlation CNN layers compute, step by step, checked against numpy."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from cnnviz.core.inspect.convolution import conv1d, conv1d_mode_padding, conv1d_output_formula
from cnnviz.core.inspect.stepper import conv1d_steps

from .colors import ACCENT, CAPTION_STYLE, ERROR_STYLE, HIGHLIGHT, NOTE_STYLE, PADDING_COLOR, fmt

MODES = ("full", "same", "valid", "custom")


def parse_vector(text: str, what: str) -> np.ndarray:
    """'1, 3, 2' (commas and/or spaces) -> float array; ValueError with a readable message."""
    parts = [t for t in text.replace(";", ",").replace(" ", ",").split(",") if t.strip()]
    if not parts:
        raise ValueError(f"{what} is empty: type numbers separated by commas, e.g. 1, 3, 2")
    try:
        return np.array([float(t) for t in parts])
    except ValueError:
        bad = next(t for t in parts if not _is_number(t))
        raise ValueError(f"{what}: {bad!r} is not a number") from None


def _is_number(t: str) -> bool:
    try:
        float(t)
    except ValueError:
        return False
    return True


class Conv1DStrip(QWidget):
    """Rows of cells: padded x, the kernel under the current window, the products, and the output y."""

    output_clicked = Signal(int)
    ROWS = ("x (padded)", "w", "products", "y")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.xp = np.zeros(0)
        self.pad = (0, 0)
        self.steps = []
        self.current = 0
        self.flip = True
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(4 * 72 + 6)

    def set_state(self, xp: np.ndarray, pad: tuple[int, int], steps: list, current: int, flip: bool) -> None:
        self.xp, self.pad, self.steps, self.current, self.flip = xp, pad, steps, current, flip
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(800, 4 * 72 + 6)

    def _geometry(self) -> tuple[float, float]:
        n = max(len(self.xp), len(self.steps), 1)
        cell = max(22.0, min(48.0, (self.width() - 110) / n))
        return 100.0, cell

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        x0, cell = self._geometry()
        y = event.position().y()
        if 3 * 72 <= y < 3 * 72 + cell:
            i = int((event.position().x() - x0) // cell)
            if 0 <= i < len(self.steps):
                self.output_clicked.emit(i)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.steps:
            return
        p = QPainter(self)
        x0, cell = self._geometry()
        font = QFont(self.font())
        font.setPixelSize(max(9, int(cell * 0.34)))
        small = QFont(self.font())
        small.setPixelSize(10)
        step = self.steps[self.current]
        m = len(step.kernel)
        n_real = len(self.xp) - self.pad[0] - self.pad[1]

        def box(row: int, col: float, text: str, fill: QColor, hatch: bool = False, edge: QColor | None = None):
            r = QRectF(x0 + col * cell, row * 72 + 4, cell - 2, cell - 2)
            p.fillRect(r, fill)
            if hatch:
                p.fillRect(r, QBrush(PADDING_COLOR.darker(115), Qt.BrushStyle.BDiagPattern))
            p.setPen(QPen(edge or QColor(150, 150, 150), 3 if edge else 1))
            p.drawRect(r)
            p.setPen(QColor(20, 20, 20))
            p.setFont(font)
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)

        def caption(row: int, col: float, text: str):
            p.setFont(small)
            p.setPen(QColor(110, 110, 110))
            p.drawText(QRectF(x0 + col * cell - 6, row * 72 + cell + 5, cell + 10, 14),
                       Qt.AlignmentFlag.AlignCenter, text)

        for row, name in enumerate(self.ROWS):
            p.setFont(small)
            p.setPen(QColor(40, 40, 40))
            label = "w flipped" if (row == 1 and self.flip) else name
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            p.drawText(QRectF(0, row * 72 + 4, x0 - 8, cell), right, label)
        for k, v in enumerate(self.xp):
            pad = k < self.pad[0] or k >= self.pad[0] + n_real
            inside = step.start <= k < step.start + m
            box(0, k, fmt(float(v), 3), PADDING_COLOR if pad else QColor(255, 255, 255), pad,
                HIGHLIGHT if inside else None)
            caption(0, k, "pad" if pad else f"x[{k - self.pad[0]}]")
        for k in range(m):
            box(1, step.start + k, fmt(float(step.kernel[k]), 3), QColor(255, 236, 214))
            caption(1, step.start + k, f"w[{m - 1 - k}]" if self.flip else f"w[{k}]")
            box(2, step.start + k, fmt(float(step.products[k]), 3), QColor(235, 242, 255))
        for i, s in enumerate(self.steps):
            done = i <= self.current
            box(3, i, fmt(s.total, 3) if done else "", QColor(214, 240, 214) if done else QColor(250, 250, 250),
                edge=ACCENT if i == self.current else None)
            caption(3, i, f"y[{i}]")
        p.end()


class Conv1DView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list = []
        self.current = 0
        self.x_edit = QLineEdit("1, 3, 2, 4, 5, 6, 1, 3")
        self.w_edit = QLineEdit("1, 0, 3, 1, 2")
        self.mode = QComboBox()
        for m in MODES:
            self.mode.addItem({"full": "full (p = m − 1)", "same": "same (output as long as x)",
                               "valid": "valid (p = 0)", "custom": "custom p"}[m], m)
        self.mode.setCurrentIndex(1)
        self.p_spin = QSpinBox()
        self.p_spin.setRange(0, 20)
        self.s_spin = QSpinBox()
        self.s_spin.setRange(1, 10)
        for spin in (self.p_spin, self.s_spin):
            spin.setFixedWidth(70)
        self.flip = QCheckBox("true convolution: flip w (the lecture's y = x * w); off = cross-correlation, "
                              "what Conv layers compute")
        self.flip.setChecked(True)
        self.back_button = QPushButton("◀ Back")
        self.step_button = QPushButton("Step ▶")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.timer = QTimer(self)
        self.timer.setInterval(700)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.formula = QLabel()
        self.formula.setStyleSheet("font-size: 13pt;")
        self.padding_note = QLabel()
        self.padding_note.setStyleSheet(NOTE_STYLE)
        self.strip = Conv1DStrip()
        self.sum_label = QLabel()
        self.sum_label.setStyleSheet("font-size: 13pt;")
        self.sum_label.setWordWrap(True)
        self.result = QLabel()
        self.result.setStyleSheet(CAPTION_STYLE)
        self.numpy_label = QLabel()
        self.numpy_label.setWordWrap(True)
        self.numpy_label.setStyleSheet(NOTE_STYLE)
        self.output: np.ndarray = np.zeros(0)

        form = QGridLayout()
        form.addWidget(QLabel("x (input)"), 0, 0)
        form.addWidget(self.x_edit, 0, 1, 1, 6)
        form.addWidget(QLabel("w (kernel)"), 1, 0)
        form.addWidget(self.w_edit, 1, 1, 1, 6)
        form.addWidget(QLabel("padding mode"), 2, 0)
        form.addWidget(self.mode, 2, 1)
        form.addWidget(QLabel("p (zeros each side)"), 2, 2)
        form.addWidget(self.p_spin, 2, 3)
        form.addWidget(QLabel("stride s"), 2, 4)
        form.addWidget(self.s_spin, 2, 5)
        form.addWidget(self.flip, 3, 0, 1, 6)
        form.setColumnStretch(6, 1)
        lecture = QLabel("y = x * w  →  y[i] = Σ<sub>k</sub> x[i − k] · w[k]: a true convolution flips the "
                         "kernel; x is padded with p zeros on each side, and the window moves s positions per output.")
        lecture.setStyleSheet(NOTE_STYLE)
        form.addWidget(lecture, 4, 0, 1, 7)
        buttons = QHBoxLayout()
        for b in (self.back_button, self.step_button, self.play_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.formula)
        layout.addWidget(self.padding_note)
        layout.addLayout(buttons)
        layout.addWidget(self.strip)
        layout.addWidget(self.sum_label)
        layout.addWidget(self.result)
        layout.addWidget(self.numpy_label)
        layout.addStretch(1)

        for edit in (self.x_edit, self.w_edit):
            edit.editingFinished.connect(self._on_inputs_changed)
        self.mode.currentIndexChanged.connect(self._on_inputs_changed)
        self.p_spin.valueChanged.connect(self._on_inputs_changed)
        self.s_spin.valueChanged.connect(self._on_inputs_changed)
        self.flip.toggled.connect(self._on_inputs_changed)
        self.back_button.clicked.connect(self._on_back_clicked)
        self.step_button.clicked.connect(self._on_step_clicked)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.strip.output_clicked.connect(self._on_strip_output_clicked)
        self._on_inputs_changed()

    def padding(self, m: int) -> tuple[int, int]:
        mode = self.mode.currentData()
        return (self.p_spin.value(),) * 2 if mode == "custom" else conv1d_mode_padding(m, mode)

    @Slot()
    def _on_inputs_changed(self) -> None:
        mode = self.mode.currentData()
        self.p_spin.setEnabled(mode == "custom")
        try:
            x = parse_vector(self.x_edit.text(), "x")
            w = parse_vector(self.w_edit.text(), "w")
            pad = self.padding(len(w))
            if mode != "custom":
                self.p_spin.blockSignals(True)
                self.p_spin.setValue(pad[0])
                self.p_spin.blockSignals(False)
            s = self.s_spin.value()
            flip = self.flip.isChecked()
            self.steps = list(conv1d_steps(x, w, pad, s, flip))
            self.output = conv1d(x, w, p=pad, s=s, flip=flip)
            p_arg = pad[0] if pad[0] == pad[1] else pad
            formula = conv1d_output_formula(len(x), len(w), p_arg, s)
        except ValueError as exc:
            self.error.setText(str(exc))
            self.steps = []
            self.strip.set_state(np.zeros(0), (0, 0), [], 0, True)
            return
        self.error.setText("")
        self.formula.setText("Output size: " + formula)
        self.padding_note.setText(
            f"n = {len(x)}, m = {len(w)}: {mode} padding adds {pad[0]} zero(s) on the left and {pad[1]} on the "
            f"right" + (" (m is even: numpy puts the extra zero on the left)" if mode == "same" and pad[0] != pad[1]
                        else "") + ".")
        self._x, self._w, self._pad = x, w, pad
        self._numpy_check(x, w, mode, s, flip)
        self._show(0)  # new inputs: start again at y[0]

    def _numpy_check(self, x, w, mode, s, flip) -> None:
        if mode == "custom" or s != 1:
            self.numpy_label.setText("numpy.convolve has only the modes full/same/valid with stride 1; "
                                     "no reference for these settings.")
            return
        ref = np.convolve(x, w if flip else w[::-1], mode)
        call = f"numpy.convolve(x, {'w' if flip else 'w[::-1]'}, '{mode}')"
        same = ref.shape == self.output.shape and np.allclose(ref, self.output)
        self.numpy_label.setText(f"Check: {call} = [{', '.join(fmt(float(v), 4) for v in ref)}]  "
                                 + ("✓ the same as y" if same else "✗ differs from y"))

    def _show(self, i: int) -> None:
        if not self.steps:
            return
        self.current = max(0, min(i, len(self.steps) - 1))
        st = self.steps[self.current]
        xp = np.concatenate([np.zeros(self._pad[0]), self._x, np.zeros(self._pad[1])])
        self.strip.set_state(xp, self._pad, self.steps, self.current, self.flip.isChecked())
        terms = " + ".join(f"{fmt(float(a), 3)}·{fmt(float(b), 3)}" for a, b in zip(st.window, st.kernel))
        self.sum_label.setText(f"y[{st.index}] = {terms} = <b>{fmt(st.total, 4)}</b>   "
                               f"(window starts at padded position {st.start} = {st.index} × s)")
        done = ", ".join(fmt(float(v), 4) for v in self.output[:self.current + 1])
        self.result.setText(f"y = [{done}{', …' if self.current + 1 < len(self.steps) else ''}]  "
                            f"({len(self.steps)} outputs)")
        self.back_button.setEnabled(self.current > 0)
        self.step_button.setEnabled(self.current < len(self.steps) - 1)

    @Slot()
    def _on_back_clicked(self) -> None:
        self._show(self.current - 1)

    @Slot()
    def _on_step_clicked(self) -> None:
        self._show(self.current + 1)

    @Slot(bool)
    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on:
            if self.current >= len(self.steps) - 1:
                self._show(0)
            self.timer.start()
        else:
            self.timer.stop()

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.current >= len(self.steps) - 1:
            self.play_button.setChecked(False)
        else:
            self._show(self.current + 1)

    @Slot(int)
    def _on_strip_output_clicked(self, i: int) -> None:
        self._show(i)
