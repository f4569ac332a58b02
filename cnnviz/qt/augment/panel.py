"""The Augment tab: the lecture's image transformations and the CelebA training augmentation, made visible.

For one face (synthetic, from a file or from a CelebA folder) every ``tf.image`` transformation of the lecture
is shown beside the original with its parameters adjustable and its TensorFlow call written out; below, the
64x64 views the training pipeline makes (random crop, resize, random flip; reproducible from a seed) and the
one view evaluation makes (centre crop, resize). All TensorFlow work runs on the app's TensorFlow lane
(cnnviz.qt.concurrency), one job per picture keyed by its name: a newer request for a picture replaces one still
waiting, so dragging a slider never queues up.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from cnnviz.core.data.augment_preview import evaluation_view, random_augmented

from ..concurrency import JobClient
from ..state import AppState
from .faces import SYNTHETIC_NOTE, as_rgb_uint8
from .jobs import NOTES, PARAMS, TRANSFORMS, JobError, central_crop_region, code_for, param_range, run_jobs
from .model_views import ModelViews
from .source import FaceSource
from .tiles import (BOX_COLORS, ERROR_STYLE, LOADING, NOTE_STYLE, Box, FloatParam, ImageTile, IntParam,
                    TransformCard, code_font)

KEYS = tuple(TRANSFORMS)                 # crop, flip, contrast, brightness, central_crop
LONGEST_NAME = len("tf.image.crop_to_bounding_box(")
LOADING_TEXT = "loading… TensorFlow is starting; the first transformation takes a few seconds."
INTRO = ("<b>Image transformation and data augmentation</b> (lecture: gender classification from CelebA faces). "
         "Each card applies one <code>tf.image</code> call to the face on the left; change the numbers and "
         "watch. Below: the 64×64 images the CelebA pipeline actually feeds the network.")


class AugmentPanel(QWidget):
    """``set_image(uint8 HxWx3)`` chooses the face; ``tiles[key]`` show the original and each transformation
    (keys "original", "crop", "flip", "contrast", "brightness", "central_crop"), ``controls[key][param]`` their
    parameters, ``random_tiles`` the training views and ``eval_tile`` the evaluation view.
    ``results_shown`` is emitted whenever computed pictures reach the screen."""

    results_shown = Signal()

    def __init__(self, parent: QWidget | None = None, *, state: AppState | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else AppState(parent=self)
        self.image: np.ndarray | None = None
        self._generation = 0
        self._pending: dict[str, tuple] = {}   # requested before the panel was first shown
        self._jobs = JobClient(self.state.background.tf, self)
        self._jobs.finished.connect(self._on_jobs_finished)
        self._jobs.failed.connect(self._on_jobs_failed)
        self._started = False             # computing starts when the panel is first shown
        self._loaded = False              # a first result came back (TensorFlow is ready)
        self._scale = 1.0
        self._columns = 0
        self._code_chars = 26
        self.tiles: dict[str, ImageTile] = {}
        self.cards: dict[str, TransformCard] = {}
        self.controls: dict[str, dict[str, FloatParam | IntParam]] = {}
        self.random_tiles: list[ImageTile] = []
        self._build()
        self.set_image(*self.source.synthetic())

    # ----------------------------------------------------------------------------------------------- build
    def _build(self) -> None:
        self.source = FaceSource(pool=self.state.background.io)
        self.source.image_chosen.connect(self._on_source_image_chosen)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.status = QLabel(LOADING_TEXT)
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color:#7a5b00;")
        self.reset_button = QPushButton("Lecture's values")
        self.reset_button.setToolTip("Put every parameter back to the value used in the lecture")
        self.reset_button.clicked.connect(self._on_reset_clicked)

        self.tiles["original"] = ImageTile()
        original = TransformCard("Original", "The face as it is stored: rows × columns × RGB, 0..255.",
                                 self.tiles["original"])
        self.boxes_note = QLabel()
        self.boxes_note.setWordWrap(True)
        self.boxes_note.setStyleSheet(NOTE_STYLE)
        original.form.addRow(self.boxes_note)
        self.cards["original"] = original
        for key in KEYS:
            self.tiles[key] = ImageTile()
            card = TransformCard(TRANSFORMS[key].title, NOTES[key], self.tiles[key])
            self.controls[key] = {}
            for spec in PARAMS[key]:
                value = TRANSFORMS[key].params[spec.name]
                if spec.kind == "int":
                    widget = IntParam(int(spec.lo), 10_000, int(value))
                else:
                    widget = FloatParam(spec.lo, spec.hi, spec.step, spec.decimals, float(value))
                widget.value_changed.connect(self._on_param_changed)
                widget.setProperty("transform", key)
                card.add_param(spec.label, widget, spec.tooltip)
                self.controls[key][spec.name] = widget
            self.cards[key] = card
        self.cards_grid = QGridLayout()
        self.cards_grid.setSpacing(8)

        self.model_views = ModelViews()
        self.model_views.random_requested.connect(self._on_random_requested)
        # the parts tests and callers reach for, under short names
        mv = self.model_views
        self.n_spin, self.seed_spin, self.new_samples_button = mv.n_spin, mv.seed_spin, mv.new_samples_button
        self.random_tiles, self.random_grid, self.eval_tile = mv.random_tiles, mv.random_grid, mv.eval_tile
        self.training_code, self.evaluation_code = mv.training_code, mv.evaluation_code

        header1 = QHBoxLayout()
        header1.addWidget(_heading("1 · The lecture's transformations — one tf.image call each"), 1)
        header1.addWidget(self.reset_button)
        content = QWidget()
        content.setObjectName("augmentContent")
        content.setStyleSheet("QWidget#augmentContent { background:#f7f8fa; }")
        body = QVBoxLayout(content)
        body.setContentsMargins(10, 8, 10, 10)
        body.setSpacing(8)
        body.addWidget(intro)
        body.addWidget(self.source)
        body.addWidget(self.status)
        body.addLayout(header1)
        body.addLayout(self.cards_grid)
        body.addWidget(_heading("2 · What the model sees: 64×64 inputs made by the CelebA pipeline"))
        body.addWidget(self.model_views)
        body.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        self._arrange_cards()

    # ----------------------------------------------------------------------------------------------- API
    @Slot(object)
    def set_image(self, image, description: str = "") -> None:
        """Show the transformations of ``image`` (H, W, 3) uint8 (gray, RGBA or float 0..1 are converted)."""
        self.image = as_rgb_uint8(image)
        self._generation += 1
        self.source.show_description(description or f"Image from the app: {self.image.shape[1]}x"
                                     f"{self.image.shape[0]}", synthetic=description == SYNTHETIC_NOTE)
        self._update_ranges()
        shape = self.image.shape
        self.tiles["original"].set_array(self.image)
        self.cards["original"].size_label.setText(_shape_text(shape))
        self.cards["original"].code.setText(f"img.shape  # {shape}")
        self.model_views.set_image(self.image)
        for key in KEYS:
            self.tiles[key].set_message(LOADING)
        self._arrange_cards(force=True)
        self._request(*KEYS, "random", "eval")

    def params(self, key: str) -> dict:
        """The current arguments of transform ``key`` as the core function takes them."""
        return {spec.name: (int if spec.kind == "int" else float)(self.controls[key][spec.name].value())
                for spec in PARAMS[key]}

    def is_busy(self) -> bool:
        """True while pictures are being computed or wait to be (including reading a CelebA index)."""
        return self._jobs.busy() or bool(self._pending) or self.source.is_busy()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Drop this panel's jobs (and stop the lanes when the panel made them itself)."""
        self._jobs.cancel_all()
        ok = self.source.shutdown(timeout_ms)
        return self.state.shutdown_own_background(timeout_ms) and ok

    # ------------------------------------------------------------------------------------------- compute
    def _job(self, key: str) -> tuple:
        if key == "random":
            return random_augmented, self.model_views.random_kwargs()
        if key == "eval":
            return evaluation_view, {}
        return TRANSFORMS[key].apply, self.params(key)

    def _request(self, *keys: str) -> None:
        for key in keys:
            self._pending[key] = self._job(key)
            if key in KEYS:
                self._show_code(key)
        if {"crop", "central_crop"} & set(keys):
            self._update_original_boxes()
        self._start_next()

    def _start_next(self) -> None:
        if not self._pending or not self._started or self.image is None:
            return
        jobs, self._pending = self._pending, {}
        for key, job in jobs.items():
            self._jobs.submit(key, run_jobs, self.image, {key: job}, self._generation)

    @Slot(str, object)
    def _on_jobs_finished(self, _key: str, result) -> None:
        generation, outputs = result
        if generation == self._generation:
            for key, out in outputs.items():
                if key == "random":
                    self.model_views.show_random(out)
                elif key == "eval":
                    self.model_views.show_eval(out)
                elif key in KEYS:
                    self._show(self.tiles[key], out)
                    if not isinstance(out, JobError):
                        self.cards[key].size_label.setText(_shape_text(out.shape))
                    else:
                        self.cards[key].size_label.setText("")
            if not self._loaded:
                self._loaded = True
                self.status.hide()
        self.results_shown.emit()

    @Slot(str, str, str)
    def _on_jobs_failed(self, _key: str, message: str, _details: str) -> None:
        self.status.setText(f"The transformations could not be computed: {message}")
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.show()

    @staticmethod
    def _show(tile: ImageTile, out) -> None:
        if isinstance(out, JobError):
            tile.set_message(str(out), error=True)
        else:
            tile.set_array(out)

    # ------------------------------------------------------------------------------------------- helpers
    def _update_ranges(self) -> None:
        for key in KEYS:
            for spec in PARAMS[key]:
                widget = self.controls[key][spec.name]
                lo, hi = param_range(spec, self.image.shape)
                spin = widget.spin if isinstance(widget, FloatParam) else widget
                spin.blockSignals(True)
                spin.setRange(lo, hi)
                spin.blockSignals(False)

    def _show_code(self, key: str) -> None:
        self.cards[key].code.setText(code_for(key, self.params(key), self.image.shape, self._code_chars))

    def _update_original_boxes(self) -> None:
        c = self.params("crop")
        top, left, h, w = central_crop_region(self.image.shape, self.params("central_crop")["fraction"])
        self.tiles["original"].set_boxes([Box(c["top"], c["left"], c["height"], c["width"], BOX_COLORS["crop"]),
                                          Box(top, left, h, w, BOX_COLORS["central_crop"], dashed=True)])
        self.boxes_note.setText(f"<span style='color:{BOX_COLORS['crop'].name()}'>■</span> the bounding box<br>"
                                f"<span style='color:{BOX_COLORS['central_crop'].name()}'>■</span> the central "
                                "crop")

    def _arrange_cards(self, force: bool = False) -> None:
        """Six cards in a row when they fit at a readable size, else three per row; tiles share one scale, and
        the code font shrinks (down to 7 pt) until the longest TensorFlow name fits on a card."""
        width = self.width() - self.scroll.verticalScrollBar().sizeHint().width()
        self.model_views.set_available_width(width - 20)
        available = max(600, width - 24)
        ref_h, ref_w = self.image.shape[:2] if self.image is not None else (218, 178)
        columns = 6 if available / 6 - 8 >= 190 else 3
        card_width = int((available - 8 * (columns - 1)) / columns)
        scale = float(np.clip((card_width - 20) / ref_w, 0.05, 1.5))
        scale = min(scale, 300 / ref_h)   # tall pictures: keep the cards short
        if not force and columns == self._columns and abs(scale - self._scale) < 0.02:
            return
        self._columns, self._scale = columns, scale
        for tile in self.tiles.values():
            tile.set_geometry_rule((ref_h, ref_w), scale)
        font = code_font()
        code_px = card_width - 16 - 16          # card margins, label padding and border
        while QFontMetricsF(font).horizontalAdvance("x" * LONGEST_NAME) > code_px and font.pointSizeF() > 7.0:
            font.setPointSizeF(font.pointSizeF() - 0.25)
        self._code_chars = max(12, int(code_px // QFontMetricsF(font).horizontalAdvance("x")))
        for i, key in enumerate(("original", *KEYS)):
            card = self.cards[key]
            card.setFixedWidth(card_width)
            card.code.setFont(font)
            self.cards_grid.addWidget(card, i // columns, i % columns)
            if key in KEYS and self.image is not None:
                self._show_code(key)
        for c in range(6):
            self.cards_grid.setColumnStretch(c, 0)
        self.cards_grid.setColumnStretch(columns, 1)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._arrange_cards()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if not self._started:
            self._started = True
            self._start_next()

    # ------------------------------------------------------------------------------------------- slots
    @Slot(object, str)
    def _on_source_image_chosen(self, image, description: str) -> None:
        self.set_image(image, description)

    @Slot(float)
    def _on_param_changed(self, _value: float) -> None:
        key = self.sender().property("transform")
        if key in KEYS and self.image is not None:
            self._request(key)

    @Slot()
    def _on_reset_clicked(self) -> None:
        for key in KEYS:
            for spec in PARAMS[key]:
                widget = self.controls[key][spec.name]
                widget.blockSignals(True)
                widget.setValue(TRANSFORMS[key].params[spec.name])
                widget.blockSignals(False)
        self._request(*KEYS)

    @Slot()
    def _on_random_requested(self) -> None:
        if self.image is not None:
            self._request("random")


def _shape_text(shape) -> str:
    return f"{shape[0]} × {shape[1]} × {shape[2]}  (H × W × C)"


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size:14px; font-weight:600; color:#24292f; padding-top:4px;")
    return label


if __name__ == "__main__":   # a preview of the panel: python -m cnnviz.qt.augment.panel [shot.png]
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    panel = AugmentPanel()
    panel.resize(1300, 900)
    panel.show()
    if len(sys.argv) > 1:
        while panel.is_busy() or not panel._loaded:
            app.processEvents()
        app.processEvents()
        panel.grab().save(sys.argv[1])
        panel.shutdown()
    else:
        app.exec()
