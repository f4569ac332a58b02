"""The Lecture tab's 2D-convolution and receptive-field explorers, driven as a student would."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from cnnviz.core.inspect.textbook import LECTURE_IMAGE, SOBEL_X
from cnnviz.core.model.presets import lecture_mnist
from cnnviz.core.model.receptive_field import receptive_box
from cnnviz.qt.builder.document import SpecDocument
from cnnviz.qt.lecture.conv2d_view import Conv2DLectureView
from cnnviz.qt.lecture.receptive_view import ReceptiveFieldView
from cnnviz.qt.state import AppState


@pytest.fixture
def conv_view(qtbot):
    view = Conv2DLectureView()
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    return view


def test_the_slide_example_gives_the_slides_convolved_feature(conv_view, qtbot):
    conv_view.load_example("slide")
    np.testing.assert_array_equal(conv_view.output, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    assert "agrees" not in conv_view.compare.text() and "equals this one" in conv_view.compare.text()
    assert conv_view.formula.text().startswith("Y[0,0] = \u03a3 X window \u00b7 W rotated 180\u00b0")
    assert conv_view.formula.text().rstrip().endswith("Keras's Conv2D here: 4")
    qtbot.mouseClick(conv_view.step_button, Qt.MouseButton.LeftButton)
    assert (conv_view.steps[conv_view.current].row, conv_view.steps[conv_view.current].col) == (0, 1)
    assert conv_view.padded.highlight == (0, 1, 3, 3)
    # clicking an output cell jumps there
    grid = conv_view.out_grid
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_center(2, 1))
    step = conv_view.steps[conv_view.current]
    assert (step.row, step.col) == (2, 1) and conv_view.padded.highlight == (2, 1, 3, 3)
    assert "o = floor((n + p - m)/s) + 1 = floor((5 + 0 - 3)/1) + 1 = 3 rows" in conv_view.sizes.text()


def test_an_asymmetric_kernel_shows_where_keras_differs_and_the_switch_agrees(conv_view, qtbot):
    conv_view.load_example("sobel")
    assert conv_view.mode.currentText() == "same"
    np.testing.assert_allclose(conv_view.keras_output, -conv_view.output)   # Sobel rotated = -Sobel
    assert "differs" in conv_view.compare.text()
    np.testing.assert_array_equal(conv_view.kernel.values, SOBEL_X[::-1, ::-1])
    conv_view.flip.setChecked(False)   # cross-correlation: both grids are Keras's now
    np.testing.assert_allclose(conv_view.output, conv_view.keras_output)
    np.testing.assert_array_equal(conv_view.kernel.values, SOBEL_X)
    assert "agree" in conv_view.compare.text()


def test_stride_mode_and_typed_matrices(conv_view, qtbot):
    conv_view.load_example("slide_stride2")
    assert conv_view.output.shape == (3, 3)
    conv_view.mode.setCurrentText("full")
    assert conv_view.output.shape == (4, 4) and conv_view.xp.shape == (9, 9)
    conv_view.w_edit.setPlainText("1 2\n3 4")
    conv_view.stride.setValue(1)
    conv_view.x_edit.setPlainText("1, 2, 3\n4, 5, 6")
    np.testing.assert_array_equal(conv_view.output[0], [1, 4, 7, 6])   # full: 1*1, 1*2+2*1, ...
    assert conv_view.error.text() == ""


@pytest.mark.parametrize("text, message", [("1 2\n3", "same number of values"), ("1 x", "line 1: only numbers"),
                                           ("", "empty"), ("1 nan", "finite")])
def test_bad_matrices_get_one_message_and_stop_the_stepper(conv_view, text, message):
    conv_view.x_edit.setPlainText(text)
    assert message in conv_view.error.text()
    assert not conv_view.step_button.isEnabled() and not conv_view.slider.isEnabled()
    conv_view.load_example("slide")
    assert conv_view.error.text() == "" and conv_view.step_button.isEnabled()


def test_valid_kernel_larger_than_the_image_is_refused(conv_view):
    conv_view.x_edit.setPlainText("1 2\n3 4")
    assert "does not fit" in conv_view.error.text()
    np.testing.assert_array_equal(LECTURE_IMAGE.shape, (5, 5))


@pytest.fixture
def field_view(qtbot):
    document = SpecDocument(lecture_mnist())
    state = AppState(document)
    view = ReceptiveFieldView(state)
    qtbot.addWidget(view)
    view.resize(1200, 900)
    view.show()
    yield view
    assert state.shutdown_own_background(30_000)


def test_clicking_a_cell_outlines_its_field_on_the_image(field_view, qtbot):
    spec = lecture_mnist()
    field_view.select_layer("conv_2")
    grid = field_view.cells
    assert grid.values.shape == (14, 14)
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_center(6, 9))
    box = receptive_box(spec, 2, 6, 9)
    assert field_view.picture.highlight == (box.top, box.left, box.height, box.width) == (6, 12, 14, 14)
    assert "sees image rows 6..19 and columns 12..25: 14x14 pixels" in field_view.box_text.text()
    field_view.select_layer("conv_1")
    assert "19,694,080" in field_view.dense_text.text() and "832 weights" in field_view.dense_text.text()
    table = field_view.table
    sizes = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert sizes["conv_1"] == "5 x 5" and sizes["pool_2"] == "16 x 16" and sizes["fc_1"] == "whole image"


def test_effective_field_from_the_gradient_stays_inside_the_box(field_view, qtbot):
    field_view.select_layer("conv_2")
    field_view.select_cell(3, 4)
    qtbot.mouseClick(field_view.effective_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Gradient of" in field_view.effective_text.text(), timeout=60_000)
    assert "the Builder's model with fresh random weights" in field_view.effective_text.text()
    assert "100% of it falls inside the box (the rest: 0 pixels outside)" in field_view.effective_text.text()
    assert field_view.effective.values.max() > 0


def test_the_view_follows_the_builders_model(field_view):
    document = field_view.state.document
    document.load_preset("fast")
    names = [field_view.layer.itemText(i).split()[0] for i in range(field_view.layer.count())]
    assert names == [layer.name for layer in document.spec.layers]
    assert QPoint  # noqa: B018 - imported for cell positions above
