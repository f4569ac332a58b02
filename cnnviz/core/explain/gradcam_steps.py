"""Grad-CAM (Selvaraju et al. 2017) explained step by step, for one image and one class.

The stages, as :class:`GradCamSteps` holds them:

1. ``activations`` A, (h, w, k): the chosen conv layer's output (default: the last conv layer);
2. ``gradients`` dy/dA, (h, w, k): how the class score y (before the final softmax/sigmoid) changes with each
   activation, by ``tf.GradientTape``;
3. ``alpha`` (k,): each channel's weight, the mean of its gradients over the h x w positions;
4. ``weighted`` (h, w): sum_k alpha_k A_k, signed;
5. ``relu`` (h, w): max(0, weighted): only the evidence *for* the class is kept;
6. ``upsampled`` (H, W): the ReLU map resized (bilinear) to the input size; ``heat`` is that map divided by its
   maximum, exactly what :meth:`cnnviz.core.inspect.inspection.ModelInspector.grad_cam` returns.

The class score is the inspector's own (its pre-softmax logits), so every stage belongs to the same Grad-CAM that
the Inspector and the CLI show. Qt-free; call it off the GUI thread.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.core.explain.scores import ExplainError

STAGES = ("activations", "gradients", "alpha", "weighted", "relu", "upsampled")
CAPTIONS = {
    "activations": "1. A: the layer's feature maps (the channel with the largest weight shown)",
    "gradients": "2. ∂y/∂A: how the class score moves with each activation (same channel)",
    "alpha": "3. α_k = mean of ∂y/∂A_k over the map: one weight per channel",
    "weighted": "4. Σ_k α_k·A_k: the maps added with their weights (red +, blue −)",
    "relu": "5. ReLU: negative evidence cut off, only what speaks for the class stays",
    "upsampled": "6. enlarged (bilinear) to the input size and scaled to 0..1: the Grad-CAM map",
}


@dataclass(frozen=True, eq=False)
class GradCamSteps:
    """Every stage of one Grad-CAM computation (see the module's docstring); float32 numpy arrays."""

    layer: str
    class_index: int
    score: float            # the class score y (before softmax)
    activations: np.ndarray  # (h, w, k)
    gradients: np.ndarray    # (h, w, k)
    alpha: np.ndarray        # (k,)
    weighted: np.ndarray     # (h, w)
    relu: np.ndarray         # (h, w)
    upsampled: np.ndarray    # (H, W), before scaling

    @property
    def heat(self) -> np.ndarray:
        """The final map scaled to 0..1 (the inspector's grad_cam)."""
        top = float(self.upsampled.max())
        return (self.upsampled / top if top > 0 else self.upsampled).astype(np.float32)

    def top_channels(self, n: int = 5) -> list[tuple[int, float]]:
        """The ``n`` channels of largest weight alpha_k, as (channel, alpha), largest first."""
        order = np.argsort(-self.alpha, kind="stable")[:max(0, int(n))]
        return [(int(c), float(self.alpha[c])) for c in order]


def _inspector(model_or_inspector):
    from cnnviz.core.inspect.inspection import ModelInspector

    if isinstance(model_or_inspector, ModelInspector):
        return model_or_inspector
    return ModelInspector(model_or_inspector, copy=False)


def gradcam_steps(model_or_inspector, image: np.ndarray, class_index: int,
                  layer: str | int | None = None) -> GradCamSteps:
    """Grad-CAM's stages on ``layer`` (name or index; default the last conv layer) for class ``class_index`` of
    one HWC image. ``model_or_inspector``: a ModelInspector (its layers and class score are used) or a keras
    model (inspected without a copy)."""
    import tensorflow as tf

    ins = _inspector(model_or_inspector)
    n = len(ins.class_names)
    k = int(class_index)
    if not 0 <= k < n:
        raise ExplainError(f"class {class_index} is out of range: the model has {n} classes (0..{n - 1})")
    info = ins.last_conv_layer() if layer is None else ins.layer(layer)
    if info is None or not info.is_spatial:
        raise ExplainError("Grad-CAM needs a convolution layer with a spatial (H, W, C) output")
    x = tf.constant(ins._batch(image))
    with ins._lock:
        with tf.GradientTape() as tape:
            outs = ins._acts(x, training=False)
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            a = outs[info.index]
            score = ins._class_score(outs, tf.constant(k))
        grads = tape.gradient(score, a)
    acts = np.array(a[0], np.float32)
    grad = np.zeros_like(acts) if grads is None else np.array(grads[0], np.float32)
    alpha = grad.mean(axis=(0, 1)).astype(np.float32)
    weighted = np.tensordot(acts, alpha, axes=([2], [0])).astype(np.float32)
    relu = np.maximum(weighted, 0.0).astype(np.float32)
    up = tf.image.resize(relu[None, :, :, None], ins.input_shape[:2], method="bilinear")
    upsampled = np.array(up[0, :, :, 0], np.float32)
    return GradCamSteps(info.name, k, float(np.asarray(score)[0]), acts, grad, alpha, weighted, relu, upsampled)
