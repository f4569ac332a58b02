"""Run directories: the unit of exchange between the CLI (or a server) and the app.

Layout of a run directory::

    spec.json              the model spec (when the model came from a spec)
    config.json            TrainingConfig plus the dataset it was trained on
    meta.json              library versions, command line, dataset identity
    state.json             status (running/completed/stopped/interrupted/diverged), epochs done, best epoch
    history.jsonl          one JSON object per finished epoch, appended (a reader ignores a partial last line)
    checkpoints/last.keras the weights and optimizer at the end of the last finished epoch
    checkpoints/best.keras the epoch with the best validation accuracy
    model.keras            the final model
    metrics.json           test metrics
    .cnnviz-lock(.json)    the OS lock a writing process holds (run_lock), and who holds it

Every write is atomic (temporary file + rename) or an append of one whole line, and every JSON file is strict
(NaN written as null). An epoch is one commit: the checkpoint, carrying the epoch's record, is renamed into
place before its history line is appended, and resume takes its position from the checkpoint (run_commit), so
a run killed at any moment leaves a directory that ``--resume`` continues from without an extra or lost epoch.
One process writes a run folder at a time (run_lock); ``--overwrite`` moves the old run to the trash.
Reading runs for the app (the compare table's summary, following a run another process writes) is
cnnviz.core.train.run_summary; its names are importable from here too.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnviz.core.io.files import atomic_path, atomic_write_text, strict_json
from cnnviz.core.train.run_lock import LOCK_FILES, RunLock, RunLocked

RUN_SCHEMA = "cnnviz.run"
RUN_SCHEMA_VERSION = 1
RUNS_DIR_ENV = "CNNVIZ_RUNS_DIR"


def app_runs_dir() -> Path:
    """Where the app keeps the run folders of the Training tab: ``$CNNVIZ_RUNS_DIR`` if set, else
    ``platformdirs.user_data_dir("cnnviz")/runs`` (Linux ~/.local/share/cnnviz/runs, macOS ~/Library/Application
    Support/cnnviz/runs, Windows %LOCALAPPDATA%\\cnnviz\\runs). Not created here."""
    env = os.environ.get(RUNS_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("cnnviz", appauthor=False)) / "runs"


def new_run_folder(model_name: str, parent: str | os.PathLike | None = None) -> Path:
    """A new, not yet existing folder ``<parent>/<YYYYmmdd-HHMMSS>-<model>`` (``-2``, ``-3``... when taken)."""
    parent = Path(parent) if parent is not None else app_runs_dir()
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in (model_name or "model")).strip("._") or "model"
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{safe[:60]}"
    path, n = parent / base, 1
    while path.exists():
        n += 1
        path = parent / f"{base}-{n}"
    return path


def list_runs(parent: str | os.PathLike | None = None) -> list[Path]:
    """The run folders directly inside ``parent`` (default: :func:`app_runs_dir`), oldest first by name."""
    parent = Path(parent) if parent is not None else app_runs_dir()
    try:
        children = sorted(parent.iterdir())
    except OSError:
        return []
    return [c for c in children if c.is_dir() and (c / "state.json").is_file() and (c / "config.json").is_file()]


class RunError(ValueError):
    """A run directory that cannot be created, read or resumed, with a message for the user."""


def _write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, strict_json(data) + "\n")   # strict: NaN/inf as null, never the NaN token


def read_history(path: Path) -> list[dict[str, Any]]:
    """Epoch records from a history.jsonl; a partial or corrupt last line (a write cut short) is ignored; a
    damaged file (a folder, not UTF-8, a line that is not an epoch record) is a RunError (run_records)."""
    from cnnviz.core.train.run_records import read_history_records

    return read_history_records(path)


@dataclass
class RunDirectory:
    path: Path
    _lock: RunLock | None = field(default=None, repr=False, compare=False)
    replaced: str = field(default="", compare=False)   # where --overwrite put the old run ('' if nothing)

    @property
    def history_path(self) -> Path:
        return self.path / "history.jsonl"

    @property
    def last_checkpoint(self) -> Path:
        return self.path / "checkpoints" / "last.keras"

    @property
    def best_checkpoint(self) -> Path:
        return self.path / "checkpoints" / "best.keras"

    @property
    def final_model(self) -> Path:
        return self.path / "model.keras"

    # --- creating ------------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, *, config: dict, spec: dict | None, meta: dict,
               overwrite: bool = False) -> "RunDirectory":
        """A new run in ``path``, locked by this process until :meth:`release`. Refused (RunError) for a file, a
        folder that is not a run, a run (unless ``overwrite``: its files go to the trash) and a folder another
        process writes."""
        path = Path(path)
        cls.check_new(path, overwrite=overwrite)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"cannot create the run folder {path}: {exc.strerror or exc}") from None
        run = cls(path)
        run.acquire()
        try:
            cls.check_new(path, overwrite=overwrite)   # again, under the lock
            if overwrite:
                from cnnviz.core.train.run_commit import trash_old_run

                run.replaced = trash_old_run(path, keep=LOCK_FILES)
            (path / "checkpoints").mkdir(exist_ok=True)
        except OSError as exc:
            run.release()
            raise RunError(f"cannot prepare the run folder {path}: {exc.strerror or exc}") from None
        except BaseException:
            run.release()
            raise
        if spec is not None:
            _write_json(path / "spec.json", spec)
        _write_json(path / "config.json", config)
        _write_json(path / "meta.json", {"schema": RUN_SCHEMA, "schema_version": RUN_SCHEMA_VERSION, **meta})
        run.write_state("running", epochs_done=0)
        return run

    @staticmethod
    def check_new(path: Path, *, overwrite: bool = False) -> None:
        """RunError unless a new run may start in ``path`` (see :meth:`create`); the advice never loops: a run
        with a checkpoint is resumed or overwritten, one without (killed before its first epoch) overwritten."""
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise RunError(f"{path} exists and is a file; give a folder for the run")
        entries = [p.name for p in path.iterdir() if p.name not in LOCK_FILES] if path.is_dir() else []
        if not entries:
            return
        if not (path / "state.json").exists():
            raise RunError(f"{path} is not empty and is not a cnnviz run; choose an empty or new folder")
        if overwrite:
            return
        if (path / "checkpoints" / "last.keras").exists():
            raise RunError(f"{path} already holds a run; use --resume to continue it, or --overwrite to start "
                           "again (its files go to the trash), or choose another folder")
        raise RunError(f"{path} holds a run that stopped before its first epoch ended (nothing to resume); start "
                       "it again with --overwrite (its files go to the trash) or choose another folder")

    # --- the writer's lock ---------------------------------------------------------------------------
    @property
    def lock(self) -> RunLock:
        if self._lock is None:
            self._lock = RunLock(self.path)
        return self._lock

    def acquire(self) -> None:
        """Take the folder's exclusive lock for this process (RunError naming the holder if another has it)."""
        try:
            self.lock.acquire()
        except RunLocked as exc:
            raise RunError(str(exc)) from None
        except OSError as exc:
            raise RunError(f"cannot lock the run folder {self.path}: {exc.strerror or exc}") from None

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    @property
    def locked(self) -> bool:
        """Whether this object holds the folder's lock."""
        return self._lock is not None and self._lock.held

    @classmethod
    def open(cls, path: str | os.PathLike) -> "RunDirectory":
        path = Path(path)
        if not path.is_dir():
            raise RunError(f"{path}: no such run folder")
        if not (path / "state.json").is_file() or not (path / "config.json").is_file():
            raise RunError(f"{path} is not a cnnviz run folder (no state.json / config.json)")
        return cls(path)

    # --- state ---------------------------------------------------------------------------------------
    def read_json(self, name: str) -> Any:
        from cnnviz.core.train.run_records import read_object

        file = self.path / name
        try:
            return read_object(file)   # a JSON object, else RunError "damaged: ..."
        except FileNotFoundError:
            raise RunError(f"{file}: missing") from None

    def state(self) -> dict[str, Any]:
        return self.read_json("state.json")

    def status(self) -> str:
        """state.json's status, except that a "running" run no process holds (killed, crashed) is "interrupted"."""
        status = self.state().get("status", "?")
        if status == "running" and not self.locked and not self.lock.held_by_other():
            return "interrupted"
        return status if isinstance(status, str) else "?"

    def write_state(self, status: str, **fields: Any) -> None:
        state = {}
        if (self.path / "state.json").exists():
            try:
                state = self.state()
            except RunError:
                state = {}
        state.update(fields)
        state["status"] = status
        state["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        _write_json(self.path / "state.json", state)

    def history(self) -> list[dict[str, Any]]:
        return read_history(self.history_path)

    # --- epochs --------------------------------------------------------------------------------------
    def record_epoch(self, model, record: dict[str, Any], *, is_best: bool) -> None:
        """Commit an epoch: the checkpoint, carrying ``record`` (run_commit), renamed into place, then the history
        line (in that order: history never runs ahead, and resume restores a line that a crash cut off)."""
        save_model_atomic(model, self.last_checkpoint, record=record)
        if is_best:   # the same bytes: a copy costs milliseconds where a second model.save costs ~0.1 s
            import shutil

            with atomic_path(self.best_checkpoint) as tmp:
                shutil.copyfile(self.last_checkpoint, tmp)
        self.append_history(record)
        self.write_state("running", epochs_done=record["epoch"] + 1,
                         **({"best_epoch": record["epoch"]} if is_best else {}))

    def append_history(self, record: dict[str, Any]) -> None:
        """Append one epoch record as one strict-JSON line, flushed to disk."""
        line = strict_json(record, indent=None)
        with open(self.history_path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def rewrite_history(self, records: list[dict[str, Any]]) -> None:
        """Replace history.jsonl with ``records`` (atomically), e.g. reconciled with the checkpoint on resume."""
        atomic_write_text(self.history_path, "".join(strict_json(r, indent=None) + "\n" for r in records))

    def update_training_epochs(self, epochs: int) -> None:
        """Record in config.json that the run now aims at ``epochs`` in all ("train more"), so ``--resume``
        continues to there."""
        config = self.read_json("config.json")
        config["training"]["epochs"] = int(epochs)
        _write_json(self.path / "config.json", config)

    def write_metrics(self, metrics: dict[str, Any]) -> None:
        _write_json(self.path / "metrics.json", metrics)


def save_model_atomic(model, path: Path, *, record: dict[str, Any] | None = None) -> None:
    """``model.save`` to a temporary .keras file beside ``path`` (with the epoch ``record`` inside, when given),
    then rename: never half a model file, and the epoch it holds is part of the same commit."""
    with atomic_path(path) as tmp:
        model.save(tmp)
        if record is not None:
            from cnnviz.core.train.run_commit import embed_record

            embed_record(tmp, record)


RUN_CONFIG_SCHEMA = "cnnviz.run-config"


def write_run_config(path: str | os.PathLike, *, spec: dict, training: dict, data: dict) -> str:
    """Write what ``cnnviz-cli train --config`` needs; returns the command line to copy."""
    path = Path(path)
    _write_json(path, {"schema": RUN_CONFIG_SCHEMA, "schema_version": 1, "spec": spec, "training": training,
                       "data": data})
    return f"cnnviz-cli train --config {path} --out runs/{path.stem}"


def read_run_config(path: str | os.PathLike) -> dict[str, Any]:
    from cnnviz.core.io.bounded_read import FileRefused, read_regular_file

    path = Path(path)
    try:
        data = json.loads(read_regular_file(path).decode("utf-8"))   # never a FIFO or a device, never unbounded
    except FileNotFoundError:
        raise RunError(f"{path}: no such file") from None
    except (FileRefused, OSError) as exc:
        raise RunError(f"{path}: cannot be read ({exc.strerror or exc})" if isinstance(exc, OSError)
                       else str(exc)) from None
    except (ValueError, RecursionError) as exc:   # JSONDecodeError, UnicodeDecodeError, a 5,000-digit integer
        raise RunError(f"{path}: not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(data, dict) or data.get("schema") != RUN_CONFIG_SCHEMA:
        raise RunError(f"{path} is not a cnnviz run config (exported with File > Export as run config)")
    for key in ("spec", "training", "data"):
        if not isinstance(data.get(key), dict):
            raise RunError(f"{path}: '{key}' is missing or not an object")
    return data


# Moved to run_summary, which builds on this module (so it cannot be imported at the top here): still importable
# from this module, looked up when first asked for.
_RUN_SUMMARY_NAMES = frozenset({"RunSummary", "summarize_run", "HistoryFollower"})


def __getattr__(name: str) -> Any:
    if name in _RUN_SUMMARY_NAMES:
        from cnnviz.core.train import run_summary

        return getattr(run_summary, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
