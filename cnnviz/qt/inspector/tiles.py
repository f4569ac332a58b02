"""A grid of small images (one per channel, or one per kernel) sharing one colour scale; hover and click."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .colors import ACCENT, array_to_qimage


class TileGrid(QWidget):
    """Tiles laid out row-major. ``columns=None`` reflows them to the widget's width (the widget then asks for
    the height it needs); a fixed ``columns`` keeps rows meaningful (kernels: one row per filter).

    ``hover_text(tile, row, col)`` makes the tooltip; ``tile_clicked(index)`` is emitted on a left click.
    ``disabled`` tiles are dimmed and crossed out (switched-off filters).
    """

    tile_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, tile_px: int = 84, gap: int = 6, label_px: int = 14) -> None:
        super().__init__(parent)
        self.tiles: list[np.ndarray] = []
        self._x: list[float] = []
        self._images = []
        self.labels: list[str] = []
        self.columns: int | None = None
        self.tile_px, self.gap, self.label_px = tile_px, gap, label_px
        self.selected: int | None = None
        self.disabled: set[int] = set()
        self.group: int | None = None  # a wider gap after every `group` columns (one filter's kernels + bias)
        self.hover_text: Callable[[int, int, int], str] | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_tiles(self, tiles: list[np.ndarray], lo: float, hi: float, cmap: str, *, labels: list[str] | None = None,
                  columns: int | None = None, tile_px: int | None = None) -> None:
        self.tiles = [np.asarray(t, np.float64) for t in tiles]
        self._images = [array_to_qimage(t, lo, hi, cmap) for t in self.tiles]
        self.labels = list(labels) if labels is not None else []
        self.columns = columns
        if tile_px is not None:
            self.tile_px = tile_px
        self._x = [self._column_x(c) for c in range(columns)] if columns else []
        self.selected = None if self.selected is None or self.selected >= len(tiles) else self.selected
        self._resize_to_content()
        self.update()

    # ------------------------------------------------------------------------------------------ geometry
    def _tile_size(self, k: int = 0) -> tuple[float, float]:
        """(w, h) in pixels of tile k: the longer side is tile_px, aspect kept; a thin (h, 1) tile (a bias)
        is drawn as a bar a quarter as wide as it is tall."""
        h, w = self.tiles[k].shape if self.tiles else (1, 1)
        scale = self.tile_px / max(h, w)
        if w == 1 and h > 1:
            return max(6.0, self.tile_px / 4), h * scale
        return w * scale, h * scale

    def _ncols(self) -> int:
        if self.columns:
            return self.columns
        tw, _ = self._tile_size()
        return max(1, int((max(self.width(), 100) + self.gap) // (tw + self.gap)))

    def _cell_size(self) -> tuple[float, float]:
        tw, th = self._tile_size()
        return tw + self.gap, th + self.gap + (self.label_px if self.labels else 0)

    def _column_x(self, c: int) -> float:
        """Left edge of column c: fixed layouts size each column to its widest tile (narrow bias columns)."""
        if not self.columns:
            return 2 + c * self._cell_size()[0]
        widths = [max(self._tile_size(k)[0] for k in range(col, len(self.tiles), self.columns)) + self.gap
                  for col in range(min(c, len(self.tiles)))]
        return 2 + sum(widths) + (2 * self.gap * (c // self.group) if self.group else 0)

    def _tile_rect(self, k: int) -> QRectF:
        ncols = self._ncols()
        _, ch = self._cell_size()
        r, c = divmod(k, ncols)
        tw, th = self._tile_size(k)
        return QRectF(self._x[c] if self._x else self._column_x(c), r * ch + (self.label_px if self.labels else 0),
                      tw, th)

    def _content_size(self) -> QSize:
        if not self.tiles:
            return QSize(100, 20)
        ncols = self._ncols()
        rows = -(-len(self.tiles) // ncols)
        cw, ch = self._cell_size()
        cols = min(ncols, len(self.tiles))
        if self.columns:
            last = self._tile_rect(cols - 1)
            return QSize(int(last.right() + self.gap), int(rows * ch))
        return QSize(int(cols * cw), int(rows * ch))

    def _resize_to_content(self) -> None:
        size = self._content_size()
        self.setFixedHeight(max(size.height(), 20))
        if self.columns:
            self.setMinimumWidth(size.width())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._content_size()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if not self.columns:
            self._resize_to_content()

    def tile_at(self, pos: QPoint) -> tuple[int, int, int] | None:
        """(tile, row, col) under ``pos`` or None."""
        for k in range(len(self.tiles)):
            rect = self._tile_rect(k)
            if rect.contains(pos.toPointF()):
                h, w = self.tiles[k].shape
                r = min(h - 1, int((pos.y() - rect.y()) / rect.height() * h))
                c = min(w - 1, int((pos.x() - rect.x()) / rect.width() * w))
                return k, r, c
        return None

    def tile_center(self, k: int) -> QPoint:
        return self._tile_rect(k).center().toPoint()

    # -------------------------------------------------------------------------------------------- events
    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        hit = self.tile_at(event.position().toPoint())
        if hit is None:
            QToolTip.hideText()
            return
        k, r, c = hit
        text = self.hover_text(k, r, c) if self.hover_text else f"tile {k}: {self.tiles[k][r, c]:.4g}"
        QToolTip.showText(event.globalPosition().toPoint(), text, self)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        hit = self.tile_at(event.position().toPoint())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.selected = hit[0]
            self.update()
            self.tile_clicked.emit(hit[0])

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        font = QFont(self.font())
        font.setPixelSize(10)
        p.setFont(font)
        for k, image in enumerate(self._images):
            rect = self._tile_rect(k)
            if not rect.intersects(QRectF(event.rect())):
                continue
            p.drawImage(rect, image)
            if k in self.disabled:
                p.fillRect(rect, QColor(255, 255, 255, 190))
                p.setPen(QPen(ACCENT, 2))
                p.drawLine(rect.topLeft(), rect.bottomRight())
                p.drawLine(rect.topRight(), rect.bottomLeft())
            p.setPen(QPen(QColor(150, 150, 150), 1))
            p.drawRect(rect)
            if k == self.selected:
                p.setPen(QPen(ACCENT, 3))
                p.drawRect(rect.adjusted(-2, -2, 2, 2))
            if k < len(self.labels) and self.labels[k]:
                p.setPen(QColor(70, 70, 70))
                p.drawText(QRectF(rect.x(), rect.y() - self.label_px, rect.width() + 8, self.label_px),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.labels[k])
        p.end()
