"""Importing a model someone else trained, and turning a Keras model back into a ModelSpec when it can be.

A model whose layers the builder supports gets a spec (editable in the builder); any other image classifier
still loads, read-only, for the inspector, the draw tab and export.
"""
from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnviz.core.model import layers as layer_registry
from cnnviz.core.model.spec import LayerSpec, ModelSpec, SpecError


class ModelFileError(ValueError):
    """A file that is not a usable model, with a message for the user."""


@dataclass
class ImportedModel:
    model: object                 # keras.Model
    spec: ModelSpec | None        # None: read-only (some layer is not supported by the builder)
    read_only_reason: str = ""
    path: Path | None = None


def layer_to_spec(layer) -> LayerSpec:
    """The LayerSpec for a Keras layer (its kind's ``from_keras`` hook on ``get_config()``); SpecError naming the
    layer when the builder has no equivalent or cannot hold one of its settings."""
    cls = type(layer).__name__
    try:
        kind = layer_registry.for_keras_class(cls)
    except SpecError:
        raise SpecError(f"layer {layer.name!r} is a {cls}, which the builder does not support") from None
    try:
        params = kind.from_keras(cls, layer.get_config())
        return LayerSpec.make(kind.name, layer.name, **params)
    except SpecError as exc:
        raise SpecError(f"layer {layer.name!r}: {exc}") from None


def spec_from_model(model) -> ModelSpec:
    """A ModelSpec reproducing a single-input, single-chain Keras image model; SpecError when impossible."""
    import keras

    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise SpecError("only models with one input and one output can be edited in the builder")
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) != 3 or any(d is None for d in shape):
        raise SpecError(f"the model's input {shape} is not a fixed-size image (height, width, channels)")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    spec = ModelSpec(tuple(int(d) for d in shape), [layer_to_spec(layer) for layer in layers],
                     name=model.name, description="imported model")
    from cnnviz.core.model.shapes import infer_shapes

    report = infer_shapes(spec)
    if report.problems:
        raise SpecError("; ".join(p.message for p in report.problems))
    if report.total_params != model.count_params():
        raise SpecError(f"the builder would give {report.total_params:,} parameters, the file has "
                        f"{model.count_params():,}: some layer setting is not represented")
    # The layers in order are only the model if it is one chain (no branches or merges): rebuild and compare.
    from cnnviz.core.model.build import build_model

    rebuilt = build_model(spec)
    try:
        rebuilt.set_weights(model.get_weights())
    except ValueError:
        raise SpecError("the model's weights do not fit the builder's version of it") from None
    x = np.random.default_rng(0).random((2,) + spec.input_shape, dtype=np.float32)
    if not np.allclose(np.asarray(rebuilt(x, training=False)), np.asarray(model(x, training=False)), atol=1e-5):
        raise SpecError("the model is not a single chain of layers (it branches or merges)")
    return spec


MAX_ARCHIVE_BYTES = 8 * 1024 ** 3   # what a .keras file may inflate to (VGG16: 0.5 GB); checked before inflating
MAX_CONFIG_BYTES = 64 * 1024 ** 2   # its config.json (a 1,000-layer model: ~1 MB)


def check_keras_archive(path: Path) -> None:
    """Refuse a ``.keras`` file that is not a Keras zip archive, or whose zip directory declares more than
    MAX_ARCHIVE_BYTES inflated (a bomb), a config.json over MAX_CONFIG_BYTES, or more than MAX_LAYERS layers;
    nothing is inflated but config.json (bounded). Checksums are checked by Keras as it reads."""
    from cnnviz.core.model.spec import MAX_LAYERS

    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            head = f.read(64)
        if head.startswith(b"PK"):
            raise ModelFileError(f"{path.name} is truncated or damaged (its zip directory is missing)")
        kind = "a text file" if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head) else "not a zip"
        raise ModelFileError(f"{path.name} is not a Keras model: a .keras file is a zip archive, this is {kind}")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            declared = sum(info.file_size for info in infos)
            if declared > MAX_ARCHIVE_BYTES:
                raise ModelFileError(f"{path.name} declares {declared:,} bytes inside its zip archive, more than "
                                     f"cnnviz loads ({MAX_ARCHIVE_BYTES:,} bytes); it is not a model cnnviz opens.")
            config = next((info for info in infos if info.filename == "config.json"), None)
            if config is None:
                raise ModelFileError(f"{path.name} is a zip archive but not a Keras model (no config.json inside)")
            if config.file_size > MAX_CONFIG_BYTES:
                raise ModelFileError(f"{path.name}: its config.json declares {config.file_size:,} bytes, more than a "
                                     f"model's configuration needs ({MAX_CONFIG_BYTES:,}).")
            with zf.open(config) as f:
                text = f.read(MAX_CONFIG_BYTES + 1)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError) as exc:
        raise ModelFileError(f"{path.name} is truncated or damaged ({exc})") from None
    try:
        layers = _count_layers(json.loads(text))
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path.name}: its config.json is not valid JSON ({str(exc)[:200]})") from None
    if layers > MAX_LAYERS:
        raise ModelFileError(f"{path.name} has {layers:,} layers; cnnviz opens models of at most {MAX_LAYERS:,} "
                             "layers.")


def _count_layers(config) -> int:
    """Layers of a serialised Keras model but its inputs (nested models counted with their layers), from its
    config.json."""
    inner = config.get("config") if isinstance(config, dict) else None
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list):
        return 0
    return sum((not isinstance(la, dict) or la.get("class_name") != "InputLayer") + _count_layers(la) for la in layers)


def load_model_file(path: str | os.PathLike) -> ImportedModel:
    """Load a ``.keras`` (or legacy ``.h5``) model with a specific message for each way a file can be wrong."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such file")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder; choose a .keras file (SavedModel folders are export-only)")
    if not path.is_file():
        raise ModelFileError(f"{path} is not a regular file (a pipe or a device); choose a .keras file")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path} is empty")
    suffix = path.suffix.lower()
    if suffix not in (".keras", ".h5"):
        raise ModelFileError(f"{path.name}: choose a Keras model file ending in .keras (or legacy .h5)")
    if suffix == ".keras":
        check_keras_archive(path)
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many kinds; the user gets the reason
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path.name} could not be loaded by Keras: {text[:300]}") from None
    if not isinstance(model, keras.Model) or len(getattr(model, "inputs", []) or []) != 1:
        raise ModelFileError(f"{path.name} is not a single-input image model")
    try:
        spec = spec_from_model(model)
        reason = ""
    except SpecError as exc:
        spec, reason = None, f"read-only in the builder: {exc}"
    return ImportedModel(model, spec, reason, path)
