"""Filter ablation: switch filters of a conv layer off (their feature maps become zero for every later layer)
and see how the prediction changes."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from .bars import ProbabilityBars
from .colors import CAPTION_STYLE, NOTE_STYLE, data_range
from .tiles import TileGrid


class AblationView(QWidget):
    """Click feature-map tiles to switch those filters off. Emits ``ablation_requested(layer, channels)``; the
    panel answers with :meth:`show_result`."""

    ablation_requested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = self.maps = None
        self.layer = QComboBox()
        self.reset_button = QPushButton("Switch all on")
        self.strongest_button = QPushButton("Switch off the 5 most active")
        self.grid = TileGrid(tile_px=64)
        self.grid.tile_clicked.connect(self._on_grid_tile_clicked)
        self.grid.hover_text = self._hover
        self.status = QLabel("Click a feature map to switch its filter off; click again to switch it back on.")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(NOTE_STYLE)
        self.result = QLabel()
        self.result.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.bars = ProbabilityBars(row_px=22)
        legend = QLabel("Orange/blue: probabilities with the filters off · grey behind: the original prediction")
        legend.setStyleSheet(NOTE_STYLE)
        controls = QHBoxLayout()
        for w in (QLabel("Layer"), self.layer, self.reset_button, self.strongest_button):
            controls.addWidget(w)
        controls.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid)
        right = QVBoxLayout()
        title = QLabel("Prediction")
        title.setStyleSheet(CAPTION_STYLE)
        right.addWidget(title)
        right.addWidget(self.result)
        right.addWidget(self.bars)
        right.addWidget(legend)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(scroll, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addLayout(body, 1)
        self.layer.currentIndexChanged.connect(self._on_layer_changed)
        self.reset_button.clicked.connect(self._on_reset_clicked)
        self.strongest_button.clicked.connect(self._on_strongest_clicked)

    def set_inspector(self, inspector) -> None:
        self.inspector, self.maps = inspector, None
        self.layer.blockSignals(True)
        self.layer.clear()
        for info in inspector.conv_layers():
            self.layer.addItem(f"{info.name} ({info.channels} filters)", info.name)
        self.layer.blockSignals(False)
        self.grid.disabled = set()

    def set_maps(self, maps) -> None:
        self.maps = maps
        self._show_tiles()
        self.request()

    def off(self) -> tuple[int, ...]:
        return tuple(sorted(self.grid.disabled))

    def request(self) -> None:
        if self.maps is not None and self.layer.count():
            self.ablation_requested.emit(self.layer.currentData(), self.off())

    def show_result(self, layer: str, channels: tuple, probabilities: np.ndarray) -> None:
        names = self.inspector.class_names
        before = self.maps.probabilities
        k0, k1 = int(np.argmax(before)), int(np.argmax(probabilities))
        self.bars.set_values(probabilities, names, before=before if channels else None)
        self.result.setText(f"{names[k0]} ({100 * before[k0]:.1f}%)  →  {names[k1]} ({100 * probabilities[k1]:.1f}%)"
                            if channels else f"{names[k0]} ({100 * before[k0]:.1f}%), all filters on")
        self.status.setText((f"Switched off in {layer}: filter(s) {', '.join(map(str, channels))}. Their feature maps "
                             "are set to zero before the next layer. " if channels else
                             "All filters on. ") + "Click a feature map to switch its filter off or on.")

    def _show_tiles(self) -> None:
        if self.maps is None or not self.layer.count():
            return
        info = self.inspector.layer(self.layer.currentData())
        out = self.maps.outputs[info.index]
        lo, hi = data_range(out)
        self.grid.set_tiles([out[..., c] for c in range(out.shape[-1])], lo, hi, "viridis",
                            labels=[str(c) for c in range(out.shape[-1])])

    def _hover(self, tile: int, r: int, c: int) -> str:
        out = self.maps.outputs[self.inspector.layer(self.layer.currentData()).index][..., tile]
        state = "off" if tile in self.grid.disabled else "on"
        return f"filter {tile} ({state}): mean activation {out.mean():.4g}, max {out.max():.4g}. Click to switch."

    @Slot(int)
    def _on_grid_tile_clicked(self, tile: int) -> None:
        self.grid.disabled ^= {tile}
        self.grid.selected = None
        self.grid.update()
        self.request()

    @Slot()
    def _on_layer_changed(self) -> None:
        self.grid.disabled = set()
        self._show_tiles()
        self.request()

    @Slot()
    def _on_reset_clicked(self) -> None:
        self.grid.disabled = set()
        self.grid.update()
        self.request()

    @Slot()
    def _on_strongest_clicked(self) -> None:
        if self.maps is None:
            return
        out = self.maps.outputs[self.inspector.layer(self.layer.currentData()).index]
        means = out.reshape(-1, out.shape[-1]).mean(axis=0)
        self.grid.disabled = {int(c) for c in np.argsort(-means)[:5]}
        self.grid.update()
        self.request()
