"""Pictures read right: every reader (image folders, the Inspector, the Augment tab, the Draw tab) scales every mode
Pillow opens to 0..255 the same way, on real files written by Pillow.

Mid-grey of each depth must read as 128: 32768 of 16 bits, 2**30 of a 32-bit integer TIFF, 0.5 of a float TIFF
(floats in 0..1). Before the one reader, 16-bit and float files were clamped (32768 -> 255, 0.5 -> 0).
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnviz.core.data.image_files import ImageFileError, read_picture, read_rgb
from cnnviz.core.data.image_folder import read_image_folder
from cnnviz.core.data.preprocess import load_image
from cnnviz.core.inspect.images import load_image_file


def _write(path, image: Image.Image):
    image.save(path)
    return path


# (file name, how to make it, the grey level every reader must see)
CASES = {
    "png16.png": (lambda: Image.fromarray(np.full((6, 6), 32768, np.uint16)), 128),
    "png16_dark.png": (lambda: Image.fromarray(np.full((6, 6), 257 * 40, np.uint16)), 40),
    "tif16.tif": (lambda: Image.fromarray(np.full((6, 6), 65535, np.uint16)), 255),
    "int32.tif": (lambda: Image.fromarray(np.full((6, 6), 2 ** 30, np.int32)), 128),
    "float_half.tif": (lambda: Image.fromarray(np.full((6, 6), 0.5, np.float32)), 128),
    "float_one.tif": (lambda: Image.fromarray(np.full((6, 6), 1.0, np.float32)), 255),
    "float_255.tif": (lambda: Image.fromarray(np.full((6, 6), 200.0, np.float32)), 200),
    "palette.png": (lambda: Image.new("L", (6, 6), 90).convert("P"), 90),
    "la.png": (lambda: Image.new("LA", (6, 6), (60, 255)), 60),
    "cmyk.tif": (lambda: Image.new("CMYK", (6, 6), (0, 0, 0, 127)), 128),
    "rgb.png": (lambda: Image.new("RGB", (6, 6), (128, 128, 128)), 128),
}


@pytest.fixture()
def files(tmp_path):
    out = {}
    for name, (make, _) in CASES.items():
        out[name] = _write(tmp_path / name, make())
    return out


def test_the_files_really_have_the_modes_they_test(files):
    with Image.open(files["png16.png"]) as im:
        assert im.mode == "I;16"
    with Image.open(files["int32.tif"]) as im:
        assert im.mode == "I"
    with Image.open(files["float_half.tif"]) as im:
        assert im.mode == "F"
    for name, mode in (("palette.png", "P"), ("la.png", "LA"), ("cmyk.tif", "CMYK")):
        with Image.open(files[name]) as im:
            assert im.mode == mode


@pytest.mark.parametrize("name", list(CASES))
def test_every_reader_sees_the_same_grey(files, name, tmp_path):
    expected = CASES[name][1]
    path = files[name]
    rgb, _ = read_rgb(path)                                    # the Inspector's and the Augment tab's reader
    assert rgb.shape == (6, 6, 3) and np.all(np.abs(rgb.astype(int) - expected) <= 1), rgb[0, 0]
    assert np.all(np.abs(read_picture(path, "L").astype(int) - expected) <= 1)
    model_input, _ = load_image_file(path, (6, 6, 1), invert="never")   # the Inspector's model input
    assert np.allclose(model_input, expected / 255.0, atol=1.5 / 255)
    assert np.allclose(load_image(path), expected / 255.0, atol=1.5 / 255)   # the Draw tab
    for cls in ("a", "b"):                                       # an image folder (two classes)
        (tmp_path / "folder" / cls).mkdir(parents=True, exist_ok=True)
        (tmp_path / "folder" / cls / path.name).write_bytes(path.read_bytes())
    for mode, channels in (("grayscale", 1), ("rgb", 3)):
        found = read_image_folder(tmp_path / "folder", image_size=(6, 6), color_mode=mode)
        assert found.skipped == () and found.x.shape == (2, 6, 6, channels)
        assert np.all(np.abs(found.x.astype(int) - expected) <= 1), (mode, found.x[0, 0, 0])


def test_a_gradient_keeps_its_order_and_ends(tmp_path):
    """Scaling, not clamping: a 16-bit ramp 0..65535 reads 0..255 in order, with no plateau at 255."""
    ramp = np.linspace(0, 65535, 256).round().astype(np.uint16).reshape(16, 16)
    path = _write(tmp_path / "ramp.png", Image.fromarray(ramp))
    gray = read_picture(path, "L").ravel().astype(int)
    assert gray[0] == 0 and gray[-1] == 255 and np.all(np.diff(gray) >= 0)
    assert np.array_equal(gray, np.arange(256))


def test_floats_outside_0_1_are_stretched_and_nan_is_refused(tmp_path):
    values = np.array([[-1.0, 0.0], [1.0, 3.0]], np.float32)    # not in 0..1 nor 0..255: min..max -> 0..255
    path = _write(tmp_path / "wide.tif", Image.fromarray(values))
    assert read_picture(path, "L").tolist() == [[0, 64], [128, 255]]
    path = _write(tmp_path / "nan.tif", Image.fromarray(np.array([[np.nan, 0.5]], np.float32)))
    with pytest.raises(ImageFileError, match="nan.tif holds NaN or infinite values"):
        read_rgb(path)


def test_transparent_pixels_are_white_everywhere(tmp_path):
    path = _write(tmp_path / "clear.png", Image.new("LA", (4, 4), (0, 0)))
    assert (read_rgb(path)[0] == 255).all()
    assert np.allclose(load_image(path), 1.0)
