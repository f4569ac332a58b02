"""A 2D array drawn as coloured cells with its numbers in them (when they fit), hover read-outs and clicks.

Used for "the image as numbers", the padded input of a convolution with its sliding window, kernels, products,
and output maps that fill in cell by cell.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .colors import ACCENT, HIGHLIGHT, PADDING_COLOR, colorize, fmt, rgb_to_qimage, text_color_on


class NumberGrid(QWidget):
    """Cells of ``values`` coloured by ``cmap`` over lo..hi; numbers drawn when the cells are large enough.

    ``padding``: bool mask of zero-padding cells (hatched, pale blue); ``filled``: bool mask, False cells are
    drawn empty (an output still being computed). Row/column labels count from ``offset`` (padded input:
    the first real pixel is 0, padding rows are negative).
    """

    cell_clicked = Signal(int, int)
    cell_hovered = Signal(int, int)

    def __init__(self, parent: QWidget | None = None, *, max_cell: int = 44, min_cell: int = 4,
                 show_indices: bool = False, digits: int = 2) -> None:
        super().__init__(parent)
        self.values = np.zeros((1, 1))
        self._rgb = np.zeros((1, 1, 3), np.uint8)
        self._image = rgb_to_qimage(self._rgb)
        self.padding: np.ndarray | None = None
        self.filled: np.ndarray | None = None
        self.highlight: tuple[int, int, int, int] | None = None
        self.marks: list[tuple[int, int]] = []
        self.taps: list[tuple[int, int]] | None = None
        self.offset = (0, 0)
        self.max_cell, self.min_cell = max_cell, min_cell
        self.show_indices = show_indices
        self.show_numbers = True
        self.digits = digits
        self.number_text: Callable[[float], str] | None = None
        self.hover_text: Callable[[int, int], str] | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(60, 60)

    # --------------------------------------------------------------------------------------------- data
    def set_data(self, values: np.ndarray, lo: float, hi: float, cmap: str = "viridis", *,
                 padding: np.ndarray | None = None, filled: np.ndarray | None = None,
                 offset: tuple[int, int] = (0, 0)) -> None:
        self.values = np.asarray(values, np.float64)
        self._rgb = colorize(self.values, lo, hi, cmap)
        self._image = rgb_to_qimage(self._rgb)
        self.padding, self.filled, self.offset = padding, filled, offset
        self.updateGeometry()
        self.update()

    def set_filled(self, filled: np.ndarray | None) -> None:
        self.filled = filled
        self.update()

    def set_highlight(self, rect: tuple[int, int, int, int] | None, marks: list[tuple[int, int]] = (),
                      taps: list[tuple[int, int]] | None = None) -> None:
        """Outline cells rows r..r+h-1, cols c..c+w-1 (rect = (r, c, h, w)); ``marks`` get a red outline.
        ``taps`` (a dilated kernel): only those cells of the rect are read; each is outlined and the holes
        between them are greyed out."""
        self.highlight, self.marks = rect, list(marks)
        self.taps = None if taps is None else list(taps)
        self.update()

    def cell_text(self, r: int, c: int) -> str:
        v = float(self.values[r, c])
        return self.number_text(v) if self.number_text else fmt(v, self.digits)

    # ------------------------------------------------------------------------------------------ geometry
    def _margin(self) -> tuple[int, int]:
        return (26, 16) if self.show_indices else (0, 0)

    def cell_size(self) -> float:
        rows, cols = self.values.shape
        left, top = self._margin()
        size = min((self.width() - left - 2) / cols, (self.height() - top - 2) / rows)
        return float(max(self.min_cell, min(self.max_cell, int(size))))

    def _origin(self) -> tuple[float, float]:
        rows, cols = self.values.shape
        s = self.cell_size()
        left, top = self._margin()
        return (left + max(0.0, (self.width() - left - cols * s) / 2),
                top + max(0.0, (self.height() - top - rows * s) / 2))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        rows, cols = self.values.shape
        left, top = self._margin()
        s = min(self.max_cell, max(self.min_cell, 400 // max(rows, cols)))
        return QSize(int(cols * s + left + 2), int(rows * s + top + 2))

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        x0, y0 = self._origin()
        s = self.cell_size()
        r, c = int((pos.y() - y0) // s), int((pos.x() - x0) // s)
        if pos.x() < x0 or pos.y() < y0 or not (0 <= r < self.values.shape[0] and 0 <= c < self.values.shape[1]):
            return None
        return r, c

    def cell_center(self, r: int, c: int) -> QPoint:
        x0, y0 = self._origin()
        s = self.cell_size()
        return QPoint(int(x0 + (c + 0.5) * s), int(y0 + (r + 0.5) * s))

    # -------------------------------------------------------------------------------------------- events
    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        cell = self.cell_at(event.position().toPoint())
        if cell is None:
            QToolTip.hideText()
            return
        r, c = cell
        self.cell_hovered.emit(r, c)
        if self.hover_text is not None:
            text = self.hover_text(r, c)
        else:
            text = f"row {r - self.offset[0]}, column {c - self.offset[1]}: {self.values[r, c]:.6g}"
            if self.padding is not None and self.padding[r, c]:
                text += " (zero padding)"
        QToolTip.showText(event.globalPosition().toPoint(), text, self)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        cell = self.cell_at(event.position().toPoint())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.cell_clicked.emit(*cell)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        rows, cols = self.values.shape
        s = self.cell_size()
        x0, y0 = self._origin()
        p = QPainter(self)
        target = QRectF(x0, y0, cols * s, rows * s)
        p.drawImage(target, self._image)
        cell = lambda r, c: QRectF(x0 + c * s, y0 + r * s, s, s)  # noqa: E731
        if self.padding is not None and self.padding.any():
            brush = QBrush(PADDING_COLOR.darker(115), Qt.BrushStyle.BDiagPattern)
            for r, c in zip(*np.nonzero(self.padding)):
                p.fillRect(cell(r, c), PADDING_COLOR)
                p.fillRect(cell(r, c), brush)
        if self.filled is not None:
            for r, c in zip(*np.nonzero(~self.filled)):
                p.fillRect(cell(r, c), QColor(250, 250, 250))
        if s >= 7:
            p.setPen(QPen(QColor(255, 255, 255, 90) if s < 14 else QColor(160, 160, 160, 140), 1))
            for r in range(rows + 1):
                p.drawLine(int(x0), int(y0 + r * s), int(x0 + cols * s), int(y0 + r * s))
            for c in range(cols + 1):
                p.drawLine(int(x0 + c * s), int(y0), int(x0 + c * s), int(y0 + rows * s))
        self._paint_numbers(p, s, x0, y0)
        if self.show_indices:
            self._paint_indices(p, s, x0, y0)
        if self.highlight is not None:
            r, c, h, w = self.highlight
            p.setBrush(Qt.BrushStyle.NoBrush)
            if self.taps is not None:
                read = set(self.taps)
                for rr in range(r, r + h):
                    for cc in range(c, c + w):
                        if (rr, cc) not in read:  # a hole of the dilation: not read
                            p.fillRect(cell(rr, cc), QColor(150, 150, 150, 200))
                p.setPen(QPen(HIGHLIGHT, 1.5, Qt.PenStyle.DashLine))
                p.drawRect(QRectF(x0 + c * s, y0 + r * s, w * s, h * s))
                p.setPen(QPen(HIGHLIGHT, 2.5))
                for rr, cc in self.taps:
                    p.drawRect(cell(rr, cc).adjusted(1, 1, -1, -1))
            else:
                p.setPen(QPen(HIGHLIGHT, 3))
                p.drawRect(QRectF(x0 + c * s, y0 + r * s, w * s, h * s))
        for r, c in self.marks:
            p.setPen(QPen(ACCENT, 2.5))
            p.drawRect(cell(r, c).adjusted(2, 2, -2, -2))
        p.end()

    def _paint_numbers(self, p: QPainter, s: float, x0: float, y0: float) -> None:
        if not self.show_numbers or s < 16:
            return
        rows, cols = self.values.shape
        font = QFont(self.font())
        font.setPixelSize(max(7, int(s * 0.36)))
        texts = [[self.cell_text(r, c) for c in range(cols)] for r in range(rows)]
        width = max((QFontMetrics(font).horizontalAdvance(t) for row in texts for t in row), default=0)
        while width > s - 3 and font.pixelSize() > 7:
            font.setPixelSize(font.pixelSize() - 1)
            width = max(QFontMetrics(font).horizontalAdvance(t) for row in texts for t in row)
        if width > s - 2:
            return  # too crowded: the hover tooltip gives the numbers
        p.setFont(font)
        for r in range(rows):
            for c in range(cols):
                if self.filled is not None and not self.filled[r, c]:
                    continue
                pad = self.padding is not None and self.padding[r, c]
                p.setPen(QColor(90, 100, 130) if pad else text_color_on(self._rgb[r, c]))
                p.drawText(QRectF(x0 + c * s, y0 + r * s, s, s), Qt.AlignmentFlag.AlignCenter, texts[r][c])

    def _paint_indices(self, p: QPainter, s: float, x0: float, y0: float) -> None:
        rows, cols = self.values.shape
        font = QFont(self.font())
        font.setPixelSize(max(7, min(11, int(s * 0.45))))
        p.setFont(font)
        p.setPen(QColor(110, 110, 110))
        step = 1 if s >= 14 else (2 if s >= 8 else 5)
        for r in range(0, rows, step):
            p.drawText(QRectF(x0 - 26, y0 + r * s, 22, s), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       str(r - self.offset[0]))
        for c in range(0, cols, step):
            p.drawText(QRectF(x0 + c * s - 4, y0 - 16, s + 8, 14), Qt.AlignmentFlag.AlignCenter,
                       str(c - self.offset[1]))
