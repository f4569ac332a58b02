"""Importing TensorFlow/Keras once, with its thread settings, from whichever thread gets there first.

TensorFlow takes seconds to import; the GUI calls :func:`import_tensorflow` on a worker thread and keeps the
window responsive meanwhile. Thread counts must be set before the first TensorFlow op, so they are set here.
"""
from __future__ import annotations

import gc
import os
import sys
import threading
import time

_lock = threading.Lock()
_loaded: dict[str, object] = {}


def quiet_tensorflow_logs() -> None:
    """Hide TensorFlow's C++ start-up chatter (must run before the import)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def import_tensorflow() -> float:
    """Import TensorFlow and Keras (idempotent, thread-safe). Returns the seconds the import took (0 if done)."""
    with _lock:
        if "keras" in _loaded:
            return 0.0
        quiet_tensorflow_logs()
        t0 = time.perf_counter()
        import tensorflow as tf  # noqa: F401  (heavy)
        import keras

        threads = os.environ.get("CNNVIZ_TF_THREADS")
        if threads:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(int(threads))
                tf.config.threading.set_inter_op_parallelism_threads(min(2, int(threads)))
            except (RuntimeError, ValueError):
                pass  # already initialised: keep TensorFlow's defaults
        _loaded["tf"] = tf
        _loaded["keras"] = keras
        # Keras walks a model's graph recursively, one Python frame per layer (keras/src/ops/function.py), whenever
        # it builds, clones, loads or cuts a model: room for the deepest model cnnviz allows (spec.MAX_LAYERS).
        from cnnviz.core.model.spec import MAX_LAYERS

        sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * MAX_LAYERS + 1000))
        # TensorFlow and Keras leave ~300,000 long-lived objects. Without this, each full (generation-2)
        # collection walks them all, holding the GIL for ~0.2 s wherever it happens to trigger (a checkpoint
        # save on the training thread froze the GUI that long). Freezing moves every object alive now into
        # the permanent generation, which the collector never scans; later garbage is still collected.
        gc.freeze()
        return time.perf_counter() - t0


def tensorflow_loaded() -> bool:
    return "keras" in _loaded


def versions() -> dict[str, str]:
    """Versions of the libraries a result depends on (imports TensorFlow if needed)."""
    import_tensorflow()
    import platform

    import numpy

    tf = _loaded["tf"]
    keras = _loaded["keras"]
    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "tensorflow": tf.__version__, "keras": keras.__version__}
