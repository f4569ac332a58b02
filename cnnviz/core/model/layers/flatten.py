"""Flatten: unrolls H x W x C into one vector."""
from __future__ import annotations

import math

from cnnviz.core.model.layers.base import LayerKind, LayerOutput, Shape, require


class Flatten(LayerKind):
    name = "Flatten"
    keras_class = "Flatten"
    summary = "Flatten: unrolls H x W x C into one vector (no parameters)"
    prefix = "flatten"
    family = "reshape"
    role = "shape"

    def describe(self, params: dict) -> str:
        return "Flatten"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        n = math.prod(shape)
        return LayerOutput((n,), 0, 0, f"{' * '.join(str(v) for v in shape)} = {n:,}", "no parameters")

    def reach(self, params: dict, shape: Shape) -> None:
        return None   # every output reads every input

    def keras_args(self, params: dict) -> list:
        return []

    def from_keras(self, class_name: str, config: dict) -> dict:
        require(config, class_name, data_format="channels_last")
        return {}


KIND = Flatten()
