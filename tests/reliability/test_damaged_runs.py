"""A damaged run folder is one clear line, never a traceback (issue 14, "One clear line"): summarize_run gives a
DamagedRun naming the file and what is wrong with it, or a summary with the damaged value left out and its reason in
``problems``; the Runs tab lists such a folder as damaged, with the reason, and opens no error dialog."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from cnnviz.core.train.run_records import DamagedRun
from cnnviz.core.train.runs import HistoryFollower, RunError, summarize_run

GOOD_EPOCH = {"epoch": 0, "loss": 1.0, "accuracy": 0.5, "val_loss": 1.1, "val_accuracy": 0.4, "seconds": 2.0}
GOOD_SPEC = {"schema": "cnnviz.model-spec", "schema_version": 1}


def _run_folder(root: Path, name: str, **files) -> Path:
    """A run folder as the CLI writes it, with ``files`` replaced (None: a folder in its place; bytes: raw)."""
    run = root / name
    (run / "checkpoints").mkdir(parents=True)
    contents = {"config.json": json.dumps({"training": {}, "data": {}}),
                "state.json": json.dumps({"status": "completed", "epochs_done": 2}),
                "history.jsonl": json.dumps(GOOD_EPOCH) + "\n" + json.dumps({**GOOD_EPOCH, "epoch": 1,
                                                                             "val_accuracy": 0.6}) + "\n",
                "metrics.json": json.dumps({"test_accuracy": 0.55}), **files}
    for file, content in contents.items():
        if content is None:
            (run / file).mkdir()
        elif isinstance(content, bytes):
            (run / file).write_bytes(content)
        else:
            (run / file).write_text(content)
    return run


def _history(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


# A whole file that cannot be used: DamagedRun, one line naming the file and the reason.
DAMAGED_FILES = {
    "state-list": ({"state.json": "[1, 2]"}, "state-list/state.json holds a list, not a JSON object"),
    "state-string": ({"state.json": '"completed"'}, "state-string/state.json holds a string, not a JSON object"),
    "metrics-list": ({"metrics.json": "[0.9]"}, "metrics-list/metrics.json holds a list, not a JSON object"),
    "metrics-string": ({"metrics.json": '"0.9"'}, "metrics-string/metrics.json holds a string"),
    "metrics-5000-digits": ({"metrics.json": '{"test_accuracy": ' + "9" * 5000 + "}"},
                            "metrics-5000-digits/metrics.json is not valid JSON"),
    "history-string-field": ({"history.jsonl": _history({**GOOD_EPOCH, "loss": "low"}, {**GOOD_EPOCH, "epoch": 1})},
                             "history.jsonl line 1: loss is 'low', not a number"),
    "history-string-seconds": ({"history.jsonl": _history({**GOOD_EPOCH, "seconds": "2.0"},
                                                          {**GOOD_EPOCH, "epoch": 1})},
                               "history.jsonl line 1: seconds is '2.0', not a number"),
    "history-bool-seconds": ({"history.jsonl": _history({**GOOD_EPOCH, "seconds": True}, {**GOOD_EPOCH, "epoch": 1})},
                             "seconds is True, not a number"),
    "history-string-epoch": ({"history.jsonl": _history({**GOOD_EPOCH, "epoch": "0"}, {**GOOD_EPOCH, "epoch": 1})},
                             "history.jsonl line 1: epoch is '0', not a whole number"),
    "history-huge-epoch": ({"history.jsonl": _history('{"epoch": ' + "9" * 400 + "}", {**GOOD_EPOCH, "epoch": 1})},
                           "history.jsonl line 1: epoch is 99999"),
    "history-nan-epoch": ({"history.jsonl": _history('{"epoch": NaN}', {**GOOD_EPOCH, "epoch": 1})},
                          "history.jsonl line 1: epoch is nan, not a whole number"),
    "history-list-line": ({"history.jsonl": _history([1, 2], GOOD_EPOCH)}, "history.jsonl line 1 is not an epoch record"),
    "history-folder": ({"history.jsonl": None}, "history-folder/history.jsonl is a folder, not a file"),
    "history-not-utf8": ({"history.jsonl": b"\xff\xfe\x00\x81garbage\n"}, "history-not-utf8/history.jsonl is not UTF-8"),
    "metrics-folder": ({"metrics.json": None}, "metrics-folder/metrics.json is a folder, not a file"),
}

# One value of the wrong kind in a readable file: the summary leaves it out ('?') and says why.
DAMAGED_VALUES = {
    "status-number": ({"state.json": json.dumps({"status": 3})}, "status", "state.json status is 3, not a status"),
    "accuracy-string": ({"metrics.json": json.dumps({"test_accuracy": "0.9"})}, "test_accuracy",
                        "metrics.json test_accuracy is '0.9', not a number"),
    "accuracy-bool": ({"metrics.json": json.dumps({"test_accuracy": True})}, "test_accuracy",
                      "metrics.json test_accuracy is True, not a number"),
    "accuracy-huge": ({"metrics.json": '{"test_accuracy": ' + "9" * 400 + "}"}, "test_accuracy",
                      "metrics.json test_accuracy is 9999"),
    "seconds-infinity": ({"history.jsonl": _history('{"epoch": 0, "seconds": Infinity}', GOOD_EPOCH | {"epoch": 1})},
                         "seconds", "history.jsonl: the time of epoch 1 is inf, not seconds"),
    "spec-list": ({"spec.json": "[]"}, "params", "spec-list/spec.json holds a list, not a JSON object"),
    "spec-not-a-spec": ({"spec.json": json.dumps({"input_shape": "abc", "layers": 5})}, "params",
                        "spec.json is not a model spec"),
}


@pytest.mark.parametrize("name", DAMAGED_FILES)
def test_a_damaged_file_is_one_line_naming_it(tmp_path, name):
    files, reason = DAMAGED_FILES[name]
    run = _run_folder(tmp_path, name, **files)
    with pytest.raises(DamagedRun) as info:
        summarize_run(run)
    message = str(info.value)
    assert message.startswith("damaged: ") and reason in message, message
    assert "\n" not in message and len(message) < 320, message


@pytest.mark.parametrize("name", DAMAGED_VALUES)
def test_a_damaged_value_is_left_out_with_its_reason(tmp_path, name):
    files, key, reason = DAMAGED_VALUES[name]
    run = _run_folder(tmp_path, name, **files)
    summary = summarize_run(run)
    assert list(summary.problems) == [key] and reason in summary.problems[key], summary.problems
    assert "\n" not in summary.problems[key] and len(summary.problems[key]) < 300
    shown = {"status": summary.status, "test_accuracy": summary.test_accuracy, "seconds": summary.seconds,
             "params": summary.params}[key]
    assert shown in ("?", None)
    # the rest of the run is still read
    assert summary.epochs == 2
    assert summary.best_val_accuracy == pytest.approx(0.6 if "seconds" not in name else 0.4)


def test_nan_and_null_values_are_not_damage(tmp_path):
    """A diverged epoch writes null (NaN); a hand-written NaN token reads the same: left out, no problem."""
    run = _run_folder(tmp_path, "nan", **{
        "history.jsonl": _history('{"epoch": 0, "loss": NaN, "val_accuracy": NaN, "seconds": 1.5}',
                                  {"epoch": 1, "loss": None, "val_accuracy": 0.3, "seconds": None}),
        "metrics.json": '{"test_accuracy": NaN}'})
    summary = summarize_run(run)
    assert summary.problems == {} and summary.epochs == 2
    assert summary.seconds == 1.5 and summary.best_val_accuracy == 0.3 and summary.test_accuracy is None


def test_a_good_run_has_no_problems(tmp_path):
    summary = summarize_run(_run_folder(tmp_path, "good"))
    assert (summary.status, summary.epochs, summary.seconds, summary.test_accuracy, summary.best_val_accuracy,
            summary.problems) == ("completed", 2, 4.0, 0.55, 0.6, {})


def test_a_followed_run_whose_folder_became_a_file_is_not_a_traceback(tmp_path):
    run = _run_folder(tmp_path, "gone")
    follower = HistoryFollower(run)
    assert len(follower.poll()) == 2
    import shutil

    shutil.rmtree(run)
    run.write_text("not a folder any more")
    assert follower.poll() == []
    with pytest.raises(RunError, match="no such run folder"):
        summarize_run(run)


# --- the Runs tab -------------------------------------------------------------------------------------------

@pytest.fixture
def no_dialogs(monkeypatch):
    """Any message box is a failure here: a damaged run is a row of the table, not a dialog."""
    shown = []
    for name in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, lambda *args, _n=name, **kw: shown.append((_n, args)))
    yield shown
    assert shown == []


def test_the_runs_tab_lists_damaged_folders_with_their_reason(qtbot, tmp_path, no_dialogs):
    from cnnviz.qt.runs.panel import COLUMNS, RunsPanel

    root = tmp_path / "runs"
    root.mkdir()
    picked = ["state-list", "metrics-list", "history-string-field", "history-folder", "history-not-utf8"]
    for name in picked:
        _run_folder(root, name, **DAMAGED_FILES[name][0])
    for name in ("accuracy-string", "seconds-infinity", "status-number"):
        _run_folder(root, name, **DAMAGED_VALUES[name][0])
    _run_folder(root, "zz-good")
    panel = RunsPanel(runs_dir=root)
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()                       # showEvent lists the runs folder
    qtbot.waitExposed(panel)
    panel.refresh()
    assert panel.table.rowCount() == len(picked) + 4
    rows = {panel.table.item(r, 0).text(): [panel.table.item(r, c).text() for c in range(len(COLUMNS))]
            for r in range(panel.table.rowCount())}
    for name in picked:
        status = rows[name][1]
        assert status.startswith("damaged: ") and DAMAGED_FILES[name][1] in status, (name, status)
        assert rows[name][2:] == ["–"] * 5
    acc = rows["accuracy-string"]
    assert acc[1] == "completed (damaged: metrics.json test_accuracy is '0.9', not a number)"
    assert acc[6] == "?" and acc[4] == "4 s" and acc[5] == "0.6000" and acc[3] == "2"
    secs = rows["seconds-infinity"]
    assert secs[4] == "?" and "the time of epoch 1 is inf" in secs[1] and secs[6] == "0.5500"
    st = rows["status-number"]
    assert st[1] == "? (damaged: state.json status is 3, not a status)" and st[6] == "0.5500"
    assert rows["zz-good"][1:] == ["completed", "–", "2", "4 s", "0.6000", "0.5500"]
    assert panel.table.item(0, 1).toolTip() == panel.table.item(0, 1).text()
    # the good run's curves are drawn; a damaged history draws nothing and raises nothing
    good = next(p for p in panel.run_paths() if p.name == "zz-good")
    assert list(panel._curves[good].items["val_accuracy"].getData()[0]) == [1, 2]
    panel.grab().save(str(tmp_path / "runs-damaged.png"))


def test_opening_a_damaged_folder_lists_it_instead_of_an_error(qtbot, tmp_path, no_dialogs):
    from cnnviz.qt.runs.panel import RunsPanel

    panel = RunsPanel(runs_dir=tmp_path / "none")
    qtbot.addWidget(panel)
    for name in ("metrics-string", "history-not-utf8", "history-huge-epoch"):
        run = _run_folder(tmp_path, name, **DAMAGED_FILES[name][0])
        assert panel.open_run(run)
    panel.refresh()
    statuses = [panel.table.item(r, 1).text() for r in range(panel.table.rowCount())]
    assert len(statuses) == 3 and all(s.startswith("damaged: ") for s in statuses), statuses
