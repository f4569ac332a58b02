"""The kernels (filters) of every convolution layer as images: one row per filter, one column per input
channel, then the filter's bias; a diverging colour map centred on zero (blue negative, white 0, red positive).

A DepthwiseConv2D shows one kernel per (input channel, multiplier) pair, each with the bias of the output channel
it makes; a SeparableConv2D shows its depthwise kernels, then its pointwise 1x1 weights as a matrix (depthwise
channels x filters) with the biases."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from .colors import CAPTION_STYLE, NOTE_STYLE, ColorBar, fmt, symmetric_range
from .number_grid import NumberGrid
from .tiles import TileGrid

MAX_FILTERS, MAX_CHANNELS = 64, 32  # a deep layer (256 x 128 kernels) would be 33k tiles: show a corner


def kernel_layout(kernel: np.ndarray, bias_column: bool = True) -> tuple[int, int]:
    """(tiles per filter, filters per row): C_in kernels (+ 1 bias) per filter; small C_in wraps several
    filters side by side so a 1-channel layer is not one long column."""
    c_in = kernel.shape[2]
    per = c_in + (1 if bias_column else 0)
    return per, (max(1, 8 // per) if c_in < 4 else 1)


def show_kernels(grid: TileGrid, kernel: np.ndarray, bias: np.ndarray | None, tile_px: int | None = None, *,
                 bias_column: bool = True, label=None) -> tuple:
    """Fill ``grid`` with a conv layer's kernels (k_h, k_w, C_in, F) and biases (F,); returns the (lo, hi) range.
    ``bias_column=False`` draws no bias (a stage without one); ``label(f)`` names filter f's first tile."""
    kh, kw, c_in, filters = kernel.shape
    bias = np.zeros(filters, np.float32) if bias is None else bias
    lo, hi = symmetric_range(np.concatenate([kernel.ravel(), bias.ravel()]))
    per, blocks = kernel_layout(kernel, bias_column)
    tiles, labels = [], []
    for f in range(filters):
        for c in range(c_in):
            tiles.append(kernel[:, :, c, f])
            labels.append((label(f) if label else f"f{f}") if c == 0 else "")
        if bias_column:
            tiles.append(np.full((kh, 1), bias[f]))
            labels.append("b")
    grid.group = per
    fit = int(760 / (per * blocks)) - grid.gap  # keep a row within ~760 px
    px = tile_px or max(10, min(60, 12 * max(kh, kw) if blocks > 1 else 4 * max(kh, kw), fit))
    grid.set_tiles(tiles, lo, hi, "diverging", labels=labels if blocks > 1 else None, columns=per * blocks,
                   tile_px=px)
    return lo, hi


def kernel_hover(kernel: np.ndarray, bias: np.ndarray | None, name=None, bias_column: bool = True):
    """A TileGrid hover function naming filter, input channel, position and weight. ``name(f, ch)`` words a
    kernel differently (depthwise: 'output channel 5 = input channel 2, kernel 1')."""
    per = kernel.shape[2] + (1 if bias_column else 0)
    name = name or (lambda f, ch: f"filter {f}, input channel {ch}")

    def hover(tile: int, r: int, c: int) -> str:
        f, ch = divmod(tile, per)
        b = f"{0.0 if bias is None else float(bias[f]):.5g}"
        if ch == kernel.shape[2]:
            return f"<b>{name(f, None)}</b>: bias b = {b}"
        return (f"<b>{name(f, ch)}</b><br>w[{r}, {c}] = {kernel[r, c, ch, f]:.5g}"
                + (f"<br>bias: {b}" if bias_column else "<br>no bias in this stage"))

    return hover


def depthwise_as_filters(kernel: np.ndarray) -> np.ndarray:
    """(k_h, k_w, C_in, m) -> (k_h, k_w, 1, C_in*m): one 'filter' per output channel c*m + j, as Keras orders
    them, so each is drawn with its own bias."""
    kh, kw, c_in, m = kernel.shape
    return kernel.reshape(kh, kw, 1, c_in * m)


def _layer_kernels(inspector, info) -> dict:
    """What the view draws for one layer: shown kernel (k_h, k_w, C, F), bias, names, caption, note, pointwise."""
    recipe = inspector.step_recipe(info.index)
    kind = recipe.kind if recipe is not None and recipe.weights else "conv"
    w = dict(recipe.weights) if kind != "conv" or (recipe is not None and recipe.weights) else {}
    if kind == "conv" or not w:
        kernel, bias = w.get("kernel"), w.get("bias")
        if kernel is None:
            kernel, bias = inspector.weights(info.index)
        f, c = kernel.shape[3], kernel.shape[2]
        return {"kernel": kernel, "bias": bias, "name": None, "pointwise": None, "bias_column": True, "label": None,
                "caption": f"{f} filters of {kernel.shape[0]}×{kernel.shape[1]}×{c}",
                "count": kernel.size + (f if bias is not None else 0)}
    dk = w["kernel"] if kind == "depthwise" else w["depthwise_kernel"]
    kh, kw, c_in, m = dk.shape
    pointwise = w.get("pointwise_kernel")
    bias = w.get("bias")
    count = sum(int(a.size) for a in w.values())

    def name(o: int, _ch) -> str:
        c, j = divmod(o, m)
        stem = "output channel" if kind == "depthwise" else "depthwise channel"
        return f"{stem} {o} = input channel {c}" + (f", kernel {j}" if m > 1 else "")

    what = (f"depthwise: {c_in} input channel(s) × {m} kernel(s) of {kh}×{kw} = {c_in * m} output channels, "
            "output channel c·m + j reads input channel c only")
    if kind == "separable":
        what = (f"separable: {c_in} × {m} depthwise kernel(s) of {kh}×{kw}, then a 1×1 pointwise {c_in * m} → "
                f"{pointwise.shape[3]} mix")
    return {"kernel": depthwise_as_filters(dk), "bias": bias if kind == "depthwise" else None, "name": name,
            "bias_column": kind == "depthwise", "label": lambda o: f"{o}←c{o // m}",
            "pointwise": None if pointwise is None else (pointwise[0, 0], bias), "caption": what, "count": count}


class KernelsView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = None
        self.grids: dict[int, TileGrid] = {}
        self.pointwise: dict[int, NumberGrid] = {}  # a separable layer's stage 2
        self._shown: dict[int, dict] = {}
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
        self.pointwise.clear()
        self._shown.clear()
        for info in inspector.conv_layers():
            parts = _layer_kernels(inspector, info)
            full, bias = parts["kernel"], parts["bias"]
            self._shown[info.index] = parts
            kernel = full[:, :, :MAX_CHANNELS, :MAX_FILTERS]
            bias = None if bias is None else bias[:MAX_FILTERS]
            box = QFrame()
            box.setFrameShape(QFrame.Shape.StyledPanel)
            title = QLabel(f"{info.name} ({info.kind}): {parts['caption']}  ({parts['count']:,} weights)"
                           + ("" if kernel.shape == full.shape else
                              f" — showing {kernel.shape[3]} of {full.shape[3]} kernels"
                              + (f", input channels 0…{kernel.shape[2] - 1}" if kernel.shape[2] < full.shape[2]
                                 else "")))
            title.setStyleSheet(CAPTION_STYLE)
            title.setWordWrap(True)
            legend = ColorBar("diverging")
            grid = TileGrid()
            lo, hi = show_kernels(grid, kernel, bias, bias_column=parts["bias_column"], label=parts["label"])
            legend.set_range(lo, hi, "diverging", info.name)
            grid.hover_text = kernel_hover(kernel, bias, parts["name"], parts["bias_column"])
            grid.setProperty("layer_index", info.index)
            grid.tile_clicked.connect(self._on_grid_tile_clicked)
            per, blocks = kernel_layout(kernel, parts["bias_column"])
            if parts["name"] is None:
                text = (("Each row: one filter. " if blocks == 1 else f"{blocks} filters per row. ")
                        + f"Per filter: {kernel.shape[2]} kernel slice(s), one per input channel"
                        + (f" (channels 0…{kernel.shape[2] - 1}, left to right)" if kernel.shape[2] > 1 else "")
                        + ", then its bias (b).")
            elif parts["pointwise"] is None:
                text = ("One kernel per output channel, in order (input channel 0's kernels first; the label "
                        "o←c says output channel o reads input channel c), each with its bias (b).")
            else:
                text = ("Stage 1: one depthwise kernel per depthwise channel (input channel 0's first), no bias. "
                        "Stage 2 below: the pointwise 1×1 weights.")
            note = QLabel(text + " Blue is negative, white zero, red positive. Hover for the numbers; click a kernel "
                          "to enlarge it.")
            note.setWordWrap(True)
            note.setStyleSheet(NOTE_STYLE)
            head = QHBoxLayout()
            head.addWidget(title, 1)
            head.addWidget(legend)
            v = QVBoxLayout(box)
            v.addLayout(head)
            v.addWidget(note)
            v.addWidget(grid, 0, Qt.AlignmentFlag.AlignLeft)
            if parts["pointwise"] is not None:
                pw, pb = parts["pointwise"]
                cap = QLabel(f"Stage 2, pointwise 1×1: rows = the {pw.shape[0]} depthwise channels, columns = the "
                             f"{pw.shape[1]} filters" + (", last row = the biases" if pb is not None else "")
                             + ". Each filter adds up the depthwise values times its column, plus its bias.")
                cap.setStyleSheet(NOTE_STYLE)
                cap.setWordWrap(True)
                v.addWidget(cap)
                v.addWidget(self._pointwise_grid(info, pw, pb), 0, Qt.AlignmentFlag.AlignLeft)
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

    def _pointwise_grid(self, info, pw: np.ndarray, bias: np.ndarray | None) -> NumberGrid:
        """Stage 2 of a separable layer: the (depthwise channels x filters) 1x1 weights, then a bias row."""
        rows = pw[:MAX_FILTERS, :MAX_FILTERS]
        values = rows if bias is None else np.vstack([rows, bias[None, :MAX_FILTERS]])
        grid = NumberGrid(max_cell=34, min_cell=10, show_indices=True, digits=2)
        lo, hi = symmetric_range(values)
        grid.set_data(values, lo, hi, "diverging")
        n = rows.shape[0]
        grid.hover_text = lambda r, c: (f"<b>filter {c}</b>: bias b = {values[r, c]:.5g}" if r == n else
                                        f"<b>filter {c}</b> × depthwise channel {r}: w = {values[r, c]:.5g}")
        grid.setFixedSize(int(values.shape[1] * 34 + 30), int(values.shape[0] * 34 + 20))
        self.pointwise[info.index] = grid
        return grid

    def show_kernel(self, layer_index: int, filter_index: int, channel: int) -> None:
        """Enlarge one kernel: filter (or depthwise channel) ``filter_index``, input-channel slice ``channel``."""
        info = self.inspector.layers[layer_index]
        parts = self._shown[layer_index]
        kernel, bias = parts["kernel"], parts["bias"]
        k = kernel[:, :, channel, filter_index]
        lo, hi = symmetric_range(kernel)
        self.detail.set_data(k, lo, hi, "diverging")
        b = 0.0 if bias is None else float(bias[filter_index])
        if parts["name"] is not None:
            self.detail_title.setText(f"{info.name}: {parts['name'](filter_index, channel)}  ({k.shape[0]}×{k.shape[1]})")
            self.detail_note.setText((f"bias: b = {fmt(b, 4)}. " if bias is not None else "No bias in this stage. ")
                                     + f"Sum of these weights: {k.sum():.4g}. This kernel slides over its one input "
                                     "channel; no other channel is added in.")
            return
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
        parts = self._shown[layer_index]
        kernel = parts["kernel"]
        f, ch = divmod(tile, min(kernel.shape[2], MAX_CHANNELS) + (1 if parts["bias_column"] else 0))
        self.show_kernel(layer_index, f, min(ch, kernel.shape[2] - 1))
