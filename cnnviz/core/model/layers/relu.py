"""ReLU: the Keras ``ReLU`` layer, max(x, 0) with an optional cap, a slope below a threshold (MobileNet's ReLU(6)).

Keras's definition (``keras.layers.ReLU``, t = threshold, a = negative_slope, m = max_value):

* ``f(x) = m`` for ``x >= m``;
* ``f(x) = x`` for ``t <= x < m``;
* ``f(x) = a * (x - t)`` otherwise.

``ReLU(6.0)`` is relu6 (``min(max(x, 0), 6)``), the activation of MobileNet v1 and v2. All three settings are
``>= 0``, as Keras requires.
"""
from __future__ import annotations

from cnnviz.core.model.layers.base import FieldDef, LayerKind, LayerOutput, POINTWISE, Reach, Shape, same_shape


class ReLU(LayerKind):
    name = "ReLU"
    keras_class = "ReLU"
    summary = ("ReLU: keeps positive values, zeroes negative ones; optionally capped at a maximum "
               "(ReLU(6) = relu6, MobileNet) (no parameters)")
    prefix = "relu"
    family = "activation"
    role = "activation"
    fields = (
        FieldDef("max_value", "optional_float", None, "Max value",
                 "outputs above it are cut to it (6 = relu6, as MobileNet uses); no cap: max(x, 0) grows without "
                 "limit", minimum=0.0, step=0.5, decimals=3, none_text="no cap", typical=6.0),
        FieldDef("negative_slope", "float", 0.0, "Negative slope",
                 "factor applied below the threshold: f(x) = slope * (x - threshold) (0 = plain ReLU)",
                 minimum=0.0, step=0.05, decimals=3),
        FieldDef("threshold", "float", 0.0, "Threshold",
                 "values below it are not passed through (0 = plain ReLU)", minimum=0.0, step=0.1, decimals=3),
    )
    code_omit = {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}

    def describe(self, params: dict) -> str:
        return " ".join(["ReLU", *self._settings(params)])

    @staticmethod
    def _settings(params: dict) -> list[str]:
        parts = []
        if params["max_value"] is not None:
            parts.append(f"max {params['max_value']:g}")
        if params["negative_slope"]:
            parts.append(f"slope {params['negative_slope']:g}")
        if params["threshold"]:
            parts.append(f"threshold {params['threshold']:g}")
        return parts

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        same = same_shape(shape)
        return LayerOutput(same.shape, 0, 0, f"{same.shape_formula}; each value: {self.function(params)}",
                           same.param_formula)

    @staticmethod
    def function(params: dict) -> str:
        """What the layer does to one value x, with its numbers (Keras's definition, see the module)."""
        cap, slope, t = params["max_value"], params["negative_slope"], params["threshold"]
        if not slope and not t:
            return "f(x) = max(x, 0)" if cap is None else f"f(x) = min(max(x, 0), {cap:g})"
        below = (f"{slope:g}*(x - {t:g})" if t else f"{slope:g}*x") if slope else "0"
        above = f"x up to {cap:g}, {cap:g} above" if cap is not None else "x above"
        return f"f(x) = {below} below {t:g}, {above}"

    def reach(self, params: dict, shape: Shape) -> Reach:
        return POINTWISE   # each output value depends on the input value at the same place only

    def keras_args(self, params: dict) -> list:
        return [("max_value", params["max_value"]), ("negative_slope", params["negative_slope"]),
                ("threshold", params["threshold"])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        cap = config.get("max_value")
        return dict(max_value=None if cap is None else float(cap),
                    negative_slope=float(config.get("negative_slope", 0.0)),
                    threshold=float(config.get("threshold", 0.0)))

    def badge(self, params: dict) -> str:
        parts = []
        if params["max_value"] is not None:
            parts.append(f"≤ {params['max_value']:g}")
        if params["negative_slope"]:
            parts.append(f"α {params['negative_slope']:g}")
        if params["threshold"]:
            parts.append(f"θ {params['threshold']:g}")
        return " ".join(parts)


KIND = ReLU()
