"""SeparableConv2D: a depthwise convolution followed by a 1x1 (pointwise) convolution to ``filters`` channels."""
from __future__ import annotations

from cnnviz.core.model.layers.base import FieldDef, LayerOutput, Shape
from cnnviz.core.model.layers.window import (ACTIVATION, DEPTH_MULTIPLIER, DILATION, KERNEL, PADDING, STRIDES,
                                             USE_BIAS, ConvKind, equal_strides)


class SeparableConv2D(ConvKind):
    name = "SeparableConv2D"
    keras_class = "SeparableConv2D"
    summary = ("Separable convolution: a depthwise convolution, then a 1x1 convolution mixing the channels "
               "(fewer parameters than Conv2D)")
    prefix = "sepconv"
    short_name = "Separable"
    aliases = ("SeparableConv2d", "SeparableConvolution2D")
    fields = (
        FieldDef("filters", "int", 32, "Filters", "output channels of the pointwise (1x1) convolution",
                 minimum=1, maximum=4096),
        KERNEL, STRIDES, DEPTH_MULTIPLIER, DILATION, PADDING, ACTIVATION, USE_BIAS,
    )

    def describe(self, params: dict) -> str:
        dm = params["depth_multiplier"]
        mult = "" if dm == 1 else f" x{dm}"
        return f"SeparableConv2D {params['filters']}{mult} {self.window_text(params)} {params['activation']}"

    def check(self, params: dict) -> list[tuple[str, str]]:
        return equal_strides(self.name, params)

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        oh, ow, formula = self.window(params, shape)
        kh, kw = params["kernel_size"]
        cin, dm, filters = shape[2], params["depth_multiplier"], params["filters"]
        depthwise = kh * kw * cin * dm
        pointwise = cin * dm * filters
        bias = filters if params["use_bias"] else 0
        n = depthwise + pointwise + bias
        b_sym, b_num = (" + filters", f" + {filters}") if bias else ("", "")
        return LayerOutput((oh, ow, filters), n, n, f"{formula}\nchannels: filters = {filters}",
                           f"k_h*k_w*C_in*m + C_in*m*filters{b_sym} = {kh}*{kw}*{cin}*{dm} + "
                           f"{cin}*{dm}*{filters}{b_num} = {n:,} (depthwise {depthwise:,}, pointwise "
                           f"{pointwise:,}; m = depth multiplier)")

    def keras_args(self, params: dict) -> list:
        p = params
        return [("filters", p["filters"]), ("kernel_size", p["kernel_size"]), ("strides", p["strides"]),
                ("padding", p["padding"]), ("depth_multiplier", p["depth_multiplier"]),
                ("activation", p["activation"]), ("dilation_rate", p["dilation_rate"]), ("use_bias", p["use_bias"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        return dict(filters=int(config["filters"]), depth_multiplier=int(config["depth_multiplier"]),
                    **self.conv_config(class_name, config))


KIND = SeparableConv2D()
