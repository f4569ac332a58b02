"""The "Data" part of the set-up form: pick a dataset from the registry, load it off the GUI thread, preview it.

A failed load shows the DatasetError's message; when the error says the bundled sample is a sensible offer
(nothing local, download failed) a button switches to it.

"CelebA (folder)" is streamed from disk while training (cnnviz.core.data.celeba): choosing it reads only the index
files (off the GUI thread) into a :class:`CelebASource` - counts per split, the attribute to predict and a few
faces as the model will see them; the training worker builds the tf.data pipelines from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from cnnviz.core.data.celeba import (CELEBA_ATTRIBUTES, CLASSIC_TRAIN_LIMIT, CLASSIC_VALID_LIMIT, DEFAULT_ATTRIBUTE,
                                IMAGE_SIZE, SPLITS, CelebAError, CelebAIndex)
from cnnviz.core.data.choice import DataChoice
from cnnviz.core.data.dataset import Dataset, DatasetError
from cnnviz.core.data.datasets import DATASETS, DEFAULT_DATASET, load_dataset

from ..tasks import TaskRunner
from .images import ThumbnailStrip

ERROR_STYLE = "QLabel { color: #b71c1c; background: #fdecea; border: 1px solid #f5c2c0; padding: 4px; }"
PREVIEW_COUNT = 16
CELEBA = "celeba"
CELEBA_TITLE = "CelebA (folder)"
CELEBA_VALID_LIMIT = CLASSIC_VALID_LIMIT   # first N validation images (the lecture: 1,000)
CELEBA_TEST_LIMIT = 1_000                  # first N test images, evaluated and shown after training


@dataclass(eq=False)
class CelebASource:
    """CelebA chosen in the Data box: what the training worker streams from, and what the form shows.

    Quacks like a :class:`~cnnviz.core.data.dataset.Dataset` where the panel needs it (``name``, ``input_shape``,
    ``num_classes``, ``class_names``, ``source``); ``x_train`` / ``y_train`` are only the preview faces (uint8
    64x64x3, evaluation view) so the augmentation preview has something to show. ``counts`` / ``positives``:
    images (and how many have the attribute) per split ("train", "valid", "test") in the whole folder.
    """

    index: CelebAIndex
    attribute: str
    counts: dict[str, int]
    positives: dict[str, int]
    x_train: np.ndarray
    y_train: np.ndarray
    valid_limit: int | None = CELEBA_VALID_LIMIT
    test_limit: int | None = CELEBA_TEST_LIMIT
    notes: tuple[str, ...] = field(default_factory=tuple)

    name = CELEBA
    num_classes = 2

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (*IMAGE_SIZE, 3)

    @property
    def class_names(self) -> tuple[str, str]:
        from cnnviz.core.data.celeba import class_names_for

        return class_names_for(self.attribute)

    @property
    def folder(self) -> str:
        return str(self.index.folder)

    @property
    def source(self) -> str:
        return (f"CelebA in {self.index.folder} ({self.index.image_dir.name}/, {self.index.attr_file.name}, "
                f"{self.index.partition_file.name}): attribute {self.attribute}")

    def class_counts(self, split: str = "train") -> np.ndarray:
        key = {"test": "test", "valid": "valid"}.get(split, "train")
        return np.array([self.counts[key] - self.positives[key], self.positives[key]], np.int64)


def _load_celeba(folder: str | CelebAIndex, attribute: str) -> CelebASource | DatasetError:
    """Runs on the task thread: read the index (or reuse it), count per split, decode a few faces."""
    from cnnviz.core.data.celeba import decode_image, eval_transform, read_index

    try:
        index = folder if isinstance(folder, CelebAIndex) else read_index(folder)
        column = index.attribute_column(attribute)
        has = index.attributes[:, column]
        counts = {s: int(np.sum(index.partition == v)) for v, s in enumerate(SPLITS)}
        positives = {s: int(np.sum(has[index.partition == v])) for v, s in enumerate(SPLITS)}
        if counts["train"] == 0:
            raise CelebAError(f"{index.partition_file.name} puts no images in the training partition (0).")
        rows = np.flatnonzero(index.partition == 0)
        rows = rows[np.unique(np.linspace(0, len(rows) - 1, min(PREVIEW_COUNT, len(rows))).astype(int))]
        faces = []
        for name in index.filenames[rows].tolist():
            path = index.image_dir / name
            if not path.is_file():
                raise CelebAError(f"{index.image_dir.name}/{name} is listed in {index.attr_file.name} but is not in "
                                  f"{index.image_dir}. Extract the complete img_align_celeba.zip.")
            try:
                face = np.asarray(eval_transform(decode_image(str(path))))
            except Exception as exc:  # noqa: BLE001 - a broken JPEG: say which
                raise CelebAError(f"{index.image_dir.name}/{name} cannot be decoded as an image "
                                  f"({type(exc).__name__}).") from exc
            faces.append((np.clip(face, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
        return CelebASource(index, index.attribute_names[column], counts, positives, np.stack(faces),
                            has[rows].astype(np.int64))
    except DatasetError as exc:
        return exc


def _load(name: str, path: str | None, image_size: tuple[int, int], color_mode: str) -> Dataset | DatasetError:
    """Runs on the task thread; a DatasetError is returned (not raised) so its ``suggest_sample`` survives."""
    try:
        return load_dataset(name, path=path or None, image_size=image_size, color_mode=color_mode)
    except DatasetError as exc:
        return exc


class DataBox(QGroupBox):
    """Dataset chooser with preview. ``dataset_changed(Dataset or None)`` after each load (None: failed)."""

    dataset_changed = Signal(object)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Data", parent)
        self.tasks = tasks
        self.dataset: Dataset | None = None
        self._token = 0
        self._input_shape: tuple[int, int, int] = (28, 28, 1)
        tasks.task_done.connect(self._on_tasks_task_done)
        tasks.task_failed.connect(self._on_tasks_task_failed)

        self.combo = QComboBox()
        for info in DATASETS.values():
            self.combo.addItem(info.title, info.name)
            self.combo.setItemData(self.combo.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
        self.combo.addItem(CELEBA_TITLE, CELEBA)
        self.combo.setItemData(self.combo.count() - 1, "CelebA (Liu et al., 2015): aligned celebrity faces with 40 "
                               "yes/no attributes; predict one (the lecture: Male). Streamed from your CelebA folder "
                               "(img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt); random crops "
                               "and flips for training, centre crops for evaluation, 64x64 RGB.",
                               Qt.ItemDataRole.ToolTipRole)
        self.attribute_combo = QComboBox()
        self.attribute_combo.addItems(CELEBA_ATTRIBUTES)
        self.attribute_combo.setCurrentText(DEFAULT_ATTRIBUTE)
        self.attribute_combo.setToolTip("The yes/no attribute the model learns to predict (one sigmoid output)")
        self._celeba_index: CelebAIndex | None = None
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("folder with one subfolder per class")
        self.folder_edit.setReadOnly(True)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        self.folder_row = QWidget()
        row = QHBoxLayout(self.folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.browse_button)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample_button = QPushButton("Use the bundled MNIST sample instead")
        self.sample_button.clicked.connect(self._on_sample_button_clicked)

        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(0, 10_000_000)
        self.limit_spin.setSingleStep(500)
        self.limit_spin.setSpecialValueText("all")
        self.limit_spin.setToolTip("Train on a subset of the training images: quick experiments. Chosen at random "
                                   "with the seed, each class keeping its share (as cnnviz-cli train --limit). "
                                   "The validation images are taken from this subset.")

        self.preview = ThumbnailStrip(columns=8, cell=34, placeholder="loading…")
        self.counts_plot = pg.PlotWidget()
        self.counts_plot.setBackground("w")
        self.counts_plot.setFixedHeight(110)
        self.counts_plot.setMouseEnabled(False, False)
        self.counts_plot.hideButtons()
        self.counts_plot.setMenuEnabled(False)
        self.counts_plot.setTitle("training images per class", size="9pt")
        self._bars: pg.BarGraphItem | None = None

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Dataset", self.combo)
        form.addRow("Folder", self.folder_row)
        form.addRow("Attribute", self.attribute_combo)
        self._form = form
        form.addRow("Images to use", self.limit_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.sample_button)
        layout.addWidget(self.preview)
        layout.addWidget(self.counts_plot)
        self._show_error(None)
        self.combo.currentIndexChanged.connect(self._on_combo_current_index_changed)
        self.attribute_combo.currentIndexChanged.connect(self._on_attribute_combo_current_index_changed)
        self.select(DEFAULT_DATASET)
        self._on_combo_current_index_changed()

    # --- API ------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.combo.currentData()

    def select(self, name: str) -> None:
        """Choose a registry entry (loads it)."""
        self.combo.setCurrentIndex(self.combo.findData(name))

    @property
    def attribute(self) -> str:
        """The CelebA attribute to predict."""
        return self.attribute_combo.currentText()

    def set_folder(self, path: str) -> None:
        self.folder_edit.setText(path)
        if self.name in ("folder", CELEBA):
            self.reload()

    def set_input_shape(self, shape: tuple[int, int, int]) -> None:
        """The model's input (H, W, C): image folders are resized to it."""
        shape = tuple(int(v) for v in shape)
        if shape != self._input_shape:
            self._input_shape = shape
            if self.name == "folder" and self.folder_edit.text():
                self.reload()

    def images_limit(self) -> int | None:
        return self.limit_spin.value() or None

    def loaded_data(self):
        """What the core Run trains on, as loaded here: a Dataset, a CelebAIndex (CelebA is streamed from disk;
        the CelebASource around it only feeds the form and the previews), or None while nothing is loaded."""
        return self.dataset.index if isinstance(self.dataset, CelebASource) else self.dataset

    def data_choice(self) -> DataChoice:
        """What is chosen, as the core Run's record (what a run config and a run folder carry): the dataset, its
        folder, how a folder is read (the model's input size and colour), the images to use, CelebA's limits."""
        name = self.name
        folder = self.folder_edit.text().strip() or None
        if name == CELEBA:
            src = self.dataset if isinstance(self.dataset, CelebASource) else None
            return DataChoice(CELEBA, path=folder, limit=self.images_limit(), attribute=self.attribute,
                              valid_limit=src.valid_limit if src else CELEBA_VALID_LIMIT,
                              test_limit=src.test_limit if src else CELEBA_TEST_LIMIT)
        if name == "folder":
            h, w, c = self._input_shape
            return DataChoice(name, path=folder, limit=self.images_limit(), image_size=(h, w),
                              color_mode="rgb" if c == 3 else "grayscale")
        return DataChoice(name, path=folder if DATASETS[name].needs_path else None, limit=self.images_limit())

    def reload(self) -> None:
        self.dataset = None
        self._show_error(None)
        name = self.name
        celeba = name == CELEBA
        self._form.setRowVisible(self.folder_row, celeba or DATASETS[name].needs_path)
        self._form.setRowVisible(self.attribute_combo, celeba)
        self.folder_edit.setPlaceholderText("CelebA folder (img_align_celeba/, list_attr_celeba.txt, …)" if celeba
                                            else "folder with one subfolder per class")
        self.counts_plot.setTitle("training images per class", size="9pt")
        if celeba:
            self._reload_celeba()
            return
        if DATASETS[name].needs_path and not self.folder_edit.text():
            self.status.setText("Choose a folder that holds one subfolder of images per class.")
            self.preview.set_items([])
            self.dataset_changed.emit(None)
            return
        h, w, c = self._input_shape
        self.status.setText(f"Loading {DATASETS[name].title}…")
        self.preview.placeholder = "loading…"
        self.preview.set_items([])
        self._token = self.tasks.submit(_load, name, self.folder_edit.text(), (h, w), "rgb" if c == 3 else "grayscale")

    def _reload_celeba(self) -> None:
        folder = self.folder_edit.text()
        if not folder:
            self.status.setText("Choose your CelebA folder: the one holding img_align_celeba/ (the 178x218 JPEGs), "
                                "list_attr_celeba.txt and list_eval_partition.txt.")
            self.preview.set_items([])
            self._set_counts(None)
            self.dataset_changed.emit(None)
            return
        index = self._celeba_index
        if index is None or folder not in (str(index.folder), str(index.image_dir)):
            index = self._celeba_index = None
        self.status.setText("Reading the CelebA index files…" if index is None else "Choosing the attribute…")
        self.preview.placeholder = "loading…"
        self.preview.set_items([])
        self._token = self.tasks.submit(_load_celeba, index or folder, self.attribute)

    # --- slots ----------------------------------------------------------------------------------------
    @Slot()
    def _on_combo_current_index_changed(self) -> None:
        self.reload()

    @Slot()
    def _on_attribute_combo_current_index_changed(self) -> None:
        if self.name == CELEBA:
            self.reload()

    @Slot()
    def _on_browse_button_clicked(self) -> None:
        title = "CelebA folder" if self.name == CELEBA else "Folder with one subfolder per class"
        path = QFileDialog.getExistingDirectory(self, title, self.folder_edit.text())
        if path:
            self.set_folder(path)

    @Slot()
    def _on_sample_button_clicked(self) -> None:
        self.select(DEFAULT_DATASET)

    @Slot(int, object)
    def _on_tasks_task_done(self, token: int, result: object) -> None:
        if token != self._token:
            return
        if isinstance(result, DatasetError):
            self._fail(str(result), offer_sample=result.suggest_sample)
            return
        self.dataset = result
        if isinstance(result, CelebASource):
            self._celeba_index = result.index
            self._show_celeba(result)
        else:
            self._show_dataset(result)
        self.dataset_changed.emit(result)

    @Slot(int, str, str)
    def _on_tasks_task_failed(self, token: int, message: str, details: str) -> None:
        if token == self._token:
            self._fail(message, offer_sample=self.name != DEFAULT_DATASET)

    def _fail(self, message: str, offer_sample: bool) -> None:
        self.dataset = None
        self.status.setText("")
        self._show_error(message, offer_sample=offer_sample and self.name != DEFAULT_DATASET)
        self.preview.placeholder = "no data"
        self.preview.set_items([])
        self._set_counts(None)
        self.dataset_changed.emit(None)

    # --- display --------------------------------------------------------------------------------------
    def _show_error(self, message: str | None, offer_sample: bool = False) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.sample_button.setVisible(bool(message) and offer_sample)

    def _show_dataset(self, ds: Dataset) -> None:
        h, w, c = ds.input_shape
        notes = f"<br><i>{len(ds.notes)} file(s) skipped</i>" if ds.notes else ""
        self.status.setText(f"<b>{len(ds.x_train):,}</b> training + <b>{len(ds.x_test):,}</b> test images, "
                            f"{h}×{w}×{c}, {ds.num_classes} classes{notes}")
        self.status.setToolTip(ds.source)
        self.limit_spin.setMaximum(len(ds.x_train))
        rng = np.random.default_rng(0)
        idx = np.sort(rng.choice(len(ds.x_train), size=min(PREVIEW_COUNT, len(ds.x_train)), replace=False))
        self.preview.set_items([(ds.x_train[i], _short(ds.class_names[ds.y_train[i]]), None) for i in idx])
        self._set_counts(ds)

    def _show_celeba(self, src: CelebASource) -> None:
        c, p = src.counts, src.positives
        per_split = ", ".join(f"<b>{c[s]:,}</b> {s} ({p[s]:,} {html_escape(src.attribute)})" for s in SPLITS)
        used = (f"Training streams the images from disk (the lecture used {CLASSIC_TRAIN_LIMIT:,}: set "
                f"“Images to use”); validation: the first {min(c['valid'], CELEBA_VALID_LIMIT):,} valid images; "
                f"results: the first {min(c['test'], CELEBA_TEST_LIMIT):,} test images.")
        self.status.setText(f"CelebA: {per_split}; 64×64×3, classes “{src.class_names[0]}” / "
                            f"“{src.class_names[1]}”.<br><i>{used}</i>")
        self.status.setToolTip(src.source)
        self.limit_spin.setMaximum(max(1, c["train"]))
        self.preview.set_items([(img, _short(src.attribute if y else "not", 9), None)
                                for img, y in zip(src.x_train, src.y_train)])
        self._set_counts(src)

    def _set_counts(self, ds: Dataset | None) -> None:
        if self._bars is not None:
            self.counts_plot.removeItem(self._bars)
            self._bars = None
        if ds is None:
            return
        counts = ds.class_counts("train")
        x = np.arange(len(counts))
        self._bars = pg.BarGraphItem(x=x, height=counts, width=0.7, brush="#0072b2", pen=None)
        self.counts_plot.addItem(self._bars)
        axis = self.counts_plot.getAxis("bottom")
        step = max(1, len(counts) // 12)
        axis.setTicks([[(i, _short(ds.class_names[i])) for i in range(0, len(counts), step)]])
        self.counts_plot.setXRange(-0.6, len(counts) - 0.4, padding=0)
        self.counts_plot.setYRange(0, max(1, int(counts.max())) * 1.1, padding=0)
        self.counts_plot.setToolTip("\n".join(f"{n}: {int(k):,}" for n, k in zip(ds.class_names, counts)))


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def _short(name: str, n: int = 7) -> str:
    return name if len(name) <= n else name[:n - 1] + "…"
