"""Reading a picture file the user gives (PNG, JPEG, BMP, GIF, TIFF, WebP; any size and mode) as RGB numbers.

One reader for the inspector and the augmentation view (the draw tab has its own grayscale reader in
preprocess.py, which keeps 16-bit range). Every failure is an ImageFileError whose message names the file.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

MAX_PIXELS = 40_000_000  # refuse decompression bombs (e.g. a 10000x10000 header) before decoding


class ImageFileError(ValueError):
    """A file that is not a readable picture, with a message for the user."""


def read_rgb(path: str | os.PathLike, max_side: int | None = None) -> tuple[np.ndarray, str]:
    """The picture as uint8 ``(H, W, 3)`` RGB and a note ("name: WxH[, shrunk to wxh]").

    Transparency is composed onto white and EXIF rotation applied; a picture whose longer side exceeds
    ``max_side`` is shrunk (LANCZOS). Raises ImageFileError for a missing, empty, truncated, non-image or
    oversized file.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    p = Path(path).expanduser()
    if not p.is_file():
        raise ImageFileError(f"{p} does not exist." if not p.exists() else f"{p} is not a file.")
    if p.stat().st_size == 0:
        raise ImageFileError(f"{p.name} is empty (0 bytes): there is no image in it.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise ImageFileError(f"{p.name} is {im.width}x{im.height} pixels, more than cnnviz opens "
                                         f"({MAX_PIXELS // 1_000_000} million); resize it first.")
                im.load()
                im = ImageOps.exif_transpose(im)
                if im.mode in ("RGBA", "LA", "PA", "P") or "transparency" in im.info:
                    im = Image.alpha_composite(Image.new("RGBA", im.size, "white"), im.convert("RGBA"))
                im = im.convert("RGB")
                note = f"{p.name}: {im.width}x{im.height}"
                if max_side and max(im.size) > max_side:
                    k = max_side / max(im.size)
                    im = im.resize((max(1, round(im.width * k)), max(1, round(im.height * k))), Image.LANCZOS)
                    note += f", shrunk to {im.width}x{im.height}"
                rgb = np.asarray(im, dtype=np.uint8).copy()
    except ImageFileError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageFileError(f"{p.name} is not an image cnnviz can read (PNG, JPEG, BMP, GIF, TIFF, WebP).") \
            from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageFileError(f"{p.name} has more pixels than cnnviz opens ({MAX_PIXELS // 1_000_000} million); "
                             "resize it first.") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageFileError(f"{p.name} could not be decoded: the file is truncated or corrupt ({exc}).") from exc
    return rgb, note
