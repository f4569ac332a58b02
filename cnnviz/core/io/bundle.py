"""The reproducibility bundle: everything needed to re-run and check an experiment, in one folder.

    spec.json        the model spec            model_code.py   the Keras code that builds it (runs as is)
    training.json    training settings + seed  data.json       which data, from which file, how many images
    history.csv      per-epoch curves          metrics.json    test accuracy, per-class accuracy, confusion
    versions.json    Python, NumPy, TensorFlow, Keras, cnnviz
    README.txt       what the files are and the command that re-runs it headless

The folder is written under a temporary name and renamed at the end (atomic), marked as a cnnviz bundle; a
previous bundle at the same place goes to the trash, and any other folder there is refused (TargetRefused), never
replaced (cnnviz.core.io.files.replacing_output).
"""
from __future__ import annotations

import os
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
                 history: dict[str, list[float]], metrics: dict | None, versions: dict[str, str]) -> Path:
    """Write the bundle folder (replacing an older bundle at the same place, moved to the trash, only when the new
    one is complete). Raises TargetRefused when ``folder`` holds anything but an older bundle."""
    import cnnviz

    folder = Path(folder)
    with replacing_output(folder, kind="bundle", folder=True) as out:
        tmp = out.tmp
        tmp.mkdir()
        files = {
            "spec.json": spec.to_json() + "\n",
            "model_code.py": keras_code(spec),
            "training.json": strict_json(training) + "\n",
            "data.json": strict_json(data) + "\n",
            "history.csv": _history_csv(history),
            "metrics.json": strict_json(metrics or {}) + "\n",
            "versions.json": strict_json({**versions, "cnnviz": cnnviz.__version__}) + "\n",
            "README.txt": (f"Reproducibility bundle of the model '{spec.name}', written by cnnviz.\n\n"
                           "Re-run it headless (same spec, settings, seed and data):\n"
                           f"    cnnviz-cli train --spec spec.json --dataset {data.get('name', 'mnist_sample')} "
                           f"--epochs {training.get('epochs')} --batch-size {training.get('batch_size')} "
                           f"--optimizer {training.get('optimizer')} --lr {training.get('learning_rate')} "
                           f"--seed {training.get('seed')} --out rerun\n\n"
                           "model_code.py builds the same architecture with plain Keras.\n"),
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
    return write_bundle(folder, spec=ModelSpec.from_dict(run.read_json("spec.json")), training=config["training"],
                        data=data, history=history, metrics=metrics, versions=meta.get("versions", {}))
