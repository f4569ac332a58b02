"""The one picture reader: every picture file cnnviz opens (image folders, the Inspector, the Augment tab's faces,
the Draw tab) goes through :func:`open_picture` and :func:`to_8bit`, so every mode Pillow opens reads the same way.

* The file must be a regular file; its size in pixels is read from the header and checked against a cap
  (:data:`MAX_PIXELS`) before anything is decoded (a 315 KB PNG can announce 9000x9000 RGBA: 2 GB decoded).
* EXIF rotation is applied; transparency (RGBA, LA, PA, La, RGBa, a palette or grey with a transparent colour)
  is composed onto white.
* Values are *scaled* to 0..255, never clamped:

  ====================  ==================================================================================
  1, L, P, RGB, CMYK,   Pillow's own conversion (8-bit already; CMYK, YCbCr, LAB, HSV through RGB)
  LA, RGBA, YCbCr ...
  I;16, I;16B, ...      16-bit: ``v * 255 / 65535`` (mid-grey 32768 -> 128)
  I (32-bit integer)    the bit depth the file declares (TIFF BitsPerSample/SampleFormat); when it declares
                        none, values that all fit 0..65535 are 16-bit data (how Pillow widens 16-bit
                        PGM/PNG) and anything larger is 32-bit signed: ``v * 255 / (2**31 - 1)``;
                        negative values read as 0
  F (32-bit float)      in 0..1: ``v * 255`` (0.5 -> 128); all in 0..255 with some above 1: already 8-bit
                        values, rounded; anything else (negative values, above 255): stretched linearly from
                        its minimum to its maximum. NaN or infinite values are refused.
  ====================  ==================================================================================

Every failure is an :class:`ImageFileError` whose message names the file.
"""
from __future__ import annotations

import os
import stat
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

MAX_PIXELS = 40_000_000  # refuse decompression bombs (e.g. a 10000x10000 header) before decoding
_ALPHA_MODES = ("RGBA", "LA", "PA", "La", "RGBa")
_16BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


class ImageFileError(ValueError):
    """A file that is not a readable picture, with a message for the user."""


def pixel_cap_message(name: str, width: int, height: int, max_pixels: int = MAX_PIXELS) -> str:
    return (f"{name} is {width}x{height} pixels, more than cnnviz opens ({max_pixels / 1e6:g} million); "
            "resize it first.")


@contextmanager
def open_picture(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS, draft: tuple[str, int] | None = None):
    """The decoded, EXIF-rotated first frame of the picture at ``path`` as a Pillow image (closed on exit).

    ``draft`` ``(mode, side)`` lets libjpeg decode a JPEG at a reduced size. Raises ImageFileError for a
    missing, empty, non-regular, truncated, non-image or oversized file (checked on the header, before decoding).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    p = Path(path).expanduser()
    try:
        st = p.stat()
    except OSError:
        raise ImageFileError(f"{p} does not exist." if not p.exists() else f"{p} cannot be read.") from None
    if not stat.S_ISREG(st.st_mode):
        raise ImageFileError(f"{p} is not a file.")
    if st.st_size == 0:
        raise ImageFileError(f"{p.name} is empty (0 bytes): there is no image in it.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)   # checked below, with the size
            with Image.open(p) as im:
                width, height = im.size   # from the header: nothing decoded yet
                if width * height > max_pixels:
                    raise ImageFileError(pixel_cap_message(p.name, width, height, max_pixels))
                if draft is not None and im.format == "JPEG":
                    im.draft(draft[0], (draft[1], draft[1]))
                im.load()
                rotated = ImageOps.exif_transpose(im)
                yield rotated
    except ImageFileError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageFileError(f"{p.name} is not an image cnnviz can read (PNG, JPEG, BMP, GIF, TIFF, WebP).") \
            from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageFileError(f"{p.name} has more pixels than cnnviz opens ({max_pixels / 1e6:g} million); "
                             "resize it first.") from exc
    except MemoryError as exc:
        raise ImageFileError(f"{p.name} needs more memory to decode than this computer has.") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageFileError(f"{p.name} could not be decoded: the file is truncated or corrupt ({exc}).") from exc


def _int_range(im) -> float:
    """The largest value of a mode-"I" image's data (see the module docstring)."""
    tags = getattr(im, "tag_v2", None)
    if tags is not None and tags.get(258):
        bits = int(tags.get(258)[0] if isinstance(tags.get(258), tuple) else tags.get(258))
        fmt = tags.get(339)
        signed = (fmt[0] if isinstance(fmt, tuple) else fmt) == 2
        if 8 <= bits <= 32:
            return float(2 ** (bits - 1) - 1 if signed or bits == 32 else 2 ** bits - 1)
    a = np.asarray(im)
    return 65535.0 if a.size == 0 or int(a.max()) <= 65535 else float(2 ** 31 - 1)


def _deep_to_uint8(im, name: str) -> np.ndarray:
    """A 16-bit, 32-bit integer or float image -> uint8 (H, W), scaled as the module docstring says."""
    a = np.asarray(im)
    if im.mode in _16BIT_MODES:
        top = 65535.0
    elif im.mode == "I":
        top = _int_range(im)
    else:   # "F"
        a = a.astype(np.float64)
        if not np.all(np.isfinite(a)):
            raise ImageFileError(f"{name} holds NaN or infinite values; it is not a picture cnnviz can show.")
        lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 1.0)
        if lo >= 0.0 and hi <= 1.0:
            top = 1.0
        elif lo >= 0.0 and hi <= 255.0:
            top = 255.0
        else:
            return np.round((a - lo) * (255.0 / max(hi - lo, 1e-300))).astype(np.uint8)
    scaled = np.clip(a.astype(np.float64), 0.0, None) * (255.0 / top)
    return np.round(np.clip(scaled, 0.0, 255.0)).astype(np.uint8)


def to_8bit(im, mode: str = "RGB", name: str = "the picture"):
    """A loaded Pillow image of any mode -> a Pillow image in ``mode`` "L" or "RGB" (8-bit), scaled (never
    clamped) and with transparency composed onto white; ``name`` is used in error messages."""
    from PIL import Image

    if mode not in ("L", "RGB"):
        raise ValueError(f"mode must be 'L' or 'RGB', got {mode!r}")
    if im.mode in _16BIT_MODES or im.mode in ("I", "F"):
        gray = Image.fromarray(_deep_to_uint8(im, name), mode="L")
        return gray if mode == "L" else gray.convert("RGB")
    if im.mode in _ALPHA_MODES or "transparency" in im.info:
        rgba = im.convert("RGBA")
        im = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    if im.mode not in ("1", "L", "P", "RGB", "RGBA", "CMYK", "YCbCr"):
        im = im.convert("RGB")   # LAB, HSV, RGBX ...: through RGB
    return im if im.mode == mode else im.convert(mode)


def read_picture(path: str | os.PathLike, mode: str = "RGB", *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The picture at ``path`` as uint8 ``(H, W)`` ("L") or ``(H, W, 3)`` ("RGB"); see :func:`open_picture`."""
    with open_picture(path, max_pixels=max_pixels) as im:
        return np.asarray(to_8bit(im, mode, Path(path).name), dtype=np.uint8).copy()


def read_rgb(path: str | os.PathLike, max_side: int | None = None) -> tuple[np.ndarray, str]:
    """The picture as uint8 ``(H, W, 3)`` RGB and a note ("name: WxH[, shrunk to wxh]").

    A picture whose longer side exceeds ``max_side`` is shrunk (LANCZOS). Raises ImageFileError for a missing,
    empty, truncated, non-image or oversized file.
    """
    from PIL import Image

    p = Path(path).expanduser()
    with open_picture(p) as im:
        im = to_8bit(im, "RGB", p.name)
        note = f"{p.name}: {im.width}x{im.height}"
        if max_side and max(im.size) > max_side:
            k = max_side / max(im.size)
            im = im.resize((max(1, round(im.width * k)), max(1, round(im.height * k))), Image.LANCZOS)
            note += f", shrunk to {im.width}x{im.height}"
        rgb = np.asarray(im, dtype=np.uint8).copy()
    return rgb, note
