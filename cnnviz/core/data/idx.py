"""Read and write IDX files, the format of the original MNIST and Fashion-MNIST distributions.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the
values in C order, big-endian. MNIST uses type ``0x08`` (uint8): images ``(N, 28, 28)``, labels ``(N,)``.
Files may be gzip-compressed (detected from the content, not the name). Pure numpy; no TensorFlow.
"""
from __future__ import annotations

import gzip
import math
import os
import stat
import zlib
from pathlib import Path

import numpy as np

# IDX type code -> numpy dtype (big-endian, as the format stores it).
_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[str, int] = {dt.str[1:]: code for code, dt in _TYPES.items()}  # "u1" -> 0x08, ...
_GZIP_MAGIC = b"\x1f\x8b"


# The most data one file may announce: far above the largest IDX dataset (MNIST's training images, 47 MB), below
# what would exhaust a desktop's memory. A header is checked against it (and against the file's size) before a
# byte of data is read or inflated.
MAX_DATA_BYTES = 4 * 1024 ** 3
MAX_NDIM = 8   # images are (N, H, W) or (N, H, W, C), labels (N,); the format allows 255


class IdxError(ValueError):
    """The file is not a readable IDX file; the message names the file and what is wrong."""


def _header(head: bytes, name: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, header length) from the first bytes of an IDX file; IdxError when they are not one."""
    if len(head) < 4:
        raise IdxError(f"IDX file {name} is truncated: {len(head)} bytes, too short for the 4-byte magic number.")
    zero0, zero1, code, ndim = head[0], head[1], head[2], head[3]
    if zero0 != 0 or zero1 != 0 or code not in _TYPES or ndim == 0:
        raise IdxError(
            f"IDX file {name} has a bad magic number 0x{head[:4].hex()}: expected 00 00 <type> <ndim> with type "
            "one of 08 (uint8), 09, 0b, 0c, 0d, 0e and ndim >= 1 (MNIST images: 0x00000803, labels: 0x00000801). "
            "Is it an IDX file?"
        )
    if ndim > MAX_NDIM:
        raise IdxError(f"IDX file {name} declares {ndim} dimensions; cnnviz reads at most {MAX_NDIM} (images are "
                       "N x H x W, labels N).")
    header = 4 + 4 * ndim
    if len(head) < header:
        raise IdxError(f"IDX file {name} is truncated inside its header ({len(head)} of {header} bytes).")
    shape = tuple(int.from_bytes(head[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return shape, _TYPES[code], header


def _data_bytes(shape: tuple[int, ...], dtype: np.dtype, name: str) -> int:
    """Bytes of data the header announces (exact integers: a product never wraps), refused above the cap."""
    expected = math.prod(shape) * dtype.itemsize
    if expected > MAX_DATA_BYTES:
        raise IdxError(f"IDX file {name} announces shape {shape} ({expected:,} bytes of data), more than cnnviz "
                       f"reads from one file ({MAX_DATA_BYTES:,} bytes); the header is wrong or the file is not "
                       "a dataset cnnviz can hold in memory.")
    return expected


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (plain or gzip) into a native-endian array of the stored shape and dtype.

    MNIST images come back as ``uint8`` ``(N, 28, 28)``, labels as ``uint8`` ``(N,)``.
    Raises IdxError for a missing file, a bad magic number, an unknown type code, more than MAX_NDIM dimensions,
    a header announcing more than MAX_DATA_BYTES (checked before anything is inflated), a truncated file or
    trailing bytes (both usually mean a damaged download). Never reads more than the header announces plus one
    byte.
    """
    path = Path(path)
    name = str(path)
    try:
        with open(path, "rb") as raw_file:
            if not stat.S_ISREG(os.fstat(raw_file.fileno()).st_mode):
                raise IdxError(f"IDX file {path} is not a regular file.")
            compressed = raw_file.read(2) == _GZIP_MAGIC
            raw_file.seek(0)
            stream = gzip.GzipFile(fileobj=raw_file, mode="rb") if compressed else raw_file
            head = stream.read(4)
            if len(head) == 4 and head[3] <= MAX_NDIM:
                head += stream.read(4 * head[3])
            shape, dtype, header = _header(head, name)
            expected = _data_bytes(shape, dtype, name)
            if not compressed:
                body = os.fstat(raw_file.fileno()).st_size - header
                _check_length(body, expected, shape, name)
            data = stream.read(expected + 1)
    except FileNotFoundError:
        raise IdxError(f"IDX file {path} does not exist.") from None
    except IsADirectoryError:
        raise IdxError(f"IDX file {path} is a folder.") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise IdxError(f"IDX file {path} is a damaged or truncated gzip file ({exc}).") from exc
    except OSError as exc:
        raise IdxError(f"IDX file {path} cannot be read: {exc}") from exc
    _check_length(len(data), expected, shape, name, exact=False)   # read at most one byte past the data
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def _check_length(body: int, expected: int, shape: tuple[int, ...], name: str, exact: bool = True) -> None:
    if body < expected:
        raise IdxError(
            f"IDX file {name} is truncated: its header announces shape {shape} ({expected} bytes of data) "
            f"but only {body} bytes follow. The file is probably an incomplete download."
        )
    if body > expected:
        raise IdxError(
            f"IDX file {name} has {f'{body - expected} ' if exact else ''}unexpected bytes after the {expected} "
            f"bytes of data that its header (shape {shape}) announces."
        )


def parse_idx(raw: bytes, *, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file; see :func:`read_idx`."""
    shape, dtype, header = _header(raw[:4 + 4 * min(raw[3] if len(raw) > 3 else 0, MAX_NDIM)], name)
    expected = _data_bytes(shape, dtype, name)
    _check_length(len(raw) - header, expected, shape, name)
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file; gzip-compressed when the name ends in ``.gz``.

    Supported dtypes: uint8, int8, int16, int32, float32, float64 (the types IDX defines). Returns the path.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.str[1:])
    if code is None:
        raise IdxError(f"IDX cannot store dtype {array.dtype}; use uint8, int8, int16, int32, float32 or float64.")
    if array.ndim == 0 or array.ndim > 255:
        raise IdxError(f"IDX needs an array with 1 to 255 axes, got {array.ndim}.")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    raw = header + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
    if path.suffix == ".gz":
        raw = gzip.compress(raw, compresslevel=6, mtime=0)
    path.write_bytes(raw)
    return path
