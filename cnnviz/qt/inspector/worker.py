"""The inspector's background work: building the model, feature maps, saliency, ablation, dataset loading.

The jobs (:func:`_run`) run through cnnviz.qt.concurrency like all background work in the app; an
:class:`InspectionController` (a GUI-thread QObject kept by the panel) submits them and re-emits the results as
``finished(kind, result)`` or ``failed(kind, message)``, received by @Slot methods of the panel.

The earlier serving loop here said that TensorFlow across separate slot calls on one QThread crashes. That holds
when TensorFlow is first imported inside a slot call of that thread (as this worker's first job did): PySide6
gives every slot call a fresh Python thread state, TensorFlow keeps graph state in thread-locals, and tracing in
a later call hangs (6.11) or crashes (6.12); imported on another thread first, it works. SerialWorker runs every
job inside one ``QThread.run()`` call (see cnnviz.qt.concurrency), so no lane depends on where TensorFlow was
imported first.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal, Slot

from ..concurrency import IOPool, JobClient, SerialWorker


@dataclass(frozen=True)
class ModelRequest:
    model: object | None       # a keras.Model, or None for the default
    class_names: tuple | None
    source: str                # "given", "default" (lecture preset, untrained) or "shipped"


@dataclass(frozen=True)
class ModelReady:
    inspector: object
    untrained: bool
    description: str


@dataclass(frozen=True)
class ExplainOptions:
    """Settings of the "Why this prediction" methods (occlusion patch and stride, integrated-gradients steps) and
    of its deletion check (steps, the random order's seed)."""

    patch: int = 4
    stride: int = 2
    ig_steps: int = 32
    deletion_steps: int = 20
    seed: int = 0


@dataclass(frozen=True, eq=False)
class Explanation:
    """One explain job's answer: ``heat`` (H, W) as shown (saliency and Grad-CAM 0..1; occlusion and integrated
    gradients signed, ``signed`` True), ``attributions`` the method's own output (integrated gradients: HWC),
    ``deletion`` / ``random`` the deletion curves (cnnviz.core.explain.attribution.DeletionCurve) of the method's
    order and of a seeded random order, ``completeness_gap`` for integrated gradients (else None), ``gradcam_steps``
    Grad-CAM's stages (else None)."""

    inspector: object
    image: object
    method: str
    class_index: int
    layer: str | None
    heat: object
    signed: bool
    attributions: object
    deletion: object
    random: object
    options: ExplainOptions = field(default_factory=ExplainOptions)
    completeness_gap: float | None = None
    gradcam_steps: object | None = None   # Grad-CAM: its stages (cnnviz.core.explain.gradcam_steps.GradCamSteps)


_class_scores = weakref.WeakKeyDictionary()   # inspector -> its ClassScores (built once per model, worker thread)


def _scores_for(inspector):
    from cnnviz.core.explain.scores import ClassScores

    scores = _class_scores.get(inspector)
    if scores is None:
        scores = _class_scores[inspector] = ClassScores(inspector.model)
    return scores


def _explain(inspector, image, method: str, class_index: int, layer, options: ExplainOptions) -> Explanation:
    """Worker thread: the method's map, then the deletion curves of its order and of a random order."""
    from cnnviz.core.explain import attribution as attr

    from ..concurrency import current_token

    token = current_token()
    gap = steps = None
    signed = method in ("occlusion", "integrated-gradients")
    if method == "saliency":
        raw = heat = inspector.saliency(image, class_index)
    elif method == "gradcam":
        from cnnviz.core.explain.gradcam_steps import gradcam_steps

        raw = heat = inspector.grad_cam(image, class_index, layer)
        steps = gradcam_steps(inspector, image, class_index, layer)   # the same map, stage by stage
    elif method == "occlusion":
        raw = heat = attr.occlusion(_scores_for(inspector), image, class_index, patch=options.patch,
                                    stride=options.stride)
    elif method == "integrated-gradients":
        ig = attr.integrated_gradients(_scores_for(inspector), image, class_index, steps=options.ig_steps)
        raw, gap = ig.attributions, ig.completeness_gap
        heat = raw.sum(axis=-1)
    else:
        raise ValueError(f"unknown explanation method {method!r}")
    token.check()   # a newer image or model replaced this job: stop before the deletion check
    scores = _scores_for(inspector)
    deletion = attr.deletion_curve(scores, image, class_index, heat, steps=options.deletion_steps)
    random = attr.random_deletion_curve(scores, image, class_index, steps=options.deletion_steps, seed=options.seed)
    return Explanation(inspector, image, method, class_index, layer, heat, signed, raw, deletion, random, options,
                       gap, steps)


def _build_default(request: ModelRequest) -> ModelReady:
    from cnnviz.core.inspect.inspection import ModelInspector

    if request.source == "shipped":
        from cnnviz.core.model.pretrained import DIGIT_CLASSES

        from ..canvas.model_loader import shipped_model

        shipped = shipped_model()   # the app's one loader of the shipped model (shared with the Draw tab)
        extra = f", test accuracy {shipped.test_accuracy:.2%}" if shipped.test_accuracy is not None else ""
        return ModelReady(ModelInspector(shipped.model, DIGIT_CLASSES, copy=False), False,
                          f"shipped digit model ({shipped.model.name}{extra})")
    if request.model is None:
        from cnnviz.core.model.build import build_model
        from cnnviz.core.model.presets import get_preset

        model = build_model(get_preset("lecture"), seed=0)
        return ModelReady(ModelInspector(model, [str(d) for d in range(10)], copy=False), True,
                          "the lecture's MNIST CNN")
    return ModelReady(ModelInspector(request.model, request.class_names), False, str(request.model.name))


def _run(kind: str, payload):
    """Do one job (worker thread). ``payload`` is a tuple whose first item is the inspector, except for
    "model" (a ModelRequest) and "dataset" (a dataset name)."""
    if kind == "model":
        ready = _build_default(payload)
        ready.inspector.warm_up()
        return ready
    if kind == "dataset":
        from cnnviz.core.data.datasets import load_dataset

        return load_dataset(payload)
    inspector, *args = payload
    if kind == "maps":
        return inspector, inspector.feature_maps(args[0])
    if kind == "explain":
        return _explain(inspector, *args)
    if kind == "ablate":
        image, layer, channels = args
        return inspector, layer, tuple(channels), inspector.ablate(image, layer, channels)
    raise ValueError(f"unknown job {kind!r}")


class InspectionController(QObject):
    """The panel's door to the background lanes: ``submit(kind, payload)`` from the GUI thread, results as
    ``finished(kind, result)`` / ``failed(kind, message)`` in it.

    TensorFlow jobs go to ``worker`` (the app's interactive TensorFlow lane; a SerialWorker of its own when none
    is given), reading the MNIST sample ("dataset") to ``pool``. Jobs are keyed by kind: while one runs, a newer
    request of that kind replaces the waiting one and the running one's result is dropped (scrolling through
    images quickly never queues up a backlog, and only the newest answer is shown).
    """

    finished = Signal(str, object)
    failed = Signal(str, str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, worker: SerialWorker | None = None,
                 pool: IOPool | None = None) -> None:
        super().__init__(parent)
        self._own = worker is None
        self.worker = SerialWorker("inspector", self) if worker is None else worker
        self._tf = JobClient(self.worker, self)
        self._io = JobClient(pool, self) if pool is not None else self._tf
        self._explain = JobClient(self.worker, self)   # its own client: cancel("explain") stops only these
        for client in {self._tf, self._io, self._explain}:
            client.finished.connect(self._on_jobs_finished)
            client.failed.connect(self._on_jobs_failed)
            client.busy_changed.connect(self._on_jobs_busy_changed)
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._tf.busy() or self._io.busy() or self._explain.busy()

    def _client(self, kind: str) -> JobClient:
        return self._io if kind == "dataset" else (self._explain if kind == "explain" else self._tf)

    def submit(self, kind: str, payload) -> None:
        self._client(kind).submit(kind, _run, kind, payload)

    def cancel(self, kind: str) -> None:
        """Stop the job of this kind ("explain" only has a client of its own); its result is dropped."""
        if kind == "explain":
            self._explain.cancel_all()

    @Slot(str, object)
    def _on_jobs_finished(self, kind: str, result) -> None:
        self.finished.emit(kind, result)

    @Slot(str, str, str)
    def _on_jobs_failed(self, kind: str, message: str, details: str) -> None:
        detail = "\n".join(details.strip().splitlines()[-4:])
        self.failed.emit(kind, message if ":" in message else f"{message}\n{detail}")

    @Slot(bool)
    def _on_jobs_busy_changed(self, _busy: bool) -> None:
        if self.busy != self._busy:
            self._busy = self.busy
            self.busy_changed.emit(self._busy)

    def shutdown(self, msecs: int = 30000) -> bool:
        """Drop this panel's waiting jobs; stop the worker if it is the panel's own. True when stopped."""
        self._tf.cancel_all()
        self._io.cancel_all()
        self._explain.cancel_all()
        return self.worker.shutdown(msecs) if self._own else True
