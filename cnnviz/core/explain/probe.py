"""A probe image's feature maps during training ("watch it learn"): one conv layer's activations for one fixed
test image, every few batches, plus the layer's kernels and maps at each epoch's end.

The recorder runs on the training thread: :meth:`ProbeRecorder.on_batch` is the session's ``on_batch_end`` hook
and :meth:`ProbeRecorder.on_epoch` its ``on_epoch_end`` hook. One forward pass of a sub-model ``input -> layer``
(built once per model and compiled, see :func:`cnnviz.core.explain.projection.compiled`; never ``model.predict``)
on the one probe image costs about a millisecond on the lecture model's first conv layer. It keeps only the
latest maps and one record per completed epoch; readers on other threads get immutable :class:`ProbeMaps`.

How often: ``every=N`` records after every N-th batch of each epoch. ``every=None`` (auto) chooses N from what
it measures, so that the probe costs at most ``budget`` (default 1%) of the training time: N = ceil(probe time /
(budget x batch time)), updated after every record.

Each epoch-end record also holds the probe's Grad-CAM heat map on the last conv layer, for its true class
(``label``) or, without a label, the class the model predicts then: the core
:meth:`cnnviz.core.inspect.inspection.ModelInspector.grad_cam`, with an inspector built once per model and sharing
its weights (``copy=False``), so each epoch costs one compiled forward and backward pass. Qt-free.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np

from cnnviz.core.explain.scores import ExplainError, _keras, image_input_shape

MAX_EVERY = 1000


@dataclass(frozen=True)
class ProbeMaps:
    """``maps`` float32 (H', W', C) (read-only): ``layer_name``'s output for the probe image after ``batch``
    batches of Keras epoch ``epoch`` (0-based); ``step`` counts batches over the whole run. An epoch-end record
    (``epochs_done`` = epoch + 1, else None) also holds the layer's ``kernels`` (kh, kw, C_in, F) and ``bias``."""

    epoch: int
    batch: int
    step: int
    layer_name: str
    maps: np.ndarray
    epochs_done: int | None = None
    kernels: np.ndarray | None = None
    bias: np.ndarray | None = None
    cam: np.ndarray | None = None        # (H, W) float32 0..1: Grad-CAM of the probe (epoch-end records only)
    cam_class: int | None = None         # the class it explains
    cam_layer: str | None = None         # the conv layer it is computed on (the last one)
    cam_true: bool = True                # cam_class is the probe's true class (else the predicted one)


def conv_layers(model) -> list:
    """The Conv2D layers of ``model`` in order (nested models searched)."""
    keras = _keras()
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += conv_layers(layer)
        elif isinstance(layer, keras.layers.Conv2D):
            out.append(layer)
    return out


def choose_every(probe_s: float, batch_s: float, budget: float) -> int:
    """The smallest N for which one probe every N batches costs at most ``budget`` of the batches' time."""
    if batch_s <= 0 or probe_s <= 0:
        return 1
    return int(min(MAX_EVERY, max(1, math.ceil(probe_s / (budget * batch_s)))))


class ProbeRecorder:
    """One probe image's maps at ``layer_name`` (default: the first Conv2D), every few batches and per epoch.

    ``image``: HWC (or HW) uint8 0..255 or float 0..1, scaled like the training data. ``label``: its true class
    (Grad-CAM explains that class; None: the predicted class at each epoch's end).
    """

    def __init__(self, image, layer_name: str | None = None, every: int | None = None,
                 budget: float = 0.01, label: int | None = None) -> None:
        x = np.asarray(image)
        if x.ndim == 2:
            x = x[..., None]
        if x.ndim != 3:
            raise ExplainError(f"the probe must be one image (H, W, C); got shape {x.shape}")
        x = x.astype(np.float32) / np.float32(255.0) if x.dtype == np.uint8 else np.asarray(x, np.float32)
        self.image = np.array(x, np.float32)
        self.image.flags.writeable = False
        if every is not None and int(every) < 1:
            raise ExplainError(f"the probe interval must be at least 1 batch; got {every}")
        if not 0 < budget < 1:
            raise ExplainError(f"the probe's time budget is a share of the training time in (0, 1); got {budget}")
        self.layer_name = layer_name
        self.label = None if label is None else int(label)
        self.auto = every is None
        self.every = 1 if every is None else int(every)
        self.budget = float(budget)
        self._lock = threading.Lock()
        self._latest: ProbeMaps | None = None
        self._epochs: dict[int, ProbeMaps] = {}
        self._probe = None      # (model, layer, compiled sub-model, input tensor)
        self._pending: str | None = None   # a layer chosen from another thread, applied at the next record
        self._since = 0
        self._epoch = None
        self._batch = 0
        self._step = 0
        self.recorded: list[tuple[int, int]] = []   # (epoch, batch) of every batch record, in order
        self.probe_seconds: list[float] = []          # each forward pass (the first one includes tracing)
        self._batch_time = 0.0
        self._batch_count = 0
        self._t_last: float | None = None
        self._spent = 0.0   # probe time since the last batch call (not training time)
        self._inspector = None   # (model, ModelInspector sharing its weights) for Grad-CAM
        self.cam_seconds: list[float] = []   # each epoch's Grad-CAM (the first one includes building and tracing)
        self.cam_error = ""   # why there is no Grad-CAM (the maps and kernels are recorded all the same)

    # --- reading (any thread) -----------------------------------------------------------------------
    @property
    def latest(self) -> ProbeMaps | None:
        with self._lock:
            return self._latest

    @property
    def epochs(self) -> list[int]:
        with self._lock:
            return sorted(self._epochs)

    def at_epoch(self, epochs_done: int) -> ProbeMaps:
        """The record made when epoch ``epochs_done`` ended (1-based); KeyError if none."""
        with self._lock:
            if epochs_done not in self._epochs:
                raise KeyError(f"no probe maps after {epochs_done} epoch(s); have {sorted(self._epochs)}")
            return self._epochs[epochs_done]

    def choose_layer(self, name: str) -> None:
        """Probe the Conv2D layer ``name`` from the next record on (any thread; a wrong name makes that record
        raise ExplainError)."""
        with self._lock:
            self._pending = str(name)

    # --- recording (training thread) ----------------------------------------------------------------
    def maps(self, model) -> np.ndarray:
        """The layer's output for the probe image now: float32 (H', W', C), one compiled forward pass."""
        _, _, call, x = self._probe_for(model)
        t0 = time.perf_counter()
        out = np.array(call(x), dtype=np.float32)[0]
        dt = time.perf_counter() - t0
        self.probe_seconds.append(dt)
        self._spent += dt
        out.flags.writeable = False
        return out

    def on_batch(self, epoch: int, batch: int, model) -> ProbeMaps | None:
        """The session's ``on_batch_end`` hook: ``batch`` batches of Keras epoch ``epoch`` are done. Records
        (and returns the record) when ``every`` batches have passed since the last record of this epoch."""
        now = time.perf_counter()
        if self._t_last is not None and epoch == self._epoch:
            self._batch_time += max(0.0, now - self._t_last - self._spent)
            self._batch_count += 1
        self._t_last, self._spent = now, 0.0
        if epoch != self._epoch:
            self._epoch, self._since = epoch, 0
        self._step += 1
        self._batch = int(batch)
        self._since += 1
        if self._since < self.every:
            return None
        self._since = 0
        _, layer, _, _ = self._probe_for(model)
        item = ProbeMaps(int(epoch), int(batch), self._step, layer.name, self.maps(model))
        with self._lock:
            self._latest = item
            self.recorded.append((int(epoch), int(batch)))
        if self.auto:
            self._retune()
        self._t_last = time.perf_counter()
        self._spent = 0.0
        return item

    def on_epoch(self, epoch: int, model) -> ProbeMaps:
        """The session's ``on_epoch_end`` hook (Keras's 0-based ``epoch``): maps, kernels and bias now."""
        _, layer, _, _ = self._probe_for(model)
        weights = layer.get_weights()
        kernels = np.array(weights[0], np.float32)
        bias = np.array(weights[1], np.float32) if len(weights) > 1 else None
        for arr in (kernels, bias):
            if arr is not None:
                arr.flags.writeable = False
        batch = self._batch if epoch == self._epoch else 0
        cam = cls = cam_layer = None
        try:
            cam, cls, cam_layer = self.grad_cam(model)
        except Exception as exc:  # noqa: BLE001 (e.g. no spatial conv output: the maps and kernels still count)
            self.cam_error = f"no Grad-CAM: {exc}"
        item = ProbeMaps(int(epoch), int(batch), self._step, layer.name, self.maps(model), int(epoch) + 1,
                         kernels, bias, cam, cls, cam_layer, self.label is not None)
        with self._lock:
            self._latest = item
            self._epochs[int(epoch) + 1] = item
        self._t_last = None   # validation and the other epoch-end work are no batch time
        return item

    def grad_cam(self, model) -> tuple[np.ndarray, int, str]:
        """(heat map (H, W) float32 0..1, class, layer name): the probe's Grad-CAM on the last conv layer now,
        for ``label`` or the predicted class (training thread; the inspector is built once per model)."""
        t0 = time.perf_counter()
        if self._inspector is None or self._inspector[0] is not model:
            from cnnviz.core.inspect.inspection import ModelInspector

            self._inspector = (model, ModelInspector(model, copy=False))
        ins = self._inspector[1]
        info = ins.last_conv_layer()
        if info is None or not info.is_spatial:
            raise ExplainError("Grad-CAM needs a convolution layer with a spatial (H, W, C) output")
        n = len(ins.class_names)
        if self.label is not None and not 0 <= self.label < n:
            raise ExplainError(f"the probe's class {self.label} is out of range: the model has {n} classes")
        cls = self.label if self.label is not None else ins.feature_maps(self.image).predicted
        heat = ins.grad_cam(self.image, cls, info.index)
        heat.flags.writeable = False
        self.cam_seconds.append(time.perf_counter() - t0)
        return heat, int(cls), info.name

    def _retune(self) -> None:
        timed = self.probe_seconds[1:]   # the first pass traces the function
        if not timed or not self._batch_count:
            return
        probe_s = sorted(timed)[len(timed) // 2]
        self.every = choose_every(probe_s, self._batch_time / self._batch_count, self.budget)

    def _probe_for(self, model):
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None and pending != self.layer_name:
            self.layer_name, self._probe = pending, None
        if self._probe is not None and self._probe[0] is model:
            return self._probe
        keras = _keras()
        import tensorflow as tf

        from cnnviz.core.explain.projection import compiled

        shape = image_input_shape(model)
        if tuple(self.image.shape) != shape:
            raise ExplainError(f"the probe image is {self.image.shape} but the model expects {shape}")
        convs = conv_layers(model)
        if self.layer_name is None:
            if not convs:
                raise ExplainError("the model has no Conv2D layer: there are no feature maps to probe")
            layer = convs[0]
        else:
            layer = next((ly for ly in convs if ly.name == self.layer_name), None)
            if layer is None:
                names = ", ".join(ly.name for ly in convs) or "none"
                raise ExplainError(f"no Conv2D layer {self.layer_name!r} to probe; the conv layers are {names}")
        sub = keras.Model(model.inputs[0], layer.output, name=f"{layer.name}_probe")
        self._probe = (model, layer, compiled(sub), tf.constant(self.image[np.newaxis]))
        return self._probe
