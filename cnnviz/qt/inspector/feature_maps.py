"""Feature maps of every layer for the chosen image: tiles per channel with a shared colour scale per layer,
bar charts for dense layers and the class probabilities, and an enlarged view of a clicked tile."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget)

from .bars import ProbabilityBars
from .colors import CAPTION_STYLE, NOTE_STYLE, ColorBar, data_range, fmt
from .number_grid import NumberGrid
from .tiles import TileGrid


def describe(info) -> str:
    """A one-line description of a layer: 'conv_1 · Conv2D · 32 filters 5×5, stride 1, padding same, relu'
    (dilation, depthwise multiplier and separable structure when the layer has them)."""
    p = info.params
    shape = "×".join(str(v) for v in info.output_shape)
    if info.is_conv:
        k, st, d = p["kernel_size"], p["strides"], p.get("dilation_rate", (1, 1))
        head = {"DepthwiseConv2D": f"depthwise ×{p.get('depth_multiplier', 1)} per channel",
                "SeparableConv2D": f"separable, {p.get('filters')} filters (depthwise ×{p.get('depth_multiplier', 1)}"
                                   " then 1×1)"}.get(info.kind, f"{p.get('filters')} filters")
        what = (f"{head} {k[0]}×{k[1]}, stride {st[0] if st[0] == st[1] else st}"
                + (f", dilation {d[0] if d[0] == d[1] else d}" if tuple(d) != (1, 1) else "")
                + f", padding {p['padding']}, {p.get('activation', 'linear')}")
    elif info.is_pool:
        what = f"{p['pool_size'][0]}×{p['pool_size'][1]} window, stride {p['strides'][0]}, padding {p['padding']}"
    elif info.kind == "Dense":
        what = f"{p['units']} units, {p.get('activation', 'linear')}"
    elif info.kind == "Dropout":
        what = f"rate {p.get('rate')}"
    else:
        what = ""
    return f"{info.name} · {info.kind}" + (f" · {what}" if what else "") + f"  →  output {shape}"


class _Section(QFrame):
    """One layer's block: title, legend and its chart."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title)
        self.title.setStyleSheet(CAPTION_STYLE)
        self.title.setWordWrap(True)
        self.note = QLabel()
        self.note.setStyleSheet(NOTE_STYLE)
        self.note.setWordWrap(True)
        self.legend = ColorBar("viridis")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.legend)
        self.body = QVBoxLayout(self)
        self.body.addLayout(head)
        self.body.addWidget(self.note)


class FeatureMapsView(QWidget):
    """``set_inspector`` builds one section per layer; ``set_maps`` updates them for a new image."""

    tile_enlarged = Signal(int, int)  # layer index, channel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = None
        self.maps = None
        self.sections: dict[int, _Section] = {}
        self.grids: dict[int, TileGrid] = {}
        self.plots: dict[int, pg.BarGraphItem] = {}
        self.prob_bars: ProbabilityBars | None = None
        self.enlarged_at: tuple[int, int] | None = None

        self._column = QWidget()
        self._column_layout = QVBoxLayout(self._column)
        self._column_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        scroll.setWidget(self._column)

        side = QWidget()
        self.enlarged_title = QLabel("Click a tile to enlarge it")
        self.enlarged_title.setStyleSheet(CAPTION_STYLE)
        self.enlarged_title.setWordWrap(True)
        self.enlarged_stats = QLabel()
        self.enlarged_stats.setStyleSheet(NOTE_STYLE)
        self.enlarged_stats.setWordWrap(True)
        self.enlarged_legend = ColorBar("viridis")
        self.enlarged = NumberGrid(max_cell=40, show_indices=True)
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.enlarged_title)
        side_layout.addWidget(self.enlarged_legend)
        side_layout.addWidget(self.enlarged, 1)
        side_layout.addWidget(self.enlarged_stats)
        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([700, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # ----------------------------------------------------------------------------------------------- API
    def set_inspector(self, inspector) -> None:
        self.inspector, self.maps = inspector, None
        for section in self.sections.values():
            section.setParent(None)
            section.deleteLater()
        self.sections.clear()
        self.grids.clear()
        self.plots.clear()
        self.prob_bars = None
        self.enlarged_at = None
        last = len(inspector.layers) - 1
        for info in inspector.layers:
            section = _Section(describe(info))
            if info.is_spatial or info.kind == "Flatten":
                grid = TileGrid(tile_px=84 if info.is_spatial else 620)
                grid.hover_text = self._make_hover(info.index)
                grid.tile_clicked.connect(self._on_grid_tile_clicked)
                grid.setProperty("layer_index", info.index)
                section.body.addWidget(grid)
                self.grids[info.index] = grid
            elif info.index == last and info.kind == "Dense":
                section.legend.hide()
                self.prob_bars = ProbabilityBars(row_px=20)
                section.body.addWidget(self.prob_bars)
            elif info.kind == "Dense":
                section.legend.hide()
                plot = pg.PlotWidget(background="w")
                plot.setFixedHeight(150)
                plot.setToolTip("Activation of each unit of this Dense layer for the chosen image")
                plot.setMouseEnabled(x=False, y=False)
                plot.hideButtons()
                plot.setLabel("bottom", "unit")
                plot.setLabel("left", "activation")
                bars = pg.BarGraphItem(x=np.arange(info.channels), height=np.zeros(info.channels), width=0.9,
                                       brush=pg.mkBrush(70, 110, 190), pen=None)
                plot.addItem(bars)
                section.body.addWidget(plot)
                self.plots[info.index] = bars
            else:
                section.legend.hide()
            self._column_layout.insertWidget(self._column_layout.count() - 1, section)
            self.sections[info.index] = section

    def set_maps(self, maps) -> None:
        self.maps = maps
        for info in self.inspector.layers:
            out = maps.outputs[info.index]
            section = self.sections[info.index]
            if info.index in self.grids:
                lo, hi = data_range(out)
                tiles = ([out[..., c] for c in range(out.shape[-1])] if info.is_spatial
                         else [np.pad(out, (0, (-out.size) % 98)).reshape(-1, 98)])
                labels = [str(c) for c in range(len(tiles))] if info.is_spatial else None
                self.grids[info.index].set_tiles(tiles, lo, hi, "viridis", labels=labels)
                section.legend.set_range(lo, hi, "viridis", info.name)
                section.note.setText(self._spatial_note(info, out, self._source(info)))
            elif info.index in self.plots:
                self.plots[info.index].setOpts(height=out)
                active = int((out > 0).sum())
                section.note.setText(f"{active} of {out.size} units are above zero; largest {out.max():.3g} "
                                     f"(unit {int(np.argmax(out))}).")
            elif self.prob_bars is not None and info.index == len(self.inspector.layers) - 1:
                self.prob_bars.set_values(maps.probabilities, self.inspector.class_names)
                k = maps.predicted
                section.note.setText(f"{info.params.get('activation', 'linear')} output: the class probabilities. "
                                     f"Predicted: {self.inspector.class_names[k]} "
                                     f"({100 * maps.probabilities[k]:.1f}%).")
            elif info.kind == "Dropout":
                section.note.setText(f"Dropout does nothing at inference: the {out.size} values pass through "
                                     "unchanged (it only drops random units while training).")
        if self.enlarged_at is None and self.grids:
            self.enlarged_at = (min(self.grids), 0)
        if self.enlarged_at is not None:
            self.enlarge(*self.enlarged_at)

    def enlarge(self, layer_index: int, channel: int) -> None:
        """Show one tile large, with its numbers when they fit."""
        info = self.inspector.layers[layer_index]
        out = self.maps.outputs[layer_index]
        plane = out[..., channel] if info.is_spatial else self.grids[layer_index].tiles[0]
        self.enlarged_at = (layer_index, channel)
        lo, hi = data_range(out)
        self.enlarged.set_data(plane, lo, hi, "viridis")
        self.enlarged_legend.set_range(lo, hi, "viridis", info.name)
        what = f"channel {channel}" if info.is_spatial else "all values, 98 per row"
        self.enlarged_title.setText(f"{info.name}, {what}  ({plane.shape[0]}×{plane.shape[1]})")
        self.enlarged_stats.setText(f"min {plane.min():.4g}   max {plane.max():.4g}   mean {plane.mean():.4g}   "
                                    f"{int((plane > 0).sum())} of {plane.size} cells above zero. "
                                    "Same colour scale as the layer's tiles.")
        grid = self.grids.get(layer_index)
        if grid is not None and grid.selected != channel and info.is_spatial:
            grid.selected = channel
            grid.update()
        self.tile_enlarged.emit(layer_index, channel)

    # ------------------------------------------------------------------------------------------- private
    def _source(self, info) -> str:
        if info.input_index < 0:
            return f"the {'×'.join(str(v) for v in self.inspector.input_shape)} image"
        prev = self.inspector.layers[info.input_index]
        return f"the {'×'.join(str(v) for v in prev.output_shape)} output of {prev.name}"

    @staticmethod
    def _spatial_note(info, out: np.ndarray, source: str) -> str:
        if not info.is_spatial:
            return (f"All values of {source} laid out as one vector of {out.size} numbers (shown 98 per row); "
                    "the dense layer after it sees only this list.")
        dead = int((out.reshape(-1, out.shape[-1]).max(axis=0) <= 0).sum())
        return (f"One tile per channel ({out.shape[-1]}), all on one colour scale {out.min():.3g} … {out.max():.3g}. "
                + (f"{dead} channel(s) are zero everywhere for this image. " if dead else "")
                + "Hover for a channel's statistics, click to enlarge.")

    def _make_hover(self, layer_index: int):
        def hover(tile: int, r: int, c: int) -> str:
            out = self.maps.outputs[layer_index]
            info = self.inspector.layers[layer_index]
            if not info.is_spatial:
                k = r * 98 + c
                return f"element {k}: {out[k]:.5g}" if k < out.size else ""
            plane = out[..., tile]
            return (f"<b>{info.name}, channel {tile}</b><br>cell ({r}, {c}) = {fmt(float(plane[r, c]), 4)}<br>"
                    f"min {plane.min():.4g} · max {plane.max():.4g} · mean {plane.mean():.4g}")

        return hover

    @Slot(int)
    def _on_grid_tile_clicked(self, channel: int) -> None:
        grid = self.sender()
        if self.maps is not None and isinstance(grid, TileGrid):
            self.enlarge(int(grid.property("layer_index")), channel)
