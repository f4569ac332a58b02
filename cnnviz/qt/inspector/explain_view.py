"""Why this prediction: a saliency map (gradient of the class score with respect to each input pixel) or
Grad-CAM (class-weighted feature maps of a conv layer), drawn over the image."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget)

from .colors import CAPTION_STYLE, NOTE_STYLE, colorize, rgb_to_qimage

PANE_PX = 300
TEXT = {
    "saliency": ("Saliency: how much the class score changes when one pixel changes (|∂ score / ∂ pixel|, "
                 "computed with tf.GradientTape). Bright pixels are those the score is most sensitive to."),
    "gradcam": ("Grad-CAM: each feature map of the chosen layer is weighted by how much the class score grows with "
                "it (its average gradient); the weighted sum, with negatives cut off, is enlarged to the image size. "
                "Bright regions are the evidence for the class."),
}


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float) -> np.ndarray:
    """(H, W, 3) uint8: the image in gray (or colour) with the heat map blended in where it is strong."""
    base = image if image.shape[2] == 3 else np.repeat(image, 3, axis=2)
    base = np.clip(base, 0, 1) * 255.0
    colored = colorize(heat, 0.0, 1.0, "heat").astype(np.float64)
    a = (alpha * np.clip(heat, 0, 1))[..., None]
    return (base * (1 - a) + colored * a).round().astype(np.uint8)


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
    """Emits ``explain_requested(method, class_index, layer_name)``; the panel runs it off the GUI thread and
    calls :meth:`show_result`."""

    explain_requested = Signal(str, int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inspector = self.maps = None
        self.heat: np.ndarray | None = None
        self.method = QComboBox()
        self.method.addItem("Grad-CAM (on a conv layer)", "gradcam")
        self.method.addItem("Saliency (gradient wrt the input)", "saliency")
        self.layer = QComboBox()
        self.target = QComboBox()
        self.alpha = QSlider(Qt.Orientation.Horizontal)
        self.alpha.setRange(0, 100)
        self.alpha.setValue(70)
        self.alpha.setFixedWidth(120)
        self.panes = [_Pane(), _Pane(), _Pane()]
        self.captions = [QLabel("Input"), QLabel("Heat map"), QLabel("Overlay")]
        self.title = QLabel()
        self.title.setStyleSheet(CAPTION_STYLE)
        self.note = QLabel(TEXT["gradcam"])
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        controls = QHBoxLayout()
        for w in (QLabel("Method"), self.method, QLabel("layer"), self.layer, QLabel("class"), self.target,
                  QLabel("overlay strength"), self.alpha):
            controls.addWidget(w)
        controls.addStretch(1)
        grid = QGridLayout()
        for k, (pane, cap) in enumerate(zip(self.panes, self.captions)):
            cap.setStyleSheet(CAPTION_STYLE)
            grid.addWidget(cap, 0, k)
            grid.addWidget(pane, 1, k)
        grid.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.title)
        layout.addLayout(grid)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.method.currentIndexChanged.connect(self._on_options_changed)
        self.layer.currentIndexChanged.connect(self._on_options_changed)
        self.target.currentIndexChanged.connect(self._on_options_changed)
        self.alpha.valueChanged.connect(self._on_alpha_changed)

    def set_inspector(self, inspector) -> None:
        self.inspector, self.maps, self.heat = inspector, None, None
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

    def set_maps(self, maps) -> None:
        self.maps = maps
        self.panes[0].show_rgb(overlay(maps.image, np.zeros(maps.image.shape[:2]), 0.0))
        self.request()

    def class_index(self) -> int:
        k = self.target.currentData()
        return self.maps.predicted if (k is None or k < 0) else int(k)

    def request(self) -> None:
        if self.maps is None:
            return
        method = self.method.currentData()
        self.layer.setEnabled(method == "gradcam")
        self.note.setText(TEXT[method])
        self.explain_requested.emit(method, self.class_index(), self.layer.currentData() or "")

    def show_result(self, method: str, class_index: int, layer: str, heat: np.ndarray) -> None:
        self.heat = heat
        name = self.inspector.class_names[class_index]
        p = 100 * self.maps.probabilities[class_index]
        where = f" on {layer}" if method == "gradcam" else ""
        self.title.setText(f"{'Grad-CAM' + where if method == 'gradcam' else 'Saliency'} for class {name} "
                           f"(probability {p:.1f}%)")
        self.panes[1].show_rgb(colorize(heat, 0.0, 1.0, "heat"))
        self._on_alpha_changed()

    @Slot()
    def _on_options_changed(self) -> None:
        self.request()

    @Slot()
    def _on_alpha_changed(self) -> None:
        if self.heat is not None and self.maps is not None:
            self.panes[2].show_rgb(overlay(self.maps.image, self.heat, self.alpha.value() / 100))
