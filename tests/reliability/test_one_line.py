"""Every failure is one clear line, never a traceback (issue 14).

The CLI's one rule (cnnviz.cli.main): bad input or a full disk is one line on stderr and exit 2; anything else is
one line naming a crash report (traceback and versions) and exit 1. Each case the issue found ending in a
traceback is driven here through the real CLI (``main([...])`` in this process; real subprocesses where the
process's own output or a hang is the point). The Runs tab shows damaged run folders per run, and the app shows the
CLI's line in a dialog after autosaving the model.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnviz.cli import main

pytestmark = pytest.mark.slow
PROGRESS = ("training ", "epoch ", "cnnviz-cli: warning: ")


@pytest.fixture(autouse=True)
def _crash_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CRASH_DIR", str(tmp_path / "crash-reports"))
    return tmp_path / "crash-reports"


def error_line(capsys, argv, code=2) -> str:
    """Run the CLI; the exit status is ``code`` and stderr holds exactly one ``cnnviz-cli...: error`` line (besides
    training progress), no traceback. Returns that line."""
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == code, err
    assert "Traceback" not in err, err
    others = [line for line in lines if not line.startswith(PROGRESS)]
    assert len(others) == 1, err
    assert others[0].startswith("cnnviz-cli") and (": error: " in others[0] if code == 2 else True), err
    return others[0]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A finished one-epoch run folder of the fast preset on 100 MNIST sample images."""
    out = tmp_path_factory.mktemp("trained") / "run"
    assert main(["train", "--preset", "fast", "--epochs", "1", "--limit", "100", "--batch-size", "32",
                 "--out", str(out)]) == 0
    return out


def resumable_copy(trained_run: Path, tmp_path: Path) -> Path:
    run = tmp_path / "copy"
    shutil.copytree(trained_run, run)
    config = json.loads((run / "config.json").read_text())
    config["training"]["epochs"] = 2   # one more epoch to go, so --resume loads the checkpoint
    (run / "config.json").write_text(json.dumps(config))
    state = json.loads((run / "state.json").read_text())
    state["status"] = "interrupted"
    (run / "state.json").write_text(json.dumps(state))
    return run


# --- data files that lie -----------------------------------------------------------------------------

def _npy_claiming(shape) -> bytes:
    header = repr({"descr": "|u1", "fortran_order": False, "shape": tuple(shape)}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\x00" * 64


def test_npz_declaring_a_trillion_images_is_one_line(capsys, tmp_path):
    import zipfile

    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x_train.npy", _npy_claiming((10 ** 12, 28, 28)))
        zf.writestr("y_train.npy", _npy_claiming((10 ** 12,)))
        zf.writestr("x_test.npy", _npy_claiming((1, 28, 28)))
        zf.writestr("y_test.npy", _npy_claiming((1,)))
    error_line(capsys, ["train", "--dataset", "mnist", "--data-path", path, "--epochs", "1", "--out", tmp_path / "r"])


def _idx(code: int, dims: list[int], body: bytes = b"") -> bytes:
    return bytes([0, 0, code, len(dims)]) + b"".join(int(d).to_bytes(4, "big") for d in dims) + body


@pytest.mark.parametrize("images", [
    _idx(0x08, [2 ** 16, 2 ** 16, 2 ** 16, 2 ** 16], b"\x00" * 16),   # 2^64 bytes: the product wraps in uint64
    _idx(0x08, [1] * 255, b"\x00"),                                    # 255 dimensions
], ids=["wrapping-product", "255-dimensions"])
def test_lying_idx_headers_are_one_line(capsys, tmp_path, images):
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(images)
    (folder / "train-labels-idx1-ubyte").write_bytes(_idx(0x08, [1], b"\x00"))
    (folder / "t10k-images-idx3-ubyte").write_bytes(_idx(0x08, [1, 2, 2], b"\x00" * 4))
    (folder / "t10k-labels-idx1-ubyte").write_bytes(_idx(0x08, [1], b"\x00"))
    line = error_line(capsys, ["train", "--dataset", "mnist", "--data-path", folder, "--epochs", "1",
                               "--out", tmp_path / "r"])
    assert "train-images-idx3-ubyte" in line


def test_a_zero_byte_jpeg_in_a_celeba_split_is_one_line_and_the_run_is_not_left_running(capsys, tmp_path):
    from celeba_miniature import make_celeba

    make_celeba(tmp_path / "celeba")
    (tmp_path / "celeba" / "img_align_celeba" / "000005.jpg").write_bytes(b"")   # a training image
    out = tmp_path / "faces"
    line = error_line(capsys, ["train", "--dataset", "celeba", "--data-dir", tmp_path / "celeba", "--preset",
                               "celeba", "--epochs", "1", "--batch-size", "8", "--out", out])
    assert "image" in line
    if (out / "state.json").exists():   # refused mid-epoch: the folder says how it ended
        assert json.loads((out / "state.json").read_text())["status"] != "running"


def test_celeba_without_a_partition_file_names_the_image_folder(capsys, tmp_path):
    from celeba_miniature import make_celeba

    make_celeba(tmp_path / "celeba")
    (tmp_path / "celeba" / "list_eval_partition.txt").unlink()
    line = error_line(capsys, ["train", "--dataset", "celeba", "--data-dir", tmp_path / "celeba", "--epochs", "1",
                               "--out", tmp_path / "r"])
    assert "partition" in line and "img_align_celeba/" in line and "{IMAGE_DIR}" not in line


# --- training that fails on the way ------------------------------------------------------------------

def test_a_full_disk_during_training_is_one_line(capsys, tmp_path, monkeypatch):
    from cnnviz.core.train import runs

    def no_space(model, path, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(runs, "save_model_atomic", no_space)   # the epoch's checkpoint write
    out = tmp_path / "run"
    line = error_line(capsys, ["train", "--preset", "fast", "--epochs", "2", "--limit", "100", "--out", out])
    assert "the disk is full" in line and "last.keras" in line
    assert json.loads((out / "state.json").read_text())["status"] != "running"


def test_resume_on_a_truncated_checkpoint_is_one_line(capsys, tmp_path, trained_run):
    run = resumable_copy(trained_run, tmp_path)
    checkpoint = run / "checkpoints" / "last.keras"
    checkpoint.write_bytes(checkpoint.read_bytes()[: checkpoint.stat().st_size // 2])
    line = error_line(capsys, ["train", "--resume", "--out", run])
    assert "last.keras" in line and "--overwrite" in line


def test_resume_on_a_checkpoint_that_carries_code_is_refused_in_one_line(capsys, tmp_path, trained_run):
    import keras

    run = resumable_copy(trained_run, tmp_path)
    marker = tmp_path / "ran"
    inputs = keras.Input((28, 28, 1))
    hostile = keras.layers.Lambda(lambda t: t * 2)(inputs)   # a Python lambda: code in the file
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(hostile))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.save(run / "checkpoints" / "last.keras")
    line = error_line(capsys, ["train", "--resume", "--out", run])
    assert "last.keras" in line and "Lambda" in line
    assert not marker.exists()


def _saved(tmp_path, name, build) -> Path:
    import keras

    path = tmp_path / f"{name}.keras"
    build(keras).save(path)
    return path


def test_train_model_with_two_inputs_is_one_line(capsys, tmp_path):
    def build(keras):
        a, b = keras.Input((28, 28, 1)), keras.Input((28, 28, 1))
        out = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(keras.layers.Concatenate()([a, b])))
        return keras.Model([a, b], out)

    line = error_line(capsys, ["train", "--model", _saved(tmp_path, "two", build), "--epochs", "1", "--limit", "50",
                               "--out", tmp_path / "r"])
    assert "2 input(s)" in line


def test_train_model_with_a_feature_map_output_is_one_line(capsys, tmp_path):
    def build(keras):
        x = keras.Input((28, 28, 1))
        return keras.Model(x, keras.layers.Conv2D(10, 3, activation="softmax")(x))

    line = error_line(capsys, ["train", "--model", _saved(tmp_path, "fmap", build), "--epochs", "1", "--limit", "50",
                               "--out", tmp_path / "r"])
    assert "(None, 26, 26, 10)" in line and "feature map" in line


# --- settings of the wrong type or range ---------------------------------------------------------------

@pytest.mark.parametrize("section, key, value, says", [
    ("training", "momentum", 1e6, "momentum must be a number from 0 to 1"),
    ("data", "limit", "abc", "limit must be a whole number"),
    ("training", "seed", 2 ** 70, "seed must be a whole number from 0 to 4294967295"),
    ("training", "seed", "1", "seed must be a whole number"),
    ("training", "learning_rate", "0.1", "learning rate must be a number"),
    ("training", "augment", {"contrast": [1]}, "contrast must be a number"),
])
def test_wrongly_typed_run_config_values_are_one_line(capsys, tmp_path, section, key, value, says):
    from cnnviz.core.data.choice import DataChoice
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.train.config import TrainingConfig
    from cnnviz.core.train.runs import write_run_config

    training = TrainingConfig(epochs=1, optimizer="sgd").to_dict()
    data = DataChoice("mnist_sample", limit=100).to_dict()
    {"training": training, "data": data}[section][key] = value
    path = tmp_path / "hostile.run.json"
    write_run_config(path, spec=get_preset("fast").to_dict(), training=training, data=data)
    line = error_line(capsys, ["train", "--config", path, "--out", tmp_path / "r"])
    assert says in line
    assert not (tmp_path / "r").exists()


def test_resume_with_a_hand_edited_config_json_is_one_line(capsys, tmp_path, trained_run):
    run = resumable_copy(trained_run, tmp_path)
    config = json.loads((run / "config.json").read_text())
    config["training"]["seed"] = "1"
    (run / "config.json").write_text(json.dumps(config))
    assert "seed must be a whole number" in error_line(capsys, ["train", "--resume", "--out", run])


@pytest.mark.parametrize("argv, says", [
    (["train", "--limit", "0"], "argument --limit/--celeba-train-limit: must be at least 1, not 0"),
    (["train", "--limit", "-100"], "must be at least 1, not -100"),
    (["train", "--limit", "many"], "expected a whole number, not 'many'"),
    (["train", "--celeba-valid-limit", "-1"], "--celeba-valid-limit: must be at least 1"),
    (["train", "--epochs", "x"], "argument --epochs: invalid int value: 'x'"),
], ids=["limit-0", "limit-negative", "limit-text", "valid-limit", "epochs-text"])
def test_bad_counts_are_refused_in_one_line(capsys, tmp_path, argv, says):
    out = tmp_path / "r"
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--out", str(out)])
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert caught.value.code == 2
    assert len(lines) == 1 and says in lines[0] and "usage:" not in lines[0], lines
    assert not out.exists()


def test_a_negative_seed_is_refused_in_one_line(capsys, tmp_path):
    line = error_line(capsys, ["train", "--seed", "-1", "--out", tmp_path / "r"])
    assert "seed must be a whole number from 0 to 4294967295, got -1" in line
    assert not (tmp_path / "r").exists()


def test_export_check_images_minus_one_is_one_line(capsys, tmp_path, trained_run):
    with pytest.raises(SystemExit) as caught:
        main(["export", str(trained_run), "--format", "keras", "--out", str(tmp_path / "m.keras"),
              "--check-images", "-1"])
    lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert caught.value.code == 2 and len(lines) == 1
    assert "--check-images: must be at least 0, not -1" in lines[0]
    assert not (tmp_path / "m.keras").exists()


# --- files that are not files -------------------------------------------------------------------------

def run_cli(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "cnnviz.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_summary_of_dev_zero_and_of_a_fifo_never_hangs(tmp_path):
    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)
    for path, kind in (("/dev/zero", "a device"), (fifo, "a pipe (FIFO)")):
        result = run_cli("summary", "--spec", path, timeout=60)   # before the fix: /dev/zero grew, the FIFO hung
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == f"cnnviz-cli: error: {path} is {kind}, not a file"


def test_a_run_config_that_is_a_fifo_is_refused(capsys, tmp_path):
    fifo = tmp_path / "config.run.json"
    os.mkfifo(fifo)
    assert "a pipe (FIFO)" in error_line(capsys, ["train", "--config", fifo, "--out", tmp_path / "r"])


# --- the unexpected: one line and a crash report --------------------------------------------------------

def test_an_unexpected_error_is_one_line_naming_a_crash_report(capsys, monkeypatch, _crash_dir):
    from cnnviz.core.model import shapes

    def broken(spec):
        return 1 / 0

    monkeypatch.setattr(shapes, "infer_shapes", broken)
    line = error_line(capsys, ["summary", "--preset", "lecture"], code=1)
    assert line.startswith("cnnviz-cli: unexpected error (ZeroDivisionError: division by zero); crash report: ")
    report = Path(line.rsplit("crash report: ", 1)[1])
    assert report.parent == _crash_dir and report.is_file()
    text = report.read_text()
    assert "Traceback (most recent call last)" in text and "in broken" in text and "ZeroDivisionError" in text
    import keras
    import platform

    for needle in (f"python: {platform.python_version()}", f"numpy: {np.__version__}", f"keras: {keras.__version__}",
                   "tensorflow: 2.", "cnnviz: ", "platform: "):
        assert needle in text, text


def test_the_crash_report_folder_defaults_to_the_platforms_log_folder(monkeypatch):
    import platformdirs

    from cnnviz.core.errors import crash_dir

    monkeypatch.delenv("CNNVIZ_CRASH_DIR")
    assert crash_dir() == Path(platformdirs.user_log_dir("cnnviz", appauthor=False))


# --- TensorFlow's start-up lines ----------------------------------------------------------------------

def test_tensorflow_start_up_lines_stay_out_of_the_cli_unless_asked(trained_run):
    from cnnviz.core.tf_runtime import drop_startup_lines

    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "CNNVIZ_TF_LOG")}
    quiet = run_cli("import", trained_run, env=env)   # loads the model: imports TensorFlow
    assert quiet.returncode == 0, quiet.stderr
    for needle in ("oneDNN", "cpu_feature_guard", "absl::InitializeLog", "rebuild TensorFlow"):
        assert needle not in quiet.stderr, quiet.stderr
    assert drop_startup_lines(quiet.stderr.encode()) == quiet.stderr.encode()
    loud = run_cli("import", trained_run, env={**env, "CNNVIZ_TF_LOG": "1"})
    assert loud.returncode == 0
    assert drop_startup_lines(loud.stderr.encode()) != loud.stderr.encode(), loud.stderr   # the user asked


def test_tensorflow_start_up_lines_stay_out_of_the_app():
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "CNNVIZ_TF_LOG")}
    result = subprocess.run([sys.executable, "-m", "cnnviz", "--report-startup"], capture_output=True, text=True,
                            timeout=180, env={**env, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "tensorflow_ready_s=" in result.stdout
    for needle in ("oneDNN", "cpu_feature_guard", "absl::InitializeLog"):
        assert needle not in result.stderr, result.stderr


# --- the Runs tab reads damaged run folders ------------------------------------------------------------

GOOD_EPOCH = {"epoch": 0, "loss": 1.0, "accuracy": 0.5, "val_loss": 1.1, "val_accuracy": 0.4, "seconds": 2.0}


def _run_folder(root: Path, name: str, **files) -> Path:
    run = root / name
    (run / "checkpoints").mkdir(parents=True)
    contents = {"config.json": json.dumps({"training": {}, "data": {}}),
                "state.json": json.dumps({"status": "completed", "epochs_done": 1}),
                "history.jsonl": json.dumps(GOOD_EPOCH) + "\n",
                "metrics.json": json.dumps({"test_accuracy": 0.5}), **files}
    for file, content in contents.items():
        if content is None:
            (run / file).mkdir()
        elif isinstance(content, bytes):
            (run / file).write_bytes(content)
        else:
            (run / file).write_text(content)
    return run


DAMAGED = {
    "state-list": ({"state.json": "[1, 2]"}, "state.json holds a list"),
    "metrics-list": ({"metrics.json": "[]"}, "metrics.json holds a list"),
    "metrics-string": ({"metrics.json": json.dumps({"test_accuracy": "0.9"})}, "test_accuracy is '0.9'"),
    "history-strings": ({"history.jsonl": json.dumps({**GOOD_EPOCH, "loss": "low"}) + "\n"
                         + json.dumps({**GOOD_EPOCH, "epoch": 1}) + "\n"}, "loss is 'low', not a number"),
    "history-folder": ({"history.jsonl": None}, "history.jsonl is a folder"),
    "history-not-utf8": ({"history.jsonl": b"\xff\xfe\x00garbage\n"}, "history.jsonl is not UTF-8"),
}


# --- the app: the same line, the work kept ---------------------------------------------------------------

@pytest.fixture
def app_window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    from cnnviz.qt.main_window import MainWindow
    from cnnviz.qt.settings import AppSettings

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)             # restored after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    win = MainWindow(load_tensorflow=False,
                     settings=AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(win)
    return win


def test_the_app_shows_a_user_error_of_another_thread_as_its_line(qtbot, app_window, _crash_dir):
    from cnnviz.core.data.dataset import DatasetError
    from cnnviz.qt.main_window import install_excepthook

    reporter = install_excepthook(app_window)

    def fail():
        raise DatasetError("images.npz: x_train declares 10^12 images")

    thread = threading.Thread(target=fail, name="loader")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None, timeout=5000)   # shown in the GUI thread (queued)
    assert reporter.dialog.text().splitlines()[0] == "images.npz: x_train declares 10^12 images"
    assert not _crash_dir.exists()   # a user error writes no crash report
