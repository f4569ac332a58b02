"""Bounded work: a file's header is checked against its size and a cap before anything is allocated or inflated.

Each format gets a bomb: an .npz whose .npy header declares 10^12 images (or more than the cap), IDX files whose
dimensions wrap or number 255, an IDX.gz whose header claims one image but inflates to 50 MB, a tiny PNG that
announces 9000x9000 RGBA pixels (in an image folder, in CelebA, in the Inspector), a .keras zip declaring more than
the cap; and models: 10^15 parameters, 1,000 layers. Peak allocations are measured with tracemalloc (numpy reports
its buffers to it), so "refused before allocating" is a number, not a hope.
"""
from __future__ import annotations

import gzip
import io
import json
import struct
import threading
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.core.data import idx as idx_module
from cnnviz.core.data import readers
from cnnviz.core.data.dataset import DatasetError
from cnnviz.core.data.idx import IdxError, read_idx, write_idx
from cnnviz.core.data.image_files import ImageFileError, read_rgb
from cnnviz.core.data.image_folder import read_image_folder
from cnnviz.core.model import model_io
from cnnviz.core.model.model_io import ModelFileError, load_model_file
from cnnviz.core.model.shapes import infer_shapes
from cnnviz.core.model.spec import MAX_LAYERS, LayerSpec, ModelSpec, SpecError


def _peak(fn) -> tuple[BaseException | None, int]:
    """(the exception fn raised, peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        fn()
        error = None
    except BaseException as exc:  # noqa: BLE001 - returned to the test
        error = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return error, peak


def _npy_header(shape, dtype="|u1") -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": dtype, "fortran_order": False, "shape": shape})
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ npz
def _keras_layout_npz(path: Path, x_train_member: bytes | None = None, x_train=None) -> Path:
    small = {"x_train": np.zeros((4, 8, 8), np.uint8), "y_train": np.zeros(4, np.uint8),
             "x_test": np.zeros((2, 8, 8), np.uint8), "y_test": np.zeros(2, np.uint8)}
    if x_train is not None:
        small["x_train"], small["y_train"] = x_train, np.zeros(len(x_train), np.uint8)
    np.savez_compressed(path, **small)
    if x_train_member is not None:   # rewrite x_train.npy with hand-made bytes
        with zipfile.ZipFile(path) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        members["x_train.npy"] = x_train_member
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
    return path


def test_an_npz_header_declaring_a_trillion_images_is_one_line(tmp_path):
    path = _keras_layout_npz(tmp_path / "lies.npz", _npy_header((10 ** 12, 28, 28)) + b"\0" * 100)
    error, peak = _peak(lambda: readers.load_npz(path))
    assert isinstance(error, DatasetError), error
    assert "declares shape (1000000000000, 28, 28)" in str(error) and "holds only" in str(error)
    assert "\n" not in str(error) and peak < 2_000_000


def test_an_npz_that_inflates_past_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    """A real compressed npz: 40 MB of zeros in 40 KB. With the cap at 10 MB it is refused having read only the
    .npy headers (the real cap is 4 GiB; the arithmetic is the same)."""
    path = _keras_layout_npz(tmp_path / "zeros.npz", x_train=np.zeros((625_000, 8, 8), np.uint8))
    assert path.stat().st_size < 200_000
    monkeypatch.setattr(readers, "NPZ_MAX_BYTES", 10_000_000)
    error, peak = _peak(lambda: readers.load_npz(path))
    assert isinstance(error, DatasetError) and "more than cnnviz loads into memory (10,000,000 bytes)" in str(error)
    assert "shape (625000, 8, 8)" in str(error) and peak < 2_000_000
    monkeypatch.setattr(readers, "NPZ_MAX_BYTES", 100_000_000)
    assert readers.load_npz(path).x_train.shape == (625_000, 8, 8, 1)   # under the cap it loads


# ------------------------------------------------------------------------------------------------ IDX
def _idx_bytes(code: int, dims: list[int], body: bytes = b"") -> bytes:
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + body


def test_idx_dimensions_whose_product_wraps_are_refused(tmp_path):
    path = tmp_path / "wrap-idx3-ubyte"
    # 2^32-1 cubed: numpy's int64 product wraps to a small number; the exact product is 7.9e28 bytes
    path.write_bytes(_idx_bytes(0x08, [2 ** 32 - 1] * 3, b"\0" * 10))
    with pytest.raises(IdxError, match=r"announces shape \(4294967295, 4294967295, 4294967295\) "
                                       r"\(79,228,162,458,924,105,385,300,197,375 bytes of data\)"):
        read_idx(path)
    path.write_bytes(_idx_bytes(0x0E, [2 ** 31, 2 ** 30, 8], b"\0" * 10))   # float64: 2^64 exactly, wraps to 0
    with pytest.raises(IdxError, match="more than cnnviz reads from one file"):
        read_idx(path)


def test_an_idx_with_255_dimensions_is_one_line(tmp_path):
    path = tmp_path / "deep-idx"
    path.write_bytes(_idx_bytes(0x08, [1] * 255, b"\0"))
    with pytest.raises(IdxError, match="declares 255 dimensions; cnnviz reads at most 8") as info:
        read_idx(path)
    assert "\n" not in str(info.value)


def test_an_idx_gz_claiming_one_image_is_not_inflated_to_its_end(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_bytes(0x08, [1, 28, 28], b"\0" * 50_000_000), compresslevel=9))
    assert path.stat().st_size < 100_000
    error, peak = _peak(lambda: read_idx(path))
    assert isinstance(error, IdxError) and "unexpected bytes after the 784 bytes of data" in str(error)
    assert peak < 2_000_000   # 50 MB were never inflated


def test_an_idx_gz_announcing_a_billion_images_is_refused_from_its_header(tmp_path, monkeypatch):
    path = tmp_path / "labels.gz"
    write_idx(path, np.zeros(20_000_000, np.uint8))   # 20 MB of labels in ~20 KB
    monkeypatch.setattr(idx_module, "MAX_DATA_BYTES", 1_000_000)
    error, peak = _peak(lambda: read_idx(path))
    assert isinstance(error, IdxError) and "announces shape (20000000,) (20,000,000 bytes of data)" in str(error)
    assert peak < 1_000_000
    path.write_bytes(gzip.compress(_idx_bytes(0x08, [10 ** 9, 28, 28])))
    monkeypatch.setattr(idx_module, "MAX_DATA_BYTES", 4 * 1024 ** 3)
    with pytest.raises(IdxError, match=r"announces shape \(1000000000, 28, 28\)"):
        read_idx(path)


def test_an_idx_folder_with_a_bomb_is_a_dataset_error(tmp_path):
    for stem, data in zip(readers.IDX_FILES, (np.zeros((3, 4, 4), np.uint8), np.zeros(3, np.uint8),
                                              np.zeros((2, 4, 4), np.uint8), np.zeros(2, np.uint8))):
        write_idx(tmp_path / stem, data)
    (tmp_path / readers.IDX_FILES[0]).write_bytes(_idx_bytes(0x08, [2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1]))
    with pytest.raises(DatasetError, match="announces shape"):
        readers.load_idx_folder(tmp_path)


# ------------------------------------------------------------------------------------------------ pictures
def _png_announcing(path: Path, width: int, height: int) -> Path:
    """A real RGBA PNG whose header announces width x height (CRC fixed): how a PNG bomb looks from outside."""
    Image.new("RGBA", (8, 8), (10, 20, 30, 255)).save(path, format="PNG")
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def test_a_png_bomb_in_an_image_folder_is_skipped_undecoded(tmp_path):
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        Image.new("L", (10, 10), 100).save(tmp_path / cls / "ok.png")
    _png_announcing(tmp_path / "cats" / "bomb.png", 9000, 9000)
    found = None

    def read():
        nonlocal found
        found = read_image_folder(tmp_path, image_size=(8, 8))

    error, peak = _peak(read)
    assert error is None and peak < 5_000_000   # 9000x9000 RGBA would be 324 MB
    assert len(found.y) == 2
    assert found.skipped == (("cats/bomb.png", "ImageFileError: bomb.png is 9000x9000 pixels, more than cnnviz "
                                               "opens (40 million); resize it first."),)


def test_a_png_bomb_is_refused_by_the_inspector_reader(tmp_path):
    path = _png_announcing(tmp_path / "bomb.png", 9000, 9000)
    error, peak = _peak(lambda: read_rgb(path))
    assert isinstance(error, ImageFileError) and "9000x9000 pixels" in str(error) and peak < 2_000_000


def test_a_png_bomb_inside_a_celeba_split_is_refused_before_decoding(tmp_path):
    from celeba_miniature import make_celeba

    from cnnviz.core.data.celeba import celeba_datasets

    make_celeba(tmp_path, sizes=(3, 1, 1))
    _png_announcing(tmp_path / "img_align_celeba" / "000002.jpg", 9000, 9000)   # TF reads by content, not name
    train, _, _, _ = celeba_datasets(tmp_path, batch_size=None)
    import tensorflow as tf

    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"000002.jpg is 9000x9000 pixels, more than cnnviz decodes for CelebA"):
        for _ in train:
            pass


# ------------------------------------------------------------------------------------------------ .keras
def _fake_keras(path: Path, layers: int = 2, extra: bytes = b"") -> Path:
    config = {"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {}}] +
                                                     [{"class_name": "Dense", "config": {}}] * layers}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", "{}")
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", extra)
    return path


def test_a_keras_zip_declaring_more_than_the_cap_is_refused_without_inflating(tmp_path, monkeypatch):
    path = _fake_keras(tmp_path / "bomb.keras", extra=b"\0" * 60_000_000)
    assert path.stat().st_size < 200_000
    monkeypatch.setattr(model_io, "MAX_ARCHIVE_BYTES", 10_000_000)
    monkeypatch.setattr(zipfile.ZipFile, "testzip", lambda self: pytest.fail("testzip inflates every member"))
    error, peak = _peak(lambda: load_model_file(path))
    assert isinstance(error, ModelFileError), error
    assert "bomb.keras declares 60,000," in str(error) and "more than cnnviz loads (10,000,000 bytes)" in str(error)
    assert peak < 2_000_000


def test_a_keras_file_with_too_many_layers_is_refused_before_keras_reads_it(tmp_path):
    with pytest.raises(ModelFileError, match=f"has {MAX_LAYERS + 1:,} layers; cnnviz opens models of at most"):
        load_model_file(_fake_keras(tmp_path / "deep.keras", layers=MAX_LAYERS + 1))


# ------------------------------------------------------------------------------------------------ models
def test_a_model_that_cannot_fit_in_memory_is_refused_with_what_it_needs(monkeypatch):
    spec = ModelSpec((4096, 4096, 64), [LayerSpec.make("Flatten", "flat"),
                                        LayerSpec.make("Dense", "fc", units=10 ** 6)])
    report = infer_shapes(spec)
    assert report.total_params == 1_073_741_825_000_000   # every value within its own limit
    assert [p.field for p in report.problems] == ["params"]
    message = report.problems[0].message
    assert "1,073,741,825,000,000 parameters: 4.3 PB of weights" in message
    assert "17.2 PB to train" in message and "of memory" in message
    from cnnviz.core.model.build import build_model

    with pytest.raises(SpecError, match="PB of weights"):   # refused before TensorFlow sees it
        build_model(spec)
    small = ModelSpec((28, 28, 1), [LayerSpec.make("Flatten", "flat"), LayerSpec.make("Dense", "fc", units=1000)])
    assert infer_shapes(small).ok   # 785,000 parameters: 12.6 MB to train
    monkeypatch.setenv("CNNVIZ_MEMORY_BYTES", "10000000")
    from cnnviz.core.model import shapes

    shapes.physical_memory.cache_clear()
    try:
        assert "this computer has 10.0 MB of memory" in infer_shapes(small).problems[0].message
    finally:
        monkeypatch.delenv("CNNVIZ_MEMORY_BYTES")
        shapes.physical_memory.cache_clear()


def _deep_spec(n: int) -> ModelSpec:
    return ModelSpec((2, 2, 1), [LayerSpec.make("Flatten", "flat")] +
                     [LayerSpec.make("Dense", f"fc_{i}", units=2) for i in range(n - 1)], name="deep")


def test_more_layers_than_cnnviz_builds_is_one_problem():
    problems = infer_shapes(_deep_spec(MAX_LAYERS + 1)).problems
    assert [p.message for p in problems] == [f"the model has {MAX_LAYERS + 1:,} layers; cnnviz builds models of at "
                                             f"most {MAX_LAYERS:,} layers"]


def test_a_thousand_layers_build_clone_save_and_import_on_a_worker_thread(tmp_path):
    """Keras walks a graph recursively (a frame per layer); with the room tf_runtime makes, the deepest model cnnviz
    allows builds, clones and re-imports (as an editable spec) on a thread, as the app does it."""
    spec = _deep_spec(MAX_LAYERS)
    out: dict = {}

    def work():
        try:
            import keras

            from cnnviz.core.model.build import build_model

            model = build_model(spec)
            out["layers"] = len(model.layers) - 1
            out["clone"] = len(keras.models.clone_model(model).layers) - 1
            model.save(tmp_path / "deep.keras")
            out["imported"] = len(load_model_file(tmp_path / "deep.keras").spec.layers)
        except BaseException as exc:  # noqa: BLE001 - reported below
            out["error"] = exc

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert "error" not in out, repr(out.get("error"))
    assert out == {"layers": MAX_LAYERS, "clone": MAX_LAYERS, "imported": MAX_LAYERS}
