"""The Builder panel with real widgets: palette, layer list, form, summary table, diagram, undo/redo."""
from __future__ import annotations

import html

import pytest
from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from cnnviz.core.model.spec import LAYER_KINDS, LayerSpec, ModelSpec, SpecError
from cnnviz.qt.builder import BuilderPanel, SpecDocument
from cnnviz.qt.builder.commands import EditFieldCommand
from cnnviz.qt.builder.fields import PairEditor
from cnnviz.qt.builder.layer_list import KIND_MIME, ErrorRole


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A modal box would block the offscreen test run: fail loudly instead."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected message box: {args[1:3]}")

    for name in ("warning", "critical", "question", "information", "about"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse))


@pytest.fixture
def panel(qtbot):
    document = SpecDocument()  # starts with the lecture's MNIST CNN
    widget = BuilderPanel(document)
    qtbot.addWidget(widget)
    widget.resize(1200, 740)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def names(panel) -> list[str]:
    return panel.document.spec.layer_names()


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_palette_adds_layers_after_the_selection(qtbot, panel):
    panel.document.new()
    for kind in ("Conv2D", "MaxPooling2D", "Flatten", "Dense"):
        click(qtbot, panel.palette_buttons[kind])
    assert [layer.kind for layer in panel.document.spec.layers] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert names(panel) == ["conv_1", "pool_1", "flatten_1", "fc_1"]
    assert panel.layer_model.rowCount() == 4 and panel.summary.model.rowCount() == 5
    assert panel.current_row() == 3  # the new layer is selected, and its form shown
    assert panel.form.title.text() == "4. fc_1" and "<b>Dense</b>" in panel.form.summary.text()
    panel.select_row(0)
    click(qtbot, panel.palette_buttons["Dropout"])
    assert names(panel)[:2] == ["conv_1", "dropout_1"]
    for kind, button in panel.palette_buttons.items():
        assert LAYER_KINDS[kind].summary in button.toolTip()
    assert panel.document.undo_stack.count() == 5


def set_kernel_by_typing(qtbot, panel, row: int, value: int) -> None:
    panel.select_row(row)
    editor = panel.form.editors["kernel_size"]
    for spin in (editor.height_spin, editor.width_spin):
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), str(value))


def test_impossible_kernel_shows_inline_error_then_undo_and_redo(qtbot, panel):
    doc = panel.document
    panel.select_row(2)
    panel.form.editors["padding"].combo.setCurrentText("valid")
    assert doc.can_train
    with qtbot.waitSignal(panel.can_train_changed, timeout=1000) as blocker:
        set_kernel_by_typing(qtbot, panel, 2, 50)
    assert blocker.args == [False]
    assert doc.spec.layers[2].params["kernel_size"] == [50, 50]  # kept as typed, not clamped
    assert panel.form.editors["kernel_size"].height_spin.value() == 50
    assert doc.undo_stack.count() == 2  # padding, then one merged command for "5", "50", "5", "50"
    error = panel.layer_model.index(2).data(ErrorRole)
    assert "conv_2" in error and "kernel 50x50 is larger than its 14x14 input" in error
    assert "conv_2" in panel.form.error_text()
    assert panel.form.editors["kernel_size"].has_error() and panel.form.editors["padding"].has_error()
    assert not panel.form.editors["filters"].has_error()
    assert panel.summary.model.index(3, 1).data() == "⚠ error"
    assert panel.summary.model.index(3, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "Cannot be trained" in panel.summary.status_label.text()
    assert panel.can_train is False and doc.property("can_train") is False
    assert panel.diagram.block_tooltip(2).count("⚠") == 1

    doc.undo_stack.undo()
    assert doc.spec.layers[2].params["kernel_size"] == [5, 5]
    assert panel.layer_model.index(2).data(ErrorRole) == ""
    assert panel.form.error_text() == "" and not panel.form.editors["kernel_size"].has_error()
    assert panel.form.editors["kernel_size"].width_spin.value() == 5
    assert doc.can_train and "Ready to train" in panel.summary.status_label.text()

    doc.undo_stack.redo()
    assert doc.spec.layers[2].params["kernel_size"] == [50, 50]
    assert "conv_2" in panel.layer_model.index(2).data(ErrorRole)
    assert not doc.can_train


def test_a_value_below_the_minimum_is_kept_and_reported(qtbot, panel):
    panel.select_row(0)
    spin = panel.form.editors["filters"].spin
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "0")
    assert panel.document.spec.layers[0].params["filters"] == 0
    assert panel.form.editors["filters"].has_error()
    assert "filters must be at least 1" in panel.form.error_text()


def test_reorder_by_drop_move_rows_and_buttons(qtbot, panel):
    model, doc = panel.layer_model, panel.document
    start = names(panel)
    # a drag of row 0 dropped before row 3 (what QListView's drop does through the model)
    data = model.mimeData([model.index(0)])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    assert names(panel)[:3] == ["pool_1", "conv_2", "conv_1"]
    assert panel.current_row() == 2  # the moved layer stays selected
    # moveRows, as QListView calls it for an internal move: before row 0
    assert model.moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)
    assert names(panel) == start
    # the buttons
    panel.select_row(0)
    click(qtbot, panel.layer_buttons["down"])
    assert names(panel)[:2] == ["pool_1", "conv_1"] and panel.current_row() == 1
    click(qtbot, panel.layer_buttons["up"])
    assert names(panel) == start and panel.current_row() == 0
    assert not panel.move_up_action.isEnabled()
    # a layer type dragged from the palette and dropped before row 1
    kind = QMimeData()
    kind.setData(KIND_MIME, QByteArray(b"BatchNormalization"))
    assert model.dropMimeData(kind, Qt.DropAction.CopyAction, 1, 0, QModelIndex())
    assert names(panel)[1] == "batch_norm_1"
    for _ in range(5):
        doc.undo_stack.undo()
    assert names(panel) == start


def test_remove_duplicate_and_undo(qtbot, panel):
    doc = panel.document
    panel.select_row(0)
    click(qtbot, panel.layer_buttons["duplicate"])
    assert names(panel)[:2] == ["conv_1", "conv_3"]
    assert doc.spec.layers[1].params == doc.spec.layers[0].params
    assert panel.current_row() == 1  # the copy is selected
    click(qtbot, panel.layer_buttons["remove"])  # the copy
    click(qtbot, panel.layer_buttons["remove"])  # then pool_1, which took its row
    assert names(panel)[:2] == ["conv_1", "conv_2"]
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert names(panel)[:2] == ["conv_1", "pool_1"] and len(doc.spec.layers) == 8


def test_lecture_preset_totals_and_formula_tooltips(qtbot, panel):
    doc = panel.document
    doc.new()
    assert "Total params" in panel.summary.totals_label.text() and not doc.can_train
    lecture = panel.preset_actions[0]
    assert lecture.data() == "lecture"
    with qtbot.waitSignal(doc.can_train_changed, timeout=1000):
        lecture.trigger()
    assert "3,274,634" in panel.summary.totals_label.text()
    assert "Total params: 3,274,634" in panel.summary.totals_text()
    table = panel.summary.model
    assert [table.index(r, 2).data() for r in range(table.rowCount())] == [
        "0", "832", "0", "51,264", "0", "0", "3,212,288", "0", "10,250"]
    assert table.index(1, 0).data() == "conv_1 (Conv2D)"
    assert table.index(1, 1).data() == "(None, 28, 28, 32)"
    shape_tip = table.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "28x28x1 → 28x28x32" in shape_tip and "ceil(28/1) = 28" in shape_tip and "filters = 32" in shape_tip
    assert table.index(1, 2).data(Qt.ItemDataRole.ToolTipRole).endswith("(5*5*1 + 1)*32 = 832")
    assert "(3136 + 1)*1024 = 3,212,288" in table.index(6, 2).data(Qt.ItemDataRole.ToolTipRole)
    doc.undo_stack.undo()  # loading a preset is undoable
    assert doc.spec.layers == []


def test_can_train_needs_a_classifier_head(qtbot, panel):
    doc = panel.document
    assert panel.can_train
    panel.select_row(7)
    with qtbot.waitSignal(panel.can_train_changed, timeout=1000) as blocker:
        for _ in range(4):  # remove fc_2, dropout, fc_1, flatten: the output is 7x7x64
            panel.remove_selected()
    assert blocker.args == [False]
    # an unfinished model is not an error of its last layer: no red row, a note saying what to add
    assert panel.layer_model.index(3).data(ErrorRole) == ""
    status = html.unescape(panel.summary.status_label.text())
    assert "Not finished yet" in status and "the model's output is 7x7x64" in status and "Ready" not in status
    # a vector output that is not class probabilities is no classifier head either (it would train on nonsense)
    panel.add_layer("Flatten")
    row = panel.add_layer("Dense")
    panel.select_row(row)
    panel.form.editors["activation"].combo.setCurrentText("relu")
    assert not panel.can_train
    status = html.unescape(panel.summary.status_label.text())
    assert "not class probabilities" in status and "Dense(number of classes, softmax)" in status
    assert panel.layer_model.index(row).data(ErrorRole) == ""
    panel.form.editors["activation"].combo.setCurrentText("softmax")
    assert panel.can_train and "Ready to train" in panel.summary.status_label.text()
    doc.new()
    assert not panel.can_train  # no layers


def test_form_edits_every_field_kind(qtbot, panel):
    doc = panel.document
    doc.new()
    row = panel.add_layer("MaxPooling2D")
    editor = panel.form.editors["strides"]
    assert editor.is_auto() and editor.height_spin.value() == 2  # auto shows the pool size
    editor.auto_box.setChecked(False)
    assert doc.spec.layers[row].params["strides"] == [2, 2]
    editor.height_spin.setValue(1)
    assert doc.spec.layers[row].params["strides"] == [1, 2]
    editor.auto_box.setChecked(True)
    assert doc.spec.layers[row].params["strides"] is None
    row = panel.add_layer("Dense")
    panel.form.editors["use_bias"].check.setChecked(False)
    panel.form.editors["activation"].combo.setCurrentText("softmax")
    panel.form.editors["units"].spin.setValue(10)
    assert doc.spec.layers[row].params == {"units": 10, "activation": "softmax", "use_bias": False}
    row = panel.add_layer("Dropout")
    panel.form.editors["rate"].spin.setValue(1.0)  # invalid (must be below 1): kept and reported
    assert doc.spec.layers[row].params["rate"] == 1.0
    assert panel.form.editors["rate"].has_error() and "rate must be below 1" in panel.form.error_text()
    row = panel.add_layer("Flatten")
    assert panel.form.editors == {}


def test_rename_and_input_shape_are_undoable(qtbot, panel):
    doc = panel.document
    panel.select_row(0)
    name_edit = panel.form.name_edit
    name_edit.selectAll()
    qtbot.keyClicks(name_edit, "first")
    qtbot.keyClick(name_edit, Qt.Key.Key_Return)
    assert names(panel)[0] == "first"
    name_edit.selectAll()
    qtbot.keyClicks(name_edit, "pool_1")  # already used: kept, reported at the layer
    qtbot.keyClick(name_edit, Qt.Key.Key_Return)
    assert "already used by layer 1" in panel.layer_model.index(1).data(ErrorRole)
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert names(panel)[0] == "conv_1"
    h_spin = panel.input_spins[0]
    h_spin.setValue(2)  # 2x28 input: pool_2 (2x2, valid) no longer fits a 1x7 map
    assert doc.spec.input_shape == (2, 28, 1)
    assert "pool_2" in panel.layer_model.index(3).data(ErrorRole)
    h_spin.setValue(0)
    assert "input height must be at least 1" in panel.input_error.text()
    doc.undo_stack.undo()  # the two input edits merged into one command
    assert doc.spec.input_shape == (28, 28, 1) and h_spin.value() == 28 and doc.can_train


def test_field_edits_merge_but_other_edits_do_not(qtbot, panel):
    doc = panel.document
    doc.set_field(0, "filters", 4)
    doc.set_field(0, "filters", 8)
    assert doc.undo_stack.count() == 1 and isinstance(doc.undo_stack.command(0), EditFieldCommand)
    doc.set_field(0, "kernel_size", [3, 3])
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.spec.layers[0].params["filters"] == 32


def test_diagram_follows_the_model_and_selects_layers(qtbot, panel):
    diagram = panel.diagram
    assert "28x28x32" not in diagram.block_tooltip(-1) and "28x28x1" in diagram.block_tooltip(-1)
    assert "ceil(28/1) = 28" in diagram.block_tooltip(0)
    assert not diagram.grab().isNull()
    slot = diagram.width() / 9
    qtbot.mouseClick(diagram, Qt.MouseButton.LeftButton, pos=diagram.rect().topLeft()
                     + type(diagram.rect().topLeft())(int(slot * 3.5), 100))
    assert panel.current_row() == 2
    panel.document.set_field(2, "padding", "valid")
    panel.document.set_field(2, "kernel_size", [50, 50])
    assert "⚠" in diagram.block_tooltip(2)
    assert not diagram.grab().isNull()


def test_copy_as_keras_code(qtbot, panel):
    with qtbot.waitSignal(panel.message, timeout=1000):
        panel.copy_code_action.trigger()
    text = QGuiApplication.clipboard().text()
    assert "model = tf.keras.Sequential(name='lecture_mnist_cnn')" in text
    assert "model.build(input_shape=(None, 28, 28, 1))" in text


def test_drop_event_on_the_list_view_moves_the_layer(qtbot, panel):
    """A drop event delivered to the view (as a drag from the list ends) goes through the model to the document."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

    view, model = panel.layer_view, panel.layer_model
    data = model.mimeData([model.index(0)])
    target = view.visualRect(model.index(3))
    pos = QPointF(target.center().x(), target.top() + 2)  # just above row 3: drop between rows 2 and 3
    args = (Qt.DropAction.MoveAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # QDragEnterEvent/QDragMoveEvent take a QPoint; QDropEvent a QPointF (PySide6 6.11).
    enter = QDragEnterEvent(pos.toPoint(), *args)
    QGuiApplication.sendEvent(view.viewport(), enter)
    move = QDragMoveEvent(pos.toPoint(), *args)
    QGuiApplication.sendEvent(view.viewport(), move)
    drop = QDropEvent(pos, *args)
    QGuiApplication.sendEvent(view.viewport(), drop)
    assert names(panel)[:3] == ["pool_1", "conv_2", "conv_1"]
    panel.document.undo_stack.undo()
    assert names(panel)[0] == "conv_1"


def test_keyboard_shortcuts_on_the_layer_list(qtbot, panel):
    panel.activateWindow()
    panel.select_row(7)
    panel.layer_view.setFocus()
    qtbot.waitUntil(panel.layer_view.hasFocus, timeout=1000)
    qtbot.keyClick(panel.layer_view, Qt.Key.Key_Delete)
    assert names(panel)[-1] == "dropout"
    qtbot.keyClick(panel.layer_view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert names(panel)[-2:] == ["dropout", "dropout_1"]
    qtbot.keyClick(panel.layer_view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert names(panel)[-2:] == ["dropout_1", "dropout"]


def test_switching_layers_while_the_name_field_has_focus_renames_nothing(qtbot, panel):
    panel.activateWindow()
    panel.select_row(0)
    panel.form.name_edit.setFocus()
    qtbot.waitUntil(panel.form.name_edit.hasFocus, timeout=1000)
    panel.select_row(1)  # another layer type: the form is rebuilt under the focused field
    panel.document.new()  # no layer at all: the form is emptied
    click(qtbot, panel.palette_buttons["Dense"])
    assert names(panel) == ["fc_1"]


# --- kinds come from the layer registry ------------------------------------------------------------------------
NEW_KINDS = ("DepthwiseConv2D", "SeparableConv2D", "ZeroPadding2D", "LeakyReLU", "Rescaling")


def test_palette_lists_every_registered_kind_with_its_description(qtbot, panel):
    assert list(panel.palette_buttons) == list(LAYER_KINDS)
    assert set(NEW_KINDS) <= set(panel.palette_buttons)
    for kind in NEW_KINDS:
        assert LAYER_KINDS[kind].summary in panel.palette_buttons[kind].toolTip()


def test_every_family_has_a_colour_and_an_unknown_kind_is_an_error():
    from cnnviz.core.model.layers import FAMILIES
    from cnnviz.qt.builder.style import FAMILY_COLORS, kind_color

    assert set(FAMILIES) <= set(FAMILY_COLORS)
    grey = kind_color("input")
    for name, kind in LAYER_KINDS.items():
        assert kind_color(name).name() == FAMILY_COLORS[kind.family] != grey.name(), name
    assert kind_color("DepthwiseConv2D") == kind_color("Conv2D")  # one family, one colour
    with pytest.raises(SpecError):
        kind_color("Conv3D")  # never a silent grey


@pytest.mark.parametrize("kind", list(LAYER_KINDS))
def test_form_is_generated_from_the_kinds_fields(qtbot, panel, kind):
    from cnnviz.qt.builder.fields import EDITORS

    panel.document.new()
    click(qtbot, panel.palette_buttons[kind])
    layer = panel.document.spec.layers[0]
    assert layer.kind == kind
    assert list(panel.form.editors) == [f.name for f in LAYER_KINDS[kind].fields]
    for fdef in LAYER_KINDS[kind].fields:
        editor = panel.form.editors[fdef.name]
        value = layer.params[fdef.name]
        if fdef.kind == "float":  # shown to the field's decimals
            value = pytest.approx(value, abs=10 ** -(fdef.decimals or 3))
        assert isinstance(editor, EDITORS[fdef.kind]) and editor.value() == value, fdef.name
    assert f"<b>{kind}</b>" in panel.form.summary.text()
    assert panel.diagram.block_tooltip(0).startswith(f"{layer.name}: {layer.describe()}")


def test_dilation_is_a_pair_field_and_its_formula_is_shown(qtbot, panel):
    doc = panel.document
    doc.new(ModelSpec((24, 24, 3), [LayerSpec.make("SeparableConv2D", "sep", filters=8)]))
    panel.select_row(0)
    editor = panel.form.editors["dilation_rate"]
    assert isinstance(editor, PairEditor) and editor.fdef.kind == "pair"
    editor.height_spin.setValue(2)
    editor.width_spin.setValue(3)
    assert doc.spec.layers[0].params["dilation_rate"] == [2, 3]
    table = panel.summary.model
    assert table.index(1, 1).data() == "(None, 20, 18, 8)"
    tip = table.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "k' = k + (k-1)(d-1) = 3 + (3-1)*(2-1) = 5" in tip and "k' = k + (k-1)(d-1) = 3 + (3-1)*(3-1) = 7" in tip
    assert "24x24x3 → 20x18x8" in tip and "channels: filters = 8" in tip
    assert table.index(1, 2).data(Qt.ItemDataRole.ToolTipRole).startswith(
        "k_h*k_w*C_in*m + C_in*m*filters + filters = 3*3*3*1 + 3*1*8 + 8 = 59")
    assert "d2x3" in panel.diagram.block_tooltip(0)
    # a dilated kernel wider than its input marks kernel, dilation and padding
    editor.width_spin.setValue(20)
    assert {name for name, e in panel.form.editors.items() if e.has_error()} == {"kernel_size", "dilation_rate",
                                                                                 "padding"}
    assert "covering 5x41" in panel.form.error_text()


def test_conv2d_strides_with_dilation_is_marked_at_the_dilation_field(qtbot, panel):
    doc = panel.document
    panel.select_row(0)
    panel.form.editors["strides"].height_spin.setValue(2)
    assert doc.can_train
    with qtbot.waitSignal(panel.can_train_changed, timeout=1000):
        panel.form.editors["dilation_rate"].width_spin.setValue(2)
    assert [name for name, e in panel.form.editors.items() if e.has_error()] == ["dilation_rate"]
    assert "cannot be combined with strides 2x1" in panel.form.error_text()
    assert "Cannot be trained" in panel.summary.status_label.text()
    doc.undo_stack.undo()
    assert doc.can_train and not panel.form.editors["dilation_rate"].has_error()


def test_rescaling_keeps_its_exact_scale_and_new_kinds_show_in_the_diagram(qtbot, panel):
    doc = panel.document
    doc.new(ModelSpec((8, 8, 3), [LayerSpec.make("Rescaling", "r"), LayerSpec.make("ZeroPadding2D", "pad", top=0),
                                  LayerSpec.make("LeakyReLU", "leaky", negative_slope=0.1)]))
    panel.select_row(0)
    panel.form.editors["offset"].spin.setValue(-1.0)
    assert doc.spec.layers[0].params == {"scale": 1 / 255, "offset": -1.0}  # untouched fields stay exact
    assert panel.form.editors["scale"].spin.decimals() == LAYER_KINDS["Rescaling"].field("scale").decimals
    assert [b.label for b in panel.diagram._blocks[1:]] == ["Rescaling", "ZeroPad2D", "LeakyReLU"]
    assert [b.activation for b in panel.diagram._blocks[1:]] == ["÷255", "", "α 0.1"]
    assert [b.shape for b in panel.diagram._blocks[1:]] == [(8, 8, 3), (9, 10, 3), (9, 10, 3)]


def test_relu_max_value_is_an_optional_number_with_a_no_cap_box(qtbot, panel):
    from cnnviz.core.model.codegen import keras_code
    from cnnviz.qt.builder.fields import FloatEditor

    doc = panel.document
    doc.new(ModelSpec((8, 8, 3), [LayerSpec.make("Conv2D", "conv", filters=4, activation="relu6"),
                                  LayerSpec.make("ReLU", "relu")]))
    panel.select_row(1)
    editor = panel.form.editors["max_value"]
    assert isinstance(editor, FloatEditor) and editor.fdef.kind == "optional_float"
    assert editor.none_box.text() == "no cap" and editor.is_none() and not editor.spin.isEnabled()
    assert editor.value() is None and [b.activation for b in panel.diagram._blocks[1:]] == ["relu6", ""]
    editor.none_box.setChecked(False)  # offers relu6's cap
    assert doc.spec.layers[1].params == {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}
    assert doc.spec.layers[1].describe() == "ReLU max 6" and panel.diagram._blocks[2].activation == "≤ 6"
    assert "tf.keras.layers.ReLU(max_value=6.0, name='relu')" in keras_code(doc.spec)
    editor.spin.setValue(-1.0)  # below Keras's minimum: kept and reported at the field
    assert doc.spec.layers[1].params["max_value"] == -1.0
    assert editor.has_error() and "max value must be at least 0" in panel.form.error_text()
    doc.undo_stack.undo()  # edits of one field merge: back to no cap, and the form shows it
    assert doc.spec.layers[1].params["max_value"] is None and not editor.has_error()
    assert panel.form.editors["max_value"].is_none() and not panel.form.editors["max_value"].spin.isEnabled()
    doc.undo_stack.redo()
    assert doc.spec.layers[1].params["max_value"] == -1.0 and panel.form.editors["max_value"].has_error()
    panel.form.editors["max_value"].none_box.setChecked(True)
    assert doc.spec.layers[1].params["max_value"] is None and not panel.form.editors["max_value"].has_error()
    panel.form.editors["negative_slope"].spin.setValue(0.1)
    assert panel.diagram._blocks[2].activation == "α 0.1"
