"""Output shape and parameter count of every layer, with the formula and its numbers, without TensorFlow.

Shapes exclude the batch axis: a 2D feature map is ``(H, W, C)``, a vector ``(N,)``. The rules are Keras 3's
(checked against built Keras models in tests/core/test_shapes_vs_keras.py):

* convolution and pooling, padding ``valid``: ``o = floor((n + 2p - k') / s) + 1`` with ``p = 0`` and the
  dilated kernel ``k' = k + (k-1)(d-1)``; Keras refuses ``o <= 0`` (the window does not fit);
* padding ``same``: ``o = ceil(n / s)``;
* Conv2D parameters: ``(k_h * k_w * C_in + 1) * filters`` (``+ 1`` only with a bias);
* Dense parameters: ``(n_in + 1) * units``; Dense on an ``(H, W, C)`` input acts on the last axis, as Keras does;
* BatchNormalization: ``4 * C`` (gamma, beta trainable; moving mean and variance not).

Each rule lives with its layer kind (cnnviz/core/model/layers/, the ``output`` hook); this module applies them
along a spec and collects the problems.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

from cnnviz.core.model.layers.base import ShapeError  # noqa: F401 - part of this module's interface
from cnnviz.core.model.layers.window import effective_size, window_output  # noqa: F401
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


def _fmt_shape(shape: Shape) -> str:
    return "x".join(str(v) for v in shape)


def layer_shape(layer: LayerSpec, shape: Shape) -> tuple[Shape, int, int, str, str]:
    """Apply one layer to an input shape: (output shape, params, trainable params, shape formula, param formula).

    Raises ShapeError with a message for the user when the layer cannot take that input.
    """
    out = layer.layer_kind.output(layer.params, tuple(shape))
    return out.shape, out.params, out.trainable, out.shape_formula, out.param_formula


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
    memory = memory_problem(report.total_params)
    if memory:
        report.problems.append(Problem(None, "params", memory))
    return report


BYTES_PER_PARAMETER = 4            # float32 weights
TRAINING_BYTES_PER_PARAMETER = 16  # weights + gradients + Adam's two moments, all float32
_FALLBACK_MEMORY = 64 * 1024 ** 3  # when the platform does not say (Windows without sysconf)


@functools.lru_cache(maxsize=1)
def physical_memory() -> int:
    """Bytes of memory this computer has (``$CNNVIZ_MEMORY_BYTES`` overrides it)."""
    given = os.environ.get("CNNVIZ_MEMORY_BYTES", "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return _FALLBACK_MEMORY


def _bytes_text(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB", "EB"):
        if n < 1000 or unit == "EB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return ""


def memory_needed(params: int) -> tuple[int, int]:
    """(bytes of the float32 weights, bytes to train them with Adam) for ``params`` parameters."""
    return params * BYTES_PER_PARAMETER, params * TRAINING_BYTES_PER_PARAMETER


def memory_problem(params: int) -> str | None:
    """Why a model of ``params`` parameters cannot be trained on this computer (its weights, gradients and
    optimiser state do not fit in its memory), or None."""
    weights, training = memory_needed(params)
    available = physical_memory()
    if training <= available:
        return None
    return (f"the model has {params:,} parameters: {_bytes_text(weights)} of weights, about "
            f"{_bytes_text(training)} to train them (weights, gradients and Adam's two moments in float32); this "
            f"computer has {_bytes_text(available)} of memory. Use fewer filters or units, or pool before Flatten")


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
                                "scores: add Flatten (or GlobalAveragePooling2D) and a Dense layer", incomplete=True))
    elif out is not None and not report.problems:
        head = _head_problem(spec, int(out[0]))
        if head is not None:
            problems.append(head)
    return problems


def _head_problem(spec: ModelSpec, units: int) -> Problem | None:
    """Training uses a cross-entropy on probabilities, so the last layer must make them: softmax over the class
    scores (sigmoid for one output). Anything else is a model without its classifier head yet."""
    index, last = len(spec.layers) - 1, spec.layers[-1]
    act = last.params.get("activation") if last.kind in ("Dense", "Activation") else None
    want = "sigmoid" if units == 1 else "softmax"
    if act == want:
        return None
    what = f"the last layer, {last.name} ({last.describe()}),"
    if units == 1:
        why = ("gives one number that is not a probability: a two-class model ends with Dense(1, sigmoid)"
               if act != "softmax" else "is a softmax over one value, always 1: use sigmoid for a single output")
    else:
        why = (f"gives {units} numbers that are not class probabilities, so it is not a classifier head yet: end "
               f"the model with Dense(number of classes, softmax)"
               + (", or set this layer's activation to softmax" if last.kind in ("Dense", "Activation") else ""))
    return Problem(index, "activation" if act is not None else None, f"{what} {why}", incomplete=True)


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
