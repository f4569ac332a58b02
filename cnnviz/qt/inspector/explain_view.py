"""Why this prediction: four attribution methods drawn over the image, and a check of the chosen one.

* saliency (gradient of the class score with respect to each input pixel), Grad-CAM (class-weighted feature maps
  of a conv layer), occlusion sensitivity and integrated gradients (cnnviz.core.explain.attribution);
* the deletion curve: the class probability as the most-attributed pixels are erased, against a seeded random
  order, with both areas under the curve (a faithful map makes the first fall fast: a small area).

Everything is computed on the Inspector's TensorFlow lane (worker.py "explain" job); this view only emits
``explain_requested`` and shows :class:`cnnviz.qt.inspector.worker.Explanation` results.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QSlider, QSpinBox, QVBoxLayout,
                               QWidget)

from cnnviz.core.explain.heatmap import heat_rgb

from .colors import CAPTION_STYLE, ERROR_STYLE, NOTE_STYLE, colorize, rgb_to_qimage
from .deletion_plot import DELETION_TIP, DeletionPlot, verdict_text
from .gradcam_steps_view import GradCamStepsView
from .worker import ExplainOptions

PANE_PX = 300
TEXT = {
    "saliency": ("Saliency: how much the class score changes when one pixel changes (|∂ score / ∂ pixel|, "
                 "computed with tf.GradientTape). Bright pixels are those the score is most sensitive to."),
    "gradcam": ("Grad-CAM: each feature map of the chosen layer is weighted by how much the class score grows with "
                "it (its average gradient); the weighted sum, with negatives cut off, is enlarged to the image size. "
                "Bright regions are the evidence for the class."),
    "occlusion": ("Occlusion: a black patch slides over the image and the drop in the class probability is "
                  "recorded where it covered. Red: hiding these pixels lowers the probability (evidence for the "
                  "class); blue: hiding them raises it."),
    "integrated-gradients": ("Integrated gradients: the gradient of the class score averaged along the path from a "
                             "black image to this one, times the pixel. Red pixels push the score up, blue down; "
                             "together they add up to score(image) − score(black)."),
}
NAMES = {"saliency": "Saliency", "gradcam": "Grad-CAM", "occlusion": "Occlusion",
         "integrated-gradients": "Integrated gradients"}


def blend(image: np.ndarray, colored: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: the image in gray (or colour) with ``colored`` blended in by ``weight`` (H, W) 0..1."""
    base = image if image.shape[2] == 3 else np.repeat(image, 3, axis=2)
    base = np.clip(base, 0, 1) * 255.0
    a = np.clip(weight, 0, 1)[..., None]
    return (base * (1 - a) + colored.astype(np.float64) * a).round().astype(np.uint8)


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float) -> np.ndarray:
    """(H, W, 3) uint8: the image in gray (or colour) with the heat map blended in where it is strong."""
    return blend(image, colorize(heat, 0.0, 1.0, "heat"), alpha * np.clip(heat, 0, 1))


def signed_overlay(image: np.ndarray, heat: np.ndarray, alpha: float) -> np.ndarray:
    """A signed map in blue-white-red over the image, blended in by its magnitude."""
    top = float(np.max(np.abs(heat))) if heat.size else 0.0
    weight = np.abs(heat) / top if top > 0 else np.zeros_like(heat)
    return blend(image, heat_rgb(heat, signed=True), alpha * weight)


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class _Pane(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setFixedSize(PANE_PX, PANE_PX)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background:#222; border:1px solid #999;")

    def show_rgb(self, rgb: np.ndarray) -> None:
        pm = QPixmap.fromImage(rgb_to_qimage(rgb)).scaled(PANE_PX, PANE_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                                          Qt.TransformationMode.FastTransformation)
        self.setPixmap(pm)


class ExplainView(QWidget):
    """Emits ``explain_requested(method, class_index, layer_name)``; the panel runs it off the GUI thread (with
    :meth:`options`) and calls :meth:`show_explanation` (or :meth:`show_failure`)."""

    explain_requested = Signal(str, int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = self.maps = None
        self.heat: np.ndarray | None = None
        self.result = None          # the last Explanation shown
        self.pending = False        # a request is out, its answer not yet shown
        self.method = QComboBox()
        self.method.addItem("Grad-CAM (on a conv layer)", "gradcam")
        self.method.addItem("Saliency (gradient wrt the input)", "saliency")
        self.method.addItem("Occlusion (hide a patch, see the drop)", "occlusion")
        self.method.addItem("Integrated gradients (from a black image)", "integrated-gradients")
        self.method.setToolTip("How the heat map is computed; the text under the pictures says what it shows")
        self.layer = QComboBox()
        self.target = QComboBox()
        defaults = ExplainOptions()
        self.patch = _spin(1, 28, defaults.patch, "Occlusion: the side of the black square, in pixels")
        self.stride = _spin(1, 28, defaults.stride, "Occlusion: how far the square moves each time, in pixels")
        self.ig_steps = _spin(1, 1024, defaults.ig_steps,
                              "Integrated gradients: the number of steps along the path from black to the image")
        self.deletion_steps = _spin(1, 784, defaults.deletion_steps,
                                    "Deletion curve: in how many equal parts the pixels are erased")
        self.seed = _spin(0, 2**31 - 1, defaults.seed, "Deletion curve: the seed of the random erasing order")
        self.alpha = QSlider(Qt.Orientation.Horizontal)
        self.alpha.setRange(0, 100)
        self.alpha.setValue(70)
        self.alpha.setFixedWidth(120)
        self.panes = [_Pane(), _Pane(), _Pane()]
        self.captions = [QLabel("Input"), QLabel("Heat map"), QLabel("Overlay")]
        self.title = QLabel()
        self.title.setStyleSheet(CAPTION_STYLE)
        self.busy = QLabel()
        self.busy.setStyleSheet(NOTE_STYLE)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        self.note = QLabel(TEXT["gradcam"])
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        self.deletion_plot = DeletionPlot()
        self.deletion_curve, self.random_curve = self.deletion_plot.deletion_curve, self.deletion_plot.random_curve
        self.deletion_plot.setFixedSize(PANE_PX * 3 // 2, PANE_PX)
        self.auc = QLabel()
        self.auc.setWordWrap(True)
        self.auc.setToolTip(DELETION_TIP)
        self.steps_view = GradCamStepsView()   # Grad-CAM's stages, shown for the Grad-CAM method
        self.steps_view.hide()

        controls = QHBoxLayout()
        for w in (QLabel("Method"), self.method, QLabel("layer"), self.layer, QLabel("class"), self.target,
                  QLabel("overlay strength"), self.alpha):
            controls.addWidget(w)
        controls.addStretch(1)
        settings = QHBoxLayout()
        for w in (QLabel("occlusion patch"), self.patch, QLabel("stride"), self.stride,
                  QLabel("integrated-gradients steps"), self.ig_steps, QLabel("deletion steps"),
                  self.deletion_steps, QLabel("random seed"), self.seed):
            settings.addWidget(w)
        settings.addStretch(1)
        grid = QGridLayout()
        for k, (pane, cap) in enumerate(zip(self.panes, self.captions)):
            cap.setStyleSheet(CAPTION_STYLE)
            grid.addWidget(cap, 0, k)
            grid.addWidget(pane, 1, k)
        grid.setColumnStretch(3, 1)
        check = QHBoxLayout()
        check.addWidget(self.deletion_plot)
        check.addWidget(self.auc, 1)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.busy)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(settings)
        layout.addLayout(head)
        layout.addWidget(self.error)
        layout.addLayout(grid)
        layout.addWidget(self.note)
        layout.addWidget(self.steps_view)
        layout.addLayout(check)
        layout.addStretch(1)
        self.method.currentIndexChanged.connect(self._on_options_changed)
        self.layer.currentIndexChanged.connect(self._on_options_changed)
        self.target.currentIndexChanged.connect(self._on_options_changed)
        for box in (self.patch, self.stride, self.ig_steps, self.deletion_steps, self.seed):
            box.valueChanged.connect(self._on_options_changed)
        self.alpha.valueChanged.connect(self._on_alpha_changed)
        self._update_enabled()

    def set_inspector(self, inspector) -> None:
        self.inspector, self.maps, self.heat, self.result = inspector, None, None, None
        for combo in (self.layer, self.target):
            combo.blockSignals(True)
            combo.clear()
        for info in inspector.layers:
            if info.is_spatial:
                self.layer.addItem(info.name, info.name)
        last = inspector.last_conv_layer()
        if last is not None:
            self.layer.setCurrentIndex(self.layer.findData(last.name))
        self.target.addItem("the predicted class", -1)
        for k, name in enumerate(inspector.class_names):
            self.target.addItem(name, k)
        for combo in (self.layer, self.target):
            combo.blockSignals(False)
        h, w, _ = inspector.input_shape
        for box in (self.patch, self.stride):
            box.blockSignals(True)
            box.setMaximum(min(h, w))
            box.blockSignals(False)
        self.deletion_steps.blockSignals(True)
        self.deletion_steps.setMaximum(h * w)
        self.deletion_steps.blockSignals(False)
        self._clear_result()

    def set_maps(self, maps) -> None:
        self.maps = maps
        self.panes[0].show_rgb(overlay(maps.image, np.zeros(maps.image.shape[:2]), 0.0))
        self.request()

    def class_index(self) -> int:
        k = self.target.currentData()
        return self.maps.predicted if (k is None or k < 0) else int(k)

    def options(self) -> ExplainOptions:
        return ExplainOptions(patch=self.patch.value(), stride=self.stride.value(), ig_steps=self.ig_steps.value(),
                              deletion_steps=self.deletion_steps.value(), seed=self.seed.value())

    def request(self) -> None:
        self._update_enabled()
        if self.maps is None:
            return
        method = self.method.currentData()
        self.note.setText(TEXT[method])
        self.pending = True
        self.busy.setText(f"computing {NAMES[method].lower()} and the deletion check…")
        self.explain_requested.emit(method, self.class_index(), self.layer.currentData() or "")

    def show_explanation(self, result) -> None:
        """Show an Explanation (cnnviz.qt.inspector.worker) for the current image."""
        self.result, self.heat = result, np.asarray(result.heat, np.float32)
        self.pending = False
        self.busy.setText("")
        self.error.hide()
        method, k = result.method, result.class_index
        name = self.inspector.class_names[k]
        p = 100 * self.maps.probabilities[k]
        where = f" on {result.layer}" if method == "gradcam" and result.layer else ""
        extra = ""
        if result.completeness_gap is not None:
            extra = (f"; the attributions add up to score(image) − score(black) within "
                     f"{100 * result.completeness_gap:.2f}%")
        self.title.setText(f"{NAMES[method]}{where} for class {name} (probability {p:.1f}%){extra}")
        if result.signed:
            self.panes[1].show_rgb(heat_rgb(self.heat, signed=True))
        else:
            self.panes[1].show_rgb(colorize(self.heat, 0.0, 1.0, "heat"))
        self._on_alpha_changed()
        steps = getattr(result, "gradcam_steps", None)
        if steps is not None:
            self.steps_view.show_steps(steps, name)
            self.steps_view.show()
        else:
            self.steps_view.clear()
            self.steps_view.hide()
        d, r = result.deletion, result.random
        self.deletion_plot.show_curves(d, r, NAMES[method], result.options.seed)
        self.auc.setText(verdict_text(d, r, NAMES[method], result.options.seed))

    def cancelled(self) -> None:
        """The panel stopped the running request (a new image or model); a new one follows when shown."""
        self.pending = False
        self.busy.setText("")

    def show_failure(self, message: str) -> None:
        self.pending = False
        self.busy.setText("")
        self.error.setText(message)
        self.error.show()

    def _clear_result(self) -> None:
        self.pending = False
        self.busy.setText("")
        self.deletion_plot.clear_curves()
        self.auc.setText("")
        self.steps_view.clear()
        self.steps_view.hide()

    def _update_enabled(self) -> None:
        method = self.method.currentData()
        self.layer.setEnabled(method == "gradcam")
        self.patch.setEnabled(method == "occlusion")
        self.stride.setEnabled(method == "occlusion")
        self.ig_steps.setEnabled(method == "integrated-gradients")

    @Slot()
    def _on_options_changed(self) -> None:
        self.request()

    @Slot()
    def _on_alpha_changed(self) -> None:
        if self.heat is None or self.maps is None:
            return
        alpha = self.alpha.value() / 100
        if self.result is not None and self.result.signed:
            self.panes[2].show_rgb(signed_overlay(self.maps.image, self.heat, alpha))
        else:
            self.panes[2].show_rgb(overlay(self.maps.image, self.heat, alpha))
