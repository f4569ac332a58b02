"""The app and the CLI run the same Run: a run made in the Training tab and ``cnnviz-cli train`` on its exported run
config train on the same images with the same split and settings, and give identical histories (op determinism on);
the app's run is a run folder in the app's runs folder and shows up in the Runs tab."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

from cnnviz.cli import main as cli_main
from cnnviz.core.data.choice import DataChoice
from cnnviz.core.data.datasets import load_dataset
from cnnviz.core.data.selection import SELECTION_RULE, choose_training_images
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.runs import read_history, read_run_config, write_run_config
from cnnviz.qt.runs.panel import RunsPanel
from run_dir_fixture import app_runs  # noqa: F401 (fixture)
from training_panel_fixtures import no_modal_dialogs, panel  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
L = LayerSpec.make
RUN_TIMEOUT_MS = 120_000
CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")


def tiny_spec() -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=4, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Dropout", "drop", rate=0.25),
                                   L("Flatten", "flatten"), L("Dense", "out", units=10, activation="softmax")],
                     name="tiny")


def app_run(qtbot, panel, *, limit=300, epochs=2, seed=7):
    form = panel.form
    panel.set_spec(tiny_spec())
    form.data_box.limit_spin.setValue(limit)
    form.val_fraction_radio.setChecked(True)
    form.val_fraction_spin.setValue(0.2)
    form.batch_spin.setValue(32)
    form.epochs_spin.setValue(epochs)
    form.lr_spin.setValue(0.01)
    form.seed_spin.setValue(seed)
    form.deterministic_check.setChecked(True)
    with qtbot.waitSignal(panel.model_trained, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    return panel.run_folder


def test_an_app_run_and_the_cli_run_of_its_exported_config_have_identical_histories(qtbot, panel, app_runs,
                                                                                    tmp_path):
    folder = app_run(qtbot, panel)
    assert folder is not None and folder.parent == app_runs and folder.name.endswith("-tiny")
    for name in ("spec.json", "config.json", "meta.json", "state.json", "history.jsonl", "metrics.json",
                 "model.keras", "checkpoints/last.keras"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "state.json").read_text())["status"] == "completed"
    # File > Export as run config writes exactly this (cnnviz.qt.models.ModelActions.export_run_config)
    config, choice = panel.run_config()
    assert config.deterministic and choice.limit == 300 and choice.selection == SELECTION_RULE
    exported = tmp_path / "tiny.run.json"
    write_run_config(exported, spec=tiny_spec().to_dict(), training=config.to_dict(), data=choice.to_dict())
    assert read_run_config(exported)["data"] == json.loads((folder / "config.json").read_text())["data"]
    out = tmp_path / "cli-run"
    assert cli_main(["train", "--config", str(exported), "--out", str(out)]) == 0

    app_history, cli_history = read_history(folder / "history.jsonl"), read_history(out / "history.jsonl")
    assert len(app_history) == len(cli_history) == 2
    for a, c in zip(app_history, cli_history):
        assert [a[k] for k in CURVES] == [c[k] for k in CURVES]          # bit-identical, not approximately
    assert all(np.isfinite(a[k]) for a in app_history for k in CURVES)
    app_meta, cli_meta = (json.loads((f / "meta.json").read_text()) for f in (folder, out))
    assert app_meta["origin"] == "app" and cli_meta["origin"] == "cli"
    assert app_meta["fingerprints"] == cli_meta["fingerprints"]            # the same images, the same split
    assert app_meta["split"] == cli_meta["split"] == {"train": 240, "validation": 60}
    app_metrics, cli_metrics = (json.loads((f / "metrics.json").read_text()) for f in (folder, out))
    assert app_metrics["confusion"] == cli_metrics["confusion"] and app_metrics["test_images"] == 1000
    assert panel.results.evaluation.confusion.tolist() == app_metrics["confusion"]   # the tab shows the run's
    assert json.loads((folder / "config.json").read_text()) == json.loads((out / "config.json").read_text())


def test_the_images_to_use_are_chosen_by_one_rule_in_the_app_and_the_cli(qtbot, panel, tmp_path):
    folder = app_run(qtbot, panel, limit=200, epochs=1, seed=3)
    out = tmp_path / "cli-flags"   # the CLI's own flags, not the exported config
    assert cli_main(["train", "--preset", "fast", "--limit", "200", "--seed", "3", "--val-fraction", "0.2",
                     "--epochs", "1", "--out", str(out)]) == 0
    app_meta, cli_meta = (json.loads((f / "meta.json").read_text()) for f in (folder, out))
    assert app_meta["fingerprints"]["selection"] == cli_meta["fingerprints"]["selection"]
    assert app_meta["fingerprints"]["split"] == cli_meta["fingerprints"]["split"]
    # ...and it is the documented rule: seeded random, every class keeping its share, in file order
    sample = load_dataset("mnist_sample")
    keep = choose_training_images(sample.y_train, 200, 3)
    chosen = DataChoice("mnist_sample", limit=200).load(seed=3)
    np.testing.assert_array_equal(chosen.x_train, sample.x_train[keep])
    assert list(keep) == sorted(keep) and len(set(keep)) == 200
    assert list(keep) != list(range(200))                                   # not the first N
    share = np.bincount(sample.y_train, minlength=10) * 200 / len(sample.y_train)
    assert np.all(np.abs(np.bincount(sample.y_train[keep], minlength=10) - share) < 1)
    assert not np.array_equal(choose_training_images(sample.y_train, 200, 4), keep)   # the seed matters
    np.testing.assert_array_equal(panel.session.data.y_train.shape, (160,))


def test_a_run_made_in_the_training_tab_shows_up_in_the_runs_tab(qtbot, panel, app_runs, tmp_path):
    folder = app_run(qtbot, panel, limit=200, epochs=1)
    runs = RunsPanel()            # lists the app's runs folder (CNNVIZ_RUNS_DIR here) when shown
    qtbot.addWidget(runs)
    runs.resize(1100, 700)
    runs.show()
    assert runs.runs_dir == app_runs
    assert runs.run_paths() == [folder.resolve()]
    cells = [runs.table.item(0, c).text() for c in range(7)]
    assert cells[0] == folder.name and cells[1] == "completed" and cells[3] == "1"
    assert float(cells[6]) == pytest.approx(panel.results.evaluation.accuracy, abs=1e-4)
    xs, _ = runs._curves[folder.resolve()].items["val_loss"].getData()
    assert list(xs) == [1]
    # a CLI run can be compared with it, and the app's run resumes from the CLI
    out = tmp_path / "cli"
    assert cli_main(["train", "--preset", "fast", "--limit", "200", "--epochs", "1", "--out", str(out)]) == 0
    assert runs.open_run(out) and runs.table.rowCount() == 2
    state = json.loads((folder / "config.json").read_text())
    state["training"]["epochs"] = 2
    (folder / "config.json").write_text(json.dumps(state))
    assert cli_main(["train", "--resume", "--out", str(folder)]) == 0
    assert [r["epoch"] for r in read_history(folder / "history.jsonl")] == [0, 1]
    runs.refresh()
    assert runs.table.item(0, 3).text() == "2"
    runs.grab().save(str(_shots() / "runs_tab.png"))
    panel.grab().save(str(_shots() / "training_tab.png"))
    runs.shutdown()


def _shots():
    import os
    from pathlib import Path

    folder = Path(os.environ.get("CNNVIZ_SHOTS", "/tmp/shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_in_the_window_a_training_tab_run_is_listed_in_the_runs_tab_and_its_exported_config_reruns_it(
        qtbot, tmp_path, app_runs, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from cnnviz.qt.main_window import MainWindow
    from cnnviz.qt.settings import AppSettings

    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(QMessageBox, "open", lambda self: None)   # the "Run config written" box
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    win.show()
    win.document.new(tiny_spec())
    qtbot.waitUntil(lambda: win.training.form.dataset is not None, timeout=30_000)
    folder = app_run(qtbot, win.training, limit=200, epochs=1, seed=2)
    assert folder.resolve() in win.runs.run_paths()          # listed as soon as the run folder was created
    win.tabs.setCurrentWidget(win.runs)
    row = win.runs.run_paths().index(folder.resolve())
    assert win.runs.table.item(row, 1).text() == "completed"
    exported = tmp_path / "tiny.run.json"
    command = win.models.export_run_config(exported)           # File > Export as run config
    assert command.startswith(f"cnnviz-cli train --config {exported}")
    out = tmp_path / "rerun"
    assert cli_main(["train", "--config", str(exported), "--out", str(out)]) == 0
    app, cli = read_history(folder / "history.jsonl"), read_history(out / "history.jsonl")
    assert [[r[k] for k in CURVES] for r in app] == [[r[k] for k in CURVES] for r in cli]
