"""MaxPooling2D: keeps the largest value of each window."""
from __future__ import annotations

from cnnviz.core.model.layers.window import PoolKind


class MaxPooling2D(PoolKind):
    name = "MaxPooling2D"
    keras_class = "MaxPooling2D"
    summary = "Max pooling: keeps the largest value of each window (no parameters)"
    prefix = "pool"
    short_name = "MaxPool2D"
    aliases = ("MaxPool2D", "MaxPool2d")


KIND = MaxPooling2D()
