"""Which Keras layers the stepper reproduces exactly, and how: a lookup table from the Keras class name to a step
builder, read off the layer object itself (``get_config()`` and its weights), never off the builder's spec, so
foreign ``.keras`` files are stepped as Keras runs them.

:func:`recipe_for` turns a layer into a :class:`StepRecipe`: either how to step it (its kind, settings and a
read-only copy of its weights) or, for a layer that cannot be reproduced exactly, the reason why (a custom
layer, ``groups > 1``, ``channels_first``, an unknown activation, a 1D/3D or transposed convolution...). A view
shows the reason instead of numbers from some other computation. Adding a kind = one entry in
:data:`STEP_BUILDERS` and one maker in :data:`STEP_MAKERS`.

Keras is never imported here: the layer object is duck-typed (``get_config``, ``weights``, ``input``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from cnnviz.core.inspect.convolution import ELEMENTWISE_ACTIVATIONS, activation_name
from cnnviz.core.inspect.depthwise import DepthwiseConv2DStepper, SeparableConv2DStepper
from cnnviz.core.inspect.stepper import Conv2DStepper, Pool2DStepper

TOLERANCE = 1e-4  # float32 Keras vs the float64 stepper


class CannotReproduce(ValueError):
    """The stepper cannot reproduce this layer exactly; the message says why."""


@dataclass(frozen=True, eq=False)
class StepRecipe:
    """How to step one layer, or why it cannot be.

    kind: 'conv', 'depthwise', 'separable' or 'pool' for a class in :data:`STEP_BUILDERS` ('' for others);
    reason: empty when the stepper reproduces the layer exactly, otherwise a sentence ("because ...") saying why
    it cannot; settings: kernel_size, strides, padding, dilation_rate, activation, depth_multiplier, pool_size,
    mode (those the kind has); weights: the layer's weights by Keras name ('kernel', 'depthwise_kernel',
    'pointwise_kernel', 'bias'), read-only float32; note: a caveat shown with the numbers (a 16-bit compute
    dtype); tolerance / rtol: how close the stepper's float64 value must be to Keras's output.
    """

    layer: str
    keras_class: str
    kind: str = ""
    reason: str = ""
    settings: Mapping = field(default_factory=dict)
    weights: Mapping[str, np.ndarray] = field(default_factory=dict)
    note: str = ""
    tolerance: float = TOLERANCE
    rtol: float = 0.0

    @property
    def supported(self) -> bool:
        return not self.reason

    @property
    def message(self) -> str:
        """What a view says about the layer when it cannot step it."""
        return f"The stepper cannot reproduce {self.layer} ({self.keras_class}) exactly, because {self.reason}."

    def refused(self, reason: str) -> StepRecipe:
        return replace(self, reason=reason)

    def stepper(self, x: np.ndarray, channel: int = 0):
        """A stepper over input ``x`` (HWC) for output ``channel``; CannotReproduce when unsupported."""
        if not self.supported:
            raise CannotReproduce(self.message)
        return STEP_MAKERS[self.kind](self, np.asarray(x), channel)

    def agrees(self, stepped: float, keras_value: float) -> bool:
        return abs(stepped - keras_value) <= self.tolerance + self.rtol * abs(keras_value)


# --------------------------------------------------------------------------------------------- reading
def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)  # type: ignore


def _activation(cfg: dict) -> str:
    act = cfg.get("activation", "linear")
    if isinstance(act, dict):  # a serialised activation: Keras's own by name, anything else is custom
        inner = act.get("config", {})
        name = inner.get("name") if isinstance(inner, dict) else None
        if act.get("module", "keras.activations") not in ("keras.activations", "keras.src.activations") or not name:
            raise CannotReproduce(f"its activation is a custom one ({act.get('registered_name') or act.get('class_name')})")
        act = name
    try:
        name = activation_name(act)
    except ValueError:
        raise CannotReproduce(f"its activation {act!r} is not one the stepper computes "
                              f"({', '.join(ELEMENTWISE_ACTIVATIONS)})") from None
    if name == "softmax":
        raise CannotReproduce("its activation is softmax, which normalises each cell over all output channels, so "
                              "one channel's cell is not computed on its own")
    return name


def _window_settings(cfg: dict) -> dict:
    return {"kernel_size": _pair(cfg["kernel_size"]), "strides": _pair(cfg.get("strides", 1)),
            "padding": str(cfg.get("padding", "valid")).lower(),
            "dilation_rate": _pair(cfg.get("dilation_rate", 1)), "activation": _activation(cfg)}


def _padding(settings: dict) -> dict:
    if settings["padding"] not in ("valid", "same"):
        raise CannotReproduce(f"its padding is {settings['padding']!r} (the stepper knows 'valid' and 'same')")
    return settings


def _conv2d(cfg: dict, weights: dict, c_in: int) -> dict:
    groups = int(cfg.get("groups", 1) or 1)
    if groups != 1:
        raise CannotReproduce(f"it has groups={groups}: each group of {c_in // groups} input channels feeds its own "
                              "filters, and the stepper knows groups=1 only")
    _needs(weights, "kernel")
    return _padding(_window_settings(cfg))


def _depthwise(cfg: dict, weights: dict, c_in: int) -> dict:
    _needs(weights, "kernel")
    return _padding({**_window_settings(cfg), "depth_multiplier": int(cfg.get("depth_multiplier", 1))})


def _separable(cfg: dict, weights: dict, c_in: int) -> dict:
    _needs(weights, "depthwise_kernel", "pointwise_kernel")
    return _padding({**_window_settings(cfg), "depth_multiplier": int(cfg.get("depth_multiplier", 1)),
                     "filters": int(cfg["filters"])})


def _pool(mode: str) -> Callable[[dict, dict, int], dict]:
    def read(cfg: dict, weights: dict, c_in: int) -> dict:
        size = _pair(cfg.get("pool_size", 2))
        strides = cfg.get("strides")
        return _padding({"pool_size": size, "strides": size if strides is None else _pair(strides),
                         "padding": str(cfg.get("padding", "valid")).lower(), "mode": mode})
    return read


def _needs(weights: dict, *names: str) -> None:
    missing = [n for n in names if n not in weights]
    if missing:
        raise CannotReproduce(f"its weights have no {', '.join(missing)} (found: {', '.join(weights) or 'none'})")


@dataclass(frozen=True)
class StepBuilder:
    """One entry of the table: the stepper kind and a reader (config, weights, C_in) -> settings that raises
    :class:`CannotReproduce` for a configuration the stepper does not reproduce."""

    kind: str
    read: Callable[[dict, dict, int], dict]


STEP_BUILDERS: dict[str, StepBuilder] = {
    "Conv2D": StepBuilder("conv", _conv2d),
    "DepthwiseConv2D": StepBuilder("depthwise", _depthwise),
    "SeparableConv2D": StepBuilder("separable", _separable),
    "MaxPooling2D": StepBuilder("pool", _pool("max")),
    "AveragePooling2D": StepBuilder("pool", _pool("average")),
}

_ONE_D = "it is a 1D layer (it slides along one axis); the Step by step tab steps 2D layers over rows and columns"
_THREE_D = "it is a 3D layer (it slides over depth, rows and columns); the Step by step tab steps 2D layers"
OTHER_WINDOWED: dict[str, str] = {
    **{k: _ONE_D for k in ("Conv1D", "SeparableConv1D", "DepthwiseConv1D", "Conv1DTranspose", "MaxPooling1D",
                           "AveragePooling1D")},
    **{k: _THREE_D for k in ("Conv3D", "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D")},
    "Conv2DTranspose": "a transposed convolution spreads each input cell over a window of the output instead of "
                       "reading a window of the input, and the stepper only shows windows that read the input",
}

STEP_MAKERS: dict[str, Callable[[StepRecipe, np.ndarray, int], object]] = {
    "conv": lambda r, x, ch: Conv2DStepper(
        x, r.weights["kernel"], r.weights.get("bias"), r.settings["strides"], r.settings["padding"], ch,
        r.settings["activation"], r.settings["dilation_rate"]),
    "depthwise": lambda r, x, ch: DepthwiseConv2DStepper(
        x, r.weights["kernel"], r.weights.get("bias"), r.settings["strides"], r.settings["padding"], ch,
        r.settings["activation"], r.settings["dilation_rate"]),
    "separable": lambda r, x, ch: SeparableConv2DStepper(
        x, r.weights["depthwise_kernel"], r.weights["pointwise_kernel"], r.weights.get("bias"),
        r.settings["strides"], r.settings["padding"], ch, r.settings["activation"], r.settings["dilation_rate"]),
    "pool": lambda r, x, ch: Pool2DStepper(x, r.settings["pool_size"], r.settings["strides"], r.settings["padding"],
                                           r.settings["mode"], ch),
}


def _is_keras(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "keras"


def _named_weights(layer) -> dict[str, np.ndarray]:
    out = {}
    for var, value in zip(layer.weights, layer.get_weights()):
        a = np.array(value, np.float32)
        a.flags.writeable = False
        out[str(var.name).rsplit("/", 1)[-1].split(":")[0]] = a
    return out


def _input_shape(layer) -> tuple | None:
    try:
        return tuple(layer.input.shape)
    except (AttributeError, ValueError):  # several inputs, or never called
        return None


def _compute_dtype(layer) -> str:
    policy = getattr(layer, "dtype_policy", None)
    return str(getattr(policy, "compute_dtype", None) or getattr(layer, "compute_dtype", "float32"))


def recipe_for(layer) -> StepRecipe | None:
    """The :class:`StepRecipe` of a Keras layer, or None for a layer that is not a sliding window at all
    (Dense, Flatten, Dropout, activations...; a custom layer is refused, with the reason, when its output is
    an image-shaped H x W x C map)."""
    cls = type(layer)
    name = cls.__name__
    recipe = StepRecipe(layer.name, name)
    if not _is_keras(cls):
        bases = [b.__name__ for b in cls.__mro__[1:] if _is_keras(b) and
                 (b.__name__ in STEP_BUILDERS or b.__name__ in OTHER_WINDOWED)]
        builder = STEP_BUILDERS.get(bases[0]) if bases else None
        if bases:
            return StepRecipe(layer.name, name, builder.kind if builder else "").refused(
                f"it is a custom layer class ({cls.__module__}.{name}, a subclass of {bases[0]}) whose call() may "
                f"compute something else than {bases[0]}, so the stepper does not guess")
        if _output_rank(layer) != 4:  # not an image-shaped map: nothing a stepper would show
            return None
        return recipe.refused(f"it is a custom layer ({cls.__module__}.{name}): the stepper only reproduces Keras's "
                              f"own {', '.join(STEP_BUILDERS)}")
    if name in OTHER_WINDOWED:
        return recipe.refused(OTHER_WINDOWED[name])
    builder = STEP_BUILDERS.get(name)
    if builder is None:
        return None
    recipe = replace(recipe, kind=builder.kind)
    cfg = layer.get_config()
    try:
        weights = _named_weights(layer)
        recipe = replace(recipe, weights=MappingProxyType(weights))
        if cfg.get("data_format", "channels_last") != "channels_last":
            raise CannotReproduce(f"its data_format is {cfg['data_format']!r}; the stepper reads channels_last "
                                  "(height x width x channels) maps")
        shape = _input_shape(layer)
        if shape is None or len(shape) != 4:
            raise CannotReproduce("its input is not one height x width x channels map"
                                  + ("" if shape is None else f" (input shape {shape})"))
        if getattr(layer, "quantization_mode", None):
            raise CannotReproduce(f"it is quantized ({layer.quantization_mode}): Keras computes it with integer or "
                                  "float8 weights and scales the stepper does not model")
        if getattr(layer, "lora_enabled", False):
            raise CannotReproduce("it has LoRA enabled: its effective kernel is the kernel plus a low-rank update")
        settings = builder.read(cfg, weights, int(shape[-1]))
    except CannotReproduce as exc:
        return recipe.refused(str(exc))
    recipe = replace(recipe, settings=MappingProxyType(settings))
    dtype = _compute_dtype(layer)
    if dtype in ("float16", "bfloat16"):
        recipe = replace(recipe, tolerance=2e-2, rtol=2e-2, note=(
            f"Keras computes this layer in {dtype} (about {3 if dtype == 'bfloat16' else 4} significant digits); "
            "the stepper computes the same sum in float64, so the last digits differ."))
    return recipe


def _output_rank(layer) -> int | None:
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):
        return None


__all__ = ["CannotReproduce", "StepRecipe", "StepBuilder", "STEP_BUILDERS", "STEP_MAKERS", "OTHER_WINDOWED",
           "recipe_for", "TOLERANCE"]
