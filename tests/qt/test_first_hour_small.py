"""Issue 'A student's first hour', item 8's smaller things: the export name follows the format."""
from __future__ import annotations

from pathlib import Path

import pytest

from cnnviz.qt.export_dialog import ExportDialog


@pytest.fixture
def dialog(qtbot, tmp_path):
    import keras

    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2, "softmax")])
    d = ExportDialog(model, folder=str(tmp_path), name="digits")
    qtbot.addWidget(d)
    yield d
    assert d.shutdown()


def _pick(dialog, fmt: str) -> str:
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
    return Path(dialog.path_edit.text()).name


def test_the_file_name_takes_the_suffix_of_the_chosen_format(dialog, tmp_path):
    assert Path(dialog.path_edit.text()) == tmp_path / "digits.keras"   # the first format's suffix, shown
    assert _pick(dialog, "tflite") == "digits.tflite"                   # not digits.keras.tflite
    assert dialog.target() == tmp_path / "digits.tflite"
    assert _pick(dialog, "weights") == "digits.weights.h5"
    assert _pick(dialog, "onnx") == "digits.onnx"                       # .weights.h5 taken off whole
    assert _pick(dialog, "savedmodel") == "digits"                      # a folder: no suffix
    assert _pick(dialog, "keras") == "digits.keras"
    dialog.path_edit.setText(str(tmp_path / "my.model.v2"))            # a name of the user's own is kept
    assert _pick(dialog, "tflite") == "my.model.v2.tflite"


def test_confusion_matrix_counts_of_four_digits_are_shown_in_full(qtbot):
    import numpy as np

    from cnnviz.core.model.inference import Evaluation
    from cnnviz.qt.training.results import ResultsView

    view = ResultsView()
    qtbot.addWidget(view)
    view.show()
    y = np.repeat(np.arange(3), [1135, 20, 7])            # the full MNIST has 1,135 test images of a 1
    predicted = y.copy()
    predicted[:3] = 2
    probs = np.eye(3, dtype=np.float32)[predicted]
    confusion = np.zeros((3, 3), np.int64)
    np.add.at(confusion, (y, predicted), 1)
    ev = Evaluation(float(np.mean(predicted == y)), predicted, probs.max(axis=1), probs, confusion,
                    confusion.diagonal() / confusion.sum(axis=1))
    view.set_results(ev, np.zeros((len(y), 4, 4, 1), np.float32), y, ("zero", "one", "two"))
    fm = view.table.fontMetrics()
    text = view.confusion_model.index(0, 0).data()
    assert text == "1132"
    assert view.table.columnWidth(0) >= fm.horizontalAdvance(text) + 8   # room for the whole number, no "1..."
    assert view.table.columnWidth(1) >= fm.horizontalAdvance("zero")
