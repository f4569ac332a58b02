"""The reproducibility bundle: everything needed to re-run and check an experiment, in one folder.

    spec.json        the model spec            model_code.py   the Keras code that builds it (runs as is)
    training.json    training settings + seed  data.json       which data, from which file, how many images
    history.csv      per-epoch curves          metrics.json    test accuracy, per-class accuracy, confusion
    versions.json    Python, NumPy, TensorFlow, Keras, cnnviz
    run.json         the run config of what was trained (spec, settings with the epochs really trained, data):
                     `cnnviz-cli train --config run.json` re-runs it           (bundles of a run folder)
    model.keras      the trained model, weights included                      (bundles of a run folder)
    README.txt       what the files are, how the run went, and the command that re-runs it headless

The folder is written under a temporary name and renamed at the end (atomic), marked as a cnnviz bundle; a
previous bundle at the same place goes to the trash, and any other folder there is refused (TargetRefused), never
replaced (cnnviz.core.io.files.replacing_output).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from cnnviz.core.model.codegen import keras_code
from cnnviz.core.io.files import replacing_output, strict_json
from cnnviz.core.model.spec import ModelSpec

HISTORY_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")


def _history_csv(history: dict[str, list[float]]) -> str:
    n = len(history.get("loss", []))
    lines = ["epoch," + ",".join(HISTORY_COLUMNS)]
    for i in range(n):
        lines.append(",".join([str(i + 1)] + [repr(float(history[k][i])) for k in HISTORY_COLUMNS]))
    return "\n".join(lines) + "\n"


def write_bundle(folder: str | os.PathLike, *, spec: ModelSpec, training: dict, data: dict,
                 history: dict[str, list[float]], metrics: dict | None, versions: dict[str, str],
                 model_file: str | os.PathLike | None = None, story: str = "") -> Path:
    """Write the bundle folder (replacing an older bundle at the same place, moved to the trash, only when the new
    one is complete). Raises TargetRefused when ``folder`` holds anything but an older bundle.

    ``model_file``: the trained model (.keras), copied in with run.json, the run config that re-runs exactly
    these settings and data; ``story``: how the run went (epochs, continuations, a stop), for the README."""
    import cnnviz

    folder = Path(folder)
    with replacing_output(folder, kind="bundle", folder=True) as out:
        tmp = out.tmp
        tmp.mkdir()
        if model_file is not None:
            from cnnviz.core.train.runs import write_run_config

            shutil.copyfile(model_file, tmp / "model.keras")
            write_run_config(tmp / "run.json", spec=spec.to_dict(), training=training, data=_run_data(data))
            rerun = "    cnnviz-cli train --config run.json --out rerun\n"
        else:
            rerun = (f"    cnnviz-cli train --spec spec.json --dataset {data.get('name', 'mnist_sample')} "
                     f"--epochs {training.get('epochs')} --batch-size {training.get('batch_size')} "
                     f"--optimizer {training.get('optimizer')} --lr {training.get('learning_rate')} "
                     f"--seed {training.get('seed')} --out rerun\n")
        files = {
            "spec.json": spec.to_json() + "\n",
            "model_code.py": keras_code(spec),
            "training.json": strict_json(training) + "\n",
            "data.json": strict_json(data) + "\n",
            "history.csv": _history_csv(history),
            "metrics.json": strict_json(metrics or {}) + "\n",
            "versions.json": strict_json({**versions, "cnnviz": cnnviz.__version__}) + "\n",
            "README.txt": (f"Reproducibility bundle of the model '{spec.name}', written by cnnviz.\n\n"
                           + (f"{story}\n\n" if story else "")
                           + "Re-run it headless (same spec, settings, seed and data):\n" + rerun + "\n"
                           + ("model.keras is the trained model (weights included): cnnviz-cli import "
                              "model.keras, or keras.saving.load_model('model.keras').\n"
                              if model_file is not None else "")
                           + "model_code.py builds the same architecture with plain Keras.\n"),
        }
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
    return folder


def write_bundle_from_run(folder: str | os.PathLike, run_folder: str | os.PathLike) -> Path:
    """The bundle of a run folder (cnnviz.core.train.runs layout): its spec, settings, data, history, test metrics
    and library versions, as recorded by the run; nothing is recomputed. Raises RunError for a run folder without
    a model spec or without a finished epoch."""
    from cnnviz.core.train.runs import RunDirectory, RunError

    run = RunDirectory.open(run_folder)
    if not (run.path / "spec.json").is_file():
        raise RunError(f"{run.path} trained a Keras model file, not a model spec: it has no spec for the bundle")
    records = run.history()
    if not records:
        raise RunError(f"{run.path} has no finished epoch yet")
    config = run.read_json("config.json")
    meta = run.read_json("meta.json")
    metrics = run.read_json("metrics.json") if (run.path / "metrics.json").is_file() else None
    split = meta.get("split", {})
    data = {**config["data"], "source": meta.get("dataset", {}).get("source"),
            "train_images": split.get("train"), "validation_images": split.get("validation")}
    # strict JSON writes a NaN (no validation, a diverged loss) as null
    history = {k: [float("nan") if r.get(k) is None else float(r[k]) for r in records] for k in HISTORY_COLUMNS}
    model_file = run.final_model if run.final_model.is_file() else run.last_checkpoint
    if not model_file.is_file():
        raise RunError(f"{run.path} holds no trained model (neither {run.final_model.name} nor a checkpoint)")
    trained = len(records)
    planned = config["training"].get("epochs")
    status = run.state().get("status", "?")
    story = (f"Trained {trained} epoch{'s' if trained != 1 else ''} in all (history.csv, one line per epoch); "
             f"the run was planned for {planned} (Train more adds to the plan) and ended {status}"
             + (" - stopped or interrupted before its plan, so the last epoch may be partial" if
                isinstance(planned, int) and trained < planned else "") + ". "
             f"run.json re-runs {trained} epoch{'s' if trained != 1 else ''} in one go with the same settings, seed "
             "and data; model.keras holds the weights this run ended with.")
    return write_bundle(folder, spec=ModelSpec.from_dict(run.read_json("spec.json")),
                        training={**config["training"], "epochs": trained}, data=data, history=history,
                        metrics=metrics, versions=meta.get("versions", {}), model_file=model_file, story=story)


def _run_data(data: dict) -> dict:
    """The data part of a run config: the DataChoice fields only (not the bundle's extra notes)."""
    from dataclasses import fields

    from cnnviz.core.data.choice import DataChoice

    names = {f.name for f in fields(DataChoice)}
    return {k: v for k, v in data.items() if k in names}
