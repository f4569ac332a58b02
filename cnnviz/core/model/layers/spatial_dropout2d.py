"""SpatialDropout2D: zeroes whole feature maps (channels) while training."""
from __future__ import annotations

from cnnviz.core.model.layers.base import LayerOutput, Shape, need_3d, require, same_shape
from cnnviz.core.model.layers.dropout import RATE, Dropout


class SpatialDropout2D(Dropout):
    name = "SpatialDropout2D"
    keras_class = "SpatialDropout2D"
    summary = "Spatial dropout: zeroes whole feature maps while training"
    prefix = "spatial_dropout"
    fields = (RATE,)

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        need_3d(self.name, shape)
        return same_shape(shape)

    def from_keras(self, class_name: str, config: dict) -> dict:
        require(config, class_name, data_format="channels_last")
        return dict(rate=float(config["rate"]))


KIND = SpatialDropout2D()
