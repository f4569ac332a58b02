"""What changes when a model ships: int8 post-training quantization to TensorFlow Lite, beside float32.

:func:`quantize` converts a Keras model twice through the same route as :mod:`cnnviz.core.io.export` (a
SavedModel, then ``tf.lite.TFLiteConverter.from_saved_model``): once plainly (the float32 .tflite) and once with
``Optimize.DEFAULT`` and a representative dataset of real images, full-integer (int8 weights, activations, input
and output) when every op has an int8 kernel, else integer with float fallback (``QuantizedModel.full_integer``
says which). Mixed-precision models are turned to float32 first (:func:`cnnviz.core.train.precision.as_float32`).

:func:`compare` evaluates both files on given test images with TFLite's own interpreter (real evaluation, not a
simulation): file sizes, test accuracies, median latency per image (batch of one, repeated invokes), and the largest
and mean absolute difference of the class probabilities. :func:`layer_errors` uses
``tf.lite.experimental.QuantizationDebugger`` for each quantized layer's error against its float result.

Images are NHWC float32 in the model's input scale (0..1). Qt-free; TensorFlow is imported lazily.
"""
from __future__ import annotations

import shutil
import statistics
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from cnnviz.core.errors import UserError

REPRESENTATIVE_MAX = 200    # images fed to the calibration (more adds time, rarely accuracy)
LATENCY_REPEATS = 50        # invokes per model for the median latency


class QuantizeError(UserError):
    """A model cannot be quantized or compared (its reason in words)."""


def _tf():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import tensorflow as tf

    return tf


def _input_shape(model) -> tuple[int, ...]:
    inputs = list(getattr(model, "inputs", None) or [])
    if len(inputs) != 1:
        raise QuantizeError(f"the model has {len(inputs)} inputs; quantization here needs one image input")
    shape = tuple(inputs[0].shape[1:])
    if any(d is None for d in shape):
        raise QuantizeError(f"the model's input {tuple(inputs[0].shape)} has a free size; quantization needs a "
                            "fixed input size")
    return tuple(int(d) for d in shape)


def _images(x, shape, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    x = np.asarray(x, np.float32)
    if x.ndim == len(shape):
        x = x[None]
    if tuple(x.shape[1:]) != tuple(shape):
        raise QuantizeError(f"the {what} are {tuple(x.shape[1:])} each but the model expects {tuple(shape)}")
    if len(x) == 0:
        raise QuantizeError(f"no {what} were given")
    if not np.all(np.isfinite(x)):
        raise QuantizeError(f"the {what} hold NaN or infinite values")
    return x


class TFLiteRunner:
    """One .tflite flatbuffer with its interpreter: probabilities for float images, whatever its I/O types.

    An int8 input is quantized with the file's own scale and zero point, an int8 output dequantized likewise.
    Thread-safe (one lock): the interpreter is not."""

    def __init__(self, content: bytes) -> None:
        tf = _tf()
        self.content = content
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
            self._interp = tf.lite.Interpreter(model_content=content, num_threads=1)
        self._interp.allocate_tensors()
        self._in = self._interp.get_input_details()[0]
        self._out = self._interp.get_output_details()[0]
        self._batch = 1
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def input_dtype(self):
        return np.dtype(self._in["dtype"])

    def _resize(self, n: int) -> None:
        if n != self._batch:
            self._interp.resize_tensor_input(self._in["index"], [n] + list(self._in["shape"][1:]))
            self._interp.allocate_tensors()
            self._in = self._interp.get_input_details()[0]
            self._out = self._interp.get_output_details()[0]
            self._batch = n

    def _feed(self, x: np.ndarray) -> np.ndarray:
        dtype = np.dtype(self._in["dtype"])
        if dtype == np.float32:
            return x.astype(np.float32)
        scale, zero = self._in["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)

    def _read(self) -> np.ndarray:
        y = self._interp.get_tensor(self._out["index"])
        if np.dtype(self._out["dtype"]) == np.float32:
            return np.asarray(y, np.float32)
        scale, zero = self._out["quantization"]
        return ((y.astype(np.float32) - zero) * scale).astype(np.float32)

    def __call__(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Outputs for a batch of float images (NHWC, 0..1)."""
        x = np.asarray(x, np.float32)
        out = []
        with self._lock:
            for start in range(0, len(x), batch_size):
                chunk = x[start:start + batch_size]
                self._resize(len(chunk))
                self._interp.set_tensor(self._in["index"], self._feed(chunk))
                self._interp.invoke()
                out.append(self._read())
        return np.concatenate(out)

    def latency_ms(self, image: np.ndarray, repeats: int = LATENCY_REPEATS) -> float:
        """Median wall time of one invoke on one image (the input already set), in milliseconds."""
        with self._lock:
            self._resize(1)
            self._interp.set_tensor(self._in["index"], self._feed(np.asarray(image, np.float32)[None]))
            self._interp.invoke()   # warm-up
            times = []
            for _ in range(max(1, repeats)):
                t0 = time.perf_counter()
                self._interp.invoke()
                times.append(time.perf_counter() - t0)
        return statistics.median(times) * 1e3


@dataclass
class QuantizedModel:
    """The float32 and int8 TFLite versions of one Keras model."""

    float_runner: TFLiteRunner
    int8_runner: TFLiteRunner
    full_integer: bool          # int8 everywhere, input and output included (False: float fallback somewhere)
    calibration_images: int
    seconds: float
    note: str = ""              # why full-integer was not possible, when it was not
    _representative: np.ndarray | None = field(default=None, repr=False)
    _keras_model: object = field(default=None, repr=False)   # the float32 Keras model (for layer_errors)

    @property
    def float_size(self) -> int:
        return self.float_runner.size

    @property
    def int8_size(self) -> int:
        return self.int8_runner.size

    def predict_int8(self, x: np.ndarray) -> np.ndarray:
        return self.int8_runner(x)

    def predict_float(self, x: np.ndarray) -> np.ndarray:
        return self.float_runner(x)


def _representative_set(x: np.ndarray, limit: int) -> np.ndarray:
    if len(x) <= limit:
        return x
    idx = np.random.default_rng(0).choice(len(x), limit, replace=False)
    return x[np.sort(idx)]


def quantize(model, representative: np.ndarray, *, progress: Callable[[str], None] | None = None,
             max_images: int = REPRESENTATIVE_MAX) -> QuantizedModel:
    """Convert ``model`` to float32 and int8 TFLite, calibrating the int8 ranges on ``representative`` (real
    images of the kind the model reads, NHWC 0..1 or uint8 0..255; at most ``max_images`` are used)."""
    from cnnviz.core.train.precision import as_float32

    tf = _tf()
    say = progress or (lambda _text: None)
    model = as_float32(model)
    shape = _input_shape(model)
    rep = _representative_set(_images(representative, shape, "representative images"), max_images)
    t0 = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix="cnnviz-quantize-"))
    try:
        say("Writing a SavedModel…")
        saved = staging / "savedmodel"
        try:
            model.export(str(saved), format="tf_saved_model", verbose=False)
        except Exception as exc:  # noqa: BLE001 - the user gets the reason
            raise QuantizeError(f"the model could not be saved for conversion: {type(exc).__name__}: {exc}") from None

        def converter():
            return tf.lite.TFLiteConverter.from_saved_model(str(saved))

        def gen():
            for img in rep:
                yield [img[None].astype(np.float32)]

        say("Converting to float32 TFLite…")
        try:
            float_bytes = converter().convert()
        except Exception as exc:  # noqa: BLE001
            raise QuantizeError(f"TFLite conversion failed: {type(exc).__name__}: {exc}") from None
        say(f"Quantizing to int8 (calibrating on {len(rep)} images)…")
        note = ""
        conv = converter()
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = gen
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        try:
            int8_bytes = conv.convert()
            full = True
        except Exception as exc:  # noqa: BLE001 - an op without an int8 kernel: keep float where needed
            note = f"full-integer conversion was refused ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); " \
                   "ops without an int8 kernel stay float"
            conv = converter()
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = gen
            try:
                int8_bytes = conv.convert()
            except Exception as exc2:  # noqa: BLE001
                raise QuantizeError(f"int8 conversion failed: {type(exc2).__name__}: {exc2}") from None
            full = False
        say("Loading both TFLite models…")
        result = QuantizedModel(TFLiteRunner(float_bytes), TFLiteRunner(int8_bytes), full, len(rep),
                                time.perf_counter() - t0, note)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result._representative = rep
    result._keras_model = model
    return result


@dataclass(frozen=True)
class QuantizationReport:
    float_size: int
    int8_size: int
    float_accuracy: float
    int8_accuracy: float
    float_latency_ms: float
    int8_latency_ms: float
    max_prob_diff: float
    mean_prob_diff: float
    agreement: float            # fraction of test images both models put in the same class
    test_images: int
    full_integer: bool

    @property
    def size_ratio(self) -> float:
        return self.float_size / self.int8_size if self.int8_size else float("nan")

    def lines(self) -> list[str]:
        return [
            f"file size: float32 {self.float_size / 1024:.1f} KiB, int8 {self.int8_size / 1024:.1f} KiB "
            f"({self.size_ratio:.1f}x smaller)",
            f"test accuracy on {self.test_images:,} images: float32 {self.float_accuracy:.2%}, "
            f"int8 {self.int8_accuracy:.2%}",
            f"latency per image (median): float32 {self.float_latency_ms:.3f} ms, int8 {self.int8_latency_ms:.3f} ms",
            f"probabilities differ by at most {self.max_prob_diff:.4f} (mean {self.mean_prob_diff:.5f}); "
            f"same class on {self.agreement:.2%} of the images",
        ]


def compare(quantized: QuantizedModel, x_test: np.ndarray, y_test: np.ndarray, *,
            repeats: int = LATENCY_REPEATS) -> QuantizationReport:
    """Evaluate the float32 and the int8 file on the same test images with TFLite's interpreter."""
    shape = tuple(int(d) for d in quantized.float_runner._in["shape"][1:])
    x = _images(x_test, shape, "test images")
    y = np.asarray(y_test).reshape(-1).astype(np.int64)
    if len(y) != len(x):
        raise QuantizeError(f"{len(x)} test images but {len(y)} labels")
    pf = quantized.predict_float(x)
    pq = quantized.predict_int8(x)
    if pf.shape[-1] == 1:   # one sigmoid unit
        pf, pq = np.concatenate([1 - pf, pf], 1), np.concatenate([1 - pq, pq], 1)
    cf, cq = pf.argmax(1), pq.argmax(1)
    diff = np.abs(pf.astype(np.float64) - pq)
    return QuantizationReport(
        quantized.float_size, quantized.int8_size, float(np.mean(cf == y)), float(np.mean(cq == y)),
        quantized.float_runner.latency_ms(x[0], repeats), quantized.int8_runner.latency_ms(x[0], repeats),
        float(diff.max()), float(diff.mean()), float(np.mean(cf == cq)), len(x), quantized.full_integer)


@dataclass(frozen=True)
class LayerError:
    """One quantized op's error: its int8 output against the float op's output on the same (dequantized) input,
    as tf.lite.experimental.QuantizationDebugger measures it (the error this op adds, not the accumulated one)."""

    op: str             # "CONV_2D", "FULLY_CONNECTED", ...
    tensor: str         # the output tensor's name in the TFLite graph
    rmse: float         # root-mean-square error, in the tensor's own units
    max_abs_error: float
    scale: float        # the int8 step of the tensor

    @property
    def rmse_over_scale(self) -> float:
        """The RMSE in int8 steps (about 0.29 is the floor of rounding alone)."""
        return self.rmse / self.scale if self.scale else float("nan")

    @property
    def layer(self) -> str:
        """A short name: the Keras layer the op came from when the tensor name says it."""
        first = self.tensor.split(";")[0]
        parts = first.split("/")
        return parts[1] if len(parts) > 2 else first


def layer_errors(quantized: QuantizedModel, images: np.ndarray | None = None, *,
                 max_images: int = 20) -> list[LayerError]:
    """Each quantized layer's error against float, by tf.lite.experimental.QuantizationDebugger (which
    re-runs a float-fallback copy of the int8 model on ``images``, the calibration images by default)."""
    tf = _tf()
    model = getattr(quantized, "_keras_model", None)
    rep = quantized._representative
    if model is None or rep is None:
        raise QuantizeError("per-layer errors need the QuantizedModel made by quantize()")
    data = rep if images is None else images
    data = np.asarray(data, np.float32)[:max_images]
    staging = Path(tempfile.mkdtemp(prefix="cnnviz-qdebug-"))
    try:
        saved = staging / "savedmodel"
        model.export(str(saved), format="tf_saved_model", verbose=False)
        conv = tf.lite.TFLiteConverter.from_saved_model(str(saved))
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([img[None]] for img in rep)

        def debug_set():
            for img in data:
                yield [img[None]]

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            debugger = tf.lite.experimental.QuantizationDebugger(converter=conv, debug_dataset=debug_set)
            debugger.run()
        import csv
        import io

        buf = io.StringIO()
        debugger.layer_statistics_dump(buf)
    except Exception as exc:  # noqa: BLE001
        raise QuantizeError(f"the quantization debugger failed: {type(exc).__name__}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    out = []
    for row in rows:
        try:
            mse, mx, scale = (float(row[k]) for k in ("mean_squared_error", "max_abs_error", "scale"))
        except (KeyError, ValueError):
            continue
        out.append(LayerError(row.get("op_name", "?"), row.get("tensor_name", "?"), float(np.sqrt(mse)), mx, scale))
    return out
