""""Grad-CAM step by step": a row of small panels under the Grad-CAM heat map of "Why this prediction", one per
stage of cnnviz.core.explain.gradcam_steps (A, dy/dA, the channel weights alpha, the weighted sum, its ReLU, the
upsampled map), each with a one-line caption, and the channels of largest weight listed.

The stages are computed with the explanation on the Inspector's TensorFlow lane (worker.py, "explain" job, for
the Grad-CAM method); this widget only draws a :class:`cnnviz.core.explain.gradcam_steps.GradCamSteps`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cnnviz.core.explain.gradcam_steps import CAPTIONS, STAGES
from cnnviz.core.explain.heatmap import heat_rgb

from .colors import CAPTION_STYLE, NOTE_STYLE, colorize, rgb_to_qimage

STEP_PX = 132
TOP_CHANNELS = 5


class _Small(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setFixedSize(STEP_PX, STEP_PX)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background:#222; border:1px solid #999;")

    def show_rgb(self, rgb: np.ndarray) -> None:
        pm = QPixmap.fromImage(rgb_to_qimage(rgb)).scaled(STEP_PX, STEP_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                                          Qt.TransformationMode.FastTransformation)
        self.setPixmap(pm)


def _unsigned(values: np.ndarray) -> np.ndarray:
    top = float(np.max(values)) if values.size else 0.0
    return colorize(values, 0.0, top if top > 0 else 1.0, "heat")


class GradCamStepsView(QWidget):
    """Call :meth:`show_steps` with a GradCamSteps (or :meth:`clear`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps = None
        self.title = QLabel("Grad-CAM step by step")
        self.title.setStyleSheet(CAPTION_STYLE)
        self.panes: dict[str, QWidget] = {}
        self.captions: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        for col, stage in enumerate(STAGES):
            if stage == "alpha":
                plot = pg.PlotWidget(background="w")
                item = plot.getPlotItem()
                item.setMenuEnabled(False)
                item.getViewBox().setMouseEnabled(x=False, y=False)
                item.hideButtons()
                item.setLabel("bottom", "channel k")
                item.showGrid(y=True, alpha=0.3)
                plot.setFixedSize(STEP_PX + 40, STEP_PX)
                plot.setToolTip("α_k for each channel k of the layer: the mean gradient of the class score over "
                                "that channel's map. Red bars speak for the class, blue against it")
                self.alpha_plot = plot
                self.alpha_bars = None
                pane = plot
            else:
                pane = _Small()
            caption = QLabel(CAPTIONS[stage])
            caption.setWordWrap(True)
            caption.setFixedWidth(STEP_PX + (40 if stage == "alpha" else 0))
            caption.setStyleSheet(NOTE_STYLE)
            caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            self.panes[stage], self.captions[stage] = pane, caption
            grid.addWidget(pane, 0, col)
            grid.addWidget(caption, 1, col)
        grid.setColumnStretch(len(STAGES), 1)
        self.top_label = QLabel()
        self.top_label.setStyleSheet(NOTE_STYLE)
        self.top_label.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(head)
        layout.addLayout(grid)
        layout.addWidget(self.top_label)

    def clear(self) -> None:
        self.steps = None
        for stage, pane in self.panes.items():
            if isinstance(pane, QLabel):
                pane.clear()
        if self.alpha_bars is not None:
            self.alpha_plot.removeItem(self.alpha_bars)
            self.alpha_bars = None
        self.top_label.setText("")

    def show_steps(self, steps, class_name: str = "") -> None:
        self.steps = steps
        top = steps.top_channels(TOP_CHANNELS)
        c = top[0][0] if top else 0
        h, w, k = steps.activations.shape
        self.title.setText(f"Grad-CAM step by step on {steps.layer} ({h}×{w}×{k}) for class "
                           f"{class_name or steps.class_index} (score before softmax {steps.score:.3f})")
        self.panes["activations"].show_rgb(_unsigned(steps.activations[:, :, c]))
        self.panes["gradients"].show_rgb(heat_rgb(steps.gradients[:, :, c], signed=True))
        self.panes["weighted"].show_rgb(heat_rgb(steps.weighted, signed=True))
        self.panes["relu"].show_rgb(_unsigned(steps.relu))
        self.panes["upsampled"].show_rgb(_unsigned(steps.heat))
        self.captions["activations"].setText(f"1. A: the layer's {k} feature maps (shown: channel {c}, the "
                                             "largest weight)")
        self.captions["gradients"].setText(f"2. ∂y/∂A: how the class score moves with each activation "
                                           f"(channel {c}; red +, blue −)")
        if self.alpha_bars is not None:
            self.alpha_plot.removeItem(self.alpha_bars)
        colors = ["#c0392b" if a >= 0 else "#2166ac" for a in steps.alpha]
        self.alpha_bars = pg.BarGraphItem(x=np.arange(k), height=steps.alpha, width=0.8, brushes=colors,
                                          pens=[pg.mkPen(None)] * k)
        self.alpha_plot.addItem(self.alpha_bars)
        self.alpha_plot.getPlotItem().setXRange(-0.5, k - 0.5, padding=0.02)
        listed = ", ".join(f"channel {ch}: α = {a:+.4f}" for ch, a in top)
        positive = int(np.sum(steps.alpha > 0))
        self.top_label.setText(f"Largest channel weights: {listed}.  {positive} of {k} channels count for the "
                               f"class, {k - positive} against it.")
