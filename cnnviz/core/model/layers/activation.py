"""Activation: applies a named non-linearity to each value (a Keras ``ReLU`` layer is the ReLU kind, relu.py)."""
from __future__ import annotations

from cnnviz.core.model.layers.base import (ACTIVATIONS, FieldDef, LayerKind, LayerOutput, POINTWISE, Reach, Shape,
                                           activation_name, same_shape)


class Activation(LayerKind):
    name = "Activation"
    keras_class = "Activation"
    summary = "Activation: applies a non-linearity (no parameters)"
    prefix = "activation"
    family = "activation"
    role = "activation"
    fields = (FieldDef("activation", "choice", "relu", "Activation", "non-linearity applied element-wise",
                       choices=ACTIVATIONS),)

    def describe(self, params: dict) -> str:
        return f"Activation {params['activation']}"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        return same_shape(shape)

    def reach(self, params: dict, shape: Shape) -> Reach:
        return POINTWISE   # each output value depends on the input value at the same place only

    def keras_args(self, params: dict) -> list:
        return [("activation", params["activation"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        return dict(activation=activation_name(config["activation"]))

    def badge(self, params: dict) -> str:
        return ""  # the kind's label already names it


KIND = Activation()
