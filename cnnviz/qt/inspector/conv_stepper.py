"""Convolution and pooling step by step on the chosen image, with the layer's real input, weights, stride,
dilation and padding: the window slides over the padded input (a dilated kernel's holes are greyed out), its
numbers times the kernel give the products, their sum per input channel plus the bias gives the pre-activation,
the activation gives the output cell, which fills in. DepthwiseConv2D shows the one input channel an output
channel reads; SeparableConv2D shows its depthwise stage, then the pointwise sum.

What to step and how comes from the core's recipe (:mod:`cnnviz.core.inspect.layer_steps`); a layer the core
cannot reproduce exactly is listed with the reason instead of numbers. Each cell is checked against the Keras
layer's own output for the same cell (✓ when they agree within the recipe's tolerance, 1e-4 for float32).
The per-cell grids (window, kernel, products, sums) and the computation are drawn by :class:`StepDetail`
(step_detail.py); this module chooses the layer, channel and cell and checks each value against Keras.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox,
                               QVBoxLayout, QWidget)

from . import step_text
from .colors import data_range
from .number_grid import NumberGrid
from .step_detail import StepDetail, boxed
from .step_text import size_formula  # noqa: F401 - kept importable from here

TOLERANCE = 1e-4  # float32; the check uses each layer's recipe (core/inspect/layer_steps), 16-bit layers looser
REFUSAL_STYLE = ("font-size: 13pt; padding: 18px; background: #fff4e5; border: 1px solid #e0a040; "
                 "border-radius: 6px; color: #5a3a00;")


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
        self.input_box = boxed("Input", self.input_grid)
        self.output_box = boxed("Output", self.output_grid)
        self.detail = StepDetail()   # window x kernel = products, the computation; its parts stay reachable here
        d = self.detail
        self.window_grid, self.kernel_grid, self.products_grid, self.sums_grid = (
            d.window_grid, d.kernel_grid, d.products_grid, d.sums_grid)
        self.window_box, self.kernel_box, self.products_box, self.sums_box = (
            d.window_box, d.kernel_box, d.products_box, d.sums_box)
        self.computation, self.result_label, self.check_label = d.computation, d.result_label, d.check_label
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
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(maps, 3)
        body.addWidget(self.detail, 2)
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
        self.detail.set_kind(kind, picks)
        self.textbook.setVisible(kind != "pool")
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
            self.detail.show_pool(self.step, lo, hi, cmap)
        else:
            self.detail.show_conv(self.recipe, st, self.step, self.in_channel.value(), self.textbook.isChecked(),
                                  lo, hi, cmap)
        keras = self.keras_value()
        diff = abs(self.step.value - keras)
        ok = "✓ equal" if self.recipe.agrees(self.step.value, keras) else "✗ DIFFERENT"
        self.check_label.setText(f"Keras's own {self.layer.name} output at [{i}, {j}, {self.out_channel.value()}]: "
                                 f"{keras:.6f}  {ok} (difference {diff:.1e})"
                                 + (f"<br>{self.recipe.note}" if self.recipe.note else ""))
        self.back_button.setEnabled(position > 0)
        self.step_button.setEnabled(position < len(st) - 1)

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
