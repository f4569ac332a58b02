"""Where a dataset's files are: the data box's "Open file or folder…" row, and what a dropped file or folder is.

Every dataset that is read from disk has the row: MNIST and Fashion-MNIST open a file by default (an .npz, or one
of the four IDX files, which stands for its folder), CIFAR-10 a folder (cifar-10-batches-py/), the image folder
and CelebA a folder; the button's menu offers the other kind. :func:`recognize` tells which dataset a dropped
path holds, so dropping mnist.npz or cifar-10-batches-py/ on the data box picks the right row.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QMenu, QToolButton, QWidget

from cnnviz.core.data.datasets import DATASETS
from cnnviz.core.data.readers import CIFAR_BATCHES, find_idx_files
from cnnviz.core.data.walk import is_regular_file

CELEBA = "celeba"
FILE_DATASETS = ("mnist", "fashion_mnist", "cifar10")   # one file or a folder of files
FOLDER_DATASETS = ("folder", CELEBA)                    # a folder only
# What to choose, in a few words (the README's dataset table; DATASETS[...].accepted_files has every spelling).
WHAT_TO_CHOOSE = {
    "mnist": "mnist.npz or the folder with the four IDX files (train-images-idx3-ubyte, …)",
    "fashion_mnist": "fashion-mnist.npz or the folder with its four IDX files",
    "cifar10": "the cifar-10-batches-py folder or cifar10.npz",
    "folder": "a folder with one subfolder of images per class",
    CELEBA: "the CelebA folder (img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt)",
}
PLACEHOLDERS = {
    "mnist": "mnist.npz or a folder with the IDX files",
    "fashion_mnist": "fashion-mnist.npz or a folder with the IDX files",
    "cifar10": "cifar-10-batches-py/ or cifar10.npz",
    "folder": "folder with one subfolder per class",
    CELEBA: "CelebA folder (img_align_celeba/, list_attr_celeba.txt, …)",
}
_FILE_FILTER = "Data files (*.npz *.gz *ubyte*);;All files (*)"
_DEFAULT_FILE = ("mnist", "fashion_mnist")   # a file dialog on click; the others open a folder dialog


def accepts_path(name: str) -> bool:
    """True for the datasets read from a chosen file or folder (every one but the bundled sample)."""
    return name in FILE_DATASETS or name in FOLDER_DATASETS


def dropped_path(event) -> str | None:
    """The first local file or folder a drag event carries, or None."""
    mime = event.mimeData()
    urls = [u for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
    return urls[0].toLocalFile() if urls else None


def _fashion(path: Path) -> bool:
    return "fashion" in str(path).lower()


def recognize(path: str | Path) -> str | None:
    """The dataset a file or folder holds, by the README's table: an .npz by its name (fashion…, cifar…, else
    MNIST), an IDX file, a CIFAR-10 batch, a folder holding any of those, CelebA's layout, or a folder of class
    folders ("folder"). None when it is none of them (or not a regular file or folder: a FIFO, a device)."""
    p = Path(path)
    if p.is_dir():
        try:
            names = {c.name for c in p.iterdir()}
        except OSError:
            return None
        if p.name == "cifar-10-batches-py" or CIFAR_BATCHES[0] in names or "cifar-10-batches-py" in names:
            return "cifar10"
        if p.name == "img_align_celeba" or "img_align_celeba" in names or "list_attr_celeba.txt" in names:
            return CELEBA
        if find_idx_files(p):
            return "fashion_mnist" if _fashion(p) else "mnist"
        for npz in sorted(n for n in names if n.lower().endswith(".npz")):
            return recognize(p / npz)
        if any((p / n).is_dir() and not n.startswith(".") for n in names):
            return "folder"
        return None
    if not is_regular_file(p):
        return None
    lower = p.name.lower()
    if lower.endswith(".npz"):
        return "fashion_mnist" if "fashion" in lower else "cifar10" if "cifar" in lower else "mnist"
    if p.name in CIFAR_BATCHES or p.name == "batches.meta":
        return "cifar10"
    if p.name in {f.name for f in find_idx_files(p.parent).values()}:
        return "fashion_mnist" if _fashion(p.parent) else "mnist"
    return None


class DataSourceRow(QWidget):
    """A read-only path field and an "Open file or folder…" button (click: the usual kind for the dataset; the
    arrow's menu: the other). ``path_chosen(path)`` after a choice."""

    path_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset = "mnist"
        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        self.button = QToolButton()
        self.button.setText("Open file or folder…")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.button)
        self.file_action = menu.addAction("Open a file…", self._on_file_action_triggered)
        self.folder_action = menu.addAction("Open a folder…", self._on_folder_action_triggered)
        self.button.setMenu(menu)
        self.button.clicked.connect(self._on_button_clicked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        self.set_dataset("mnist")

    def set_dataset(self, name: str) -> None:
        self.dataset = name
        self.edit.setPlaceholderText(PLACEHOLDERS.get(name, ""))
        self.file_action.setVisible(name in FILE_DATASETS)
        tip = f"Choose {WHAT_TO_CHOOSE.get(name, 'the data')}; or drop it on this box."
        info = DATASETS.get(name)
        if info is not None and info.accepted_files:
            tip += f"\nAccepted: {info.accepted_files}."
        self.button.setToolTip(tip)

    def _title(self) -> str:
        info = DATASETS.get(self.dataset)
        title = "CelebA" if self.dataset == CELEBA else info.title if info else "data"
        return f"{title}: choose {WHAT_TO_CHOOSE.get(self.dataset, 'the data')}"

    @Slot()
    def _on_button_clicked(self) -> None:
        if self.dataset in _DEFAULT_FILE:
            self._on_file_action_triggered()
        else:
            self._on_folder_action_triggered()

    @Slot()
    def _on_file_action_triggered(self) -> None:
        start = self.edit.text()
        path, _ = QFileDialog.getOpenFileName(self, self._title(), start, _FILE_FILTER)
        if path:
            self.path_chosen.emit(path)

    @Slot()
    def _on_folder_action_triggered(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self._title(), self.edit.text())
        if path:
            self.path_chosen.emit(path)
