"""The one Run: what the Training tab and ``cnnviz-cli train`` both execute.

    data choice -> selection -> split -> build -> snapshots -> session -> evaluation -> run folder

* data choice: a :class:`~cnnviz.core.data.choice.DataChoice` (the JSON-able record of which data and how to read
  it); selection: its "images to use", by the one rule of cnnviz.core.data.selection, seeded by the run's seed;
* split: the validation images are held out of the chosen ones (TrainingConfig's count or fraction; CelebA brings
  its own validation partition);
* build: the model from its spec with the run's seed (or a given Keras model; or, resuming, the last checkpoint);
* snapshots: the first convolution layer's kernels and one test image's feature maps, per epoch (in memory);
* session: cnnviz.core.train.session.TrainingSession (``fit`` with the stop flag), every epoch committed to the
  run folder (checkpoint, then its history line);
* evaluation: cnnviz.core.train.evaluation, the same for in-memory and streamed (CelebA) test images;
* run folder: the layout of cnnviz.core.train.runs (spec.json, config.json, meta.json, state.json, history.jsonl,
  checkpoints/, model.keras, metrics.json). The app writes its runs under ``runs.app_runs_dir()``.

What the run records about its data (meta.json, the images' fingerprints) and takes from it (the test images,
the snapshot image) is cnnviz.core.train.run_data.

``config.json`` holds ``{"training": TrainingConfig, "data": DataChoice}``, the same two objects as a run config
(``*.run.json``), so a run config exported by the app reproduces the app's run: same images, split, settings, seed.
With ``deterministic`` on, the run enables TensorFlow's op determinism first (process-wide; slower), which makes
reruns bit-identical.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from cnnviz.core.data.choice import DataChoice  # noqa: F401 (part of this module's interface)
from cnnviz.core.train.config import TrainingConfig, TrainingError
from cnnviz.core.train.evaluation import evaluate_batches
from cnnviz.core.train.events import HISTORY_KEYS, EpochResult, TrainingFinished
from cnnviz.core.train.prepared import prepare_data
from cnnviz.core.train.run_commit import checkpoint_mismatch, checkpoint_record, model_signature, reconcile_history
from cnnviz.core.train.run_data import evaluation_images, fingerprints, run_meta, snapshot_sample
from cnnviz.core.train.runs import RunDirectory, RunError, save_model_atomic
from cnnviz.core.train.session import TrainingSession


@dataclass
class RunResult:
    """How :meth:`Run.execute` ended. ``status``: completed, interrupted (stopped; resumable) or diverged."""

    status: str
    epochs_done: int
    test_accuracy: float
    message: str
    history: dict[str, list[float]] = field(default_factory=dict)


def apply_determinism(config: TrainingConfig) -> None:
    """Seed Python, NumPy, TensorFlow and Keras with the run's seed before anything random is made (the data
    pipelines' op seeds combine with TensorFlow's global seed, so whatever ran before in the process must not
    matter); with ``deterministic`` also TensorFlow's op determinism, for bit-identical reruns (process-wide, it
    cannot be switched off again)."""
    import keras

    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


class Run:
    """A run being trained: its session, its folder, its data. Make one with :meth:`start` or :meth:`resume`.

    Call :meth:`train` (blocking; on a worker thread in the app) and :meth:`finish` (evaluation, metrics, final
    model, state), or :meth:`execute` for both. :meth:`request_stop` works from any thread, before or during
    training. Attributes: ``folder`` (RunDirectory), ``session``, ``model``, ``choice``, ``config``, ``data`` (the
    loaded data), ``test`` (TestImages), ``snapshots`` (SnapshotStore or None), ``class_names``, ``evaluation``.
    """

    def __init__(self, *, folder: RunDirectory, session: TrainingSession, choice: DataChoice,
                 config: TrainingConfig, data, streamed: bool, snapshots, strategy=None) -> None:
        self.folder = folder
        self.session = session
        self.model = session.model
        self.choice = choice
        self.config = config
        self.data = data
        self.test = evaluation_images(data, streamed)
        self.snapshots = snapshots
        self.class_names = tuple(data.class_names)
        self.num_classes = int(data.num_classes)
        self.evaluation = None
        self._strategy = strategy
        vals = [v for v in session.history["val_accuracy"] if not math.isnan(v)]
        self._best = max(vals, default=-1.0)

    # --- making one ------------------------------------------------------------------------------------
    @classmethod
    def start(cls, folder: str | Path, *, data: DataChoice, config: TrainingConfig, spec=None, model=None,
              loaded=None, overwrite: bool = False, emit: Callable[[object], None] | None = None, strategy=None,
              tensorboard: bool = False, snapshot_index: int = 0, origin: str = "cli",
              batch_interval_s: float = 0.1) -> "Run":
        """A new run in ``folder`` (created; refused if it holds another run, unless ``overwrite``).

        Give ``spec`` (a ModelSpec, built with the run's seed) or ``model`` (a keras.Model). ``loaded``: the data
        the choice names, already read (see DataChoice.load). Raises TrainingError / DatasetError / RunError /
        SpecError with a message for the user; a refused run leaves no folder behind."""
        problems = config.problems()
        if problems:
            raise TrainingError("; ".join(problems))
        RunDirectory.check_new(Path(folder), overwrite=overwrite)   # refuse before loading anything
        from cnnviz.core.model.build import build_model
        from cnnviz.core.tf_runtime import import_tensorflow

        import_tensorflow()  # under its lock: another thread (the GUI's loader) may be importing TensorFlow
        apply_determinism(config)
        loaded_data = data.load(seed=config.seed, loaded=loaded)
        prepared = loaded_data.streamed() if data.streamed else prepare_data(loaded_data, config)
        from cnnviz.core.train.precision import apply_policy, resolve

        precision = resolve(config.precision)
        if model is None:
            if spec is None:
                raise TrainingError("give a model spec, a preset or a .keras model to train")
            model = _scoped(strategy, lambda: build_model(spec, seed=config.seed, precision=precision.policy))
        elif precision.mixed:
            model = _scoped(strategy, lambda: apply_policy(model, precision.policy))
        session = _scoped(strategy, lambda: TrainingSession(
            model, prepared, config, emit, batch_interval_s=batch_interval_s, drop_remainder=strategy is not None))
        run_dir = RunDirectory.create(folder, config={"training": config.to_dict(), "data": data.to_dict()},
                                      spec=None if spec is None else spec.to_dict(),
                                      meta={**run_meta(loaded_data, origin),
                                            "split": {"train": int(prepared.train_count),
                                                      "validation": int(prepared.val_count)},
                                            "fingerprints": fingerprints(loaded_data, prepared),
                                            "precision": {"setting": config.precision, "policy": precision.policy,
                                                          "reason": precision.reason},
                                            "model": model_signature(model)},   # what resume checks
                                      overwrite=overwrite)
        try:   # the run holds the folder's lock from here until finish()
            return cls._wire(run_dir, session, data, config, loaded_data, strategy, tensorboard, snapshot_index)
        except BaseException:
            run_dir.release()
            raise

    @classmethod
    def resume(cls, folder: str | Path, *, emit: Callable[[object], None] | None = None, strategy=None,
               tensorboard: bool = False, snapshot_index: int = 0, batch_interval_s: float = 0.1) -> "Run":
        """The run in ``folder`` continued from its last checkpoint, with its own settings and data choice."""
        from cnnviz.core.tf_runtime import import_tensorflow

        import_tensorflow()
        from cnnviz.core.train.run_records import load_checkpoint

        run_dir = RunDirectory.open(folder)
        run_dir.acquire()   # one writer: refused, naming the holder, while another process writes the folder
        try:
            return cls._resume_locked(run_dir, emit=emit, strategy=strategy, tensorboard=tensorboard,
                                      snapshot_index=snapshot_index, batch_interval_s=batch_interval_s)
        except BaseException:
            run_dir.release()
            raise

    @classmethod
    def _resume_locked(cls, run_dir: RunDirectory, *, emit, strategy, tensorboard, snapshot_index,
                       batch_interval_s) -> "Run":
        from cnnviz.core.io.files import clean_partials
        from cnnviz.core.train.run_records import load_checkpoint

        clean_partials(run_dir.path)                   # temporaries a kill left between write and rename
        clean_partials(run_dir.path / "checkpoints")
        saved = run_dir.read_json("config.json")
        config = TrainingConfig.from_dict(saved["training"])
        choice = DataChoice.from_dict(saved["data"])
        if not run_dir.last_checkpoint.exists():
            raise RunError(f"{run_dir.path} has no checkpoint yet (it stopped before its first epoch ended); "
                           "start it again with --overwrite (its files go to the trash)")
        records = run_dir.history()
        # The checkpoint says where the run is: history lines past it are dropped, a line it has and the history
        # lacks (a crash between the two writes) is restored from it.
        reconciled = reconcile_history(records, checkpoint_record(run_dir.last_checkpoint))
        if len(reconciled) != len(records) or any(a is not b for a, b in zip(reconciled, records)):
            run_dir.rewrite_history(reconciled)
        history = {k: [r[k] for r in reconciled] for k in HISTORY_KEYS}
        apply_determinism(config)
        loaded_data = choice.load(seed=config.seed)
        prepared = loaded_data.streamed() if choice.streamed else prepare_data(loaded_data, config)
        model = _scoped(strategy, lambda: load_checkpoint(run_dir.last_checkpoint))   # safe mode; DamagedRun
        _check_checkpoint(run_dir, model)
        run_dir.write_state("running", epochs_done=len(reconciled), message="resumed")
        session = _scoped(strategy, lambda: TrainingSession(
            model, prepared, config, emit, batch_interval_s=batch_interval_s, history=history,
            already_compiled=True, drop_remainder=strategy is not None))
        return cls._wire(run_dir, session, choice, config, loaded_data, strategy, tensorboard, snapshot_index)

    @classmethod
    def _wire(cls, run_dir, session, choice, config, data, strategy, tensorboard, snapshot_index) -> "Run":
        from cnnviz.core.train.snapshots import SnapshotStore

        snapshots = None
        if strategy is None:   # a snapshot sub-model outside the strategy's scope would not see its variables
            snapshots = SnapshotStore(snapshot_sample(data, choice.streamed, snapshot_index))
            snapshots.take(session.epochs_done, session.model)   # before this run's first epoch
        run = cls(folder=run_dir, session=session, choice=choice, config=config, data=data,
                  streamed=choice.streamed, snapshots=snapshots, strategy=strategy)
        session.on_epoch_end = run._on_epoch_end
        if tensorboard:
            import keras

            session.extra_callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir.path / "tensorboard")))
        return run

    # --- training --------------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.folder.path

    @property
    def epochs_done(self) -> int:
        return self.session.epochs_done

    def request_stop(self) -> None:
        """Stop after the current batch (any thread); honoured also when it comes before :meth:`train`."""
        self.session.request_stop()

    def reset_stop(self) -> None:
        """Forget a stop request: call it before starting a new :meth:`train` ("train more")."""
        self.session.reset_stop()

    def train(self, epochs: int | None = None) -> TrainingFinished:
        """Train ``epochs`` more epochs (None: up to the config's epochs). Blocks; returns how it ended. Takes the
        folder's lock again after :meth:`finish` ("train more"); RunError if another process holds it or continued
        the run meanwhile."""
        self._relock()
        if epochs is None:
            epochs = self.config.epochs - self.epochs_done
            if epochs <= 0:
                return TrainingFinished("completed", self.epochs_done,
                                        f"already trained {self.epochs_done} epoch(s)")
        elif self.epochs_done + epochs > self.config.epochs:   # "train more": --resume continues to there
            self.config.epochs = self.epochs_done + epochs
            self.folder.update_training_epochs(self.config.epochs)
        try:
            return _scoped(self._strategy, lambda: self.session.run(epochs=epochs))
        except KeyboardInterrupt:
            self._record_end("interrupted", "aborted with Ctrl-C")
            raise
        except BaseException as exc:   # a full disk, a damaged image mid-epoch: state.json says so, not "running"
            from cnnviz.core.errors import user_message

            # the same one line the CLI and the app show (a damaged file named), not TensorFlow's wrapper text
            self._record_end("failed", user_message(exc) or f"{type(exc).__name__}: {exc}")
            raise

    def _record_end(self, status: str, message: str) -> None:
        try:
            self.folder.write_state(status, epochs_done=self.epochs_done, message=message.splitlines()[0][:300]
                                    if message.strip() else status)
        except OSError:
            pass   # the disk is full: the lock released below makes readers report "interrupted"
        finally:
            self.folder.release()

    def _relock(self) -> None:
        if self.folder.locked:
            return
        self.folder.acquire()
        record = checkpoint_record(self.folder.last_checkpoint)
        on_disk = None if record is None else record["epoch"] + 1
        if on_disk is not None and on_disk != self.epochs_done:
            self.folder.release()
            raise RunError(f"{self.path} was continued by another process since: it has {on_disk} epochs now, not "
                           f"{self.epochs_done}; open it again (Runs tab, or cnnviz-cli train --resume)")

    def _on_epoch_end(self, epoch: int, model) -> None:
        if self.snapshots is not None:
            self.snapshots.record(epoch, model)
        h = self.session.history
        record = {"epoch": epoch, **{k: h[k][-1] for k in h}}
        if epoch in self.session.partial_epochs:   # stopped inside the epoch: its numbers are of these batches
            record["batches"], record["steps"] = self.session.partial_epochs[epoch]
        val = record["val_accuracy"] if not math.isnan(record["val_accuracy"]) else record["accuracy"]
        is_best = val > self._best
        self._best = max(self._best, val)
        self.folder.record_epoch(model, record, is_best=is_best)

    def finish(self, finished: TrainingFinished, *, evaluate: bool = True):
        """See :meth:`_finish`; then the folder's lock is released (also when evaluation fails)."""
        try:
            return self._finish(finished, evaluate=evaluate)
        finally:
            self.folder.release()

    def _finish(self, finished: TrainingFinished, *, evaluate: bool = True):
        """Evaluate on the test images (when any epoch was trained; not with ``evaluate=False``, e.g. when the app
        is closing), write metrics.json, the final model (when completed) and state.json. Returns the Evaluation,
        or None."""
        status = {"stopped": "interrupted"}.get(finished.reason, finished.reason)
        self.evaluation = None
        if evaluate and self.epochs_done > 0 and (self.test.stream is not None or len(self.test.y)):
            ev = evaluate_batches(self.model, self.test.batches(), self.num_classes)
            self.evaluation = ev
            self.folder.write_metrics({
                "test_accuracy": ev.accuracy, "test_images": int(len(ev.predicted)),
                "per_class_accuracy": [None if math.isnan(v) else float(v) for v in ev.per_class_accuracy],
                "confusion": ev.confusion.tolist(), "class_names": list(self.class_names),
                "epochs_done": self.epochs_done})
        if status == "completed":
            save_model_atomic(self.model, self.folder.final_model)
        accuracy = float("nan") if self.evaluation is None else self.evaluation.accuracy
        self.folder.write_state(status, epochs_done=self.epochs_done, test_accuracy=accuracy,
                                message=finished.message)
        return self.evaluation

    def execute(self) -> RunResult:
        """:meth:`train` up to the config's epochs, then :meth:`finish` (what ``cnnviz-cli train`` does)."""
        finished = self.train()
        self.finish(finished)
        status = {"stopped": "interrupted"}.get(finished.reason, finished.reason)
        accuracy = float("nan") if self.evaluation is None else self.evaluation.accuracy
        return RunResult(status, self.epochs_done, accuracy, finished.message,
                         {k: list(v) for k, v in self.session.history.items()})


def _check_checkpoint(run_dir: RunDirectory, model) -> None:
    """RunError when the checkpoint is not the run's model (meta.json's signature, spec.json): a spec.json edited
    by hand, or a checkpoint left by an older run, is never trained under another spec."""
    meta = run_dir.read_json("meta.json") if (run_dir.path / "meta.json").is_file() else {}
    spec = run_dir.read_json("spec.json") if (run_dir.path / "spec.json").is_file() else None
    why = checkpoint_mismatch(model, expected=meta.get("model"), spec_dict=spec)
    if why:
        raise RunError(f"{run_dir.path}: checkpoints/last.keras does not match the run's model ({why}); start it "
                       "again with --overwrite (its files go to the trash)")


def _scoped(strategy, fn):
    if strategy is None:
        return fn()
    with strategy.scope():
        return fn()


def epoch_line(event: EpochResult, total: int) -> str:
    """One line of terminal progress per epoch."""
    parts = [f"epoch {event.epoch + 1}/{total}", f"loss {event.loss:.4f}", f"acc {event.accuracy:.4f}"]
    if not np.isnan(event.val_loss):
        parts += [f"val_loss {event.val_loss:.4f}", f"val_acc {event.val_accuracy:.4f}"]
    parts.append(f"{event.seconds:.1f} s")
    if event.partial:
        parts.append(f"(stopped: {event.batches} of {event.steps} batches)")
    return "  ".join(parts)
