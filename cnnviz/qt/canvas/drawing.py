"""The drawing canvas: ink strokes on white paper, drawn with a mouse, a pen or a tablet.

Strokes are kept as point lists in canvas coordinates (a square of ``CANVAS_SIZE`` units, whatever the widget's
size) and painted as smooth anti-aliased paths with round caps, so the same strokes render crisply on screen and
exactly the same way into the grayscale array the model reads (:meth:`DrawingCanvas.to_gray_array`).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

CANVAS_SIZE = 280          # canvas units per side; also the pixel size of the array given to preprocessing
DEFAULT_BRUSH = 20         # ~ MNIST's stroke width relative to a digit that fills most of the canvas
BRUSH_RANGE = (4, 48)
INK = QColor(0, 0, 0)
PAPER = QColor(255, 255, 255)
_MIN_STEP = 0.75           # canvas units: closer points add nothing but cost


class Stroke:
    """One stroke: points in canvas units, a width in canvas units, and whether it erases.

    Its smooth path (quadratic curves between the midpoints of successive points) is built as points arrive,
    one curve segment per point, so repainting a long stroke does not rebuild it point by point.
    """

    def __init__(self, points=(), width: float = DEFAULT_BRUSH, eraser: bool = False) -> None:
        self.points: list[QPointF] = []
        self.width = float(width)
        self.eraser = bool(eraser)
        self._body: QPainterPath | None = None  # up to the midpoint before the last point
        for point in points:
            self.append(point)

    def append(self, point: QPointF) -> None:
        if self._body is None:
            self._body = QPainterPath(point)
        elif len(self.points) >= 2:
            last = self.points[-1]
            self._body.quadTo(last, (last + point) / 2.0)
        self.points.append(point)

    def path(self) -> QPainterPath:
        """The stroke's path: the curves so far, then a straight end to the last point."""
        path = QPainterPath(self._body)
        if len(self.points) >= 2:
            path.lineTo(self.points[-1])
        return path


def stroke_path(points: list[QPointF]) -> QPainterPath:
    """A smooth path through ``points``: quadratic curves between the midpoints of successive points."""
    return Stroke(points).path()


def paint_strokes(painter: QPainter, strokes: list[Stroke]) -> None:
    """Paint ``strokes`` in canvas units with ``painter`` (its transform maps canvas units to pixels)."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for stroke in strokes:
        if not stroke.points:
            continue
        color = PAPER if stroke.eraser else INK
        if len(stroke.points) == 1:  # a dot: a filled disc as wide as the brush
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            r = stroke.width / 2.0
            painter.drawEllipse(stroke.points[0], r, r)
            continue
        pen = QPen(color, stroke.width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(stroke.path())


def qimage_to_gray(image: QImage) -> np.ndarray:
    """A QImage -> uint8 (H, W) grayscale copy (rows are padded to 4 bytes in the QImage)."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    h, w, bpl = gray.height(), gray.width(), gray.bytesPerLine()
    buf = np.frombuffer(gray.constBits(), np.uint8, count=gray.sizeInBytes()).reshape(h, bpl)
    return buf[:, :w].copy()


def gray_to_qimage(gray: np.ndarray) -> QImage:
    """A float (H, W) array in 0..1 (or uint8) -> an independent Grayscale8 QImage."""
    a = np.asarray(gray)
    if a.dtype != np.uint8:
        a = np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)
    a = np.ascontiguousarray(a)
    h, w = a.shape
    return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class DrawingCanvas(QWidget):
    """A square sheet of paper to draw digits on. Left button / pen tip draws; the eraser paints paper.

    ``changed`` is emitted whenever what the canvas shows changes (every new point of a stroke, undo, clear);
    ``stroke_finished`` when the pen lifts.
    """

    changed = Signal()
    stroke_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawing_canvas")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setMouseTracking(True)  # to show the brush outline under the cursor
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.setToolTip("Draw a digit with the mouse or a pen. Ctrl+Z undoes the last stroke.")
        self._strokes: list[Stroke] = []
        # what Undo takes back, newest last: "stroke" (the last stroke), or ("sheet", strokes, background) for a
        # Clear or a loaded picture, which brings the whole sheet back
        self._history: list = []
        self._current: Stroke | None = None
        self._brush = float(DEFAULT_BRUSH)
        self._eraser = False
        self._background: QImage | None = None
        self._cache: QPixmap | None = None   # committed strokes at the widget's size
        self._hover: QPointF | None = None

    # ------------------------------------------------------------------ state
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(CANVAS_SIZE + 40, CANVAS_SIZE + 40)

    @property
    def strokes(self) -> list[Stroke]:
        return list(self._strokes)

    def is_empty(self) -> bool:
        return not self._strokes and self._current is None and self._background is None

    def brush_size(self) -> float:
        return self._brush

    def set_brush_size(self, size: float) -> None:
        self._brush = float(min(max(size, BRUSH_RANGE[0]), BRUSH_RANGE[1]))
        self.update()

    def eraser(self) -> bool:
        return self._eraser

    def set_eraser(self, on: bool) -> None:
        self._eraser = bool(on)
        self.update()

    def _remember_sheet(self) -> None:
        if self._strokes or self._background is not None:
            self._history.append(("sheet", list(self._strokes), self._background))

    def can_undo(self) -> bool:
        return bool(self._history)

    def clear(self) -> None:
        """Remove every stroke and any loaded picture (Undo brings them back)."""
        self._remember_sheet()
        self._strokes.clear()
        self._current = None
        self._background = None
        self._invalidate()

    def undo(self) -> bool:
        """Take back the last stroke, Clear or loaded picture; False when there is nothing to take back."""
        if not self._history:
            return False
        last = self._history.pop()
        if last == "stroke":
            self._strokes.pop()
        else:
            _, strokes, background = last
            self._strokes, self._background = list(strokes), background
        self._invalidate()
        return True

    def add_stroke(self, points, width: float | None = None, eraser: bool = False) -> None:
        """Add a finished stroke from ``(x, y)`` points in canvas units (0..CANVAS_SIZE), as if drawn by hand."""
        pts = [QPointF(float(x), float(y)) for x, y in points]
        if pts:
            self._strokes.append(Stroke(pts, self._brush if width is None else float(width), eraser))
            self._history.append("stroke")
            self._invalidate()
            self.stroke_finished.emit()

    def set_background(self, gray: np.ndarray | None) -> None:
        """Show a picture under the strokes: a float (H, W) 0..1 image, fitted into the square; None removes it.

        The margins take the picture's background brightness (its median pixel, as preprocessing judges it), so
        the picture's paper seems to fill the canvas.
        """
        self._remember_sheet()
        self._strokes.clear()
        self._current = None
        if gray is None:
            self._background = None
        else:
            a = np.asarray(gray, np.float32)
            level = int(round(float(np.median(a)) * 255))
            image = QImage(CANVAS_SIZE, CANVAS_SIZE, QImage.Format.Format_Grayscale8)
            image.fill(QColor(level, level, level))
            picture = gray_to_qimage(a).scaled(CANVAS_SIZE, CANVAS_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation)
            p = QPainter(image)
            p.drawImage((CANVAS_SIZE - picture.width()) // 2, (CANVAS_SIZE - picture.height()) // 2, picture)
            p.end()
            self._background = image
        self._invalidate()

    def render_image(self, size: int = CANVAS_SIZE) -> QImage:
        """The drawing as a ``size`` x ``size`` grayscale QImage (black ink on white), as the model will read it."""
        image = QImage(size, size, QImage.Format.Format_Grayscale8)
        image.fill(PAPER)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.scale(size / CANVAS_SIZE, size / CANVAS_SIZE)
        if self._background is not None:
            painter.drawImage(QRectF(0, 0, CANVAS_SIZE, CANVAS_SIZE), self._background)
        strokes = self._strokes + ([self._current] if self._current is not None else [])
        paint_strokes(painter, strokes)
        painter.end()
        return image

    def to_gray_array(self, size: int = CANVAS_SIZE) -> np.ndarray:
        """The drawing as uint8 ``(size, size)``: 255 paper, 0 ink (the input of core.preprocess)."""
        return qimage_to_gray(self.render_image(size))

    # ------------------------------------------------------------------ geometry
    def _sheet(self) -> QRectF:
        """The square of the widget that shows the canvas (as large as fits, at the top, centred across)."""
        side = max(1, min(self.width(), self.height()) - 2)
        return QRectF((self.width() - side) / 2, 1, side, side)

    def _to_canvas(self, pos: QPointF) -> QPointF:
        sheet = self._sheet()
        s = CANVAS_SIZE / sheet.width()
        x = min(max((pos.x() - sheet.left()) * s, 0.0), CANVAS_SIZE)
        y = min(max((pos.y() - sheet.top()) * s, 0.0), CANVAS_SIZE)
        return QPointF(x, y)

    def _invalidate(self) -> None:
        self._cache = None
        self.update()
        self.changed.emit()

    # ------------------------------------------------------------------ strokes from events
    def _begin(self, pos: QPointF) -> None:
        self._current = Stroke([self._to_canvas(pos)], self._brush, self._eraser)
        self.update()
        self.changed.emit()

    def _extend(self, pos: QPointF) -> None:
        p = self._to_canvas(pos)
        last = self._current.points[-1]
        if abs(p.x() - last.x()) + abs(p.y() - last.y()) < _MIN_STEP:
            return
        self._current.append(p)
        self.update()
        self.changed.emit()

    def _end(self, pos: QPointF | None) -> None:
        if pos is not None:
            self._extend(pos)
        self._strokes.append(self._current)
        self._history.append("stroke")
        self._current = None
        self._invalidate()
        self.stroke_finished.emit()

    # A stroke lasts from press to release; moves in between extend it. Moves are not filtered on
    # event.buttons(): the press already says a stroke is under way (and synthetic moves may lack buttons).
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._current is None:
            self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        self._hover = event.position()
        if self._current is not None:
            self._extend(event.position())
        else:
            self.update()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._current is not None:
            self._end(event.position())
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event) -> None:  # noqa: N802
        """Pen tablets: handled here (accepted, so Qt sends no duplicate mouse events)."""
        kind = event.type()
        self._hover = event.position()
        if kind == event.Type.TabletPress and self._current is None:
            self._begin(event.position())
        elif kind == event.Type.TabletMove and self._current is not None:
            self._extend(event.position())
        elif kind == event.Type.TabletRelease and self._current is not None:
            self._end(event.position())
        event.accept()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover = None
        self.update()
        super().leaveEvent(event)

    # ------------------------------------------------------------------ painting
    def resizeEvent(self, event) -> None:  # noqa: N802
        self._cache = None
        super().resizeEvent(event)

    def _committed_pixmap(self, sheet: QRectF) -> QPixmap:
        """The committed strokes (and the picture) painted at the sheet's size; repainted only when they change."""
        if self._cache is None:
            ratio = self.devicePixelRatioF()
            side = int(round(sheet.width() * ratio))
            pixmap = QPixmap(side, side)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(PAPER)
            p = QPainter(pixmap)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.scale(sheet.width() / CANVAS_SIZE, sheet.width() / CANVAS_SIZE)
            if self._background is not None:
                p.drawImage(QRectF(0, 0, CANVAS_SIZE, CANVAS_SIZE), self._background)
            paint_strokes(p, self._strokes)
            p.end()
            self._cache = pixmap
        return self._cache

    def paintEvent(self, event) -> None:  # noqa: N802
        sheet = self._sheet()
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        p.drawPixmap(sheet.topLeft(), self._committed_pixmap(sheet))
        p.save()
        p.translate(sheet.topLeft())
        p.scale(sheet.width() / CANVAS_SIZE, sheet.width() / CANVAS_SIZE)
        if self._current is not None:
            paint_strokes(p, [self._current])
        p.restore()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self._hover is not None and sheet.contains(self._hover):  # brush outline under the cursor
            r = self._brush / 2.0 * sheet.width() / CANVAS_SIZE
            p.setPen(QPen(QColor(0, 114, 178) if not self._eraser else QColor(213, 94, 0), 1.2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(self._hover, r, r)
        p.setPen(QPen(QColor(160, 160, 160), 1))
        p.drawRect(sheet.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self.is_empty():
            p.setPen(QColor(170, 170, 170))
            font = p.font()
            font.setPointSizeF(font.pointSizeF() * 1.3)
            p.setFont(font)
            p.drawText(sheet, Qt.AlignmentFlag.AlignCenter, "draw a digit here")
        p.end()
