"""CelebA in the Training tab, driven like a user: choose the folder, see counts and faces, train, see results."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from cnnviz.core.data.celeba import CELEBA_ATTRIBUTES
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from training_panel_fixtures import no_modal_dialogs, panel  # noqa: F401 (fixtures)
from run_dir_fixture import app_runs  # noqa: F401 (fixture)
from cnnviz.qt.training.data_box import CELEBA, CelebASource
from celeba_miniature import make_celeba

pytestmark = pytest.mark.slow
L = LayerSpec.make
MALE = CELEBA_ATTRIBUTES.index("Male")
RUN_TIMEOUT_MS = 90_000


def small_celeba_spec() -> ModelSpec:
    return ModelSpec((64, 64, 3), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                   L("GlobalAveragePooling2D", "gap"),
                                   L("Dense", "out", units=1, activation="sigmoid")], name="tiny_celeba")


def choose_celeba(qtbot, panel, folder: Path, monkeypatch) -> None:
    box = panel.form.data_box
    box.select(CELEBA)
    assert box.folder_row.isVisible() and box.attribute_combo.isVisible()
    assert box.attribute_combo.currentText() == "Male" and box.attribute_combo.count() == 40
    assert panel.form.dataset is None and not panel.train_button.isEnabled()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    qtbot.mouseClick(box.browse_button, Qt.MouseButton.LeftButton)


def test_celeba_from_a_folder_previews_trains_and_shows_a_2x2_confusion_matrix(qtbot, panel, tmp_path, monkeypatch):
    root = tmp_path / "celeba"
    truth = make_celeba(root)
    panel.set_spec(small_celeba_spec())
    choose_celeba(qtbot, panel, root, monkeypatch)
    box = panel.form.data_box
    qtbot.waitUntil(lambda: isinstance(panel.form.dataset, CelebASource), timeout=60_000)
    src = panel.form.dataset
    male = truth["attrs"][:, MALE] == 1
    assert src.counts == {"train": 24, "valid": 8, "test": 8}
    assert src.positives == {"train": int(male[:24].sum()), "valid": int(male[24:32].sum()),
                             "test": int(male[32:].sum())}
    assert "24" in box.status.text() and "Male" in box.status.text() and not box.error.isVisible()
    assert box.preview.item_count() == 16 and src.x_train.shape == (16, 64, 64, 3)
    assert src.x_train.dtype == np.uint8
    # brighter faces are Male: the preview's labels agree with what it shows
    bright = src.x_train.reshape(16, -1).mean(axis=1) > 120
    np.testing.assert_array_equal(bright, src.y_train == 1)
    # another attribute: counted again from the index already read
    box.attribute_combo.setCurrentText("Smiling")
    qtbot.waitUntil(lambda: getattr(panel.form.dataset, "attribute", None) == "Smiling", timeout=30_000)
    smiling = truth["attrs"][:, CELEBA_ATTRIBUTES.index("Smiling")] == 1
    assert panel.form.dataset.positives["train"] == int(smiling[:24].sum())
    assert panel.form.dataset.class_names == ("not Smiling", "Smiling")
    assert panel.form.dataset.index is src.index
    box.attribute_combo.setCurrentText("Male")
    qtbot.waitUntil(lambda: getattr(panel.form.dataset, "attribute", None) == "Male", timeout=30_000)
    # a model for the wrong input is refused with the compatibility message
    panel.set_spec(ModelSpec((28, 28, 1), [L("Flatten", "flatten"), L("Dense", "out", units=10,
                                                                       activation="softmax")]))
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert "expects 28x28x1 images but the dataset's are 64x64x3" in panel.message.text()
    panel.set_spec(small_celeba_spec())
    assert panel.train_problems() == []
    form = panel.form
    form.batch_spin.setValue(8)
    form.epochs_spin.setValue(1)
    box.limit_spin.setValue(16)
    with qtbot.waitSignal(panel.model_trained, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    model = blocker.args[0]
    assert model.outputs[0].shape[-1] == 1 and tuple(model.inputs[0].shape[1:]) == (64, 64, 3)
    assert panel.class_names == ("not Male", "Male")
    assert panel.session.epochs_done == 1
    assert panel.session.data.train_count == 16 and panel.session.data.val_count == 8
    ev = panel.results.evaluation
    assert ev.confusion.shape == (2, 2) and ev.confusion.sum() == 8
    assert panel.results.confusion_model.rowCount() == 2
    assert "Test accuracy" in panel.message.text()
    assert panel.snapshots.latest.feature_maps.shape == (62, 62, 4)


def test_a_folder_that_is_not_celeba_shows_the_message(qtbot, panel, tmp_path, monkeypatch):
    (tmp_path / "cats").mkdir()
    choose_celeba(qtbot, panel, tmp_path, monkeypatch)
    box = panel.form.data_box
    qtbot.waitUntil(lambda: box.error.isVisible(), timeout=30_000)
    assert "is not a CelebA folder" in box.error.text() and "img_align_celeba" in box.error.text()
    assert panel.form.dataset is None and not panel.train_button.isEnabled()
    assert not box.sample_button.isVisible()


def test_a_celeba_run_in_the_app_and_its_run_config_in_the_cli_match(qtbot, panel, tmp_path, monkeypatch, app_runs):
    import json

    from cnnviz.cli import main as cli_main
    from cnnviz.core.train.runs import read_history, write_run_config

    root = tmp_path / "celeba"
    make_celeba(root)
    panel.set_spec(small_celeba_spec())
    choose_celeba(qtbot, panel, root, monkeypatch)
    qtbot.waitUntil(lambda: isinstance(panel.form.dataset, CelebASource), timeout=60_000)
    form = panel.form
    form.batch_spin.setValue(8)
    form.epochs_spin.setValue(2)
    form.seed_spin.setValue(4)
    form.deterministic_check.setChecked(True)
    form.data_box.limit_spin.setValue(16)
    with qtbot.waitSignal(panel.model_trained, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    config, choice = panel.run_config()
    assert (choice.name, choice.path, choice.limit, choice.attribute) == ("celeba", str(root), 16, "Male")
    assert (choice.valid_limit, choice.test_limit) == (1000, 1000)   # the data box's limits travel with it
    exported = tmp_path / "faces.run.json"
    write_run_config(exported, spec=small_celeba_spec().to_dict(), training=config.to_dict(), data=choice.to_dict())
    out = tmp_path / "cli"
    assert cli_main(["train", "--config", str(exported), "--out", str(out)]) == 0
    curves = ("loss", "accuracy", "val_loss", "val_accuracy")
    app = [[r[k] for k in curves] for r in read_history(panel.run_folder / "history.jsonl")]
    cli = [[r[k] for k in curves] for r in read_history(out / "history.jsonl")]
    assert len(app) == 2 and app == cli
    app_metrics, cli_metrics = (json.loads((f / "metrics.json").read_text()) for f in (panel.run_folder, out))
    assert app_metrics["confusion"] == cli_metrics["confusion"] and app_metrics["test_images"] == 8
