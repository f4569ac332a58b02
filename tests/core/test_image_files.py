"""The shared picture reader: modes, transparency, shrinking, and a clear refusal for every bad file."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnviz.core.data.image_files import ImageFileError, read_rgb


def test_modes_become_rgb_and_transparency_goes_on_white(tmp_path):
    rgba = Image.new("RGBA", (4, 3), (255, 0, 0, 0))
    rgba.save(tmp_path / "clear.png")
    rgb, note = read_rgb(tmp_path / "clear.png")
    assert rgb.shape == (3, 4, 3) and rgb.dtype == np.uint8 and (rgb == 255).all()
    assert note == "clear.png: 4x3"
    Image.new("CMYK", (5, 5), (0, 255, 0, 0)).save(tmp_path / "cmyk.jpg")
    assert read_rgb(tmp_path / "cmyk.jpg")[0].shape == (5, 5, 3)
    Image.new("I;16", (6, 2), 40000).save(tmp_path / "deep.png")
    assert read_rgb(tmp_path / "deep.png")[0].shape == (2, 6, 3)


def test_large_pictures_are_shrunk_and_say_so(tmp_path):
    Image.new("RGB", (1000, 500), "blue").save(tmp_path / "wide.png")
    rgb, note = read_rgb(tmp_path / "wide.png", max_side=100)
    assert rgb.shape == (50, 100, 3) and note == "wide.png: 1000x500, shrunk to 100x50"


@pytest.mark.parametrize("content, fragment", [
    (b"", r"is empty \(0 bytes\)"),
    (b"hello, not an image", "is not an image cnnviz can read"),
])
def test_bad_files(tmp_path, content, fragment):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(ImageFileError, match=fragment):
        read_rgb(path)


def test_truncated_missing_and_oversized(tmp_path):
    Image.new("RGB", (64, 64), "red").save(tmp_path / "ok.png")
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageFileError, match="cut.png could not be decoded: the file is truncated or corrupt"):
        read_rgb(tmp_path / "cut.png")
    with pytest.raises(ImageFileError, match="does not exist"):
        read_rgb(tmp_path / "absent.png")
    Image.new("1", (10_000, 10_000)).save(tmp_path / "huge.png")  # a decompression bomb for Pillow too
    with pytest.raises(ImageFileError, match="huge.png is 10000x10000 pixels, more than cnnviz opens"):
        read_rgb(tmp_path / "huge.png")
    Image.new("1", (8_000, 6_000)).save(tmp_path / "big.png")  # under Pillow's limit, over cnnviz's
    with pytest.raises(ImageFileError, match="big.png is 8000x6000 pixels, more than cnnviz opens"):
        read_rgb(tmp_path / "big.png")
