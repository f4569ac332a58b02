"""Choosing the image to inspect: browse the dataset by split, class and index, or open an image file."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from cnnviz.core.inspect.inspection import IMAGE_SUFFIXES, InspectionError, load_image_file, to_model_input

from .colors import ERROR_STYLE, NOTE_STYLE
from .number_grid import NumberGrid

FILE_FILTER = ("Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ");;All files (*)")


class ImageChooser(QGroupBox):
    """Emits ``image_chosen(image, description)``: a float32 HWC image in 0..1 already converted to
    :attr:`input_shape` (the model's), and a line saying where it came from."""

    image_chosen = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Image", parent)
        self.dataset = None
        self.input_shape: tuple[int, int, int] | None = None
        self.image: np.ndarray | None = None
        self.label: int | None = None
        self.description = ""
        self._indices = np.zeros(0, np.int64)
        self._rng = np.random.default_rng(0)

        self.split = QComboBox()
        self.split.addItem("test images", "test")
        self.split.addItem("training images", "train")
        self.class_filter = QComboBox()
        self.index = QSpinBox()
        self.index.setKeyboardTracking(False)
        self.prev_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        self.random_button = QPushButton("Random")
        for b, tip in ((self.prev_button, "Previous image"), (self.next_button, "Next image"),
                       (self.random_button, "A random image of the chosen class")):
            b.setToolTip(tip)
        self.prev_button.setFixedWidth(34)
        self.next_button.setFixedWidth(34)
        self.file_button = QPushButton("Open image file…")
        self.file_button.setToolTip("PNG, JPEG, BMP, … any size or mode: converted to the model's input size "
                                    "(grayscale or RGB as it needs)")
        self.source_label = QLabel("Loading the MNIST sample…")
        self.source_label.setWordWrap(True)
        self.source_label.setStyleSheet(NOTE_STYLE)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self.thumbnail = NumberGrid(max_cell=8, min_cell=2)
        self.thumbnail.show_numbers = False
        self.thumbnail.setFixedSize(150, 150)

        grid = QGridLayout()
        grid.addWidget(QLabel("From"), 0, 0)
        grid.addWidget(self.split, 0, 1, 1, 3)
        grid.addWidget(QLabel("Class"), 1, 0)
        grid.addWidget(self.class_filter, 1, 1, 1, 3)
        grid.addWidget(QLabel("Index"), 2, 0)
        grid.addWidget(self.index, 2, 1)
        grid.addWidget(self.prev_button, 2, 2)
        grid.addWidget(self.next_button, 2, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.random_button)
        buttons.addWidget(self.file_button)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        layout.addWidget(self.thumbnail, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.source_label)
        layout.addWidget(self.error_label)

        self.split.currentIndexChanged.connect(self._on_filter_changed)
        self.class_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.index.valueChanged.connect(self._on_index_changed)
        self.prev_button.clicked.connect(self._on_prev_clicked)
        self.next_button.clicked.connect(self._on_next_clicked)
        self.random_button.clicked.connect(self._on_random_clicked)
        self.file_button.clicked.connect(self._on_file_clicked)
        self._set_browsing_enabled(False)

    # ----------------------------------------------------------------------------------------------- API
    def set_dataset(self, dataset) -> None:
        self.dataset = dataset
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItem("any class", -1)
        for k, name in enumerate(dataset.class_names):
            self.class_filter.addItem(f"{k}: {name}" if name != str(k) else name, k)
        self.class_filter.blockSignals(False)
        self._set_browsing_enabled(True)
        self._on_filter_changed()

    def set_input_shape(self, shape: tuple[int, int, int]) -> None:
        """The model's (H, W, C); re-emits the current dataset image converted to it."""
        changed = shape != self.input_shape
        self.input_shape = tuple(shape)
        if changed and self.dataset is not None and self.split.isEnabled():
            self._on_index_changed()

    def select(self, index: int, split: str = "test") -> None:
        """Show image ``index`` of ``split`` among all classes."""
        self.split.setCurrentIndex(self.split.findData(split))
        self.class_filter.setCurrentIndex(0)
        self.index.setValue(index)
        self._on_index_changed()

    def load_file(self, path: str) -> bool:
        """Load an image file; False (and a message on screen) when it cannot be read."""
        if self.input_shape is None:
            self._show_error("The model is still being prepared; try again in a moment.")
            return False
        try:
            image, note = load_image_file(path, self.input_shape)
        except InspectionError as exc:
            self._show_error(f"Could not use this file: {exc}")
            return False
        self.error_label.hide()
        self.label = None
        self._emit(image, f"File {note}")
        return True

    # ------------------------------------------------------------------------------------------- private
    def _set_browsing_enabled(self, on: bool) -> None:
        for w in (self.split, self.class_filter, self.index, self.prev_button, self.next_button, self.random_button):
            w.setEnabled(on)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _arrays(self):
        split = self.split.currentData()
        return getattr(self.dataset, f"x_{split}"), getattr(self.dataset, f"y_{split}")

    @Slot()
    def _on_filter_changed(self) -> None:
        if self.dataset is None:
            return
        _, y = self._arrays()
        cls = self.class_filter.currentData()
        self._indices = np.arange(len(y)) if cls is None or cls < 0 else np.flatnonzero(y == cls)
        self.index.blockSignals(True)
        self.index.setRange(0, max(0, len(self._indices) - 1))
        self.index.setValue(0)
        self.index.blockSignals(False)
        self._on_index_changed()

    @Slot()
    def _on_index_changed(self) -> None:
        if self.dataset is None or not len(self._indices) or self.input_shape is None:
            return
        x, y = self._arrays()
        k = int(self._indices[min(self.index.value(), len(self._indices) - 1)])
        self.label = int(y[k])
        name = self.dataset.class_names[self.label]
        split = "test" if self.split.currentData() == "test" else "training"
        image = to_model_input(x[k], self.input_shape)
        self.error_label.hide()
        self._emit(image, f"{self.dataset.name} {split} image #{k}, true class {name}")

    def _emit(self, image: np.ndarray, description: str) -> None:
        self.show_image(image, description)
        self.image_chosen.emit(image, description)

    def show_image(self, image: np.ndarray, description: str) -> None:
        """Show ``image`` (HWC 0..1) as the current one without announcing it (it came from another tab)."""
        self.image, self.description = image, description
        self.source_label.setText(description)
        shown = image[..., 0] if image.shape[2] == 1 else image.mean(axis=2)
        self.thumbnail.set_data(shown, 0.0, 1.0, "gray")

    @Slot()
    def _on_prev_clicked(self) -> None:
        self.index.setValue(max(self.index.minimum(), self.index.value() - 1))

    @Slot()
    def _on_next_clicked(self) -> None:
        self.index.setValue(min(self.index.maximum(), self.index.value() + 1))

    @Slot()
    def _on_random_clicked(self) -> None:
        if len(self._indices):
            self.index.setValue(int(self._rng.integers(len(self._indices))))

    @Slot()
    def _on_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", FILE_FILTER)
        if path:
            self.load_file(path)
