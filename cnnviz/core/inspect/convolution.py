"""Reference convolution and pooling, written by hand for teaching and checked against numpy and TensorFlow.

The lecture's conventions:

* 1D: ``y = x * w``, ``y[i] = sum_k x[i - k] w[k]``: a true convolution flips the kernel. With ``p`` zeros on
  each side and stride ``s`` the output has ``o = floor((n + 2p - m)/s) + 1`` elements. Padding modes:
  ``full`` (``p = m - 1``), ``same`` (output size = input size for ``s = 1``), ``valid`` (``p = 0``).
* 2D layers (Keras ``Conv2D``) compute a cross-correlation: the kernel is *not* flipped. Arrays are HWC
  (height, width, channels; no batch axis); kernels are ``(k_h, k_w, C_in, C_out)`` as Keras stores them.
  Padding ``same`` follows TensorFlow: ``pad_total = max((ceil(n/s) - 1)*s + k - n, 0)``, ``top = total // 2``,
  ``bottom = total - top`` (the odd zero goes to the bottom / right).
* Dilation (Keras ``dilation_rate`` d): the kernel's k taps sit d cells apart, so the window spans
  ``(k - 1)*d + 1`` cells with d - 1 holes between taps; 'same' padding is computed for that span.
* Pooling as Keras does it: max pooling ignores padded cells (as if they were -inf); average pooling with
  ``same`` padding divides by the number of *real* cells in the window, not by the window size.

Everything here is float64 numpy; no TensorFlow, no Qt. The step-by-step versions (what the inspector shows one
output cell at a time) live in :mod:`cnnviz.core.inspect.stepper` (depthwise and separable ones in
:mod:`cnnviz.core.inspect.depthwise`) and are re-exported here.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Padding1D = int | tuple[int, int]
Pair = int | Sequence[int]

# Keras 3 constants (keras.activations): leaky_relu's negative_slope defaults to 0.2, elu's alpha to 1.0;
# selu uses the constants of Klambauer et al. 2017; relu6 caps relu at 6 (MobileNet).
LEAKY_RELU_SLOPE = 0.2
RELU6_CAP = 6.0
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

ELEMENTWISE_ACTIVATIONS = ("linear", "relu", "relu6", "sigmoid", "tanh", "elu", "selu", "gelu", "swish",
                           "leaky_relu")
ACTIVATIONS = ELEMENTWISE_ACTIVATIONS + ("softmax",)
_ALIASES = {None: "linear", "silu": "swish"}

_erf = np.vectorize(math.erf, otypes=[np.float64])


# ----------------------------------------------------------------------------------------------- activations
def activation_name(activation: str | None) -> str:
    """The canonical name of an activation (None means linear); ValueError if unsupported."""
    name = _ALIASES.get(activation, activation)
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise ValueError(f"unsupported activation {activation!r}; supported: {', '.join(ACTIVATIONS)}")
    return name.lower()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only: no overflow for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activate(x: np.ndarray | float, activation: str | None = None) -> np.ndarray:
    """Apply a Keras activation by name to ``x`` (any shape; float64 result).

    Definitions match ``keras.activations``: relu6 = min(max(x, 0), 6), leaky_relu slope 0.2, elu alpha 1,
    gelu *exact* (erf; Keras's ``activations.gelu`` defaults to ``approximate=False``), swish = x * sigmoid(x).
    softmax normalises over the last axis (the channels of an HWC feature map), so it is the only one that is
    not element-wise.
    """
    name = activation_name(activation)
    x = np.asarray(x, dtype=np.float64)
    if name == "linear":
        return x.copy()
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "relu6":
        return np.minimum(np.maximum(x, 0.0), RELU6_CAP)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "tanh":
        return np.tanh(x)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))
    if name == "selu":
        return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))
    if name == "gelu":
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
    if name == "swish":
        return x * _sigmoid(x)
    if name == "leaky_relu":
        return np.where(x > 0, x, LEAKY_RELU_SLOPE * x)
    # softmax over the last axis, shifted by the maximum for stability
    if x.ndim == 0:
        raise ValueError("softmax needs at least one axis to normalise over")
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def activate_cell(value: float, activation: str | None) -> float:
    """Activate one output cell's value; refuses softmax, which needs every channel of the cell."""
    name = activation_name(activation)
    if name == "softmax":
        raise ValueError("softmax is not element-wise: it normalises each cell over all output channels, so "
                         "one output cell of one channel cannot be activated on its own; step with "
                         "activation='linear' and apply softmax to the whole output")
    return float(activate(value, name))


# --------------------------------------------------------------------------------------------- validation
def _array(x: object, ndim: int, what: str, layout: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != ndim:
        raise ValueError(f"{what} must have {ndim} axes ({layout}), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{what} is empty (shape {a.shape}); every axis needs at least one element")
    return a


def _positive_int(v: object, what: str) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{what} must be a positive integer, got {v!r}")
    return int(v)


def _pair(v: Pair, what: str) -> tuple[int, int]:
    """An int or a (rows, cols) pair of positive ints, as Keras accepts for kernel_size / strides."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        v = (v, v)
    try:
        a, b = v  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an int or a (rows, cols) pair, got {v!r}") from None
    return _positive_int(a, f"{what} (rows)"), _positive_int(b, f"{what} (cols)")


def _padding_mode(padding: str) -> str:
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return mode


# ------------------------------------------------------------------------------------------------------- 1D
def _pads_1d(p: Padding1D) -> tuple[int, int]:
    pair = not isinstance(p, (str, bytes)) and np.ndim(p) == 1 and len(p) == 2
    left, right = p if pair else (p, p)   # a bool, a string or a wrong-length pair: refused just below
    for v in (left, right):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"padding p must be a non-negative integer (or a (left, right) pair), got {p!r}")
    return int(left), int(right)


def conv1d_output_size(n: int, m: int, p: Padding1D = 0, s: int = 1) -> int:
    """``o = floor((n + 2p - m)/s) + 1``: output length for n inputs, kernel length m, p zeros a side, stride s.

    ``p`` may be a (left, right) pair (then ``n + left + right`` replaces ``n + 2p``). ValueError when an
    argument is out of range or the kernel is longer than the padded input (o < 1).
    """
    n, m, s = _positive_int(n, "input length n"), _positive_int(m, "kernel length m"), _positive_int(s, "stride s")
    left, right = _pads_1d(p)
    if n + left + right < m:
        raise ValueError(f"the kernel (m = {m}) is longer than the padded input (n + padding = "
                         f"{n + left + right}): no output; pad more or use a shorter kernel")
    return (n + left + right - m) // s + 1


def conv1d_output_formula(n: int, m: int, p: Padding1D = 0, s: int = 1) -> str:
    """The output-size formula with its numbers, e.g.
    ``o = floor((n + 2p - m)/s) + 1 = floor((10 + 2*0 - 3)/1) + 1 = 8``."""
    o = conv1d_output_size(n, m, p, s)
    if isinstance(p, (int, np.integer)):
        return f"o = floor((n + 2p - m)/s) + 1 = floor(({n} + 2*{p} - {m})/{s}) + 1 = {o}"
    left, right = _pads_1d(p)
    return (f"o = floor((n + p_left + p_right - m)/s) + 1 = floor(({n} + {left} + {right} - {m})/{s}) + 1"
            f" = {o}")


def conv1d_mode_padding(m: int, mode: Literal["full", "same", "valid"]) -> tuple[int, int]:
    """Zeros (left, right) that a padding mode adds for a kernel of length m (stride 1).

    full: ``m - 1`` a side; valid: none; same: ``m - 1`` in total so that the output is as long as the input.
    For an even m the extra zero goes on the *left* (``m // 2`` left, ``(m - 1) // 2`` right): that is how
    ``numpy.convolve(..., 'same')`` centres its output (TensorFlow's 'same' puts it on the right instead).
    """
    m = _positive_int(m, "kernel length m")
    if mode == "full":
        return m - 1, m - 1
    if mode == "same":
        return m // 2, (m - 1) // 2
    if mode == "valid":
        return 0, 0
    raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")


def pad1d(x: np.ndarray, p: Padding1D) -> np.ndarray:
    """x (length n) with zeros added: p on each side, or p = (left, right)."""
    x = _array(x, 1, "x", "a vector")
    left, right = _pads_1d(p)
    return np.concatenate([np.zeros(left), x, np.zeros(right)])


def _check_1d(x: np.ndarray, w: np.ndarray, p: Padding1D, s: int) -> tuple[np.ndarray, np.ndarray, int]:
    x = _array(x, 1, "x", "a vector")
    w = _array(w, 1, "kernel w", "a vector")
    o = conv1d_output_size(len(x), len(w), p, s)
    return x, w, o


def conv1d(x: np.ndarray, w: np.ndarray, *, p: Padding1D = 0, s: int = 1, flip: bool = True) -> np.ndarray:
    """1D discrete convolution of x (length n) with kernel w (length m), p zeros a side, stride s.

    ``y[i] = sum_k x_padded[i*s + k] * w_r[k]`` with ``w_r = w[::-1]`` (true convolution, flip=True) or
    ``w_r = w`` (cross-correlation, what CNN layers compute, flip=False). Returns o floats (see
    :func:`conv1d_output_size`).
    """
    x, w, o = _check_1d(x, w, p, s)
    xp = pad1d(x, p)
    w_r = w[::-1] if flip else w
    return np.array([float(np.dot(xp[i * s:i * s + len(w)], w_r)) for i in range(o)])


def conv1d_mode(x: np.ndarray, w: np.ndarray, mode: Literal["full", "same", "valid"] = "full") -> np.ndarray:
    """True 1D convolution with the lecture's padding modes (stride 1); see :func:`conv1d_mode_padding`.

    Equals ``numpy.convolve(x, w, mode)`` whenever the kernel is not longer than x. (numpy swaps the arrays when
    it is; here 'same' keeps the input length and 'valid' refuses a kernel that does not fit.)
    """
    w = _array(w, 1, "kernel w", "a vector")
    return conv1d(x, w, p=conv1d_mode_padding(len(w), mode), s=1, flip=True)


# ------------------------------------------------------------------------------------------------------- 2D
def same_pads(n: int, k: int, s: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding along one axis: (before, after) zeros for n inputs, window k, stride s.

    ``total = max((ceil(n/s) - 1)*s + k - n, 0)``, ``before = total // 2``, ``after = total - before``.
    """
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def dilated_size(k: int, d: int) -> int:
    """The span of a kernel of k taps with dilation d: ``(k - 1)*d + 1`` (d - 1 holes between taps)."""
    return (k - 1) * d + 1


def pad2d(x: np.ndarray, padding: str, kernel_size: Pair, strides: Pair = 1, *,
          value: float = 0.0, dilation_rate: Pair = 1) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Pad an HWC array as TensorFlow does for a window of ``kernel_size`` moved by ``strides``.

    Returns (padded array of shape (H + top + bottom, W + left + right, C), (top, bottom, left, right)).
    'valid' adds nothing; 'same' adds :func:`same_pads` per axis, filled with ``value`` (0 for convolution).
    With a dilation the window is the dilated span ``(k - 1)*d + 1`` (TensorFlow pads for that span).
    """
    x = _array(x, 3, "x", "height x width x channels; add a channel axis with x[..., None]")
    mode = _padding_mode(padding)
    kh, kw = _pair(kernel_size, "kernel_size")
    dh, dw = _pair(dilation_rate, "dilation_rate")
    kh, kw = dilated_size(kh, dh), dilated_size(kw, dw)
    sh, sw = _pair(strides, "strides")
    if mode == "valid":
        return x.copy(), (0, 0, 0, 0)
    top, bottom = same_pads(x.shape[0], kh, sh)
    left, right = same_pads(x.shape[1], kw, sw)
    padded = np.pad(x, ((top, bottom), (left, right), (0, 0)), constant_values=value)
    return padded, (top, bottom, left, right)


def _output_hw(padded_hw: tuple[int, int], window: tuple[int, int], strides: tuple[int, int],
               input_hw: tuple[int, int], what: str) -> tuple[int, int]:
    out = []
    for axis, n_p, k, s, n in zip(("height", "width"), padded_hw, window, strides, input_hw):
        if k > n_p:
            raise ValueError(f"the {what} ({k} along the {axis}) is larger than the input ({n}) with padding "
                             "'valid': use padding 'same' or a smaller window")
        out.append((n_p - k) // s + 1)
    return out[0], out[1]


def _windows(xp: np.ndarray, window: tuple[int, int], strides: tuple[int, int],
             dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """All windows of a padded HWC array: shape (out_h, out_w, C, k_h, k_w), a read-only view. With a dilation
    each window spans ``(k - 1)*d + 1`` cells and keeps every d-th row and column of it (the kernel's taps)."""
    span = (dilated_size(window[0], dilation[0]), dilated_size(window[1], dilation[1]))
    return sliding_window_view(xp, span, axis=(0, 1))[::strides[0], ::strides[1], :, ::dilation[0], ::dilation[1]]


def dilated_window(window: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    """(rows, cols) spanned by a dilated window."""
    return dilated_size(window[0], dilation[0]), dilated_size(window[1], dilation[1])


def check_conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Validate conv2d operands; returns float64 (x HWC, kernel (k_h, k_w, C_in, C_out), bias (C_out,))."""
    x = _array(x, 3, "x", "height x width x channels; add a channel axis with x[..., None]")
    kernel = _array(kernel, 4, "kernel", "k_h x k_w x C_in x C_out, as Keras stores it")
    if kernel.shape[2] != x.shape[2]:
        raise ValueError(f"the kernel has {kernel.shape[2]} input channel(s) (kernel shape {kernel.shape}, "
                         f"layout k_h x k_w x C_in x C_out) but x has {x.shape[2]} (x shape {x.shape}, HWC): "
                         "they must match")
    c_out = kernel.shape[3]
    if bias is None:
        bias = np.zeros(c_out)
    else:
        bias = np.asarray(bias, dtype=np.float64).reshape(-1) if np.ndim(bias) else np.full(c_out, float(bias))
        if bias.shape != (c_out,):
            raise ValueError(f"bias must hold one value per output channel ({c_out}), got {bias.size}")
    return x, kernel, bias


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Pair = 1,
           padding: str = "valid", activation: str | None = None, dilation_rate: Pair = 1) -> np.ndarray:
    """What a Keras ``Conv2D`` layer computes for one image: cross-correlation + bias, then the activation.

    x: (H, W, C_in); kernel: (k_h, k_w, C_in, C_out); bias: (C_out,) or None (no bias); strides: int or
    (rows, cols); padding 'valid' or 'same' (zeros, TensorFlow's split, see :func:`pad2d`).
    Returns (out_h, out_w, C_out) float64 with ``out[i, j, c] = act(sum(window(i, j) * kernel[..., c]) + b[c])``,
    window(i, j) being the padded input's rows ``i*s_h .. i*s_h + k_h - 1`` and columns likewise; with
    ``dilation_rate`` d the rows ``i*s_h + a*d_h`` for a = 0 .. k_h - 1 (and columns likewise).
    """
    x, kernel, bias = check_conv2d(x, kernel, bias)
    strides = _pair(strides, "strides")
    dilation = _pair(dilation_rate, "dilation_rate")
    activation_name(activation)
    window = kernel.shape[:2]
    xp, _ = pad2d(x, padding, window, strides, dilation_rate=dilation)
    _output_hw(xp.shape[:2], dilated_window(window, dilation), strides, x.shape[:2], "kernel")
    pre = np.einsum("ijcab,abco->ijo", _windows(xp, window, strides, dilation), kernel) + bias
    return activate(pre, activation)


def pool2d(x: np.ndarray, pool_size: Pair = 2, strides: Pair | None = None, padding: str = "valid",
           mode: Literal["max", "average"] = "max") -> np.ndarray:
    """Max or average pooling of an HWC array, channel by channel, as Keras's MaxPooling2D / AveragePooling2D.

    strides default to pool_size (as in Keras). With 'same' padding, padded cells never win a max and are not
    counted in an average (Keras divides by the number of real cells in the window).
    Returns (out_h, out_w, C) float64.
    """
    x = _array(x, 3, "x", "height x width x channels; add a channel axis with x[..., None]")
    if mode not in ("max", "average"):
        raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
    window = _pair(pool_size, "pool_size")
    strides = window if strides is None else _pair(strides, "strides")
    xp, _ = pad2d(x, padding, window, strides)
    _output_hw(xp.shape[:2], window, strides, x.shape[:2], "pool window")
    w = _windows(xp, window, strides)
    real = _windows(pad2d(np.ones(x.shape[:2] + (1,)), padding, window, strides)[0], window, strides) > 0
    if mode == "max":
        return np.where(real, w, -np.inf).max(axis=(3, 4))
    return np.where(real, w, 0.0).sum(axis=(3, 4)) / real.sum(axis=(3, 4))


_STEPPER_NAMES = ("Conv1DStep", "ConvStep", "PoolStep", "Conv2DStepper", "Pool2DStepper", "conv1d_steps",
                  "conv2d_steps", "conv2d_step_at", "pool2d_steps", "pool2d_step_at")
_DEPTHWISE_NAMES = ("depthwise_conv2d", "separable_conv2d", "DepthwiseStep", "SeparableStep",
                    "DepthwiseConv2DStepper", "SeparableConv2DStepper")


def __getattr__(name: str) -> object:
    # The step-by-step API lives in stepper.py (which imports this module); re-exported lazily, no cycle.
    if name in _STEPPER_NAMES:
        from cnnviz.core.inspect import stepper

        return getattr(stepper, name)
    if name in _DEPTHWISE_NAMES:
        from cnnviz.core.inspect import depthwise

        return getattr(depthwise, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
