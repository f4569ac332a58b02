"""Model specification: the JSON-able description of a CNN that every part of cnnviz works from.

A :class:`ModelSpec` is an input shape ``(H, W, C)`` and an ordered list of :class:`LayerSpec`. A spec may hold
invalid values (a kernel larger than its input, a filter count of 0): the builder keeps what the user typed and
shows the problem at the layer, so validation *reports* problems (:func:`validate`) instead of refusing to
store them. Only structurally broken documents (not JSON, unknown layer type, wrong value types) are refused on
load, with a :class:`SpecError` that says where and why.

Pure Python: no TensorFlow, no Qt.
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnviz.core.io.files import atomic_write_text
from cnnviz.core.model import layers as layer_registry
from cnnviz.core.model.layers.base import (ACTIVATIONS, PADDINGS, FieldDef, LayerKind, SpecError,  # noqa: F401
                                           pair_text as _pair_text)

SCHEMA_VERSION = 1
SCHEMA_ID = "cnnviz.model-spec"

# The layer kinds live in cnnviz/core/model/layers/ (one module per kind); these names are kept for callers.
LAYER_KINDS: dict[str, LayerKind] = layer_registry.KINDS
# Names people (and Keras) also use for the same layers.
KIND_ALIASES: dict[str, str] = layer_registry.ALIASES

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
# The deepest model cnnviz builds or opens. Keras walks a model's graph recursively (one Python frame per layer,
# keras/src/ops/function.py) whenever it builds, clones, loads or cuts a model; cnnviz.core.tf_runtime gives the
# interpreter room for this many layers when it imports TensorFlow.
MAX_LAYERS = 1000


def canonical_kind(kind: str) -> str:
    """The supported layer type called ``kind`` (aliases accepted); SpecError if unknown."""
    return layer_registry.get(kind).name


@dataclass
class LayerSpec:
    """One layer: its type (a key of LAYER_KINDS), a unique name, and its parameters."""

    kind: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def make(cls, kind: str, name: str, **params: Any) -> "LayerSpec":
        """A layer with defaults for every parameter not given. Pairs may be given as an int."""
        kind = canonical_kind(kind)
        merged = LAYER_KINDS[kind].defaults()
        unknown = set(params) - set(merged)
        if unknown:
            raise SpecError(f"layer {name!r} ({kind}): unknown parameter(s) {', '.join(sorted(unknown))}")
        for key, value in params.items():
            merged[key] = _normalise_value(LAYER_KINDS[kind].field(key), value)
        return cls(kind, name, merged)

    @property
    def layer_kind(self) -> LayerKind:
        return layer_registry.get(self.kind)  # SpecError for a kind the registry does not have

    def describe(self) -> str:
        """Short human description, e.g. 'Conv2D 32 5x5 same relu'."""
        return self.layer_kind.describe(self.params)

    def to_dict(self) -> dict[str, Any]:
        """The layer as JSON. Fields added after schema 1 (``FieldDef.added``) are left out at their default, so
        a file that does not use them still opens in a cnnviz that predates them."""
        fields = {f.name: f for f in self.layer_kind.fields}
        params = {k: v for k, v in self.params.items()
                  if not (k in fields and fields[k].added and v == fields[k].default)}
        return {"type": self.kind, "name": self.name, **copy.deepcopy(params)}


@dataclass
class ModelSpec:
    """A model: ``input_shape`` is (H, W, C) in pixels and channels; ``layers`` in order."""

    input_shape: tuple[int, int, int]
    layers: list[LayerSpec] = field(default_factory=list)
    name: str = "model"
    description: str = ""

    def copy(self) -> "ModelSpec":
        return copy.deepcopy(self)

    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def unique_name(self, prefix: str) -> str:
        """A layer name ``prefix_N`` not used yet in this spec."""
        used = set(self.layer_names())
        n = 1
        while f"{prefix}_{n}" in used:
            n += 1
        return f"{prefix}_{n}"

    def new_layer(self, kind: str, **params: Any) -> LayerSpec:
        kind = canonical_kind(kind)
        return LayerSpec.make(kind, self.unique_name(LAYER_KINDS[kind].prefix), **params)

    # --- JSON ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_ID,
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "description": self.description,
            "input_shape": list(self.input_shape),
            "layers": [layer.to_dict() for layer in self.layers],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Any) -> "ModelSpec":
        return spec_from_dict(data)

    @classmethod
    def from_json(cls, text: str) -> "ModelSpec":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        except (TypeError, ValueError, RecursionError) as exc:
            raise SpecError(f"not valid JSON: {exc}") from None
        return spec_from_dict(data)

    def save(self, path: str | os.PathLike) -> None:
        """Write the spec as JSON atomically (temp file + rename): a crash never leaves half a file."""
        atomic_write_text(Path(path), self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ModelSpec":
        from cnnviz.core.io.bounded_read import FileRefused, read_regular_file

        path = Path(path)
        try:
            raw = read_regular_file(path)   # never a FIFO or a device (they would hang), never unbounded
        except FileRefused as exc:
            raise SpecError(str(exc)) from None
        except FileNotFoundError:
            raise SpecError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise SpecError(f"{path}: is a folder, not a model spec file") from None
        except OSError as exc:
            raise SpecError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SpecError(f"{path}: not a text file (a model spec is JSON)") from None
        try:
            return cls.from_json(text)
        except SpecError as exc:
            raise SpecError(f"{path}: {exc}") from None


# --- loading and normalising -------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _normalise_value(fdef: FieldDef, value: Any) -> Any:
    """Coerce a JSON value to the field's storage form; SpecError if the *type* is wrong.

    Out-of-range values of the right type are kept (validate() reports them) so nothing typed is lost.
    """
    where = f"{fdef.name}"
    if fdef.kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise SpecError(f"{where} must be a whole number, got {value!r}")
        return value
    if fdef.kind in ("pair", "optional_pair"):
        if value is None and fdef.kind == "optional_pair":
            return None
        if _is_int(value):
            return [value, value]
        if isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_int(v) for v in value):
            return [int(value[0]), int(value[1])]
        raise SpecError(f"{where} must be a whole number or a pair [height, width] of whole numbers, got {value!r}")
    if fdef.kind in ("float", "optional_float"):
        if value is None and fdef.kind == "optional_float":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{where} must be a number{' or null' if fdef.kind == 'optional_float' else ''}, "
                            f"got {value!r}")
        return float(value)
    if fdef.kind == "choice":
        if not isinstance(value, str):
            raise SpecError(f"{where} must be one of {', '.join(fdef.choices)}, got {value!r}")
        return value.lower()
    if fdef.kind == "bool":
        if not isinstance(value, bool):
            raise SpecError(f"{where} must be true or false, got {value!r}")
        return value
    raise AssertionError(fdef.kind)


def spec_from_dict(data: Any) -> ModelSpec:
    """Build a ModelSpec from parsed JSON; SpecError with a specific message for anything malformed."""
    if not isinstance(data, dict):
        raise SpecError(f"a model spec is a JSON object, got {type(data).__name__}")
    schema = data.get("schema", SCHEMA_ID)
    if schema != SCHEMA_ID:
        raise SpecError(f"not a cnnviz model spec (schema {schema!r}, expected {SCHEMA_ID!r})")
    version = data.get("schema_version")
    if version is None:
        raise SpecError("missing 'schema_version' (is this a cnnviz model spec?)")
    if not _is_int(version):
        raise SpecError(f"'schema_version' must be a whole number, got {version!r}")
    if version > SCHEMA_VERSION:
        raise SpecError(f"spec schema version {version} is newer than this cnnviz understands ({SCHEMA_VERSION}); "
                        "update cnnviz to open it")
    if version < 1:
        raise SpecError(f"unknown spec schema version {version}")
    shape = data.get("input_shape")
    if not (isinstance(shape, (list, tuple)) and len(shape) == 3 and all(_is_int(v) for v in shape)):
        raise SpecError(f"'input_shape' must be [height, width, channels] of whole numbers, got {shape!r}")
    name = data.get("name", "model")
    if not isinstance(name, str):
        raise SpecError(f"'name' must be a string, got {name!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"'description' must be a string, got {description!r}")
    layers_data = data.get("layers")
    if not isinstance(layers_data, list):
        raise SpecError(f"'layers' must be a list of layer objects, got {type(layers_data).__name__}")
    layers = []
    for i, item in enumerate(layers_data, start=1):
        if not isinstance(item, dict):
            raise SpecError(f"layer {i}: must be an object with 'type' and 'name', got {item!r}")
        kind = item.get("type")
        lname = item.get("name")
        if not isinstance(kind, str):
            raise SpecError(f"layer {i}: missing or invalid 'type' (got {kind!r})")
        if not isinstance(lname, str):
            raise SpecError(f"layer {i}: missing or invalid 'name' (got {lname!r})")
        params = {k: v for k, v in item.items() if k not in ("type", "name")}
        try:
            layers.append(LayerSpec.make(kind, lname, **params))
        except SpecError as exc:
            raise SpecError(f"layer {i} ({lname}): {exc}") from None
    return ModelSpec(tuple(int(v) for v in shape), layers, name=name, description=description)


# --- validation of values (shape problems are found by shapes.py) -----------------------------------

@dataclass(frozen=True)
class Problem:
    """A problem found in a spec. ``layer`` is the 0-based layer index, or None for the model itself.

    ``incomplete``: the model is not finished rather than wrong (no classifier head yet); the builder shows it as
    a note about what to add, not as an error on a layer, and it still stops training."""

    layer: int | None
    field: str | None
    message: str
    incomplete: bool = False

    def __str__(self) -> str:
        return self.message


def layer_label(index: int, layer: LayerSpec) -> str:
    return f"layer {index + 1} ({layer.name})"


def field_problems(fdef: FieldDef, value: Any) -> str | None:
    """Why ``value`` is not acceptable for ``fdef`` (range, choice), or None."""
    def bounded(v: float) -> str | None:
        if fdef.minimum is not None and v < fdef.minimum:
            return f"must be at least {fdef.minimum:g}, got {v:g}"
        if fdef.maximum is not None:
            if fdef.max_exclusive and v >= fdef.maximum:
                return f"must be below {fdef.maximum:g}, got {v:g}"
            if not fdef.max_exclusive and v > fdef.maximum:
                return f"must be at most {fdef.maximum:g}, got {v:g}"
        return None

    if fdef.kind == "int":
        return bounded(value)
    if fdef.kind in ("pair", "optional_pair"):
        if value is None:
            return None
        for v in value:
            msg = bounded(v)
            if msg:
                return msg.rsplit(", got", 1)[0] + f" in each direction, got {_pair_text(value)}"
        return None
    if fdef.kind in ("float", "optional_float"):
        if value is None and fdef.kind == "optional_float":
            return None
        if math.isnan(value) or math.isinf(value):
            return f"must be a finite number, got {value}"
        return bounded(value)
    if fdef.kind == "choice":
        if value not in fdef.choices:
            return f"must be one of {', '.join(fdef.choices)}, got {value!r}"
    return None


def validate_values(spec: ModelSpec) -> list[Problem]:
    """Problems with input shape, names and parameter values (not shapes: see shapes.infer_shapes)."""
    problems: list[Problem] = []
    h, w, c = spec.input_shape
    for label, v in (("height", h), ("width", w), ("channels", c)):
        if v < 1:
            problems.append(Problem(None, "input_shape", f"input {label} must be at least 1, got {v}"))
    if max(h, w) > 4096 or c > 64:
        problems.append(Problem(None, "input_shape",
                                f"input {h}x{w}x{c} is too large for this app (at most 4096x4096x64)"))
    if len(spec.layers) > MAX_LAYERS:
        problems.append(Problem(None, "layers", f"the model has {len(spec.layers):,} layers; cnnviz builds models of "
                                                f"at most {MAX_LAYERS:,} layers"))
    seen: dict[str, int] = {}
    for i, layer in enumerate(spec.layers):
        label = layer_label(i, layer)
        if not _NAME_RE.match(layer.name):
            problems.append(Problem(i, "name", f"{label}: name must start with a letter or _ and use only "
                                               "letters, digits, _ . - (at most 64 characters)"))
        if layer.name in seen:
            problems.append(Problem(i, "name", f"{label}: name is already used by layer {seen[layer.name] + 1}"))
        seen.setdefault(layer.name, i)
        field_ok = True
        for fdef in layer.layer_kind.fields:
            msg = field_problems(fdef, layer.params.get(fdef.name))
            if msg:
                field_ok = False
                problems.append(Problem(i, fdef.name, f"{label}: {fdef.label.lower()} {msg}"))
        if field_ok:  # settings invalid together (Keras's own rules), once each one is valid alone
            problems.extend(Problem(i, name, f"{label}: {msg}") for name, msg in layer.layer_kind.check(layer.params))
    return problems
