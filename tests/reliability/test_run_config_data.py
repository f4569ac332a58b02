"""The data part of a run config is untrusted (issue 14, "One clear line"): DataChoice.from_dict checks every value's
type and range, and ``cnnviz-cli train --config bad.json`` (or ``--resume`` on a hand-edited config.json) is one line
naming the setting, exit 2, nothing written."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cnnviz.core.data.choice import MAX_IMAGES, DataChoice
from cnnviz.core.data.dataset import DatasetError

BAD_DATA = {
    "limit-text": ({"limit": "abc"}, "data limit must be a whole number from 1 to 1,000,000,000 (or null for all), "
                                     "not 'abc'"),
    "limit-digits-as-text": ({"limit": "100"}, "data limit must be a whole number"),
    "limit-bool": ({"limit": True}, "data limit must be a whole number from 1 to 1,000,000,000 (or null for all), "
                                    "not True"),
    "limit-zero": ({"limit": 0}, "not 0"),
    "limit-negative": ({"limit": -100}, "not -100"),
    "limit-float": ({"limit": 100.5}, "not 100.5"),
    "limit-whole-float": ({"limit": 100.0}, "not 100.0"),
    "limit-huge": ({"limit": 10 ** 12}, "not 1000000000000"),
    "limit-list": ({"limit": [100]}, "not [100]"),
    "name-unknown": ({"name": "imagenet"}, "data name must be one of mnist_sample, mnist, fashion_mnist, cifar10, "
                                          "folder, celeba, not 'imagenet'"),
    "name-number": ({"name": 7}, "data name must be one of"),
    "name-null": ({"name": None}, "data name must be one of"),
    "size-text": ({"name": "folder", "path": "/x", "image_size": [28, "28"]},
                  "data image_size must be [height, width], whole numbers from 1 to 4096, not [28, '28']"),
    "size-three": ({"name": "folder", "path": "/x", "image_size": [28, 28, 1]}, "not [28, 28, 1]"),
    "size-huge": ({"name": "folder", "path": "/x", "image_size": [100000, 100000]}, "not [100000, 100000]"),
    "size-bool": ({"name": "folder", "path": "/x", "image_size": [True, 28]}, "not [True, 28]"),
    "size-string": ({"name": "folder", "path": "/x", "image_size": "28x28"}, "not '28x28'"),
    "colour": ({"name": "folder", "path": "/x", "color_mode": "cmyk"}, "data color_mode must be one of grayscale, "
                                                                       "rgb, not 'cmyk'"),
    "path-number": ({"name": "folder", "path": 5}, "data path must be the path of a file or folder (text), not 5"),
    "data-dir-list": ({"data_dir": ["/a"]}, "data data_dir must be the path of a file or folder"),
    "valid-limit-text": ({"name": "celeba", "valid_limit": "10"}, "data valid_limit must be a whole number"),
    "test-limit-huge": ({"name": "celeba", "test_limit": MAX_IMAGES + 1}, "data test_limit must be a whole number"),
    "celeba-only": ({"name": "mnist_sample", "valid_limit": 10}, "data valid_limit only applies to the celeba "
                                                                 "dataset, not 'mnist_sample'"),
    "attribute-number": ({"name": "celeba", "attribute": 3}, "data attribute must be the name of a CelebA attribute"),
    "unknown-key": ({"limt": 3}, "unknown data setting(s): limt"),
}


@pytest.mark.parametrize("case", BAD_DATA)
def test_a_bad_data_value_is_one_clear_line(case):
    data, says = BAD_DATA[case]
    with pytest.raises(DatasetError) as info:
        DataChoice.from_dict({"name": "mnist_sample", **data})
    message = str(info.value)
    assert says in message and "\n" not in message and len(message) < 200, message


def test_good_data_settings_still_round_trip():
    for choice in (DataChoice("mnist_sample", limit=1), DataChoice("mnist", data_dir="/d", limit=MAX_IMAGES),
                   DataChoice("folder", path="/data/shapes", limit=500, image_size=(32, 32), color_mode="rgb"),
                   DataChoice("celeba", path="/c", limit=200, attribute="Smiling", valid_limit=50, test_limit=60),
                   DataChoice("fashion", limit=None)):
        assert DataChoice.from_dict(json.loads(json.dumps(choice.to_dict()))) == choice


# --- through the CLI ------------------------------------------------------------------------------------------

def _config(tmp_path, **data_values):
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.train.config import TrainingConfig
    from cnnviz.core.train.runs import write_run_config

    data = {**DataChoice("mnist_sample", limit=100).to_dict(), **data_values}
    path = tmp_path / "bad.run.json"
    write_run_config(path, spec=get_preset("fast").to_dict(), training=TrainingConfig(epochs=1).to_dict(), data=data)
    return path


@pytest.mark.parametrize("value, says", [
    ("abc", "data limit must be a whole number from 1 to 1,000,000,000 (or null for all), not 'abc'"),
    (True, "not True"),
    (0, "not 0"),
    (2.5, "not 2.5"),
    (10 ** 15, "not 1000000000000000"),
])
def test_cli_train_config_with_a_bad_limit_is_one_line_exit_2(capsys, tmp_path, monkeypatch, value, says):
    from cnnviz.cli import main

    monkeypatch.setenv("CNNVIZ_CRASH_DIR", str(tmp_path / "crash"))
    rc = main(["train", "--config", str(_config(tmp_path, limit=value)), "--out", str(tmp_path / "r")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 2 and len(err) == 1, err
    assert err[0].startswith("cnnviz-cli") and ": error: " in err[0] and says in err[0], err
    assert not (tmp_path / "r").exists() and not (tmp_path / "crash").exists()


def test_cli_train_config_with_an_unknown_dataset_is_one_line_exit_2_in_a_real_process(tmp_path):
    path = _config(tmp_path, name="imagenet")
    env = {**os.environ, "CNNVIZ_CRASH_DIR": str(tmp_path / "crash"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "cnnviz.cli", "train", "--config", str(path), "--out",
                             str(tmp_path / "r")], capture_output=True, text=True, timeout=180, env=env)
    err = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(err) == 1 and "data name must be one of mnist_sample" in err[0] and "'imagenet'" in err[0], err
    assert "Traceback" not in result.stderr and not (tmp_path / "r").exists()


@pytest.mark.slow
@pytest.mark.parametrize("key, value, says", [
    ("limit", "abc", "data limit must be a whole number from 1 to 1,000,000,000 (or null for all), not 'abc'"),
    ("name", "imagenet", "data name must be one of"),
    ("image_size", [28, "x"], "data image_size must be [height, width]"),
])
def test_resume_with_hand_edited_data_in_config_json_is_one_line_exit_2(capsys, tmp_path, monkeypatch, key, value,
                                                                       says):
    from cnnviz.cli import main

    monkeypatch.setenv("CNNVIZ_CRASH_DIR", str(tmp_path / "crash"))
    run = tmp_path / "run"
    assert main(["train", "--preset", "fast", "--epochs", "1", "--limit", "60", "--batch-size", "32",
                 "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    config["training"]["epochs"] = 2          # one more epoch to go
    config["data"][key] = value
    (run / "config.json").write_text(json.dumps(config))
    history = (run / "history.jsonl").read_text()
    capsys.readouterr()
    rc = main(["train", "--resume", "--out", str(run)])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 2 and len(err) == 1 and says in err[0], err
    assert (run / "history.jsonl").read_text() == history   # nothing trained
    assert not (tmp_path / "crash").exists()
