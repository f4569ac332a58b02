"""Importing TensorFlow/Keras once, with its thread settings, from whichever thread gets there first.

TensorFlow takes seconds to import; the GUI calls :func:`import_tensorflow` on a worker thread and keeps the
window responsive meanwhile. Thread counts must be set before the first TensorFlow op, so they are set here.

TensorFlow's C++ start-up lines (the oneDNN notice, cpu_feature_guard, absl's "All log messages before
absl::InitializeLog()") are kept out of the CLI's and the app's output unless the user asks for them with
``CNNVIZ_TF_LOG=1`` or by setting ``TF_CPP_MIN_LOG_LEVEL`` to 0 or 1 (a value the user set is never changed).
TensorFlow 2.21 prints the oneDNN notice whatever ``TF_CPP_MIN_LOG_LEVEL`` says, so the import runs with the
process's stderr (fd 2) sent to a temporary file, and everything but those start-up lines is written back.
"""
from __future__ import annotations

import gc
import os
import re
import sys
import tempfile
import threading
import time
from contextlib import contextmanager

_lock = threading.Lock()
_loaded: dict[str, object] = {}


TF_LOG_ENV = "CNNVIZ_TF_LOG"
# Lines TensorFlow's C++ side writes while it loads: absl's preamble, INFO/WARNING lines in glog format
# ("I0000 00:00:1796172821.406499   21315 port.cc:153] oneDNN custom operations are on..."), and the second line
# of cpu_feature_guard's notice. ERROR and FATAL lines are always kept.
_STARTUP_LINE = re.compile(
    rb"(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IW]\d{4} [\d:.]+\s+\d+ \S+:\d+\] .*"
    rb"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.)\s*")


def tensorflow_logs_wanted() -> bool:
    """True when the user asked to see TensorFlow's C++ log lines (CNNVIZ_TF_LOG=1, or TF_CPP_MIN_LOG_LEVEL 0/1)."""
    if os.environ.get(TF_LOG_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip() in ("0", "1")


def quiet_tensorflow_logs() -> None:
    """Hide TensorFlow's C++ INFO and WARNING lines (must run before the import) unless the user asked for them;
    a TF_CPP_MIN_LOG_LEVEL the user set is kept."""
    if not tensorflow_logs_wanted():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def drop_startup_lines(data: bytes) -> bytes:
    """``data`` (what fd 2 received) without TensorFlow's start-up log lines."""
    return b"".join(line for line in data.splitlines(keepends=True) if not _STARTUP_LINE.fullmatch(line))


@contextmanager
def _startup_lines_hidden():
    """Send fd 2 to a temporary file meanwhile; then write back all but TensorFlow's start-up lines. Lines other
    threads write meanwhile come out afterwards, in order. Does nothing when the user wants TensorFlow's logs
    or there is no fd 2 (a windowed app on Windows)."""
    if tensorflow_logs_wanted():
        yield
        return
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            try:
                if sys.stderr is not None:
                    sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = drop_startup_lines(capture.read())
            if kept:
                os.write(2, kept)


# cnnviz runs TensorFlow from several threads at once (the app's lanes: inspection, training, export). A running
# tf.function call can hold an inter-op thread while it waits for work scheduled on the same pool, so a pool as
# small as the core count (TensorFlow's default: 2 on a small laptop or a CI machine) lets two concurrent calls
# wait on each other for ever (TensorFlow issues 10369, 32454, 38969). Idle inter-op threads cost next to nothing:
# the arithmetic runs on the intra-op pool, which stays at the core count.
MIN_INTER_OP_THREADS = 8


def _set_thread_pools(tf) -> None:
    """Intra-op threads from ``CNNVIZ_TF_THREADS`` (when set), and never fewer than MIN_INTER_OP_THREADS inter-op
    threads. Only possible before TensorFlow's runtime starts; afterwards its settings stay."""
    threads = os.environ.get("CNNVIZ_TF_THREADS", "").strip()
    try:
        if threads.isdigit() and int(threads) > 0:   # anything else: TensorFlow's default (the core count)
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        inter = tf.config.threading.get_inter_op_parallelism_threads() or (os.cpu_count() or 1)
        tf.config.threading.set_inter_op_parallelism_threads(max(MIN_INTER_OP_THREADS, inter))
    except RuntimeError:
        pass  # the runtime has started already: its settings stay


def import_tensorflow() -> float:
    """Import TensorFlow and Keras (idempotent, thread-safe). Returns the seconds the import took (0 if done)."""
    with _lock:
        if "keras" in _loaded:
            return 0.0
        quiet_tensorflow_logs()
        t0 = time.perf_counter()
        with _startup_lines_hidden():
            import tensorflow as tf  # noqa: F401  (heavy)
            import keras

        _set_thread_pools(tf)
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
