"""Read and write IDX files, the format of the original MNIST and Fashion-MNIST distributions.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the
values in C order, big-endian. MNIST uses type ``0x08`` (uint8): images ``(N, 28, 28)``, labels ``(N,)``.
Files may be gzip-compressed (detected from the content, not the name). Pure numpy; no TensorFlow.
"""
from __future__ import annotations

import gzip
import os
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


class IdxError(ValueError):
    """The file is not a readable IDX file; the message names the file and what is wrong."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (plain or gzip) into a native-endian array of the stored shape and dtype.

    MNIST images come back as ``uint8`` ``(N, 28, 28)``, labels as ``uint8`` ``(N,)``.
    Raises IdxError for a missing file, a bad magic number, an unknown type code, a truncated file or
    trailing bytes (both usually mean a damaged download).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IdxError(f"IDX file {path} does not exist.") from None
    except OSError as exc:
        raise IdxError(f"IDX file {path} cannot be read: {exc}") from exc
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise IdxError(f"IDX file {path} is a damaged or truncated gzip file ({exc}).") from exc
    return parse_idx(raw, name=str(path))


def parse_idx(raw: bytes, *, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file; see :func:`read_idx`."""
    if len(raw) < 4:
        raise IdxError(f"IDX file {name} is truncated: {len(raw)} bytes, too short for the 4-byte magic number.")
    zero0, zero1, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0 or code not in _TYPES or ndim == 0:
        raise IdxError(
            f"IDX file {name} has a bad magic number 0x{raw[:4].hex()}: expected 00 00 <type> <ndim> with type "
            "one of 08 (uint8), 09, 0b, 0c, 0d, 0e and ndim >= 1 (MNIST images: 0x00000803, labels: 0x00000801). "
            "Is it an IDX file?"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxError(f"IDX file {name} is truncated inside its header ({len(raw)} of {header} bytes).")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = len(raw) - header
    if body < expected:
        raise IdxError(
            f"IDX file {name} is truncated: its header announces shape {shape} ({expected} bytes of data) "
            f"but only {body} bytes follow. The file is probably an incomplete download."
        )
    if body > expected:
        raise IdxError(
            f"IDX file {name} has {body - expected} unexpected bytes after the {expected} bytes of data that "
            f"its header (shape {shape}) announces."
        )
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
