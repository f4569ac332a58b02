"""Running a sweep's trials (cnnviz.core.train.sweep) on Ray Tune: each trial is the core's single Run
(cnnviz.core.train.run.Run) writing its run folder in the sweep folder, reporting every epoch to Tune.

Ray is started small: a local Ray (num_cpus from this machine, a 128 MiB object store, no dashboard, no usage
statistics, workers' output not forwarded) unless ``address`` names a cluster to join (then the sweep folder must be
on a file system every node sees, and cnnviz installed on every node). One trial at a time unless ``concurrent``.
Ray is shut down when the sweep ends, fails or is stopped with Ctrl-C. Import this module only once ``import ray``
has been checked (the ``sweep`` extra).
"""
from __future__ import annotations

import math
import os
import socket
import sys
from pathlib import Path
from typing import Any, Callable

import ray
from ray import cloudpickle, tune
from ray.exceptions import AuthenticationError

from cnnviz.core.errors import user_message
from cnnviz.core.train.sweep import SweepError, SweepPlan, write_plan, write_summary

OBJECT_STORE_BYTES = 128 * 1024 * 1024
CONNECT_TIMEOUT_S = 5.0   # --address: how long a cluster may take to accept a connection


def _trial(param: dict[str, Any]) -> None:
    """Tune's function trainable: one trial's Run, in a Ray worker process."""
    config = param["trial"]
    from cnnviz.core.data.choice import DataChoice
    from cnnviz.core.model.spec import ModelSpec
    from cnnviz.core.train.config import TrainingConfig
    from cnnviz.core.train.events import EpochResult
    from cnnviz.core.train.run import Run

    runs = []

    def emit(event) -> None:
        if isinstance(event, EpochResult):
            _report({"epoch": event.epoch + 1, "loss": _num(event.loss), "accuracy": _num(event.accuracy),
                     "val_loss": _num(event.val_loss), "val_accuracy": _num(event.val_accuracy), "done": False},
                    runs)

    run = Run.start(config["folder"], data=DataChoice.from_dict(config["data"]),
                    config=TrainingConfig.from_dict(config["training"]), spec=ModelSpec.from_dict(config["spec"]),
                    emit=emit, origin="sweep")
    runs.append(run)
    result = run.execute()
    # Ray's way to end the trial's thread here is SystemExit from report (when Tune moves on): left to Ray
    tune.report({"epoch": result.epochs_done, "status": result.status, "test_accuracy": _num(result.test_accuracy),
                 "done": True})


def _report(metrics: dict[str, Any], runs: list) -> None:
    """tune.report of an epoch; when Tune is stopping the trial (the sweep's Ctrl-C) report raises SystemExit,
    which here becomes the Run's own stop after this batch: the trial is "interrupted" (resumable), not "failed"
    (a SystemExit through Keras's fit would be recorded as a failure)."""
    try:
        tune.report(metrics)
    except SystemExit:
        for run in runs:
            run.request_stop()


def _num(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


class _Progress(tune.Callback):
    """One line on the driver per epoch and per finished trial."""

    def __init__(self, names: dict[str, str], total: int, say: Callable[[str], None]) -> None:
        self.names, self.total, self.say = names, total, say

    def _name(self, trial) -> str:
        return self.names.get(trial.trial_id, trial.trial_id)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        if result.get("done"):
            acc = result.get("test_accuracy")
            self.say(f"{self._name(trial)} {result.get('status')}: test accuracy "
                     f"{'–' if acc is None else f'{acc:.4f}'}")
        else:
            val = result.get("val_accuracy")
            self.say(f"{self._name(trial)} epoch {result.get('epoch')}: loss {result.get('loss') or math.nan:.4f}"
                     f" val_acc {'–' if val is None else f'{val:.4f}'}")

    def on_trial_start(self, iteration, trials, trial, **info):
        self.names.setdefault(trial.trial_id, Path(trial.config["trial"]["folder"]).name)
        self.say(f"{self._name(trial)} started ({len(self.names)}/{self.total}): "
                 + ", ".join(f"{k}={v}" for k, v in trial.config["trial"]["settings"].items()))

    def on_trial_error(self, iteration, trials, trial, **info):
        error = _trial_error(trial)
        self.say(f"{self._name(trial)} failed" + (f": {error_line(error)}" if error is not None else ""))


def _trial_error(trial) -> BaseException | None:
    """The error a failed trial raised, from the file Tune has just written for it (None if it cannot be read)."""
    path = trial.pickled_error_file
    try:
        with open(path, "rb") as f:
            return cloudpickle.load(f)
    except Exception:   # noqa: BLE001 - Tune's file, unpickled on the driver: the line then names no error
        return None


def error_line(error: BaseException) -> str:
    """One line for a trial's error, at most 300 characters: the error raised in the trial (for a Ray task error,
    its cause), as cnnviz's one line for a user's mistake (cnnviz.core.errors.user_message), else its type and the
    last line of its text."""
    cause = getattr(error, "cause", None)   # RayTaskError: the exception raised in the worker
    if isinstance(cause, BaseException):
        error = cause
    message = user_message(error)
    if message:
        return message[:300]
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}"[:300]


def check_address(address: str) -> None:
    """Fail at once, in one line, when ``address`` names no Ray cluster that answers (Ray itself retries for minutes
    before it gives up). ``auto`` is left to Ray, which answers at once when no Ray runs on this machine; host:port
    and ray://host:port must accept a connection within CONNECT_TIMEOUT_S."""
    if address == "auto":
        return
    target = address.split("://", 1)[1] if "://" in address else address
    host, _, port = target.rpartition(":")
    host = host.strip("[]")   # [::1]:6379
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SweepError(f"--address {address!r} is not host:port, ray://host:port or auto")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        why = "no answer within {:g} s".format(CONNECT_TIMEOUT_S) if isinstance(exc, TimeoutError) else (
            exc.strerror or type(exc).__name__).lower()
        raise SweepError(f"no Ray cluster answers at {address} ({why}): start one there with `ray start --head`, "
                         "or leave out --address for a local Ray") from None


def start_ray(address: str | None) -> None:
    """A small local Ray, or join the cluster at ``address`` (``auto``: the one `ray start` made here)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")   # never phone home
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # a failed trial is one line of _Progress (summary.json keeps the same line), not Tune's traceback
    os.environ.setdefault("TUNE_PRINT_ALL_TRIAL_ERRORS", "0")
    import logging

    # Tune's own words on Ctrl-C ("Resume experiment with: Tuner.restore(...)") are not for cnnviz users
    # and its "Trials did not complete" at the end is what the summary line says
    logging.getLogger("ray.tune.tune").setLevel(logging.CRITICAL)
    # Ray turns token authentication on (for a new local Ray, and says so when joining a cluster that has it) and
    # warns that it did: kept on, not warned about
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
    if address:
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        except (AuthenticationError, ConnectionError) as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            if isinstance(exc, AuthenticationError):   # RAY_AUTH_MODE=token with no token here
                raise SweepError(f"cannot join the Ray cluster at {address}: {first}"[:600]) from None
            if address == "auto":   # none running here
                raise SweepError("--address auto: no Ray runs on this machine: start one with `ray start --head`, "
                                 "or leave out --address for a local Ray") from None
            # one that refused this driver (its token)
            raise SweepError(f"cannot join the Ray cluster at {address}: {first.rstrip('.')}. A cluster with "
                             "token authentication (Ray's default) is sent this machine's token only with "
                             "RAY_AUTH_MODE=token set (the token: ~/.ray/auth_token or RAY_AUTH_TOKEN)") from None
    else:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 object_store_memory=OBJECT_STORE_BYTES)


def run_sweep(out: Path, sweep: SweepPlan, *, address: str | None = None, concurrent: int = 1,
              say: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> tuple[list, bool]:
    """Start (or join) Ray, write the plan into ``out`` (sweep.write_plan: nothing is written when Ray cannot be
    started or joined), run every trial on Ray Tune, then write the summary.
    Returns (summary rows, interrupted). Ray is shut down at the end, on an error and on Ctrl-C."""
    out = out.resolve()
    errors: dict[int, str] = {}
    interrupted = False
    try:
        start_ray(address)
        write_plan(out, sweep)
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)) // max(1, concurrent))
        trials = [{"index": t.index, "folder": str(out / t.name), "settings": t.settings, "spec": t.spec,
                   "training": t.training, "data": t.data} for t in sweep.trials]
        tuner = tune.Tuner(
            tune.with_resources(_trial, {"cpu": cpus}),
            param_space={"trial": tune.grid_search(trials)},
            tune_config=tune.TuneConfig(max_concurrent_trials=concurrent, reuse_actors=True,
                                        trial_dirname_creator=lambda trial: Path(trial.config["trial"]["folder"])
                                        .name),
            run_config=tune.RunConfig(name="tune", storage_path=str(out / ".tune"), verbose=0,
                                      callbacks=[_Progress({}, len(trials), say)]))
        try:
            grid = tuner.fit()
        except KeyboardInterrupt:
            interrupted, grid = True, None
        if grid is not None:
            for result in grid:
                index = result.config["trial"]["index"] if result.config else None
                if result.error is not None and index is not None:
                    errors[index] = error_line(result.error)
                elif index is not None and not (result.metrics or {}).get("done"):
                    interrupted = True   # Tune stopped it (Ctrl-C) before it finished
            interrupted = interrupted or len(grid) < len(trials)
    finally:
        ray.shutdown()   # first: a trial's worker then no longer holds its run folder, which reads "interrupted"
    rows = write_summary(out, sweep, errors)
    if interrupted:
        stopped = [r["run_folder"] for r in rows if r["status"] == "interrupted"]
        say("stopped" + (f"; continue a stopped trial with: cnnviz-cli train --resume --out {out / stopped[0]}"
                         if stopped else ""))
    return rows, interrupted
