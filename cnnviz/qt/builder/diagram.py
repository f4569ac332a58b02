"""The architecture drawn as the lecture draws it: input -> conv -> pool -> ... -> softmax, with tensor shapes.

Each block is the tensor a layer outputs: a feature map (H x W x C) is a box whose face grows with H and W and
whose depth grows with the channels; a vector (N) is a bar whose height grows with log N. Layers in error are
red; layers after an error (shape unknown) are dashed. Painted with QPainter from the document's shape report.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .document import SpecDocument
from .style import ERROR_COLOR, MUTED_COLOR, kind_color

SLOT_MIN_WIDTH = 88


def compact_count(n: int) -> str:
    """832, 51,264, 295.2k, 3.27M: short enough for a block's label."""
    if n < 100_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.2f}M"


@dataclass
class _Block:
    name: str
    kind: str
    shape: tuple[int, ...] | None
    error: bool
    tooltip: str
    params: int = 0
    activation: str = ""
    label: str = ""


class ArchitectureDiagram(QWidget):
    """``layer_clicked(row)`` when a layer's block is clicked (-1 for the input)."""

    layer_clicked = Signal(int)

    def __init__(self, document: SpecDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.selected_row = -1
        self._blocks: list[_Block] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(190)
        document.spec_changed.connect(self._on_document_spec_changed)
        self._on_document_spec_changed()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(max(600, len(self._blocks) * SLOT_MIN_WIDTH), 240)

    @Slot()
    def _on_document_spec_changed(self) -> None:
        spec, report = self.document.spec, self.document.report
        bad_rows = {p.layer for p in self.document.problems if p.layer is not None}
        input_bad = any(p.layer is None and p.field == "input_shape" for p in report.problems)
        blocks = [_Block("input", "input", None if input_bad else tuple(spec.input_shape), input_bad,
                         "input: " + "x".join(map(str, spec.input_shape)))]
        for i, layer in enumerate(spec.layers):
            shape = report.layers[i] if i < len(report.layers) else None
            out = shape.output if shape is not None else None
            tip = f"{layer.name}: {layer.describe()}"
            if shape is not None and shape.error:
                tip += f"\n⚠ {shape.error}"
            elif shape is not None and out is not None:
                tip += f"\n{shape.shape_formula}\nparameters: {shape.param_formula}"
            params = shape.params if shape is not None and out is not None else 0
            activation = layer.layer_kind.badge(layer.params)
            blocks.append(_Block(layer.name, layer.kind, out, i in bad_rows, tip, params, activation,
                                 layer.layer_kind.label()))
        self._blocks = blocks
        self.setMinimumWidth(len(blocks) * SLOT_MIN_WIDTH)
        self.updateGeometry()
        self.update()

    def set_selected_row(self, row: int) -> None:
        if row != self.selected_row:
            self.selected_row = row
            self.update()

    # --- geometry --------------------------------------------------------------------------------------------
    def _slot_width(self) -> float:
        return self.width() / max(1, len(self._blocks))

    def _block_at(self, x: float) -> int:
        return int(x // self._slot_width()) if self._blocks else -1

    def _scales(self) -> tuple[int, int, int]:
        maps = [b.shape for b in self._blocks if b.shape is not None and len(b.shape) == 3]
        vectors = [b.shape[0] for b in self._blocks if b.shape is not None and len(b.shape) == 1]
        max_hw = max((max(s[0], s[1]) for s in maps), default=1)
        max_c = max((s[2] for s in maps), default=1)
        max_n = max(vectors, default=1)
        return max(1, max_hw), max(1, max_c), max(2, max_n)

    # --- painting ------------------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        if not self._blocks:
            return
        bold = QFont(self.font())
        bold.setBold(True)
        fm = QFontMetrics(self.font())
        line = fm.height()
        slot = self._slot_width()
        top = 8 + 2 * line + 6  # two label lines above the drawing
        bottom = self.height() - 8 - 2 * line - 4  # shape label (and parameters) below
        area = max(20.0, bottom - top)
        max_hw, max_c, max_n = self._scales()
        face_max = min(area * 0.78, slot * 0.62)
        depth_max = min(area * 0.22, slot * 0.28)
        centre_y = top + area / 2
        rects: list[QRectF] = []
        for i, block in enumerate(self._blocks):
            cx = slot * i + slot / 2
            rect = self._draw_block(painter, block, cx, centre_y, face_max, depth_max, area,
                                    max_hw, max_c, max_n)
            rects.append(rect)
            self._draw_labels(painter, block, i, cx, slot, top, bottom, bold, fm)
        pen = QPen(MUTED_COLOR, 1.4)
        painter.setPen(pen)
        for left, right in zip(rects, rects[1:]):
            x0, x1 = left.right() + 4, right.left() - 4
            if x1 - x0 > 6:
                painter.drawLine(QPointF(x0, centre_y), QPointF(x1, centre_y))
                head = QPolygonF([QPointF(x1, centre_y), QPointF(x1 - 6, centre_y - 3.5),
                                  QPointF(x1 - 6, centre_y + 3.5)])
                painter.setBrush(MUTED_COLOR)
                painter.drawPolygon(head)
        painter.end()

    def _colors(self, block: _Block) -> tuple[QColor, QColor]:
        base = ERROR_COLOR if block.error else kind_color(block.kind)
        fill = QColor(base)
        fill.setAlpha(70 if not block.error else 90)
        return fill, base.darker(115)

    def _draw_block(self, painter: QPainter, block: _Block, cx: float, cy: float, face_max: float,
                    depth_max: float, area: float, max_hw: int, max_c: int, max_n: int) -> QRectF:
        fill, edge = self._colors(block)
        shape = block.shape
        if shape is None:  # unknown (after an error) or the error itself: a dashed placeholder
            rect = QRectF(cx - 18, cy - 18, 36, 36)
            painter.setPen(QPen(edge if block.error else MUTED_COLOR, 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(fill if block.error else Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "!" if block.error else "?")
            return rect
        painter.setPen(QPen(edge, 1.5))
        if len(shape) == 3:
            h, w, c = shape
            fh = max(8.0, face_max * h / max_hw)
            fw = max(8.0, face_max * w / max_hw)
            d = 3.0 + (depth_max - 3.0) * (math.log2(c) / math.log2(max_c) if max_c > 1 else 0.0)
            dx, dy = d, -d * 0.7
            x0 = cx - (fw + dx) / 2
            y0 = cy - (fh + dy) / 2
            front = QRectF(x0, y0, fw, fh)
            top = QPolygonF([front.topLeft(), front.topLeft() + QPointF(dx, dy),
                             front.topRight() + QPointF(dx, dy), front.topRight()])
            side = QPolygonF([front.topRight(), front.topRight() + QPointF(dx, dy),
                              front.bottomRight() + QPointF(dx, dy), front.bottomRight()])
            painter.setBrush(fill.lighter(115))
            painter.drawPolygon(top)
            painter.setBrush(fill.darker(115))
            painter.drawPolygon(side)
            painter.setBrush(fill)
            painter.drawRect(front)
            return QRectF(x0, y0 + dy, fw + dx, fh - dy)
        n = math.prod(shape)
        bar_h = 18 + (area * 0.9 - 18) * min(1.0, math.log(max(n, 1) + 1) / math.log(max_n + 1))
        rect = QRectF(cx - 7, cy - bar_h / 2, 14, bar_h)
        path = QPainterPath()
        path.addRoundedRect(rect, 3, 3)
        painter.setBrush(fill)
        painter.drawPath(path)
        return rect

    def _draw_labels(self, painter: QPainter, block: _Block, index: int, cx: float, slot: float, top: float,
                     bottom: float, bold: QFont, fm: QFontMetrics) -> None:
        line = fm.height()
        width = slot - 6
        selected = index - 1 == self.selected_row and index > 0
        if selected:
            highlight = QColor(self.palette().highlight().color())
            highlight.setAlpha(40)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(highlight)
            painter.drawRoundedRect(QRectF(cx - slot / 2 + 2, 2, slot - 4, self.height() - 4), 6, 6)
        painter.setPen(ERROR_COLOR if block.error else self.palette().text().color())
        painter.setFont(bold)
        name = QFontMetrics(bold).elidedText(block.name, Qt.TextElideMode.ElideMiddle, int(width))
        painter.drawText(QRectF(cx - width / 2, 8, width, line), Qt.AlignmentFlag.AlignHCenter, name)
        painter.setFont(self.font())
        painter.setPen(ERROR_COLOR if block.error else MUTED_COLOR)
        kind = "Input" if block.kind == "input" else block.label
        if block.activation:
            kind += f" · {block.activation}"
        kind = fm.elidedText(kind, Qt.TextElideMode.ElideRight, int(width))
        painter.drawText(QRectF(cx - width / 2, 8 + line, width, line), Qt.AlignmentFlag.AlignHCenter, kind)
        painter.setPen(ERROR_COLOR if block.error else self.palette().text().color())
        if block.shape is None:
            text = "error" if block.error else "?"
        else:
            text = "×".join(str(v) for v in block.shape)
        text = fm.elidedText(text, Qt.TextElideMode.ElideRight, int(width))
        painter.drawText(QRectF(cx - width / 2, bottom + 4, width, line), Qt.AlignmentFlag.AlignHCenter, text)
        if block.params:
            painter.setPen(MUTED_COLOR)
            text = fm.elidedText(f"{compact_count(block.params)} params", Qt.TextElideMode.ElideRight, int(width))
            painter.drawText(QRectF(cx - width / 2, bottom + 4 + line, width, line), Qt.AlignmentFlag.AlignHCenter,
                             text)

    # --- interaction -------------------------------------------------------------------------------------------
    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt name)
        i = self._block_at(event.position().x())
        if 0 <= i < len(self._blocks):
            QToolTip.showText(event.globalPosition().toPoint(), self._blocks[i].tooltip, self)
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        i = self._block_at(event.position().x())
        if event.button() == Qt.MouseButton.LeftButton and 0 <= i < len(self._blocks):
            self.layer_clicked.emit(i - 1)
        super().mousePressEvent(event)

    def block_tooltip(self, row: int) -> str:
        """The tooltip of layer ``row`` (-1: the input)."""
        return self._blocks[row + 1].tooltip
