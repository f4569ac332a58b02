"""Per-epoch snapshots of the first convolution layer: its kernels and one fixed sample's feature maps.

A :class:`SnapshotStore` is handed to :class:`cnnviz.core.train.session.TrainingSession` as its ``on_epoch_end``
hook, so it records on the training thread, once per epoch, a few small arrays (the lecture's conv_1: 5x5x1x32
kernels and a 28x28x32 feature map, ~100 KB). Readers on other threads (the inspector replaying how the filters
formed) get immutable :class:`Snapshot` objects; a lock guards the list. Pure numpy + Keras (imported lazily).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Snapshot:
    """The first conv layer after ``epoch`` completed epochs (0: the initial, untrained weights).

    ``kernels``: float32 ``(kh, kw, c_in, filters)`` (Keras's layout); ``bias``: float32 ``(filters,)`` or None;
    ``feature_maps``: float32 ``(H', W', filters)``, the layer's output (after its activation) for the store's
    fixed sample.
    """

    epoch: int
    kernels: np.ndarray
    bias: np.ndarray | None
    feature_maps: np.ndarray


def first_conv_layer(model) -> Any | None:
    """The first ``keras.layers.Conv2D`` of ``model`` (searching nested models too), or None."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            return layer
        if isinstance(layer, keras.Model):
            inner = first_conv_layer(layer)
            if inner is not None:
                return inner
    return None


class SnapshotStore:
    """Kernels and feature maps of the first conv layer, per epoch.

    ``sample``: one image, HWC, uint8 0..255 or float 0..1 (scaled like the training data). Call
    :meth:`record_initial` before training and pass :meth:`record` as the session's ``on_epoch_end``.
    A model without a Conv2D layer records nothing (:attr:`available` is False, :attr:`reason` says why).
    """

    def __init__(self, sample: np.ndarray) -> None:
        sample = np.asarray(sample)
        if sample.ndim != 3:
            raise ValueError(f"the snapshot sample must be one HWC image, got shape {sample.shape}")
        if sample.dtype == np.uint8:
            sample = sample.astype(np.float32) / np.float32(255.0)
        self._sample = np.array(sample, dtype=np.float32)
        self._sample.flags.writeable = False
        self._lock = threading.Lock()
        self._snapshots: list[Snapshot] = []
        self._layer_name: str | None = None
        self._reason = "no model recorded yet"
        self._probe = None        # (model, layer, sub-model) built once per model
        self._probe_model_id: int | None = None

    # --- reading (any thread) -----------------------------------------------------------------------
    @property
    def sample(self) -> np.ndarray:
        """The fixed image (float32 HWC, 0..1, read-only) whose feature maps are recorded."""
        return self._sample

    @property
    def layer_name(self) -> str | None:
        """Name of the recorded conv layer (None until a model with one was recorded)."""
        return self._layer_name

    @property
    def available(self) -> bool:
        return self._layer_name is not None

    @property
    def reason(self) -> str:
        """Why nothing is recorded (when :attr:`available` is False)."""
        return "" if self.available else self._reason

    @property
    def snapshots(self) -> tuple[Snapshot, ...]:
        with self._lock:
            return tuple(self._snapshots)

    @property
    def epochs(self) -> list[int]:
        with self._lock:
            return [s.epoch for s in self._snapshots]

    def __len__(self) -> int:
        with self._lock:
            return len(self._snapshots)

    def get(self, epoch: int) -> Snapshot:
        """The snapshot taken after ``epoch`` completed epochs; KeyError if there is none."""
        with self._lock:
            for snap in self._snapshots:
                if snap.epoch == epoch:
                    return snap
        raise KeyError(f"no snapshot after {epoch} epoch(s); have {self.epochs}")

    @property
    def latest(self) -> Snapshot | None:
        with self._lock:
            return self._snapshots[-1] if self._snapshots else None

    def kernel_series(self) -> np.ndarray:
        """All kernels stacked: float32 ``(n_snapshots, kh, kw, c_in, filters)`` (empty ``(0,)`` if none)."""
        snaps = self.snapshots
        return np.stack([s.kernels for s in snaps]) if snaps else np.zeros((0,), np.float32)

    def feature_series(self) -> np.ndarray:
        """All feature maps stacked: float32 ``(n_snapshots, H', W', filters)`` (empty ``(0,)`` if none)."""
        snaps = self.snapshots
        return np.stack([s.feature_maps for s in snaps]) if snaps else np.zeros((0,), np.float32)

    # --- recording (training thread) ----------------------------------------------------------------
    def record(self, epoch: int, model) -> Snapshot | None:
        """The ``on_epoch_end`` hook: ``epoch`` is Keras's 0-based index of the epoch that just ended."""
        return self.take(epoch + 1, model)

    def record_initial(self, model) -> Snapshot | None:
        """Record the weights before any training (epoch 0)."""
        return self.take(0, model)

    def take(self, epochs_done: int, model) -> Snapshot | None:
        """Record the layer after ``epochs_done`` epochs (replacing an older snapshot with that number)."""
        probe = self._probe_for(model)
        if probe is None:
            return None
        _, layer, sub = probe
        weights = layer.get_weights()
        kernels = np.array(weights[0], dtype=np.float32)
        bias = np.array(weights[1], dtype=np.float32) if len(weights) > 1 else None
        maps = np.array(sub(self._sample[np.newaxis], training=False), dtype=np.float32)[0]
        for arr in (kernels, bias, maps):
            if arr is not None:
                arr.flags.writeable = False
        snap = Snapshot(int(epochs_done), kernels, bias, maps)
        with self._lock:
            self._snapshots = [s for s in self._snapshots if s.epoch != snap.epoch]
            self._snapshots.append(snap)
            self._snapshots.sort(key=lambda s: s.epoch)
        return snap

    def clear(self) -> None:
        with self._lock:
            self._snapshots = []

    def _probe_for(self, model):
        if self._probe is not None and self._probe_model_id == id(model) and self._probe[0] is model:
            return self._probe
        import keras

        layer = first_conv_layer(model)
        if layer is None:
            self._reason = "the model has no Conv2D layer"
            self._layer_name = None
            return None
        expected = tuple(model.inputs[0].shape[1:])
        if tuple(self._sample.shape) != expected:
            self._reason = f"the sample is {self._sample.shape} but the model expects {expected}"
            self._layer_name = None
            return None
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
        sub = keras.Model(inputs, layer.output, name=f"{layer.name}_snapshot")
        self._probe = (model, layer, sub)
        self._probe_model_id = id(model)
        self._layer_name = layer.name
        return self._probe
