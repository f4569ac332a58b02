"""Sliding windows, shared by the convolution and pooling kinds: output length, dilation, padding, the formulas.

* padding ``valid``: ``o = floor((n + 2p - k')/s) + 1`` with ``p = 0``, where ``k' = k + (k-1)(d-1)`` is the
  dilated (effective) window; Keras refuses ``o <= 0`` (the window does not fit);
* padding ``same``: ``o = ceil(n / s)``.
"""
from __future__ import annotations

import math
from typing import Any

from cnnviz.core.model.layers.base import (ACTIVATIONS, PADDINGS, FieldDef, LayerKind, LayerOutput, Reach, Shape,
                                           ShapeError, activation_name, need_3d, pair, pair_text, require)

PADDING = FieldDef("padding", "choice", "valid", "Padding", "valid: no padding, the output shrinks; "
                   "same: zero-pad so that output size = ceil(input / stride)", choices=PADDINGS)
ACTIVATION = FieldDef("activation", "choice", "relu", "Activation", "non-linearity applied to each output",
                      choices=ACTIVATIONS)
USE_BIAS = FieldDef("use_bias", "bool", True, "Use bias", "add one learnable bias per output channel / unit")
KERNEL = FieldDef("kernel_size", "pair", [3, 3], "Kernel size", "height x width of each kernel",
                  minimum=1, maximum=255)
STRIDES = FieldDef("strides", "pair", [1, 1], "Strides", "step of the kernel in rows x columns",
                   minimum=1, maximum=255)
DILATION = FieldDef("dilation_rate", "pair", [1, 1], "Dilation",
                    "spacing between kernel taps in rows x columns (1 = none); a dilated kernel covers "
                    "k + (k-1)(d-1) inputs", minimum=1, maximum=255, added=True)
DEPTH_MULTIPLIER = FieldDef("depth_multiplier", "int", 1, "Depth multiplier",
                            "depthwise kernels per input channel: output channels = C_in * depth multiplier",
                            minimum=1, maximum=256)


def effective_size(k: int, d: int) -> int:
    """The span of a window of k taps d apart: k + (k-1)(d-1)."""
    return k + (k - 1) * (d - 1)


def window_output(n: int, k: int, s: int, padding: str, d: int = 1) -> tuple[int, str]:
    """Output length of a sliding window (kernel or pool) of size k, stride s, dilation d over n inputs.

    Returns (o, formula with numbers). Raises ShapeError when the window does not fit (valid padding).
    """
    if padding == "same":
        o = math.ceil(n / s)
        return o, f"ceil(n/s) = ceil({n}/{s}) = {o}"
    ke = effective_size(k, d)
    o = (n - ke) // s + 1
    if d == 1:
        formula = f"floor((n + 2p - k)/s) + 1 = floor(({n} + 0 - {k})/{s}) + 1 = {o}"
    else:
        formula = (f"k' = k + (k-1)(d-1) = {k} + ({k}-1)*({d}-1) = {ke}; "
                   f"floor((n + 2p - k')/s) + 1 = floor(({n} + 0 - {ke})/{s}) + 1 = {o}")
    if o <= 0:
        raise ShapeError(formula)
    return o, formula


def pad_before(n: int, k: int, s: int, padding: str, d: int = 1) -> int:
    """Zeros added before the first input (top or left): TensorFlow's 'same' puts the odd one after."""
    if padding != "same":
        return 0
    total = max((math.ceil(n / s) - 1) * s + effective_size(k, d) - n, 0)
    return total // 2


def window_reach(params: dict, shape: Shape, size_key: str, dilation: list[int] | None = None) -> Reach:
    """The :class:`Reach` of a sliding window (convolution or pooling) over an input of ``shape``."""
    k = params[size_key]
    s = params["strides"] if params.get("strides") is not None else k
    d = dilation or [1, 1]
    return Reach(kernel=(k[0], k[1]), strides=(s[0], s[1]), dilation=(d[0], d[1]),
                 pad_before=tuple(pad_before(shape[a], k[a], s[a], params["padding"], d[a]) for a in (0, 1)))


def spatial(kind: str, params: dict, shape: Shape, size_key: str, what: str,
            dilation: list[int] | None = None) -> tuple[int, int, str]:
    """(out height, out width, formula) of a windowed layer; ShapeError when the window does not fit."""
    need_3d(kind, shape)
    k = params[size_key]
    s = params["strides"] if params.get("strides") is not None else k
    d = dilation or [1, 1]
    h, w, _ = shape
    try:
        oh, fh = window_output(h, k[0], s[0], params["padding"], d[0])
        ow, fw = window_output(w, k[1], s[1], params["padding"], d[1])
    except ShapeError:
        size = f"{what} {pair_text(k)}"
        if list(d) != [1, 1]:
            size += (f" with dilation {pair_text(d)} (covering "
                     f"{effective_size(k[0], d[0])}x{effective_size(k[1], d[1])})")
        raise ShapeError(f"{size} is larger than its {h}x{w} input with padding 'valid' "
                         f"(use padding 'same' or a smaller {what})") from None
    formula = f"height: {fh}\nwidth: {fw}"
    if params["padding"] == "valid":
        formula = f"padding 'valid' (p = 0)\n{formula}"
    else:
        formula = f"padding 'same' (zeros added so that o = ceil(n/s))\n{formula}"
    return oh, ow, formula


def window_fault_fields(params: dict, shape: Shape | None, size_key: str, dilated: bool) -> set[str]:
    """A window larger than its input with 'valid' padding is the size field's fault (and padding's: 'same'
    would fix it, and dilation's when the window is dilated)."""
    if shape is None or len(shape) != 3:
        return set()
    size = params.get(size_key) or [0, 0]
    d = (params.get("dilation_rate") or [1, 1]) if dilated else [1, 1]
    try:
        span = [effective_size(size[0], d[0]), effective_size(size[1], d[1])]
    except (TypeError, IndexError):
        return set()
    if params.get("padding") == "valid" and (span[0] > shape[0] or span[1] > shape[1]):
        fields = {size_key, "padding"}
        if list(d) != [1, 1]:
            fields.add("dilation_rate")
        return fields
    return set()


def equal_strides(kind: str, params: dict) -> list[tuple[str, str]]:
    """TensorFlow's depthwise convolution (DepthwiseConv2D, and SeparableConv2D's first stage) takes one stride for
    rows and columns on most CPUs ("Current implementation only supports equal length strides"); only some builds
    (oneDNN on Intel CPUs) accept two, so a model with two would train on one computer and fail on the next."""
    s = params["strides"]
    if s[0] != s[1]:
        return [("strides", f"{kind} needs the same stride for rows and columns (got {s[0]}x{s[1]}): TensorFlow's "
                            "depthwise convolution supports only equal strides on most computers")]
    return []


class ConvKind(LayerKind):
    """What the convolution kinds share: kernel, strides, dilation, padding; marks its fields at shape errors."""

    role = "conv"
    family = "conv"
    code_omit = {"dilation_rate": [1, 1], "use_bias": True}
    name_after = "padding"

    def shape_error_fields(self, params: dict, shape: Shape | None) -> set[str]:
        return window_fault_fields(params, shape, "kernel_size", dilated=True)

    def window(self, params: dict, shape: Shape) -> tuple[int, int, str]:
        return spatial(self.name, params, shape, "kernel_size", "kernel", params["dilation_rate"])

    def reach(self, params: dict, shape: Shape) -> Reach:
        return window_reach(params, shape, "kernel_size", params["dilation_rate"])

    @staticmethod
    def window_text(params: dict) -> str:
        p = params
        stride = "" if list(p["strides"]) == [1, 1] else f" /{pair_text(p['strides'])}"
        dil = "" if list(p["dilation_rate"]) == [1, 1] else f" d{pair_text(p['dilation_rate'])}"
        return f"{pair_text(p['kernel_size'])}{stride}{dil} {p['padding']}"

    @staticmethod
    def conv_config(class_name: str, config: dict) -> dict[str, Any]:
        """The settings every convolution shares, from a Keras config."""
        require(config, class_name, data_format="channels_last")
        return dict(kernel_size=pair(config["kernel_size"]), strides=pair(config["strides"]),
                    dilation_rate=pair(config.get("dilation_rate", 1)), padding=config["padding"],
                    activation=activation_name(config["activation"]), use_bias=bool(config["use_bias"]))


POOL_SIZE = FieldDef("pool_size", "pair", [2, 2], "Pool size", "height x width of the pooling window",
                     minimum=1, maximum=255)
POOL_STRIDES = FieldDef("strides", "optional_pair", None, "Strides", "step of the window; empty = pool size",
                        minimum=1, maximum=255)


class PoolKind(LayerKind):
    """What max and average pooling share: window, strides (None = the window), padding; no parameters."""

    role = "pool"
    family = "pool"
    fields = (POOL_SIZE, POOL_STRIDES, PADDING)
    code_omit = {"strides": None, "padding": "valid"}

    def describe(self, params: dict) -> str:
        s = params["strides"]
        stride = "" if s is None else f" /{pair_text(s)}"
        return f"{self.name} {pair_text(params['pool_size'])}{stride} {params['padding']}"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        oh, ow, formula = spatial(self.name, params, shape, "pool_size", "pool window")
        return LayerOutput((oh, ow, shape[2]), 0, 0, formula, "pooling has no parameters")

    def keras_args(self, params: dict) -> list:
        return [("pool_size", params["pool_size"]), ("strides", params["strides"]), ("padding", params["padding"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        require(config, class_name, data_format="channels_last")
        pool = pair(config["pool_size"])
        strides = None if config.get("strides") is None else pair(config["strides"])
        # Keras stores strides = pool size when they were left empty
        return dict(pool_size=pool, strides=None if strides == pool else strides, padding=config["padding"])

    def shape_error_fields(self, params: dict, shape: Shape | None) -> set[str]:
        return window_fault_fields(params, shape, "pool_size", dilated=False)

    def reach(self, params: dict, shape: Shape) -> Reach:
        return window_reach(params, shape, "pool_size")

    def badge(self, params: dict) -> str:
        return ""
