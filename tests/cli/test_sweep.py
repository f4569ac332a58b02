"""cnnviz-cli sweep: a real 2-trial sweep on a local Ray (the bundled mnist_sample, 100 images, one epoch) writes two
run folders and a summary that the Runs tab opens; without Ray one line says how to get it; a bad config is one
line and exit 2, before Ray starts."""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cnnviz.cli import main
from cnnviz.core.train.runs import RunDirectory
from run_dir_fixture import app_runs  # noqa: F401 (fixture)

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
TWO = {"search": "grid", "preset": "fast", "data": {"name": "mnist_sample", "limit": 100},
       "training": {"epochs": 1, "batch_size": 50}, "space": {"learning_rate": [0.001, 0.01]}}


def _config(tmp_path, data, name="two.sweep.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _sweep(config_path, out, *options: str, env=None) -> subprocess.CompletedProcess:
    """cnnviz-cli sweep in a subprocess (its own local Ray, unless ``options`` give --address)."""
    proc = subprocess.Popen([sys.executable, "-m", "cnnviz.cli", "sweep", str(config_path), "--out", str(out),
                             *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or ENV)
    try:
        stdout, stderr = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:   # Ctrl-C, so that the sweep shuts its Ray down (a kill would leave agents)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.slow
def test_a_local_two_trial_sweep_writes_two_run_folders_and_a_summary_the_runs_tab_opens(qtbot, tmp_path):
    out = tmp_path / "sweep"
    result = _sweep(_config(tmp_path, TWO), out)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("2 of 2 trial(s) completed; best trial_00"), result.stdout
    for name, lr in (("trial_000", 0.001), ("trial_001", 0.01)):
        run = RunDirectory.open(out / name)   # a normal run folder of the core's Run
        assert run.status() == "completed" and run.final_model.is_file() and len(run.history()) == 1
        assert run.read_json("config.json")["training"]["learning_rate"] == lr
        assert run.read_json("config.json")["data"]["limit"] == 100
        assert run.read_json("meta.json")["origin"] == "sweep"
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["trials"]
    assert [(r["trial"], r["run_folder"], r["settings"], r["status"], r["epochs"]) for r in rows] == [
        (0, "trial_000", {"learning_rate": 0.001}, "completed", 1),
        (1, "trial_001", {"learning_rate": 0.01}, "completed", 1)]
    for row in rows:
        metrics = RunDirectory.open(out / row["run_folder"]).read_json("metrics.json")
        assert row["test_accuracy"] == metrics["test_accuracy"] and 0 <= row["final_val_accuracy"] <= 1
    assert summary["best"] == max(rows, key=lambda r: r["test_accuracy"])["run_folder"]
    with open(out / "summary.csv", newline="") as fh:
        assert [(r["run_folder"], r["learning_rate"]) for r in csv.DictReader(fh)] == [
            ("trial_000", "0.001"), ("trial_001", "0.01")]
    assert "trial_000 started (1/2): learning_rate=0.001" in result.stderr
    assert "trial_001 completed: test accuracy " in result.stderr

    from cnnviz.qt.runs.panel import RunsPanel

    panel = RunsPanel()
    qtbot.addWidget(panel)
    assert panel.open_sweep(out) == 2
    cells = [[panel.table.item(r, c).text() for c in (0, 1, 6)] for r in range(2)]
    assert cells == [["trial_000 (learning_rate=0.001)", "completed", f"{rows[0]['test_accuracy']:.4f}"],
                     ["trial_001 (learning_rate=0.01)", "completed", f"{rows[1]['test_accuracy']:.4f}"]]


@pytest.mark.slow
def test_a_failed_trial_is_one_line_naming_its_error_and_the_sweep_exits_1(tmp_path):
    """A trial that fails when it runs (a validation count as large as the data, which only the data's loading can
    tell): its error is one line on stderr and in the summary, with none of Tune's traceback or log lines."""
    config = {**TWO, "training": {**TWO["training"], "validation_fraction": None},
              "space": {"validation_count": [100]}}
    out = tmp_path / "sweep"
    result = _sweep(_config(tmp_path, config), out)
    assert result.returncode == 1, result.stderr[-3000:]
    says = ("The validation count must be an integer from 1 to 99 (smaller than the 100 examples), got 100.")
    assert f"trial_000 failed: {says}" in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    assert result.stdout.startswith("0 of 1 trial(s) completed; summary "), result.stdout
    row = json.loads((out / "summary.json").read_text())["trials"][0]
    assert (row["status"], row["error"]) == ("error", says)


@pytest.mark.slow
def test_address_joins_a_running_ray_cluster_and_leaves_it_running(tmp_path):
    """A one-node Ray cluster of its own (`ray start --head --block` on a free port, in a temporary folder, stopped
    by ending that command, never `ray stop`, which would stop every Ray on the machine): the sweep runs its trials
    there, two at a time, and disconnects without shutting the cluster down."""
    import socket
    import tempfile

    port = _free_port()
    import secrets

    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")   # short: Ray's socket paths must fit in 107 characters
    ray = Path(sys.executable).parent / "ray"
    # a cluster with token authentication and its own token, whatever ~/.ray holds on this machine; Ray sends the
    # token to an explicit address only when told to (RAY_AUTH_MODE=token), as a user joining their cluster does
    env = {**ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    head = subprocess.Popen([str(ray), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
                             "--include-dashboard=false", f"--temp-dir={temp}", "--disable-usage-stats"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for _ in range(600):   # the head takes seconds to listen
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert head.poll() is None, head.stderr.read()[-3000:]
            time.sleep(0.1)
        out = tmp_path / "sweep"
        result = _sweep(_config(tmp_path, TWO), out, "--address", f"127.0.0.1:{port}", "--concurrent", "2",
                        env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"Ray at 127.0.0.1:{port}, 2 at a time" in result.stderr
        assert result.stdout.startswith("2 of 2 trial(s) completed"), result.stdout
        assert "WARNING" not in result.stderr, result.stderr
        rows = json.loads((out / "summary.json").read_text())["trials"]
        assert [r["status"] for r in rows] == ["completed", "completed"]
        assert head.poll() is None, "the sweep shut the cluster down"
    finally:
        head.send_signal(signal.SIGTERM)   # --block: ends the processes this head started
        try:
            head.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
        shutil.rmtree(temp, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # free now, and nothing listens on it


@pytest.mark.parametrize("address, says", [
    (None, "no Ray cluster answers at 127.0.0.1:{port} (connection refused): start one there with `ray start "
           "--head`, or leave out --address for a local Ray"),
    ("localhost", "--address 'localhost' is not host:port, ray://host:port or auto"),
    ("ray://head:99999", "--address 'ray://head:99999' is not host:port, ray://host:port or auto"),
    ("head:", "--address 'head:' is not host:port, ray://host:port or auto")])
def test_an_address_with_no_ray_behind_it_is_one_line_at_once_and_writes_nothing(tmp_path, capsys, monkeypatch,
                                                                                  address, says):
    """Ray itself would retry a dead address for minutes; the sweep asks the address first."""
    monkeypatch.setattr("cnnviz.core.train.sweep_ray.run_sweep", lambda *a, **k: pytest.fail("Ray was started"))
    port = _free_port()
    address = address or f"127.0.0.1:{port}"
    out = tmp_path / "sweep"
    assert main(["sweep", str(_config(tmp_path, TWO)), "--out", str(out), "--address", address]) == 2
    assert capsys.readouterr().err.splitlines() == ["cnnviz-cli: error: " + says.format(port=port)]
    assert not out.exists()


def test_a_trial_error_line_is_the_workers_own_error_not_rays_traceback():
    """RayTaskError (what a trial's exception arrives as) holds the worker's traceback; the line is its cause."""
    from ray.exceptions import RayTaskError

    from cnnviz.core.data.dataset import DatasetError
    from cnnviz.core.train.sweep_ray import error_line

    def wrapped(exc):
        try:
            raise exc
        except Exception as caught:   # noqa: BLE001
            import traceback
            return RayTaskError("_trial", traceback.format_exc(), caught)

    assert error_line(wrapped(DatasetError("no images in 'x'"))) == "no images in 'x'"
    assert error_line(wrapped(ZeroDivisionError("division by zero"))) == "ZeroDivisionError: division by zero"
    assert error_line(RuntimeError("first\n\n  last line  \n")) == "RuntimeError: last line"
    assert len(error_line(wrapped(ZeroDivisionError("x" * 5000)))) == 300


def test_without_ray_one_line_says_how_to_get_it(tmp_path):
    """Ray missing is simulated in a subprocess: sys.modules['ray'] = None makes `import ray` an ImportError."""
    out = tmp_path / "sweep"
    script = textwrap.dedent(f"""
        import sys
        sys.modules["ray"] = None
        from cnnviz.cli import main
        raise SystemExit(main(["sweep", {str(_config(tmp_path, TWO))!r}, "--out", {str(out)!r}]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=ENV)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == ["cnnviz-cli: error: cnnviz-cli sweep runs on Ray Tune, which is not "
                                          "installed: pip install 'cnnviz[sweep]'"]
    assert not out.exists()   # nothing written


BAD = [
    ("{not json", "not valid JSON"),
    ('["search", "grid"]', "a sweep config is an object"),
    ({**TWO, "search": "bayes"}, 'search must be "grid" or "random", not \'bayes\''),
    ({**TWO, "space": {}}, "space must be an object mapping a setting to its values"),
    ({**TWO, "space": {"learning_rate": 0.01}}, "space 'learning_rate': expected a list of values"),
    ({**TWO, "space": {"learning_rate": [0.001, 50]}}, "trial 1 (learning_rate=50): learning rate must be"),
    ({**TWO, "space": {"preset": ["fast", "nope"]}}, "trial 1 (preset='nope'): unknown preset 'nope'"),
    ({**TWO, "space": {"colour": [1]}}, "space 'colour' is not a setting a sweep can vary"),
    ({**TWO, "trials": 3}, "trials and seed are for \"search\": \"random\""),
    ({**TWO, "search": "random"}, "a random search needs trials"),
    ({**TWO, "search": "random", "trials": 2, "space": {"learning_rate": {"loguniform": [0, 1]}}},
     "loguniform needs bounds above 0"),
    ({**TWO, "data": {"name": "mnist_sample", "limit": -3}}, "limit"),
    ({**TWO, "extra": 1}, "unknown sweep setting(s): extra"),
    ({**TWO, "run_config": "missing.run.json"}, "give either preset or run_config, not both"),
]


@pytest.mark.parametrize("config, says", BAD, ids=[str(i) for i in range(len(BAD))])
def test_a_bad_config_is_one_line_and_exit_2_before_ray_starts(tmp_path, capsys, monkeypatch, config, says):
    monkeypatch.setattr("cnnviz.core.train.sweep_ray.run_sweep", lambda *a, **k: pytest.fail("Ray was started"))
    out = tmp_path / "sweep"
    assert main(["sweep", str(_config(tmp_path, config)), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("cnnviz-cli: error: ") and says in err[0], err
    assert not out.exists()


def test_bad_files_and_folders_are_one_line(tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    cases = [(["sweep", str(tmp_path / "none.json"), "--out", str(tmp_path / "s")], "no such sweep config"),
             (["sweep", str(_config(tmp_path, TWO)), "--out", str(tmp_path / "full")], "is not empty"),
             (["sweep", str(_config(tmp_path, "search: [grid", "bad.yaml")), "--out", str(tmp_path / "s")],
              "not valid YAML"),
             (["sweep", str(_config(tmp_path, TWO)), "--out", str(tmp_path / "s"), "--concurrent", "0"],
              "must be 1..1024")]
    for argv, says in cases:
        try:
            code = main(argv)
        except SystemExit as exc:   # argparse's one-line refusal
            code = exc.code
        err = capsys.readouterr().err.splitlines()
        assert code == 2 and len(err) == 1 and says in err[0], (argv, err)
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine" and not (tmp_path / "s").exists()


def test_a_yaml_config_plans_the_same_trials_as_json(tmp_path):
    from cnnviz.core.train.sweep import plan, read_config

    yaml_text = textwrap.dedent("""
        search: random
        trials: 3
        seed: 7
        preset: fast
        training: {epochs: 1}
        space:
          learning_rate: {loguniform: [0.0001, 0.1]}
          batch_size: [32, 64]
          preset: [fast, keras_io]
    """)
    from_yaml = plan(read_config(_config(tmp_path, yaml_text, "r.yaml")))
    as_json = {"search": "random", "trials": 3, "seed": 7, "preset": "fast", "training": {"epochs": 1},
               "space": {"learning_rate": {"loguniform": [0.0001, 0.1]}, "batch_size": [32, 64],
                         "preset": ["fast", "keras_io"]}}
    from_json = plan(read_config(_config(tmp_path, as_json)))
    assert [t.settings for t in from_yaml.trials] == [t.settings for t in from_json.trials]
    assert all(1e-4 <= t.settings["learning_rate"] <= 0.1 for t in from_json.trials)
    assert [t.training["learning_rate"] for t in from_json.trials] == [t.settings["learning_rate"]
                                                                       for t in from_json.trials]
    assert len({t.settings["learning_rate"] for t in from_json.trials}) == 3   # drawn, not repeated
