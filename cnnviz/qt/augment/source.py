"""Choosing the face: an image file, a CelebA folder browsed by index, or the built-in synthetic example."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from cnnviz.core.data.celeba import CelebAError, read_index

from ..concurrency import IOPool, JobClient
from .faces import SYNTHETIC_NOTE, ImageReadError, celeba_caption, read_rgb, synthetic_face
from .tiles import ERROR_STYLE, NOTE_STYLE

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


class FaceSource(QWidget):
    """Emits ``image_chosen(image, description)`` with a uint8 (H, W, 3) picture and where it came from.

    ``celeba_index`` is the :class:`~cnnviz.core.data.celeba.CelebAIndex` of the opened folder (None before); its
    images are browsed with ``index_spin`` (1-based, like CelebA's file names 000001.jpg ...).
    """

    image_chosen = Signal(object, str)
    celeba_opened = Signal(int)         # number of images in the folder's index
    celeba_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, pool: IOPool | None = None) -> None:
        super().__init__(parent)
        self.celeba_index = None
        self._own_pool = pool is None
        self.pool = IOPool("celeba-index", parent=self) if pool is None else pool
        self._jobs = JobClient(self.pool, self)
        self._jobs.finished.connect(self._on_jobs_finished)
        self._jobs.failed.connect(self._on_jobs_failed)

        self.open_image_button = QPushButton("Open image…")
        self.open_image_button.setToolTip("Any PNG or JPEG picture (ideally a face)")
        self.open_folder_button = QPushButton("Open CelebA folder…")
        self.open_folder_button.setToolTip("The folder holding img_align_celeba/, list_attr_celeba.txt and "
                                           "list_eval_partition.txt")
        self.synthetic_button = QPushButton("Synthetic example")
        self.synthetic_button.setToolTip("The built-in drawn face (no files needed)")
        self.index_spin = QSpinBox()
        self.index_spin.setPrefix("#")
        self.index_spin.setRange(1, 1)
        self.index_spin.setKeyboardTracking(False)
        self.index_spin.setToolTip("Image number in the CelebA folder (1 = 000001.jpg)")
        self.count_label = QLabel("of —")
        self.count_label.setStyleSheet(NOTE_STYLE)
        self.prev_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        for b, tip in ((self.prev_button, "Previous CelebA image"), (self.next_button, "Next CelebA image")):
            b.setFixedWidth(32)
            b.setToolTip(tip)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.open_image_button)
        row.addWidget(self.open_folder_button)
        row.addWidget(self.synthetic_button)
        sep = QFrame()
        sep.setFrameShape(QFrame.Shape.VLine)
        sep.setStyleSheet("color:#ccc;")
        row.addWidget(sep)
        row.addWidget(QLabel("CelebA image"))
        row.addWidget(self.prev_button)
        row.addWidget(self.index_spin)
        row.addWidget(self.next_button)
        row.addWidget(self.count_label)
        row.addSpacing(10)
        row.addWidget(self.description, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        self._set_browsing_enabled(False)

        self.open_image_button.clicked.connect(self._on_open_image_clicked)
        self.open_folder_button.clicked.connect(self._on_open_folder_clicked)
        self.synthetic_button.clicked.connect(self._on_synthetic_clicked)
        self.index_spin.valueChanged.connect(self._on_index_changed)
        self.prev_button.clicked.connect(self._on_prev_clicked)
        self.next_button.clicked.connect(self._on_next_clicked)

    # ----------------------------------------------------------------------------------------------- API
    def synthetic(self) -> tuple[np.ndarray, str]:
        return synthetic_face(), SYNTHETIC_NOTE

    def show_description(self, text: str, synthetic: bool = False) -> None:
        style = "color:#7a5b00; background:#fff3cd; border:1px solid #e0c36a; border-radius:4px; padding:2px 6px;"
        self.description.setStyleSheet(style if synthetic else NOTE_STYLE)
        self.description.setText(text)

    def open_image_file(self, path: str) -> bool:
        """Read a picture file and emit it; False (and a message box) when it cannot be read."""
        try:
            image, note = read_rgb(path)
        except ImageReadError as exc:
            QMessageBox.warning(self, "Cannot open this image", str(exc))
            return False
        self.error_label.hide()
        self.image_chosen.emit(image, f"Image file {note}")
        return True

    def open_celeba_folder(self, path: str) -> None:
        """Read the folder's index files on a pool thread; ``celeba_opened`` or ``celeba_failed`` follows."""
        self.open_folder_button.setEnabled(False)
        self.show_description(f"Reading the CelebA index in {path}…")
        self._jobs.submit("index", read_index, path)   # a newer folder replaces one still being read

    def is_busy(self) -> bool:
        return self._jobs.busy()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        if self._own_pool:
            return self.pool.shutdown(timeout_ms)
        self._jobs.cancel_all()
        return True

    def show_celeba_image(self, number: int) -> bool:
        """Decode CelebA image ``number`` (1-based) and emit it; an unreadable file is reported under the bar."""
        index = self.celeba_index
        if index is None or not 1 <= number <= len(index):
            return False
        row = number - 1
        try:
            path = index.image_path(row)   # always inside the dataset's image folder, whatever the index names
            image, _ = read_rgb(path, max_side=None)
        except (ImageReadError, CelebAError) as exc:
            self.error_label.setText(f"CelebA image #{number}: {exc}")
            self.error_label.show()
            return False
        self.error_label.hide()
        self.image_chosen.emit(image, celeba_caption(index, row))
        return True

    # ------------------------------------------------------------------------------------------- private
    def _set_browsing_enabled(self, on: bool) -> None:
        for w in (self.index_spin, self.prev_button, self.next_button):
            w.setEnabled(on)

    @Slot(str, object)
    def _on_jobs_finished(self, _key: str, index) -> None:
        self._on_index_read(index)

    @Slot(str, str, str)
    def _on_jobs_failed(self, _key: str, message: str, _details: str) -> None:
        self._on_index_failed(message)

    def _on_index_read(self, index) -> None:
        self.open_folder_button.setEnabled(True)
        if len(index) == 0:
            self._on_index_failed(f"{index.attr_file} lists no images.")
            return
        self.celeba_index = index
        self.index_spin.blockSignals(True)
        self.index_spin.setRange(1, len(index))
        self.index_spin.setValue(1)
        self.index_spin.blockSignals(False)
        self.count_label.setText(f"of {len(index):,}")
        self._set_browsing_enabled(True)
        self.celeba_opened.emit(len(index))
        self.show_celeba_image(1)

    def _on_index_failed(self, message: str) -> None:
        self.open_folder_button.setEnabled(True)
        self.show_description("The CelebA folder could not be opened (see the message).")
        QMessageBox.warning(self, "Not a CelebA folder", message)
        self.celeba_failed.emit(message)

    @Slot()
    def _on_open_image_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a face image", "", IMAGE_FILTER)
        if path:
            self.open_image_file(path)

    @Slot()
    def _on_open_folder_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open the CelebA folder (with img_align_celeba/)")
        if path:
            self.open_celeba_folder(path)

    @Slot()
    def _on_synthetic_clicked(self) -> None:
        self.error_label.hide()
        self.image_chosen.emit(*self.synthetic())

    @Slot(int)
    def _on_index_changed(self, number: int) -> None:
        self.show_celeba_image(number)

    @Slot()
    def _on_prev_clicked(self) -> None:
        self.index_spin.setValue(self.index_spin.value() - 1)

    @Slot()
    def _on_next_clicked(self) -> None:
        self.index_spin.setValue(self.index_spin.value() + 1)
