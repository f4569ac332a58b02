"""Preprocessing a drawing or a picture the way MNIST was prepared, and the shipped model reading the result.

No Qt here: drawings are numpy arrays, pictures are files written with Pillow.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cnnviz.core.data.preprocess import (BOX, FIELD, NOTHING_DRAWN, PreprocessError, as_gray_float, load_image,
                                    preprocess_array, preprocess_file)


def _paper(size: int = 280) -> np.ndarray:
    return np.full((size, size), 255, np.uint8)


def _com(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[0:image.shape[0], 0:image.shape[1]]
    total = image.sum()
    return float((image * ys).sum() / total), float((image * xs).sum() / total)


def _bbox(image: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


@pytest.fixture(scope="module")
def shipped():
    from cnnviz.core.model.inference import Predictor
    from cnnviz.core.model.pretrained import load_shipped_model

    return Predictor(load_shipped_model())


@pytest.fixture(scope="module")
def mnist_test(mnist_npz_path):
    with np.load(mnist_npz_path) as data:
        return data["x_test"], data["y_test"]


# ---------------------------------------------------------------------------------------------- steps
def test_empty_canvas_is_nothing_drawn_not_an_error():
    result = preprocess_array(_paper())
    assert result.empty and result.image is None and result.message == NOTHING_DRAWN
    assert [name for name, _ in result.steps][0] == "input" and len(result.steps) == 2
    with pytest.raises(ValueError, match="nothing drawn"):
        result.model_input()
    assert preprocess_array(np.zeros((50, 50), np.float32)).empty  # black, no ink either


def test_every_step_is_a_named_float_image_and_the_result_is_mnist_shaped():
    canvas = _paper()
    canvas[60:220, 120:160] = 0                      # a tall bar: a "1"
    result = preprocess_array(canvas)
    names = [name for name, _ in result.steps]
    assert names == ["input", "inverted: white ink on black", "cropped to the ink", "fit in 20×20",
                     "centred in 28×28", "scaled to 0..1"]
    for _, step in result.steps:
        assert step.ndim == 2 and step.dtype == np.float32 and 0.0 <= step.min() and step.max() <= 1.0
    assert result.steps[2][1].shape == (160, 40)     # the crop is the ink's bounding box
    assert result.steps[3][1].shape == (BOX, 5)      # 160x40 scaled to fit 20x20, aspect kept
    image = result.image
    assert image.shape == (FIELD, FIELD) and image.max() == pytest.approx(1.0) and image.min() == 0.0
    assert result.inverted
    assert result.model_input().shape == (1, 28, 28, 1)
    cy, cx = _com(image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_dark_on_light_and_light_on_dark_give_the_same_input():
    canvas = _paper()
    canvas[50:80, 60:220] = 0
    canvas[80:230, 180:205] = 0
    a = preprocess_array(canvas)
    b = preprocess_array(255 - canvas)
    assert a.inverted and not b.inverted
    np.testing.assert_allclose(a.image, b.image, atol=1e-5)


def test_an_mnist_digit_survives_preprocessing_nearly_unchanged(mnist_test):
    x, _ = mnist_test
    for digit in x[:20]:
        out = preprocess_array(digit).image
        assert np.corrcoef(out.ravel(), digit.ravel() / 255.0)[0, 1] > 0.9


def test_a_single_dot_gives_a_centred_blob():
    canvas = _paper()
    yy, xx = np.mgrid[0:280, 0:280]
    canvas[(yy - 40) ** 2 + (xx - 250) ** 2 <= 36] = 0   # a 13 px dot near a corner
    result = preprocess_array(canvas)
    assert not result.empty
    h, w = _bbox(result.image > 0)
    assert max(h, w) <= BOX + 1
    cy, cx = _com(result.image)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert result.notes                               # says it was enlarged a lot


def test_a_drawing_touching_every_edge():
    canvas = _paper()
    canvas[:, :12] = 0
    canvas[:12, :] = 0
    canvas[np.arange(280), np.arange(280)] = 0
    result = preprocess_array(canvas)                 # half the border is ink: still read as dark on light
    assert result.inverted and not result.empty and result.image.shape == (28, 28)
    h, w = _bbox(result.image > 0.05)
    assert h <= BOX + 1 and w <= BOX + 1
    assert np.isfinite(result.image).all()


def test_anti_aliased_and_faint_inputs():
    canvas = np.full((100, 140), 0.9, np.float32)     # grey paper, mid-grey pencil
    canvas[20:80, 60:70] = 0.45
    result = preprocess_array(canvas)
    assert result.inverted and result.image.max() == pytest.approx(1.0)
    faint = np.full((100, 100), 0.9, np.float32)
    faint[40:60, 40:60] = 0.88                        # below the contrast that counts as ink
    assert preprocess_array(faint).empty


def test_array_forms_and_refusals():
    rgb = np.full((40, 40, 3), 255, np.uint8)
    rgb[10:30, 18:22] = (0, 0, 0)
    assert not preprocess_array(rgb).empty
    rgba = np.zeros((40, 40, 4), np.uint8)            # transparent everywhere (white page) but the ink
    rgba[10:30, 18:22] = (0, 0, 0, 255)
    np.testing.assert_allclose(preprocess_array(rgba).image, preprocess_array(rgb).image, atol=1e-6)
    assert as_gray_float(np.full((4, 4), 65535, np.uint16)).max() == pytest.approx(1.0)
    with pytest.raises(PreprocessError, match="NaN"):
        preprocess_array(np.full((8, 8), np.nan))
    with pytest.raises(PreprocessError, match="shape"):
        preprocess_array(np.zeros((2, 3, 4, 5)))
    with pytest.raises(PreprocessError, match="no pixels"):
        preprocess_array(np.zeros((0, 5)))


# ---------------------------------------------------------------------------------------------- the model
def test_mnist_test_digits_drawn_on_a_canvas_keep_their_accuracy(shipped, mnist_test):
    """1000 MNIST test digits, made to look like drawings (dark ink on white, enlarged to canvas size, placed
    off-centre at several sizes), go back through preprocessing: the shipped model still reads >= 98%."""
    x, y = mnist_test
    rng = np.random.default_rng(7)
    idx = rng.choice(len(x), 1000, replace=False)
    inputs = []
    for i in idx:
        side = int(rng.integers(150, 260))
        up = np.asarray(Image.fromarray(255 - x[i]).resize((side, side), Image.Resampling.BILINEAR))
        canvas = _paper()
        oy, ox = rng.integers(0, 280 - side + 1, 2)
        canvas[oy:oy + side, ox:ox + side] = up
        inputs.append(preprocess_array(canvas).image)
    predicted = shipped(np.stack(inputs)[..., None]).argmax(axis=1)
    accuracy = float(np.mean(predicted == y[idx]))
    print(f"accuracy through preprocessing: {accuracy:.3f}")
    assert accuracy >= 0.98, accuracy


# ---------------------------------------------------------------------------------------------- files
def _digit_png(path, mnist_test, index=0, mode="L", size=140):
    x, y = mnist_test
    img = Image.fromarray(255 - x[index]).resize((size, size), Image.Resampling.BILINEAR)
    img.convert(mode).save(path)
    return int(y[index])


def test_png_jpeg_bmp_palette_files_are_read(tmp_path, shipped, mnist_test):
    for name, mode in (("d.png", "L"), ("d.jpg", "RGB"), ("d.bmp", "RGB"), ("d.gif", "P")):
        label = _digit_png(tmp_path / name, mnist_test, index=1, mode=mode)
        result = preprocess_file(tmp_path / name)
        assert result.inverted
        assert int(shipped(result.model_input()).argmax()) == label, name


def test_rgba_is_composited_on_white(tmp_path, shipped, mnist_test):
    x, y = mnist_test
    ink = np.zeros((28, 28, 4), np.uint8)             # black ink whose opacity is the MNIST intensity
    ink[..., 3] = x[2]
    Image.fromarray(ink, "RGBA").resize((112, 112)).save(tmp_path / "t.png")
    gray = load_image(tmp_path / "t.png")
    assert gray[0, 0] == pytest.approx(1.0)           # transparent -> white paper, not black
    assert int(shipped(preprocess_file(tmp_path / "t.png").model_input()).argmax()) == int(y[2])


def test_sixteen_bit_and_cmyk_files(tmp_path, mnist_test):
    x, _ = mnist_test
    deep = ((255 - x[3]).astype(np.uint16) * 257)     # 16-bit, full range
    Image.fromarray(deep).save(tmp_path / "deep.png")
    gray = load_image(tmp_path / "deep.png")
    assert gray.max() == pytest.approx(1.0) and gray.min() == pytest.approx(0.0)
    np.testing.assert_allclose(gray, (255 - x[3]) / 255.0, atol=1e-4)
    Image.fromarray(255 - x[3]).convert("CMYK").save(tmp_path / "c.jpg")
    assert not preprocess_file(tmp_path / "c.jpg").empty


def test_a_large_photo_is_reduced(tmp_path):
    big = np.full((2400, 3000), 230, np.uint8)
    big[600:1800, 1400:1600] = 20
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=85)
    gray = load_image(tmp_path / "big.jpg")
    assert max(gray.shape) <= 1024
    assert not preprocess_file(tmp_path / "big.jpg").empty


def test_bad_files_give_clear_messages(tmp_path, mnist_test):
    with pytest.raises(PreprocessError, match="does not exist"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(PreprocessError, match=r"empty \(0 bytes\)"):
        load_image(tmp_path / "empty.png")
    (tmp_path / "notes.png").write_text("this is not a picture")
    with pytest.raises(PreprocessError, match="is not an image cnnviz can read"):
        load_image(tmp_path / "notes.png")
    _digit_png(tmp_path / "whole.png", mnist_test, size=200)
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(PreprocessError, match="truncated or corrupt"):
        load_image(tmp_path / "cut.png")


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path):
    """A tiny PNG whose header claims 10000x10000 pixels (what a bomb looks like): refused from the header."""
    Image.new("L", (10, 10), 255).save(tmp_path / "small.png")
    data = bytearray((tmp_path / "small.png").read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", 10000, 10000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(PreprocessError, match=r"bomb.png is 10000x10000 pixels, more than cnnviz opens"):
        load_image(tmp_path / "bomb.png")


# ---------------------------------------------------------------------------------------------- the shipped model
def test_shipped_model_is_found_and_reads_digits(shipped, mnist_test):
    from cnnviz.core.model.pretrained import digit_model_problem, shipped_model_info, shipped_model_path

    assert shipped_model_path().name == "mnist_fast.keras"
    x, y = mnist_test                                   # measured: the 10,000 MNIST test digits
    accuracy = float(np.mean(shipped.predict_batched(x[..., None].astype(np.float32) / 255.0).argmax(axis=1) == y))
    print(f"shipped model on the MNIST test set: {accuracy:.4f}")
    assert accuracy >= 0.99, accuracy
    assert shipped_model_info()["test_accuracy"] == pytest.approx(accuracy, abs=1.5e-4)   # its JSON: +-1 digit
    assert digit_model_problem(shipped.model, [str(d) for d in range(10)]) is None
    assert "not the digits" in digit_model_problem(shipped.model, list("abcdefghij"))


def test_a_missing_empty_or_corrupt_model_file_gives_a_clear_error(tmp_path, shipped):
    from cnnviz.core.model.pretrained import PretrainedModelError, load_shipped_model

    with pytest.raises(PretrainedModelError, match="does not exist.*train_pretrained.py"):
        load_shipped_model(tmp_path / "missing.keras")
    (tmp_path / "empty.keras").write_bytes(b"")
    with pytest.raises(PretrainedModelError, match="empty"):
        load_shipped_model(tmp_path / "empty.keras")
    (tmp_path / "bad.keras").write_bytes(b"PK\x03\x04 not really a keras archive")
    with pytest.raises(PretrainedModelError, match="could not be read.*corrupt"):
        load_shipped_model(tmp_path / "bad.keras")
