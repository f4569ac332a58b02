"""Lecture > Channels and pooling driven like a student: one-click examples, stepping, clicking cells, a bad map."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cnnviz.core.lecture.channels import RGB_BIAS, RGB_IMAGE, RGB_KERNEL
from cnnviz.qt.lecture.channels_view import ChannelsPoolingView, _n


@pytest.fixture
def view(qtbot):
    v = ChannelsPoolingView()
    qtbot.addWidget(v)
    v.resize(1100, 1150)
    v.show()
    return v


def test_rgb_steps_show_each_channel_and_the_sum_tensorflow_computes(view, qtbot):
    import tensorflow as tf

    ref = tf.nn.conv2d(RGB_IMAGE[None], RGB_KERNEL, 1, "VALID")[0, ..., 0].numpy() + RGB_BIAS
    qtbot.mouseClick(view.rgb_steps.step_button, Qt.MouseButton.LeftButton)
    assert view.conv_step.index == (0, 1)
    qtbot.mouseClick(view.rgb_out, Qt.MouseButton.LeftButton, pos=view.rgb_out.cell_center(2, 1))
    s = view.conv_step
    assert s.index == (2, 1) and s.value == pytest.approx(ref[2, 1])
    assert view.rgb_formula.text().endswith(f"= {ref[2, 1]:g}")
    for c, grid in enumerate(view.channel_grids):   # the same window in all three channels
        assert grid.highlight == (2, 1, 3, 3)
        assert view.sum_labels[c].text().endswith(f"<b>{_n(s.channel_sums[c])}</b>")
    assert sum(s.channel_sums) + RGB_BIAS == pytest.approx(s.value)
    assert view.rgb_out.filled[2, 1] and not view.rgb_out.filled[2, 2]
    np.testing.assert_allclose(view.conv_output, ref)


def test_rgb_example_with_stride_2_and_same_padding(view):
    import tensorflow as tf

    view.load_example("rgb_stride2")
    assert view.rgb_stride.value() == 2 and view.rgb_padding.currentText() == "same"
    ref = tf.nn.conv2d(RGB_IMAGE[None], RGB_KERNEL, 2, "SAME")[0, ..., 0].numpy() + RGB_BIAS
    np.testing.assert_allclose(view.conv_output, ref)
    assert "= 3 rows" in view.rgb_note.text()
    assert view.channel_grids[0].padding[0, 0] and not view.channel_grids[0].padding[1, 1]


@pytest.mark.parametrize("key", ["max", "average", "max_overlap", "average_same"])
def test_pool_examples_equal_keras_layers(view, key):
    import keras

    view.load_example(key)
    ex = view.current_pool()
    layer = (keras.layers.MaxPooling2D if ex.mode == "max" else keras.layers.AveragePooling2D)(
        pool_size=ex.size, strides=ex.stride, padding=ex.padding)
    ref = np.asarray(layer(ex.x[None, ..., None].astype(np.float32)))[0, ..., 0]
    np.testing.assert_allclose(view.pool_output, ref, rtol=1e-6)


def test_pool_step_marks_the_maximum_and_writes_the_sum(view, qtbot):
    view.load_example("max")
    qtbot.mouseClick(view.pool_out, Qt.MouseButton.LeftButton, pos=view.pool_out.cell_center(1, 0))
    assert view.pool_step.index == (1, 0)
    assert view.pool_in.highlight == (2, 0, 2, 2) and view.pool_in.marks == [(3, 1)]   # the 8
    assert view.pool_formula.text() == "pooled[1, 0] = max(7, 2, 1, 8) = 8"
    view.pool_mode.setCurrentIndex(view.pool_mode.findData("average"))
    assert view.pool_formula.text() == "pooled[0, 0] = (1 + 3 + 5 + 6) / 4 = 3.75"
    assert view.pool_in.marks == []


def test_a_bad_feature_map_says_which_line_and_recovers(view):
    view.pool_edit.setPlainText("1 2\n3 x")
    assert "line 2" in view.pool_error.text() and not view.pool_steps.isEnabled()
    view.pool_edit.setPlainText("1 2\n3 4")
    assert view.pool_error.text() == "" and view.pool_steps.isEnabled()
    assert view.pool_output.tolist() == [[4.0]]
    view.pool_size.setValue(3)   # a window larger than the map: said, not a traceback
    assert view.pool_error.text() and not view.pool_steps.isEnabled()


def test_unknown_example_is_refused(view):
    with pytest.raises(KeyError, match="known: rgb"):
        view.load_example("nope")
