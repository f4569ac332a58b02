"""AveragePooling2D: keeps the mean of each window."""
from __future__ import annotations

from cnnviz.core.model.layers.window import PoolKind


class AveragePooling2D(PoolKind):
    name = "AveragePooling2D"
    keras_class = "AveragePooling2D"
    summary = "Average pooling: keeps the mean of each window (no parameters)"
    prefix = "avgpool"
    short_name = "AvgPool2D"
    aliases = ("AvgPool2D", "AveragePool2D")


KIND = AveragePooling2D()
