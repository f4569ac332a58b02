"""Images as numbers: the chosen image as its grid of pixel values, one number per cell."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .colors import NOTE_STYLE
from .number_grid import NumberGrid


class PixelsView(QWidget):
    """The image as the model sees it (after resizing), each cell showing its value: 0..255 or 0..1."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: np.ndarray | None = None
        self.scale = QComboBox()
        self.scale.addItem("pixel values 0–255 (as stored)", 255)
        self.scale.addItem("model input 0–1 (divided by 255)", 1)
        self.channel = QComboBox()
        self.caption = QLabel("Choose an image.")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(NOTE_STYLE)
        self.grid = NumberGrid(max_cell=34, show_indices=True)
        self.grid.hover_text = self._hover_text
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.scale)
        top.addWidget(self.channel)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.caption)
        layout.addWidget(self.grid, 1)
        self.scale.currentIndexChanged.connect(self._on_options_changed)
        self.channel.currentIndexChanged.connect(self._on_options_changed)

    @Slot(object)
    def set_image(self, image: np.ndarray) -> None:
        self.image = np.asarray(image, np.float32)
        c = self.image.shape[2]
        names = ["gray"] if c == 1 else ["red", "green", "blue"][:c]
        if self.channel.count() != c:
            self.channel.blockSignals(True)
            self.channel.clear()
            for k, n in enumerate(names):
                self.channel.addItem(f"channel {k} ({n})", k)
            self.channel.blockSignals(False)
        self.channel.setVisible(c > 1)
        self._on_options_changed()

    def _values(self) -> np.ndarray:
        k = max(0, self.channel.currentIndex())
        plane = self.image[..., k].astype(np.float64)
        return np.round(plane * 255.0) if self.scale.currentData() == 255 else plane

    @Slot()
    def _on_options_changed(self) -> None:
        if self.image is None:
            return
        h, w, c = self.image.shape
        as_bytes = self.scale.currentData() == 255
        self.grid.number_text = (lambda v: str(int(v))) if as_bytes else (lambda v: "0" if v == 0 else f"{v:.2f}")
        self.grid.set_data(self._values(), 0.0, 255.0 if as_bytes else 1.0, "gray")
        self.caption.setText(
            f"To the network an image is just a {h}×{w}×{c} array of numbers: {h * w * c:,} values. "
            + ("Each cell is one pixel's brightness, 0 = black … 255 = white. " if as_bytes else
               "The model sees brightness / 255, so 0.0 = black … 1.0 = white. ")
            + "Hover over a cell for its row, column and value.")

    def _hover_text(self, r: int, c: int) -> str:
        v = float(self.image[r, c, max(0, self.channel.currentIndex())])
        return f"row {r}, column {c}: {round(v * 255)} / 255 = {v:.4f}"
