"""Why this prediction: occlusion sensitivity, integrated gradients and the deletion curve that checks an
attribution's faithfulness.

* :func:`occlusion`: slide a patch of ``baseline`` value over the image (Zeiler & Fergus 2014); each position's
  drop in the class probability is spread over the pixels the patch covered and averaged: an (H, W) map, positive
  where hiding the pixels lowers the class's probability.
* :func:`integrated_gradients` (Sundararajan et al. 2017): (x - x') times the mean gradient of the class score
  (before softmax) along the straight path from the baseline x' (a black image by default) to x, by the trapezoid
  rule over ``steps`` intervals. Same shape as the input; by completeness the attributions sum to
  f(x) - f(x'), which :func:`completeness_gap` measures. The gradient at the baseline end is taken a
  thousandth of a step along the path (its one-sided limit: a black image sits on every bias-free ReLU's kink).
* :func:`deletion_curve` (Petsiuk et al. 2018, RISE): erase pixels in the order of an attribution, most important
  first, in ``steps`` equal parts, and record the class probability after each; a faithful attribution makes it
  fall fast (a small area under the curve). :func:`random_deletion_curve` is the baseline: a random order.

Images are HWC float32 in the model's input scale (0..1); class scores are those of
:class:`cnnviz.core.explain.scores.ClassScores`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.core.explain.scores import ClassScores, ExplainError, as_image

MAX_BATCH = 256   # images per forward pass
EDGE_ALPHA = 1e-3   # where, as a fraction of the first step, the gradient at the baseline is taken


def _scores(model_or_scores) -> ClassScores:
    return model_or_scores if isinstance(model_or_scores, ClassScores) else ClassScores(model_or_scores)


def _predict(scores: ClassScores, batch: np.ndarray, class_index: int) -> np.ndarray:
    """Probability of ``class_index`` for each image of ``batch`` (in chunks of MAX_BATCH)."""
    import tensorflow as tf

    out = []
    for start in range(0, len(batch), MAX_BATCH):
        p = scores.probabilities(tf.constant(batch[start:start + MAX_BATCH]))
        out.append(np.asarray(p)[:, class_index])
    return np.concatenate(out).astype(np.float64)


def probability(model, image: np.ndarray, class_index: int) -> float:
    """The model's probability of ``class_index`` for one image."""
    scores = _scores(model)
    k = scores.check_class(class_index)
    return float(_predict(scores, as_image(image, scores.input_shape)[None], k)[0])


def gradient(model, image: np.ndarray, class_index: int) -> np.ndarray:
    """d score_k / d pixel (signed, the class score before softmax), same shape as the image."""
    import tensorflow as tf

    scores = _scores(model)
    k = scores.check_class(class_index)
    x = tf.constant(as_image(image, scores.input_shape)[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = scores.logits(x)[:, k]
    return np.asarray(tape.gradient(score, x))[0].astype(np.float32)


# ---------------------------------------------------------------------------------------------- occlusion
def _starts(size: int, patch: int, stride: int) -> list[int]:
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:   # the last patch touches the edge: every pixel is covered
        starts.append(size - patch)
    return starts


def occlusion(model, image: np.ndarray, class_index: int, *, patch: int = 4, stride: int = 2,
              baseline: float = 0.0) -> np.ndarray:
    """Occlusion sensitivity: (H, W) float32, at each pixel the mean drop p_k(x) - p_k(x occluded) over the patch
    positions that cover it (positive: hiding these pixels lowers the class's probability)."""
    scores = _scores(model)
    k = scores.check_class(class_index)
    x = as_image(image, scores.input_shape)
    h, w, _ = x.shape
    patch, stride = int(patch), int(stride)
    if not 1 <= patch <= min(h, w):
        raise ExplainError(f"the occlusion patch must be 1..{min(h, w)} pixels (the image is {h}x{w}), not {patch}")
    if stride < 1:
        raise ExplainError(f"the occlusion stride must be at least 1, not {stride}")
    if not np.isfinite(baseline):
        raise ExplainError("the occlusion baseline must be a finite value")
    positions = [(r, c) for r in _starts(h, patch, stride) for c in _starts(w, patch, stride)]
    batch = np.repeat(x[None], len(positions), axis=0)
    for i, (r, c) in enumerate(positions):
        batch[i, r:r + patch, c:c + patch, :] = baseline
    p0 = _predict(scores, x[None], k)[0]
    drops = p0 - _predict(scores, batch, k)
    total = np.zeros((h, w), np.float64)
    count = np.zeros((h, w), np.float64)
    for (r, c), d in zip(positions, drops):
        total[r:r + patch, c:c + patch] += d
        count[r:r + patch, c:c + patch] += 1
    return (total / count).astype(np.float32)


# ------------------------------------------------------------------------------------ integrated gradients
@dataclass(frozen=True, eq=False)
class IntegratedGradients:
    """``attributions``: same shape as the image; ``score`` f(x), ``baseline_score`` f(x'): the class score
    before softmax at the image and at the baseline."""

    attributions: np.ndarray
    score: float
    baseline_score: float

    @property
    def completeness_gap(self) -> float:
        return completeness_gap(self.attributions, self.score, self.baseline_score)


def completeness_gap(attributions: np.ndarray, score: float, baseline_score: float) -> float:
    """|sum(attributions) - (f(x) - f(x'))| relative to |f(x) - f(x')| (absolute when that difference is 0)."""
    diff = float(score) - float(baseline_score)
    gap = abs(float(np.sum(np.asarray(attributions, np.float64))) - diff)
    return gap / abs(diff) if diff != 0 else gap


def integrated_gradients(model, image: np.ndarray, class_index: int, *, steps: int = 64,
                         baseline: np.ndarray | float | None = None) -> IntegratedGradients:
    """Integrated gradients of class ``class_index``'s score (before softmax) from ``baseline`` (default: a black
    image, 0) to ``image`` by the trapezoid rule over ``steps`` intervals (steps + 1 gradient evaluations)."""
    import tensorflow as tf

    scores = _scores(model)
    k = scores.check_class(class_index)
    x = as_image(image, scores.input_shape).astype(np.float64)
    steps = int(steps)
    if steps < 1:
        raise ExplainError(f"integrated gradients needs at least 1 step, not {steps}")
    if baseline is None:
        base = np.zeros_like(x)
    else:
        base = np.broadcast_to(np.asarray(baseline, np.float64), x.shape)
        if not np.all(np.isfinite(base)):
            raise ExplainError("the integrated-gradients baseline must be finite")
    alphas = np.linspace(0.0, 1.0, steps + 1)
    # The gradient at the baseline is its one-sided limit from the path (taken a hair along it): at a black
    # image every ReLU of a bias-free layer sits exactly on its kink, where TensorFlow's derivative is 0 although
    # it is 1 all along the rest of the path (the trapezoid would then miss half its first interval).
    alphas[0] = EDGE_ALPHA / steps
    weights = np.full(steps + 1, 1.0 / steps)
    weights[0] = weights[-1] = 0.5 / steps        # trapezoid rule
    grad_sum = np.zeros_like(x)
    values = np.zeros(steps + 1)
    for start in range(0, steps + 1, MAX_BATCH):
        a = alphas[start:start + MAX_BATCH]
        path = tf.constant((base[None] + a[:, None, None, None] * (x - base)[None]).astype(np.float32))
        with tf.GradientTape() as tape:
            tape.watch(path)
            s = scores.logits(path)[:, k]
        g = np.asarray(tape.gradient(s, path), np.float64)
        values[start:start + len(a)] = np.asarray(s, np.float64)
        grad_sum += np.tensordot(weights[start:start + len(a)], g, axes=1)
    attributions = ((x - base) * grad_sum).astype(np.float32)
    baseline_score = float(np.asarray(scores.logits(tf.constant(base[None].astype(np.float32))))[0, k])
    return IntegratedGradients(attributions, float(values[-1]), baseline_score)


# ---------------------------------------------------------------------------------------------- deletion
@dataclass(frozen=True, eq=False)
class DeletionCurve:
    """``fractions``: 0, 1/steps, ..., 1 of the pixels erased; ``probabilities``: the class probability after
    each; ``auc``: the area under that curve (trapezoid over the fraction erased, 0..1)."""

    fractions: np.ndarray
    probabilities: np.ndarray

    @property
    def auc(self) -> float:
        return area_under_curve(self.fractions, self.probabilities)


def area_under_curve(fractions: np.ndarray, values: np.ndarray) -> float:
    f, v = np.asarray(fractions, np.float64), np.asarray(values, np.float64)
    return float(np.sum((f[1:] - f[:-1]) * (v[1:] + v[:-1]) / 2.0))


def _deletion(scores: ClassScores, x: np.ndarray, k: int, order: np.ndarray, steps: int,
              baseline: float) -> DeletionCurve:
    h, w, _ = x.shape
    n = h * w
    counts = np.round(np.linspace(0, n, steps + 1)).astype(int)
    batch = np.repeat(x[None], steps + 1, axis=0)
    rows, cols = np.unravel_index(order, (h, w))
    for i, m in enumerate(counts):
        batch[i, rows[:m], cols[:m], :] = baseline
    return DeletionCurve(counts / n, _predict(scores, batch, k))


def _deletion_args(model, image, class_index, steps):
    scores = _scores(model)
    k = scores.check_class(class_index)
    x = as_image(image, scores.input_shape)
    steps = int(steps)
    if not 1 <= steps <= x.shape[0] * x.shape[1]:
        raise ExplainError(f"the deletion curve needs 1..{x.shape[0] * x.shape[1]} steps, not {steps}")
    return scores, k, x, steps


def deletion_curve(model, image: np.ndarray, class_index: int, attribution: np.ndarray, *, steps: int = 20,
                   baseline: float = 0.0) -> DeletionCurve:
    """Erase (set to ``baseline``, every channel) the pixels in decreasing order of ``attribution`` ((H, W), or
    HWC summed over channels), in ``steps`` equal parts; the class probability after each part (steps + 1
    values, the first for the intact image). Ties keep the raster order."""
    scores, k, x, steps = _deletion_args(model, image, class_index, steps)
    a = np.asarray(attribution, np.float64)
    if a.ndim == 3:
        a = a.sum(axis=-1)
    if a.shape != x.shape[:2]:
        raise ExplainError(f"the attribution is {a.shape} but the image is {x.shape[:2]}")
    order = np.argsort(-a.ravel(), kind="stable")
    return _deletion(scores, x, k, order, steps, baseline)


def random_deletion_curve(model, image: np.ndarray, class_index: int, *, steps: int = 20, seed: int = 0,
                          baseline: float = 0.0) -> DeletionCurve:
    """The deletion curve for pixels erased in a random order (numpy Generator seeded with ``seed``)."""
    scores, k, x, steps = _deletion_args(model, image, class_index, steps)
    order = np.random.default_rng(seed).permutation(x.shape[0] * x.shape[1])
    return _deletion(scores, x, k, order, steps, baseline)
