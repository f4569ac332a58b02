"""What the explanations differentiate: a model's class scores before its final softmax/sigmoid, and the output
of any layer before its activation.

The gradient of a saturated probability vanishes, so attributions and activation maximization work on the
*pre-activation* value of the layer they look at: the layer is copied with ``activation="linear"`` and the same
weights (a Dense softmax head becomes a Dense of logits), and applied to the layer's own input.
"""
from __future__ import annotations

import numpy as np

from cnnviz.core.errors import UserError

NONLINEAR_HEADS = ("softmax", "sigmoid")


class ExplainError(UserError):
    """Something cannot be explained (no such layer, a unit out of range, a model of the wrong kind...)."""


def _keras():
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def layers_of(model) -> list:
    keras = _keras()
    return [ly for ly in model.layers if not isinstance(ly, keras.layers.InputLayer)]


def image_input_shape(model) -> tuple[int, int, int]:
    """(H, W, C) of a one-image-input model; ExplainError otherwise."""
    inputs = list(getattr(model, "inputs", None) or [])
    if len(inputs) != 1:
        raise ExplainError(f"the model has {len(inputs)} inputs; explanations need one image input")
    shape = tuple(inputs[0].shape[1:])
    if len(shape) != 3 or any(d is None for d in shape):
        raise ExplainError(f"the model's input is {tuple(inputs[0].shape)}; explanations need a fixed-size image "
                           "input (batch, height, width, channels)")
    return tuple(int(d) for d in shape)


def find_layer(model, name: str):
    for ly in layers_of(model):
        if ly.name == name:
            return ly
    raise ExplainError(f"the model has no layer called {name!r}; its layers: "
                       f"{', '.join(ly.name for ly in layers_of(model))}")


def activation_name(layer) -> str:
    act = layer.get_config().get("activation")
    if isinstance(act, dict):   # a serialised activation object
        act = act.get("config", {}).get("name", "linear")
    return str(act) if act else "linear"


def linear_copy(layer):
    """``layer`` without its activation (same class, config and weights), or ``layer`` itself when it has none."""
    if activation_name(layer) == "linear":
        return layer
    cfg = dict(layer.get_config())
    cfg["activation"] = "linear"
    cfg["name"] = f"{layer.name}_pre_activation"
    twin = type(layer).from_config(cfg)
    twin.build(tuple(layer.input.shape))
    twin.set_weights(layer.get_weights())
    twin.trainable = False
    return twin


def pre_activation_model(model, layer):
    """A keras function ``x -> layer's output before its activation`` (batch first)."""
    keras = _keras()
    twin = linear_copy(layer)
    x = model.inputs[0]   # one tensor, not a list: the sub-model is then called with a plain batch
    if twin is layer:
        return keras.Model(x, layer.output, name=f"to_{layer.name}")
    feed = layer.input
    inner = x if feed is x else keras.Model(x, feed)(x)
    return keras.Model(x, twin(inner), name=f"to_{layer.name}_pre_activation")


class ClassScores:
    """The model's class probabilities and its class scores before the final softmax/sigmoid.

    ``logits(x)`` is (batch, classes): a single sigmoid unit with logit z gives the two scores [-z, z] (class 1 is
    +z). ``probabilities(x)`` is (batch, classes) likewise ([1 - p, p] for one sigmoid unit). Both take a batch of
    HWC float32 images as a tf tensor or numpy array and return tf tensors.
    """

    def __init__(self, model) -> None:
        self.model = model
        self.input_shape = image_input_shape(model)
        outputs = list(getattr(model, "outputs", None) or [])
        if len(outputs) != 1 or len(outputs[0].shape) != 2:
            raise ExplainError("explanations need a classifier whose output is one vector of class scores per image")
        units = int(outputs[0].shape[-1])
        self.binary = units == 1
        self.num_classes = 2 if units == 1 else units
        last = layers_of(model)[-1]
        head = activation_name(last) in NONLINEAR_HEADS
        self._logit_model = pre_activation_model(model, last) if head else model

    def check_class(self, class_index: int) -> int:
        k = int(class_index)
        if not 0 <= k < self.num_classes:
            raise ExplainError(f"class {class_index} is out of range: the model has {self.num_classes} classes "
                               f"(0..{self.num_classes - 1})")
        return k

    def logits(self, x):
        z = self._logit_model(x, training=False)
        if self.binary:
            import tensorflow as tf

            return tf.concat([-z, z], axis=1)
        return z

    def probabilities(self, x):
        p = self.model(x, training=False)
        if self.binary:
            import tensorflow as tf

            return tf.concat([1.0 - p, p], axis=1)
        return p


def as_image(image, input_shape) -> np.ndarray:
    """An HWC float32 image of the model's input shape ((H, W) allowed for one channel); ExplainError otherwise."""
    x = np.asarray(image, dtype=np.float32)
    if x.ndim == 2:
        x = x[..., None]
    if tuple(x.shape) != tuple(input_shape):
        raise ExplainError(f"the image is {x.shape} but the model expects {tuple(input_shape)} (HWC)")
    if not np.all(np.isfinite(x)):
        raise ExplainError("the image holds NaN or infinite values")
    return x
