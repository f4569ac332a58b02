"""The model's layers as a list: item model over the document (with drag-and-drop reordering) and its delegate."""
from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QByteArray, QMimeData, QModelIndex, QRect, QSize, Qt, Slot
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from cnnviz.core.model.spec import LAYER_KINDS

from .document import SpecDocument
from .style import ERROR_BACKGROUND, ERROR_COLOR, MUTED_COLOR, kind_color

ROW_MIME = "application/x-cnnviz-layer-row"
KIND_MIME = "application/x-cnnviz-layer-kind"

KindRole = Qt.ItemDataRole.UserRole + 1
DescriptionRole = Qt.ItemDataRole.UserRole + 2
ErrorRole = Qt.ItemDataRole.UserRole + 3
ShapeRole = Qt.ItemDataRole.UserRole + 4


class LayerListModel(QAbstractListModel):
    """One row per layer of ``document.spec``. Moves (drag and drop, moveRows) become undoable commands."""

    def __init__(self, document: SpecDocument, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._rows = len(document.spec.layers)
        document.spec_changed.connect(self._on_document_spec_changed)

    @Slot()
    def _on_document_spec_changed(self) -> None:
        rows = len(self.document.spec.layers)
        if rows != self._rows:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        elif rows:
            self.dataChanged.emit(self.index(0), self.index(rows - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else self._rows

    def errors(self, row: int) -> list[str]:
        # a missing classifier head is the model being unfinished, not this layer being wrong: the summary says it
        return [p.message for p in self.document.problems if p.layer == row and not p.incomplete]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.document.spec.layers):
            return None
        row = index.row()
        layer = self.document.spec.layers[row]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return layer.name
        if role == KindRole:
            return layer.kind
        if role == DescriptionRole:
            return layer.describe()
        if role == ErrorRole:
            return "\n".join(self.errors(row))
        if role == ShapeRole:
            shapes = self.document.report.layers
            out = shapes[row].output if row < len(shapes) else None
            return "?" if out is None else "x".join(str(v) for v in out)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = f"<b>{layer.name}</b>: {LAYER_KINDS[layer.kind].summary}"
            errors = self.errors(row)
            if errors:
                text += "<br><span style='color:#c62828'>" + "<br>".join(errors) + "</span>"
            return text
        return None

    # --- drag and drop -----------------------------------------------------------------------------------
    def flags(self, index):
        base = super().flags(index)
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled  # no ItemIsDropEnabled: drops go *between* rows
        return base | Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self):  # noqa: N802 (Qt name)
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def supportedDragActions(self):  # noqa: N802 (Qt name)
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt name)
        return [ROW_MIME, KIND_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802 (Qt name)
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:
            data.setData(ROW_MIME, QByteArray(str(rows[0]).encode()))
        return data

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802 (Qt name)
        """A layer row dropped before ``row`` moves there; a layer type from the palette is inserted there."""
        if action == Qt.DropAction.IgnoreAction:
            return True
        n = len(self.document.spec.layers)
        if parent.isValid():
            row = parent.row()
        if row < 0 or row > n:
            row = n
        if data.hasFormat(KIND_MIME):
            kind = bytes(data.data(KIND_MIME).data()).decode()
            if kind not in LAYER_KINDS:
                return False
            self.document.add_layer(kind, row)
            return True
        if data.hasFormat(ROW_MIME):
            source = int(bytes(data.data(ROW_MIME).data()).decode())
            return self._move(source, row)
        return False

    def moveRows(self, source_parent, source_row, count, destination_parent, destination_child) -> bool:  # noqa: N802
        """Qt's QListView calls this for an internal drag and drop: ``destination_child`` is the row the layer
        is dropped *before* (indices before the move)."""
        if count != 1 or source_parent.isValid() or destination_parent.isValid():
            return False
        return self._move(source_row, destination_child)

    def _move(self, source: int, before: int) -> bool:
        target = before if before <= source else before - 1
        return self.document.move_layer(source, target)


class LayerDelegate(QStyledItemDelegate):
    """Draws a layer as: colour stripe, number, name (bold), type, output shape, description; errors in red."""

    PAD = 6
    STRIPE = 6

    def _fonts(self, option) -> tuple[QFont, QFont]:
        bold = QFont(option.font)
        bold.setBold(True)
        return bold, QFont(option.font)

    def _error_rect_height(self, option, text: str, width: int) -> int:
        if not text:
            return 0
        fm = QFontMetrics(option.font)
        return fm.boundingRect(QRect(0, 0, max(40, width), 10_000), Qt.TextFlag.TextWordWrap, text).height() + 2

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 (Qt name)
        fm = QFontMetrics(option.font)
        width = option.widget.viewport().width() - 4 if option.widget is not None else 300
        text_width = width - self.STRIPE - 4 * self.PAD - fm.horizontalAdvance("00")
        height = 2 * fm.height() + 2 * self.PAD + 2
        height += self._error_rect_height(option, index.data(ErrorRole) or "", text_width)
        return QSize(width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        painter.save()
        rect = option.rect.adjusted(1, 1, -1, -1)
        error = index.data(ErrorRole) or ""
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        background = palette.base().color()
        if error:
            background = ERROR_BACKGROUND
        if selected:
            background = palette.highlight().color().lighter(175) if not error else ERROR_BACKGROUND.darker(110)
        painter.fillRect(rect, background)
        if selected:
            painter.setPen(palette.highlight().color())
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        kind = index.data(KindRole)
        painter.fillRect(QRect(rect.left(), rect.top(), self.STRIPE, rect.height()),
                         ERROR_COLOR if error else kind_color(kind))
        bold, normal = self._fonts(option)
        fm = QFontMetrics(normal)
        x = rect.left() + self.STRIPE + self.PAD
        y = rect.top() + self.PAD
        number_w = fm.horizontalAdvance("00")
        painter.setFont(normal)
        painter.setPen(MUTED_COLOR)
        painter.drawText(QRect(x, y, number_w, fm.height()), Qt.AlignmentFlag.AlignRight, str(index.row() + 1))
        x += number_w + self.PAD
        width = rect.right() - x - self.PAD
        text_color = palette.text().color()
        shape = index.data(ShapeRole)
        shape_w = fm.horizontalAdvance(shape) + self.PAD
        painter.setPen(ERROR_COLOR if error else MUTED_COLOR)
        painter.drawText(QRect(x, y, width, fm.height()), Qt.AlignmentFlag.AlignRight, shape)
        painter.setFont(bold)
        painter.setPen(text_color)
        name = QFontMetrics(bold).elidedText(index.data(), Qt.TextElideMode.ElideRight, width - shape_w)
        painter.drawText(QRect(x, y, width - shape_w, fm.height()), Qt.AlignmentFlag.AlignLeft, name)
        painter.setFont(normal)
        y += fm.height() + 1
        painter.setPen(text_color if not error else ERROR_COLOR.darker(120))
        description = fm.elidedText(index.data(DescriptionRole), Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(x, y, width, fm.height()), Qt.AlignmentFlag.AlignLeft, description)
        if error:
            y += fm.height() + 1
            painter.setPen(ERROR_COLOR)
            painter.drawText(QRect(x, y, width, rect.bottom() - y), Qt.TextFlag.TextWordWrap, error)
        painter.restore()


class LayerListView(QListView):
    """The layer list: single selection, internal drag-and-drop moves, drops of layer types from the palette."""

    def __init__(self, model: LayerListModel, parent=None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegate(LayerDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.setUniformItemSizes(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSpacing(1)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def current_row(self) -> int:
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model().rowCount():
            index = self.model().index(row, 0)
            self.setCurrentIndex(index)
            self.scrollTo(index)
        else:
            self.clearSelection()
            self.setCurrentIndex(QModelIndex())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        if self.model().rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(MUTED_COLOR)
            painter.drawText(self.viewport().rect().adjusted(12, 12, -12, -12),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "No layers yet.\nClick a layer type on the left (or drag it here), "
                             "or load a preset.")
            painter.end()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self.scheduleDelayedItemsLayout()  # error text wraps to the new width
