"""cnnviz-cli train --dataset celeba: end to end on a miniature CelebA folder, and its input errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cnnviz import cli
from cnnviz.core.train.runs import read_history
from celeba_miniature import make_celeba

pytestmark = pytest.mark.slow
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


@pytest.fixture(scope="module")
def celeba(tmp_path_factory):
    root = tmp_path_factory.mktemp("celeba")
    make_celeba(root)
    return root


def test_train_celeba_writes_a_complete_run_folder(celeba, tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "cnnviz.cli", "train", "--dataset", "celeba", "--data-dir",
                             str(celeba), "--attribute", "Male", "--preset", "celeba", "--epochs", "1",
                             "--batch-size", "8", "--celeba-train-limit", "16", "--celeba-valid-limit", "4",
                             "--out", str(out)], capture_output=True, text=True, timeout=240, env=ENV)
    assert result.returncode == 0, result.stderr
    assert "training 16 images, validating on 4" in result.stderr and "completed" in result.stdout
    for name in ("spec.json", "config.json", "meta.json", "state.json", "history.jsonl", "metrics.json",
                 "model.keras", "checkpoints/last.keras"):
        assert (out / name).is_file(), name
    assert [r["epoch"] for r in read_history(out / "history.jsonl")] == [0]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["class_names"] == ["not Male", "Male"] and metrics["test_images"] == 8
    assert len(metrics["confusion"]) == 2 and all(len(r) == 2 for r in metrics["confusion"])
    assert sum(map(sum, metrics["confusion"])) == 8 and 0 <= metrics["test_accuracy"] <= 1
    meta = json.loads((out / "meta.json").read_text())["dataset"]
    assert (meta["name"], meta["attribute"], meta["train"], meta["valid"]) == ("celeba", "Male", 16, 4)
    assert meta["input_shape"] == [64, 64, 3]
    data = json.loads((out / "config.json").read_text())["data"]
    assert (data["name"], data["attribute"], data["limit"], data["valid_limit"]) == ("celeba", "Male", 16, 4)


def test_bad_celeba_input_is_one_clear_line(celeba, tmp_path, capsys):
    args = ["train", "--dataset", "celeba", "--preset", "celeba", "--epochs", "1", "--out", str(tmp_path / "r")]
    assert cli.main([*args, "--data-dir", str(celeba), "--attribute", "Beard"]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "'Beard' is not a CelebA attribute" in err and "Smiling" in err
    assert cli.main([*args, "--data-dir", str(tmp_path)]) == cli.EXIT_BAD_INPUT
    assert "no img_align_celeba/ subfolder" in capsys.readouterr().err
    assert cli.main(["train", "--attribute", "Male", "--out", str(tmp_path / "m")]) == cli.EXIT_BAD_INPUT
    assert "only apply to --dataset celeba" in capsys.readouterr().err
