"""GlobalAveragePooling2D: one mean per channel over the whole feature map."""
from __future__ import annotations

from cnnviz.core.model.layers.base import LayerKind, LayerOutput, Shape, need_3d, require


class GlobalAveragePooling2D(LayerKind):
    name = "GlobalAveragePooling2D"
    keras_class = "GlobalAveragePooling2D"
    summary = "Global average pooling: one mean per channel (no parameters)"
    prefix = "gap"
    short_name = "GlobalAvgPool"
    family = "pool"
    role = "pool"
    aliases = ("GlobalAvgPool2D",)

    def describe(self, params: dict) -> str:
        return "GlobalAveragePooling2D"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        need_3d(self.name, shape)
        return LayerOutput((shape[2],), 0, 0, f"one mean per channel: {shape[2]}", "no parameters")

    def reach(self, params: dict, shape: Shape) -> None:
        return None   # every output reads every input

    def keras_args(self, params: dict) -> list:
        return []

    def from_keras(self, class_name: str, config: dict) -> dict:
        require(config, class_name, data_format="channels_last", keepdims=False)
        return {}


KIND = GlobalAveragePooling2D()
