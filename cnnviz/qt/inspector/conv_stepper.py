"""Convolution and pooling step by step on the chosen image, with the layer's real input, weights, stride and
padding: the window slides over the padded input, its numbers times the kernel give the products, their sum per
input channel plus the bias gives the pre-activation, the activation gives the output cell, which fills in.

The numbers come from :mod:`cnnviz.core.inspect.stepper` (float64, computed here) and are checked against the Keras
layer's own output for the same cell (shown as ✓ when they agree within 1e-4).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QSpinBox, QVBoxLayout, QWidget)

from .colors import NOTE_STYLE, data_range, fmt, symmetric_range
from .number_grid import NumberGrid

TOLERANCE = 1e-4


def size_formula(n: int, k: int, s: int, before: int, after: int) -> str:
    o = (n + before + after - k) // s + 1
    return f"⌊({n} + {before} + {after} − {k}) / {s}⌋ + 1 = {o}"


def _boxed(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    v = QVBoxLayout(box)
    v.setContentsMargins(4, 4, 4, 4)
    v.addWidget(widget)
    return box


class StepperView(QWidget):
    """Pick a Conv2D or pooling layer and an output channel, then step, play, or click an output cell."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = self.maps = self.layer = self.stepper = self.step = None
        self.position = 0
        self.layer_choice = QComboBox()
        self.out_channel = QSpinBox()
        self.in_channel = QSpinBox()
        self.in_channel_label = QLabel("showing input channel")
        self.reset_button = QPushButton("Start")
        self.back_button = QPushButton("◀ Back")
        self.step_button = QPushButton("Step ▶")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, 30)
        self.speed.setValue(4)
        self.speed.setFixedWidth(120)
        self.speed_label = QLabel()
        self.timer = QTimer(self)
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setTextFormat(Qt.TextFormat.RichText)

        self.input_grid = NumberGrid(max_cell=30, show_indices=True)
        self.output_grid = NumberGrid(max_cell=30, show_indices=True)
        self.window_grid = NumberGrid(max_cell=46, min_cell=20, digits=3)
        self.kernel_grid = NumberGrid(max_cell=46, min_cell=20, digits=3)
        self.products_grid = NumberGrid(max_cell=46, min_cell=20, digits=2)
        self.sums_grid = NumberGrid(max_cell=40, min_cell=10, digits=2)
        for g in (self.window_grid, self.kernel_grid, self.products_grid):
            g.setMinimumSize(190, 190)
        self.sums_grid.setFixedHeight(48)
        self.input_box = _boxed("Input", self.input_grid)
        self.output_box = _boxed("Output", self.output_grid)
        self.window_box = _boxed("Window", self.window_grid)
        self.kernel_box = _boxed("× Kernel", self.kernel_grid)
        self.products_box = _boxed("= Products", self.products_grid)
        self.sums_box = _boxed("Sum of the products, per input channel (click one to show it)", self.sums_grid)
        self.computation = QLabel()
        self.computation.setWordWrap(True)
        self.computation.setTextFormat(Qt.TextFormat.RichText)
        self.computation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.computation.setStyleSheet("font-size: 12pt;")
        self.result_label = QLabel()
        self.result_label.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.check_label = QLabel()
        self.check_label.setStyleSheet(NOTE_STYLE)

        controls = QHBoxLayout()
        for w in (QLabel("Layer"), self.layer_choice, QLabel("output channel"), self.out_channel,
                  self.in_channel_label, self.in_channel):
            controls.addWidget(w)
        controls.addSpacing(16)
        for w in (self.reset_button, self.back_button, self.step_button, self.play_button, QLabel("speed"),
                  self.speed, self.speed_label):
            controls.addWidget(w)
        controls.addStretch(1)
        maps = QHBoxLayout()
        maps.addWidget(self.input_box, 1)
        maps.addWidget(self.output_box, 1)
        detail = QGridLayout()
        detail.addWidget(self.window_box, 0, 0)
        detail.addWidget(self.kernel_box, 0, 1)
        detail.addWidget(self.products_box, 0, 2)
        text = QVBoxLayout()
        text.addWidget(self.result_label)
        text.addWidget(self.computation, 1)
        text.addWidget(self.check_label)
        detail.addLayout(text, 0, 3)
        detail.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.formula)
        layout.addLayout(maps, 3)
        layout.addLayout(detail, 2)
        layout.addWidget(self.sums_box)

        self.layer_choice.currentIndexChanged.connect(self._on_layer_changed)
        self.out_channel.valueChanged.connect(self._on_channel_changed)
        self.in_channel.valueChanged.connect(self._on_in_channel_changed)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.back_button.clicked.connect(self._on_back_clicked)
        self.step_button.clicked.connect(self._on_step_clicked)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.speed.valueChanged.connect(self._on_speed_changed)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.output_grid.cell_clicked.connect(self._on_output_cell_clicked)
        self.sums_grid.cell_clicked.connect(self._on_sums_cell_clicked)
        self._on_speed_changed(self.speed.value())

    # ----------------------------------------------------------------------------------------------- API
    def set_inspector(self, inspector) -> None:
        self.inspector, self.maps, self.stepper = inspector, None, None
        self.layer_choice.blockSignals(True)
        self.layer_choice.clear()
        for info in inspector.layers:
            if info.is_conv or info.is_pool:
                self.layer_choice.addItem(f"{info.name} ({info.kind})", info.index)
        self.layer_choice.blockSignals(False)

    def set_maps(self, maps) -> None:
        self.maps = maps
        self._rebuild(keep_position=True)

    def select(self, layer: str, out_channel: int = 0) -> None:
        """Choose a layer by name and an output channel (used by tests and other views)."""
        idx = self.layer_choice.findData(self.inspector.layer(layer).index)
        self.layer_choice.setCurrentIndex(idx)
        self.out_channel.setValue(out_channel)

    def go_to(self, i: int, j: int) -> None:
        """Jump to output cell (i, j)."""
        self._show(i * self.stepper.output_shape[1] + j)

    def keras_value(self) -> float:
        """The Keras layer's output at the current cell and channel (what the stepper must reproduce)."""
        i, j = self.step.index
        return float(self.maps.outputs[self.layer.index][i, j, self.out_channel.value()])

    # ------------------------------------------------------------------------------------------- building
    def _rebuild(self, keep_position: bool = False) -> None:
        if self.maps is None or self.layer_choice.count() == 0:
            return
        self.layer = self.inspector.layers[self.layer_choice.currentData()]
        conv = self.layer.is_conv
        channels = self.layer.channels
        self.out_channel.blockSignals(True)
        self.out_channel.setRange(0, channels - 1)
        self.out_channel.blockSignals(False)
        ch = self.out_channel.value()
        if conv:
            self.stepper = self.inspector.conv_stepper(self.maps, self.layer.index, ch)
            c_in = self.stepper.kernel.shape[2]
        else:
            self.stepper = self.inspector.pool_stepper(self.maps, self.layer.index, ch)
            c_in = 1
        self.in_channel.setRange(0, c_in - 1)
        for w in (self.in_channel, self.in_channel_label, self.sums_box):
            w.setVisible(conv and c_in > 1)
        for w in (self.kernel_box, self.products_box):
            w.setVisible(conv)
        self.formula.setText(self._formula_text())
        self._input_range = None
        pos = self.position if keep_position and self.position < len(self.stepper) else 0
        self._show(pos)

    def _input_plane(self) -> tuple[np.ndarray, str]:
        padded = self.stepper.padded
        if self.layer.is_conv:
            return padded[..., self.in_channel.value()], "conv"
        return padded, "pool"

    def _formula_text(self) -> str:
        st, info = self.stepper, self.layer
        top, bottom, left, right = st.pads
        x = self.inspector.layer_input(self.maps, info.index)
        k = st.kernel.shape[:2] if info.is_conv else st.pool_size
        s = st.strides
        src = "the image" if info.input_index < 0 else f"{self.inspector.layers[info.input_index].name}'s output"
        what = "kernel" if info.is_conv else f"{'max' if st.mode == 'max' else 'average'} pooling window"
        pad = ("padding 'valid': no zeros added (p = 0)" if st.padding == "valid" else
               f"padding 'same': {top} row(s) of zeros on top, {bottom} at the bottom, {left} column(s) left, {right} "
               "right (TensorFlow puts an odd extra zero at the bottom/right)" + (
                   "; pooling ignores padded cells" if info.is_pool else ""))
        rows = size_formula(x.shape[0], k[0], s[0], top, bottom)
        cols = size_formula(x.shape[1], k[1], s[1], left, right)
        return (f"<b>{info.name}</b>: input = {src}, {x.shape[0]}×{x.shape[1]}×{x.shape[2]}; {what} "
                f"{k[0]}×{k[1]}, stride {s[0]}×{s[1]}; {pad}.<br>"
                f"Output size o = ⌊(n + p<sub>before</sub> + p<sub>after</sub> − k) / s⌋ + 1: rows {rows}, "
                f"columns {cols}  →  {st.output_shape[0]}×{st.output_shape[1]} per channel.")

    # ------------------------------------------------------------------------------------------- showing
    def _show(self, position: int) -> None:
        st = self.stepper
        position = max(0, min(position, len(st) - 1))
        self.position = position
        i, j = divmod(position, st.output_shape[1])
        self.step = st.step_at(i, j)
        plane, _ = self._input_plane()
        x = self.inspector.layer_input(self.maps, self.layer.index)
        gray = self.layer.input_index < 0
        lo, hi = (0.0, 1.0) if gray else data_range(x)
        cmap = "gray" if gray else "viridis"
        top, bottom, left, right = st.pads
        pad_mask = np.ones(plane.shape, bool)
        pad_mask[top:plane.shape[0] - bottom, left:plane.shape[1] - right] = False
        kh, kw = self.step.window.shape[:2]
        self.input_grid.set_data(plane, lo, hi, cmap, padding=pad_mask, offset=(st.pads[0], st.pads[2]))
        marks = []
        if self.layer.is_pool and self.step.argmax is not None:
            marks = [(self.step.origin[0] + self.step.argmax[0], self.step.origin[1] + self.step.argmax[1])]
        self.input_grid.set_highlight((*self.step.origin, kh, kw), marks)
        src = "image" if gray else self.inspector.layers[self.layer.input_index].name
        chan = f", channel {self.in_channel.value()}" if self.layer.is_conv else f", channel {self.out_channel.value()}"
        self.input_box.setTitle(f"Input: {src}{chan}, padded ({plane.shape[0]}×{plane.shape[1]}; hatched = zero "
                                "padding)" if st.padding == "same" else f"Input: {src}{chan} ({plane.shape[0]}×"
                                f"{plane.shape[1]}, no padding)")
        out = self.maps.outputs[self.layer.index][..., self.out_channel.value()]
        filled = (np.arange(out.size) <= position).reshape(out.shape)
        olo, ohi = data_range(self.maps.outputs[self.layer.index])
        self.output_grid.set_data(out, olo, ohi, "viridis", filled=filled)
        self.output_grid.set_highlight((i, j, 1, 1))
        self.output_box.setTitle(f"Output: {self.layer.name}, channel {self.out_channel.value()} "
                                 f"({out.shape[0]}×{out.shape[1]}) — click a cell to jump there")
        if self.layer.is_conv:
            self._show_conv(lo, hi, cmap)
        else:
            self._show_pool(lo, hi, cmap)
        diff = abs(self.step.value - self.keras_value())
        ok = "✓ equal" if diff <= TOLERANCE else "✗ DIFFERENT"
        self.check_label.setText(f"Keras's own {self.layer.name} output at [{i}, {j}, {self.out_channel.value()}]: "
                                 f"{self.keras_value():.6f}  {ok} (difference {diff:.1e})")
        self.back_button.setEnabled(position > 0)
        self.step_button.setEnabled(position < len(st) - 1)

    def _show_conv(self, lo: float, hi: float, cmap: str) -> None:
        s, c = self.step, self.in_channel.value()
        pad = s.is_padding
        self.window_grid.set_data(s.window[..., c], lo, hi, cmap, padding=pad)
        klo, khi = symmetric_range(self.stepper.kernel)
        self.kernel_grid.set_data(s.kernel[..., c], klo, khi, "diverging")
        plo, phi = symmetric_range(s.products)
        self.products_grid.set_data(s.products[..., c], plo, phi, "diverging", padding=pad)
        c_in = s.window.shape[2]
        suffix = f" (input channel {c})" if c_in > 1 else ""
        self.window_box.setTitle(f"Window at rows {s.input_origin[0]}…{s.input_origin[0] + pad.shape[0] - 1}, "
                                 f"cols {s.input_origin[1]}…{s.input_origin[1] + pad.shape[1] - 1}")
        self.kernel_box.setTitle(f"× Kernel of filter {s.out_channel}{suffix}")
        self.products_box.setTitle("= Products (element by element)")
        if c_in > 1:
            slo, shi = symmetric_range(s.channel_sums)
            self.sums_grid.set_data(s.channel_sums[None, :], slo, shi, "diverging")
            self.sums_grid.set_highlight((0, c, 1, 1))
        act = s.activation
        sums = (f"sum of the {pad.size} products = <b>{fmt(s.channel_sums[0], 4)}</b>" if c_in == 1 else
                f"sum over input channel {c} = {fmt(s.channel_sums[c], 4)}; over all {c_in} channels "
                f"Σ = <b>{fmt(s.total, 4)}</b>")
        act_line = (f"{act}({fmt(s.pre_activation, 4)}) = <b>{fmt(s.value, 4)}</b>" if act != "linear"
                    else f"no activation: <b>{fmt(s.value, 4)}</b>")
        self.computation.setText(f"{sums}<br>+ bias b<sub>{s.out_channel}</sub> = {fmt(s.bias, 4)} → "
                                 f"{fmt(s.pre_activation, 4)}<br>{act_line}")
        self.result_label.setText(f"output[{s.index[0]}, {s.index[1]}] = {s.value:.6f}")

    def _show_pool(self, lo: float, hi: float, cmap: str) -> None:
        s = self.step
        self.window_grid.set_data(np.nan_to_num(s.window), lo, hi, cmap, padding=s.is_padding)
        self.window_grid.set_highlight(None, [s.argmax] if s.argmax is not None else [])
        self.window_box.setTitle(f"Window at rows {s.input_origin[0]}…{s.input_origin[0] + s.window.shape[0] - 1}, "
                                 f"cols {s.input_origin[1]}…{s.input_origin[1] + s.window.shape[1] - 1}")
        vals = [fmt(float(v), 3) for v in s.window[~s.is_padding]]
        if s.mode == "max":
            text = f"max({', '.join(vals)}) = <b>{fmt(s.value, 4)}</b> (red outline)"
        else:
            text = f"({' + '.join(vals)}) / {s.count} = <b>{fmt(s.value, 4)}</b>"
        if s.is_padding.any():
            text += f"<br>{int(s.is_padding.sum())} padded cell(s) take no part"
        self.computation.setText(text + "<br>Pooling has no weights: it only summarises each window.")
        self.result_label.setText(f"output[{s.index[0]}, {s.index[1]}] = {s.value:.6f}")

    # -------------------------------------------------------------------------------------------- slots
    @Slot()
    def _on_layer_changed(self) -> None:
        self.position = 0
        self._rebuild()

    @Slot()
    def _on_channel_changed(self) -> None:
        self._rebuild(keep_position=True)

    @Slot()
    def _on_in_channel_changed(self) -> None:
        if self.stepper is not None:
            self._show(self.position)

    @Slot()
    def _on_reset_clicked(self) -> None:
        self.play_button.setChecked(False)
        self._show(0)

    @Slot()
    def _on_back_clicked(self) -> None:
        self._show(self.position - 1)

    @Slot()
    def _on_step_clicked(self) -> None:
        self._show(self.position + 1)

    @Slot(bool)
    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on and self.stepper is not None:
            if self.position >= len(self.stepper) - 1:
                self._show(0)
            self.timer.start()
        else:
            self.timer.stop()

    @Slot(int)
    def _on_speed_changed(self, value: int) -> None:
        self.timer.setInterval(int(1000 / value))
        self.speed_label.setText(f"{value} cells/s")

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.stepper is None or self.position >= len(self.stepper) - 1:
            self.play_button.setChecked(False)
            return
        self._show(self.position + 1)

    @Slot(int, int)
    def _on_output_cell_clicked(self, i: int, j: int) -> None:
        self.go_to(i, j)

    @Slot(int, int)
    def _on_sums_cell_clicked(self, _row: int, c: int) -> None:
        self.in_channel.setValue(c)
