"""The lecture's multi-channel convolution and pooling as worked examples a student loads in one click.

"Convolution operation on a MxNx3 image matrix with a 3x3x3 kernel": the kernel has the image's depth; each of its
three slices meets its own colour channel, the three sums and the bias add up to one number, and one kernel gives a
one-channel feature map. "Pooling": max or average of each window, usually 2x2 with stride 2, no weights.

The numbers come from the hand-written steppers of :mod:`cnnviz.core.inspect.stepper` (checked against
TensorFlow there and again for these examples in the tests). The example values are written here, small integers
a student can add up in their head.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.core.inspect.stepper import Conv2DStepper, ConvStep, Pool2DStepper, PoolStep

CHANNEL_NAMES = ("R", "G", "B")

# A 5x5 RGB picture: a red diagonal, a green block and a faint blue wash (values 0..2).
RGB_IMAGE = np.stack([
    np.array([[2, 1, 0, 0, 0],
              [1, 2, 1, 0, 0],
              [0, 1, 2, 1, 0],
              [0, 0, 1, 2, 1],
              [0, 0, 0, 1, 2]]),
    np.array([[0, 0, 0, 0, 0],
              [0, 2, 2, 2, 0],
              [0, 2, 2, 2, 0],
              [0, 2, 2, 2, 0],
              [0, 0, 0, 0, 0]]),
    np.array([[1, 1, 1, 1, 1],
              [1, 0, 0, 0, 1],
              [1, 0, 1, 0, 1],
              [1, 0, 0, 0, 1],
              [1, 1, 1, 1, 1]]),
], axis=-1).astype(np.float64)

# One 3x3x3 kernel, as Keras stores it: (rows, cols, input channels, filters) with one filter. Its red slice
# looks for the diagonal, its green slice for the middle of a block, its blue slice subtracts the wash.
RGB_KERNEL = np.stack([
    np.array([[1, 0, -1],
              [0, 1, 0],
              [-1, 0, 1]]),
    np.array([[0, 1, 0],
              [1, -1, 1],
              [0, 1, 0]]),
    np.array([[-1, -1, -1],
              [0, 0, 0],
              [1, 1, 1]]),
], axis=-1).astype(np.float64)[..., None]
RGB_BIAS = 1.0

# A 4x4 feature map for pooling: four 2x2 blocks whose maximum and average differ.
POOL_INPUT = np.array([[1, 3, 2, 0],
                       [5, 6, 1, 2],
                       [7, 2, 0, 4],
                       [1, 8, 3, 1]], dtype=np.float64)


@dataclass(frozen=True)
class ChannelExample:
    title: str
    stride: int
    padding: str
    note: str


@dataclass(frozen=True)
class PoolExample:
    title: str
    x: np.ndarray
    size: int
    stride: int
    padding: str
    mode: str
    note: str


CHANNEL_EXAMPLES: dict[str, ChannelExample] = {
    "rgb": ChannelExample("Lecture: a 5x5x3 RGB image and a 3x3x3 kernel, stride 1, valid", 1, "valid",
                          "Each kernel slice meets its own colour channel; the three sums and the bias make one "
                          "number: a 3x3x1 feature map from a 5x5x3 image."),
    "rgb_same": ChannelExample("The same with same padding: a 5x5x1 feature map", 1, "same",
                               "One ring of zeros around every channel keeps 5x5."),
    "rgb_stride2": ChannelExample("Stride 2 with same padding: a 3x3x1 feature map", 2, "same",
                                  "o = floor((5 + 2 - 3)/2) + 1 = 3 along each axis."),
}

POOL_EXAMPLES: dict[str, PoolExample] = {
    "max": PoolExample("Lecture: 2x2 max pooling, stride 2", POOL_INPUT, 2, 2, "valid", "max",
                       "Each 2x2 window keeps its largest value: 4x4 becomes 2x2, no weights to learn."),
    "average": PoolExample("2x2 average pooling, stride 2", POOL_INPUT, 2, 2, "valid", "average",
                           "Each 2x2 window keeps the mean of its four values."),
    "max_overlap": PoolExample("3x3 max pooling, stride 1 (overlapping windows)", POOL_INPUT, 3, 1, "valid", "max",
                               "Windows overlap when the stride is smaller than the window: 4x4 becomes 2x2."),
    "average_same": PoolExample("2x2 average pooling, stride 2, on a 5x5 map with same padding",
                                np.pad(POOL_INPUT, ((0, 1), (0, 1)), constant_values=2.0), 2, 2, "same", "average",
                                "At the border a window holds fewer real cells; Keras averages only those "
                                "(the padding takes no part)."),
}


def rgb_stepper(x: np.ndarray = RGB_IMAGE, kernel: np.ndarray = RGB_KERNEL, bias: float = RGB_BIAS,
                stride: int = 1, padding: str = "valid") -> Conv2DStepper:
    """The stepper of the one-filter convolution of an HxWxC image."""
    return Conv2DStepper(x, kernel, np.array([bias]), stride, padding)


def channel_formula(step: ConvStep, names: tuple[str, ...] = CHANNEL_NAMES) -> str:
    """``R 3 + G -1 + B 2 + bias 1 = 5``: the per-channel sums of one output cell, then the bias."""
    parts = [f"{names[c] if c < len(names) else c} {_num(v)}" for c, v in enumerate(step.channel_sums)]
    return " + ".join(parts) + f" + bias {_num(step.bias)} = {_num(step.value)}"


def pool_stepper(example: PoolExample) -> Pool2DStepper:
    return Pool2DStepper(example.x[..., None], example.size, example.stride, example.padding, example.mode)


def pool_formula(step: PoolStep) -> str:
    """``max(1, 3, 5, 6) = 6`` or ``(1 + 3 + 5 + 6) / 4 = 3.75``, real cells only."""
    values = [_num(float(v)) for v in step.window[~step.is_padding]]
    if step.mode == "max":
        return f"max({', '.join(values)}) = {_num(step.value)}"
    return f"({' + '.join(values)}) / {step.count} = {_num(step.value)}"


def _num(v: float) -> str:
    v = float(v)
    return f"{v:g}" if v.is_integer() else f"{v:.4g}"
