"""Where the network puts the test images: the penultimate layer's activations of a fixed set of test images,
projected to 2D, once per epoch ("watch it learn").

The features are the output of the layer just before the model's output layer (a sub-model ``input -> that
layer``, built once per model as :mod:`cnnviz.core.explain.scores` builds its sub-models), flattened to one vector
per image. PCA takes the centred features' top singular vectors (numpy, no scikit-learn); each component's sign is fixed (aligned with the previous
epoch's component when there is one, else its largest loading is positive) so that the cloud does not mirror
from one epoch to the next for no reason. t-SNE and UMAP run only when scikit-learn / umap-learn are installed
(optional; :func:`available_methods` says which). Qt-free; the recorder runs on the training thread.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from cnnviz.core.explain.scores import ExplainError, _keras, image_input_shape, layers_of

METHODS = ("pca", "tsne", "umap")
METHOD_LABELS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
_PACKAGES = {"tsne": ("sklearn", "scikit-learn"), "umap": ("umap", "umap-learn")}


@dataclass(frozen=True)
class PcaResult:
    """``points`` (n, k) float64, ``components`` (k, d) unit rows, ``mean`` (d,), ``explained_variance`` (k,)
    (the variance along each component) and ``explained_ratio`` (k,) (its share of the total variance)."""

    points: np.ndarray
    components: np.ndarray
    mean: np.ndarray
    explained_variance: np.ndarray
    explained_ratio: np.ndarray


def pca(features, k: int = 2, previous: np.ndarray | None = None) -> PcaResult:
    """PCA of ``features`` (n, d) to ``k`` dimensions: the top right singular vectors of the centred data, from
    the eigendecomposition of its Gram matrix.

    Signs: with ``previous`` (a (k, d) array of components, e.g. last epoch's) each component points the way
    its predecessor did (positive dot product); otherwise its largest-magnitude loading is positive. Fewer than
    ``k`` informative directions (n < k + 1 or constant features) give zero columns, not an error.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2:
        raise ExplainError(f"PCA needs one feature vector per row (n, d); got shape {x.shape}")
    n, d = x.shape
    if n < 2:
        raise ExplainError(f"PCA needs at least 2 images; got {n}")
    if not np.all(np.isfinite(x)):
        raise ExplainError("the activations hold NaN or infinite values (has training diverged?)")
    mean = x.mean(axis=0)
    xc = x - mean
    # The eigendecomposition of the smaller Gram matrix (d x d, or n x n for n < d) gives the right singular
    # vectors of xc: ten times faster than an SVD of xc itself for 300 images x 1024 features.
    if d <= n:
        w, v = np.linalg.eigh(xc.T @ xc)
        order = np.argsort(w)[::-1][:k]
        top = np.clip(w[order], 0.0, None)
        vt = v[:, order].T
    else:
        w, u = np.linalg.eigh(xc @ xc.T)
        order = np.argsort(w)[::-1][:k]
        top = np.clip(w[order], 0.0, None)
        vt = (xc.T @ u[:, order]).T
        norms = np.linalg.norm(vt, axis=1, keepdims=True)
        vt = np.divide(vt, norms, out=np.zeros_like(vt), where=norms > 0)
    total_ss = float((xc ** 2).sum())
    keep = top > 1e-12 * max(total_ss, 1e-300)
    m = int(keep.sum())
    comps = np.zeros((k, d))
    comps[:m] = vt[:m]
    var = np.zeros(k)
    var[:m] = top[:m] / (n - 1)
    for i in range(m):
        ref = None
        if previous is not None and np.shape(previous) == (k, d):
            ref = float(np.dot(comps[i], previous[i]))
        if ref is None or ref == 0.0:
            ref = float(comps[i, int(np.argmax(np.abs(comps[i])))])
        if ref < 0:
            comps[i] = -comps[i]
    total = total_ss / (n - 1)
    ratio = var / total if total > 0 else np.zeros(k)
    return PcaResult(xc @ comps.T, comps, mean, var, ratio)


def available_methods() -> dict[str, str]:
    """``{method: ""}`` for a usable method, ``{method: why not}`` otherwise (PCA is always usable)."""
    import importlib.util

    out = {"pca": ""}
    for method, (module, package) in _PACKAGES.items():
        found = importlib.util.find_spec(module) is not None
        out[method] = "" if found else (f"{METHOD_LABELS[method]} needs the optional package {package} "
                                        f"(pip install {package}); PCA works without it")
    return out


def embed_2d(features, method: str = "pca", *, seed: int = 0, previous: np.ndarray | None = None):
    """2D points (n, 2) of ``features`` by ``method`` and, for PCA, its :class:`PcaResult` (else None)."""
    if method not in METHODS:
        raise ExplainError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    why = available_methods()[method]
    if why:
        raise ExplainError(why)
    x = np.asarray(features, dtype=np.float64)
    if method == "pca":
        res = pca(x, 2, previous)
        return res.points, res
    if len(x) < 5:
        raise ExplainError(f"{METHOD_LABELS[method]} needs at least 5 images; got {len(x)}")
    if method == "tsne":
        from sklearn.manifold import TSNE

        pts = TSNE(n_components=2, perplexity=min(30.0, (len(x) - 1) / 3), random_state=seed,
                   init="pca").fit_transform(x)
    else:
        import umap

        pts = umap.UMAP(n_components=2, random_state=seed).fit_transform(x)
    return np.asarray(pts, dtype=np.float64), None


def penultimate_layer(model):
    """The layer whose output feeds the model's output layer (ExplainError for a one-layer model)."""
    layers = layers_of(model)
    if len(layers) < 2:
        raise ExplainError("the model has a single layer: there is no layer before the output to project")
    return layers[-2]


def feature_model(model, layer=None):
    """A keras Model ``input -> layer's output`` (default: the penultimate layer)."""
    keras = _keras()
    layer = penultimate_layer(model) if layer is None else layer
    return keras.Model(model.inputs[0], layer.output, name=f"to_{layer.name}_features")


def compiled(sub):
    """``sub`` as one compiled function (``training=False``): a third of an eager call's time on the CPU."""
    import tensorflow as tf

    return tf.function(lambda x: sub(x, training=False), reduce_retracing=True)


def features_of(sub, images, batch_size: int = 512) -> np.ndarray:
    """``sub``'s output for ``images`` (float32 NHWC), flattened to (n, d) float32, in batches. ``sub``: a
    keras Model or a callable of one batch (e.g. :func:`compiled`)."""
    parts = []
    call = sub if not hasattr(sub, "layers") else (lambda x: sub(x, training=False))
    for i in range(0, len(images), batch_size):
        out = call(images[i:i + batch_size])
        parts.append(np.asarray(out, dtype=np.float32).reshape(len(images[i:i + batch_size]), -1))
    return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


@dataclass(frozen=True)
class Projection:
    """The projection after ``epoch`` completed epochs: ``points`` float32 (n, 2), ``labels`` int64 (n,),
    ``indices`` (n,) (which test images), ``explained`` (2,) share of the variance per axis (PCA; NaN
    otherwise), ``layer_name`` and ``method``."""

    epoch: int
    points: np.ndarray
    labels: np.ndarray
    indices: np.ndarray
    explained: np.ndarray
    layer_name: str
    method: str = "pca"


def _float_images(images) -> np.ndarray:
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ExplainError(f"the projection needs a batch of images (N, H, W, C); got shape {x.shape}")
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255.0)
    return np.asarray(x, dtype=np.float32)


class ProjectionRecorder:
    """The PCA projection of fixed test images, per epoch; :meth:`record` is a session ``on_epoch_end`` hook.

    ``images``: (N, H, W[, C]) uint8 0..255 or float 0..1; ``labels`` (N,); ``indices`` (N,) their numbers in
    the test set (default 0..N-1). Readers on other threads get immutable :class:`Projection` objects.
    """

    def __init__(self, images, labels, indices=None) -> None:
        self.images = _float_images(images)
        self.images.flags.writeable = False
        self.labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        if len(self.labels) != len(self.images):
            raise ExplainError(f"{len(self.images)} images but {len(self.labels)} labels")
        if len(self.images) < 3:
            raise ExplainError(f"the projection needs at least 3 test images; got {len(self.images)}")
        self.indices = (np.arange(len(self.images)) if indices is None
                        else np.asarray(indices, dtype=np.int64).reshape(-1))
        self._lock = threading.Lock()
        self._items: list[Projection] = []
        self._probe = None   # (model, layer, sub-model)
        self._components: np.ndarray | None = None
        self.seconds: list[float] = []   # time each record took (the benchmark reads it)

    @property
    def projections(self) -> tuple[Projection, ...]:
        with self._lock:
            return tuple(self._items)

    @property
    def latest(self) -> Projection | None:
        with self._lock:
            return self._items[-1] if self._items else None

    def features(self, model) -> np.ndarray:
        """The penultimate layer's activations of the images, (N, d) float32."""
        _, _, sub = self._probe_for(model)
        return features_of(sub, self.images)

    def record(self, epoch: int, model) -> Projection:
        """The ``on_epoch_end`` hook: ``epoch`` is Keras's 0-based index of the epoch that just ended."""
        return self.take(epoch + 1, model)

    def take(self, epochs_done: int, model) -> Projection:
        import time

        t0 = time.perf_counter()
        _, layer, _ = self._probe_for(model)
        res = pca(self.features(model), 2, self._components)
        self._components = res.components
        pts = res.points.astype(np.float32)
        pts.flags.writeable = False
        item = Projection(int(epochs_done), pts, self.labels, self.indices, res.explained_ratio.copy(), layer.name)
        with self._lock:
            self._items = [p for p in self._items if p.epoch != item.epoch] + [item]
            self._items.sort(key=lambda p: p.epoch)
        self.seconds.append(time.perf_counter() - t0)
        return item

    def _probe_for(self, model):
        if self._probe is not None and self._probe[0] is model:
            return self._probe
        shape = image_input_shape(model)
        if tuple(self.images.shape[1:]) != shape:
            raise ExplainError(f"the test images are {self.images.shape[1:]} but the model expects {shape}")
        layer = penultimate_layer(model)
        self._probe = (model, layer, compiled(feature_model(model, layer)))
        self._components = None
        return self._probe
