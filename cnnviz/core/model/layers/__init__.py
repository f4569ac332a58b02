"""The layer registry: one module per layer kind, each defining ``KIND`` (a :class:`LayerKind`).

``KINDS`` maps a kind's name to it, in palette order; :func:`get` looks a kind up by name (or alias) and fails
loudly for an unknown one; :func:`for_keras_class` finds the kind a Keras layer class is imported as. Adding a
kind = one module here (listed in ``MODULES``) + its tests (tests/core/test_layer_registry.py walks every kind).
"""
from __future__ import annotations

import importlib

from cnnviz.core.model.layers.base import FAMILIES, HOOKS, ROLES, FieldDef, LayerKind, LayerOutput, SpecError

MODULES = ("conv2d", "depthwise_conv2d", "separable_conv2d", "max_pooling2d", "average_pooling2d",
           "global_average_pooling2d", "zero_padding2d", "flatten", "dense", "dropout", "spatial_dropout2d",
           "batch_normalization", "activation", "relu", "leaky_relu", "rescaling")


def missing_hooks(kind: LayerKind) -> list[str]:
    """The hooks of HOOKS that ``kind`` does not define (it inherits LayerKind's, which only raise)."""
    return [hook for hook in HOOKS if getattr(type(kind), hook) is getattr(LayerKind, hook)]


def check_kind(kind: LayerKind) -> None:
    """RuntimeError when a kind lacks a hook, an attribute, or names an unknown family or role."""
    missing = missing_hooks(kind)
    missing += [a for a in ("name", "keras_class", "summary", "prefix", "family", "role") if not getattr(kind, a, "")]
    if missing:
        raise RuntimeError(f"layer kind {getattr(kind, 'name', kind)} does not define {', '.join(missing)}")
    if kind.family not in FAMILIES or kind.role not in ROLES:
        raise RuntimeError(f"layer kind {kind.name}: family {kind.family!r} / role {kind.role!r} unknown")


def _load() -> dict[str, LayerKind]:
    kinds: dict[str, LayerKind] = {}
    for module_name in MODULES:
        kind = importlib.import_module(f"{__name__}.{module_name}").KIND
        check_kind(kind)
        if kind.name in kinds:
            raise RuntimeError(f"two layer kinds are called {kind.name}")
        kinds[kind.name] = kind
    return kinds


KINDS: dict[str, LayerKind] = _load()
ALIASES: dict[str, str] = {alias: k.name for k in KINDS.values() for alias in k.aliases}
_BY_KERAS_CLASS: dict[str, LayerKind] = {cls: k for k in KINDS.values() for cls in k.imported_from()}


def get(name: str) -> LayerKind:
    """The kind called ``name`` (aliases accepted); SpecError naming the supported kinds if there is none."""
    kind = KINDS.get(ALIASES.get(name, name))
    if kind is None:
        raise SpecError(f"unknown layer type {name!r}; supported: {', '.join(KINDS)}")
    return kind


def for_keras_class(class_name: str) -> LayerKind:
    """The kind a Keras layer class is imported as; SpecError when the builder has none."""
    kind = _BY_KERAS_CLASS.get(class_name)
    if kind is None:
        raise SpecError(f"a {class_name} layer has no equivalent in the builder")
    return kind


def with_role(role: str) -> tuple[str, ...]:
    """Names of the kinds with inspection role ``role`` (e.g. "conv": Conv2D, DepthwiseConv2D, SeparableConv2D)."""
    if role not in ROLES:
        raise KeyError(role)
    return tuple(name for name, kind in KINDS.items() if kind.role == role)


__all__ = ["FAMILIES", "HOOKS", "KINDS", "MODULES", "ROLES", "FieldDef", "LayerKind", "LayerOutput", "SpecError",
           "check_kind", "for_keras_class", "get", "missing_hooks", "with_role"]
