"""The one evaluation of a run on its test images, for arrays and streamed (CelebA) test sets alike.

Test images go through the model in batches (a compiled forward pass, cnnviz.core.model.inference.Predictor); only
the outputs are kept, then :func:`cnnviz.core.model.inference.evaluate` turns them into accuracy, confusion matrix
and per-class accuracy.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import numpy as np

from cnnviz.core.train.prepared import to_float

BATCH = 512


@dataclass
class TestImages:
    """A run's test images: uint8/float arrays ``x`` NHWC with labels ``y``, or a tf.data ``stream`` of unbatched
    (float32 HWC 0..1, label) elements (CelebA)."""

    num_classes: int
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    stream: Any = None

    def __post_init__(self) -> None:
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def batches(self, batch_size: int = BATCH) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(float32 NHWC 0..1, int64 labels) batches (from the arrays once :meth:`arrays` has materialised them)."""
        if self._arrays is not None:
            x, y = self._arrays
            for i in range(0, len(y), batch_size):
                yield x[i:i + batch_size], y[i:i + batch_size]
            return
        if self.stream is not None:
            for x, y in self.stream.batch(batch_size):
                yield np.asarray(x, np.float32), np.asarray(y, np.int64).reshape(-1)
            return
        for i in range(0, len(self.y), batch_size):
            yield to_float(self.x[i:i + batch_size]), np.asarray(self.y[i:i + batch_size], np.int64)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All test images as float32 NHWC 0..1 with int64 labels (for the results views), kept once made."""
        if self._arrays is None:
            if self.stream is None:
                self._arrays = to_float(self.x), np.asarray(self.y, np.int64)
            else:
                parts = list(self.batches())
                if parts:
                    self._arrays = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
                else:
                    shape = tuple(int(d) for d in self.stream.element_spec[0].shape)
                    self._arrays = np.zeros((0, *shape), np.float32), np.zeros(0, np.int64)
        return self._arrays


def evaluate_batches(model_or_predictor, batches: Iterable[tuple[np.ndarray, np.ndarray]], num_classes: int,
                     threshold: float = 0.5):
    """:func:`cnnviz.core.model.inference.evaluate` over (float32 NHWC images, int labels) batches."""
    from cnnviz.core.model.inference import Predictor, evaluate

    predictor = model_or_predictor if isinstance(model_or_predictor, Predictor) else Predictor(model_or_predictor)
    outputs, labels = [], []
    for x, y in batches:
        outputs.append(predictor(x))
        labels.append(np.asarray(y).reshape(-1))
    units = int(predictor.model.outputs[0].shape[-1])
    out = np.concatenate(outputs) if outputs else np.zeros((0, units), np.float32)
    y = np.concatenate(labels).astype(np.int64) if labels else np.zeros(0, np.int64)
    return evaluate(_Recorded(out), np.arange(len(y)), y, num_classes, threshold)


class _Recorded:
    """Stands in for a Predictor whose outputs were already computed: ``evaluate`` indexes them."""

    def __init__(self, outputs: np.ndarray) -> None:
        self.outputs = outputs

    def predict_batched(self, idx: np.ndarray, batch_size: int = 512) -> np.ndarray:
        return self.outputs[idx]
