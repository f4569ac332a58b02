"""Class probabilities as labelled horizontal bars, optionally compared with a second set (after ablation)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR = QColor(70, 110, 190)
BAR_TOP = QColor(230, 120, 20)
BAR_BEFORE = QColor(190, 190, 190)
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class ProbabilityBars(QWidget):
    """One row per class: name, bar, percentage. The predicted class is orange; with ``before`` set (the
    original prediction), a grey bar behind each row shows how much it changed."""

    def __init__(self, parent: QWidget | None = None, *, row_px: int = 18) -> None:
        super().__init__(parent)
        self.names: list[str] = []
        self.values = np.zeros(0)
        self.before: np.ndarray | None = None
        self.true_class: int | None = None
        self.row_px = row_px
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_values(self, values, names, *, before=None, true_class: int | None = None) -> None:
        self.values = np.asarray(values, np.float64)
        self.names = [str(n) for n in names]
        self.before = None if before is None else np.asarray(before, np.float64)
        self.true_class = true_class
        self.setFixedHeight(self.row_px * max(1, len(self.values)) + 4)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(240, self.row_px * max(1, len(self.values)) + 4)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not len(self.values):
            return
        p = QPainter(self)
        font = QFont(self.font())
        font.setPixelSize(max(9, int(self.row_px * 0.62)))
        p.setFont(font)
        name_w = min(120, max(p.fontMetrics().horizontalAdvance(n + " ✓") for n in self.names) + 10)
        pct_w = 52
        bar_w = max(20, self.width() - name_w - pct_w - 6)
        top = int(np.argmax(self.values))
        for k, v in enumerate(self.values):
            y = 2 + k * self.row_px
            h = self.row_px - 4
            p.setPen(QColor(30, 30, 30) if k != self.true_class else QColor(0, 120, 0))
            f = QFont(font)
            f.setBold(k == top)
            p.setFont(f)
            p.drawText(QRectF(0, y, name_w - 6, self.row_px), RIGHT,
                       self.names[k] + (" ✓" if k == self.true_class else ""))
            p.fillRect(QRectF(name_w, y + 2, bar_w, h), QColor(242, 242, 242))
            if self.before is not None:
                p.fillRect(QRectF(name_w, y + 2, bar_w * float(np.clip(self.before[k], 0, 1)), h), BAR_BEFORE)
            inner = h if self.before is None else h - 6
            p.fillRect(QRectF(name_w, y + 2 + (h - inner) / 2, bar_w * float(np.clip(v, 0, 1)), inner),
                       BAR_TOP if k == top else BAR)
            p.setPen(QColor(30, 30, 30))
            p.drawText(QRectF(name_w + bar_w + 4, y, pct_w, self.row_px),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{100 * v:.1f}%")
        p.end()
