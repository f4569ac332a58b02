"""LeakyReLU: x for x >= 0, negative_slope * x below (a ReLU that lets a little of the negatives through)."""
from __future__ import annotations

from cnnviz.core.model.layers.base import FieldDef, LayerKind, LayerOutput, POINTWISE, Reach, Shape, same_shape


class LeakyReLU(LayerKind):
    name = "LeakyReLU"
    keras_class = "LeakyReLU"
    summary = "Leaky ReLU: keeps positive values, multiplies negative ones by a small slope (no parameters)"
    prefix = "leaky_relu"
    family = "activation"
    role = "activation"
    fields = (FieldDef("negative_slope", "float", 0.3, "Negative slope", "factor applied to negative inputs "
                       "(0 = plain ReLU)", minimum=0.0, step=0.05, decimals=3),)

    def describe(self, params: dict) -> str:
        return f"LeakyReLU {params['negative_slope']:g}"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        return same_shape(shape)

    def reach(self, params: dict, shape: Shape) -> Reach:
        return POINTWISE   # each output value depends on the input value at the same place only

    def keras_args(self, params: dict) -> list:
        return [("negative_slope", params["negative_slope"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        return dict(negative_slope=float(config["negative_slope"]))

    def badge(self, params: dict) -> str:
        return f"α {params['negative_slope']:g}"


KIND = LeakyReLU()
