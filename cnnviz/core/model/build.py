"""ModelSpec -> keras.Model, and the sub-model that returns every layer's activations.

Each layer is built by its kind (cnnviz/core/model/layers/, the ``build`` hook).

Keras is imported inside the functions: importing cnnviz.core stays instant (the GUI imports TensorFlow in the
background).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from cnnviz.core.model.shapes import infer_shapes
from cnnviz.core.model.spec import ModelSpec, SpecError

if TYPE_CHECKING:  # pragma: no cover
    import keras


def build_model(spec: ModelSpec, *, check: bool = True, seed: int | None = None,
                precision: str = "float32") -> "keras.Model":
    """A functional keras.Model for ``spec`` (input ``(None, H, W, C)``), layers named as in the spec.

    With ``check`` (default) the spec is validated first and SpecError lists every problem; pass
    ``check=False`` to let Keras itself judge (used by the tests that compare both). ``seed`` makes the initial
    weights reproducible (same seed, same weights, same training curves). ``precision``: a Keras dtype policy
    (float32, mixed_bfloat16, mixed_float16) for every layer but the last, which computes in float32 (see
    cnnviz.core.train.precision); the weights are float32 either way.
    """
    if check:
        report = infer_shapes(spec)
        if report.problems:
            raise SpecError("; ".join(p.message for p in report.problems))
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()  # under its lock: two threads importing TensorFlow at once can break its import
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=tuple(spec.input_shape), name="input")
    x = inputs
    last = len(spec.layers) - 1
    for i, layer in enumerate(spec.layers):
        keras_layer = layer.layer_kind.build(layer.params, layer.name)
        if precision != "float32":   # set before the layer is called, so it is built with this policy
            keras_layer.dtype_policy = "float32" if i == last else precision
        x = keras_layer(x)
    return keras.Model(inputs, x, name=_keras_model_name(spec.name))


def _keras_model_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name).strip("_")
    return cleaned or "model"


def activation_model(model: "keras.Model") -> "keras.Model":
    """A model with the same input returning the output of every layer after the input, in order.

    Built from ``model.inputs`` and ``layer.output`` (``model.input`` fails on Keras 3 Sequential models that
    were only built).
    """
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # a bare tensor: no structure warning
    return keras.Model(inputs, [layer.output for layer in layers], name=f"{model.name}_activations")
