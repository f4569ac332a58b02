"""cnnviz-cli train: a preset's training recipe (fast99), flags that override it, --precision with its reason,
and the preset that fits the dataset when none is named (celeba)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from celeba_miniature import make_celeba

pytestmark = pytest.mark.slow
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "cnnviz.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def _training(out) -> dict:
    return json.loads((out / "config.json").read_text())["training"]


def test_the_speed_preset_brings_its_recipe_and_a_flag_overrides_one_setting(tmp_path):
    out = tmp_path / "fast99"
    result = cli("train", "--preset", "fast99", "--limit", "600", "--epochs", "1", "--precision", "mixed_bfloat16",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    t = _training(out)
    assert (t["batch_size"], t["schedule"], t["learning_rate"], t["beta_1"], t["beta_2"]) == \
        (256, "warmup_cosine", 0.01, 0.7, 0.9)
    assert t["epochs"] == 1 and t["precision"] == "mixed_bfloat16"      # the flags given win
    assert "precision: mixed_bfloat16 (as asked)" in result.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert meta["precision"]["policy"] == "mixed_bfloat16"
    plain = tmp_path / "fast"
    result = cli("train", "--preset", "fast", "--limit", "300", "--epochs", "1", "--batch-size", "32",
                 "--precision", "auto", "--out", str(plain))
    assert result.returncode == 0, result.stderr
    t = _training(plain)
    assert (t["batch_size"], t["schedule"], t["learning_rate"], t["beta_1"]) == (32, "constant", 0.001, 0.9)
    assert "precision: auto chose " in result.stderr and t["precision"] == "auto"


def test_bad_precision_and_schedule_are_one_line(tmp_path):
    for flag, value in (("--precision", "half"), ("--schedule", "cyclic")):
        result = cli("train", flag, value, "--out", str(tmp_path / "r"), timeout=60)
        assert result.returncode == 2 and "invalid choice" in result.stderr and value in result.stderr


def test_celeba_without_a_preset_trains_the_celeba_preset(tmp_path):
    root = tmp_path / "celeba"
    root.mkdir()
    make_celeba(root)
    out = tmp_path / "run"
    result = cli("train", "--dataset", "celeba", "--data-dir", str(root), "--epochs", "1", "--batch-size", "8",
                 "--celeba-train-limit", "16", "--celeba-valid-limit", "4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "spec.json").read_text())["name"] == "celeba_gender"
