"""The base of every layer kind: :class:`FieldDef` (one editable setting) and :class:`LayerKind` (one layer type
with every hook the app needs), plus the shape errors and Keras-value helpers the kinds share.

A kind is one object in one module of this package, as Keras has one class per layer. Its hooks:

* ``fields`` (names, types, limits, defaults), ``summary`` (one line), ``family`` (colour), ``role`` (inspection);
* :meth:`LayerKind.describe` - a short text for lists and tooltips;
* :meth:`LayerKind.check` - settings that are invalid together (Keras's own rules), reported at a field;
* :meth:`LayerKind.output` - output shape, parameter count, trainable count, and the formulas with their numbers;
* :meth:`LayerKind.keras_args` - the keyword arguments of the Keras layer: :meth:`build` and :meth:`code_args`
  both use them, so the code shown and the model built cannot disagree;
* :meth:`LayerKind.from_keras` - the reverse: a Keras layer's config back to the kind's settings;
* :meth:`LayerKind.shape_error_fields` - which fields to mark when the layer does not fit its input;
* :meth:`LayerKind.badge` - the short extra label of the diagram (the activation, a slope);
* :meth:`LayerKind.reach` - which input positions one output cell reads (a :class:`Reach`), or None when every
  output reads every input: receptive fields are computed from it.

Pure Python: no TensorFlow (Keras is imported inside :meth:`build` only), no Qt.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

Shape = tuple[int, ...]

# Colour families of the builder and diagram (cnnviz/qt/builder/style.py has one colour for each).
FAMILIES = ("conv", "pool", "dense", "reshape", "regularise", "activation", "preprocess")
# Roles in inspection: conv = sliding learned kernels; pool = sliding fixed window (or global); dense = every
# output sees every input; shape = moves or pads values without computing; regularise = dropout and
# normalisation; activation = an element-wise function of each value.
ROLES = ("conv", "pool", "dense", "shape", "regularise", "activation")

ACTIVATIONS = ("linear", "relu", "relu6", "sigmoid", "softmax", "tanh", "elu", "selu", "gelu", "swish", "leaky_relu")
PADDINGS = ("valid", "same")

# Hooks every kind must define itself (the registry test checks each kind overrides each of them).
HOOKS = ("describe", "output", "keras_args", "from_keras", "reach")


class SpecError(ValueError):
    """A spec document or value that cannot be used, with a message meant for the user."""


class ShapeError(ValueError):
    """A layer cannot take its input shape; the message is for the user."""


@dataclass(frozen=True)
class FieldDef:
    """One editable parameter of a layer type.

    kind: "int", "pair" (two positive ints, height x width), "optional_pair" (pair or None = same as pool),
    "float", "optional_float" (a float or None, e.g. ReLU's max_value: None = no cap), "choice", "bool".
    ``step`` and ``decimals`` tell a float editor how to step and show the value. For an optional field,
    ``none_text`` labels the "None" box of its editor and ``typical`` is the value offered when it is unticked.
    ``added`` marks a field added to an existing kind after schema 1 (files leave it out at its default).
    """

    name: str
    kind: str
    default: Any
    label: str
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_exclusive: bool = False
    step: float | None = None
    decimals: int | None = None
    none_text: str = "none"         # optional_float: the label of the editor's None box ("no cap")
    typical: float | None = None    # optional_float: the value the editor offers when None is unticked
    added: bool = False  # added to a kind after schema 1: written to files only when it is not the default


@dataclass(frozen=True)
class LayerOutput:
    """What a layer does to its input: output shape, parameters (all, trainable) and the formulas with numbers."""

    shape: Shape
    params: int
    trainable: int
    shape_formula: str
    param_formula: str


@dataclass(frozen=True)
class Reach:
    """Which input positions one output cell of a layer reads, per axis (rows, columns).

    Output cell ``i`` reads the inputs ``i*stride - pad_before + t*dilation`` for ``t = 0 .. kernel-1``; the ones
    outside the input are padding. A pointwise layer (activation, normalisation, dropout) is ``Reach()``.
    """

    kernel: tuple[int, int] = (1, 1)
    strides: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pad_before: tuple[int, int] = (0, 0)

    def span(self, axis: int) -> int:
        """How many input positions the taps cover along ``axis``: (k - 1)*d + 1."""
        return (self.kernel[axis] - 1) * self.dilation[axis] + 1


POINTWISE = Reach()


class LayerKind:
    """A layer type the spec supports. Subclasses set the class attributes and define the hooks in HOOKS."""

    name: ClassVar[str]
    keras_class: ClassVar[str]
    summary: ClassVar[str]
    prefix: ClassVar[str]           # default layer names: conv_1, pool_1, ...
    family: ClassVar[str]           # one of FAMILIES
    role: ClassVar[str]             # one of ROLES
    fields: ClassVar[tuple[FieldDef, ...]] = ()
    aliases: ClassVar[tuple[str, ...]] = ()        # other spellings accepted in spec files
    keras_classes: ClassVar[tuple[str, ...]] = ()  # Keras classes imported as this kind (default: keras_class)
    code_omit: ClassVar[dict[str, Any]] = {}       # keyword -> value left out of generated code when equal
    name_after: ClassVar[str | None] = None        # keyword after which the code writes name= (None: at the end)
    short_name: ClassVar[str | None] = None        # for narrow labels (the diagram); None: the name

    def __repr__(self) -> str:
        return f"<layer kind {self.name}>"

    def field(self, name: str) -> FieldDef:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {f.name: copy.deepcopy(f.default) for f in self.fields}

    def label(self) -> str:
        """The name for narrow places (the diagram's blocks)."""
        return self.short_name or self.name

    def imported_from(self) -> tuple[str, ...]:
        return self.keras_classes or (self.keras_class,)

    # --- hooks -------------------------------------------------------------------------------------------
    def describe(self, params: dict) -> str:
        """Short human description, e.g. 'Conv2D 32 5x5 same relu'."""
        raise NotImplementedError(f"{self.name}.describe")

    def check(self, params: dict) -> list[tuple[str, str]]:
        """(field, message) for settings that are invalid together; each field's own range is checked apart."""
        return []

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        """Apply the layer to ``shape``; ShapeError with a message for the user when it cannot take it."""
        raise NotImplementedError(f"{self.name}.output")

    def keras_args(self, params: dict) -> list[tuple[str, Any]]:
        """Every keyword argument of the Keras layer (but ``name``), in the order the code writes them."""
        raise NotImplementedError(f"{self.name}.keras_args")

    def from_keras(self, class_name: str, config: dict) -> dict[str, Any]:
        """The settings of this kind for a Keras layer's ``get_config()``; SpecError for settings it cannot hold."""
        raise NotImplementedError(f"{self.name}.from_keras")

    def reach(self, params: dict, shape: Shape) -> Reach | None:
        """Which inputs one output cell reads for an input of ``shape`` (see :class:`Reach`); None when every
        output reads every input (Flatten, Dense, global pooling)."""
        raise NotImplementedError(f"{self.name}.reach")

    def shape_error_fields(self, params: dict, shape: Shape | None) -> set[str]:
        """Fields at fault when the layer does not fit ``shape`` (none by default)."""
        return set()

    def badge(self, params: dict) -> str:
        """A short extra label for the diagram: the activation of layers that have one (not 'linear')."""
        act = params.get("activation", "")
        return "" if act == "linear" else str(act)

    # --- derived from the hooks ---------------------------------------------------------------------------
    def build(self, params: dict, name: str):
        """The Keras layer (Keras is imported here, so importing the registry stays instant)."""
        import keras

        cls = getattr(keras.layers, self.keras_class)
        return cls(**{key: keras_value(value) for key, value in self.keras_args(params)}, name=name)

    def code_args(self, params: dict, name: str) -> list[tuple[str, Any]]:
        """Keyword arguments of the generated code: keras_args less the ``code_omit`` defaults, name placed."""
        args = [(k, v) for k, v in self.keras_args(params) if not (k in self.code_omit and self.code_omit[k] == v)]
        if self.name_after is None:
            return args + [("name", name)]
        at = next(i for i, (k, _) in enumerate(args) if k == self.name_after) + 1
        return args[:at] + [("name", name)] + args[at:]


def keras_value(value: Any) -> Any:
    """Lists (the spec's JSON pairs) as the tuples Keras expects, recursively."""
    if isinstance(value, list):
        return tuple(keras_value(v) for v in value)
    return value


def pair(value: Any) -> list[int]:
    """A Keras int-or-pair config value as the spec's [height, width]."""
    return [int(value[0]), int(value[1])] if isinstance(value, (list, tuple)) else [int(value), int(value)]


def activation_name(act: Any) -> str:
    """The spec's name of a Keras activation config value (Keras serialises swish as silu)."""
    name = getattr(act, "__name__", act)
    if not isinstance(name, str):
        raise SpecError(f"activation {act!r} is not one the builder supports")
    name = {"silu": "swish"}.get(name, name)
    if name not in ACTIVATIONS:
        raise SpecError(f"activation {name!r} is not one the builder supports ({', '.join(ACTIVATIONS)})")
    return name


def require(config: dict, layer_class: str, **expected: Any) -> None:
    """SpecError when a Keras config holds a setting the builder cannot represent (a value it would drop)."""
    for key, want in expected.items():
        got = config.get(key, want)
        if isinstance(got, list):
            got = tuple(got)
        if got != want:
            raise SpecError(f"{layer_class} with {key}={got!r} is not supported by the builder (only {want!r})")


def fmt_shape(shape: Shape) -> str:
    return "x".join(str(v) for v in shape)


def pair_text(p: Any) -> str:
    try:
        return f"{p[0]}x{p[1]}"
    except (TypeError, IndexError, KeyError):
        return str(p)


def need_3d(kind: str, shape: Shape) -> None:
    if len(shape) != 3:
        raise ShapeError(f"{kind} needs a 3-D input (height x width x channels), got {fmt_shape(shape)}"
                         " (is there a Flatten or Dense before it?)")


def same_shape(shape: Shape) -> LayerOutput:
    return LayerOutput(shape, 0, 0, "same shape as its input", "no parameters")
