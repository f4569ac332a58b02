"""Dense: a fully connected layer; on an H x W x C input it acts on the last axis, as Keras does."""
from __future__ import annotations

from cnnviz.core.model.layers.base import FieldDef, LayerKind, LayerOutput, Shape, activation_name, fmt_shape, require
from cnnviz.core.model.layers.window import ACTIVATION, USE_BIAS


class Dense(LayerKind):
    name = "Dense"
    keras_class = "Dense"
    summary = "Fully connected layer: every output sees every input"
    prefix = "fc"
    family = "dense"
    role = "dense"
    aliases = ("Linear",)
    fields = (
        FieldDef("units", "int", 128, "Units", "number of outputs (neurons)", minimum=1, maximum=1_000_000),
        ACTIVATION, USE_BIAS,
    )
    code_omit = {"use_bias": True}
    name_after = "units"

    def describe(self, params: dict) -> str:
        return f"Dense {params['units']} {params['activation']}"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        n_in, units = shape[-1], params["units"]
        bias = 1 if params["use_bias"] else 0
        n = (n_in + bias) * units
        b = " + 1" if bias else ""
        sf = f"units = {units}"
        if len(shape) > 1:
            sf += f" (applied to the last axis at each of the {fmt_shape(shape[:-1])} positions)"
        return LayerOutput(shape[:-1] + (units,), n, n, sf, f"(n_in{b})*units = ({n_in}{b})*{units} = {n:,}")

    def reach(self, params: dict, shape: Shape) -> None:
        return None   # every output reads every input

    def keras_args(self, params: dict) -> list:
        return [("units", params["units"]), ("activation", params["activation"]), ("use_bias", params["use_bias"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        require(config, class_name, lora_rank=None)
        return dict(units=int(config["units"]), activation=activation_name(config["activation"]),
                    use_bias=bool(config["use_bias"]))


KIND = Dense()
