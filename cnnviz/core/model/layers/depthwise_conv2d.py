"""DepthwiseConv2D: one (or ``depth_multiplier``) k_h x k_w kernel per input channel, channels kept apart."""
from __future__ import annotations

from cnnviz.core.model.layers.base import LayerOutput, Shape
from cnnviz.core.model.layers.window import (ACTIVATION, DEPTH_MULTIPLIER, DILATION, KERNEL, PADDING, STRIDES,
                                             USE_BIAS, ConvKind, equal_strides)


class DepthwiseConv2D(ConvKind):
    name = "DepthwiseConv2D"
    keras_class = "DepthwiseConv2D"
    summary = ("Depthwise convolution: each input channel is filtered on its own by depth-multiplier kernels "
               "(MobileNet)")
    prefix = "depthwise"
    short_name = "Depthwise"
    aliases = ("DepthwiseConv2d",)
    fields = (KERNEL, STRIDES, DEPTH_MULTIPLIER, DILATION, PADDING, ACTIVATION, USE_BIAS)
    name_after = "padding"

    def describe(self, params: dict) -> str:
        dm = params["depth_multiplier"]
        mult = "" if dm == 1 else f" x{dm}"
        return f"DepthwiseConv2D{mult} {self.window_text(params)} {params['activation']}"

    def check(self, params: dict) -> list[tuple[str, str]]:
        return equal_strides(self.name, params)

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        oh, ow, formula = self.window(params, shape)
        kh, kw = params["kernel_size"]
        cin, dm = shape[2], params["depth_multiplier"]
        cout = cin * dm
        bias = cout if params["use_bias"] else 0
        n = kh * kw * cin * dm + bias
        b_sym, b_num = (" + C_in*m", f" + {cin}*{dm}") if bias else ("", "")
        return LayerOutput((oh, ow, cout), n, n,
                           f"{formula}\nchannels: C_in*depth_multiplier = {cin}*{dm} = {cout}",
                           f"k_h*k_w*C_in*m{b_sym} = {kh}*{kw}*{cin}*{dm}{b_num} = {n:,} (m = depth multiplier)")

    def keras_args(self, params: dict) -> list:
        p = params
        return [("kernel_size", p["kernel_size"]), ("strides", p["strides"]), ("padding", p["padding"]),
                ("depth_multiplier", p["depth_multiplier"]), ("activation", p["activation"]),
                ("dilation_rate", p["dilation_rate"]), ("use_bias", p["use_bias"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        return dict(depth_multiplier=int(config["depth_multiplier"]), **self.conv_config(class_name, config))


KIND = DepthwiseConv2D()
