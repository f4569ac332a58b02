"""Widgets of the augmentation panel: an image tile drawn at a shared scale, a slider+spin-box parameter, and a
card (title, tile, parameters, the lecture's TensorFlow call) per transformation."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFontDatabase, QImage, QPainter, QPen
from PySide6.QtWidgets import (QDoubleSpinBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QSizePolicy, QSlider,
                               QSpinBox, QVBoxLayout, QWidget)

LOADING = "loading…"
BOX_COLORS = {"crop": QColor(255, 140, 0), "central_crop": QColor(0, 170, 220), "eval": QColor(220, 40, 120)}
NOTE_STYLE = "color:#555;"
ERROR_STYLE = "color:#b00020;"
CODE_STYLE = ("background:#f6f8fa; color:#1f2328; border:1px solid #d0d7de; border-radius:4px; padding:4px 6px;")
CARD_STYLE = "QFrame#card { background:#ffffff; border:1px solid #d8dde3; border-radius:6px; }"


def to_qimage(image: np.ndarray) -> QImage:
    """uint8 (H, W, 3), or float (H, W, 3) in 0..1 -> a QImage owning its pixels."""
    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = np.clip(np.rint(np.asarray(a, np.float32) * 255.0), 0, 255).astype(np.uint8)
    a = np.ascontiguousarray(a[..., :3])
    h, w = a.shape[:2]
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def code_font():
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(7.5, font.pointSizeF() * 0.92))
    return font


@dataclass(frozen=True)
class Box:
    """A rectangle to outline on a tile, in image pixels: rows ``top``.., columns ``left``.."""

    top: int
    left: int
    height: int
    width: int
    color: QColor
    dashed: bool = False


class ImageTile(QWidget):
    """One picture drawn at ``scale`` screen pixels per image pixel, centred in a box sized for ``reference``
    (H, W) so that neighbours at the same scale show true relative sizes. Shows a message instead while the
    picture is computed or when it failed. ``array`` is exactly what it was given (uint8 or float 0..1)."""

    def __init__(self, reference: tuple[int, int] = (218, 178), scale: float = 1.0, parent=None) -> None:
        super().__init__(parent)
        self.array: np.ndarray | None = None
        self.message = LOADING
        self.is_error = False
        self.boxes: list[Box] = []
        self._qimage: QImage | None = None
        self._reference = reference
        self._scale = scale
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._resize()

    def set_geometry_rule(self, reference: tuple[int, int], scale: float) -> None:
        if (tuple(reference), scale) != (self._reference, self._scale):
            self._reference, self._scale = tuple(reference), scale
            self._resize()
            self.update()

    def _resize(self) -> None:
        h, w = self._reference
        self.setFixedSize(max(40, round(w * self._scale)) + 2, max(40, round(h * self._scale)) + 2)

    def set_array(self, array: np.ndarray) -> None:
        self.array = np.asarray(array)
        self._qimage = to_qimage(self.array)
        self.message, self.is_error = "", False
        self.update()

    def set_message(self, text: str, error: bool = False) -> None:
        """Show ``text`` (e.g. "loading…" or an error) instead of the picture."""
        self.message, self.is_error = text, error
        if error:
            self.array, self._qimage = None, None
        self.update()

    def set_boxes(self, boxes: list[Box]) -> None:
        self.boxes = list(boxes)
        self.update()

    def image_rect(self) -> QRectF:
        """Where the picture is drawn, in widget coordinates."""
        if self._qimage is None:
            return QRectF()
        w, h = self._qimage.width() * self._scale, self._qimage.height() * self._scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#eef1f4"))
        p.setPen(QPen(QColor("#c9d1d9"), 1))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if self._qimage is not None and not self.is_error:
            target = self.image_rect()
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < 1.0)
            p.drawImage(target, self._qimage)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            for box in self.boxes:
                pen = QPen(box.color, 2)
                if box.dashed:
                    pen.setStyle(Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.drawRect(QRectF(target.left() + box.left * self._scale, target.top() + box.top * self._scale,
                                  box.width * self._scale, box.height * self._scale))
        if self.message:
            if self._qimage is not None and not self.is_error:   # a stale picture under a "loading…" veil
                p.fillRect(self.rect(), QColor(255, 255, 255, 150))
            p.setPen(QColor("#b00020") if self.is_error else QColor("#555555"))
            p.drawText(self.rect().adjusted(6, 6, -6, -6),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)


class FloatParam(QWidget):
    """A slider and a spin box showing one float; ``value_changed(float)`` when either moves."""

    value_changed = Signal(float)

    def __init__(self, lo: float, hi: float, step: float, decimals: int, value: float, parent=None) -> None:
        super().__init__(parent)
        self.step = step
        self.spin = QDoubleSpinBox()
        self.spin.setRange(lo, hi)
        self.spin.setSingleStep(step)
        self.spin.setDecimals(decimals)
        self.spin.setValue(value)
        self.spin.setKeyboardTracking(False)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(lo / step), round(hi / step))
        self.slider.setValue(round(value / step))
        self.slider.setMinimumWidth(70)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._on_spin_value_changed)
        self.slider.valueChanged.connect(self._on_slider_value_changed)

    def value(self) -> float:
        return float(self.spin.value())

    def setValue(self, value: float) -> None:  # noqa: N802 (Qt style, like the spin box it wraps)
        self.spin.setValue(value)

    @Slot(float)
    def _on_spin_value_changed(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(value / self.step))
        self.slider.blockSignals(False)
        self.value_changed.emit(float(value))

    @Slot(int)
    def _on_slider_value_changed(self, ticks: int) -> None:
        self.spin.setValue(ticks * self.step)


class IntParam(QSpinBox):
    """A spin box with the same ``value_changed`` signal as :class:`FloatParam`."""

    value_changed = Signal(float)

    def __init__(self, lo: int, hi: int, value: int, parent=None) -> None:
        super().__init__(parent)
        self.setRange(lo, hi)
        self.setValue(value)
        self.setKeyboardTracking(False)
        self.valueChanged.connect(self._on_value_changed)

    @Slot(int)
    def _on_value_changed(self, value: int) -> None:
        self.value_changed.emit(float(value))


class TransformCard(QFrame):
    """Title, a one-line explanation, the picture, its size, parameter controls and the TensorFlow call."""

    def __init__(self, title: str, note: str, tile: ImageTile, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setStyleSheet(CARD_STYLE)
        self.tile = tile
        self.title = QLabel(f"<b>{title}</b>")
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        self.size_label = QLabel()
        self.size_label.setStyleSheet(NOTE_STYLE)
        self.size_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.form = QFormLayout()
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setHorizontalSpacing(6)
        self.form.setVerticalSpacing(3)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.code = QLabel()
        self.code.setFont(code_font())
        self.code.setStyleSheet(CODE_STYLE)
        self.code.setWordWrap(True)
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(5)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(tile, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.size_label)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.code)

    def add_param(self, label: str, widget: QWidget, tooltip: str = "") -> None:
        name = QLabel(label)
        name.setFont(code_font())
        if tooltip:
            name.setToolTip(tooltip)
            widget.setToolTip(tooltip)
        self.form.addRow(name, widget)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        hint = super().sizeHint()
        return QSize(self.tile.width() + 18, hint.height())
