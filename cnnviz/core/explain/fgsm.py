"""How fragile a prediction is: the fast gradient sign method (Goodfellow, Shlens & Szegedy 2015).

For an image x and the class c the model predicts, the perturbation is ``epsilon * sign(d loss / d x)`` with the
cross-entropy loss of c: every pixel moves by exactly epsilon in the direction that makes c less likely. The
perturbed image is ``clip(x + perturbation, 0, 1)`` (the model's input scale). :func:`smallest_flip` searches a
grid of epsilons for the first one whose perturbed image the model reads as another class, then bisects between
that and the grid point before it (which does not flip), so the answer is bracketed: ``lower`` does not flip,
``epsilon`` does. The gradient sign is taken once, at x (that is FGSM; iterating it would be PGD).

Images are HWC float32 in 0..1. Qt-free; TensorFlow is imported lazily.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.core.explain.scores import ClassScores, ExplainError, as_image

GRID = tuple(float(e) for e in np.round(np.geomspace(0.002, 1.0, 28), 5))
BISECT_STEPS = 12


@dataclass(frozen=True)
class Perturbed:
    epsilon: float
    image: np.ndarray            # clip(x + perturbation, 0, 1), HWC
    perturbation: np.ndarray     # epsilon * sign(gradient), before clipping, HWC
    probabilities: np.ndarray    # (K,) the model's answer on ``image``
    predicted: int
    change: np.ndarray           # what actually changed after clipping: image - original, HWC


@dataclass(frozen=True)
class FlipResult:
    original_class: int
    original_probabilities: np.ndarray
    epsilon: float               # the smallest epsilon found that flips the prediction
    lower: float                 # the largest epsilon tried that does not flip (epsilon - lower <= tolerance)
    flipped: Perturbed | None    # the perturbed image at ``epsilon``; None when nothing up to the grid's end flips
    evaluations: int

    @property
    def found(self) -> bool:
        return self.flipped is not None


class FGSM:
    """The gradient sign of one image, computed once, and the model's answer at any epsilon."""

    def __init__(self, model, image: np.ndarray, class_index: int | None = None) -> None:
        import tensorflow as tf

        self.scores = scores = model if isinstance(model, ClassScores) else ClassScores(model)
        self.image = as_image(image, scores.input_shape)
        if float(self.image.min()) < 0.0 or float(self.image.max()) > 1.0:
            raise ExplainError("FGSM works on images in 0..1 (the model's input scale); this one spans "
                               f"{float(self.image.min()):.3g}..{float(self.image.max()):.3g}")
        x = tf.constant(self.image[None])
        self.original_probabilities = np.asarray(scores.probabilities(x))[0].astype(np.float64)
        self.original_class = int(np.argmax(self.original_probabilities)) if class_index is None \
            else scores.check_class(class_index)
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = scores.logits(x)
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tf.constant([self.original_class]), logits=logits)
        grad = np.asarray(tape.gradient(loss, x))[0]
        self.sign = np.sign(grad).astype(np.float32)
        if not np.any(self.sign):
            raise ExplainError("the loss does not change with any pixel here (all gradients are zero), so FGSM "
                               "has no direction to move in")
        self.evaluations = 0

    def perturbation(self, epsilon: float) -> np.ndarray:
        return (float(epsilon) * self.sign).astype(np.float32)

    def _batch(self, epsilons) -> tuple[np.ndarray, np.ndarray]:
        import tensorflow as tf

        eps = np.asarray(epsilons, np.float32).reshape(-1, 1, 1, 1)
        images = np.clip(self.image[None] + eps * self.sign[None], 0.0, 1.0).astype(np.float32)
        probs = np.asarray(self.scores.probabilities(tf.constant(images))).astype(np.float64)
        self.evaluations += len(images)
        return images, probs

    def at(self, epsilon: float) -> Perturbed:
        """The perturbed image at ``epsilon`` (>= 0) and the model's answer on it."""
        epsilon = float(epsilon)
        if not np.isfinite(epsilon) or epsilon < 0:
            raise ExplainError(f"epsilon must be a number >= 0, not {epsilon}")
        images, probs = self._batch([epsilon])
        return Perturbed(epsilon, images[0], self.perturbation(epsilon), probs[0], int(np.argmax(probs[0])),
                         images[0] - self.image)

    def flips(self, epsilon: float) -> bool:
        return self.at(epsilon).predicted != self.original_class

    def smallest_flip(self, grid=GRID, *, steps: int = BISECT_STEPS) -> FlipResult:
        """The smallest epsilon (grid, then ``steps`` bisections) whose perturbed image is read as another class."""
        grid = sorted(float(e) for e in grid if e > 0)
        if not grid:
            raise ExplainError("the epsilon grid holds no positive value")
        _, probs = self._batch(grid)
        flipped = np.argmax(probs, 1) != self.original_class
        if not flipped.any():
            return FlipResult(self.original_class, self.original_probabilities, float("inf"), grid[-1], None,
                              self.evaluations)
        i = int(np.argmax(flipped))
        lo, hi = (grid[i - 1] if i > 0 else 0.0), grid[i]
        for _ in range(steps):
            mid = 0.5 * (lo + hi)
            if self.flips(mid):
                hi = mid
            else:
                lo = mid
        return FlipResult(self.original_class, self.original_probabilities, hi, lo, self.at(hi), self.evaluations)


def fgsm(model, image: np.ndarray, epsilon: float, class_index: int | None = None) -> Perturbed:
    """The FGSM perturbation of ``image`` at ``epsilon`` against the predicted class (or ``class_index``)."""
    return FGSM(model, image, class_index).at(epsilon)


def smallest_flip(model, image: np.ndarray, class_index: int | None = None, **kwargs) -> FlipResult:
    """The smallest FGSM epsilon that changes the model's answer on ``image`` (see :meth:`FGSM.smallest_flip`)."""
    return FGSM(model, image, class_index).smallest_flip(**kwargs)
