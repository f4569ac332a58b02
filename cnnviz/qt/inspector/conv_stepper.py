"""Convolution and pooling step by step on the chosen image, with the layer's real input, weights, stride,
dilation and padding: the window slides over the padded input (a dilated kernel's holes are greyed out), its
numbers times the kernel give the products, their sum per input channel plus the bias gives the pre-activation,
the activation gives the output cell, which fills in. DepthwiseConv2D shows the one input channel an output
channel reads; SeparableConv2D shows its depthwise stage, then the pointwise sum.

What to step and how comes from the core's recipe (:mod:`cnnviz.core.inspect.layer_steps`); a layer the core
cannot reproduce exactly is listed with the reason instead of numbers. Each cell is checked against the Keras
layer's own output for the same cell (✓ when they agree within the recipe's tolerance, 1e-4 for float32).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QSlider, QSpinBox, QVBoxLayout, QWidget)

from . import step_text
from .colors import NOTE_STYLE, data_range, symmetric_range
from .number_grid import NumberGrid
from .step_text import size_formula  # noqa: F401 - kept importable from here

TOLERANCE = 1e-4  # float32; the check uses each layer's recipe (core/inspect/layer_steps), 16-bit layers looser
REFUSAL_STYLE = ("font-size: 13pt; padding: 18px; background: #fff4e5; border: 1px solid #e0a040; "
                 "border-radius: 6px; color: #5a3a00;")


def _boxed(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    v = QVBoxLayout(box)
    v.setContentsMargins(4, 4, 4, 4)
    v.addWidget(widget)
    return box


class StepperView(QWidget):
    """Pick a convolution or pooling layer and an output channel, then step, play, or click an output cell."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = self.maps = self.layer = self.stepper = self.step = self.recipe = None
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
        self.textbook = QCheckBox("Show the kernel as the lecture writes it: a convolution, the kernel rotated by "
                                  "180\u00b0 (Keras computes a cross-correlation)")
        self.textbook.setToolTip("Keras's Conv2D computes a cross-correlation: \u03a3 X[i + k1, j + k2]\u00b7W[k1, k2]. "
                                 "The lecture writes the same layer as a convolution, \u03a3 X[i \u2212 k1, j \u2212 k2]"
                                 "\u00b7V[k1, k2], whose kernel V is W rotated by 180\u00b0. Tick to see V: the "
                                 "products and the output do not change, only how the kernel is written.")
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
        self.check_label.setWordWrap(True)
        self.refusal = QLabel()
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet(REFUSAL_STYLE)
        self.refusal.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

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
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(maps, 3)
        body.addLayout(detail, 2)
        body.addWidget(self.sums_box)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.textbook)
        layout.addWidget(self.formula)
        self.refusal_page = QWidget()  # the reason at the top, empty space below
        page = QVBoxLayout(self.refusal_page)
        page.setContentsMargins(0, 8, 0, 0)
        page.addWidget(self.refusal)
        page.addStretch(1)
        self.refusal_page.setVisible(False)
        layout.addWidget(self.refusal_page, 1)
        layout.addWidget(self.body, 1)

        self.layer_choice.currentIndexChanged.connect(self._on_layer_changed)
        self.out_channel.valueChanged.connect(self._on_channel_changed)
        self.in_channel.valueChanged.connect(self._on_in_channel_changed)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.back_button.clicked.connect(self._on_back_clicked)
        self.step_button.clicked.connect(self._on_step_clicked)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.speed.valueChanged.connect(self._on_speed_changed)
        self.textbook.toggled.connect(self._on_textbook_toggled)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.output_grid.cell_clicked.connect(self._on_output_cell_clicked)
        self.sums_grid.cell_clicked.connect(self._on_sums_cell_clicked)
        self._on_speed_changed(self.speed.value())

    # ----------------------------------------------------------------------------------------------- API
    def set_inspector(self, inspector) -> None:
        self.inspector, self.maps, self.stepper = inspector, None, None
        self.layer_choice.blockSignals(True)
        self.layer_choice.clear()
        for info in inspector.steppable_layers():
            ok = inspector.step_recipe(info.index).supported
            self.layer_choice.addItem(f"{info.name} ({info.kind})" + ("" if ok else " — cannot step"), info.index)
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
        if self.stepper is not None:
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
        self.recipe = self.inspector.step_recipe(self.layer.index)
        self.out_channel.blockSignals(True)
        self.out_channel.setRange(0, self.layer.channels - 1)
        self.out_channel.blockSignals(False)
        if not self.recipe.supported:
            self._refuse()
            return
        self.refusal_page.setVisible(False)
        self.body.setVisible(True)
        kind = self.recipe.kind
        self.stepper = self.inspector.stepper(self.maps, self.layer.index, self.out_channel.value())
        # the channel the small grids show: an input channel (conv), a depthwise channel (separable)
        picks = {"conv": self.stepper.kernel.shape[2] if kind == "conv" else 1,
                 "separable": self.stepper.kernel.shape[2] if kind == "separable" else 1}.get(kind, 1)
        self.in_channel.setRange(0, picks - 1)
        self.in_channel_label.setText("showing depthwise channel" if kind == "separable" else
                                      "showing input channel")
        for w in (self.in_channel, self.in_channel_label):
            w.setVisible(picks > 1)
        self.sums_box.setVisible(kind == "separable" or (kind == "conv" and picks > 1))
        self.sums_grid.setFixedHeight(110 if kind == "separable" else 48)
        for w in (self.kernel_box, self.products_box, self.textbook):
            w.setVisible(kind != "pool")
        self.formula.setText(step_text.formula_text(self.layer, self.recipe, self.stepper, self._layer_input().shape,
                                                    self._source()))
        pos = self.position if keep_position and self.position < len(self.stepper) else 0
        self._show(pos)

    def _refuse(self) -> None:
        """The honest answer for a layer the core cannot reproduce: the reason, no numbers."""
        self.stepper = self.step = None
        self.play_button.setChecked(False)
        self.body.setVisible(False)
        for w in (self.in_channel, self.in_channel_label):
            w.setVisible(False)
        for w in (self.back_button, self.step_button, self.reset_button, self.play_button):
            w.setEnabled(False)
        self.formula.setText(f"<b>{self.layer.name}</b> ({self.layer.kind}), output "
                             f"{'×'.join(str(v) for v in self.layer.output_shape)}")
        self.refusal.setText(f"<b>Cannot step through this layer.</b><br>{self.recipe.message}<br><br>"
                             "Rather than show numbers from some other computation, the Step by step tab shows "
                             "nothing here. The Feature maps tab shows this layer's real output, as Keras computes "
                             "it.")
        self.refusal_page.setVisible(True)

    def _layer_input(self) -> np.ndarray:
        return self.inspector.layer_input(self.maps, self.layer.index)

    def _source(self) -> str:
        info = self.layer
        return "the image" if info.input_index < 0 else f"{self.inspector.layers[info.input_index].name}'s output"

    def _plane_channel(self) -> int:
        """The input channel shown in the input grid and the small grids."""
        kind, st = self.recipe.kind, self.stepper
        if kind == "depthwise":
            return st.in_channel
        if kind == "separable":
            return self.in_channel.value() // st.depth_multiplier
        return self.in_channel.value() if kind == "conv" else self.out_channel.value()

    def _input_plane(self) -> tuple[np.ndarray, str]:
        padded = self.stepper.padded
        if self.recipe.kind == "pool":
            return padded, "pool"
        return padded[..., self._plane_channel()], self.recipe.kind

    # ------------------------------------------------------------------------------------------- showing
    def _show(self, position: int) -> None:
        st = self.stepper
        if st is None:
            return
        for w in (self.reset_button, self.play_button):
            w.setEnabled(True)
        position = max(0, min(position, len(st) - 1))
        self.position = position
        i, j = divmod(position, st.output_shape[1])
        self.step = st.step_at(i, j)
        plane, kind = self._input_plane()
        x = self._layer_input()
        gray = self.layer.input_index < 0
        lo, hi = (0.0, 1.0) if gray else data_range(x)
        cmap = "gray" if gray else "viridis"
        top, bottom, left, right = st.pads
        pad_mask = np.ones(plane.shape, bool)
        pad_mask[top:plane.shape[0] - bottom, left:plane.shape[1] - right] = False
        self.input_grid.set_data(plane, lo, hi, cmap, padding=pad_mask, offset=(st.pads[0], st.pads[2]))
        if kind == "pool":
            marks = [] if self.step.argmax is None else [
                (self.step.origin[0] + self.step.argmax[0], self.step.origin[1] + self.step.argmax[1])]
            self.input_grid.set_highlight((*self.step.origin, *self.step.window.shape), marks)
        else:
            dilated = self.step.dilation != (1, 1)
            self.input_grid.set_highlight(self.step.footprint, taps=self.step.taps() if dilated else None)
        src = "image" if gray else self.inspector.layers[self.layer.input_index].name
        chan = f", channel {self._plane_channel()}"
        if kind == "depthwise":
            chan += f" (the only channel output channel {st.out_channel} reads)"
        elif kind == "separable":
            chan += f" (read by depthwise channel {self.in_channel.value()})"
        size = f"{plane.shape[0]}×{plane.shape[1]}"
        self.input_box.setTitle(f"Input: {src}{chan}, padded ({size}; hatched = zero padding)"
                                if st.padding == "same" else f"Input: {src}{chan} ({size}, no padding)")
        out = self.maps.outputs[self.layer.index][..., self.out_channel.value()]
        filled = (np.arange(out.size) <= position).reshape(out.shape)
        olo, ohi = data_range(self.maps.outputs[self.layer.index])
        self.output_grid.set_data(out, olo, ohi, "viridis", filled=filled)
        self.output_grid.set_highlight((i, j, 1, 1))
        self.output_box.setTitle(f"Output: {self.layer.name}, channel {self.out_channel.value()} "
                                 f"({out.shape[0]}×{out.shape[1]}) — click a cell to jump there")
        if kind == "pool":
            self._show_pool(lo, hi, cmap)
        else:
            self._show_conv(lo, hi, cmap)
        keras = self.keras_value()
        diff = abs(self.step.value - keras)
        ok = "✓ equal" if self.recipe.agrees(self.step.value, keras) else "✗ DIFFERENT"
        self.check_label.setText(f"Keras's own {self.layer.name} output at [{i}, {j}, {self.out_channel.value()}]: "
                                 f"{keras:.6f}  {ok} (difference {diff:.1e})"
                                 + (f"<br>{self.recipe.note}" if self.recipe.note else ""))
        self.back_button.setEnabled(position > 0)
        self.step_button.setEnabled(position < len(st) - 1)

    def _show_conv(self, lo: float, hi: float, cmap: str) -> None:
        s, kind, c = self.step, self.recipe.kind, self.in_channel.value()
        window, kernel, products, all_kernels, kernel_title = step_text.small_grids(self.recipe, self.stepper, s, c)
        pad = s.is_padding
        self.window_grid.set_data(window, lo, hi, cmap, padding=pad)
        self.window_grid.set_highlight(None)
        klo, khi = symmetric_range(all_kernels)
        textbook = self.textbook.isChecked()
        # the lecture's convolution writes this layer's kernel rotated by 180 degrees (V); window x W is unchanged
        self.kernel_grid.set_data(np.rot90(kernel, 2) if textbook else kernel, klo, khi, "diverging")
        plo, phi = symmetric_range(products)
        self.products_grid.set_data(products, plo, phi, "diverging", padding=pad)
        self.window_box.setTitle(step_text.window_title(s))
        self.kernel_box.setTitle(f"{kernel_title}, as the textbook writes it: V = W rotated 180\u00b0"
                                 if textbook else kernel_title)
        self.products_box.setTitle("= Products: each window cell times the V cell diagonally opposite"
                                   if textbook else "= Products (element by element)")
        if kind == "conv":
            if s.window.shape[2] > 1:
                slo, shi = symmetric_range(s.channel_sums)
                self.sums_grid.set_data(s.channel_sums[None, :], slo, shi, "diverging")
                self.sums_grid.set_highlight((0, c, 1, 1))
            self.sums_box.setTitle("Sum of the products, per input channel (click one to show it)")
            text = step_text.conv_text(s, c)
        elif kind == "depthwise":
            text = step_text.depthwise_text(s)
        else:
            rows = np.stack([s.depthwise_values, s.pointwise, s.pointwise_products])
            slo, shi = symmetric_range(rows)
            self.sums_grid.set_data(rows, slo, shi, "diverging")
            self.sums_grid.set_highlight((0, c, 3, 1))
            self.sums_box.setTitle(f"Stage 2, pointwise 1×1 — row 1: the {rows.shape[1]} depthwise values d of "
                                   f"this cell; row 2: filter {s.out_channel}'s weights w; row 3: d·w, summed "
                                   "below (click a column to show its stage 1)")
            text = step_text.separable_text(s, c)
        if textbook:
            text += step_text.textbook_text(s)
        self.computation.setText(text)
        self.result_label.setText(f"output[{s.index[0]}, {s.index[1]}] = {s.value:.6f}")

    def _show_pool(self, lo: float, hi: float, cmap: str) -> None:
        s = self.step
        self.window_grid.set_data(np.nan_to_num(s.window), lo, hi, cmap, padding=s.is_padding)
        self.window_grid.set_highlight(None, [s.argmax] if s.argmax is not None else [])
        self.window_box.setTitle(step_text.window_title(s))
        self.computation.setText(step_text.pool_text(s))
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

    @Slot(bool)
    def _on_textbook_toggled(self, _on: bool) -> None:
        if self.stepper is not None and self.recipe is not None and self.recipe.kind != "pool":
            self._show(self.position)

    @Slot(int)
    def _on_speed_changed(self, value: int) -> None:
        self.timer.setInterval(int(1000 / value))
        self.speed_label.setText(f"{value} cells/s")

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.stepper is None or self.step is None or self.position >= len(self.stepper) - 1:
            self.play_button.setChecked(False)
            return
        self._show(self.position + 1)

    @Slot(int, int)
    def _on_output_cell_clicked(self, i: int, j: int) -> None:
        self.go_to(i, j)

    @Slot(int, int)
    def _on_sums_cell_clicked(self, _row: int, c: int) -> None:
        self.in_channel.setValue(c)
