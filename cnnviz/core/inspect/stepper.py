"""Convolution and pooling one output cell at a time: what the inspector's stepper shows.

Each step is a frozen dataclass of read-only numpy arrays and plain numbers holding everything needed to draw
one output cell's computation: where the window sits, the values under it, the kernel, the element-wise
products and their sums. Steppers give random access (:meth:`Conv2DStepper.step_at`) and iterate row-major.
Conventions (HWC, kernel ``(k_h, k_w, C_in, C_out)``, TensorFlow's 'same' padding) are those of
:mod:`cnnviz.core.inspect.convolution`, whose whole-array results the assembled steps reproduce.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np

from cnnviz.core.inspect.convolution import (Padding1D, Pair, _check_1d, _output_hw, _pair, _padding_mode,
                                            activate_cell, activation_name, check_conv2d, dilated_window, pad1d,
                                            pad2d)

Cell = tuple[int, int]


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=a.dtype)
    a.setflags(write=False)
    return a


class _ArrayFields:
    """Equality by value for dataclasses holding numpy arrays (NaN equals NaN: padded pool cells)."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for f in fields(self):  # type: ignore[arg-type]
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if not np.array_equal(a, b, equal_nan=np.asarray(a).dtype.kind == "f"):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


class _Taps:
    """Where a (possibly dilated) kernel window sits on the padded input: needs ``origin``, ``is_padding``
    (k_h, k_w) and ``dilation`` (rows, cols)."""

    @property
    def footprint(self) -> tuple[int, int, int, int]:
        """(row, col, rows, cols) of the cells the window spans in padded coordinates, holes included."""
        kh, kw = self.is_padding.shape  # type: ignore[attr-defined]
        span = dilated_window((kh, kw), self.dilation)  # type: ignore[attr-defined]
        return (*self.origin, *span)  # type: ignore[attr-defined]

    def taps(self) -> list[Cell]:
        """Padded (row, col) of every cell the kernel reads, row-major (the holes of a dilation are not)."""
        kh, kw = self.is_padding.shape  # type: ignore[attr-defined]
        (r, c), (dh, dw) = self.origin, self.dilation  # type: ignore[attr-defined]
        return [(r + a * dh, c + b * dw) for a in range(kh) for b in range(kw)]


# ------------------------------------------------------------------------------------------------------- 1D
@dataclass(frozen=True, eq=False)
class Conv1DStep(_ArrayFields):
    """Output element ``index`` of a 1D convolution.

    start: index of the window's first element in the padded input; window, is_padding, kernel, products: m
    values each (kernel already flipped for a true convolution); total: the sum of the products = y[index].
    """

    index: int
    start: int
    window: np.ndarray
    is_padding: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: float


def conv1d_steps(x: np.ndarray, w: np.ndarray, p: Padding1D = 0, s: int = 1,
                 flip: bool = True) -> Iterator[Conv1DStep]:
    """The steps of :func:`~cnnviz.core.inspect.convolution.conv1d`, one per output element (arguments checked now)."""
    x, w, o = _check_1d(x, w, p, s)
    xp = pad1d(x, p)
    real = pad1d(np.ones_like(x), p) > 0
    kernel = _frozen(w[::-1] if flip else w)
    m = len(w)

    def steps() -> Iterator[Conv1DStep]:
        for i in range(o):
            window = xp[i * s:i * s + m]
            products = window * kernel
            yield Conv1DStep(i, i * s, _frozen(window), _frozen(~real[i * s:i * s + m]), kernel,
                             _frozen(products), float(products.sum()))

    return steps()


# ------------------------------------------------------------------------------------------------------- 2D
@dataclass(frozen=True, eq=False)
class ConvStep(_Taps, _ArrayFields):
    """One output cell ``(i, j)`` of one output channel of a Conv2D layer.

    origin: the window's top-left (row, col) in the padded input; input_origin: the same in input coordinates
    (negative where the window starts in the padding). window, kernel, products: (k_h, k_w, C_in), the window
    holding the input cells under the kernel's taps (with dilation d, every d-th row and column of a span of
    ``(k - 1)*d + 1``: see :attr:`footprint` and :meth:`taps`); is_padding: (k_h, k_w), True for zero-padding
    cells; channel_sums: (C_in,), the products summed per input channel; total = sum(channel_sums);
    pre_activation = total + bias; value = activation(pre_activation).
    """

    index: Cell
    out_channel: int
    origin: Cell
    input_origin: Cell
    window: np.ndarray
    is_padding: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    channel_sums: np.ndarray
    total: float
    bias: float
    pre_activation: float
    activation: str
    value: float
    dilation: Cell = (1, 1)


def _check_cell(i: int, j: int, shape: tuple[int, int]) -> tuple[int, int]:
    if not (0 <= i < shape[0] and 0 <= j < shape[1]):
        raise IndexError(f"output cell ({i}, {j}) is outside the {shape[0]}x{shape[1]} output")
    return int(i), int(j)


def _check_index(v: int, n: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < n:
        raise ValueError(f"{what} must be an integer from 0 to {n - 1}, got {v!r}")
    return int(v)


def _padded_input(x: np.ndarray, padding: str, window: tuple[int, int], strides: tuple[int, int],
                  dilation: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int, int, int], np.ndarray, Cell]:
    """(padded x, pads, mask of real cells (H_p, W_p), output (rows, cols)) for a dilated window."""
    padded, pads = pad2d(x, padding, window, strides, dilation_rate=dilation)
    real = pad2d(np.ones(x.shape[:2] + (1,)), padding, window, strides, dilation_rate=dilation)[0][..., 0] > 0
    out = _output_hw(padded.shape[:2], dilated_window(window, dilation), strides, x.shape[:2], "kernel")
    return padded, pads, real, out


def _tap_slices(r: int, c: int, window: tuple[int, int], dilation: tuple[int, int]) -> tuple[slice, slice]:
    """Row and column slices of the padded input under the taps of a window whose top-left is (r, c)."""
    (kh, kw), (dh, dw) = window, dilation
    return slice(r, r + (kh - 1) * dh + 1, dh), slice(c, c + (kw - 1) * dw + 1, dw)


class Conv2DStepper:
    """Random access to the steps of one output channel of :func:`~cnnviz.core.inspect.convolution.conv2d`.

    x: (H, W, C_in); kernel: (k_h, k_w, C_in, C_out) as Keras stores it; bias: (C_out,) or None;
    dilation_rate: int or (rows, cols), the step between the kernel's taps (Keras's ``dilation_rate``). The
    padded input is computed once, so jumping from cell to cell is cheap. Iterating gives every cell, row-major.
    """

    def __init__(self, x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Pair = 1,
                 padding: str = "valid", out_channel: int = 0, activation: str | None = None,
                 dilation_rate: Pair = 1) -> None:
        x, kernel, bias = check_conv2d(x, kernel, bias)
        self.out_channel = _check_index(out_channel, kernel.shape[3], "out_channel")
        self.activation = activation_name(activation)
        activate_cell(0.0, self.activation)  # refuses softmax now, not at the first step
        self.strides = _pair(strides, "strides")
        self.dilation = _pair(dilation_rate, "dilation_rate")
        self.padding = _padding_mode(padding)
        self.kernel = _frozen(kernel[..., self.out_channel])
        self.bias = float(bias[self.out_channel])
        self.padded, self.pads, self._real, self.output_shape = _padded_input(
            x, padding, kernel.shape[:2], self.strides, self.dilation)

    def __len__(self) -> int:
        return self.output_shape[0] * self.output_shape[1]

    def __iter__(self) -> Iterator[ConvStep]:
        for i in range(self.output_shape[0]):
            for j in range(self.output_shape[1]):
                yield self.step_at(i, j)

    def step_at(self, i: int, j: int) -> ConvStep:
        """The step of output cell (i, j); IndexError outside the output."""
        i, j = _check_cell(i, j, self.output_shape)
        r, c = i * self.strides[0], j * self.strides[1]
        rows, cols = _tap_slices(r, c, self.kernel.shape[:2], self.dilation)
        window = self.padded[rows, cols]
        products = window * self.kernel
        channel_sums = products.sum(axis=(0, 1))
        total = float(channel_sums.sum())
        pre = total + self.bias
        return ConvStep((i, j), self.out_channel, (r, c), (r - self.pads[0], c - self.pads[2]), _frozen(window),
                        _frozen(~self._real[rows, cols]), self.kernel, _frozen(products),
                        _frozen(channel_sums), total, self.bias, pre, self.activation,
                        activate_cell(pre, self.activation), self.dilation)


def conv2d_steps(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Pair = 1,
                 padding: str = "valid", out_channel: int = 0, activation: str | None = None,
                 dilation_rate: Pair = 1) -> Iterator[ConvStep]:
    """Every :class:`ConvStep` of one output channel, row-major (arguments are checked at the call)."""
    return iter(Conv2DStepper(x, kernel, bias, strides, padding, out_channel, activation, dilation_rate))


def conv2d_step_at(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Pair = 1,
                   padding: str = "valid", out_channel: int = 0, activation: str | None = None, *,
                   i: int, j: int, dilation_rate: Pair = 1) -> ConvStep:
    """The :class:`ConvStep` of output cell (i, j) (use :class:`Conv2DStepper` to jump around repeatedly)."""
    return Conv2DStepper(x, kernel, bias, strides, padding, out_channel, activation, dilation_rate).step_at(i, j)


# -------------------------------------------------------------------------------------------------- pooling
@dataclass(frozen=True, eq=False)
class PoolStep(_ArrayFields):
    """One output cell ``(i, j)`` of one channel of max or average pooling.

    origin / input_origin: the window's top-left in padded / input coordinates. window: (p_h, p_w) values,
    NaN where the window lies in the padding (is_padding True there): those cells take no part. count: the
    number of real cells; total: their sum. argmax: (row, col) inside the window of the maximum (the first
    one, row-major, on ties) for max pooling, None for average. value: the max, or total / count.
    """

    index: Cell
    channel: int
    origin: Cell
    input_origin: Cell
    window: np.ndarray
    is_padding: np.ndarray
    mode: str
    count: int
    total: float
    argmax: Cell | None
    value: float


class Pool2DStepper:
    """Random access to the steps of one channel of :func:`~cnnviz.core.inspect.convolution.pool2d` (x is HWC)."""

    def __init__(self, x: np.ndarray, pool_size: Pair = 2, strides: Pair | None = None, padding: str = "valid",
                 mode: Literal["max", "average"] = "max", channel: int = 0) -> None:
        x = np.asarray(x, dtype=np.float64)
        if mode not in ("max", "average"):
            raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
        self.mode = mode
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _pair(strides, "strides")
        self.padding = _padding_mode(padding)
        padded, self.pads = pad2d(x, padding, self.pool_size, self.strides, value=np.nan)
        self.channel = _check_index(channel, x.shape[2], "channel")
        self._real = pad2d(np.ones(x.shape[:2] + (1,)), padding, self.pool_size, self.strides)[0][..., 0] > 0
        self.padded = padded[..., self.channel]
        self.output_shape = _output_hw(self.padded.shape, self.pool_size, self.strides, x.shape[:2],
                                       "pool window")

    def __len__(self) -> int:
        return self.output_shape[0] * self.output_shape[1]

    def __iter__(self) -> Iterator[PoolStep]:
        for i in range(self.output_shape[0]):
            for j in range(self.output_shape[1]):
                yield self.step_at(i, j)

    def step_at(self, i: int, j: int) -> PoolStep:
        """The step of output cell (i, j); IndexError outside the output."""
        i, j = _check_cell(i, j, self.output_shape)
        ph, pw = self.pool_size
        r, c = i * self.strides[0], j * self.strides[1]
        real = self._real[r:r + ph, c:c + pw]
        window = np.where(real, self.padded[r:r + ph, c:c + pw], np.nan)
        values = window[real]
        total = float(values.sum())
        argmax: Cell | None = None
        if self.mode == "max":
            flat = int(np.argmax(np.where(real, window, -np.inf)))
            argmax = (flat // pw, flat % pw)
            value = float(window[argmax])
        else:
            value = total / values.size
        return PoolStep((i, j), self.channel, (r, c), (r - self.pads[0], c - self.pads[2]), _frozen(window),
                        _frozen(~real), self.mode, int(values.size), total, argmax, value)


def pool2d_steps(x: np.ndarray, pool_size: Pair = 2, strides: Pair | None = None, padding: str = "valid",
                 mode: Literal["max", "average"] = "max", channel: int = 0) -> Iterator[PoolStep]:
    """Every :class:`PoolStep` of one channel, row-major (arguments are checked at the call)."""
    return iter(Pool2DStepper(x, pool_size, strides, padding, mode, channel))


def pool2d_step_at(x: np.ndarray, pool_size: Pair = 2, strides: Pair | None = None, padding: str = "valid",
                   mode: Literal["max", "average"] = "max", channel: int = 0, *, i: int, j: int) -> PoolStep:
    """The :class:`PoolStep` of output cell (i, j)."""
    return Pool2DStepper(x, pool_size, strides, padding, mode, channel).step_at(i, j)


__all__ = ["Conv1DStep", "ConvStep", "PoolStep", "Conv2DStepper", "Pool2DStepper", "conv1d_steps",
           "conv2d_steps", "conv2d_step_at", "pool2d_steps", "pool2d_step_at"]
