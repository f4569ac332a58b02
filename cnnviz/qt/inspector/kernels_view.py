"""The kernels (filters) of every convolution layer as images: one row per filter, one column per input
channel, then the filter's bias; a diverging colour map centred on zero (blue negative, white 0, red positive)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from .colors import CAPTION_STYLE, NOTE_STYLE, ColorBar, fmt, symmetric_range
from .number_grid import NumberGrid
from .tiles import TileGrid

MAX_FILTERS, MAX_CHANNELS = 64, 32  # a deep layer (256 x 128 kernels) would be 33k tiles: show a corner


def kernel_layout(kernel: np.ndarray) -> tuple[int, int]:
    """(tiles per filter, filters per row): C_in kernels + 1 bias per filter; small C_in wraps several
    filters side by side so a 1-channel layer is not one long column."""
    c_in = kernel.shape[2]
    per = c_in + 1
    return per, (max(1, 8 // per) if c_in < 4 else 1)


def show_kernels(grid: TileGrid, kernel: np.ndarray, bias: np.ndarray | None, tile_px: int | None = None) -> tuple:
    """Fill ``grid`` with a conv layer's kernels (k_h, k_w, C_in, F) and biases (F,); returns the (lo, hi) range."""
    kh, kw, c_in, filters = kernel.shape
    bias = np.zeros(filters, np.float32) if bias is None else bias
    lo, hi = symmetric_range(np.concatenate([kernel.ravel(), bias.ravel()]))
    per, blocks = kernel_layout(kernel)
    tiles, labels = [], []
    for f in range(filters):
        for c in range(c_in):
            tiles.append(kernel[:, :, c, f])
            labels.append(f"f{f}" if c == 0 else "")
        tiles.append(np.full((kh, 1), bias[f]))
        labels.append("b")
    grid.group = per
    fit = int(760 / (per * blocks)) - grid.gap  # keep a row within ~760 px
    px = tile_px or max(10, min(60, 12 * max(kh, kw) if blocks > 1 else 4 * max(kh, kw), fit))
    grid.set_tiles(tiles, lo, hi, "diverging", labels=labels if blocks > 1 else None, columns=per * blocks,
                   tile_px=px)
    return lo, hi


def kernel_hover(kernel: np.ndarray, bias: np.ndarray | None):
    """A TileGrid hover function naming filter, input channel, position and weight."""
    per = kernel.shape[2] + 1

    def hover(tile: int, r: int, c: int) -> str:
        f, ch = divmod(tile, per)
        if ch == kernel.shape[2]:
            return f"<b>filter {f}</b>: bias b = {0.0 if bias is None else float(bias[f]):.5g}"
        return (f"<b>filter {f}, input channel {ch}</b><br>w[{r}, {c}] = {kernel[r, c, ch, f]:.5g}<br>"
                f"bias of filter {f}: {0.0 if bias is None else float(bias[f]):.5g}")

    return hover


class KernelsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = None
        self.grids: dict[int, TileGrid] = {}
        self._sections: list[QWidget] = []
        self._column = QWidget()
        self._column_layout = QVBoxLayout(self._column)
        self._column_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._column)
        side = QWidget()
        self.detail_title = QLabel("Click a kernel to see its numbers")
        self.detail_title.setStyleSheet(CAPTION_STYLE)
        self.detail_title.setWordWrap(True)
        self.detail = NumberGrid(max_cell=56, show_indices=True, digits=3)
        self.detail_note = QLabel()
        self.detail_note.setWordWrap(True)
        self.detail_note.setStyleSheet(NOTE_STYLE)
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.detail_title)
        side_layout.addWidget(self.detail_note)
        side_layout.addWidget(self.detail, 1)
        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([900, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def set_inspector(self, inspector) -> None:
        self.inspector = inspector
        for w in self._sections:
            w.setParent(None)
            w.deleteLater()
        self._sections.clear()
        self.grids.clear()
        for info in inspector.conv_layers():
            full, bias = inspector.weights(info.index)
            kernel = full[:, :, :MAX_CHANNELS, :MAX_FILTERS]
            bias = None if bias is None else bias[:MAX_FILTERS]
            box = QFrame()
            box.setFrameShape(QFrame.Shape.StyledPanel)
            n_bias = full.shape[3] if info.params.get("use_bias", True) else 0
            title = QLabel(f"{info.name}: {full.shape[3]} filters of {full.shape[0]}×{full.shape[1]}×"
                           f"{full.shape[2]}  ({full.size + n_bias:,} weights)"
                           + ("" if kernel.shape == full.shape else
                              f" — showing filters 0…{kernel.shape[3] - 1}, input channels 0…{kernel.shape[2] - 1}"))
            title.setStyleSheet(CAPTION_STYLE)
            legend = ColorBar("diverging")
            grid = TileGrid()
            lo, hi = show_kernels(grid, kernel, bias)
            legend.set_range(lo, hi, "diverging", info.name)
            grid.hover_text = kernel_hover(kernel, bias)
            grid.setProperty("layer_index", info.index)
            grid.tile_clicked.connect(self._on_grid_tile_clicked)
            per, blocks = kernel_layout(kernel)
            note = QLabel(("Each row: one filter. " if blocks == 1 else f"{blocks} filters per row. ")
                          + f"Per filter: {kernel.shape[2]} kernel slice(s), one per input channel"
                          + (f" (channels 0…{kernel.shape[2] - 1}, left to right)" if kernel.shape[2] > 1 else "")
                          + ", then its bias (b). Blue is negative, white zero, red positive. Hover for the numbers; "
                          "click a kernel to enlarge it.")
            note.setWordWrap(True)
            note.setStyleSheet(NOTE_STYLE)
            head = QHBoxLayout()
            head.addWidget(title, 1)
            head.addWidget(legend)
            v = QVBoxLayout(box)
            v.addLayout(head)
            v.addWidget(note)
            v.addWidget(grid, 0, Qt.AlignmentFlag.AlignLeft)
            self._column_layout.insertWidget(self._column_layout.count() - 1, box)
            self._sections.append(box)
            self.grids[info.index] = grid
        if self.grids:
            first = min(self.grids)
            self.show_kernel(first, 0, 0)
        else:
            label = QLabel("This model has no convolution layers.")
            self._column_layout.insertWidget(0, label)
            self._sections.append(label)

    def show_kernel(self, layer_index: int, filter_index: int, channel: int) -> None:
        info = self.inspector.layers[layer_index]
        kernel, bias = self.inspector.weights(layer_index)
        k = kernel[:, :, channel, filter_index]
        lo, hi = symmetric_range(kernel)
        self.detail.set_data(k, lo, hi, "diverging")
        b = 0.0 if bias is None else float(bias[filter_index])
        self.detail_title.setText(f"{info.name}: filter {filter_index}, input channel {channel}  "
                                  f"({k.shape[0]}×{k.shape[1]})")
        self.detail_note.setText(f"bias of filter {filter_index}: b = {fmt(b, 4)}.  Sum of these weights: "
                                 f"{k.sum():.4g}. " + (f"The filter slides over input channel {channel}; its "
                                 f"products are added to those of the other {kernel.shape[2] - 1} channels, plus b."
                                 if kernel.shape[2] > 1 else
                                 "The filter slides over the image; the sum of its products plus b, through the "
                                 "activation, is one cell of the feature map."))

    @Slot(int)
    def _on_grid_tile_clicked(self, tile: int) -> None:
        grid = self.sender()
        layer_index = int(grid.property("layer_index"))
        kernel, _ = self.inspector.weights(layer_index)
        f, ch = divmod(tile, kernel.shape[2] + 1)
        self.show_kernel(layer_index, f, min(ch, kernel.shape[2] - 1))
