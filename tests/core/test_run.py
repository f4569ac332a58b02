"""The one Run (cnnviz.core.train.run) without a GUI: a run folder, train more, stop before training, refusals."""
from __future__ import annotations

import json

import pytest

from cnnviz.core.data.choice import DataChoice
from cnnviz.core.data.dataset import DatasetError
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import TrainingConfig, TrainingError
from cnnviz.core.train.run import Run
from cnnviz.core.train.runs import app_runs_dir, new_run_folder, read_history

pytestmark = pytest.mark.slow
L = LayerSpec.make


def tiny_spec(units: int = 10) -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=2, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                   L("Dense", "out", units=units, activation="softmax")], name="tiny")


def test_a_run_writes_its_folder_trains_more_and_a_stop_before_training_trains_nothing(tmp_path):
    run = Run.start(tmp_path / "r", data=DataChoice("mnist_sample", limit=120),
                    config=TrainingConfig(batch_size=32, epochs=1, validation_count=20, validation_fraction=None), spec=tiny_spec())
    assert run.snapshots.epochs == [0] and run.session.data.train_count == 100
    result = run.execute()
    assert (result.status, result.epochs_done) == ("completed", 1) and run.evaluation.confusion.sum() == 1000
    assert run.train(2).reason == "completed" and run.epochs_done == 3     # "train more"
    assert json.loads((run.path / "config.json").read_text())["training"]["epochs"] == 3
    assert [r["epoch"] for r in read_history(run.path / "history.jsonl")] == [0, 1, 2]
    assert run.snapshots.epochs == [0, 1, 2, 3]
    run.request_stop()
    finished = run.train(1)
    assert (finished.reason, run.epochs_done) == ("stopped", 3)
    run.finish(finished)
    assert json.loads((run.path / "state.json").read_text())["status"] == "interrupted"
    run.reset_stop()
    assert run.train(1).reason == "completed" and run.epochs_done == 4


def test_a_refused_run_leaves_no_folder(tmp_path):
    with pytest.raises(TrainingError, match="last layer has 5 outputs"):
        Run.start(tmp_path / "r", data=DataChoice("mnist_sample", limit=100), config=TrainingConfig(epochs=1),
                  spec=tiny_spec(5))
    with pytest.raises(DatasetError, match="at least 2 training images"):
        Run.start(tmp_path / "r", data=DataChoice("mnist_sample", limit=1), config=TrainingConfig(epochs=1),
                  spec=tiny_spec())
    assert not (tmp_path / "r").exists()


def test_data_choice_round_trips_and_refuses_what_it_does_not_know():
    choice = DataChoice("folder", path="/data/shapes", limit=500, image_size=(32, 32), color_mode="rgb")
    assert DataChoice.from_dict(json.loads(json.dumps(choice.to_dict()))) == choice
    with pytest.raises(DatasetError, match="unknown data setting"):
        DataChoice.from_dict({"name": "mnist_sample", "limt": 3})
    with pytest.raises(DatasetError, match="unknown image selection 'first'"):
        DataChoice.from_dict({"name": "mnist_sample", "selection": "first"})


def test_the_app_runs_folder_follows_the_platform_unless_told(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv("CNNVIZ_RUNS_DIR", raising=False)
    assert app_runs_dir() == platformdirs.user_data_path("cnnviz", appauthor=False) / "runs"
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path))
    first = new_run_folder("my model/v2")
    assert first.parent == tmp_path and first.name.endswith("-my_model_v2")
    first.mkdir()
    second = new_run_folder("my model/v2")
    assert second != first and not second.exists()   # "-2" within the same second
