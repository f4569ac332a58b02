"""A drawn or loaded image -> a 28x28 MNIST-style model input, with every step kept for display.

MNIST digits were prepared like this (LeCun, Cortes & Burges): the ink's bounding box was scaled to fit a
20x20 box keeping its aspect ratio (anti-aliased, hence the grey levels), then placed in a 28x28 field so that
its centre of mass sits at the centre; ink is white (1.0) on black (0.0). A drawing on a white canvas, or a photo
of a digit on paper, goes through the same steps here, so the model sees what it was trained on.

Images are float32 ``(H, W)`` arrays in 0..1 throughout. :func:`preprocess_array` takes a canvas render or any
grayscale array; :func:`preprocess_file` / :func:`load_image` read PNG/JPEG/BMP/... files of any size and mode.
Pure numpy + Pillow: no Qt, no TensorFlow.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FIELD = 28              # MNIST's image size
BOX = 20                # MNIST's digits fit a 20x20 box inside the 28x28 field
COM_TARGET = 14.0       # where MNIST's centres of mass lie (row and column index; measured on the test set)
MAX_PIXELS = 40_000_000  # larger files are refused (a 10000x10000 "decompression bomb" is 100 Mpx)
WORK_SIZE = 1024        # big photos are reduced to this long side first: a digit needs far fewer pixels
MIN_CONTRAST = 0.06     # ink fainter than this above the background counts as nothing drawn
INK_THRESHOLD = 0.2     # fraction of the strongest ink that counts for the bounding box (drops faint halos)
NOTHING_DRAWN = "nothing drawn"


class PreprocessError(ValueError):
    """An image that cannot be used (unreadable, empty, truncated, too large); the message says why."""


@dataclass(frozen=True)
class PreprocessResult:
    """What preprocessing made of an image.

    ``steps``: ``(name, image)`` pairs in order, each a float32 ``(H, W)`` array in 0..1, for a strip that shows
    them. ``image``: the final 28x28 float32 model input (white ink on black), or None when nothing was drawn.
    ``inverted``: the input was dark ink on a light background and was inverted. ``message`` explains an empty
    result ("nothing drawn") or is "".
    """

    steps: list[tuple[str, np.ndarray]]
    image: np.ndarray | None
    inverted: bool = False
    message: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self.image is None

    def model_input(self) -> np.ndarray:
        """The image as a float32 NHWC batch of one, ``(1, 28, 28, 1)``; ValueError when nothing was drawn."""
        if self.image is None:
            raise ValueError("nothing drawn: there is no model input")
        return self.image[np.newaxis, :, :, np.newaxis].astype(np.float32, copy=False)


# ---------------------------------------------------------------------------------------------- arrays
def as_gray_float(image: np.ndarray) -> np.ndarray:
    """Any image array -> float32 ``(H, W)`` grayscale in 0..1.

    Accepts ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (RGB) and ``(H, W, 4)`` (RGBA, composited on white);
    uint8 (0..255), uint16 (0..65535), bool, or float (0..1; floats above 1 are taken as 0..255).
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] in (1, 3, 4):
        pass
    elif a.ndim != 2:
        raise PreprocessError(f"expected a grayscale (H, W) or colour (H, W, 1/3/4) image, got shape {a.shape}")
    if a.size == 0:
        raise PreprocessError(f"the image has no pixels (shape {a.shape})")
    if a.dtype == bool:
        f = a.astype(np.float32)
    elif np.issubdtype(a.dtype, np.integer):
        top = 65535.0 if (a.dtype.itemsize > 1 and a.max() > 255) else 255.0
        f = a.astype(np.float32) / np.float32(top)
    elif np.issubdtype(a.dtype, np.floating):
        f = a.astype(np.float32)
        if not np.all(np.isfinite(f)):
            raise PreprocessError("the image contains NaN or infinite values")
        if f.max() > 1.0:
            f = f / np.float32(255.0)
    else:
        raise PreprocessError(f"unsupported pixel type {a.dtype}")
    f = np.clip(f, 0.0, 1.0)
    if f.ndim == 3:
        if f.shape[2] == 4:  # transparent pixels show the white page behind them
            alpha = f[:, :, 3:4]
            f = np.concatenate([f[:, :, :3] * alpha + (1.0 - alpha), alpha], axis=2)
        if f.shape[2] >= 3:  # ITU-R 601 luma, as Pillow's convert("L")
            f = f[:, :, 0] * 0.299 + f[:, :, 1] * 0.587 + f[:, :, 2] * 0.114
        else:
            f = f[:, :, 0]
    return np.ascontiguousarray(f, dtype=np.float32)


def _background_level(gray: np.ndarray) -> float:
    """The background brightness: the median pixel (ink covers less than half of any sensible drawing, even
    one that runs off every edge, so the median is paper; a coarse grid of pixels is enough to find it)."""
    step = max(1, int(np.sqrt(gray.size / 40_000)))
    return float(np.median(gray[::step, ::step]))


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a float image to ``(width, height)`` (Pillow LANCZOS on a 32-bit float image)."""
    from PIL import Image

    out = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)  # Lanczos overshoots a little at edges


def preprocess_array(image: np.ndarray) -> PreprocessResult:
    """Preprocess a canvas render or any image array (see :func:`as_gray_float` for accepted forms).

    Steps: input -> white ink on black (inverted if the background is light, background level removed) ->
    cropped to the ink -> fit in 20x20 keeping the aspect ratio -> centred by centre of mass in 28x28 ->
    scaled to 0..1 (strongest ink = 1). An image without ink gives ``empty`` with message "nothing drawn".
    """
    gray = as_gray_float(image)
    steps: list[tuple[str, np.ndarray]] = [("input", gray)]
    background = _background_level(gray)
    inverted = background > 0.5
    ink = 1.0 - gray if inverted else gray
    level = 1.0 - background if inverted else background
    ink = np.clip(ink - level, 0.0, None)
    if level < 1.0:
        ink = ink / np.float32(1.0 - level)
    steps.append(("inverted: white ink on black" if inverted else "white ink on black (as given)", ink))
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        return PreprocessResult(steps, None, inverted, NOTHING_DRAWN)

    rows = np.flatnonzero((ink >= INK_THRESHOLD * peak).any(axis=1))
    cols = np.flatnonzero((ink >= INK_THRESHOLD * peak).any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = ink[top:bottom, left:right]
    steps.append(("cropped to the ink", crop))

    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    box = _resize(crop, size)
    steps.append((f"fit in {BOX}×{BOX}", box))

    centred = _centre_by_mass(box)
    steps.append((f"centred in {FIELD}×{FIELD}", centred))

    top_value = float(centred.max())
    notes: tuple[str, ...] = ()
    if top_value <= 0.0:  # cannot happen for ink above MIN_CONTRAST, kept as a guard
        return PreprocessResult(steps, None, inverted, NOTHING_DRAWN)
    final = np.clip(centred / np.float32(top_value), 0.0, 1.0).astype(np.float32)
    steps.append(("scaled to 0..1", final))
    if max(h, w) < gray.shape[0] * 0.08 and max(h, w) < gray.shape[1] * 0.08:
        notes = ("the drawing is tiny: it was enlarged a lot to fill the 20×20 box",)
    return PreprocessResult(steps, final, inverted, "", notes)


def _centre_by_mass(box: np.ndarray) -> np.ndarray:
    """Place ``box`` (at most 20x20) in a 28x28 field with its centre of mass at MNIST's centre.

    The shift is whole pixels, as in MNIST, and clamped so that no ink leaves the field.
    """
    h, w = box.shape
    total = float(box.sum())
    if total > 0:
        cy = float((box.sum(axis=1) * np.arange(h)).sum() / total)
        cx = float((box.sum(axis=0) * np.arange(w)).sum() / total)
    else:
        cy, cx = (h - 1) / 2, (w - 1) / 2
    oy = int(np.clip(round(COM_TARGET - cy), 0, FIELD - h))
    ox = int(np.clip(round(COM_TARGET - cx), 0, FIELD - w))
    out = np.zeros((FIELD, FIELD), np.float32)
    out[oy:oy + h, ox:ox + w] = box
    return out


# ---------------------------------------------------------------------------------------------- files
def load_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file (PNG, JPEG, BMP, GIF, TIFF, WebP... any size and mode) as float32 ``(H, W)`` 0..1.

    Through the one picture reader (cnnviz.core.data.image_files): transparency composited on white; 16-bit,
    32-bit and float images scaled to the full range; palette, CMYK and colour images become luma; EXIF rotation
    applied. Images longer than 1024 px are reduced (a digit needs far fewer pixels). Raises PreprocessError for a
    missing, empty, truncated or unreadable file and for images above 40 Mpx.
    """
    from cnnviz.core.data.image_files import ImageFileError, open_picture

    path = Path(path).expanduser()
    try:
        with open_picture(path, max_pixels=MAX_PIXELS, draft=("L", WORK_SIZE)) as im:
            gray = _pil_to_gray(im, path.name)
    except ImageFileError as exc:
        raise PreprocessError(str(exc)) from exc
    if max(gray.shape) > WORK_SIZE:
        scale = WORK_SIZE / max(gray.shape)
        gray = _resize(gray, (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale))))
    return gray


def _pil_to_gray(im, name: str = "the picture") -> np.ndarray:
    """A loaded Pillow image of any mode -> float32 (H, W) 0..1 (the one reader's 8-bit luma, divided by 255)."""
    from cnnviz.core.data.image_files import to_8bit

    im = to_8bit(im, "L", name)
    factor = max(im.size) // WORK_SIZE
    if factor >= 2:  # average whole blocks before going to float (a 40 Mpx photo would be 160 MB of float32)
        im = im.reduce(factor)
    return np.asarray(im, dtype=np.float32) / np.float32(255.0)


def preprocess_file(path: str | os.PathLike) -> PreprocessResult:
    """:func:`load_image` then :func:`preprocess_array`: the same steps as a drawing."""
    return preprocess_array(load_image(path))
