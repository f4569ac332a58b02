"""The "Data" part of the set-up form: pick a dataset from the registry, load it off the GUI thread, preview it.

Every dataset read from disk has an "Open file or folder…" row (data_source.py), and a file or folder dropped on
the box is recognised and loaded. Loads run through a LoadRunner (cnnviz.qt.tasks): a newer load cancels the one
before, "Cancel" stops the current one, progress is shown as it comes, and a slow or stuck load never holds up
the next (e.g. the bundled sample after a folder that was too big). A failed load shows the DatasetError's
message; when nothing was found locally the message says in one line what to choose, and a button offers the
bundled sample. The status line, progress row, message and sample button are a :class:`LoadFeedback`
(load_feedback.py).

"CelebA (folder)" is streamed from disk while training (cnnviz.core.data.celeba): choosing it reads only the index
files (off the GUI thread) into a :class:`CelebASource` (celeba_source.py); the training worker builds the
tf.data pipelines from it.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QSpinBox, QVBoxLayout, QWidget

from cnnviz.core.data.celeba import CELEBA_ATTRIBUTES, DEFAULT_ATTRIBUTE, CelebAIndex
from cnnviz.core.data.choice import DataChoice
from cnnviz.core.data.dataset import Dataset, DatasetError
from cnnviz.core.data.datasets import DATASETS, DEFAULT_DATASET, load_dataset

from ..tasks import LoadRunner
from .celeba_source import CELEBA, CELEBA_TEST_LIMIT, CELEBA_TITLE, CELEBA_VALID_LIMIT, CelebASource, load_celeba_source
from .data_preview import ClassCountsPlot, celeba_preview_items, celeba_summary, dataset_preview_items, dataset_summary
from .data_source import DataSourceRow, accepts_path, dropped_path, recognize
from .images import ThumbnailStrip
from .load_feedback import LoadFeedback, explain_failure

__all__ = ["CELEBA", "CelebASource", "DataBox"]


def _load(name: str, path: str | None, image_size: tuple[int, int], color_mode: str) -> Dataset | DatasetError:
    """Runs on a load thread; a DatasetError is returned (not raised) so its ``suggest_sample`` survives."""
    try:
        return load_dataset(name, path=path or None, image_size=image_size, color_mode=color_mode)
    except DatasetError as exc:
        return exc


class DataBox(QGroupBox):
    """Dataset chooser with preview. ``dataset_changed(Dataset or None)`` after each load (None: failed, cancelled
    or nothing chosen yet)."""

    dataset_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Data", parent)
        self.loads = LoadRunner("data-loads", self)
        self.loads.done.connect(self._on_loads_done)
        self.loads.failed.connect(self._on_loads_failed)
        self.loads.cancelled.connect(self._on_loads_cancelled)
        self.loads.progress.connect(self._on_loads_progress)
        self.dataset: Dataset | None = None
        self._token = 0
        self._paths: dict[str, str] = {}      # the file or folder chosen for each dataset
        self._input_shape: tuple[int, int, int] = (28, 28, 1)
        self.setAcceptDrops(True)
        self.setToolTip("Drop a data file or folder here (mnist.npz, IDX files, cifar-10-batches-py/, a folder of "
                        "class folders, a CelebA folder)")

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
        self.folder_row = DataSourceRow()
        self.folder_edit, self.browse_button = self.folder_row.edit, self.folder_row.button
        self.folder_row.path_chosen.connect(self._on_folder_row_path_chosen)

        self.feedback = LoadFeedback()   # status, progress + cancel, error + sample offer, as attributes here too
        f = self.feedback
        self.status, self.progress, self.cancel_button, self.busy_row, self.error, self.sample_button = (
            f.status, f.progress, f.cancel_button, f.busy_row, f.error, f.sample_button)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.sample_button.clicked.connect(self._on_sample_button_clicked)

        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(0, 10_000_000)
        self.limit_spin.setSingleStep(500)
        self.limit_spin.setSpecialValueText("all")
        self.limit_spin.setToolTip("Train on a subset of the training images: quick experiments. Chosen at random "
                                   "with the seed, each class keeping its share (as cnnviz-cli train --limit). "
                                   "The validation images are taken from this subset.")

        self.preview = ThumbnailStrip(columns=8, cell=34, placeholder="loading…")
        self.counts_plot = ClassCountsPlot()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Dataset", self.combo)
        form.addRow("From", self.folder_row)
        form.addRow("Attribute", self.attribute_combo)
        self._form = form
        form.addRow("Images to use", self.limit_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for w in (*self.feedback.widgets, self.preview, self.counts_plot):
            layout.addWidget(w)
        self.feedback.show_error(None)
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
        """The file or folder to read the current dataset from (loads it)."""
        self.folder_edit.setText(path)
        self._paths[self.name] = path
        if accepts_path(self.name):
            self.reload()

    def open_path(self, path: str) -> bool:
        """Load a file or folder as whatever dataset it holds (see data_source.recognize; a file the current
        dataset reads goes to it). False, with a message, when it is no dataset cnnviz reads."""
        name = recognize(path)
        if name is None and accepts_path(self.name) and self.name != "folder":
            name = self.name
        if name is None:
            self._fail(f"{path} is not a dataset cnnviz reads: drop or open mnist.npz, the IDX files, "
                       "cifar-10-batches-py/, a CelebA folder or a folder with one subfolder of images per class.",
                       offer_sample=False)
            return False
        self._paths[name] = path
        if name == self.name:
            self.set_folder(path)
        else:
            self.select(name)   # reloads with the path just noted
        return True

    def set_data_choice(self, choice: DataChoice) -> bool:
        """Choose what ``choice`` records (a run folder's or the last session's data): the dataset, its file or
        folder, the images to use, CelebA's attribute; loads it. False when cnnviz has no such dataset."""
        if self.combo.findData(choice.name) < 0:
            return False
        if choice.path:
            self._paths[choice.name] = choice.path
        if choice.attribute and self.attribute_combo.findText(choice.attribute) >= 0:
            self.attribute_combo.blockSignals(True)
            self.attribute_combo.setCurrentText(choice.attribute)
            self.attribute_combo.blockSignals(False)
        self.limit_spin.setValue(choice.limit or 0)
        if choice.name == self.name:
            self.reload()
        else:
            self.select(choice.name)
        return True

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
        file or folder, how a folder is read (the model's input size and colour), the images to use, CelebA's
        limits."""
        name = self.name
        path = self.folder_edit.text().strip() or None
        if name == CELEBA:
            src = self.dataset if isinstance(self.dataset, CelebASource) else None
            return DataChoice(CELEBA, path=path, limit=self.images_limit(), attribute=self.attribute,
                              valid_limit=src.valid_limit if src else CELEBA_VALID_LIMIT,
                              test_limit=src.test_limit if src else CELEBA_TEST_LIMIT)
        if name == "folder":
            h, w, c = self._input_shape
            return DataChoice(name, path=path, limit=self.images_limit(), image_size=(h, w),
                              color_mode="rgb" if c == 3 else "grayscale")
        return DataChoice(name, path=path if accepts_path(name) else None, limit=self.images_limit())

    def is_loading(self) -> bool:
        return self.loads.current != 0

    def cancel(self) -> None:
        """Stop the current load (as the Cancel button does)."""
        if self.is_loading():
            self.loads.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        return self.loads.shutdown(timeout_ms)

    def reload(self) -> None:
        self.dataset = None
        self.feedback.show_error(None)
        name = self.name
        celeba = name == CELEBA
        self._form.setRowVisible(self.folder_row, accepts_path(name))
        self._form.setRowVisible(self.attribute_combo, celeba)
        self.folder_row.set_dataset(name)
        self.folder_edit.setText(self._paths.get(name, ""))
        if celeba:
            self._reload_celeba()
            return
        if DATASETS[name].needs_path and not self.folder_edit.text():
            self._idle("Choose a folder that holds one subfolder of images per class (“Open file or folder…”, or "
                       "drop it here).")
            return
        h, w, c = self._input_shape
        self._start(f"Loading {DATASETS[name].title}…", _load, name, self.folder_edit.text() if accepts_path(name)
                    else None, (h, w), "rgb" if c == 3 else "grayscale")

    def _reload_celeba(self) -> None:
        folder = self.folder_edit.text()
        if not folder:
            self._idle("Choose your CelebA folder: the one holding img_align_celeba/ (the 178x218 JPEGs), "
                       "list_attr_celeba.txt and list_eval_partition.txt.")
            self._set_counts(None)
            return
        index = self._celeba_index
        if index is None or folder not in (str(index.folder), str(index.image_dir)):
            index = self._celeba_index = None
        self._start("Reading the CelebA index files…" if index is None else "Choosing the attribute…",
                    load_celeba_source, index or folder, self.attribute)

    def _idle(self, text: str) -> None:
        """Nothing to load yet: say what to choose (and stop a load still running)."""
        self.loads.cancel()
        self._token = 0
        self.busy_row.hide()
        self.status.setText(text)
        self.preview.set_items([])
        self.dataset_changed.emit(None)

    def _start(self, text: str, fn, *args) -> None:
        self.feedback.start(text)
        self.preview.placeholder = "loading…"
        self.preview.set_items([])
        self._token = self.loads.submit(fn, *args)

    # --- slots ----------------------------------------------------------------------------------------
    @Slot()
    def _on_combo_current_index_changed(self) -> None:
        self.reload()

    @Slot()
    def _on_attribute_combo_current_index_changed(self) -> None:
        if self.name == CELEBA:
            self.reload()

    @Slot(str)
    def _on_folder_row_path_chosen(self, path: str) -> None:
        self.set_folder(path)

    @Slot()
    def _on_sample_button_clicked(self) -> None:
        self.select(DEFAULT_DATASET)

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        self.cancel()

    @Slot(int, object)
    def _on_loads_done(self, token: int, result: object) -> None:
        if token != self._token:
            return
        self.busy_row.hide()
        if isinstance(result, DatasetError):
            self._fail(explain_failure(result, self.name, bool(self.folder_edit.text())),
                       offer_sample=result.suggest_sample, details=str(result))
            return
        self.dataset = result
        if isinstance(result, CelebASource):
            self._celeba_index = result.index
            self._show_celeba(result)
        else:
            self._show_dataset(result)
        self.dataset_changed.emit(result)

    @Slot(int, str, str)
    def _on_loads_failed(self, token: int, message: str, details: str) -> None:
        if token == self._token:
            self.busy_row.hide()
            self._fail(message, offer_sample=self.name != DEFAULT_DATASET, details=details)

    @Slot(int)
    def _on_loads_cancelled(self, token: int) -> None:
        if token != self._token:
            return   # replaced by a newer load: that one reports
        self.busy_row.hide()
        self.dataset = None
        self.status.setText("Loading cancelled. Choose a dataset, file or folder (or the same again).")
        self.preview.placeholder = "no data"
        self.preview.set_items([])
        self._set_counts(None)
        self.dataset_changed.emit(None)

    @Slot(int, str, int, int)
    def _on_loads_progress(self, token: int, what: str, done: int, total: int) -> None:
        if token != self._token:
            return
        self.feedback.show_progress(what, done, total)

    def _fail(self, message: str, offer_sample: bool, details: str = "") -> None:
        self.dataset = None
        self.status.setText("")
        self.feedback.show_error(message, offer_sample=offer_sample and self.name != DEFAULT_DATASET, details=details)
        self.preview.placeholder = "no data"
        self.preview.set_items([])
        self._set_counts(None)
        self.dataset_changed.emit(None)

    # --- drag and drop --------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if dropped_path(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        path = dropped_path(event)
        if path:
            event.acceptProposedAction()
            self.open_path(path)

    # --- display --------------------------------------------------------------------------------------
    def _show_dataset(self, ds: Dataset) -> None:
        self.status.setText(dataset_summary(ds))
        self.status.setToolTip(ds.source)
        self.limit_spin.setMaximum(len(ds.x_train))
        self.preview.set_items(dataset_preview_items(ds))
        self._set_counts(ds)

    def _show_celeba(self, src: CelebASource) -> None:
        self.status.setText(celeba_summary(src))
        self.status.setToolTip(src.source)
        self.limit_spin.setMaximum(max(1, src.counts["train"]))
        self.preview.set_items(celeba_preview_items(src))
        self._set_counts(src)

    def _set_counts(self, ds) -> None:
        self.counts_plot.set_counts(ds)
