"""The parameter form of the selected layer, generated from its FieldDefs; errors marked at the field at fault."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

from cnnviz.core.model.shapes import LayerShape
from cnnviz.core.model.spec import LAYER_KINDS, LayerSpec

from .document import SpecDocument
from .fields import FieldEditor, make_editor, mark_error
from .style import ERROR_COLOR, MUTED_COLOR, kind_color

def shape_error_fields(layer: LayerSpec, shape: LayerShape | None) -> set[str]:
    """Fields to mark for a shape error, as the layer's kind says (a window larger than its input with 'valid'
    padding is the size field's fault, and padding's). Other shape errors (a 2-D layer after Flatten) mark none."""
    if shape is None or not shape.error or shape.input is None:
        return set()
    return layer.layer_kind.shape_error_fields(layer.params, shape.input)


class LayerForm(QWidget):
    """Edits layer ``row`` of the document. Every change goes through the document (undoable)."""

    def __init__(self, document: SpecDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.row = -1
        self._kind: str | None = None
        self.editors: dict[str, FieldEditor] = {}
        self.field_labels: dict[str, QLabel] = {}

        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(f"color: {MUTED_COLOR.name()}")
        self.name_edit = QLineEdit()  # replaced by _rebuild for each layer type
        self.fields_box = QWidget()
        self.form = QFormLayout(self.fields_box)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.RichText)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR.name()}")
        self.empty_label = QLabel("Select a layer to edit its settings,\nor add one from the palette.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet(f"color: {MUTED_COLOR.name()}")
        self.stripe = QFrame()
        self.stripe.setFixedHeight(4)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stripe)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.fields_box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.empty_label, 1)
        layout.addStretch(0)
        document.spec_changed.connect(self._on_document_spec_changed)
        self.set_row(-1)

    # --- which layer -------------------------------------------------------------------------------------
    def set_row(self, row: int) -> None:
        layers = self.document.spec.layers
        self.row = row if 0 <= row < len(layers) else -1
        kind = layers[self.row].kind if self.row >= 0 else None
        if kind != self._kind:
            self._rebuild(kind)
        self.refresh()

    def _rebuild(self, kind: str | None) -> None:
        # The old widgets must not report edits while they are deleted (a focused name field would emit
        # editingFinished and rename the layer now selected).
        for widget in (self.name_edit, *self.editors.values()):
            widget.blockSignals(True)
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        self.field_labels.clear()
        self._kind = kind
        self.name_edit = QLineEdit()
        if kind is None:
            return
        self.name_edit.setToolTip("the layer's name (unique; letters, digits, _ . -)")
        self.name_edit.editingFinished.connect(self._on_name_edit_editing_finished)
        self.form.addRow("Name", self.name_edit)
        for fdef in LAYER_KINDS[kind].fields:
            editor = make_editor(fdef)
            editor.value_edited.connect(self._on_editor_value_edited)
            label = QLabel(fdef.label)
            label.setToolTip(fdef.help)
            self.editors[fdef.name] = editor
            self.field_labels[fdef.name] = label
            self.form.addRow(label, editor)
        if not LAYER_KINDS[kind].fields:
            self.form.addRow(QLabel(""), QLabel("(this layer has no settings)"))

    @Slot()
    def _on_document_spec_changed(self) -> None:
        layers = self.document.spec.layers
        if self.row >= len(layers):
            self.set_row(-1)
        elif self.row >= 0 and layers[self.row].kind != self._kind:
            self.set_row(self.row)
        else:
            self.refresh()

    # --- showing values and errors ------------------------------------------------------------------------------
    def refresh(self) -> None:
        has_layer = self.row >= 0
        for widget in (self.title, self.summary, self.fields_box, self.stripe):
            widget.setVisible(has_layer)
        self.empty_label.setVisible(not has_layer)
        if not has_layer:
            self.error_label.clear()
            self.error_label.hide()
            return
        layer = self.document.spec.layers[self.row]
        self.title.setText(f"{self.row + 1}. {layer.name}")
        self.summary.setText(f"<b>{layer.kind}</b>: {html.escape(LAYER_KINDS[layer.kind].summary)}")
        self.stripe.setStyleSheet(f"background: {kind_color(layer.kind).name()}")
        if not self.name_edit.hasFocus() and self.name_edit.text() != layer.name:
            self.name_edit.setText(layer.name)
        for name, editor in self.editors.items():
            value = layer.params.get(name)
            if editor.value() != value:
                editor.set_value(value)
        if "strides" in self.editors and layer.params.get("strides") is None and "pool_size" in layer.params:
            self.editors["strides"].set_auto_hint(layer.params["pool_size"])
        self._show_errors(layer)

    def _show_errors(self, layer: LayerSpec) -> None:
        problems = [p for p in self.document.problems if p.layer == self.row]
        shapes = self.document.report.layers
        shape = shapes[self.row] if self.row < len(shapes) else None
        bad = {p.field: p.message for p in problems if p.field}
        for name in shape_error_fields(layer, shape):
            bad.setdefault(name, shape.error)
        for name, editor in self.editors.items():
            editor.set_error(bad.get(name))
            label = self.field_labels[name]
            label.setStyleSheet(f"color: {ERROR_COLOR.name()}; font-weight: bold" if name in bad else "")
        name_error = bad.get("name")
        mark_error(self.name_edit, bool(name_error))
        self.name_edit.setToolTip(name_error or "the layer's name (unique; letters, digits, _ . -)")
        if problems:
            self.error_label.setText("<br>".join("⚠ " + html.escape(p.message) for p in problems))
            self.error_label.show()
        else:
            self.error_label.clear()
            self.error_label.hide()

    def error_text(self) -> str:
        """The messages shown under the form (empty when the layer is fine)."""
        return self.error_label.text()

    # --- edits -----------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_editor_value_edited(self, value) -> None:
        editor = self.sender()
        if self.row < 0 or not isinstance(editor, FieldEditor):
            return
        self.document.set_field(self.row, editor.fdef.name, value)

    @Slot()
    def _on_name_edit_editing_finished(self) -> None:
        if self.row >= 0:
            text = self.name_edit.text().strip()
            if text:
                self.document.rename_layer(self.row, text)
            else:
                self.name_edit.setText(self.document.spec.layers[self.row].name)
