"""The Augment tab: the lecture's image transformations and the CelebA training augmentation, made visible.

For one face (synthetic, from a file or from a CelebA folder) every ``tf.image`` transformation of the lecture
is shown beside the original with its parameters adjustable and its TensorFlow call written out; below, the
64x64 views the training pipeline makes (random crop, resize, random flip; reproducible from a seed) and the
one view evaluation makes (centre crop, resize). All TensorFlow work runs in :class:`~cnnviz.qt.tasks.Task`\\ s:
at most one at a time, requests made meanwhile are merged and run next, so dragging a slider never queues up.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSpinBox,
                               QVBoxLayout, QWidget)

from cnnviz.core.augment_preview import evaluation_view, random_augmented
from cnnviz.core.celeba import IMAGE_SIZE

from ..tasks import Task
from .faces import SYNTHETIC_NOTE, as_rgb_uint8
from .jobs import (NOTES, PARAMS, TRANSFORMS, JobError, central_crop_region, code_for, eval_region,
                   evaluation_code, param_range, run_jobs, training_code)
from .source import FaceSource
from .tiles import (BOX_COLORS, CARD_STYLE, CODE_STYLE, ERROR_STYLE, LOADING, NOTE_STYLE, Box, FloatParam,
                    ImageTile, IntParam, TransformCard, code_font)

KEYS = tuple(TRANSFORMS)                 # crop, flip, contrast, brightness, central_crop
MODEL_SCALE = 2                          # 64x64 model inputs drawn at 2x, crisp
GRID_COLUMNS = 4
LOADING_TEXT = "⏳ loading… TensorFlow is starting; the first transformation takes a few seconds."
INTRO = ("<b>Image transformation and data augmentation</b> (lecture: gender classification from CelebA faces). "
         "Each card applies one <code>tf.image</code> call to the face on the left; change the numbers and "
         "watch. Below: the 64×64 images the CelebA pipeline actually feeds the network.")


class AugmentPanel(QWidget):
    """``set_image(uint8 HxWx3)`` chooses the face; ``tiles[key]`` show the original and each transformation
    (keys "original", "crop", "flip", "contrast", "brightness", "central_crop"), ``controls[key][param]`` their
    parameters, ``random_tiles`` the training views and ``eval_tile`` the evaluation view.
    ``results_shown`` is emitted whenever computed pictures reach the screen."""

    results_shown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: np.ndarray | None = None
        self._generation = 0
        self._pending: dict[str, tuple] = {}
        self._task: Task | None = None
        self._started = False             # computing starts when the panel is first shown
        self._loaded = False              # a first result came back (TensorFlow is ready)
        self._scale = 1.0
        self._columns = 0
        self.tiles: dict[str, ImageTile] = {}
        self.cards: dict[str, TransformCard] = {}
        self.controls: dict[str, dict[str, FloatParam | IntParam]] = {}
        self.random_tiles: list[ImageTile] = []
        self._build()
        self.set_image(*self.source.synthetic())

    # ----------------------------------------------------------------------------------------------- build
    def _build(self) -> None:
        self.source = FaceSource()
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
        original.code.setText("img  # uint8 tensor, shape (H, W, 3)")
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

        # --- training views
        self.n_spin = QSpinBox()
        self.n_spin.setRange(1, 24)
        self.n_spin.setValue(8)
        self.n_spin.setToolTip("How many training views of this face to draw")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 999_999)
        self.seed_spin.setValue(1)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("The same seed gives the same views (the pipeline uses seeded, stateless ops)")
        self.new_samples_button = QPushButton("New samples")
        self.new_samples_button.setToolTip("Draw other random views (seed + 1), as the next epoch would")
        self.n_spin.valueChanged.connect(self._on_n_changed)
        self.seed_spin.valueChanged.connect(self._on_seed_changed)
        self.new_samples_button.clicked.connect(self._on_new_samples_clicked)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("views"))
        controls.addWidget(self.n_spin)
        controls.addSpacing(8)
        controls.addWidget(QLabel("seed"))
        controls.addWidget(self.seed_spin)
        controls.addWidget(self.new_samples_button)
        controls.addStretch(1)
        self.random_grid = QGridLayout()
        self.random_grid.setSpacing(6)
        self.training_code = _code_label()
        train_note = QLabel("Random square crop → resize to 64×64 → flip left-right half the time "
                            "(<code>random_augmented</code>, the very function the training pipeline maps). "
                            "Every epoch the network sees other views of the same face.")
        train_note.setWordWrap(True)
        train_note.setStyleSheet(NOTE_STYLE)
        train = _card("<b>Training: random augmentation</b>")
        train.layout().addWidget(train_note)
        train.layout().addLayout(controls)
        train.layout().addLayout(self.random_grid)
        train.layout().addStretch(1)
        train.layout().addWidget(self.training_code)

        # --- evaluation view
        self.eval_source_tile = ImageTile(scale=0.6)
        self.eval_tile = ImageTile(IMAGE_SIZE, MODEL_SCALE)
        arrow = QLabel("→")
        arrow.setStyleSheet("font-size:22px; color:#555;")
        pair = QHBoxLayout()
        pair.addWidget(self.eval_source_tile)
        pair.addWidget(arrow)
        pair.addWidget(self.eval_tile)
        pair.addStretch(1)
        self.eval_size = QLabel()
        self.eval_size.setStyleSheet(NOTE_STYLE)
        self.evaluation_code = _code_label()
        eval_note = QLabel("Validation and test images are not augmented: always the centred square, resized "
                           "to 64×64 (<code>evaluation_view</code>), so scores are comparable between epochs.")
        eval_note.setWordWrap(True)
        eval_note.setStyleSheet(NOTE_STYLE)
        evaluation = _card("<b>Evaluation: centre crop + resize</b>")
        evaluation.layout().addWidget(eval_note)
        evaluation.layout().addLayout(pair)
        evaluation.layout().addWidget(self.eval_size)
        evaluation.layout().addStretch(1)
        evaluation.layout().addWidget(self.evaluation_code)

        model_row = QHBoxLayout()
        model_row.addWidget(train, 3)
        model_row.addWidget(evaluation, 2)

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
        body.addLayout(model_row)
        body.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        self._set_random_count(self.n_spin.value())
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
        self.eval_source_tile.set_array(self.image)
        top, left, side, _ = eval_region(shape)
        self.eval_source_tile.set_boxes([Box(top, left, side, side, BOX_COLORS["eval"])])
        self.eval_size.setText(f"centre {side}×{side} of {shape[0]}×{shape[1]}  →  "
                               f"{IMAGE_SIZE[0]}×{IMAGE_SIZE[1]}×3, float 0..1")
        self.training_code.setText(training_code(shape))
        self.evaluation_code.setText(evaluation_code(shape))
        for tile in (*(self.tiles[k] for k in KEYS), *self.random_tiles, self.eval_tile):
            tile.set_message(LOADING)
        self._arrange_cards(force=True)
        self._request(*KEYS, "random", "eval")

    def params(self, key: str) -> dict:
        """The current arguments of transform ``key`` as the core function takes them."""
        return {spec.name: (int if spec.kind == "int" else float)(self.controls[key][spec.name].value())
                for spec in PARAMS[key]}

    def is_busy(self) -> bool:
        """True while pictures are being computed or wait to be (including reading a CelebA index)."""
        return self._task is not None or bool(self._pending) or self.source.is_busy()

    # ------------------------------------------------------------------------------------------- compute
    def _job(self, key: str) -> tuple:
        if key == "random":
            return random_augmented, {"n": self.n_spin.value(), "seed": self.seed_spin.value()}
        if key == "eval":
            return evaluation_view, {}
        return TRANSFORMS[key].apply, self.params(key)

    def _request(self, *keys: str) -> None:
        for key in keys:
            self._pending[key] = self._job(key)
            if key in KEYS:
                self.cards[key].code.setText(code_for(key, self.params(key), self.image.shape))
        if {"crop", "central_crop"} & set(keys):
            self._update_original_boxes()
        self._start_next()

    def _start_next(self) -> None:
        if self._task is not None or not self._pending or not self._started or self.image is None:
            return
        jobs, self._pending = self._pending, {}
        self._task = Task(run_jobs, self.image, jobs, self._generation)
        self._task.finished.connect(self._on_jobs_finished)
        self._task.failed.connect(self._on_jobs_failed)
        self._task.start()

    @Slot(object)
    def _on_jobs_finished(self, result) -> None:
        self._task = None
        generation, outputs = result
        if generation == self._generation:
            for key, out in outputs.items():
                if key == "random" and key not in self._pending:
                    self._show_random(out)
                elif key == "eval":
                    self._show(self.eval_tile, out)
                elif key in KEYS and key not in self._pending:
                    self._show(self.tiles[key], out)
                    if not isinstance(out, JobError):
                        self.cards[key].size_label.setText(_shape_text(out.shape))
                    else:
                        self.cards[key].size_label.setText("")
            if not self._loaded:
                self._loaded = True
                self.status.hide()
        self._start_next()
        self.results_shown.emit()

    @Slot(str)
    def _on_jobs_failed(self, message: str) -> None:
        self._task = None
        self.status.setText(f"The transformations could not be computed: {message}")
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.show()
        self._start_next()

    @staticmethod
    def _show(tile: ImageTile, out) -> None:
        if isinstance(out, JobError):
            tile.set_message(str(out), error=True)
        else:
            tile.set_array(out)

    def _show_random(self, out) -> None:
        if isinstance(out, JobError):
            for tile in self.random_tiles:
                tile.set_message(str(out), error=True)
            return
        if len(out) != len(self.random_tiles):
            return   # the count changed meanwhile; the new request is on its way
        for tile, view in zip(self.random_tiles, out):
            tile.set_array(view)

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

    def _update_original_boxes(self) -> None:
        c = self.params("crop")
        top, left, h, w = central_crop_region(self.image.shape, self.params("central_crop")["fraction"])
        self.tiles["original"].set_boxes([Box(c["top"], c["left"], c["height"], c["width"], BOX_COLORS["crop"]),
                                          Box(top, left, h, w, BOX_COLORS["central_crop"], dashed=True)])
        self.boxes_note.setText(f"<span style='color:{BOX_COLORS['crop'].name()}'>■</span> bounding box "
                                f"&nbsp; <span style='color:{BOX_COLORS['central_crop'].name()}'>■</span> "
                                "central crop")

    def _set_random_count(self, n: int) -> None:
        while len(self.random_tiles) > n:
            tile = self.random_tiles.pop()
            self.random_grid.removeWidget(tile)
            tile.deleteLater()
        while len(self.random_tiles) < n:
            tile = ImageTile(IMAGE_SIZE, MODEL_SCALE)
            tile.setToolTip("One training view: random crop, resize to 64×64, maybe flipped")
            self.random_tiles.append(tile)
        for i, tile in enumerate(self.random_tiles):
            self.random_grid.addWidget(tile, i // GRID_COLUMNS, i % GRID_COLUMNS)

    def _arrange_cards(self, force: bool = False) -> None:
        """Six cards in a row when they fit at a readable size, else three per row; tiles share one scale."""
        available = max(600, self.scroll.viewport().width() - 24)
        ref_h, ref_w = self.image.shape[:2] if self.image is not None else (218, 178)
        columns, scale = 6, (available / 6 - 42) / ref_w
        if scale < 0.85:
            columns, scale = 3, (available / 3 - 42) / ref_w
        scale = float(np.clip(scale, 0.5, 1.5))
        scale = min(scale, 300 / ref_h) if ref_h * scale > 300 else scale   # tall pictures: keep cards short
        if not force and columns == self._columns and abs(scale - self._scale) < 0.02:
            return
        self._columns, self._scale = columns, scale
        for tile in self.tiles.values():
            tile.set_geometry_rule((ref_h, ref_w), scale)
        self.eval_source_tile.set_geometry_rule((ref_h, ref_w), min(0.6, 130 / ref_h))
        for i, key in enumerate(("original", *KEYS)):
            card = self.cards[key]
            card.setFixedWidth(max(190, round(ref_w * scale) + 20))
            self.cards_grid.addWidget(card, i // columns, i % columns)
        for c in range(6):
            self.cards_grid.setColumnStretch(c, 0)
        self.cards_grid.setColumnStretch(columns, 1)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        QTimer.singleShot(0, self._on_resized)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if not self._started:
            self._started = True
            self._start_next()

    # ------------------------------------------------------------------------------------------- slots
    @Slot()
    def _on_resized(self) -> None:
        self._arrange_cards()

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

    @Slot(int)
    def _on_n_changed(self, n: int) -> None:
        self._set_random_count(n)
        for tile in self.random_tiles:
            if tile.array is None:
                tile.set_message(LOADING)
        self._request("random")

    @Slot(int)
    def _on_seed_changed(self, _seed: int) -> None:
        self._request("random")

    @Slot()
    def _on_new_samples_clicked(self) -> None:
        self.seed_spin.setValue(self.seed_spin.value() + 1)


def _shape_text(shape) -> str:
    return f"{shape[0]} × {shape[1]} × {shape[2]}  (H × W × C)"


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size:14px; font-weight:600; color:#24292f; padding-top:4px;")
    return label


def _card(title: str) -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    frame.setStyleSheet(CARD_STYLE)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 8, 10, 8)
    layout.setSpacing(6)
    layout.addWidget(QLabel(title))
    return frame


def _code_label() -> QLabel:
    label = QLabel()
    label.setFont(code_font())
    label.setStyleSheet(CODE_STYLE)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


if __name__ == "__main__":   # a preview of the panel: python -m cnnviz.qt.augment.panel [shot.png]
    import sys

    from PySide6.QtWidgets import QApplication

    from ..tasks import wait_for_tasks

    app = QApplication.instance() or QApplication(sys.argv)
    panel = AugmentPanel()
    panel.resize(1300, 900)
    panel.show()
    if len(sys.argv) > 1:
        while panel.is_busy() or not panel._loaded:
            app.processEvents()
        app.processEvents()
        panel.grab().save(sys.argv[1])
        wait_for_tasks()
    else:
        app.exec()
