"""Reading run folders for the app: a run's row in the Runs tab's compare table, and following a run that another
process writes.

:func:`summarize_run` reads a folder (cnnviz.core.train.runs layout) that may be damaged into a :class:`RunSummary`
without TensorFlow; :class:`HistoryFollower` reads the epochs a folder gains, one ``stat`` call when nothing changed.
Both are importable from cnnviz.core.train.runs too.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnviz.core.train.runs import RunDirectory, RunError


@dataclass
class RunSummary:
    """One row of the compare table. ``problems`` names the values that a damaged file made unreadable (field name
    -> the reason, one line each): the table shows '?' there and the reason beside the status."""

    path: Path
    name: str
    status: str
    epochs: int
    seconds: float | None
    params: int | None
    test_accuracy: float | None
    best_val_accuracy: float | None
    problems: dict[str, str] = field(default_factory=dict)


def _finite_number(value: Any) -> bool:
    """A JSON number that is finite (not NaN, not +-Infinity, not an integer too large for a float)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:   # an integer of hundreds of digits
        return False


def summarize_run(path: str | os.PathLike) -> RunSummary:
    """Status, epochs, training time, parameters and accuracies of a run folder (no TensorFlow needed).

    The folder is untrusted (synced, edited by hand, half-written): a file that cannot be used as a whole
    (state.json or metrics.json not an object, a history line that is not an epoch record, a folder where a file
    goes, not UTF-8, unreadable) is a DamagedRun ("damaged: ..."); a single value of the wrong kind in a readable
    file (a status that is not text, a test accuracy that is text, an epoch time of Infinity, a spec that is not a
    model) is left as None with the reason in ``problems``. Never any other exception for what a file holds."""
    from cnnviz.core.train.run_records import DamagedRun

    try:
        return _summarize(Path(path))
    except OSError as exc:   # a folder or file that cannot even be looked at (permissions, a vanished disk)
        raise DamagedRun(f"damaged: {Path(path).name} cannot be read ({exc.strerror or exc})"[:300]) from None


def _summarize(path: Path) -> RunSummary:
    from cnnviz.core.train.run_records import DamagedRun, shown

    run = RunDirectory.open(path)
    state = run.state()
    history = run.history()
    problems: dict[str, str] = {}
    params = None
    if (run.path / "spec.json").exists():
        from cnnviz.core.model.shapes import infer_shapes
        from cnnviz.core.model.spec import ModelSpec

        try:
            params = int(infer_shapes(ModelSpec.from_dict(run.read_json("spec.json"))).total_params)
        except DamagedRun as exc:
            problems["params"] = str(exc).removeprefix("damaged: ")
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
            # SpecError is a ValueError; a hand-edited spec may trip the parser in other ways: no parameter count
            problems["params"] = f"spec.json is not a model spec ({str(exc)[:200]})"
    metrics = run.read_json("metrics.json") if (run.path / "metrics.json").exists() else {}
    test_accuracy = metrics.get("test_accuracy")
    if test_accuracy is not None and not _finite_number(test_accuracy):
        if not (isinstance(test_accuracy, float) and math.isnan(test_accuracy)):   # NaN: not measured
            problems["test_accuracy"] = f"metrics.json test_accuracy is {shown(test_accuracy)}, not a number"
        test_accuracy = None
    status = state.get("status", "?")
    if not isinstance(status, str):
        problems["status"] = f"state.json status is {shown(status)}, not a status"
        status = "?"
    elif status == "running" and not run.lock.held_by_other():
        status = "interrupted"   # no process holds the run: it was killed or crashed
    vals = [r["val_accuracy"] for r in history if _finite_number(r.get("val_accuracy"))]   # NaN: diverged epoch
    seconds = [r.get("seconds") for r in history]
    bad = [(r["epoch"], v) for r, v in zip(history, seconds) if not _finite_number(v) and v == v]   # NaN: unknown
    if bad:
        problems["seconds"] = f"history.jsonl: the time of epoch {bad[0][0] + 1} is {shown(bad[0][1])}, not seconds"
    total = None if bad else float(sum(v for v in seconds if _finite_number(v)))
    if total is not None and not math.isfinite(total):
        problems["seconds"], total = "history.jsonl: the epoch times add up to more than a float holds", None
    return RunSummary(run.path, run.path.name, status, len(history), total, params,
                      None if test_accuracy is None else float(test_accuracy), max(vals) if vals else None,
                      problems)


class HistoryFollower:
    """Reads the epochs a run folder gains while another process writes it: call :meth:`poll` periodically.

    Cheap when nothing changed (one stat call); tolerates a partial last line and a file that is replaced.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.run = RunDirectory(Path(path))
        self.records: list[dict[str, Any]] = []
        self._stamp: tuple[int, int] | None = None

    def poll(self) -> list[dict[str, Any]]:
        """The records added since the last poll (all of them the first time)."""
        try:
            st = self.run.history_path.stat()
        except OSError:   # not there yet, or the folder is gone or unreadable (the table says which)
            return []
        stamp = (st.st_size, st.st_mtime_ns)
        if stamp == self._stamp:
            return []
        self._stamp = stamp
        records = self.run.history()
        if len(records) < len(self.records):  # the run was restarted with --overwrite
            self.records = []
        new = records[len(self.records):]
        self.records = records
        return new

    def status(self) -> str:
        try:
            return self.run.status()
        except RunError:
            return "?"
