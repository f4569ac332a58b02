"""Conv2D: slides ``filters`` learnable kernels of ``k_h x k_w x C_in`` over the input (optionally dilated)."""
from __future__ import annotations

from cnnviz.core.model.layers.base import FieldDef, LayerOutput, Shape, require
from cnnviz.core.model.layers.window import ACTIVATION, DILATION, KERNEL, PADDING, STRIDES, USE_BIAS, ConvKind


class Conv2D(ConvKind):
    name = "Conv2D"
    keras_class = "Conv2D"
    summary = "2D convolution: slides learnable kernels over the input"
    prefix = "conv"
    aliases = ("Conv2d", "Convolution2D")
    fields = (
        FieldDef("filters", "int", 32, "Filters", "number of kernels = output channels", minimum=1, maximum=4096),
        KERNEL, STRIDES, DILATION, PADDING, ACTIVATION, USE_BIAS,
    )

    def describe(self, params: dict) -> str:
        return f"Conv2D {params['filters']} {self.window_text(params)} {params['activation']}"

    def check(self, params: dict) -> list[tuple[str, str]]:
        s, d = params["strides"], params["dilation_rate"]
        if max(s) > 1 and max(d) > 1:
            return [("dilation_rate", f"dilation {d[0]}x{d[1]} cannot be combined with strides {s[0]}x{s[1]}: "
                                      "Keras's Conv2D takes strides above 1 or a dilation above 1, not both")]
        return []

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        oh, ow, formula = self.window(params, shape)
        kh, kw = params["kernel_size"]
        cin, filters = shape[2], params["filters"]
        bias = 1 if params["use_bias"] else 0
        n = (kh * kw * cin + bias) * filters
        b = " + 1" if bias else ""
        return LayerOutput((oh, ow, filters), n, n, f"{formula}\nchannels: filters = {filters}",
                           f"(k_h*k_w*C_in{b})*filters = ({kh}*{kw}*{cin}{b})*{filters} = {n:,}")

    def keras_args(self, params: dict) -> list:
        p = params
        return [("filters", p["filters"]), ("kernel_size", p["kernel_size"]), ("strides", p["strides"]),
                ("padding", p["padding"]), ("activation", p["activation"]), ("dilation_rate", p["dilation_rate"]),
                ("use_bias", p["use_bias"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        require(config, class_name, groups=1)
        return dict(filters=int(config["filters"]), **self.conv_config(class_name, config))


KIND = Conv2D()
