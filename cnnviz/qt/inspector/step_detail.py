"""The per-cell part of the Step by step view (conv_stepper.py): for the current output cell, the window of the
input it reads, the kernel, their products, the per-input-channel sums (or a separable layer's pointwise stage),
and the computation written out with its result; for pooling, the window and the reduction.

:class:`StepDetail` only renders one step it is given (a core stepper's step, its recipe, the channel shown);
choosing the layer, the cell and the channel, and checking the value against Keras, stay in StepperView.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from . import step_text
from .colors import NOTE_STYLE, symmetric_range
from .number_grid import NumberGrid

CONV_SUMS_TITLE = "Sum of the products, per input channel (click one to show it)"


def boxed(title: str, widget: QWidget) -> QGroupBox:
    """``widget`` in a titled box with small margins (every grid of the Step by step view)."""
    box = QGroupBox(title)
    v = QVBoxLayout(box)
    v.setContentsMargins(4, 4, 4, 4)
    v.addWidget(widget)
    return box


class StepDetail(QWidget):
    """Window × kernel = products, the computation and its result for one step; ``sums_box`` (the per-channel or
    pointwise row) is a separate widget for the view to place under the grids."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_grid = NumberGrid(max_cell=46, min_cell=20, digits=3)
        self.kernel_grid = NumberGrid(max_cell=46, min_cell=20, digits=3)
        self.products_grid = NumberGrid(max_cell=46, min_cell=20, digits=2)
        self.sums_grid = NumberGrid(max_cell=40, min_cell=10, digits=2)
        for g in (self.window_grid, self.kernel_grid, self.products_grid):
            g.setMinimumSize(190, 190)
        self.sums_grid.setFixedHeight(48)
        self.window_box = boxed("Window", self.window_grid)
        self.kernel_box = boxed("× Kernel", self.kernel_grid)
        self.products_box = boxed("= Products", self.products_grid)
        self.sums_box = boxed(CONV_SUMS_TITLE, self.sums_grid)
        self.computation = QLabel()
        self.computation.setWordWrap(True)
        self.computation.setTextFormat(Qt.TextFormat.RichText)
        self.computation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.computation.setStyleSheet("font-size: 12pt;")
        self.result_label = QLabel()
        self.result_label.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.check_label = QLabel()   # the view writes Keras's value for the same cell here
        self.check_label.setStyleSheet(NOTE_STYLE)
        self.check_label.setWordWrap(True)

        detail = QGridLayout(self)
        detail.setContentsMargins(0, 0, 0, 0)
        detail.addWidget(self.window_box, 0, 0)
        detail.addWidget(self.kernel_box, 0, 1)
        detail.addWidget(self.products_box, 0, 2)
        text = QVBoxLayout()
        text.addWidget(self.result_label)
        text.addWidget(self.computation, 1)
        text.addWidget(self.check_label)
        detail.addLayout(text, 0, 3)
        detail.setColumnStretch(3, 1)

    def set_kind(self, kind: str, picks: int) -> None:
        """Which parts a layer kind shows ("conv", "depthwise", "separable", "pool"); ``picks``: how many input
        (conv) or depthwise (separable) channels there are to choose from."""
        self.sums_box.setVisible(kind == "separable" or (kind == "conv" and picks > 1))
        self.sums_grid.setFixedHeight(110 if kind == "separable" else 48)
        for w in (self.kernel_box, self.products_box):
            w.setVisible(kind != "pool")

    def show_conv(self, recipe, stepper, s, c: int, textbook: bool, lo: float, hi: float, cmap: str) -> None:
        """Step ``s`` of a convolution-like ``stepper``, showing channel ``c`` (input channel for conv, depthwise
        channel for separable); ``textbook``: write the kernel as the lecture's convolution (rotated 180°)."""
        kind = recipe.kind
        window, kernel, products, all_kernels, kernel_title = step_text.small_grids(recipe, stepper, s, c)
        pad = s.is_padding
        self.window_grid.set_data(window, lo, hi, cmap, padding=pad)
        self.window_grid.set_highlight(None)
        klo, khi = symmetric_range(all_kernels)
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
            self.sums_box.setTitle(CONV_SUMS_TITLE)
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

    def show_pool(self, s, lo: float, hi: float, cmap: str) -> None:
        """Step ``s`` of a pooling stepper: the window (its winner marked for max pooling) and the reduction."""
        self.window_grid.set_data(np.nan_to_num(s.window), lo, hi, cmap, padding=s.is_padding)
        self.window_grid.set_highlight(None, [s.argmax] if s.argmax is not None else [])
        self.window_box.setTitle(step_text.window_title(s))
        self.computation.setText(step_text.pool_text(s))
        self.result_label.setText(f"output[{s.index[0]}, {s.index[1]}] = {s.value:.6f}")
