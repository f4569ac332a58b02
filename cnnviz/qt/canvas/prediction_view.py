"""What the model makes of a drawing: the top class in large type, ten probability bars, and the strip of
preprocessing steps that turned the drawing into the 28x28 image the model read."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .drawing import gray_to_qimage

BAR = QColor("#9ecae1")
TOP_BAR = QColor("#0072b2")
MUTED = "#5c5c5c"
THUMB = 76


class TopClassView(QWidget):
    """The predicted class in large type with its probability underneath."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.digit = QLabel("–")
        font = QFont(self.font())
        font.setPointSize(64)
        font.setBold(True)
        self.digit.setFont(font)
        self.digit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.digit.setMinimumWidth(110)
        self.caption = QLabel("draw a digit")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setStyleSheet(f"color: {MUTED};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addStretch(1)
        layout.addWidget(self.digit)
        layout.addWidget(self.caption)
        layout.addStretch(2)

    def show_prediction(self, name: str, probability: float) -> None:
        self.digit.setText(name)
        self.digit.setStyleSheet("")
        self.caption.setText(f"{probability:.1%} sure")

    def show_nothing(self, caption: str) -> None:
        self.digit.setText("–")
        self.digit.setStyleSheet(f"color: {MUTED};")
        self.caption.setText(caption)


class ProbabilityBars(pg.PlotWidget):
    """One bar per class (0..1), the most likely class highlighted, its percentage above each bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(170)
        self.setToolTip("The model's probability for each class given your drawing; the highlighted bar is its answer")
        item = self.getPlotItem()
        item.setMouseEnabled(False, False)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.showGrid(x=False, y=True, alpha=0.25)
        item.setLabel("left", "probability")
        item.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]])
        for axis in ("left", "bottom"):
            item.getAxis(axis).setTextPen("#333333")
            item.getAxis(axis).setPen("#999999")
        self._names: tuple[str, ...] = ()
        self._bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.72, brush=BAR, pen=None)
        self.addItem(self._bars)
        self._labels: list[pg.TextItem] = []
        self.set_class_names(tuple(str(i) for i in range(10)))

    def set_class_names(self, names: tuple[str, ...]) -> None:
        if names == self._names:
            return
        self._names = names
        n = len(names)
        for label in self._labels:
            self.removeItem(label)
        self._labels = []
        for i in range(n):
            label = pg.TextItem("", color="#333333", anchor=(0.5, 1.0))
            label.setPos(i, 0)
            self.addItem(label)
            self._labels.append(label)
        item = self.getPlotItem()
        item.getAxis("bottom").setTicks([[(i, str(name)) for i, name in enumerate(names)]])
        item.setXRange(-0.6, n - 0.4, padding=0)
        item.setYRange(0, 1.12, padding=0)
        self.set_probabilities(None)

    def set_probabilities(self, probabilities: np.ndarray | None) -> None:
        """Show ``probabilities`` (K,), or empty bars for None."""
        n = len(self._names)
        p = np.zeros(n) if probabilities is None else np.asarray(probabilities, dtype=float)[:n]
        top = int(np.argmax(p)) if probabilities is not None and n else -1
        brushes = [TOP_BAR if i == top else BAR for i in range(n)]
        self._bars.setOpts(x=np.arange(n), height=p, brushes=brushes)
        for i, label in enumerate(self._labels):
            label.setText("" if probabilities is None or p[i] < 0.005 else f"{p[i]:.0%}")
            label.setPos(i, p[i] + 0.01)


class StepStrip(QWidget):
    """The preprocessing steps side by side: thumbnails with a caption and the array's size under each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(6)
        self._row.addStretch(1)
        self._cells: list[tuple[QWidget, QLabel, QLabel]] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def _ensure(self, n: int) -> None:
        while len(self._cells) < n:
            cell = QWidget()
            image = QLabel()
            image.setFixedSize(THUMB + 4, THUMB + 4)
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            image.setWordWrap(True)
            image.setStyleSheet("QLabel { background: #3c3c3c; border: 1px solid #999; color: #cccccc; }")
            caption = QLabel()
            caption.setWordWrap(True)
            caption.setFixedWidth(THUMB + 14)
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            caption.setStyleSheet("font-size: 8pt;")
            layout = QVBoxLayout(cell)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(2)
            layout.addWidget(image, 0, Qt.AlignmentFlag.AlignHCenter)
            layout.addWidget(caption, 0, Qt.AlignmentFlag.AlignTop)
            layout.addStretch(1)
            self._row.insertWidget(len(self._cells), cell)
            self._cells.append((cell, image, caption))

    def set_steps(self, steps: list[tuple[str, np.ndarray]], note: str = "") -> None:
        """Show ``steps`` ((name, (H, W) float 0..1) pairs); ``note`` takes the place of the steps not reached."""
        shown = len(steps) + (1 if note else 0)
        self._ensure(shown)
        for i, (name, array) in enumerate(steps):
            cell, image, caption = self._cells[i]
            h, w = array.shape
            # Small arrays are shown with square pixels (the point is to see them); large ones smoothly.
            mode = Qt.TransformationMode.FastTransformation if max(h, w) <= 40 else \
                Qt.TransformationMode.SmoothTransformation
            scaled = gray_to_qimage(array).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, mode)
            image.setPixmap(QPixmap.fromImage(scaled))
            image.setToolTip(f"{name}: {h}×{w} pixels")
            caption.setText(f"{i + 1}. {name}<br><span style='color:{MUTED}'>{h}×{w}</span>")
            cell.setVisible(True)
        if note:
            cell, image, caption = self._cells[len(steps)]
            image.clear()
            image.setText(note)
            image.setToolTip("")
            caption.setText("")
            cell.setVisible(True)
        for cell, _, _ in self._cells[shown:]:
            cell.setVisible(False)
