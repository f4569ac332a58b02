"""One training experiment end to end, writing a run directory: what ``cnnviz-cli train`` runs.

model source (spec, preset or .keras) + dataset + TrainingConfig -> checkpoints, history, final model, metrics.
The GUI can follow the same run directory while it is being written (see runs.py).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from cnnviz.core.train.runs import RunDirectory, RunError, save_model_atomic
from cnnviz.core.train.training import EpochResult, TrainingConfig, TrainingError, TrainingSession, prepare_data, to_float


@dataclass
class DataChoice:
    """Which dataset to load: a registry name plus an optional folder/file, and an optional size limit.

    ``celeba`` (streamed from disk, see cnnviz.core.data.celeba) also uses ``attribute`` (the label to predict) and
    ``valid_limit`` / ``test_limit``; ``limit`` is its training limit, as for the others.
    """

    name: str = "mnist_sample"
    data_dir: str | None = None
    path: str | None = None
    limit: int | None = None          # use only the first N training images (quick experiments)
    image_size: tuple[int, int] | None = None
    color_mode: str = "grayscale"
    attribute: str | None = None      # celeba only; None: Male
    valid_limit: int | None = None    # celeba only: first N validation images
    test_limit: int | None = None     # celeba only: first N test images

    @property
    def streamed(self) -> bool:
        """True when the data is read from disk as training goes (CelebA), not held in memory."""
        return self.name.strip().lower() == "celeba"

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "data_dir": self.data_dir, "path": self.path, "limit": self.limit,
             "image_size": list(self.image_size) if self.image_size else None, "color_mode": self.color_mode}
        if self.streamed:
            d.update(attribute=self.attribute, valid_limit=self.valid_limit, test_limit=self.test_limit)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DataChoice":
        size = d.get("image_size")
        return cls(d.get("name", "mnist_sample"), d.get("data_dir"), d.get("path"), d.get("limit"),
                   tuple(size) if size else None, d.get("color_mode", "grayscale"), d.get("attribute"),
                   d.get("valid_limit"), d.get("test_limit"))

    def load(self, seed: int = 1):
        """A Dataset (arrays), or for ``celeba`` a :class:`cnnviz.core.data.celeba.CelebAData` (pipelines; ``seed``
        drives its shuffling and random crops)."""
        from cnnviz.core.data.datasets import Dataset, load_dataset

        if self.streamed:
            from cnnviz.core.data.celeba import DEFAULT_ATTRIBUTE, load_celeba, resolve_folder

            return load_celeba(resolve_folder(self.path, self.data_dir), self.attribute or DEFAULT_ATTRIBUTE,
                               train_limit=self.limit, valid_limit=self.valid_limit, test_limit=self.test_limit,
                               seed=seed)
        kwargs: dict[str, Any] = {"data_dir": self.data_dir, "path": self.path}
        if self.name == "folder":
            kwargs.update(image_size=self.image_size or (28, 28), color_mode=self.color_mode)
        data = load_dataset(self.name, **kwargs)
        if self.limit:
            data = Dataset(data.x_train[:self.limit], data.y_train[:self.limit], data.x_test, data.y_test,
                           data.class_names, data.source + f" (first {self.limit} training images)", data.name,
                           data.notes)
        return data


@dataclass
class ExperimentResult:
    status: str
    epochs_done: int
    test_accuracy: float
    message: str
    history: dict[str, list[float]] = field(default_factory=dict)


def _meta(data) -> dict[str, Any]:
    from cnnviz.core.tf_runtime import versions

    if getattr(data, "info", None) is not None:   # streamed CelebA
        info = data.info
        return {"versions": versions(), "command": sys.argv, "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "dataset": {"name": data.name, "source": data.source, "train": info.counts["train"],
                            "valid": info.counts["valid"], "test": info.counts["test"],
                            "attribute": info.attribute, "positives": dict(info.positives),
                            "input_shape": list(data.input_shape), "class_names": list(data.class_names)}}
    return {"versions": versions(), "command": sys.argv, "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "dataset": {"name": data.name, "source": data.source, "train": int(len(data.x_train)),
                        "test": int(len(data.x_test)), "input_shape": list(data.input_shape),
                        "class_names": list(data.class_names)}}


def run_experiment(run_dir: str | Path, *, model=None, spec=None, data_choice: DataChoice,
                   config: TrainingConfig, resume: bool = False, overwrite: bool = False,
                   emit: Callable[[object], None] | None = None, strategy=None,
                   session_hook: Callable[[TrainingSession], None] | None = None,
                   tensorboard: bool = False) -> ExperimentResult:
    """Train and write ``run_dir``. Give ``spec`` (a ModelSpec) or ``model`` (a keras.Model); with ``resume`` both
    come from the run directory. ``session_hook`` receives the session before training (e.g. to wire Ctrl-C to
    ``request_stop``). Raises RunError / TrainingError / DatasetError / SpecError with a message for the user.
    """
    from cnnviz.core.model.build import build_model
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()  # under its lock: another thread (the GUI's loader) may be importing TensorFlow
    import keras

    emit = emit or (lambda event: None)
    history: dict[str, list[float]] | None = None
    if resume:
        run = RunDirectory.open(run_dir)
        saved = run.read_json("config.json")
        config = TrainingConfig.from_dict(saved["training"])
        data_choice = DataChoice.from_dict(saved["data"])
        if not run.last_checkpoint.exists():
            raise RunError(f"{run.path} has no checkpoint yet (it stopped before its first epoch ended); "
                           "start it again without --resume")
        records = run.history()
        history = {k: [r[k] for r in records] for k in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")}
        data = data_choice.load(seed=config.seed)
        model = keras.saving.load_model(run.last_checkpoint)
    else:
        data = data_choice.load(seed=config.seed)
        if model is None:
            if spec is None:
                raise TrainingError("give a model spec, a preset or a .keras model to train")
            if strategy is not None:
                with strategy.scope():
                    model = build_model(spec, seed=config.seed)
            else:
                model = build_model(spec, seed=config.seed)
        run = RunDirectory.create(run_dir, config={"training": config.to_dict(), "data": data_choice.to_dict()},
                                  spec=None if spec is None else spec.to_dict(), meta=_meta(data),
                                  overwrite=overwrite)
    prepared = data.streamed() if data_choice.streamed else prepare_data(data, config)
    best = max((v for v in (history or {}).get("val_accuracy", []) if not math.isnan(v)), default=-1.0)

    def on_epoch_end(epoch: int, keras_model) -> None:
        nonlocal best
        h = session.history
        record = {"epoch": epoch, **{k: h[k][-1] for k in h}}
        val = record["val_accuracy"] if not math.isnan(record["val_accuracy"]) else record["accuracy"]
        is_best = val > best
        best = max(best, val)
        run.record_epoch(keras_model, record, is_best=is_best)

    def scoped(fn):
        if strategy is None:
            return fn()
        with strategy.scope():
            return fn()

    session = scoped(lambda: TrainingSession(model, prepared, config, emit, on_epoch_end=on_epoch_end,
                                             history=history, already_compiled=resume,
                                             drop_remainder=strategy is not None,
                                             extra_callbacks=[keras.callbacks.TensorBoard(
                                                 log_dir=str(run.path / "tensorboard"))] if tensorboard else None))
    if session_hook:
        session_hook(session)
    remaining = config.epochs - session.epochs_done
    if remaining <= 0:
        finished_reason, message = "completed", f"already trained {session.epochs_done} epoch(s)"
    else:
        try:
            result = scoped(lambda: session.run(epochs=remaining))
        except KeyboardInterrupt:
            run.write_state("interrupted")
            raise
        finished_reason, message = result.reason, result.message
    status = {"stopped": "interrupted"}.get(finished_reason, finished_reason)
    test_accuracy = float("nan")
    if status in ("completed", "interrupted"):
        from cnnviz.core.model.inference import Predictor, evaluate

        if data_choice.streamed:
            from cnnviz.core.data.celeba import evaluate_dataset

            ev = evaluate_dataset(Predictor(model), data.test, data.num_classes)
            test_images = len(ev.predicted)
        else:
            ev = evaluate(Predictor(model), to_float(data.x_test), data.y_test, data.num_classes)
            test_images = int(len(data.y_test))
        test_accuracy = ev.accuracy
        run.write_metrics({"test_accuracy": ev.accuracy, "test_images": test_images,
                           "per_class_accuracy": [None if math.isnan(v) else float(v) for v in ev.per_class_accuracy],
                           "confusion": ev.confusion.tolist(), "class_names": list(data.class_names),
                           "epochs_done": session.epochs_done})
        if status == "completed":
            save_model_atomic(model, run.final_model)
    run.write_state(status, epochs_done=session.epochs_done, test_accuracy=test_accuracy, message=message)
    return ExperimentResult(status, session.epochs_done, test_accuracy, message, session.history)


def epoch_line(event: EpochResult, total: int) -> str:
    """One line of terminal progress per epoch."""
    parts = [f"epoch {event.epoch + 1}/{total}", f"loss {event.loss:.4f}", f"acc {event.accuracy:.4f}"]
    if not np.isnan(event.val_loss):
        parts += [f"val_loss {event.val_loss:.4f}", f"val_acc {event.val_accuracy:.4f}"]
    parts.append(f"{event.seconds:.1f} s")
    return "  ".join(parts)
