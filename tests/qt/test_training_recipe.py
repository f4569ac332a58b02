"""Issue 18 in the Training tab: the precision and schedule settings reach the run's config, and loading the
fast99 preset brings its training recipe (one choice, as in the CLI)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from cnnviz.core.model.presets import preset_training
from cnnviz.qt.main_window import MainWindow
from cnnviz.qt.settings import AppSettings


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    yield win
    assert win.shutdown(), win.shutdown_registry.failures


def test_the_speed_preset_brings_its_recipe_into_the_form(window):
    form = window.training.form
    assert form.config().schedule == "constant" and form.batch_spin.value() == 64
    window.document.load_preset("fast99")
    config = form.config()
    recipe = preset_training("fast99")
    for key, value in recipe.items():
        assert getattr(config, key) == pytest.approx(value), key
    assert form.schedule_combo.currentText() == "warm-up, then cosine decay" and not form.betas_row.isHidden()
    assert "comes with its training settings" in window.training.message.text()
    assert "batch size 256" in window.training.message.text()
    window.document.load_preset("lecture")          # a preset without a recipe leaves the settings alone
    assert form.config().batch_size == 256
    window.document.undo_stack.undo()               # undo brings the model back, not a second recipe
    assert window.document.spec.name == "fast_to_99"


def test_precision_and_schedule_reach_the_config_and_say_what_they_do(window):
    form = window.training.form
    form.precision_combo.setCurrentIndex(form.precision_combo.findData("auto"))
    form.schedule_combo.setCurrentIndex(form.schedule_combo.findData("warmup_cosine"))
    config = form.config()
    assert (config.precision, config.schedule) == ("auto", "warmup_cosine") and config.problems() == []
    assert "output layer stay float32" in form.precision_combo.toolTip()
    assert "cosine" in form.schedule_combo.toolTip()
    form.optimizer_combo.setCurrentIndex(form.optimizer_combo.findData("sgd"))
    assert form.betas_row.isHidden() and not form.momentum_spin.isHidden()


def test_a_dataset_suggests_epochs_and_validation_only_until_they_are_chosen_and_says_so(window, qtbot,
                                                                                          mnist_npz_path):
    form = window.training.form
    qtbot.waitUntil(lambda: form.dataset is not None, timeout=60_000)   # the bundled sample: 5 epochs
    assert form.epochs_spin.value() == 5
    form.data_box.select("mnist")
    form.data_box.set_folder(str(mnist_npz_path))
    qtbot.waitUntil(lambda: form.dataset is not None and form.dataset.name == "mnist", timeout=120_000)
    # the full MNIST suggests the lecture's 20 epochs and 10,000 held out, and the form says so
    assert form.epochs_spin.value() == 20 and form.val_count_radio.isChecked()
    assert form.val_count_spin.value() == 10_000
    note = form.suggestion_note.text()
    assert "epochs 20" in note and "validation 10,000 images" in note and not form.suggestion_note.isHidden()
    # a recipe (or the user) chooses the epochs: the next dataset leaves them alone
    window.document.load_preset("fast99")
    assert form.epochs_spin.value() == 2
    form.data_box.select("mnist_sample")
    qtbot.waitUntil(lambda: form.dataset is not None and form.dataset.name == "mnist_sample", timeout=60_000)
    assert form.epochs_spin.value() == 2 and "epochs" not in form.suggestion_note.text()
