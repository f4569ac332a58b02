"""numpy images -> Qt images, and the thumbnail strips used by the set-up form."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget


def to_qimage(image: np.ndarray) -> QImage:
    """HWC (or HW) image, uint8 0..255 or float 0..1, 1 or 3 channels -> a QImage owning its pixels."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = (np.clip(img.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    img = np.ascontiguousarray(img)
    h, w = img.shape[:2]
    if img.ndim == 2:
        return QImage(img.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    if img.shape[2] >= 3:
        rgb = np.ascontiguousarray(img[:, :, :3])
        return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    raise ValueError(f"cannot show an image with {img.shape[2]} channels")


def to_pixmap(image: np.ndarray, size: int) -> QPixmap:
    """A ``size`` x ``size`` pixmap of ``image`` with crisp (nearest-neighbour) pixels."""
    qimg = to_qimage(image)
    return QPixmap.fromImage(qimg.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.FastTransformation))


class ThumbnailStrip(QWidget):
    """A grid of small images with a caption under each; painted, so it stays cheap to update.

    ``set_items([(image, caption, colour or None), ...])``; an empty list shows ``placeholder``.
    """

    def __init__(self, columns: int = 8, cell: int = 36, placeholder: str = "", parent=None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.cell = cell
        self.placeholder = placeholder
        self._items: list[tuple[QImage, str, QColor | None]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._update_height()

    def set_items(self, items) -> None:
        self._items = [(to_qimage(img), str(text), QColor(color) if color else None) for img, text, color in items]
        self._update_height()
        self.update()

    def item_count(self) -> int:
        return len(self._items)

    def _rows(self) -> int:
        return max(1, -(-len(self._items) // self.columns))

    def _caption_height(self) -> int:
        return self.fontMetrics().height() if any(t for _, t, _ in self._items) else 0

    def _update_height(self) -> None:
        self.setFixedHeight(self._rows() * (self.cell + self._caption_height() + 4) + 2)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(self.columns * (self.cell + 4), self.height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        if not self._items:
            p.setPen(QColor("#5c5c5c"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        step_x = max(self.cell + 4, self.width() // self.columns)
        cap = self._caption_height()
        for i, (img, text, color) in enumerate(self._items):
            r, c = divmod(i, self.columns)
            x = c * step_x + (step_x - self.cell) // 2
            y = r * (self.cell + cap + 4) + 1
            target = QRectF(x, y, self.cell, self.cell)
            p.drawImage(target, img)
            p.setPen(QPen(color or QColor("#bbbbbb"), 2 if color else 1))
            p.drawRect(target)
            if text:
                p.setPen(color or self.palette().text().color())
                p.drawText(QRectF(x - 6, y + self.cell, self.cell + 12, cap + 2), Qt.AlignmentFlag.AlignCenter, text)
