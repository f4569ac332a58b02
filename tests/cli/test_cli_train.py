"""cnnviz-cli train: a complete run folder, kill and resume, mirrored strategy, bad input."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from cnnviz.core.train.runs import read_history

pytestmark = pytest.mark.slow
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def cli(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "cnnviz.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def test_train_writes_a_complete_run_folder(tmp_path):
    out = tmp_path / "run"
    result = cli("train", "--preset", "fast", "--limit", "600", "--epochs", "2", "--batch-size", "32",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "epoch 2/2" in result.stderr and "completed" in result.stdout
    for name in ("spec.json", "config.json", "meta.json", "state.json", "history.jsonl", "metrics.json",
                 "model.keras", "checkpoints/last.keras", "checkpoints/best.keras"):
        assert (out / name).is_file(), name
    history = read_history(out / "history.jsonl")
    assert [r["epoch"] for r in history] == [0, 1]
    state = json.loads((out / "state.json").read_text())
    assert state["status"] == "completed" and state["epochs_done"] == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_images"] == 1000 and 0.0 <= metrics["test_accuracy"] <= 1.0
    assert sum(map(sum, metrics["confusion"])) == 1000
    meta = json.loads((out / "meta.json").read_text())
    assert meta["versions"]["keras"].startswith("3.") and meta["dataset"]["name"] == "mnist_sample"
    # no temporary files left; the OS lock file stays (filelock keeps it: unlinking one races a new holder)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] in ([], [".cnnviz-lock"])


def test_killed_run_resumes_and_finishes(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "cnnviz.cli", "train", "--preset", "fast", "--limit", "3000",
                             "--epochs", "4", "--batch-size", "16", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(read_history(out / "history.jsonl")) < 1:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)  # mid-epoch 2, no chance to clean up
    proc.wait(30)
    done = len(read_history(out / "history.jsonl"))
    assert 1 <= done < 4
    assert json.loads((out / "state.json").read_text())["status"] == "running"  # killed: never marked finished
    result = cli("train", "--resume", "--out", str(out))
    assert result.returncode == 0, result.stderr
    history = read_history(out / "history.jsonl")
    assert [r["epoch"] for r in history] == [0, 1, 2, 3]
    assert json.loads((out / "state.json").read_text())["status"] == "completed"
    assert (out / "model.keras").is_file()


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "cnnviz.cli", "train", "--preset", "fast", "--limit", "3000",
                             "--epochs", "50", "--batch-size", "16", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(read_history(out / "history.jsonl")) < 1:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "resume with: cnnviz-cli train --resume" in stdout
    state = json.loads((out / "state.json").read_text())
    assert state["status"] == "interrupted" and state["epochs_done"] >= 1
    assert (out / "metrics.json").is_file()


def test_mirrored_strategy_on_two_logical_cpus(tmp_path, project_root):
    out = tmp_path / "run"
    # The child records what the training saw: the strategy in force, the model's, and the batch each replica's
    # train step was traced with (64 split over two replicas: 32 each).
    code = textwrap.dedent(f"""
        import json, sys
        from cnnviz.core.train.distribute import split_cpu
        split_cpu(2)
        import tensorflow as tf
        from cnnviz.core.train import session as session_module
        seen = {{"steps": []}}
        real_run = session_module.TrainingSession.run
        def run(self, *args, **kwargs):
            seen["replicas"] = tf.distribute.get_strategy().num_replicas_in_sync
            seen["model_replicas"] = self.model.distribute_strategy.num_replicas_in_sync
            real_step = self.model.train_step
            def step(data):
                seen["steps"].append(data[0].shape[0])
                return real_step(data)
            self.model.train_step = step
            return real_run(self, *args, **kwargs)
        session_module.TrainingSession.run = run
        from cnnviz.cli import main
        code = main(["train", "--preset", "fast", "--limit", "1024", "--epochs", "1", "--batch-size", "64",
                     "--strategy", "mirrored", "--devices", "/cpu:0,/cpu:1", "--out", {str(out)!r}])
        print("SEEN " + json.dumps(seen))
        sys.exit(code)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, env=ENV,
                            cwd=project_root)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("SEEN "))[5:])
    assert seen["replicas"] == seen["model_replicas"] == 2, seen
    assert seen["steps"] and set(seen["steps"]) == {32}, seen   # each replica trained on half of every batch
    history = read_history(out / "history.jsonl")
    assert len(history) == 1
    plain = tmp_path / "plain"
    assert cli("train", "--preset", "fast", "--limit", "1024", "--epochs", "1", "--out", str(plain)).returncode == 0
    assert set(history[0]) == set(read_history(plain / "history.jsonl")[0])


@pytest.mark.parametrize("args, fragment", [
    (["--preset", "resnet"], "unknown preset 'resnet'"),
    (["--dataset", "mnist", "--data-dir", "{tmp}/nothing-here"], "mnist_sample"),
    (["--spec", "{tmp}/spec.txt"], "not valid JSON"),
    (["--out", "{tmp}/a-file"], "is a file"),
    (["--lr", "-1"], "learning rate"),
    (["--model", "{tmp}/spec.txt"], "not a Keras model"),
])
def test_bad_input_exits_2_with_a_clear_message(tmp_path, args, fragment):
    (tmp_path / "spec.txt").write_text("hello")
    (tmp_path / "a-file").write_text("x")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "run")]
    env_home = {**ENV, "HOME": str(tmp_path), "CNNVIZ_DATA_DIR": str(tmp_path / "nothing-here")}
    result = subprocess.run([sys.executable, "-m", "cnnviz.cli", "train", "--epochs", "1", *args],
                            capture_output=True, text=True, timeout=240, env=env_home)
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_tensorboard_logs_are_written_on_request(tmp_path):
    out = tmp_path / "run"
    result = cli("train", "--preset", "fast", "--limit", "300", "--epochs", "1", "--tensorboard", "--out", str(out))
    assert result.returncode == 0, result.stderr
    events = list((out / "tensorboard").rglob("events.out.tfevents.*"))
    assert events, "no TensorBoard event file written"
