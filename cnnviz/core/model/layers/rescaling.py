"""Rescaling: ``x * scale + offset`` on every value, e.g. pixels 0..255 to 0..1 (scale 1/255) inside the model."""
from __future__ import annotations

from cnnviz.core.model.layers.base import (FieldDef, LayerKind, LayerOutput, POINTWISE, Reach, Shape, SpecError,
                                           same_shape)


def _number(config: dict, key: str, class_name: str) -> float:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{class_name} with {key}={value!r} is not supported by the builder (one number only)")
    return float(value)


class Rescaling(LayerKind):
    name = "Rescaling"
    keras_class = "Rescaling"
    summary = "Rescaling: multiplies every value by a scale and adds an offset, e.g. 1/255 (no parameters)"
    prefix = "rescaling"
    family = "preprocess"
    role = "activation"
    fields = (
        FieldDef("scale", "float", 1 / 255, "Scale", "every value is multiplied by this (1/255 = 0.0039216 maps "
                 "pixels 0..255 to 0..1)", step=0.001, decimals=8),
        FieldDef("offset", "float", 0.0, "Offset", "added after scaling (-1 with scale 1/127.5 maps to -1..1)",
                 step=0.1, decimals=4),
    )
    code_omit = {"offset": 0.0}

    def describe(self, params: dict) -> str:
        return f"Rescaling x{params['scale']:.4g} {params['offset']:+g}"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        return same_shape(shape)

    def reach(self, params: dict, shape: Shape) -> Reach:
        return POINTWISE   # each output value depends on the input value at the same place only

    def keras_args(self, params: dict) -> list:
        return [("scale", params["scale"]), ("offset", params["offset"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        return dict(scale=_number(config, "scale", class_name), offset=_number(config, "offset", class_name))

    def badge(self, params: dict) -> str:
        scale = params["scale"]
        inverse = 1 / scale if scale else 0.0
        if 0 < scale < 1 and abs(inverse - round(inverse, 1)) < 1e-6 * inverse:
            return f"÷{round(inverse, 1):g}"  # 1/255 -> ÷255, 1/127.5 -> ÷127.5
        return f"×{scale:.3g}"


KIND = Rescaling()
