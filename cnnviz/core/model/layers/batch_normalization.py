"""BatchNormalization: normalises each channel, then scales (gamma) and shifts (beta) it."""
from __future__ import annotations

from cnnviz.core.model.layers.base import (FieldDef, LayerKind, LayerOutput, POINTWISE, Reach, Shape, SpecError,
                                           require)


class BatchNormalization(LayerKind):
    name = "BatchNormalization"
    keras_class = "BatchNormalization"
    summary = "Batch normalization: normalises each channel (2 trainable + 2 moving statistics per channel)"
    prefix = "batch_norm"
    short_name = "BatchNorm"
    family = "regularise"
    role = "regularise"
    aliases = ("BatchNorm", "BatchNorm2d")
    fields = (
        FieldDef("momentum", "float", 0.99, "Momentum", "for the moving mean and variance",
                 minimum=0.0, maximum=1.0, step=0.01, decimals=3),
        FieldDef("epsilon", "float", 1e-3, "Epsilon", "added to the variance to avoid division by zero",
                 minimum=0.0, maximum=1.0, max_exclusive=True, step=0.0001, decimals=5),
    )

    def describe(self, params: dict) -> str:
        return f"BatchNormalization momentum {params['momentum']:g}"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        c = shape[-1]
        return LayerOutput(shape, 4 * c, 2 * c, "same shape as its input", (
            f"4*C = 4*{c} = {4 * c:,} (gamma and beta are trained: {2 * c:,}; "
            f"moving mean and variance are not: {2 * c:,})"))

    def reach(self, params: dict, shape: Shape) -> Reach:
        return POINTWISE   # each output value depends on the input value at the same place only

    def keras_args(self, params: dict) -> list:
        return [("momentum", params["momentum"]), ("epsilon", params["epsilon"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        axis = config.get("axis", -1)
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        if axis not in (-1, 3):
            raise SpecError(f"{class_name} over axis {axis!r} is not supported by the builder (only the channels)")
        require(config, class_name, center=True, scale=True, renorm=False)
        return dict(momentum=float(config["momentum"]), epsilon=float(config["epsilon"]))

    def badge(self, params: dict) -> str:
        return ""


KIND = BatchNormalization()
