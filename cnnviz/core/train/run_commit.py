"""An epoch is one commit, and a run folder is never lost: what cnnviz.core.train.runs builds on.

* The checkpoint carries its epoch: ``checkpoints/last.keras`` holds, beside Keras's own entries, ``cnnviz-epoch.json``
  with the epoch's history record, written into the temporary file before the rename that commits it. Resume takes
  its position from the checkpoint and reconciles ``history.jsonl`` with it (:func:`reconcile_history`): lines past
  the checkpoint's epoch are dropped (their weights never landed), a missing last line (a crash, a full disk between
  checkpoint and history) is restored from the checkpoint's copy.
* A checkpoint belongs to one model: :func:`model_signature` (layers and parameter count), recorded in meta.json at
  the start, is compared on resume (:func:`check_checkpoint`).
* ``--overwrite`` starts from an empty folder: the old run's files go to the system trash as one folder
  ``<run>-overwritten-<time>`` (:func:`trash_old_run`), beside the run when there is no trash; never deleted.
"""
from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

EPOCH_ENTRY = "cnnviz-epoch.json"


# --- the checkpoint carries its epoch ------------------------------------------------------------------------

def embed_record(checkpoint: str | os.PathLike, record: dict[str, Any]) -> None:
    """Add the epoch's history record to a .keras file (a zip; Keras ignores entries it does not know)."""
    from cnnviz.core.io.files import strict_json

    with zipfile.ZipFile(checkpoint, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EPOCH_ENTRY, strict_json(record, indent=None))


def checkpoint_record(checkpoint: str | os.PathLike) -> dict[str, Any] | None:
    """The history record a checkpoint was committed with (``epoch``: 0-based index of its last epoch), or None
    for a checkpoint written before checkpoints carried their epoch, or one that cannot be read."""
    try:
        with zipfile.ZipFile(checkpoint) as archive:
            info = archive.getinfo(EPOCH_ENTRY)
            if info.file_size > 1 << 20:
                return None
            record = json.loads(archive.read(info).decode("utf-8"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, RuntimeError):
        return None
    epoch = record.get("epoch") if isinstance(record, dict) else None
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        return None
    return {k: (float("nan") if v is None else v) for k, v in record.items()}


def reconcile_history(records: list[dict[str, Any]], checkpoint: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The history that matches the checkpoint: one record per epoch 0..checkpoint epoch (the last written wins),
    the checkpoint's own record where the history lacks it. Without a checkpoint record, ``records`` unchanged."""
    if checkpoint is None:
        return records
    last = checkpoint["epoch"]
    by_epoch: dict[int, dict[str, Any]] = {}
    for record in records:
        if record["epoch"] <= last:
            by_epoch[record["epoch"]] = record
    by_epoch.setdefault(last, checkpoint)
    return [by_epoch[e] for e in sorted(by_epoch)]


# --- a checkpoint belongs to one model -------------------------------------------------------------------------

def model_signature(model) -> dict[str, Any]:
    """What identifies a model's architecture for resuming: its parameter count and (name, class) of each layer."""
    import keras

    layers = [[layer.name, type(layer).__name__] for layer in model.layers
              if not isinstance(layer, keras.layers.InputLayer)]
    return {"params": int(model.count_params()), "layers": layers}


def spec_signature(spec_dict: dict) -> dict[str, Any] | None:
    """The parameter count and layer names a spec builds (None when the spec is not valid)."""
    from cnnviz.core.model.shapes import infer_shapes
    from cnnviz.core.model.spec import ModelSpec

    try:
        spec = ModelSpec.from_dict(spec_dict)
        return {"params": int(infer_shapes(spec).total_params), "names": list(spec.layer_names())}
    except Exception:  # noqa: BLE001 - a spec.json that is not a spec: nothing to compare with
        return None


def _describe(params: int, names: list[str]) -> str:
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return f"{params:,} parameters, layers {shown}"


def checkpoint_mismatch(model, *, expected: dict | None, spec_dict: dict | None) -> str | None:
    """Why the checkpoint ``model`` is not the run's model ('' / None when it is): compared with the signature
    meta.json recorded at the start (``expected``) and with the run's spec.json (``spec_dict``)."""
    got = model_signature(model)
    got_names = [name for name, _ in got["layers"]]
    wanted = []
    if isinstance(expected, dict) and isinstance(expected.get("layers"), list):
        wanted.append((expected.get("params"), [l[0] for l in expected["layers"] if isinstance(l, list) and l],
                       [list(l) for l in expected["layers"]], "the run's model"))
    if spec_dict is not None:
        sig = spec_signature(spec_dict)
        if sig is not None:
            wanted.append((sig["params"], sig["names"], None, "the run's model spec"))
    for params, names, layers, what in wanted:
        same = params == got["params"] and names == got_names and (layers is None or layers == got["layers"])
        if not same:
            return (f"the checkpoint has {_describe(got['params'], got_names)}; {what} has "
                    f"{_describe(int(params or 0), names)}")
    return None


# --- overwrite: the old run to the trash ---------------------------------------------------------------------

def trash_old_run(folder: Path, keep: tuple[str, ...]) -> str:
    """Move everything in ``folder`` except the names in ``keep`` (its lock) into one folder
    ``<name>-overwritten-<time>`` and send that to the system trash (beside ``folder`` when there is no trash).
    Returns a sentence saying where the old run went ('' when there was nothing)."""
    from cnnviz.core.io import files

    entries = [p for p in folder.iterdir() if p.name not in keep]
    if not entries:
        return ""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name, n = f"{folder.name}-overwritten-{stamp}", 1
    while (folder / name).exists() or (folder.parent / name).exists():
        n += 1
        name = f"{folder.name}-overwritten-{stamp}-{n}"
    staging = folder / name
    staging.mkdir()
    for entry in entries:
        entry.rename(staging / entry.name)
    try:
        files.send_to_trash(staging)
        return f"the old run's files are in the trash as {name}"
    except Exception:  # noqa: BLE001 - no trash here: keep the old run beside, never delete it
        staging.rename(folder.parent / name)
        return f"the old run's files were kept beside as {folder.parent / name}"
