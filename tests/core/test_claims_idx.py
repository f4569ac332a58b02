"""IDX files written by someone else's hands: bytes packed here with struct after the format's description
(LeCun's MNIST page: magic 00 00 <type> <ndim>, big-endian uint32 sizes, big-endian values) and gzip-compressed by
the system's gzip program, so a reader that only agrees with the project's own writer cannot pass."""
from __future__ import annotations

import gzip
import shutil
import struct
import subprocess

import numpy as np
import pytest

from cnnviz.core.data import readers
from cnnviz.core.data.idx import read_idx
from cnnviz.core.data.readers import load_idx_folder


def _idx(type_code: int, shape: tuple[int, ...], fmt: str, values) -> bytes:
    return (struct.pack(">BBBB", 0, 0, type_code, len(shape)) + struct.pack(">" + "I" * len(shape), *shape)
            + struct.pack(">" + fmt * len(values), *values))


def _gzip(path) -> None:
    """Compress ``path`` to ``path.gz`` with the gzip program (Python's gzip module where there is none)."""
    if shutil.which("gzip"):
        subprocess.run(["gzip", "-9", "-n", str(path)], check=True)
    else:  # pragma: no cover - every CI image here has gzip
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()


@pytest.mark.parametrize("type_code, fmt, dtype, values", [
    (0x08, "B", np.uint8, [0, 1, 127, 128, 200, 255]),
    (0x09, "b", np.int8, [-128, -1, 0, 1, 64, 127]),
    (0x0B, "h", np.int16, [-32768, -2, 0, 1, 258, 32767]),
    (0x0C, "i", np.int32, [-2**31, -70000, 0, 1, 65536, 2**31 - 1]),
    (0x0D, "f", np.float32, [-1.5, 0.0, 0.1, 3.25, 1e-3, 65504.0]),
    (0x0E, "d", np.float64, [-1e300, -0.5, 0.0, 0.1, 2.0 ** 0.5, 1e-300]),
])
def test_every_idx_type_written_by_hand_reads_back(tmp_path, type_code, fmt, dtype, values):
    path = tmp_path / "values.idx"
    path.write_bytes(_idx(type_code, (2, 3), fmt, values))
    got = read_idx(path)
    assert got.shape == (2, 3) and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got.reshape(-1), np.array(values, dtype))
    _gzip(path)
    np.testing.assert_array_equal(read_idx(tmp_path / "values.idx.gz"), got)


def test_mnist_shaped_files_written_by_hand_load_as_a_dataset(tmp_path, mnist_npz_path):
    with np.load(mnist_npz_path) as f:
        x_train, y_train, x_test, y_test = f["x_train"][:60], f["y_train"][:60], f["x_test"][:20], f["y_test"][:20]
    folder = tmp_path / "mnist"
    folder.mkdir()
    for stem, array in zip(readers.IDX_FILES, (x_train, y_train, x_test, y_test)):
        magic = 0x0803 if array.ndim == 3 else 0x0801          # as in train-images-idx3-ubyte / -labels-idx1-
        header = struct.pack(">I", magic) + struct.pack(">" + "I" * array.ndim, *array.shape)
        (folder / stem).write_bytes(header + array.astype(np.uint8).tobytes())
        _gzip(folder / stem)
    data = load_idx_folder(folder)
    np.testing.assert_array_equal(data.x_train[..., 0], x_train)
    np.testing.assert_array_equal(data.y_train, y_train)
    np.testing.assert_array_equal(data.x_test[..., 0], x_test)
    np.testing.assert_array_equal(data.y_test, y_test)
    assert data.x_train.shape == (60, 28, 28, 1) and data.class_names == tuple(str(d) for d in range(10))
