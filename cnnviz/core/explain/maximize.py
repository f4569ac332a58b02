"""What a unit looks for: activation maximization (Erhan et al. 2009; the regularisers of Mordvintsev et al.'s
Lucid and Yosinski et al. 2015), made to give legible images on small models and to be deterministic.

:func:`maximize` finds an input that makes one unit respond strongly: a conv filter (the mean of its feature map),
a Dense unit, or an output class. It works on the unit's value *before* the layer's activation (a softmax head is
copied as a Dense of logits, see :mod:`cnnviz.core.explain.scores`): the gradient of a saturated softmax or of a
ReLU that is off is zero. A filter's objective is the mean of its map's positive part, leaky (slope FILTER_LEAK
below 0): the plain mean of a linear map is maximised by a flat image, its positive part by the pattern the
filter matches. Gradient ascent, one normalised step at a time, with

* jitter: each step looks at the image rolled by a random offset of up to ``jitter`` pixels (no single pixel
  pattern is rewarded; the rolled image's gradient is rolled back);
* blur: every ``blur_every`` steps a Gaussian blur of ``blur_sigma`` pixels removes high-frequency noise;
* total variation and L2 penalties (``tv_weight``, ``l2_weight``) subtracted from the objective;
* pixels clipped to the model's input range (``value_range``, 0..1 in cnnviz) after every step.

Every random choice comes from one ``numpy.random.Generator`` seeded with ``seed`` (no global state), and the
update is done in numpy, so two calls with the same arguments return the same array.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from cnnviz.core.explain.scores import (ExplainError, activation_name, find_layer, image_input_shape, layers_of,
                                        pre_activation_model)

MAX_STEPS = 100_000
FILTER_LEAK = 0.1   # slope of a filter's objective where its map is negative


@dataclass(frozen=True, eq=False)
class UnitImage:
    """The optimised input (``image``: HWC float32 in ``value_range``, the model's input shape) of ``unit`` of
    ``layer``; ``kind``: "filter" (a conv map's mean), "unit" (a Dense unit) or "class" (an output class's
    score); ``objective``: the unit's value (before activation) after each step; ``pre_activation``: whether the
    layer's activation was left out."""

    image: np.ndarray
    layer: str
    unit: int
    kind: str
    seed: int
    objective: np.ndarray
    pre_activation: bool
    value_range: tuple[float, float]

    def to_uint8(self, scale: int = 1) -> np.ndarray:
        return to_uint8(self.image, self.value_range, scale)


def to_uint8(image: np.ndarray, value_range: tuple[float, float] = (0.0, 1.0), scale: int = 1) -> np.ndarray:
    """An HWC image in ``value_range`` as 8-bit (H*scale, W*scale, C): lo -> 0, hi -> 255 (rounded), each pixel
    repeated ``scale`` x ``scale`` times (nearest neighbour: reading it back and dividing by ``scale`` gives the
    same image to within 1/255)."""
    lo, hi = (float(v) for v in value_range)
    a = np.clip((np.asarray(image, np.float64) - lo) / (hi - lo), 0.0, 1.0)
    a = np.round(a * 255.0).astype(np.uint8)
    scale = int(scale)
    if scale < 1:
        raise ExplainError(f"the upscale factor must be a whole number of at least 1, not {scale}")
    if scale > 1:
        a = np.repeat(np.repeat(a, scale, axis=0), scale, axis=1)
    return a


def target_layers(model) -> list:
    """The layers whose units can be visualised: those with a (batch, units) or (batch, H, W, C) output."""
    return [ly for ly in layers_of(model) if len(ly.output.shape) in (2, 4)]


def unit_count(model, layer_name: str) -> int:
    """How many units (filters, Dense units, classes) ``layer_name`` has."""
    ly = find_layer(model, layer_name)
    if len(ly.output.shape) not in (2, 4):
        raise ExplainError(f"layer {layer_name} ({type(ly).__name__}) has output {tuple(ly.output.shape)}; only "
                           "layers with units (batch, units) or feature maps (batch, H, W, C) can be visualised")
    return int(ly.output.shape[-1])


def _gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of an HWC image (reflected borders)."""
    radius = max(1, int(np.ceil(2.0 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    out = np.asarray(x, np.float64)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect" if out.shape[axis] > radius else "edge")
        n = out.shape[axis]
        out = sum(k[i] * np.take(padded, np.arange(i, i + n), axis=axis) for i in range(len(k)))
    return out.astype(np.float32)


def maximize(model, layer: str, unit: int, *, seed: int = 0, steps: int = 256, learning_rate: float = 0.05,
             jitter: int = 2, blur_every: int = 8, blur_sigma: float = 0.5, tv_weight: float = 0.1,
             l2_weight: float = 0.05, value_range: tuple[float, float] = (0.0, 1.0),
             progress: Callable[[int, int, float], None] | None = None,
             should_stop: Callable[[], bool] | None = None) -> UnitImage:
    """The input that maximises ``unit`` of ``layer`` (see the module docstring). ``progress(step, steps,
    objective)`` is called after every step; ``should_stop()`` returning True ends the ascent early (the image so
    far is returned)."""
    import tensorflow as tf

    shape = image_input_shape(model)
    ly = find_layer(model, layer)
    count = unit_count(model, layer)
    if isinstance(unit, bool) or not 0 <= int(unit) < count:
        raise ExplainError(f"unit {unit} is out of range: layer {layer} has {count} units (0..{count - 1})")
    unit = int(unit)
    steps = int(steps)
    if not 1 <= steps <= MAX_STEPS:
        raise ExplainError(f"steps must be 1..{MAX_STEPS}, not {steps}")
    lo, hi = (float(v) for v in value_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ExplainError(f"the input range must be two finite values lo < hi, not {value_range}")
    jitter = max(0, int(jitter))
    rank = len(ly.output.shape)
    is_last = ly is layers_of(model)[-1]
    kind = "filter" if rank == 4 else ("class" if is_last else "unit")
    pre = activation_name(ly) != "linear"
    sub = pre_activation_model(model, ly)
    span = hi - lo
    centre = tf.constant((lo + hi) / 2.0, tf.float32)

    def objective(x):
        out = sub(x, training=False)
        if rank == 4:   # a filter: the mean of its map's positive part (leaky, so an all-off map still moves)
            m = out[..., unit]
            return tf.reduce_mean(tf.where(m > 0, m, FILTER_LEAK * m), axis=(1, 2))
        return out[:, unit]

    @tf.function(reduce_retracing=True)
    def ascent(x, shift):
        """(d unit / dx, d penalty / dx, unit value) at x rolled by shift; penalty: total variation and the L2
        distance from mid-range, in units of the input range."""
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            xr = tf.roll(x, shift, axis=[1, 2])
            value = objective(xr)[0]
            u = (xr - centre) / span
            penalty = tv_w * tf.image.total_variation(u)[0] + l2_w * tf.reduce_sum(tf.square(u))
        return tape.gradient(value, x), tape.gradient(penalty, x), value

    tv_w = tf.constant(float(tv_weight), tf.float32)
    l2_w = tf.constant(float(l2_weight), tf.float32)
    rng = np.random.default_rng(int(seed))
    x = (lo + span * (0.5 + 0.05 * rng.standard_normal(shape))).astype(np.float32)
    x = np.clip(x, lo, hi)
    trace = np.zeros(steps, np.float64)
    done = 0
    for step in range(steps):
        shift = rng.integers(-jitter, jitter + 1, size=2) if jitter else np.zeros(2, np.int64)
        g, gp, value = ascent(tf.constant(x[None]), tf.constant(shift.astype(np.int32)))
        g, gp = np.asarray(g)[0], np.asarray(gp)[0]
        trace[step] = float(value)
        done = step + 1
        # the unit's gradient normalised (one step moves a pixel learning_rate of the range on average, whatever
        # the unit's scale); the penalties' gradient in the same units, so their weights mean the same for any unit
        scale = float(np.mean(np.abs(g)))
        ascent_dir = g / np.float32(scale) if scale > 0 else g
        x = x + np.float32(learning_rate * span) * (ascent_dir - gp)
        if blur_every and blur_sigma > 0 and (step + 1) % int(blur_every) == 0 and step + 1 < steps:
            x = _gaussian_blur(x, float(blur_sigma))
        x = np.clip(x, lo, hi).astype(np.float32)
        if progress is not None:
            progress(step + 1, steps, trace[step])
        if should_stop is not None and should_stop():
            break
    return UnitImage(x, ly.name, unit, kind, int(seed), trace[:done], pre, (lo, hi))
