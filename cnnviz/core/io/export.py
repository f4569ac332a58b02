"""Export a trained model to every format people use, each verified by loading it back with its own runtime.

Formats: Keras ``.keras``, weights ``.weights.h5``, TensorFlow SavedModel (``model.export``), TensorFlow Lite
(converted from the SavedModel), ONNX (``model.export(format="onnx")``; needs the optional ``onnx`` extra).
Every writer goes to a temporary name beside the target and renames at the end, so a failed export leaves no
half-written file and the previous file (if any) untouched. A previous export at the target is moved to the trash,
never deleted; a folder that is not a previous cnnviz SavedModel export is refused (cnnviz.core.io.files).
:func:`verify_export` reloads the written file and compares its predictions with the live model's on the same images;
:func:`export_model` verifies the temporary file *before* it is moved into place, so only a verified export ever
replaces the target (and moves a previous export to the trash).
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from cnnviz.core.io.files import TargetRefused, check_replaceable, run_replacing

FORMATS = {
    "keras": (".keras", "Keras model (.keras): architecture, weights and optimizer state"),
    "weights": (".weights.h5", "Weights only (.weights.h5): load into the same architecture"),
    "savedmodel": ("", "TensorFlow SavedModel folder (serving signature 'serve')"),
    "tflite": (".tflite", "TensorFlow Lite flatbuffer, for phones and microcontrollers"),
    "onnx": (".onnx", "ONNX, for onnxruntime and other frameworks (needs: pip install 'cnnviz[onnx]')"),
}


class ExportError(RuntimeError):
    """An export that failed or did not verify, with a message for the user."""


@dataclass(frozen=True)
class ExportReport:
    format: str
    path: Path
    size_bytes: int
    seconds: float
    max_abs_diff: float
    images: int
    previous: str = ""   # where a replaced previous export went ("" when there was none)

    def describe(self) -> str:
        return (f"{self.format}: {self.path} ({self.size_bytes / 1024:.0f} KB) written and verified in "
                f"{self.seconds:.1f} s; largest difference from the live model on {self.images} images: "
                f"{self.max_abs_diff:.2e}" + (f"; {self.previous}" if self.previous else ""))


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def normalise_path(fmt: str, path: str | os.PathLike) -> Path:
    """The target path with the format's required suffix (Keras insists on .keras / .weights.h5)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    suffix = FORMATS[fmt][0]
    if suffix and not path.name.endswith(suffix):
        path = path.with_name(path.name + suffix)
    return path


def check_target(fmt: str, path: Path) -> None:
    """ExportError unless ``path`` can take a ``fmt`` export without losing anything (see files.check_replaceable)."""
    parent = path.parent
    if not parent.is_dir():
        raise ExportError(f"folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"folder {parent} is not writable; choose another folder")
    try:
        check_replaceable(path, kind=fmt, folder=fmt == "savedmodel")
    except TargetRefused as exc:
        raise ExportError(str(exc)) from None


def _atomic_target(fmt: str, path: Path, write: Callable[[Path], None]) -> str:
    """Run ``write(tmp)`` on a temporary sibling of ``path`` (same suffix), then move it into place (a previous
    export there to the trash). Returns where the previous export went ('' if there was none)."""
    check_target(fmt, path)
    try:
        return run_replacing(path, fmt, fmt == "savedmodel", write)
    except TargetRefused as exc:
        raise ExportError(str(exc)) from None
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc.strerror or exc}") from None


def _ensure_called(model) -> None:
    """ONNX export refuses a model that was never called: run it once on zeros."""
    shape = (1,) + tuple(int(d) for d in model.inputs[0].shape[1:])
    model(np.zeros(shape, np.float32), training=False)


def _write(fmt: str, model, tmp: Path) -> None:
    if fmt == "keras":
        model.save(tmp)
    elif fmt == "weights":
        model.save_weights(tmp)
    elif fmt == "savedmodel":
        model.export(str(tmp), format="tf_saved_model", verbose=False)
    elif fmt == "tflite":
        import tensorflow as tf

        staging = tmp.with_name(tmp.name + ".savedmodel")
        try:
            model.export(str(staging), format="tf_saved_model", verbose=False)
            converter = tf.lite.TFLiteConverter.from_saved_model(str(staging))
            tmp.write_bytes(converter.convert())
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    elif fmt == "onnx":
        try:
            import onnx  # noqa: F401
            import tf2onnx  # noqa: F401
        except ImportError:
            raise ExportError("ONNX export needs the optional packages onnx, tf2onnx and onnxruntime: "
                              "pip install 'cnnviz[onnx]'") from None
        _ensure_called(model)
        model.export(str(tmp), format="onnx", verbose=False)


def export_model(model, fmt: str, path: str | os.PathLike, *, x_check: np.ndarray | None = None) -> ExportReport:
    """Write ``model`` as ``fmt`` to ``path`` atomically and verify it on ``x_check`` (float32 NHWC, a few images;
    random images in the model's input shape when None). Raises ExportError when writing or verifying fails."""
    from cnnviz.core.train.precision import as_float32

    model = as_float32(model)   # a model trained in mixed precision exports its float32 weights, computing in float32
    path = normalise_path(fmt, path)
    if x_check is None:
        shape = tuple(int(d) for d in model.inputs[0].shape[1:])
        x_check = np.random.default_rng(0).random((8,) + shape, dtype=np.float32)
    x_check = np.asarray(x_check, np.float32)
    check_target(fmt, path)   # refuse before any work
    expected = np.asarray(model(x_check, training=False))
    t0 = time.perf_counter()
    checked: dict[str, float] = {}

    def write_and_verify(tmp: Path) -> None:
        """Write to the temporary name and verify that file there: only a verified export is moved into place
        (an export that fails verification leaves nothing new, and a previous export stays where it was)."""
        try:
            _write(fmt, model, tmp)
        except (ExportError, OSError):
            raise
        except Exception as exc:  # noqa: BLE001 - converters raise many kinds; the user gets the reason
            raise ExportError(f"{fmt} export failed: {type(exc).__name__}: {exc}") from None
        try:
            diff = verify_export(fmt, tmp, x_check, expected, model=model)
        except Exception as exc:  # noqa: BLE001
            raise ExportError(f"{path} was not written: the export could not be loaded back to verify it "
                              f"({type(exc).__name__}: {exc}); nothing at {path.name} was changed") from None
        if not diff <= 1e-4:
            raise ExportError(f"{path} was not written: the exported file's predictions differ from the live "
                              f"model's by {diff:.2e}; nothing at {path.name} was changed")
        checked["diff"] = diff

    previous = _atomic_target(fmt, path, write_and_verify)
    seconds = time.perf_counter() - t0
    return ExportReport(fmt, path, _size(path), seconds, checked["diff"], len(x_check), previous)


def predict_with_export(fmt: str, path: str | os.PathLike, x: np.ndarray, *, model=None) -> np.ndarray:
    """Predictions of an exported file, loaded by its own runtime (weights need ``model`` for the architecture)."""
    path = Path(path)
    x = np.asarray(x, np.float32)
    if fmt == "keras":
        import keras

        return np.asarray(keras.saving.load_model(path, compile=False)(x, training=False))
    if fmt == "weights":
        import keras

        if model is None:
            raise ExportError("weights need the model's architecture to be loaded into")
        clone = keras.models.clone_model(model)
        clone.load_weights(path)
        return np.asarray(clone(x, training=False))
    if fmt == "savedmodel":
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path))
        return np.asarray(loaded.serve(tf.constant(x)))
    if fmt == "tflite":
        import warnings

        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
            interp = tf.lite.Interpreter(model_path=str(path))
        inp = interp.get_input_details()[0]
        interp.resize_tensor_input(inp["index"], x.shape)
        interp.allocate_tensors()
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        return np.asarray(interp.get_tensor(interp.get_output_details()[0]["index"]))
    if fmt == "onnx":
        try:
            import onnxruntime as ort
        except ImportError:
            raise ExportError("verifying ONNX needs onnxruntime: pip install 'cnnviz[onnx]'") from None
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return np.asarray(session.run(None, {session.get_inputs()[0].name: x})[0])
    raise ExportError(f"unknown export format {fmt!r}")


def verify_export(fmt: str, path: str | os.PathLike, x: np.ndarray, expected: np.ndarray, *, model=None) -> float:
    """Largest absolute difference between the exported file's predictions and ``expected``."""
    got = predict_with_export(fmt, path, x, model=model)
    if got.shape != expected.shape:
        raise ExportError(f"the exported model returns shape {got.shape}, expected {expected.shape}")
    return float(np.max(np.abs(got - expected))) if got.size else 0.0
