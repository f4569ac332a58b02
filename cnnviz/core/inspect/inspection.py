"""Looking inside a trained model for one image: feature maps, kernels, the steps of a layer, saliency, ablation.

:class:`ModelInspector` wraps a Keras model (a private copy of its weights, so a training thread that keeps
updating the original never races the views). Every layer's output for one image comes from one compiled
forward pass of the activation model (``tf.function``; ~100x cheaper than ``model.predict``). Images are float32
HWC in 0..1; feature maps are returned per layer without the batch axis (HWC for spatial layers, (units,) for
dense ones). Keras and TensorFlow are imported lazily: build an inspector off the GUI thread.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from cnnviz.core.inspect.images import IMAGE_SUFFIXES, load_image_file, to_model_input  # noqa: F401 - re-exported
from cnnviz.core.inspect.layer_steps import StepRecipe, recipe_for
from cnnviz.core.inspect.stepper import Conv2DStepper, Pool2DStepper

CONV_KINDS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")
POOL_KINDS = {"MaxPooling2D": "max", "AveragePooling2D": "average"}


class InspectionError(ValueError):
    """Something cannot be inspected (an unreadable file, a layer without kernels...); the message says why."""


@dataclass(frozen=True)
class LayerInfo:
    """One layer as the views need it. ``input_index`` is the index (in :attr:`ModelInspector.layers`) of the
    layer whose output feeds it, -1 for the image. ``params``: kernel_size, strides, padding, activation,
    pool_size, filters, units, rate (those the layer has)."""

    index: int
    name: str
    kind: str
    output_shape: tuple[int, ...]
    input_index: int
    params: dict = field(default_factory=dict)

    @property
    def is_conv(self) -> bool:
        return self.kind in CONV_KINDS

    @property
    def is_pool(self) -> bool:
        return self.kind in POOL_KINDS

    @property
    def is_spatial(self) -> bool:
        return len(self.output_shape) == 3

    @property
    def channels(self) -> int:
        return int(self.output_shape[-1])


@dataclass(frozen=True, eq=False)
class FeatureMaps:
    """Every layer's output for one image: ``outputs[k]`` is layer k's (no batch axis, float32).
    ``probabilities``: (num_classes,) from the last layer (a single sigmoid unit becomes [1 - p, p])."""

    image: np.ndarray
    outputs: tuple[np.ndarray, ...]
    probabilities: np.ndarray

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


def _params(layer) -> dict:
    cfg = layer.get_config()
    keep = ("kernel_size", "strides", "padding", "activation", "pool_size", "filters", "units", "rate", "use_bias",
            "dilation_rate", "depth_multiplier", "groups", "data_format")
    out = {k: cfg[k] for k in keep if k in cfg}
    for k in ("kernel_size", "strides", "pool_size", "dilation_rate"):
        if out.get(k) is not None:
            out[k] = (int(out[k]),) * 2 if isinstance(out[k], (int, np.integer)) else tuple(int(v) for v in out[k])
    if out.get("strides") is None and "pool_size" in out:
        out["strides"] = out["pool_size"]
    if isinstance(out.get("activation"), dict):  # a serialised activation object
        out["activation"] = out["activation"].get("config", {}).get("name", "linear")
    return out


class ModelInspector:
    """Compiled views of ``model`` for single images (thread-safe: calls are serialised by a lock).

    ``copy`` (default True) clones the model with a copy of its current weights; later training of the
    original does not change what this inspector shows.
    """

    def __init__(self, model, class_names=None, *, copy: bool = True) -> None:
        from cnnviz.core.tf_runtime import import_tensorflow

        import_tensorflow()
        import keras
        import tensorflow as tf

        from cnnviz.core.model.build import activation_model

        if len(model.inputs) != 1:
            raise InspectionError(f"the model has {len(model.inputs)} inputs; the inspector needs one image input")
        if copy:
            clone = keras.models.clone_model(model)
            clone.set_weights(model.get_weights())
            model = clone
        self.model = model
        self._lock = threading.Lock()
        self._keras_layers = [ly for ly in model.layers if not isinstance(ly, keras.layers.InputLayer)]
        outputs = {id(ly.output): k for k, ly in enumerate(self._keras_layers)}
        model_input = model.inputs[0]
        self.layers: tuple[LayerInfo, ...] = tuple(
            LayerInfo(k, ly.name, type(ly).__name__, tuple(int(v) for v in ly.output.shape[1:]),
                      -1 if ly.input is model_input else outputs.get(id(ly.input), -2), _params(ly))
            for k, ly in enumerate(self._keras_layers))
        self.input_shape = tuple(int(v) for v in model_input.shape[1:])
        units = int(model.outputs[0].shape[-1])
        n = 2 if units == 1 else units
        self.class_names = tuple(str(c) for c in class_names) if class_names is not None else tuple(
            str(i) for i in range(n))
        if len(self.class_names) != n:
            self.class_names = tuple(str(i) for i in range(n))
        # Conv weights read once here (the worker thread): views on the GUI thread then never touch TensorFlow,
        # whose graph tracing on the worker is not safe to overlap with other TensorFlow calls. The step recipes
        # (core/inspect/layer_steps: Keras class -> how to step it, or why it cannot be) hold their own copy.
        self._recipes: dict[int, StepRecipe] = {}
        for info, ly in zip(self.layers, self._keras_layers):
            recipe = recipe_for(ly)
            if recipe is not None and recipe.supported and info.input_index == -2:
                recipe = recipe.refused("it takes several inputs, and the stepper slides one window over one input")
            if recipe is not None:
                self._recipes[info.index] = recipe
        self._conv_weights = {i.index: self._main_weights(i.index) for i in self.layers if i.is_conv}
        self.param_count = int(model.count_params())
        self._acts = activation_model(model)
        self._forward = tf.function(lambda x: self._acts(x, training=False), reduce_retracing=True)
        self._saliency_fn = tf.function(self._saliency_graph, reduce_retracing=True)
        self._gradcam_fns: dict[int, object] = {}
        self._ablation_fns: dict[int, object] = {}

    # ------------------------------------------------------------------------------------------- layers
    def layer(self, name_or_index: str | int) -> LayerInfo:
        if isinstance(name_or_index, (int, np.integer)):
            return self.layers[int(name_or_index)]
        for info in self.layers:
            if info.name == name_or_index:
                return info
        raise InspectionError(f"no layer called {name_or_index!r}; layers: {', '.join(i.name for i in self.layers)}")

    def conv_layers(self) -> list[LayerInfo]:
        return [i for i in self.layers if i.is_conv]

    def last_conv_layer(self) -> LayerInfo | None:
        convs = [i for i in self.layers if i.is_conv or (i.is_spatial and not i.is_pool)]
        return convs[-1] if convs else None

    def step_recipe(self, layer: str | int) -> StepRecipe | None:
        """How the stepper reproduces ``layer`` (or why it cannot: ``recipe.reason``); None for a layer that is
        no sliding window (Dense, Flatten...). See :mod:`cnnviz.core.inspect.layer_steps`."""
        return self._recipes.get(self.layer(layer).index)

    def steppable_layers(self) -> list[LayerInfo]:
        """The layers the Step by step tab lists: those it reproduces and those it explains it cannot."""
        return [i for i in self.layers if i.index in self._recipes]

    def stepper(self, maps: FeatureMaps, layer: str | int, channel: int = 0):
        """The stepper of any layer with a supported recipe, over its real input; InspectionError (with the
        reason) for a layer that cannot be reproduced exactly."""
        info = self.layer(layer)
        recipe = self._recipes.get(info.index)
        if recipe is None:
            raise InspectionError(f"layer {info.name} ({info.kind}) is not a sliding window: nothing to step")
        if not recipe.supported:
            raise InspectionError(recipe.message)
        return recipe.stepper(self.layer_input(maps, info.index), channel)

    def kernels(self, layer: str | int) -> dict[str, np.ndarray]:
        """All weights of a stepped layer by Keras name ('kernel', 'depthwise_kernel', 'pointwise_kernel',
        'bias'), read-only float32."""
        recipe = self.step_recipe(layer)
        if recipe is None or not recipe.weights:
            raise InspectionError(f"layer {self.layer(layer).name} has no kernels")
        return dict(recipe.weights)

    def _main_weights(self, index: int) -> tuple[np.ndarray, np.ndarray | None]:
        recipe = self._recipes.get(index)
        ws = recipe.weights if recipe is not None else {}
        kernel = ws.get("kernel", ws.get("depthwise_kernel"))
        if kernel is None:
            return self._read_weights(index)
        return kernel, ws.get("bias")

    def weights(self, layer: str | int) -> tuple[np.ndarray, np.ndarray | None]:
        """(kernel, bias) of a conv/Dense layer as float32 numpy; kernel (k_h, k_w, C_in, C_out) for Conv2D,
        (k_h, k_w, C_in, depth_multiplier) for DepthwiseConv2D, the depthwise kernel of a SeparableConv2D (its
        pointwise kernel: :meth:`kernels`). Conv layers' weights are cached (read-only arrays); others are read
        under the lock."""
        info = self.layer(layer)
        if info.index in self._conv_weights:
            return self._conv_weights[info.index]
        with self._lock:
            return self._read_weights(info.index)

    def _read_weights(self, index: int) -> tuple[np.ndarray, np.ndarray | None]:
        info = self.layers[index]
        ws = self._keras_layers[index].get_weights()
        if not ws:
            raise InspectionError(f"layer {info.name} ({info.kind}) has no weights")
        kernel = np.array(ws[0], np.float32)
        bias = np.array(ws[1], np.float32) if len(ws) > 1 else None
        for a in (kernel, bias):
            if a is not None:
                a.flags.writeable = False
        return kernel, bias

    def warm_up(self) -> None:
        """Trace the compiled forward pass now (a few hundred ms) so the first image is quick."""
        self.feature_maps(np.zeros(self.input_shape, np.float32))

    # ----------------------------------------------------------------------------------- forward pass
    def _batch(self, image: np.ndarray) -> np.ndarray:
        x = np.asarray(image, dtype=np.float32)
        if x.ndim == 2:
            x = x[..., None]
        if tuple(x.shape) != self.input_shape:
            raise InspectionError(f"the image is {x.shape} but the model expects {self.input_shape} (HWC); "
                                  "convert it with to_model_input()")
        return x[None]

    def feature_maps(self, image: np.ndarray) -> FeatureMaps:
        """Every layer's output for one HWC float32 image (one compiled call of the activation model)."""
        x = self._batch(image)
        with self._lock:
            outs = self._forward(x)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        # copies owned by numpy: nothing handed to other threads keeps a TensorFlow buffer alive
        arrays = tuple(np.array(o[0]) for o in outs)
        last = arrays[-1].astype(np.float64)
        probs = np.array([1.0 - last[0], last[0]]) if last.shape == (1,) else last
        return FeatureMaps(x[0], arrays, probs)

    def layer_input(self, maps: FeatureMaps, layer: str | int) -> np.ndarray:
        """The actual input of ``layer`` for the image of ``maps``: the previous layer's activation (HWC)."""
        info = self.layer(layer)
        if info.input_index == -2:
            raise InspectionError(f"layer {info.name} takes several inputs; it cannot be stepped through")
        return maps.image if info.input_index < 0 else maps.outputs[info.input_index]

    def conv_stepper(self, maps: FeatureMaps, layer: str | int, out_channel: int = 0) -> Conv2DStepper:
        """The stepper of a Conv2D / DepthwiseConv2D / SeparableConv2D over the layer's real input, weights,
        stride, dilation, padding and activation (see :meth:`stepper`)."""
        info = self.layer(layer)
        if not info.is_conv:
            raise InspectionError(f"layer {info.name} is a {info.kind}, not a Conv2D")
        return self.stepper(maps, info.index, out_channel)

    def pool_stepper(self, maps: FeatureMaps, layer: str | int, channel: int = 0) -> Pool2DStepper:
        info = self.layer(layer)
        if not info.is_pool:
            raise InspectionError(f"layer {info.name} is a {info.kind}, not a pooling layer")
        return self.stepper(maps, info.index, channel)

    # -------------------------------------------------------------------------------- why this prediction
    def _class_score(self, outs, class_index):
        """The class score before the final softmax/sigmoid (gradients of a saturated probability vanish)."""
        import tensorflow as tf

        last, ly = self.layers[-1], self._keras_layers[-1]
        logits = outs[-1]
        if last.kind == "Dense" and last.params.get("activation") in ("softmax", "sigmoid") and last.input_index >= 0:
            logits = tf.matmul(outs[last.input_index], ly.kernel)
            if ly.bias is not None:
                logits = logits + ly.bias
        if logits.shape[-1] == 1:  # binary: class 1 is +logit, class 0 is -logit
            return tf.where(class_index == 1, logits[:, 0], -logits[:, 0])
        return tf.gather(logits, class_index, axis=1)

    def _saliency_graph(self, x, class_index):
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            score = self._class_score(self._acts(x, training=False), class_index)
        return tape.gradient(score, x)

    def saliency(self, image: np.ndarray, class_index: int) -> np.ndarray:
        """Vanilla gradient saliency (Simonyan et al. 2014): max over channels of |d score_c / d pixel|,
        scaled to 0..1. Returns (H, W) float32."""
        import tensorflow as tf

        x = tf.constant(self._batch(image))
        with self._lock:
            grad = np.array(self._saliency_fn(x, tf.constant(int(class_index)))[0])
        sal = np.abs(grad).max(axis=-1)
        top = float(sal.max())
        return (sal / top if top > 0 else sal).astype(np.float32)

    def grad_cam(self, image: np.ndarray, class_index: int, layer: str | int | None = None) -> np.ndarray:
        """Grad-CAM (Selvaraju et al. 2017) on ``layer`` (default: the last conv layer): ReLU of the
        channel-weighted feature map, upsampled to the input size, scaled to 0..1. Returns (H, W) float32."""
        import tensorflow as tf

        info = self.last_conv_layer() if layer is None else self.layer(layer)
        if info is None or not info.is_spatial:
            raise InspectionError("Grad-CAM needs a convolution layer with a spatial (H, W, C) output")
        fn = self._gradcam_fns.get(info.index)
        if fn is None:
            k = info.index

            def graph(x, class_index):
                with tf.GradientTape() as tape:
                    outs = self._acts(x, training=False)
                    score = self._class_score(outs, class_index)
                grads = tape.gradient(score, outs[k])
                weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
                cam = tf.nn.relu(tf.reduce_sum(weights * outs[k], axis=-1, keepdims=True))
                return tf.image.resize(cam, self.input_shape[:2], method="bilinear")[0, ..., 0]

            fn = self._gradcam_fns[k] = tf.function(graph, reduce_retracing=True)
        with self._lock:
            cam = np.array(fn(tf.constant(self._batch(image)), tf.constant(int(class_index))))
        top = float(cam.max())
        return (cam / top if top > 0 else cam).astype(np.float32)

    # ---------------------------------------------------------------------------------------- ablation
    def ablate(self, image: np.ndarray, layer: str | int, channels=()) -> np.ndarray:
        """Class probabilities with the given output channels (filters) of ``layer`` switched off: their
        activations are set to zero for every later layer. With no channel off this is the plain prediction."""
        import tensorflow as tf

        info = self.layer(layer)
        if any(i.input_index == -2 for i in self.layers):
            raise InspectionError("ablation needs a model whose layers each take one input")
        mask = np.ones(info.channels, np.float32)
        for c in channels:
            if not 0 <= int(c) < info.channels:
                raise InspectionError(f"layer {info.name} has {info.channels} channels; got channel {c}")
            mask[int(c)] = 0.0
        fn = self._ablation_fns.get(info.index)
        if fn is None:
            k = info.index

            def graph(x, mask):
                outs: dict[int, object] = {}
                for li, ly in zip(self.layers, self._keras_layers):
                    h = ly(x if li.input_index < 0 else outs[li.input_index], training=False)
                    outs[li.index] = h * mask if li.index == k else h
                return outs[len(self.layers) - 1]

            fn = self._ablation_fns[k] = tf.function(graph, reduce_retracing=True)
        with self._lock:
            out = np.array(fn(tf.constant(self._batch(image)), tf.constant(mask))[0], dtype=np.float64)
        return np.array([1.0 - out[0], out[0]]) if out.shape == (1,) else out
