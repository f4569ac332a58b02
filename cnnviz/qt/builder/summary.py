"""A live table like Keras's ``model.summary()``, from core/shapes.py only (no TensorFlow), with the formulas
as tooltips, the totals and whether the model can be trained."""
from __future__ import annotations

import html

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Slot
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from cnnviz.core.model.shapes import LayerShape

from .document import SpecDocument
from .style import (ERROR_BACKGROUND, ERROR_COLOR, INCOMPLETE_COLOR, MUTED_COLOR, OK_COLOR, format_bytes, format_shape,
                    kind_color)

HEADERS = ("Layer (type)", "Output Shape", "Param #")


def _dims(shape) -> str:
    return "x".join(str(v) for v in shape) if shape is not None else "?"


def shape_tooltip(layer: LayerShape, filters: int | None = None) -> str:
    """The shape formula of one layer with its numbers, e.g. for conv_1 '28x28x1 -> 28x28x32' and the arithmetic."""
    if layer.error:
        return layer.error
    if layer.output is None:
        return "unknown: an earlier layer has a problem"
    lines = [f"{layer.name}: {_dims(layer.input)} → {_dims(layer.output)}", layer.shape_formula]
    if filters is not None:
        lines.append(f"channels: filters = {filters}")
    return "\n".join(line for line in lines if line)


class SummaryTableModel(QAbstractTableModel):
    """Row 0 is the input, then one row per layer; columns as in Keras's summary."""

    def __init__(self, document: SpecDocument, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._rows = 1 + len(document.spec.layers)
        document.spec_changed.connect(self._on_document_spec_changed)

    @Slot()
    def _on_document_spec_changed(self) -> None:
        rows = 1 + len(self.document.spec.layers)
        if rows != self._rows:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        else:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, len(HEADERS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt name)
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 (Qt name)
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole and section == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def layer_shape(self, row: int) -> LayerShape | None:
        layers = self.document.report.layers
        return layers[row - 1] if 1 <= row <= len(layers) else None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        spec = self.document.spec
        if row == 0:
            return self._input_data(col, role)
        if row - 1 >= len(spec.layers):
            return None
        layer = spec.layers[row - 1]
        shape = self.layer_shape(row)
        problems = [p.message for p in self.document.problems if p.layer == row - 1]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return f"{layer.name} ({layer.kind})"
            if col == 1:
                if shape is None or shape.error:
                    return "⚠ error" if shape is not None and shape.error else "?"
                return format_shape(shape.output)
            return "?" if shape is None or shape.output is None else f"{shape.params:,}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return "\n".join([layer.describe(), *problems])
            if shape is None:
                return None
            if col == 1:
                return shape_tooltip(shape)  # the kind's shape formula carries the channels line
            if shape.output is None:
                return shape.error or "unknown: an earlier layer has a problem"
            return shape.param_formula
        if role == Qt.ItemDataRole.BackgroundRole and problems:
            return QBrush(ERROR_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole:
            if problems:
                return QBrush(ERROR_COLOR)
            if shape is None or shape.output is None:
                return QBrush(MUTED_COLOR)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return ERROR_COLOR if problems else kind_color(layer.kind)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _input_data(self, col: int, role):
        shape = tuple(self.document.spec.input_shape)
        if role == Qt.ItemDataRole.DisplayRole:
            return ("input (InputLayer)", format_shape(shape), "0")[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return ("the image fed to the model: height x width x channels",
                    f"input: {_dims(shape)} (the batch size is left open: None)", "the input has no parameters")[col]
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return kind_color("input")
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class SummaryPanel(QWidget):
    """Table, totals ("Total params: 3,274,634 (12.49 MB)") and the "can train" verdict with every problem."""

    def __init__(self, document: SpecDocument, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = SummaryTableModel(document, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setHighlightSections(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.totals_label = QLabel()
        self.totals_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals_label)
        layout.addWidget(self.status_label)
        document.spec_changed.connect(self._on_document_spec_changed)
        self._on_document_spec_changed()

    @Slot()
    def _on_document_spec_changed(self) -> None:
        report = self.document.report
        ok = not report.problems
        rows = [("Total params", report.total_params), ("Trainable params", report.trainable_params),
                ("Non-trainable params", report.non_trainable_params)]
        cells = "".join(f"<tr><td>{label}:&nbsp;&nbsp;</td><td align='right'><b>{n:,}</b></td>"
                        f"<td>&nbsp;({format_bytes(n)})</td></tr>" for label, n in rows)
        note = "" if ok else "<tr><td colspan=3 style='color:#5c5c5c'>(layers up to the first error)</td></tr>"
        self.totals_label.setText(f"<table>{cells}{note}</table>")
        problems = self.document.problems
        if not problems:
            self.status_label.setText(f"<b style='color:{OK_COLOR.name()}'>✓ Ready to train</b>")
        elif all(p.incomplete for p in problems):
            items = "".join(f"<li>{html.escape(p.message)}</li>" for p in problems)
            self.status_label.setText(f"<b style='color:{INCOMPLETE_COLOR.name()}'>◔ Not finished yet:</b>"
                                      f"<ul style='margin-left:-20px; color:{INCOMPLETE_COLOR.name()}'>{items}</ul>")
        else:
            items = "".join(f"<li>{html.escape(p.message)}</li>" for p in problems)
            self.status_label.setText(f"<b style='color:{ERROR_COLOR.name()}'>✗ Cannot be trained yet "
                                      f"({len(problems)} problem{'s' if len(problems) > 1 else ''}):</b>"
                                      f"<ul style='margin-left:-20px; color:{ERROR_COLOR.name()}'>{items}</ul>")

    def totals_text(self) -> str:
        """The totals as plain text (for tests and copying)."""
        r = self.document.report
        return (f"Total params: {r.total_params:,}\nTrainable params: {r.trainable_params:,}\n"
                f"Non-trainable params: {r.non_trainable_params:,}")
