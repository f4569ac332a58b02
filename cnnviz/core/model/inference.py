"""Fast prediction and evaluation: a compiled forward pass instead of ``model.predict``.

``model.predict`` costs ~100 ms per call on a laptop CPU (it builds a data pipeline each time); a
``tf.function`` around ``model(x, training=False)`` costs a few ms, which is what interactive views need.
Inputs are float32 NHWC in 0..1 (use :func:`cnnviz.core.train.prepared.to_float` on uint8 images).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np


class Predictor:
    """Compiled forward pass of a Keras model. Thread-safe: calls are serialised by a lock, so a view and a
    training thread never run the model's variables at the same moment from two threads through this object."""

    def __init__(self, model) -> None:
        from cnnviz.core.tf_runtime import import_tensorflow

        import_tensorflow()
        import tensorflow as tf

        self.model = model
        self._lock = threading.Lock()
        self._fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Outputs for a float32 NHWC batch (N, H, W, C) -> (N, units) as numpy."""
        x = np.asarray(x, dtype=np.float32)
        with self._lock:
            return np.asarray(self._fn(x))

    def predict_batched(self, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Outputs for a large array, ``batch_size`` images at a time."""
        parts = [self(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        if not parts:
            units = int(self.model.outputs[0].shape[-1])
            return np.zeros((0, units), np.float32)
        return np.concatenate(parts)


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """(N, K) class probabilities from model outputs: a single sigmoid unit becomes [1 - p, p]."""
    if outputs.shape[-1] == 1:
        p = outputs[:, 0]
        return np.stack([1.0 - p, p], axis=1)
    return outputs


@dataclass
class Evaluation:
    """Test results. ``confusion[i, j]`` counts images of true class i predicted as class j."""

    accuracy: float
    predicted: np.ndarray        # (N,) int
    confidence: np.ndarray       # (N,) probability of the predicted class
    probabilities: np.ndarray    # (N, K)
    confusion: np.ndarray        # (K, K) int
    per_class_accuracy: np.ndarray  # (K,) NaN for a class with no test images

    def cell_indices(self, true_class: int, predicted_class: int, y_true: np.ndarray) -> np.ndarray:
        """Indices of the test images in a confusion-matrix cell, most confident first."""
        idx = np.flatnonzero((y_true == true_class) & (self.predicted == predicted_class))
        return idx[np.argsort(-self.confidence[idx], kind="stable")]


def evaluate(predictor: Predictor, x: np.ndarray, y: np.ndarray, num_classes: int,
             threshold: float = 0.5) -> Evaluation:
    """Accuracy, confusion matrix and per-class accuracy of ``predictor`` on float32 NHWC ``x``, int labels ``y``.

    For a single sigmoid output, class 1 is predicted when p >= ``threshold``.
    """
    outputs = predictor.predict_batched(x)
    probs = class_probabilities(outputs)
    if outputs.shape[-1] == 1:
        predicted = (outputs[:, 0] >= threshold).astype(np.int64)
    else:
        predicted = np.argmax(probs, axis=1).astype(np.int64)
    confidence = probs[np.arange(len(predicted)), predicted] if len(predicted) else np.zeros(0, np.float32)
    y = np.asarray(y, np.int64)
    confusion = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(confusion, (y, predicted), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.diag(confusion) / confusion.sum(axis=1)
    accuracy = float(np.mean(predicted == y)) if len(y) else float("nan")
    return Evaluation(accuracy, predicted, confidence, probs, confusion, per_class)
