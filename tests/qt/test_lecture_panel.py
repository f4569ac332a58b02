"""The Lecture tab's explorers, driven through their widgets: the loss numbers shown are Keras's loss objects' (and
the hand formulas beside them agree), the pairs are judged from those numbers, a model's test-image prediction
lands in the editors; the dropout cells shown are keras.layers.Dropout's in training mode for the same seed."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cnnviz.core.lecture.dropout import keras_dropout_outputs
from cnnviz.core.lecture.losses import LossCase, keras_losses
from cnnviz.qt.lecture import LecturePanel

TIMEOUT = 60000


@pytest.fixture
def panel(qtbot):
    widget = LecturePanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    yield widget
    assert widget.shutdown(TIMEOUT), "a background job was left running"


def _table(section):
    return [[section.table.item(r, c).text() for c in range(section.table.columnCount())]
            for r in range(section.table.rowCount())]


def _show_loss_view(qtbot, panel):
    view = panel.loss_view
    with qtbot.waitSignals([view.keras_shown, view.keras_shown], timeout=TIMEOUT):
        panel.show()
    return view


def test_multiclass_numbers_shown_are_keras_losses(qtbot, panel):
    view = _show_loss_view(qtbot, panel)
    section = view.sections["multiclass"]
    with qtbot.waitSignal(view.keras_shown, timeout=TIMEOUT):
        section.classes.setValue(4)
    boxes = section.value_boxes
    values = [0.1, 0.6, 0.2, 0.1]
    for box, v in zip(boxes[:-1], values[:-1]):
        box.setValue(v)
    with qtbot.waitSignal(view.keras_shown, timeout=TIMEOUT):
        boxes[-1].lineEdit().selectAll()
        qtbot.keyClicks(boxes[-1].lineEdit(), "0.1")
        qtbot.keyClick(boxes[-1].lineEdit(), Qt.Key.Key_Return)
    with qtbot.waitSignal(view.keras_shown, timeout=TIMEOUT):
        section.label.setValue(2)
    rows = _table(section)
    assert [r[0] for r in rows] == ["CategoricalCrossentropy(from_logits=False)",
                                    "SparseCategoricalCrossentropy(from_logits=False)",
                                    "CategoricalCrossentropy(from_logits=True)",
                                    "SparseCategoricalCrossentropy(from_logits=True)"]
    expected = keras_losses([LossCase("categorical", 2, tuple(values)), LossCase("sparse", 2, tuple(values))])
    for row, want in zip(rows[:2], expected):
        assert float(row[2]) == pytest.approx(want, rel=1e-5)
        assert float(row[3]) == pytest.approx(want, rel=1e-5)   # the formula beside it
    assert float(rows[0][2]) == pytest.approx(-np.log(0.2), rel=1e-5)
    text = section.pairs_label.text()
    assert text.count("✔") == 5 and "≠" not in text       # 4 pairs agree + the formulas line
    assert "0.2" in section.steps.text()


def test_extreme_probabilities_show_keras_clipping(qtbot, panel):
    view = _show_loss_view(qtbot, panel)
    section = view.sections["binary"]
    with qtbot.waitSignal(view.keras_shown, timeout=TIMEOUT):
        section.value_boxes[0].setValue(0.0)        # label 1, p = 0
    rows = _table(section)
    assert len(rows) == 1                            # p = 0 has no finite logit
    (want,) = keras_losses([LossCase("binary", 1, (0.0,))])
    assert float(rows[0][2]) == pytest.approx(want, rel=1e-6) == pytest.approx(16.118, rel=1e-3)
    assert "clipped" in section.steps.text() and "no finite logit" in section.steps.text()


def test_logits_that_saturate_differ_and_the_view_says_why(qtbot, panel):
    view = _show_loss_view(qtbot, panel)
    section = view.sections["multiclass"]
    with qtbot.waitSignal(view.keras_shown, timeout=TIMEOUT):
        section.given.setCurrentIndex(section.given.findData("logits"))
    for box, v in zip(section.value_boxes[1:], (0.0, 30.0)):
        box.setValue(v)
    with qtbot.waitSignal(view.keras_shown, timeout=TIMEOUT):
        section.value_boxes[0].setValue(-30.0)       # label 0
    rows = _table(section)
    assert float(rows[0][2]) == pytest.approx(60.0, rel=1e-5)
    assert float(rows[2][2]) == pytest.approx(16.118, rel=1e-3)     # softmax gives ~0, clipped
    assert "≠" in section.pairs_label.text() and "clipped" in section.pairs_label.text()


def test_use_a_test_image_puts_the_models_prediction_in(qtbot, panel):
    import keras

    from cnnviz.core.data.datasets import load_mnist_sample

    view = _show_loss_view(qtbot, panel)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    panel.state.set_model(model, class_names=[str(i) for i in range(10)], title="tiny")
    with qtbot.waitSignal(view.keras_shown, timeout=TIMEOUT):
        qtbot.mouseClick(view.test_button, Qt.MouseButton.LeftButton)
    section = view.sections["multiclass"]
    data = load_mnist_sample()
    probs = np.asarray(model(data.x_test[:1].astype(np.float32) / 255.0))[0]
    np.testing.assert_allclose(section.values(), probs, atol=1e-6)
    assert section.label.value() == int(data.y_test[0])
    (want,) = keras_losses([LossCase("sparse", int(data.y_test[0]), tuple(section.values()))])
    assert float(_table(section)[1][2]) == pytest.approx(want, rel=1e-5)
    assert "test image 0" in view.test_status.text()


def test_dropout_cells_are_keras_dropout_in_training_mode(qtbot, panel):
    view = panel.dropout_view
    panel.setCurrentWidget(panel.widget(1))
    with qtbot.waitSignal(view.step_shown, timeout=TIMEOUT):
        panel.show()
    with qtbot.waitSignal(view.step_shown, timeout=TIMEOUT):
        view.p_slider.setValue(30)
    with qtbot.waitSignal(view.step_shown, timeout=TIMEOUT):
        view.seed.setValue(42)
    x = view.activations()
    keras = keras_dropout_outputs(x, 0.3, 42, iterations=3)
    for t in range(3):
        if t:
            with qtbot.waitSignal(view.step_shown, timeout=TIMEOUT):
                qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
        assert view.step.iteration == t
        shown = view.grid.texts()
        kept = np.array([out != "dropped" for _, out in shown])
        np.testing.assert_array_equal(kept, keras[t] != 0)
        assert [s for (_, s), k in zip(shown, kept) if k] == [f"{o:.3g}" for o in keras[t][kept]]
        np.testing.assert_array_equal(view.step.outputs, keras[t])     # what the cells were drawn from
        assert f"{view.step.dropped} of {x.size} units dropped" in view.status.text()
        assert "1 / (1 − 0.3) = 1.42857" in view.status.text()
    with qtbot.waitSignal(view.step_shown, timeout=TIMEOUT):
        view.inference.setChecked(True)
    assert all(out != "dropped" for _, out in view.grid.texts())
    assert "no unit dropped" in view.status.text()
    assert not view.next_button.isEnabled()


def test_add_explorer_adds_a_sub_tab(qtbot, panel):
    from PySide6.QtWidgets import QLabel

    extra = panel.add_explorer(QLabel("2D convolution"), "Convolution 2D")
    assert panel.explorer("Convolution 2D") is extra
    titles = [panel.tabText(i) for i in range(panel.count())]
    assert titles[:2] == ["Loss functions", "Dropout"] and titles[-1] == "Convolution 2D"
    assert titles.count("Convolution 2D") == 1



def test_the_window_has_a_lecture_tab_that_keeps_it_small(qtbot):
    from cnnviz.qt.main_window import TAB_TITLES, MainWindow

    window = MainWindow(load_tensorflow=False)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    view = window.lecture.loss_view
    with qtbot.waitSignals([view.keras_shown, view.keras_shown], timeout=TIMEOUT):
        window.tabs.setCurrentIndex(TAB_TITLES.index("Lecture"))
    assert window.tabs.tabText(TAB_TITLES.index("Lecture")) == "Lecture"
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    assert window.lecture.state is window.state
    window.close()


def test_train_with_and_without_dropout_plots_both_runs(qtbot, panel):
    view = panel.dropout_view
    box = view.effect
    view.p_slider.setValue(40)
    box.train_count.setValue(100)
    box.epochs.setValue(2)
    with qtbot.waitSignal(box.finished, timeout=TIMEOUT * 3) as done:
        qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    without, with_ = done.args[0]
    assert with_.rate == 0.4 and len(without.accuracy) == len(with_.accuracy) == 2
    for key, run in ((0.0, without), (1.0, with_)):
        xs, ys = box.curves[(key, "train")].getData()
        assert list(xs) == [1, 2] and list(ys) == pytest.approx(run.accuracy)
        assert list(box.curves[(key, "val")].getData()[1]) == pytest.approx(run.val_accuracy)
    assert f"{without.gap:.3f}" in box.status.text() and f"{with_.gap:.3f}" in box.status.text()
    assert box.button.isEnabled()
