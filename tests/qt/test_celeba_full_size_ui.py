"""CelebA at full size in the app (issue 18): a CelebA-shaped folder of 202,599 images (the benchmark's writer:
CelebA's index files and split sizes, every image a hard link to one of a few generated faces). Choosing it in the
Training tab's data box and opening it in the Augment tab read its index on a worker thread, never the GUI thread,
and show the whole folder's counts."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from cnnviz.core.data import celeba as celeba_module
from cnnviz.qt.augment import AugmentPanel
from cnnviz.qt.training.data_box import CELEBA, CelebASource
from training_panel_fixtures import no_modal_dialogs, panel  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
TIMEOUT = 120_000   # ms: the first job imports TensorFlow (seconds on a shared 2-core machine)
SPLITS = (162_770, 19_867, 19_962)


@pytest.fixture(scope="module")
def full_size(tmp_path_factory) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.celeba_pipeline import write_images, write_index

    root = tmp_path_factory.mktemp("celeba-full-ui")
    write_images(root, write_index(root, SPLITS))
    return root


@pytest.fixture
def index_threads(monkeypatch):
    """The threads read_index ran on (the data box and the Augment tab both read the index through it)."""
    threads: list[threading.Thread] = []
    real = celeba_module.read_index

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(celeba_module, "read_index", spy)
    monkeypatch.setattr("cnnviz.qt.augment.source.read_index", spy)
    return threads


def test_the_data_box_reads_a_full_size_folder_off_the_gui_thread(qtbot, panel, full_size, monkeypatch,
                                                                   index_threads):
    box = panel.form.data_box
    box.select(CELEBA)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(full_size)))
    qtbot.mouseClick(box.browse_button, Qt.MouseButton.LeftButton)
    assert panel.form.dataset is None   # the click returned before the index was read: the window kept going
    qtbot.waitUntil(lambda: isinstance(panel.form.dataset, CelebASource), timeout=TIMEOUT)
    assert index_threads and all(t is not threading.main_thread() for t in index_threads)
    src = panel.form.dataset
    assert tuple(src.counts.values()) == SPLITS
    assert "162,770" in box.status.text() and not box.error.isVisible()
    assert box.preview.item_count() == 16


def test_the_augment_tab_opens_a_full_size_folder_off_the_gui_thread(qtbot, full_size, monkeypatch, index_threads):
    augment = AugmentPanel()
    qtbot.addWidget(augment)
    source = augment.source
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(full_size)))
    try:
        with qtbot.waitSignal(source.celeba_opened, timeout=TIMEOUT) as opened:
            source.open_folder_button.click()
            assert not index_threads or index_threads[0] is not threading.main_thread()
        assert opened.args == [sum(SPLITS)]
        assert index_threads and all(t is not threading.main_thread() for t in index_threads)
        assert source.index_spin.maximum() == sum(SPLITS) and "202,599" in source.count_label.text()
        source.index_spin.setValue(sum(SPLITS))   # the last face of the folder
        assert "202599.jpg" in source.description.text() and "test" in source.description.text()
    finally:
        assert augment.shutdown(TIMEOUT), "a background job was left running"
