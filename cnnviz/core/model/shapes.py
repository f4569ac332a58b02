"""Output shape and parameter count of every layer, with the formula and its numbers, without TensorFlow.

Shapes exclude the batch axis: a 2D feature map is ``(H, W, C)``, a vector ``(N,)``. The rules are Keras 3's
(checked against built Keras models in tests/core/test_shapes_vs_keras.py):

* convolution and pooling, padding ``valid``: ``o = floor((n + 2p - k) / s) + 1`` with ``p = 0``;
  Keras refuses ``o <= 0`` (the window does not fit);
* padding ``same``: ``o = ceil(n / s)``;
* Conv2D parameters: ``(k_h * k_w * C_in + 1) * filters`` (``+ 1`` only with a bias);
* Dense parameters: ``(n_in + 1) * units``; Dense on an ``(H, W, C)`` input acts on the last axis, as Keras does;
* BatchNormalization: ``4 * C`` (gamma, beta trainable; moving mean and variance not).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from cnnviz.core.model.spec import LayerSpec, ModelSpec, Problem, layer_label, validate_values

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerShape:
    """What one layer does to the shape. ``output`` is None when the layer cannot be applied."""

    index: int
    name: str
    kind: str
    input: Shape | None
    output: Shape | None
    params: int = 0
    trainable: int = 0
    shape_formula: str = ""
    param_formula: str = ""
    error: str | None = None


@dataclass
class ShapeReport:
    """Shapes of a whole spec: per layer, totals, and every problem found (values and shapes)."""

    input_shape: Shape
    layers: list[LayerShape] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def trainable_params(self) -> int:
        return sum(layer.trainable for layer in self.layers)

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def output_shape(self) -> Shape | None:
        if not self.layers:
            return self.input_shape
        return self.layers[-1].output

    def problems_for(self, index: int) -> list[Problem]:
        return [p for p in self.problems if p.layer == index]


class ShapeError(ValueError):
    pass


def _fmt_shape(shape: Shape) -> str:
    return "x".join(str(v) for v in shape)


def window_output(n: int, k: int, s: int, padding: str) -> tuple[int, str]:
    """Output length of a sliding window (kernel or pool) of size k, stride s over n inputs.

    Returns (o, formula with numbers). Raises ShapeError when the window does not fit (valid padding).
    """
    if padding == "same":
        o = math.ceil(n / s)
        return o, f"ceil(n/s) = ceil({n}/{s}) = {o}"
    o = (n - k) // s + 1
    formula = f"floor((n + 2p - k)/s) + 1 = floor(({n} + 0 - {k})/{s}) + 1 = {o}"
    if o <= 0:
        raise ShapeError(formula)
    return o, formula


def _spatial(layer: LayerSpec, shape: Shape, size_key: str, what: str) -> tuple[Shape, str]:
    if len(shape) != 3:
        raise ShapeError(f"{layer.kind} needs a 3-D input (height x width x channels), got {_fmt_shape(shape)}"
                         " (is there a Flatten or Dense before it?)")
    p = layer.params
    k = p[size_key]
    s = p["strides"] if p.get("strides") is not None else k
    h, w, c = shape
    try:
        oh, fh = window_output(h, k[0], s[0], p["padding"])
        ow, fw = window_output(w, k[1], s[1], p["padding"])
    except ShapeError:
        raise ShapeError(f"{what} {k[0]}x{k[1]} is larger than its {h}x{w} input with padding 'valid' "
                         f"(use padding 'same' or a smaller {what})") from None
    out_c = p["filters"] if layer.kind == "Conv2D" else c
    formula = f"height: {fh}\nwidth: {fw}"
    if p["padding"] == "valid":
        formula = f"padding 'valid' (p = 0)\n{formula}"
    else:
        formula = f"padding 'same' (zeros added so that o = ceil(n/s))\n{formula}"
    return (oh, ow, out_c), formula


def layer_shape(layer: LayerSpec, shape: Shape) -> tuple[Shape, int, int, str, str]:
    """Apply one layer to an input shape: (output shape, params, trainable params, shape formula, param formula).

    Raises ShapeError with a message for the user when the layer cannot take that input.
    """
    p = layer.params
    kind = layer.kind
    if kind == "Conv2D":
        out, formula = _spatial(layer, shape, "kernel_size", "kernel")
        kh, kw = p["kernel_size"]
        cin = shape[2]
        bias = 1 if p["use_bias"] else 0
        params = (kh * kw * cin + bias) * p["filters"]
        bias_txt = " + 1" if bias else ""
        pf = f"(k_h*k_w*C_in{bias_txt})*filters = ({kh}*{kw}*{cin}{bias_txt})*{p['filters']} = {params:,}"
        return out, params, params, formula, pf
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        out, formula = _spatial(layer, shape, "pool_size", "pool window")
        return out, 0, 0, formula, "pooling has no parameters"
    if kind in ("Dropout", "Activation"):
        return shape, 0, 0, "same shape as its input", "no parameters"
    if kind == "SpatialDropout2D":
        if len(shape) != 3:
            raise ShapeError(f"SpatialDropout2D needs a 3-D input (height x width x channels), got {_fmt_shape(shape)}")
        return shape, 0, 0, "same shape as its input", "no parameters"
    if kind == "BatchNormalization":
        c = shape[-1]
        return shape, 4 * c, 2 * c, "same shape as its input", (
            f"4*C = 4*{c} = {4 * c:,} (gamma and beta are trained: {2 * c:,}; "
            f"moving mean and variance are not: {2 * c:,})")
    if kind == "Flatten":
        n = math.prod(shape)
        return (n,), 0, 0, f"{' * '.join(str(v) for v in shape)} = {n:,}", "no parameters"
    if kind == "GlobalAveragePooling2D":
        if len(shape) != 3:
            raise ShapeError(f"GlobalAveragePooling2D needs a 3-D input (height x width x channels), "
                             f"got {_fmt_shape(shape)}")
        return (shape[2],), 0, 0, f"one mean per channel: {shape[2]}", "no parameters"
    if kind == "Dense":
        n_in = shape[-1]
        units = p["units"]
        bias = 1 if p["use_bias"] else 0
        params = (n_in + bias) * units
        bias_txt = " + 1" if bias else ""
        out = shape[:-1] + (units,)
        sf = f"units = {units}"
        if len(shape) > 1:
            sf += f" (applied to the last axis at each of the {_fmt_shape(shape[:-1])} positions)"
        return out, params, params, sf, f"(n_in{bias_txt})*units = ({n_in}{bias_txt})*{units} = {params:,}"
    raise ShapeError(f"unsupported layer type {kind}")


def infer_shapes(spec: ModelSpec) -> ShapeReport:
    """Shapes, parameter counts and formulas of every layer, plus every problem in the spec.

    Never raises for a spec that was loaded: problems are reported per layer so that the builder can show them
    where they arise. Layers after a failing one have no shapes.
    """
    report = ShapeReport(tuple(spec.input_shape))
    report.problems.extend(validate_values(spec))
    bad_value_layers = {p.layer for p in report.problems if p.layer is not None}
    bad_input = any(p.layer is None for p in report.problems)
    shape: Shape | None = None if bad_input else tuple(spec.input_shape)
    for i, layer in enumerate(spec.layers):
        if shape is None or i in bad_value_layers:
            report.layers.append(LayerShape(i, layer.name, layer.kind, shape, None,
                                            error=None if shape is None else "invalid settings"))
            shape = None
            continue
        try:
            out, params, trainable, sf, pf = layer_shape(layer, shape)
        except ShapeError as exc:
            msg = f"{layer_label(i, layer)}: {exc}"
            report.problems.append(Problem(i, None, msg))
            report.layers.append(LayerShape(i, layer.name, layer.kind, shape, None, error=msg))
            shape = None
            continue
        report.layers.append(LayerShape(i, layer.name, layer.kind, shape, out, params, trainable, sf, pf))
        shape = out
    return report


def classifier_problems(spec: ModelSpec, report: ShapeReport | None = None) -> list[Problem]:
    """Problems that stop a spec from being trained as a classifier (beyond shape errors)."""
    report = report or infer_shapes(spec)
    problems = list(report.problems)
    if not spec.layers:
        problems.append(Problem(None, None, "the model has no layers; add some (or load a preset)"))
        return problems
    out = report.output_shape
    if out is not None and len(out) != 1:
        problems.append(Problem(len(spec.layers) - 1, None,
                                f"the model's output is {_fmt_shape(out)}; a classifier ends with a vector of class "
                                "scores: add Flatten (or GlobalAveragePooling2D) and a Dense layer"))
    return problems


def summary_table(spec: ModelSpec, report: ShapeReport | None = None) -> str:
    """A text table in the style of Keras's ``model.summary()``: layer (type), output shape, params, totals."""
    report = report or infer_shapes(spec)
    rows = [("Layer (type)", "Output Shape", "Param #")]
    for layer in report.layers:
        shape = "?" if layer.output is None else "(None, " + ", ".join(str(v) for v in layer.output) + ")"
        rows.append((f"{layer.name} ({layer.kind})", shape, f"{layer.params:,}"))
    w0 = max(len(r[0]) for r in rows) + 2
    w1 = max(len(r[1]) for r in rows) + 2
    w2 = max(len(r[2]) for r in rows)
    width = w0 + w1 + w2
    lines = [f'Model: "{spec.name}"', "=" * width]
    lines.append(f"{rows[0][0]:<{w0}}{rows[0][1]:<{w1}}{rows[0][2]:>{w2}}")
    lines.append("=" * width)
    for r in rows[1:]:
        lines.append(f"{r[0]:<{w0}}{r[1]:<{w1}}{r[2]:>{w2}}")
    lines.append("=" * width)
    lines.append(f"Total params: {report.total_params:,}")
    lines.append(f"Trainable params: {report.trainable_params:,}")
    lines.append(f"Non-trainable params: {report.non_trainable_params:,}")
    if report.problems:
        lines.append("")
        lines.extend(f"error: {p.message}" for p in report.problems)
    return "\n".join(lines)
