"""Augment tab: the lecture's transformations of one face, each equal to the core function's output for the
parameters on screen; the training views (reproducible from a seed) and the evaluation view; faces from a file,
a CelebA folder or the built-in synthetic example."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnviz.core.data.augment_preview import (LECTURE_TRANSFORMS, adjust_contrast, crop_box, evaluation_view,
                                         random_augmented)
from cnnviz.qt.augment import AugmentPanel
from cnnviz.qt.augment.faces import SYNTHETIC_NOTE, synthetic_face
from cnnviz.qt.augment.tiles import LOADING
from celeba_miniature import make_celeba

TIMEOUT = 90_000   # ms: the first job imports TensorFlow (seconds on a shared 2-core machine)


def _squash(code: str) -> str:
    return "".join(code.split())


def _idle(qtbot, panel: AugmentPanel) -> None:
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=TIMEOUT)


@pytest.fixture
def panel(qtbot):
    widget = AugmentPanel()
    qtbot.addWidget(widget)
    widget.resize(1300, 900)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    # a job still running would outlive the test (and the autouse fixture would fail it)
    assert widget.shutdown(TIMEOUT), "a background job was left running"


@pytest.fixture
def warnings(monkeypatch):
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a, **k:
                                                             shown.append((title, text)) or QMessageBox.Ok))
    return shown


def test_every_lecture_transform_is_shown_beside_the_original(qtbot, panel):
    face = synthetic_face()
    # the panel is on screen at once; the pictures follow when the Task reports
    assert np.array_equal(panel.tiles["original"].array, face)
    assert SYNTHETIC_NOTE in panel.source.description.text()
    _idle(qtbot, panel)
    assert set(panel.tiles) == {"original", *(t.key for t in LECTURE_TRANSFORMS)}
    for t in LECTURE_TRANSFORMS:
        tile = panel.tiles[t.key]
        assert not tile.message and not tile.is_error, (t.key, tile.message)
        assert panel.params(t.key) == t.params                                   # defaults: the lecture's values
        np.testing.assert_array_equal(tile.array, t.apply(face, **t.params))
        assert _squash(panel.cards[t.key].code.text()) == _squash(t.code)     # the lecture's call, as written
    assert panel.tiles["crop"].array.shape == (128, 128, 3)
    assert "128 × 128 × 3" in panel.cards["crop"].size_label.text()
    assert len(panel.random_tiles) == 8
    np.testing.assert_array_equal(np.stack([t.array for t in panel.random_tiles]), random_augmented(face, 8, 1))
    np.testing.assert_array_equal(panel.eval_tile.array, evaluation_view(face))
    assert "random_crop" in panel.training_code.text() and "offset_height=20" in panel.evaluation_code.text()


def test_a_new_panel_says_loading_until_the_first_result(qtbot):
    widget = AugmentPanel()
    qtbot.addWidget(widget)
    widget.show()
    assert widget.tiles["contrast"].message == LOADING and widget.status.isVisibleTo(widget)
    with qtbot.waitSignal(widget.results_shown, timeout=TIMEOUT):
        pass
    _idle(qtbot, widget)
    assert widget.tiles["contrast"].array is not None and not widget.status.isVisibleTo(widget)
    assert widget.shutdown(TIMEOUT)


def test_changing_a_parameter_updates_its_tile_and_its_code(qtbot, panel):
    _idle(qtbot, panel)
    face = panel.image
    flip_before = panel.tiles["flip"].array
    panel.controls["contrast"]["factor"].setValue(3.0)
    _idle(qtbot, panel)
    np.testing.assert_array_equal(panel.tiles["contrast"].array, adjust_contrast(face, 3.0))
    assert "contrast_factor=3)" in _squash(panel.cards["contrast"].code.text())
    assert panel.tiles["flip"].array is flip_before                              # the others are not redone

    panel.controls["contrast"]["factor"].slider.setValue(5)                    # the slider moves in 0.1 steps
    _idle(qtbot, panel)
    assert panel.params("contrast") == {"factor": 0.5}
    np.testing.assert_array_equal(panel.tiles["contrast"].array, adjust_contrast(face, 0.5))

    crop = panel.controls["crop"]
    crop["top"].setValue(30)
    crop["width"].setValue(150)
    _idle(qtbot, panel)
    np.testing.assert_array_equal(panel.tiles["crop"].array, crop_box(face, 30, 20, 128, 150))
    box = panel.tiles["original"].boxes[0]
    assert (box.top, box.left, box.height, box.width) == (30, 20, 128, 150)   # outlined on the original
    crop["left"].setValue(40)                                                  # 40 + 150 > 178 columns
    _idle(qtbot, panel)
    assert panel.tiles["crop"].is_error and "does not fit" in panel.tiles["crop"].message

    panel.reset_button.click()
    _idle(qtbot, panel)
    for t in LECTURE_TRANSFORMS:
        assert panel.params(t.key) == t.params
        np.testing.assert_array_equal(panel.tiles[t.key].array, t.apply(face, **t.params))


def test_random_views_change_with_new_samples_and_repeat_for_a_seed(qtbot, panel):
    _idle(qtbot, panel)
    face = panel.image
    panel.n_spin.setValue(5)
    panel.seed_spin.setValue(7)
    _idle(qtbot, panel)
    assert len(panel.random_tiles) == 5 and panel.random_grid.count() == 5
    first = np.stack([t.array for t in panel.random_tiles])
    np.testing.assert_array_equal(first, random_augmented(face, 5, 7))

    panel.new_samples_button.click()
    _idle(qtbot, panel)
    assert panel.seed_spin.value() == 8
    second = np.stack([t.array for t in panel.random_tiles])
    assert second.shape == (5, 64, 64, 3) and not np.array_equal(first, second)

    panel.seed_spin.setValue(7)
    _idle(qtbot, panel)
    np.testing.assert_array_equal(np.stack([t.array for t in panel.random_tiles]), first)


def test_open_an_image_file_and_a_bad_one(qtbot, panel, tmp_path, monkeypatch, warnings):
    _idle(qtbot, panel)
    rows, cols = np.mgrid[0:240, 0:200]
    picture = np.stack([rows, cols, (rows + cols) // 2], axis=-1).astype(np.uint8)
    good = tmp_path / "face.png"
    Image.fromarray(picture).save(good)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(good), "")))
    panel.source.open_image_button.click()
    assert not warnings
    np.testing.assert_array_equal(panel.image, picture)
    assert "face.png" in panel.source.description.text()
    _idle(qtbot, panel)
    np.testing.assert_array_equal(panel.tiles["flip"].array, picture[:, ::-1])
    assert "size=(240,200)" in _squash(panel.cards["central_crop"].code.text())
    assert panel.controls["crop"]["top"].maximum() == 239                   # ranges follow the picture

    bad = tmp_path / "bad.png"
    bad.write_bytes(b"this is not a picture")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bad), "")))
    panel.source.open_image_button.click()
    assert len(warnings) == 1 and "bad.png" in warnings[0][1] and "not an image cnnviz can read" in warnings[0][1]
    np.testing.assert_array_equal(panel.image, picture)                       # the face stays

    panel.source.synthetic_button.click()
    np.testing.assert_array_equal(panel.image, synthetic_face())
    _idle(qtbot, panel)


def test_set_image_converts_gray_and_float_pictures(qtbot, panel):
    gray = np.linspace(0.0, 1.0, 100 * 90, dtype=np.float32).reshape(100, 90)
    panel.set_image(gray)
    assert panel.image.shape == (100, 90, 3) and panel.image.dtype == np.uint8 and panel.image[-1, -1, 0] == 255
    _idle(qtbot, panel)
    assert panel.tiles["brightness"].array.shape == (100, 90, 3)


# ------------------------------------------------------------------------------------------------ CelebA
def make_faces(root: Path) -> list[np.ndarray]:
    """The shared miniature CelebA with four images (train, valid, test, test), read back as the panel reads them."""
    truth = make_celeba(root, sizes=(1, 1, 2))
    return [np.asarray(Image.open(root / "img_align_celeba" / name).convert("RGB")) for name in truth["names"]]


def test_open_and_browse_a_celeba_folder(qtbot, panel, tmp_path, monkeypatch, warnings):
    faces = make_faces(tmp_path / "celeba")
    source = panel.source
    assert not source.index_spin.isEnabled()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "celeba")))
    with qtbot.waitSignal(source.celeba_opened, timeout=TIMEOUT) as opened:
        source.open_folder_button.click()
    assert opened.args == [4] and not warnings
    assert source.index_spin.isEnabled() and source.index_spin.maximum() == 4 and "of 4" in source.count_label.text()
    np.testing.assert_array_equal(panel.image, faces[0])
    assert "000001.jpg" in source.description.text() and "train" in source.description.text()

    source.index_spin.setValue(3)
    np.testing.assert_array_equal(panel.image, faces[2])
    assert "000003.jpg" in source.description.text() and "test" in source.description.text()
    source.prev_button.click()
    np.testing.assert_array_equal(panel.image, faces[1])
    _idle(qtbot, panel)
    _idle(qtbot, panel)
    np.testing.assert_array_equal(panel.tiles["crop"].array, crop_box(faces[1]))
    np.testing.assert_array_equal(panel.eval_tile.array, evaluation_view(faces[1]))

    (tmp_path / "celeba" / "img_align_celeba" / "000004.jpg").unlink()       # listed but missing
    source.index_spin.setValue(4)
    assert source.error_label.isVisibleTo(source) and "#4" in source.error_label.text()
    np.testing.assert_array_equal(panel.image, faces[1])
    _idle(qtbot, panel)


def test_a_folder_that_is_not_celeba_is_explained(qtbot, panel, tmp_path, monkeypatch, warnings):
    (tmp_path / "holiday").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "holiday")))
    with qtbot.waitSignal(panel.source.celeba_failed, timeout=TIMEOUT):
        panel.source.open_folder_button.click()
    assert len(warnings) == 1 and "img_align_celeba" in warnings[0][1]
    assert panel.source.celeba_index is None and not panel.source.index_spin.isEnabled()
    assert panel.source.open_folder_button.isEnabled()
    _idle(qtbot, panel)
