"""Depthwise and separable convolutions (MobileNet's building blocks), whole-array and one output cell at a time.

* ``DepthwiseConv2D`` (Keras): every input channel c has its own ``depth_multiplier`` m kernels; output channel
  ``c*m + j`` is input channel c alone cross-correlated with kernel ``[:, :, c, j]``, plus its bias, then the
  activation. The kernel is stored ``(k_h, k_w, C_in, m)``; the bias ``(C_in*m,)``. Nothing mixes channels.
* ``SeparableConv2D`` (Keras): a depthwise stage (no bias) giving ``C_in*m`` channels, then a pointwise 1x1
  convolution (kernel ``(1, 1, C_in*m, filters)``) that mixes them, plus the bias, then the activation. Strides,
  padding and dilation belong to the depthwise stage; the pointwise stage reads one cell.

Conventions (HWC, TensorFlow's 'same' padding for the dilated span) are those of
:mod:`cnnviz.core.inspect.convolution`; float64 numpy, no TensorFlow, no Qt.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from cnnviz.core.inspect.convolution import (Pair, _array, _pair, _padding_mode, _windows, activate,
                                            activate_cell, activation_name)
from cnnviz.core.inspect.stepper import (Cell, _ArrayFields, _check_cell, _check_index, _frozen, _padded_input,
                                        _tap_slices, _Taps)


def _check_depthwise(x: object, kernel: object) -> tuple[np.ndarray, np.ndarray]:
    x = _array(x, 3, "x", "height x width x channels; add a channel axis with x[..., None]")
    kernel = _array(kernel, 4, "depthwise kernel", "k_h x k_w x C_in x depth_multiplier, as Keras stores it")
    if kernel.shape[2] != x.shape[2]:
        raise ValueError(f"the depthwise kernel has {kernel.shape[2]} input channel(s) (shape {kernel.shape}, layout "
                         f"k_h x k_w x C_in x depth_multiplier) but x has {x.shape[2]} (x shape {x.shape}, HWC)")
    return x, kernel


def _bias(bias: object, n: int) -> np.ndarray:
    if bias is None:
        return np.zeros(n)
    b = np.asarray(bias, dtype=np.float64).reshape(-1)
    if b.shape != (n,):
        raise ValueError(f"bias must hold one value per output channel ({n}), got {b.size}")
    return b


def _depthwise_pre(x: np.ndarray, kernel: np.ndarray, strides: tuple[int, int], padding: str,
                   dilation: tuple[int, int]) -> np.ndarray:
    """Depthwise stage without bias: (out_h, out_w, C_in*m), channel c*m + j from input channel c."""
    xp, _, _, _ = _padded_input(x, padding, kernel.shape[:2], strides, dilation)
    win = _windows(xp, kernel.shape[:2], strides, dilation)  # (o_h, o_w, C_in, k_h, k_w)
    out = np.einsum("ijcab,abcm->ijcm", win, kernel)
    return out.reshape(out.shape[0], out.shape[1], -1)


def depthwise_conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Pair = 1,
                     padding: str = "valid", activation: str | None = None, dilation_rate: Pair = 1) -> np.ndarray:
    """What a Keras ``DepthwiseConv2D`` computes for one HWC image; kernel (k_h, k_w, C_in, m), bias (C_in*m,)."""
    x, kernel = _check_depthwise(x, kernel)
    activation_name(activation)
    pre = _depthwise_pre(x, kernel, _pair(strides, "strides"), _padding_mode(padding),
                         _pair(dilation_rate, "dilation_rate"))
    return activate(pre + _bias(bias, pre.shape[2]), activation)


def separable_conv2d(x: np.ndarray, depthwise_kernel: np.ndarray, pointwise_kernel: np.ndarray,
                     bias: np.ndarray | None = None, strides: Pair = 1, padding: str = "valid",
                     activation: str | None = None, dilation_rate: Pair = 1) -> np.ndarray:
    """What a Keras ``SeparableConv2D`` computes: depthwise stage, then the pointwise (1, 1, C_in*m, F) kernel."""
    x, depthwise_kernel = _check_depthwise(x, depthwise_kernel)
    pw = _pointwise(pointwise_kernel, depthwise_kernel)
    activation_name(activation)
    d = _depthwise_pre(x, depthwise_kernel, _pair(strides, "strides"), _padding_mode(padding),
                       _pair(dilation_rate, "dilation_rate"))
    return activate(d @ pw + _bias(bias, pw.shape[1]), activation)


def _pointwise(pointwise_kernel: object, depthwise_kernel: np.ndarray) -> np.ndarray:
    pw = _array(pointwise_kernel, 4, "pointwise kernel", "1 x 1 x C_in*depth_multiplier x filters")
    q = depthwise_kernel.shape[2] * depthwise_kernel.shape[3]
    if pw.shape[:3] != (1, 1, q):
        raise ValueError(f"the pointwise kernel must be 1 x 1 x {q} x filters (C_in*depth_multiplier = {q}), got "
                         f"{pw.shape}")
    return pw[0, 0]


# ----------------------------------------------------------------------------------------- depthwise steps
@dataclass(frozen=True, eq=False)
class DepthwiseStep(_Taps, _ArrayFields):
    """One output cell ``(i, j)`` of output channel ``out_channel = in_channel*m + multiplier`` of a
    DepthwiseConv2D: input channel ``in_channel`` alone under kernel ``[:, :, in_channel, multiplier]``.

    window, kernel, products, is_padding: (k_h, k_w) (the taps; see :attr:`footprint`); total: the sum of the
    products; pre_activation = total + bias; value = activation(pre_activation).
    """

    index: Cell
    out_channel: int
    in_channel: int
    multiplier: int
    origin: Cell
    input_origin: Cell
    window: np.ndarray
    is_padding: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: float
    bias: float
    pre_activation: float
    activation: str
    value: float
    dilation: Cell = (1, 1)


class _Windowed:
    """Shared by the depthwise and separable steppers: padding, output shape, iteration."""

    def _setup(self, x: np.ndarray, window: tuple[int, int], strides: Pair, padding: str, dilation_rate: Pair,
               activation: str | None) -> None:
        self.activation = activation_name(activation)
        activate_cell(0.0, self.activation)  # refuses softmax now
        self.strides = _pair(strides, "strides")
        self.dilation = _pair(dilation_rate, "dilation_rate")
        self.padding = _padding_mode(padding)
        self.window_size = window
        self.padded, self.pads, self._real, self.output_shape = _padded_input(x, self.padding, window,
                                                                              self.strides, self.dilation)

    def __len__(self) -> int:
        return self.output_shape[0] * self.output_shape[1]

    def __iter__(self) -> Iterator:
        for i in range(self.output_shape[0]):
            for j in range(self.output_shape[1]):
                yield self.step_at(i, j)

    def _place(self, i: int, j: int) -> tuple[Cell, Cell, tuple[slice, slice]]:
        i, j = _check_cell(i, j, self.output_shape)
        r, c = i * self.strides[0], j * self.strides[1]
        return (i, j), (r, c), _tap_slices(r, c, self.window_size, self.dilation)

    def step_at(self, i: int, j: int):  # pragma: no cover - overridden
        raise NotImplementedError


class DepthwiseConv2DStepper(_Windowed):
    """Random access to the steps of one output channel of :func:`depthwise_conv2d`.

    ``in_channel`` and ``multiplier`` say which input channel and which of its kernels the channel uses.
    """

    def __init__(self, x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Pair = 1,
                 padding: str = "valid", out_channel: int = 0, activation: str | None = None,
                 dilation_rate: Pair = 1) -> None:
        x, kernel = _check_depthwise(x, kernel)
        m = kernel.shape[3]
        self.depth_multiplier = m
        self.out_channel = _check_index(out_channel, kernel.shape[2] * m, "out_channel")
        self.in_channel, self.multiplier = divmod(self.out_channel, m)
        self.kernel = _frozen(kernel[:, :, self.in_channel, self.multiplier])
        self.bias = float(_bias(bias, kernel.shape[2] * m)[self.out_channel])
        self._setup(x, kernel.shape[:2], strides, padding, dilation_rate, activation)

    def step_at(self, i: int, j: int) -> DepthwiseStep:
        """The step of output cell (i, j); IndexError outside the output."""
        index, (r, c), (rows, cols) = self._place(i, j)
        window = self.padded[rows, cols, self.in_channel]
        products = window * self.kernel
        total = float(products.sum())
        pre = total + self.bias
        return DepthwiseStep(index, self.out_channel, self.in_channel, self.multiplier, (r, c),
                             (r - self.pads[0], c - self.pads[2]), _frozen(window), _frozen(~self._real[rows, cols]),
                             self.kernel, _frozen(products), total, self.bias, pre, self.activation,
                             activate_cell(pre, self.activation), self.dilation)


# ----------------------------------------------------------------------------------------- separable steps
@dataclass(frozen=True, eq=False)
class SeparableStep(_Taps, _ArrayFields):
    """One output cell ``(i, j)`` of filter ``out_channel`` of a SeparableConv2D, both stages.

    Stage 1 (depthwise, no bias): window (k_h, k_w, C_in) under the taps; depthwise_kernel and
    depthwise_products (k_h, k_w, Q) with Q = C_in*m, channel q reading input channel ``q // m``;
    depthwise_values (Q,): the products summed per channel q. Stage 2 (pointwise 1x1): pointwise (Q,), the
    filter's weights; pointwise_products = depthwise_values * pointwise; total: their sum;
    pre_activation = total + bias; value = activation(pre_activation).
    """

    index: Cell
    out_channel: int
    depth_multiplier: int
    origin: Cell
    input_origin: Cell
    window: np.ndarray
    is_padding: np.ndarray
    depthwise_kernel: np.ndarray
    depthwise_products: np.ndarray
    depthwise_values: np.ndarray
    pointwise: np.ndarray
    pointwise_products: np.ndarray
    total: float
    bias: float
    pre_activation: float
    activation: str
    value: float
    dilation: Cell = (1, 1)

    def source_channel(self, q: int) -> int:
        """The input channel that depthwise channel q reads."""
        return q // self.depth_multiplier


class SeparableConv2DStepper(_Windowed):
    """Random access to the steps of one filter of :func:`separable_conv2d` (both stages of each cell)."""

    def __init__(self, x: np.ndarray, depthwise_kernel: np.ndarray, pointwise_kernel: np.ndarray,
                 bias: np.ndarray | None = None, strides: Pair = 1, padding: str = "valid", out_channel: int = 0,
                 activation: str | None = None, dilation_rate: Pair = 1) -> None:
        x, dk = _check_depthwise(x, depthwise_kernel)
        pw = _pointwise(pointwise_kernel, dk)
        self.depth_multiplier = dk.shape[3]
        self.out_channel = _check_index(out_channel, pw.shape[1], "out_channel")
        # (k_h, k_w, C_in*m): channel q = c*m + j is kernel [:, :, c, j], as Keras orders the depthwise outputs
        self.kernel = _frozen(dk.reshape(dk.shape[0], dk.shape[1], -1))
        self.pointwise = _frozen(pw[:, self.out_channel])
        self.bias = float(_bias(bias, pw.shape[1])[self.out_channel])
        self._source = np.repeat(np.arange(dk.shape[2]), self.depth_multiplier)
        self._setup(x, dk.shape[:2], strides, padding, dilation_rate, activation)

    def step_at(self, i: int, j: int) -> SeparableStep:
        """The step of output cell (i, j); IndexError outside the output."""
        index, (r, c), (rows, cols) = self._place(i, j)
        window = self.padded[rows, cols]
        products = window[..., self._source] * self.kernel
        d = products.sum(axis=(0, 1))
        pp = d * self.pointwise
        total = float(pp.sum())
        pre = total + self.bias
        return SeparableStep(index, self.out_channel, self.depth_multiplier, (r, c),
                             (r - self.pads[0], c - self.pads[2]), _frozen(window), _frozen(~self._real[rows, cols]),
                             self.kernel, _frozen(products), _frozen(d), self.pointwise, _frozen(pp), total,
                             self.bias, pre, self.activation, activate_cell(pre, self.activation), self.dilation)


__all__ = ["depthwise_conv2d", "separable_conv2d", "DepthwiseStep", "SeparableStep", "DepthwiseConv2DStepper",
           "SeparableConv2DStepper"]
