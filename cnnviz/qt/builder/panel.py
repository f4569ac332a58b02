"""The Builder tab: palette, layer list, layer form, summary table and architecture diagram of one document."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, QPoint, Property, Qt, Signal, Slot
from PySide6.QtGui import QAction, QDrag, QGuiApplication, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QMenu, QScrollArea, QSizePolicy, QSpinBox,
                               QSplitter, QStyle, QToolButton, QVBoxLayout, QWidget)

from cnnviz.core.model.codegen import keras_code
from cnnviz.core.model.presets import PRESETS
from cnnviz.core.model.spec import LAYER_KINDS

from .diagram import ArchitectureDiagram
from .document import SpecDocument
from .fields import mark_error
from .form import LayerForm
from .layer_list import KIND_MIME, LayerListModel, LayerListView
from .style import kind_color
from .summary import SummaryPanel


def _swatch(kind: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(kind_color(kind))
    return QIcon(pixmap)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.1)
    label.setFont(font)
    return label


class PaletteButton(QToolButton):
    """A layer type: click to insert it after the selected layer, or drag it into the layer list."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setText(kind)
        self.setIcon(_swatch(kind))
        self.setToolTip(f"<b>{kind}</b><br>{LAYER_KINDS[kind].summary}<br><i>click to add, or drag into the list</i>")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAutoRaise(False)
        self._press: QPoint | None = None

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self._press is not None and (event.position().toPoint() - self._press).manhattanLength() \
                >= QApplication.startDragDistance():
            self._press = None
            self.setDown(False)
            data = QMimeData()
            data.setData(KIND_MIME, QByteArray(self.kind.encode()))
            drag = QDrag(self)
            drag.setMimeData(data)
            drag.exec(Qt.DropAction.CopyAction)
            return
        super().mouseMoveEvent(event)


class BuilderPanel(QWidget):
    """Edits ``document`` (a SpecDocument). ``can_train`` says whether the model can be trained as it is."""

    can_train_changed = Signal(bool)
    message = Signal(str)  # short news for the status bar

    def __init__(self, document: SpecDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.layer_model = LayerListModel(document, self)
        self.layer_view = LayerListView(self.layer_model)
        self.form = LayerForm(document)
        self.summary = SummaryPanel(document)
        self.diagram = ArchitectureDiagram(document)
        self._make_actions()

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._palette_column())
        splitter.addWidget(self._layers_column())
        splitter.addWidget(self._form_column())
        splitter.addWidget(self._summary_column())
        for i, stretch in enumerate((0, 3, 3, 4)):
            splitter.setStretchFactor(i, stretch)
        splitter.setSizes([170, 290, 300, 440])
        self.columns = splitter

        diagram_scroll = QScrollArea()
        diagram_scroll.setWidget(self.diagram)
        diagram_scroll.setWidgetResizable(True)
        diagram_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        diagram_scroll.setFrameShape(QFrame.Shape.StyledPanel)
        diagram_box = QWidget()
        box_layout = QVBoxLayout(diagram_box)
        box_layout.setContentsMargins(0, 4, 0, 0)
        box_layout.addWidget(_heading("Architecture"))
        box_layout.addWidget(diagram_scroll, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(splitter)
        self.splitter.addWidget(diagram_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([450, 260])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(self._header())
        layout.addWidget(self.splitter, 1)

        self.layer_view.selectionModel().currentChanged.connect(self._on_layer_view_current_changed)
        self.diagram.layer_clicked.connect(self._on_diagram_layer_clicked)
        document.focus_requested.connect(self._on_document_focus_requested)
        document.spec_changed.connect(self._on_document_spec_changed)
        document.can_train_changed.connect(self.can_train_changed)
        self._on_document_spec_changed()
        self.layer_view.select_row(0)

    # --- construction --------------------------------------------------------------------------------------
    def _make_actions(self) -> None:
        style = self.style()

        def action(text: str, icon, shortcut, slot, tip: str) -> QAction:
            act = QAction(style.standardIcon(icon), text, self)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.setToolTip(f"{tip} ({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        sp = QStyle.StandardPixmap
        self.remove_action = action("Remove", sp.SP_TrashIcon, QKeySequence.StandardKey.Delete,
                                    self.remove_selected, "Remove the selected layer")
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.layer_view.addAction(self.remove_action)
        self.duplicate_action = action("Duplicate", sp.SP_FileDialogNewFolder, "Ctrl+D", self.duplicate_selected,
                                       "Insert a copy of the selected layer below it")
        self.move_up_action = action("Up", sp.SP_ArrowUp, "Ctrl+Up", self.move_selected_up,
                                     "Move the selected layer up")
        self.move_down_action = action("Down", sp.SP_ArrowDown, "Ctrl+Down", self.move_selected_down,
                                       "Move the selected layer down")
        self.copy_code_action = QAction("Copy as Keras code", self)
        self.copy_code_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_code_action.setToolTip("Copy Python code that builds this model with tf.keras (Ctrl+Shift+C)")
        self.copy_code_action.triggered.connect(self.copy_keras_code)
        self.preset_actions: list[QAction] = []
        for key, preset in PRESETS.items():
            act = QAction(preset.title, self)
            act.setData(key)
            act.setToolTip(f"Source: {preset.source}")
            act.setStatusTip(f"Replace the model by {preset.title} (undoable). Source: {preset.source}")
            act.triggered.connect(self._on_preset_action_triggered)
            self.preset_actions.append(act)

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(_heading("Input"))
        self.input_spins: list[QSpinBox] = []
        for label, tip, high in (("H", "height in pixels", 100_000), ("W", "width in pixels", 100_000),
                                 ("C", "channels (1 = grey, 3 = RGB)", 1_000)):
            spin = QSpinBox()
            spin.setRange(0, high)
            spin.setToolTip(f"input {tip}")
            spin.setMinimumWidth(64)
            spin.valueChanged.connect(self._on_input_spin_value_changed)
            row.addWidget(QLabel(label))
            row.addWidget(spin)
            self.input_spins.append(spin)
        self.input_error = QLabel()
        self.input_error.setStyleSheet("color: #c62828")
        row.addWidget(self.input_error)
        row.addStretch(1)
        presets = QToolButton()
        presets.setText("Load preset")
        presets.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(presets)
        menu.setToolTipsVisible(True)
        menu.addActions(self.preset_actions)
        presets.setMenu(menu)
        self.presets_button = presets
        copy = QToolButton()
        copy.setDefaultAction(self.copy_code_action)
        row.addWidget(presets)
        row.addWidget(copy)
        return row

    # --- layout, saved by the window between sessions --------------------------------------------------------
    LAYOUT_PARTS = ("main", "columns")   # the diagram/table splitter and the four columns

    def layout_state(self, part: str) -> QByteArray:
        """The sizes of one splitter (``part`` in LAYOUT_PARTS), for the window to keep in its settings."""
        return self._layout_splitter(part).saveState()

    def restore_layout_state(self, part: str, state: QByteArray) -> bool:
        return self._layout_splitter(part).restoreState(state)

    def _layout_splitter(self, part: str) -> QSplitter:
        return {"main": self.splitter, "columns": self.columns}[part]

    def _palette_column(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(3)
        layout.addWidget(_heading("Add layer"))
        self.palette_buttons: dict[str, PaletteButton] = {}
        for kind in LAYER_KINDS:
            button = PaletteButton(kind)
            button.clicked.connect(self._on_palette_button_clicked)
            layout.addWidget(button)
            self.palette_buttons[kind] = button
        layout.addStretch(1)
        tips = QLabel("Tips: hover a shape or a parameter count in the summary to see its formula. "
                      "Drag layers to reorder them. Every edit can be undone (Ctrl+Z).")
        tips.setWordWrap(True)
        tips.setStyleSheet("color: #5c5c5c")
        layout.addWidget(tips)
        # Fifteen kinds and the tips are taller than a small screen allows: the palette scrolls instead of
        # raising the window's minimum height.
        scroll = QScrollArea()
        scroll.setWidget(box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(box.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        return scroll

    def _layers_column(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(_heading("Layers"))
        layout.addWidget(self.layer_view, 1)
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        self.layer_buttons: dict[str, QToolButton] = {}
        for key, act in (("remove", self.remove_action), ("duplicate", self.duplicate_action),
                         ("up", self.move_up_action), ("down", self.move_down_action)):
            button = QToolButton()
            button.setDefaultAction(act)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button)
            self.layer_buttons[key] = button
        layout.addLayout(buttons)
        return box

    def _form_column(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(_heading("Layer settings"))
        layout.addWidget(scroll, 1)
        return box

    def _summary_column(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(_heading("Summary (like model.summary())"))
        layout.addWidget(self.summary, 1)
        return box

    # --- state ---------------------------------------------------------------------------------------------
    def _get_can_train(self) -> bool:
        return self.document.can_train

    can_train = Property(bool, _get_can_train, notify=can_train_changed)

    def current_row(self) -> int:
        return self.layer_view.current_row()

    def select_row(self, row: int) -> None:
        self.layer_view.select_row(row)

    # --- actions -------------------------------------------------------------------------------------------------
    def add_layer(self, kind: str) -> int:
        """Insert a layer of type ``kind`` after the selected one (at the end if none is selected)."""
        row = self.current_row()
        return self.document.add_layer(kind, row + 1 if row >= 0 else None)

    @Slot()
    def remove_selected(self) -> None:
        self.document.remove_layer(self.current_row())

    @Slot()
    def duplicate_selected(self) -> None:
        self.document.duplicate_layer(self.current_row())

    @Slot()
    def move_selected_up(self) -> None:
        row = self.current_row()
        self.document.move_layer(row, row - 1)

    @Slot()
    def move_selected_down(self) -> None:
        row = self.current_row()
        self.document.move_layer(row, row + 1)

    @Slot()
    def copy_keras_code(self) -> None:
        code = keras_code(self.document.spec)
        QGuiApplication.clipboard().setText(code)
        self.message.emit(f"Keras code copied to the clipboard ({code.count(chr(10))} lines)")

    # --- slots -------------------------------------------------------------------------------------------------------
    @Slot()
    def _on_palette_button_clicked(self) -> None:
        button = self.sender()
        if isinstance(button, PaletteButton):
            self.add_layer(button.kind)

    @Slot()
    def _on_preset_action_triggered(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.document.load_preset(act.data())
            self.message.emit(f"Loaded preset: {act.text()} (Undo brings the previous model back)")

    @Slot(int)
    def _on_input_spin_value_changed(self, _value: int) -> None:
        shape = tuple(spin.value() for spin in self.input_spins)
        self.document.set_input_shape(shape, self.current_row())

    @Slot(int)
    def _on_document_focus_requested(self, row: int) -> None:
        self.layer_view.select_row(row)
        self.form.set_row(self.current_row())
        self._update_action_state()

    @Slot(int)
    def _on_diagram_layer_clicked(self, row: int) -> None:
        if row >= 0:
            self.layer_view.select_row(row)

    @Slot()
    def _on_layer_view_current_changed(self, current, _previous) -> None:
        row = current.row() if current.isValid() else -1
        self.form.set_row(row)
        self.diagram.set_selected_row(row)
        self._update_action_state()

    @Slot()
    def _on_document_spec_changed(self) -> None:
        spec = self.document.spec
        for spin, value in zip(self.input_spins, spec.input_shape):
            if spin.value() != value:
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        input_problems = [p.message for p in self.document.problems if p.field == "input_shape"]
        self.input_error.setText("⚠ " + "; ".join(input_problems) if input_problems else "")
        for spin in self.input_spins:
            mark_error(spin, bool(input_problems))
        self._update_action_state()

    def _update_action_state(self) -> None:
        row, n = self.current_row(), len(self.document.spec.layers)
        self.remove_action.setEnabled(row >= 0)
        self.duplicate_action.setEnabled(row >= 0)
        self.move_up_action.setEnabled(row > 0)
        self.move_down_action.setEnabled(0 <= row < n - 1)


if __name__ == "__main__":  # a preview of the panel alone: python -m cnnviz.qt.builder.panel
    import sys

    app = QApplication(sys.argv)
    panel = BuilderPanel(SpecDocument())
    panel.resize(1200, 760)
    panel.show()
    sys.exit(app.exec())
