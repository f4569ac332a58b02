"""A student's first hour with the Training tab's data box: a folder holding a FIFO and device nodes loads without
hanging, a slow load can be cancelled and never blocks the next one, a walk is bounded, every dataset row has
"Open file or folder…" that takes what the README's table accepts, a dropped file or folder is loaded, and the
"not found" message says in one line what to do."""
from __future__ import annotations

import os
import shutil
import stat
import threading

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

import cnnviz.core.data.image_folder as image_folder
from cnnviz.core.data import walk
from cnnviz.core.data.datasets import IDX_FILES
from cnnviz.core.data.readers import load_npz
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from training_panel_fixtures import no_modal_dialogs, panel  # noqa: F401 (fixtures)

L = LayerSpec.make
LOAD_MS = 60_000


def digits_spec() -> ModelSpec:
    return ModelSpec((28, 28, 1), [L("Flatten", "flatten"), L("Dense", "out", units=10, activation="softmax")])


def two_class_spec(size: int = 8) -> ModelSpec:
    return ModelSpec((size, size, 1), [L("Flatten", "flatten"), L("Dense", "out", units=2, activation="softmax")])


def image_folder_with_traps(root, per_class: int = 3):
    """root/a, root/b with PNGs, plus a FIFO, a character device (when allowed: we are root here), symlinks to
    /dev/zero and /dev/tty, a symlink to /dev, and a hidden file. Returns the names of the traps made."""
    from PIL import Image

    rng = np.random.default_rng(1)
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (10, 10), dtype=np.uint8)).save(root / cls / f"{i}.png")
    traps = ["fifo"]
    os.mkfifo(root / "a" / "fifo.png")            # open() blocks until a writer comes: the old walk hung here
    try:
        os.mknod(root / "b" / "console.png", stat.S_IFCHR | 0o600, os.makedev(5, 1))   # like /dev/console
        traps.append("char device")
    except (PermissionError, OSError):
        pass   # without CAP_MKNOD the symlinks below stand for device nodes
    (root / "b" / "zero.png").symlink_to("/dev/zero")   # endless reads
    (root / "a" / "tty.png").symlink_to("/dev/tty")
    (root / "a" / "dev").symlink_to("/dev")             # a linked folder is never entered
    (root / "b" / ".hidden.png").write_bytes(b"not an image")
    return traps


# ------------------------------------------------------------------------------------------------------- item 1
def test_the_walk_lists_regular_files_only(tmp_path):
    traps = image_folder_with_traps(tmp_path / "pics")
    assert "fifo" in traps and "char device" in traps   # the test runs as root in CI: both kinds of trap exist
    found = [p.relative_to(tmp_path / "pics").as_posix() for p in
             walk.FolderWalk(tmp_path / "pics").files(tmp_path / "pics")]
    assert found == ["a/0.png", "a/1.png", "a/2.png", "b/0.png", "b/1.png", "b/2.png"]
    assert walk.is_system_dir("/dev/pts") and not walk.is_system_dir(tmp_path)


def test_a_folder_with_a_fifo_and_device_nodes_loads_in_the_app(qtbot, panel, tmp_path):
    image_folder_with_traps(tmp_path / "pics")
    panel.set_spec(two_class_spec())
    box = panel.form.data_box
    box.select("folder")
    box.set_folder(str(tmp_path / "pics"))
    qtbot.waitUntil(lambda: panel.form.dataset is not None or box.error.isVisible(), timeout=LOAD_MS)
    assert not box.error.isVisible(), box.error.text()
    ds = panel.form.dataset
    assert ds.class_names == ("a", "b") and len(ds.x_train) + len(ds.x_test) == 6
    assert not ds.notes   # nothing was even tried: no FIFO, device or link was handed to the picture reader
    assert panel.train_button.isEnabled() and not box.busy_row.isVisible()


def test_a_walk_is_bounded_with_a_message_that_says_what_to_choose(qtbot, panel, tmp_path, monkeypatch):
    monkeypatch.setattr(walk, "MAX_FILES", 5)
    image_folder_with_traps(tmp_path / "pics")   # 6 images > 5
    panel.set_spec(two_class_spec())
    box = panel.form.data_box
    box.select("folder")
    box.set_folder(str(tmp_path / "pics"))
    qtbot.waitUntil(box.error.isVisible, timeout=LOAD_MS)
    assert (f"More than 5 files under {tmp_path / 'pics'}: choose the folder that holds the class folders"
            in box.error.text())
    assert panel.form.dataset is None and not panel.train_button.isEnabled()


class SlowReader:
    """Stands in for the picture reader: each image waits on ``gate`` (a read that takes long, or never ends)."""

    def __init__(self, real, wait_s: float | None) -> None:
        self.real, self.wait_s = real, wait_s
        self.gate = threading.Event()
        self.started = threading.Event()
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        self.started.set()
        self.gate.wait(self.wait_s)
        return self.real(*args, **kwargs)


def _many_images(root, n: int) -> None:
    from PIL import Image

    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            Image.new("L", (8, 8), i % 255).save(root / cls / f"{i:04d}.png")


def test_cancel_a_slow_load_then_the_sample_loads_and_train_is_enabled(qtbot, panel, tmp_path, monkeypatch):
    slow = SlowReader(image_folder._load_one, wait_s=0.05)
    monkeypatch.setattr(image_folder, "_load_one", slow)
    _many_images(tmp_path / "many", 400)   # 800 images x 50 ms: 40 s unless cancelled
    panel.set_spec(two_class_spec())
    box = panel.form.data_box
    box.select("folder")
    box.set_folder(str(tmp_path / "many"))
    assert box.busy_row.isVisibleTo(box) and box.cancel_button.isVisibleTo(box)
    qtbot.waitUntil(lambda: "Reading images" in box.status.text(), timeout=LOAD_MS)   # progress is shown
    assert not panel.train_button.isEnabled()
    qtbot.mouseClick(box.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "cancelled" in box.status.text(), timeout=LOAD_MS)
    assert panel.form.dataset is None and not box.busy_row.isVisibleTo(box)
    qtbot.waitUntil(lambda: not box.loads.busy(), timeout=LOAD_MS)   # it stopped at the next file
    assert slow.calls < 800
    panel.set_spec(digits_spec())
    box.select("mnist_sample")
    qtbot.waitUntil(lambda: panel.form.dataset is not None, timeout=LOAD_MS)
    assert box.name == "mnist_sample" and len(panel.form.dataset.x_train) == 3000
    assert panel.train_button.isEnabled()


def test_a_stuck_load_never_blocks_the_next_one(qtbot, panel, tmp_path, monkeypatch):
    stuck = SlowReader(image_folder._load_one, wait_s=None)   # the first image never finishes (until released)
    monkeypatch.setattr(image_folder, "_load_one", stuck)
    _many_images(tmp_path / "few", 2)
    panel.set_spec(two_class_spec())
    box = panel.form.data_box
    box.select("folder")
    box.set_folder(str(tmp_path / "few"))
    assert stuck.started.wait(30)
    try:
        panel.set_spec(digits_spec())
        box.select("mnist_sample")                 # no Cancel click: choosing another dataset is enough
        qtbot.waitUntil(lambda: panel.form.dataset is not None, timeout=LOAD_MS)
        assert box.name == "mnist_sample" and panel.train_button.isEnabled()
        assert not stuck.gate.is_set()             # ... while the folder load is still stuck in its read
    finally:
        stuck.gate.set()
    qtbot.waitUntil(lambda: not box.loads.busy(), timeout=LOAD_MS)
    assert box.name == "mnist_sample" and len(panel.form.dataset.x_train) == 3000   # the stale result was dropped


# ------------------------------------------------------------------------------------------------------- item 2
@pytest.fixture(scope="module")
def local_files(tmp_path_factory, mnist_npz_path):
    """The formats of the README's table, written from the full MNIST (and a tiny CIFAR-10 in its own format)."""
    import gzip
    import pickle

    root = tmp_path_factory.mktemp("first_hour_files")
    shutil.copy(mnist_npz_path, root / "mnist.npz")
    mnist = load_npz(mnist_npz_path)
    idx = root / "idx"
    idx.mkdir()
    for name, arr in zip(IDX_FILES, (mnist.x_train[:600, ..., 0], mnist.y_train[:600],
                                     mnist.x_test[:100, ..., 0], mnist.y_test[:100])):
        header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
        with gzip.open(idx / f"{name}.gz", "wb") as f:
            f.write(header + np.ascontiguousarray(arr, np.uint8).tobytes())
    cifar = root / "cifar-10-batches-py"
    cifar.mkdir()
    rng = np.random.default_rng(0)
    for name in ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"):
        data = rng.integers(0, 255, (20, 3072), dtype=np.uint8)
        with open(cifar / name, "wb") as f:
            pickle.dump({b"data": data, b"labels": [int(i) % 10 for i in range(20)]}, f)
    return root, mnist


def test_every_dataset_row_has_open_file_or_folder(qtbot, panel):
    box = panel.form.data_box
    for name in ("mnist", "fashion_mnist", "cifar10", "folder", "celeba"):
        box.select(name)
        assert box.folder_row.isVisibleTo(box), name
        assert box.browse_button.text() == "Open file or folder…"
    box.select("mnist_sample")
    assert not box.folder_row.isVisibleTo(box)


def test_open_mnist_npz_from_the_mnist_row(qtbot, panel, local_files, monkeypatch):
    root, mnist = local_files
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(root / "mnist.npz"), "")))
    panel.set_spec(digits_spec())
    box = panel.form.data_box
    box.select("mnist")
    qtbot.waitUntil(lambda: not box.is_loading(), timeout=LOAD_MS)
    qtbot.mouseClick(box.browse_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.form.dataset is not None and len(panel.form.dataset.x_train) == 60_000,
                    timeout=LOAD_MS)
    np.testing.assert_array_equal(panel.form.dataset.x_test, mnist.x_test)
    assert str(root / "mnist.npz") in panel.form.dataset.source and panel.train_button.isEnabled()
    assert panel.data_choice().path == str(root / "mnist.npz")   # what a run config carries


def test_open_one_idx_file_reads_its_folder(qtbot, panel, local_files, monkeypatch):
    root, mnist = local_files
    chosen = root / "idx" / "t10k-labels-idx1-ubyte.gz"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(chosen), "")))
    panel.set_spec(digits_spec())
    box = panel.form.data_box
    box.select("mnist")
    qtbot.mouseClick(box.browse_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.form.dataset is not None and len(panel.form.dataset.x_train) == 600,
                    timeout=LOAD_MS)
    np.testing.assert_array_equal(panel.form.dataset.x_train, mnist.x_train[:600])
    np.testing.assert_array_equal(panel.form.dataset.y_test, mnist.y_test[:100])


def _drop(widget, path) -> None:
    """As a drag from a file manager: enter (the box accepts local files), then drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    assert event.isAccepted()


def test_dropping_a_cifar_folder_on_the_data_box_picks_cifar10(qtbot, panel, local_files):
    root, _ = local_files
    panel.set_spec(ModelSpec((32, 32, 3), [L("Flatten", "f"), L("Dense", "out", units=10, activation="softmax")]))
    box = panel.form.data_box
    assert box.acceptDrops()
    _drop(box, root / "cifar-10-batches-py")
    qtbot.waitUntil(lambda: box.name == "cifar10" and panel.form.dataset is not None, timeout=LOAD_MS)
    assert panel.form.dataset.x_train.shape == (100, 32, 32, 3) and panel.train_button.isEnabled()
    assert box.folder_edit.text() == str(root / "cifar-10-batches-py")


def test_dropping_mnist_npz_while_the_sample_is_chosen_picks_mnist(qtbot, panel, local_files):
    root, _ = local_files
    box = panel.form.data_box
    _drop(box, root / "mnist.npz")
    qtbot.waitUntil(lambda: box.name == "mnist" and panel.form.dataset is not None, timeout=LOAD_MS)
    assert len(panel.form.dataset.x_train) == 60_000


def test_not_found_says_in_one_line_what_to_do(qtbot, panel, tmp_path, monkeypatch):
    import cnnviz.core.data.datasets as datasets

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(empty))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setattr(datasets, "_download_with_keras",
                        lambda key: (_ for _ in ()).throw(OSError("network is unreachable")))
    box = panel.form.data_box
    box.select("fashion_mnist")
    qtbot.waitUntil(box.error.isVisible, timeout=LOAD_MS)
    text = box.error.text()
    assert "\n" not in text and "Open file or folder…" in text and "fashion-mnist.npz" in text, text
    assert "Looked for" in box.error.toolTip()   # the whole story is one hover away
    assert box.sample_button.isVisible()
    # A chosen folder without the files: the reader's own one-line message names that folder.
    box.set_folder(str(empty))
    qtbot.waitUntil(lambda: str(empty) in box.error.text(), timeout=LOAD_MS)
    assert box.error.text().startswith(f"No Fashion-MNIST files in {empty}: choose")
    assert "\n" not in box.error.text()
