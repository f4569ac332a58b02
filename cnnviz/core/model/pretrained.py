"""The digit model shipped with cnnviz (resources/models/mnist_fast.keras), so drawing works on first launch.

How it was made is in resources/models/README.md; ``resources/models/train_pretrained.py`` reproduces it.
Keras is imported lazily (through :func:`cnnviz.core.tf_runtime.import_tensorflow`), so importing this module
is instant; call :func:`load_shipped_model` off the GUI thread.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from cnnviz.resources import resource_path

SHIPPED_MODEL = ("models", "mnist_fast.keras")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
DIGIT_INPUT_SHAPE = (28, 28, 1)
REPRODUCE = "python resources/models/train_pretrained.py --mnist path/to/mnist.npz"


class PretrainedModelError(RuntimeError):
    """The shipped model is missing or cannot be read; the message says what to do."""


def shipped_model_path() -> Path:
    """Path of ``mnist_fast.keras``; PretrainedModelError when the installation lacks it."""
    try:
        return resource_path(*SHIPPED_MODEL)
    except FileNotFoundError as exc:
        raise PretrainedModelError(
            f"The shipped digit model ({'/'.join(SHIPPED_MODEL)}) is missing from this installation. "
            f"Reinstall cnnviz, or re-create it with: {REPRODUCE}") from exc


def shipped_model_info() -> dict:
    """The metrics written next to the model (``mnist_fast.json``: test_accuracy, epochs, ...); {} if absent."""
    try:
        path = shipped_model_path().with_suffix(".json")
        return json.loads(path.read_text(encoding="utf-8"))
    except (PretrainedModelError, OSError, ValueError):
        return {}


def load_shipped_model(path: str | os.PathLike | None = None):
    """Load the shipped digit model (or the ``.keras`` file at ``path``) as a keras.Model, without its optimizer.

    Imports TensorFlow on first use (seconds). Raises PretrainedModelError for a missing, empty or corrupt file.
    """
    path = shipped_model_path() if path is None else Path(path)
    if not path.is_file():
        raise PretrainedModelError(f"The digit model {path} does not exist. Re-create it with: {REPRODUCE}")
    if path.stat().st_size == 0:
        raise PretrainedModelError(f"The digit model {path} is empty (0 bytes). Re-create it with: {REPRODUCE}")
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a damaged archive
        raise PretrainedModelError(
            f"The digit model {path} could not be read ({type(exc).__name__}: {exc}); the file is probably "
            f"corrupt or truncated. Re-create it with: {REPRODUCE}") from exc
    problem = digit_model_problem(model, DIGIT_CLASSES)
    if problem:
        raise PretrainedModelError(f"{path} is not a digit model: {problem}")
    return model


def _shape_text(shape) -> str:
    return "×".join("?" if v is None else str(v) for v in shape)


def digit_model_problem(model, class_names) -> str | None:
    """Why ``model`` cannot read handwritten digits (None when it can).

    A digit model takes 28x28x1 images (NHWC) and has ten outputs whose classes are 0..9 (``class_names`` None
    means "numbered 0..N-1").
    """
    try:
        in_shape = tuple(model.inputs[0].shape[1:])
        units = int(model.outputs[0].shape[-1])
    except (AttributeError, IndexError, TypeError, ValueError):
        return "it has no single image input and output that can be inspected"
    if len(model.inputs) != 1:
        return f"it has {len(model.inputs)} inputs; a digit model has one"
    if in_shape != DIGIT_INPUT_SHAPE:
        return f"its input is {_shape_text(in_shape)}, a digit model's is 28×28×1 (grayscale MNIST size)"
    if units != 10:
        return f"it has {units} output{'s' if units != 1 else ''}, a digit model has ten (0–9)"
    if class_names is not None:
        names = tuple(str(c).strip() for c in class_names)
        if names != DIGIT_CLASSES:
            shown = ", ".join(names[:4]) + (", …" if len(names) > 4 else "")
            return f"its classes are {shown}, not the digits 0–9"
    return None
