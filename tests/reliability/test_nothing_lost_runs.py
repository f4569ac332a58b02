"""Nothing lost in run folders: one writer at a time (an OS file lock, recovered after kill -9), --overwrite starts
from an empty run (the old one in the trash), resume refuses a checkpoint of another model, an epoch is one commit
(checkpoint carries its record), state.json says what happened, JSON is strict, partial files are cleaned.
(Issue 14, "Nothing lost".)"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from cnnviz import cli
from cnnviz.core.data.choice import DataChoice
from cnnviz.core.model.shapes import infer_shapes
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import TrainingConfig
from cnnviz.core.train.run import Run
from cnnviz.core.train.run_lock import LOCK_FILES, RunLock, RunLocked
from cnnviz.core.train.run_commit import checkpoint_record
from cnnviz.core.train.runs import RunDirectory, RunError, read_history, summarize_run

pytestmark = pytest.mark.slow
L = LayerSpec.make
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
DATA = DataChoice("mnist_sample", limit=120)


def spec(filters: int = 2) -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Conv2D", "conv_1", filters=filters, kernel_size=3, activation="relu"),
                                   L("MaxPooling2D", "pool_1"), L("Flatten", "flatten"),
                                   L("Dense", "out", units=10, activation="softmax")], name="tiny")


def config(epochs: int = 2, **kw) -> TrainingConfig:
    kw.setdefault("validation_count", 20)
    kw.setdefault("validation_fraction", None)
    return TrainingConfig(batch_size=32, epochs=epochs, **kw)


@pytest.fixture
def trash(tmp_path, monkeypatch):
    """send2trash's freedesktop trash pointed at a folder of this test; returns its files/ folder."""
    from send2trash import plat_other

    home = tmp_path / "xdg-data"
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", str(home).encode())
    monkeypatch.setattr(plat_other, "HOMETRASH_B", str(home / "Trash").encode())
    monkeypatch.setattr(plat_other, "HOMETRASH", str(home / "Trash"))
    return home / "Trash" / "files"


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    return err[0]


def _holder(folder) -> subprocess.Popen:
    """Another process that takes the run folder's lock and keeps it until it is killed."""
    code = textwrap.dedent(f"""
        import sys, time
        from cnnviz.core.train.run_lock import RunLock
        lock = RunLock({str(folder)!r})
        lock.acquire()
        print("locked", flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=ENV)
    assert proc.stdout.readline().strip() == "locked"
    return proc


# --- one writer -------------------------------------------------------------------------------------------

def test_a_lock_held_by_another_process_refuses_with_who_and_is_recovered_after_kill_9(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    proc = _holder(folder)
    try:
        with pytest.raises(RunLocked, match=rf"is being written by process {proc.pid} on \S+ \(since "):
            RunLock(folder).acquire()
        assert RunLock(folder).held_by_other()
    finally:
        proc.send_signal(signal.SIGKILL)   # no chance to release anything
        proc.wait(30)
    assert not RunLock(folder).held_by_other()   # the kernel released it with the process
    lock = RunLock(folder)
    lock.acquire()
    assert lock.read_info()["pid"] == os.getpid()
    lock.release()


def test_a_second_writer_is_refused_while_a_cli_run_trains_and_kill_9_leaves_a_resumable_interrupted_run(
        tmp_path, capsys):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "cnnviz.cli", "train", "--preset", "fast", "--limit", "3000",
                             "--epochs", "40", "--batch-size", "16", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and len(read_history(out / "history.jsonl")) < 1:
            time.sleep(0.2)
        assert summarize_run(out).status == "running"
        for extra in (["--resume"], ["--overwrite"]):
            assert cli.main(["train", *extra, "--epochs", "1", "--out", str(out)]) == 2
            line = _one_error_line(capsys)
            assert f"is being written by process {proc.pid}" in line, line
        assert (out / "checkpoints" / "last.keras").is_file()   # --overwrite, refused, moved nothing
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    done = len(read_history(out / "history.jsonl"))
    assert json.loads((out / "state.json").read_text())["status"] == "running"   # what the killed process left
    assert summarize_run(out).status == "interrupted"                            # what a reader is told
    config_path = out / "config.json"
    saved = json.loads(config_path.read_text())
    saved["training"]["epochs"] = done + 1                                       # finish soon
    config_path.write_text(json.dumps(saved))
    assert cli.main(["train", "--resume", "--out", str(out)]) == 0
    history = read_history(out / "history.jsonl")
    assert [r["epoch"] for r in history] == list(range(done + 1))               # every epoch once
    assert summarize_run(out).status == "completed"
    assert not [p for p in out.iterdir() if p.name in LOCK_FILES and p.name.endswith(".json")]


def test_the_apps_run_holds_the_lock_until_it_finishes(tmp_path):
    run = Run.start(tmp_path / "r", data=DATA, config=config(1), spec=spec())
    with pytest.raises(RunError, match=f"is being written by process {os.getpid()}"):
        Run.resume(tmp_path / "r")
    assert summarize_run(tmp_path / "r").status == "running"
    run.execute()
    assert summarize_run(tmp_path / "r").status == "completed"
    other = Run.resume(tmp_path / "r")      # free again: a CLI --resume can take it now ...
    with pytest.raises(RunError, match="is being written by process"):
        run.train(1)                        # ... and the app's "train more" is refused meanwhile
    other.finish(other.train(1))
    with pytest.raises(RunError, match="was continued by another process since: it has 2 epochs now, not 1"):
        run.train(1)                        # its weights are one epoch behind the folder: never mixed in
    assert [r["epoch"] for r in read_history(tmp_path / "r" / "history.jsonl")] == [0, 1]


# --- overwrite and resume ---------------------------------------------------------------------------------

def test_overwrite_starts_from_an_empty_run_and_the_old_one_is_in_the_trash(tmp_path, trash):
    folder = tmp_path / "r"
    Run.start(folder, data=DATA, config=config(2), spec=spec(2)).execute()
    old = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
           if p.is_file() and p.name not in LOCK_FILES}
    with pytest.raises(RunError, match=r"already holds a run; use --resume to continue it, or --overwrite"):
        Run.start(folder, data=DATA, config=config(1), spec=spec(4))
    run = Run.start(folder, data=DATA, config=config(1), spec=spec(4), overwrite=True)
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.name not in LOCK_FILES)
    assert names == ["checkpoints", "config.json", "meta.json", "spec.json", "state.json"]
    trashed = [p for p in trash.iterdir()]
    assert len(trashed) == 1 and trashed[0].name.startswith("r-overwritten-")
    assert {p.relative_to(trashed[0]).as_posix(): p.read_bytes() for p in trashed[0].rglob("*")
            if p.is_file()} == old
    run.execute()
    summary = summarize_run(folder)
    assert summary.epochs == 1 and summary.params == infer_shapes(spec(4)).total_params == 6_810


def test_resume_refuses_a_checkpoint_of_another_model_in_one_line(tmp_path, capsys):
    folder = tmp_path / "r"
    Run.start(folder, data=DATA, config=config(1), spec=spec(2)).execute()
    (folder / "spec.json").write_text(spec(4).to_json())   # the spec no longer matches the checkpoint
    with pytest.raises(RunError, match=r"checkpoints/last\.keras does not match the run's model"):
        Run.resume(folder)
    assert cli.main(["train", "--resume", "--out", str(folder)]) == 2
    line = _one_error_line(capsys)
    assert "does not match the run's model" in line and "--overwrite" in line
    assert "the checkpoint has 3,410 parameters" in line and "6,810 parameters" in line


def test_the_advice_never_loops_for_a_run_killed_before_its_first_epoch(tmp_path, capsys, trash):
    folder = tmp_path / "r"
    run = Run.start(folder, data=DATA, config=config(1), spec=spec())
    run.folder.release()                      # as a kill before the first epoch leaves it
    for args in (["train", "--epochs", "1", "--out", str(folder)], ["train", "--resume", "--out", str(folder)]):
        assert cli.main(args) == 2
        line = _one_error_line(capsys)
        assert "--overwrite" in line and "use --resume" not in line, line
    assert cli.main(["train", "--overwrite", "--epochs", "1", "--limit", "100", "--out", str(folder)]) == 0
    assert "--overwrite: the old run's files are in the trash as r-overwritten-" in capsys.readouterr().err
    assert len(list(trash.iterdir())) == 1


# --- an epoch is one commit -------------------------------------------------------------------------------

def test_a_crash_between_checkpoint_and_history_costs_no_epoch_and_state_says_what_happened(tmp_path,
                                                                                           monkeypatch):
    folder = tmp_path / "r"
    run = Run.start(folder, data=DATA, config=config(3), spec=spec())
    real_append = RunDirectory.append_history
    calls = []

    def disk_full_at_the_second_epoch(self, record):
        calls.append(record["epoch"])
        if record["epoch"] == 1:
            raise OSError(28, "No space left on device")
        real_append(self, record)

    monkeypatch.setattr(RunDirectory, "append_history", disk_full_at_the_second_epoch)
    with pytest.raises(OSError, match="No space left"):
        run.execute()
    monkeypatch.undo()
    state = json.loads((folder / "state.json").read_text())
    assert state["status"] == "failed" and "No space left on device" in state["message"]
    assert summarize_run(folder).status == "failed"
    assert [r["epoch"] for r in read_history(folder / "history.jsonl")] == [0]
    assert checkpoint_record(folder / "checkpoints" / "last.keras")["epoch"] == 1   # the checkpoint is ahead
    resumed = Run.resume(folder)
    assert resumed.epochs_done == 2                      # the checkpoint's epoch, not the history's length
    assert [r["epoch"] for r in read_history(folder / "history.jsonl")] == [0, 1]   # its record recovered
    iterations = int(resumed.model.optimizer.iterations.numpy())
    result = resumed.execute()
    assert result.epochs_done == 3 and [r["epoch"] for r in read_history(folder / "history.jsonl")] == [0, 1, 2]
    per_epoch = iterations // 2                          # the checkpoint holds two epochs of steps
    assert int(resumed.model.optimizer.iterations.numpy()) == 3 * per_epoch       # no extra epoch trained


def test_history_lines_past_the_checkpoint_are_dropped_and_partial_files_cleaned_on_resume(tmp_path):
    folder = tmp_path / "r"
    run = Run.start(folder, data=DATA, config=config(3), spec=spec())
    run.finish(run.train(1))
    records = read_history(folder / "history.jsonl")
    with open(folder / "history.jsonl", "a") as fh:     # a line of an epoch whose checkpoint never landed
        fh.write(json.dumps({**records[0], "epoch": 1}) + "\n")
        fh.write('{"epoch": 2, "lo')                     # and a line cut short by a kill
    partials = [folder / ".state.json.partial-x1y2.json", folder / "checkpoints" / ".last.keras.partial-a.keras"]
    for p in partials:
        p.write_bytes(b"half")
    (folder / "notes.txt").write_text("mine")
    resumed = Run.resume(folder)
    assert resumed.epochs_done == 1 and [r["epoch"] for r in read_history(folder / "history.jsonl")] == [0]
    assert not any(p.exists() for p in partials) and (folder / "notes.txt").read_text() == "mine"
    resumed.execute()
    assert [r["epoch"] for r in read_history(folder / "history.jsonl")] == [0, 1, 2]


def test_every_json_file_of_a_run_is_strict_even_without_validation(tmp_path):
    folder = tmp_path / "r"
    run = Run.start(folder, data=DATA, config=config(1, validation_count=None), spec=spec())
    run.finish(run.train(), evaluate=False)              # no test accuracy: NaN, written as null
    texts = [p.read_text() for p in folder.glob("*.json")] + (folder / "history.jsonl").read_text().splitlines()
    assert len(texts) >= 5
    for text in texts:
        _strict(text)
    assert json.loads((folder / "state.json").read_text())["test_accuracy"] is None
    record = read_history(folder / "history.jsonl")[0]
    assert record["val_loss"] != record["val_loss"]       # read back as NaN, as the views expect
    assert '"val_loss": null' in (folder / "history.jsonl").read_text()
