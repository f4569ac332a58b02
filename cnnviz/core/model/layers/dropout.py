"""Dropout: zeroes a random fraction of the inputs while training."""
from __future__ import annotations

from cnnviz.core.model.layers.base import (FieldDef, LayerKind, LayerOutput, POINTWISE, Reach, Shape, require,
                                           same_shape)

RATE = FieldDef("rate", "float", 0.5, "Rate", "fraction of inputs set to zero during training",
                minimum=0.0, maximum=1.0, max_exclusive=True, step=0.05, decimals=2)


class Dropout(LayerKind):
    name = "Dropout"
    keras_class = "Dropout"
    summary = "Dropout: zeroes random inputs while training, scales the rest by 1/(1-rate)"
    prefix = "dropout"
    family = "regularise"
    role = "regularise"
    fields = (RATE,)

    def describe(self, params: dict) -> str:
        return f"{self.name} {params['rate']:g}"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        return same_shape(shape)

    def reach(self, params: dict, shape: Shape) -> Reach:
        return POINTWISE   # each output value depends on the input value at the same place only

    def keras_args(self, params: dict) -> list:
        return [("rate", params["rate"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        require(config, class_name, noise_shape=None)
        return dict(rate=float(config["rate"]))


KIND = Dropout()
