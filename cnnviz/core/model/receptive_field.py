"""Receptive fields from the layer arithmetic, and the weights a dense layer would need instead of a convolution.

The lecture's ideas of a feature hierarchy, local receptive fields, sparse connectivity and parameter sharing, as
numbers a student can check:

* **Receptive field of one cell.** Output cell ``i`` of a layer reads the inputs ``i*s - p + t*d`` for
  ``t = 0 .. k-1`` (its :class:`~cnnviz.core.model.layers.base.Reach`). Going back layer by layer, an interval of
  cells ``[lo, hi]`` of a layer's output comes from ``[lo*s - p, hi*s - p + (k-1)*d]`` of its input. Repeating that
  down to the image gives the pixels that can influence the cell (clipped to the image: the rest is padding).
* **Size and jump per layer** (the classic recurrence): ``jump_out = jump_in * s``,
  ``size_out = size_in + (k-1)*d*jump_in``; the size is how many image pixels one cell sees along an axis, the jump
  how far apart in the image two neighbouring cells' fields start.
* **Sparse connectivity and parameter sharing.** A Conv2D from HxWxC to H'xW'xF has ``k_h*k_w*C*F + F`` weights;
  a dense layer making the same mapping needs ``H*W*C * H'*W'*F + H'*W'*F``. For the lecture's conv_1 (5x5, 32
  filters, 28x28x1 to 28x28x32): 832 against 19,694,080.

After Flatten, Dense or global pooling every output reads every input: its field is the whole image.
Pure Python; no TensorFlow, no Qt. Checked against gradients of real Keras models (tests/core/test_receptive_field.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from cnnviz.core.model.layers.base import Reach
from cnnviz.core.model.shapes import infer_shapes
from cnnviz.core.model.spec import ModelSpec


class ReceptiveFieldError(ValueError):
    """The spec's shapes do not work out, or the cell asked for is not in the layer's output."""


@dataclass(frozen=True)
class Box:
    """Image rows ``top..bottom`` and columns ``left..right`` (inclusive, inside the image) that reach a cell.

    A cell whose taps all land on padding reads no pixel: its box is :attr:`empty`. ``unclipped`` is the same box before clipping to the image: the parts outside it are padding zeros.
    """

    top: int
    left: int
    bottom: int
    right: int
    unclipped: tuple[int, int, int, int]
    whole_image: bool = False

    @property
    def height(self) -> int:
        return max(self.bottom - self.top + 1, 0)

    @property
    def width(self) -> int:
        return max(self.right - self.left + 1, 0)

    @property
    def empty(self) -> bool:
        """True for a cell that reads padding only (it sees no pixel of the image)."""
        return self.height == 0 or self.width == 0

    def contains(self, row: int, col: int) -> bool:
        return self.top <= row <= self.bottom and self.left <= col <= self.right


@dataclass(frozen=True)
class LayerField:
    """The receptive field of any one cell of a layer's output, along rows and columns."""

    index: int
    name: str
    kind: str
    size: tuple[int, int] | None    # image pixels one cell sees (None: the whole image)
    jump: tuple[int, int] | None    # image pixels between the fields of neighbouring cells
    formula: str


def _reaches(spec: ModelSpec, report, upto: int) -> list[Reach | None]:
    if not 0 <= upto < len(spec.layers):
        raise ReceptiveFieldError(f"layer {upto} is not in the model (it has {len(spec.layers)} layers)")
    out: list[Reach | None] = []
    for i in range(upto + 1):
        shape = report.layers[i]
        if shape.output is None:
            raise ReceptiveFieldError(shape.error or f"layer {i} ({shape.name}) has no output shape")
        out.append(spec.layers[i].layer_kind.reach(spec.layers[i].params, tuple(shape.input)))
    return out


def receptive_box(spec: ModelSpec, layer: int, row: int, col: int) -> Box:
    """The image pixels that can change output cell (row, col) of layer ``layer`` (any channel)."""
    report = infer_shapes(spec)
    reaches = _reaches(spec, report, layer)
    out_shape = report.layers[layer].output
    h, w = spec.input_shape[0], spec.input_shape[1]
    if len(out_shape) == 3 and not (0 <= row < out_shape[0] and 0 <= col < out_shape[1]):
        raise ReceptiveFieldError(f"cell ({row}, {col}) is outside {report.layers[layer].name}'s "
                                  f"{out_shape[0]}x{out_shape[1]} output")
    if any(r is None for r in reaches):
        return Box(0, 0, h - 1, w - 1, (0, 0, h - 1, w - 1), whole_image=True)
    lo, hi = [row, col], [row, col]
    for reach in reversed(reaches):
        for a in (0, 1):
            lo[a] = lo[a] * reach.strides[a] - reach.pad_before[a]
            hi[a] = hi[a] * reach.strides[a] - reach.pad_before[a] + reach.span(a) - 1
    return Box(max(lo[0], 0), max(lo[1], 0), min(hi[0], h - 1), min(hi[1], w - 1), (lo[0], lo[1], hi[0], hi[1]))


def field_table(spec: ModelSpec) -> list[LayerField]:
    """Size and jump of the receptive field after every layer, with the recurrence written out with numbers."""
    report = infer_shapes(spec)
    size, jump = [1, 1], [1, 1]
    rows: list[LayerField] = []
    whole = False
    for i, layer in enumerate(spec.layers):
        shape = report.layers[i]
        if shape.output is None:
            break
        reach = None if whole else layer.layer_kind.reach(layer.params, tuple(shape.input))
        if reach is None:
            whole = True
            rows.append(LayerField(i, layer.name, layer.kind, None, None,
                                   "every output reads every input: the whole image"))
            continue
        grow = [(reach.span(a) - 1) * jump[a] for a in (0, 1)]
        new_size = [size[a] + grow[a] for a in (0, 1)]
        new_jump = [jump[a] * reach.strides[a] for a in (0, 1)]
        if reach.kernel == (1, 1) and reach.strides == (1, 1):
            formula = "one value per cell: the field does not change"
        else:
            formula = "; ".join(
                f"{axis}: size = {size[a]} + ({reach.kernel[a]} - 1)*{reach.dilation[a]}*{jump[a]} = {new_size[a]}, "
                f"jump = {jump[a]}*{reach.strides[a]} = {new_jump[a]}" for a, axis in ((0, "rows"), (1, "columns")))
        size, jump = new_size, new_jump
        rows.append(LayerField(i, layer.name, layer.kind, (size[0], size[1]), (jump[0], jump[1]), formula))
    return rows


@dataclass(frozen=True)
class Connectivity:
    """A layer's weights against those of a dense layer making the same mapping (input to output shape)."""

    layer_params: int
    dense_params: int
    formula: str

    @property
    def ratio(self) -> float:
        return self.dense_params / max(self.layer_params, 1)


def dense_equivalent(spec: ModelSpec, layer: int) -> Connectivity:
    """How many weights a Dense layer from this layer's input to its output (both flattened) would need."""
    report = infer_shapes(spec)
    if not 0 <= layer < len(report.layers) or report.layers[layer].output is None:
        raise ReceptiveFieldError(f"layer {layer} has no output shape")
    shape = report.layers[layer]
    n_in = math.prod(shape.input)
    n_out = math.prod(shape.output)
    dense = n_in * n_out + n_out
    formula = (f"{'x'.join(map(str, shape.input))} = {n_in:,} inputs, {'x'.join(map(str, shape.output))} = "
               f"{n_out:,} outputs: {n_in:,} x {n_out:,} weights + {n_out:,} biases = {dense:,}")
    return Connectivity(shape.params, dense, formula)

