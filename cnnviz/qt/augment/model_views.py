"""What the model sees of a face: the random 64x64 training views (a grid, with a seed and "new samples") and
the one deterministic evaluation view, each with the lecture's preprocessing code. Shows results; the panel
computes them."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QBoxLayout, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from cnnviz.core.data.celeba import IMAGE_SIZE

from .jobs import JobError, eval_region, evaluation_code, training_code
from .tiles import BOX_COLORS, CARD_STYLE, CODE_STYLE, LOADING, NOTE_STYLE, Box, ImageTile, code_font

MODEL_SCALE = 2          # 64x64 model inputs drawn at 2x, crisp
EVAL_WIDTH = 320
GRID_COLUMNS = 6         # at most this many training views per row
DEFAULT_VIEWS = 8


class ModelViews(QWidget):
    """Two cards side by side. ``random_requested`` when the number of views or the seed changes."""

    random_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.random_tiles: list[ImageTile] = []
        self._grid_cols = 0
        self._width = 1200

        self.n_spin = QSpinBox()
        self.n_spin.setRange(1, 24)
        self.n_spin.setValue(DEFAULT_VIEWS)
        self.n_spin.setToolTip("How many training views of this face to draw")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 999_999)
        self.seed_spin.setValue(1)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("The same seed gives the same views (the pipeline uses seeded, stateless ops)")
        self.new_samples_button = QPushButton("New samples")
        self.new_samples_button.setToolTip("Draw other random views (seed + 1), as the next epoch would")
        controls = QHBoxLayout()
        for w in (QLabel("views"), self.n_spin, QLabel("  seed"), self.seed_spin, self.new_samples_button):
            controls.addWidget(w)
        controls.addStretch(1)
        self.random_grid = QGridLayout()
        self.random_grid.setSpacing(6)
        self.random_grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.training_code = code_label()
        self.views_layout = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.views_layout.setSpacing(12)
        self.views_layout.addLayout(self.random_grid)
        self.views_layout.addWidget(self.training_code, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.views_layout.addStretch(1)
        train = card("Training: random augmentation",
                     "Random square crop → resize to 64×64 → flip left-right half the time (<code>random_augmented"
                     "</code>, the very function the training pipeline maps). Every epoch the network sees other "
                     "views of the same face.")
        train.layout().addLayout(controls)
        train.layout().addLayout(self.views_layout)
        train.layout().addStretch(1)

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
        self.eval_size.setWordWrap(True)
        self.evaluation_code = code_label()
        evaluation = card("Evaluation: centre crop + resize",
                          "Validation and test images are not augmented: always the centred square, resized to "
                          "64×64 (<code>evaluation_view</code>), so scores are comparable between epochs.")
        evaluation.setFixedWidth(EVAL_WIDTH)
        evaluation.layout().addLayout(pair)
        evaluation.layout().addWidget(self.eval_size)
        evaluation.layout().addStretch(1)
        evaluation.layout().addWidget(self.evaluation_code)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(train, 1)
        row.addWidget(evaluation, 0)
        self.n_spin.valueChanged.connect(self._on_n_changed)
        self.seed_spin.valueChanged.connect(self._on_seed_changed)
        self.new_samples_button.clicked.connect(self._on_new_samples_clicked)
        self._set_count(DEFAULT_VIEWS)

    # ----------------------------------------------------------------------------------------------- API
    def set_image(self, image: np.ndarray) -> None:
        """A new face: outline its evaluation square, write the code for its size, mark the views as loading."""
        shape = image.shape
        self.eval_source_tile.set_geometry_rule(shape[:2], min(0.6, 130 / shape[0], 130 / shape[1]))
        self.eval_source_tile.set_array(image)
        top, left, side, _ = eval_region(shape)
        self.eval_source_tile.set_boxes([Box(top, left, side, side, BOX_COLORS["eval"])])
        self.eval_size.setText(f"centre {side}×{side} of {shape[0]}×{shape[1]}  →  "
                               f"{IMAGE_SIZE[0]}×{IMAGE_SIZE[1]}×3, float32 in 0..1")
        self.training_code.setText(training_code(shape))
        self.evaluation_code.setText(evaluation_code(shape))
        for tile in (*self.random_tiles, self.eval_tile):
            tile.set_message(LOADING)

    def random_kwargs(self) -> dict:
        return {"n": self.n_spin.value(), "seed": self.seed_spin.value()}

    def show_random(self, out) -> None:
        """``random_augmented``'s (n, 64, 64, 3) result, or a JobError."""
        if isinstance(out, JobError):
            for tile in self.random_tiles:
                tile.set_message(str(out), error=True)
        elif len(out) == len(self.random_tiles):      # else the count changed meanwhile: a new result follows
            for tile, view in zip(self.random_tiles, out):
                tile.set_array(view)

    def show_eval(self, out) -> None:
        if isinstance(out, JobError):
            self.eval_tile.set_message(str(out), error=True)
        else:
            self.eval_tile.set_array(out)

    def set_available_width(self, width: int) -> None:
        """Lay the training views out for ``width`` pixels: beside their code when four or more fit."""
        self._width = width
        if self._columns(len(self.random_tiles)) != self._grid_cols:
            self._set_count(len(self.random_tiles))

    # ------------------------------------------------------------------------------------------- private
    def _columns(self, n: int) -> int:
        available = self._width - EVAL_WIDTH - 8 - 20 - 12
        cell = IMAGE_SIZE[1] * MODEL_SCALE + 8
        fit = (available - self.training_code.sizeHint().width()) // cell
        beside = fit >= min(4, n)
        if not beside:
            fit = available // cell
        self.views_layout.setDirection(QBoxLayout.Direction.LeftToRight if beside
                                       else QBoxLayout.Direction.TopToBottom)
        rows = -(-n // max(2, min(GRID_COLUMNS, fit)))
        return -(-n // rows)          # balanced: 8 views make 2 rows of 4, not 6 + 2

    def _set_count(self, n: int) -> None:
        while len(self.random_tiles) > n:
            tile = self.random_tiles.pop()
            self.random_grid.removeWidget(tile)
            tile.deleteLater()
        while len(self.random_tiles) < n:
            tile = ImageTile(IMAGE_SIZE, MODEL_SCALE)
            tile.setToolTip("One training view: random crop, resize to 64×64, maybe flipped")
            self.random_tiles.append(tile)
        self._grid_cols = self._columns(n)
        for i, tile in enumerate(self.random_tiles):
            self.random_grid.addWidget(tile, i // self._grid_cols, i % self._grid_cols)

    @Slot(int)
    def _on_n_changed(self, n: int) -> None:
        self._set_count(n)
        for tile in self.random_tiles:
            if tile.array is None:
                tile.set_message(LOADING)
        self.random_requested.emit()

    @Slot(int)
    def _on_seed_changed(self, _seed: int) -> None:
        self.random_requested.emit()

    @Slot()
    def _on_new_samples_clicked(self) -> None:
        self.seed_spin.setValue(self.seed_spin.value() + 1)


def card(title: str, note: str = "") -> QFrame:
    """A white rounded frame with a bold title and a grey note; add to its ``layout()``."""
    frame = QFrame()
    frame.setObjectName("card")
    frame.setStyleSheet(CARD_STYLE)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 8, 10, 8)
    layout.setSpacing(6)
    layout.addWidget(QLabel(f"<b>{title}</b>"))
    if note:
        label = QLabel(note)
        label.setWordWrap(True)
        label.setStyleSheet(NOTE_STYLE)
        layout.addWidget(label)
    return frame


def code_label() -> QLabel:
    label = QLabel()
    label.setFont(code_font())
    label.setStyleSheet(CODE_STYLE)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
