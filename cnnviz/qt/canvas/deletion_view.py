"""A box under the Draw tab's fragility boxes: "Does the heat map point at what the model uses?", the deletion
check of the Inspector's "Why this prediction" on the drawing.

Whenever the drawing, the model or the method changes, a job on the app's TensorFlow lane (one key, newest wins)
computes the attribution of the predicted class (saliency, integrated gradients or occlusion: cnnviz.core.explain
.attribution; Grad-CAM: cnnviz.core.inspect.inspection.ModelInspector.grad_cam; the same functions the Inspector
uses), then the deletion curve of its order and of a seeded random
order; the two curves are drawn with the Inspector's plot (cnnviz.qt.inspector.deletion_plot) and the areas under
them compared. Nothing here runs TensorFlow on the GUI thread.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cnnviz.core.explain.heatmap import heat_rgb

from ..concurrency import JobClient
from ..inspector.colors import rgb_to_qimage
from ..inspector.deletion_plot import DELETION_TIP, DeletionPlot
from .prediction_view import MUTED

STEPS = 20        # the pixels are erased in this many equal parts
SEED = 0          # the random order's seed
IG_STEPS = 32
THUMB = 84
ERROR = "#c62828"
METHODS = (("saliency", "Saliency"), ("integrated-gradients", "Integrated gradients"), ("occlusion", "Occlusion"),
           ("gradcam", "Grad-CAM"))
UNSIGNED = ("saliency", "gradcam")   # maps of 0..max; the others are signed (for / against the class)
NAMES = dict(METHODS)


@dataclass(frozen=True, eq=False)
class DrawingDeletion:
    """One answer: the attribution ``heat`` (H, W) of ``class_index`` on ``image`` by ``method`` and the two
    DeletionCurve (``deletion``: the attribution's order, ``random``: seeded random order)."""

    model: object
    image: np.ndarray
    method: str
    class_index: int
    heat: np.ndarray
    deletion: object
    random: object


def _deletion_job(model, scores_cache: dict, image: np.ndarray, method: str) -> DrawingDeletion:
    """Worker thread: the attribution of the predicted class, then both deletion curves."""
    from cnnviz.core.explain import attribution as attr
    from cnnviz.core.explain.scores import ClassScores

    from ..concurrency import current_token

    if scores_cache.get("model") is not model:   # one model's scores (and Grad-CAM inspector) at a time
        scores_cache.clear()
        scores_cache.update(model=model, scores=ClassScores(model))
    scores = scores_cache["scores"]
    k = int(np.argmax(np.asarray(scores.probabilities(image[None]))[0]))
    if method == "saliency":
        heat = np.abs(attr.gradient(scores, image, k)).max(axis=-1)
    elif method == "integrated-gradients":
        heat = attr.integrated_gradients(scores, image, k, steps=IG_STEPS).attributions.sum(axis=-1)
    elif method == "occlusion":
        heat = attr.occlusion(scores, image, k)
    elif method == "gradcam":
        if "inspector" not in scores_cache:
            from cnnviz.core.inspect.inspection import ModelInspector

            scores_cache["inspector"] = ModelInspector(model, copy=False)
        heat = scores_cache["inspector"].grad_cam(image, k)
    else:
        raise ValueError(f"unknown attribution method {method!r}")
    current_token().check()   # a newer drawing replaced this one: stop before the deletion curves
    deletion = attr.deletion_curve(scores, image, k, heat, steps=STEPS)
    random = attr.random_deletion_curve(scores, image, k, steps=STEPS, seed=SEED)
    return DrawingDeletion(model, image, method, k, np.asarray(heat, np.float32), deletion, random)


class DeletionView(QWidget):
    """Call :meth:`set_drawing` with the drawing's model input (or None) and the model in use after every live
    prediction. ``result`` is the DrawingDeletion shown (None while none is); ``checked`` is emitted when one is."""

    checked = Signal()

    def __init__(self, worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._jobs = JobClient(worker, self)
        self._jobs.finished.connect(self._on_job_finished)
        self._jobs.failed.connect(self._on_job_failed)
        self._scores_cache: dict = {}
        self._image: np.ndarray | None = None
        self._ready = None
        self.result: DrawingDeletion | None = None
        self._build()
        self._show()

    def _build(self) -> None:
        self.method = QComboBox()
        for data, name in METHODS:
            self.method.addItem(name, data)
        self.method.setToolTip("How the pixels are ranked (the Inspector's \"Why this prediction\" explains each)")
        self.method.currentIndexChanged.connect(self._on_method_changed)
        self.heat_image = QLabel()
        self.heat_image.setFixedSize(THUMB, THUMB)
        self.heat_image.setStyleSheet("border: 1px solid #ccc;")
        self.heat_image.setToolTip("The heat map of the predicted class: its brightest pixels are erased first")
        self.plot = DeletionPlot("Erasing the top pixels first")
        self.plot.setFixedSize(320, 175)
        legend = self.plot.getPlotItem().legend
        if legend is not None:   # small here: the text beside the plot names the curves
            legend.hide()
        self.auc = QLabel()
        self.auc.setToolTip(DELETION_TIP)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setToolTip(DELETION_TIP)
        top = QHBoxLayout()
        top.addWidget(QLabel("rank pixels by"))
        top.addWidget(self.method)
        top.addStretch(1)
        side = QVBoxLayout()
        side.addLayout(top)
        thumb = QHBoxLayout()
        thumb.addWidget(self.heat_image, 0, Qt.AlignmentFlag.AlignTop)
        thumb.addWidget(self.auc, 1)
        side.addLayout(thumb)
        side.addWidget(self.verdict)
        side.addStretch(1)
        box = QGroupBox("Does the heat map point at what the model uses? (deletion check)")
        row = QHBoxLayout()
        row.addWidget(self.plot)
        row.addLayout(side, 1)
        column = QVBoxLayout(box)
        column.addLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)

    # ------------------------------------------------------------------ public API
    def set_drawing(self, image: np.ndarray | None, ready) -> None:
        """The drawing's model input ``(1, H, W, C)`` or ``(H, W, C)`` (None: nothing drawn) and the model."""
        new = None if image is None else np.asarray(image, np.float32)
        if new is not None and new.ndim == 4:
            new = new[0]
        same = (ready is self._ready and (new is None) == (self._image is None)
                and (new is None or np.array_equal(new, self._image)))
        self._ready, self._image = ready, None if new is None else new.copy()
        if same and (self.result is not None or self._jobs.busy()):
            return
        self._submit()

    def busy(self) -> bool:
        return self._jobs.busy()

    def wait(self, msecs: int = 60000) -> bool:
        """Block until this view's background jobs have been answered (tests); False if not within ``msecs``."""
        return self._jobs.wait(msecs)

    def shutdown(self) -> None:
        self._jobs.cancel_all()

    # ------------------------------------------------------------------ work and display
    def _submit(self) -> None:
        self.result = None
        if self._image is not None and self._ready is not None:
            self._jobs.submit("deletion", _deletion_job, self._ready.model, self._scores_cache, self._image.copy(),
                              self.method.currentData())
        self._show()

    def _show(self) -> None:
        r = self.result
        if r is None:
            self.plot.clear_curves()
            self.heat_image.clear()
            self.auc.setText("")
            self.verdict.setToolTip(DELETION_TIP)
            waiting = self._image is not None and self._ready is not None
            text = ("Ranking the pixels and erasing them…" if waiting else
                    "Draw a digit: its most important pixels are erased step by step, and the model's "
                    "probability is compared with erasing pixels in a random order.")
            self.verdict.setText(f"<span style='color:{MUTED}'>{text}</span>")
            self.verdict.setTextFormat(Qt.TextFormat.RichText)
            return
        name = NAMES[r.method]
        signed = r.method not in UNSIGNED
        pm = QPixmap.fromImage(rgb_to_qimage(heat_rgb(r.heat, signed=signed)))
        self.heat_image.setPixmap(pm.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.FastTransformation))
        self.plot.show_curves(r.deletion, r.random, name, SEED)
        label = self._ready.class_names[r.class_index] if self._ready is not None else str(r.class_index)
        d, rnd = r.deletion, r.random
        self.auc.setText(f"class {label}, {STEPS} steps\narea under the curve:\n"
                         f"{name} (solid): {d.auc:.3f}\nrandom (dashed): {rnd.auc:.3f}")
        faithful = d.auc < rnd.auc
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setText("<b>faster than random: faithful</b>" if faithful else
                             f"<b style='color:{ERROR}'>not faster than random</b>")
        self.verdict.setToolTip((f"The {name.lower()} curve falls faster than random (a smaller area): the map "
                                 "points at pixels the model uses." if faithful else
                                 f"The {name.lower()} curve does not fall faster than random: this map is not "
                                 "faithful here.") + f" The random order's seed is {SEED}.\n\n" + DELETION_TIP)

    @Slot()
    def _on_method_changed(self) -> None:
        self._submit()

    @Slot(str, object)
    def _on_job_finished(self, key: str, value) -> None:
        if key != "deletion":
            return
        current = (self._image is not None and self._ready is not None and value.model is self._ready.model
                   and value.method == self.method.currentData() and np.array_equal(value.image, self._image))
        if current:
            self.result = value
            self._show()
            self.checked.emit()

    @Slot(str, str, str)
    def _on_job_failed(self, key: str, message: str, details: str) -> None:
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setText(f"<span style='color:{ERROR}'>The deletion check failed: {message}</span>")
