"""What a Run takes from its loaded data and records about it (cnnviz.core.train.run).

* :func:`run_meta`: meta.json's record of the run's origin and the dataset's identity;
* :func:`fingerprints`: SHA-256 of the images trained on, to compare two runs' data without the data;
* :func:`evaluation_images`: the test images the run is evaluated on (in memory or streamed);
* :func:`snapshot_sample`: the one image whose feature maps are recorded each epoch.
"""
from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from cnnviz.core.train.evaluation import TestImages


def run_meta(data, origin: str) -> dict[str, Any]:
    """meta.json's record of where a run comes from: library versions, origin (app or cli), command line, start
    time, and the identity of the loaded data (counts, input shape, class names; CelebA's partitions)."""
    from cnnviz.core.tf_runtime import versions

    meta = {"versions": versions(), "origin": origin, "command": list(sys.argv),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if getattr(data, "info", None) is not None:   # streamed CelebA
        info = data.info
        meta["dataset"] = {"name": data.name, "source": data.source, "train": info.counts["train"],
                           "valid": info.counts["valid"], "test": info.counts["test"], "attribute": info.attribute,
                           "positives": dict(info.positives), "input_shape": list(data.input_shape),
                           "class_names": list(data.class_names)}
    else:
        meta["dataset"] = {"name": data.name, "source": data.source, "train": int(len(data.x_train)),
                           "test": int(len(data.x_test)), "input_shape": list(data.input_shape),
                           "class_names": list(data.class_names),
                           "notes": list(getattr(data, "notes", ()))}   # e.g. the unreadable files skipped
    return meta


def fingerprints(data, prepared) -> dict[str, str] | None:
    """SHA-256 of the images a run trains on, to compare two runs' data without the data: ``selection`` (the
    chosen uint8 training images and labels, before the split) and ``split`` (the validation images and labels).
    None for streamed data (CelebA), whose images are read as training goes."""
    import hashlib

    if not hasattr(data, "x_train") or not hasattr(prepared, "x_val"):
        return None

    def sha(*arrays) -> str:
        h = hashlib.sha256()
        for a in arrays:
            a = np.ascontiguousarray(a)
            h.update(str((a.dtype.str, a.shape)).encode())
            h.update(a.data)
        return h.hexdigest()

    return {"selection": sha(data.x_train, np.asarray(data.y_train, np.int64)),
            "split": sha(prepared.x_val, np.asarray(prepared.y_val, np.int64))}


def evaluation_images(data, streamed: bool) -> TestImages:
    """The loaded data's test images, in memory or streamed (CelebA), as the run evaluates them."""
    if streamed:
        return TestImages(data.num_classes, stream=data.test if data.info.counts["test"] else None,
                          y=None if data.info.counts["test"] else np.zeros(0, np.int64),
                          x=None if data.info.counts["test"] else np.zeros((0, *data.input_shape), np.float32))
    return TestImages(data.num_classes, x=data.x_test, y=data.y_test)


def snapshot_sample(data, streamed: bool, index: int) -> np.ndarray:
    """One image (HWC) whose feature maps are recorded each epoch: a test image, else a training one."""
    if streamed:
        source = data.test if data.info.counts["test"] else data.valid if data.info.counts["valid"] else data.train
        for x, _ in source.skip(max(0, index)).take(1):
            return np.asarray(x)
        for x, _ in source.take(1):
            return np.asarray(x)
    x = data.x_test if len(data.x_test) else data.x_train
    return x[min(max(0, index), len(x) - 1)]
