"""Where the face comes from: a procedurally drawn example, an image file, or a CelebA image. No Qt here.

The synthetic face is deliberately asymmetric (hair swept to one side, a beauty mark, one earring, light
from the left) so that a left-right flip is visible at a glance.
"""
from __future__ import annotations

import os

import numpy as np

SYNTHETIC_NOTE = "synthetic example — open a CelebA folder or an image for a real face"
MAX_SIDE = 640      # larger pictures are shrunk so the lecture's pixel offsets still mean something


class ImageReadError(ValueError):
    """The file cannot be used as a picture; the message says why, for the user."""


# ------------------------------------------------------------------------------------------------ synthetic
def synthetic_face(height: int = 218, width: int = 178, seed: int = 0) -> np.ndarray:
    """A face-like uint8 (height, width, 3) picture laid out like an aligned CelebA face (178x218 by default).

    Drawn with numpy from soft-edged ellipses and gradients; the same arguments give the same picture.
    """
    sy, sx = height / 218.0, width / 178.0
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)

    def shape(cx, cy, rx, ry, angle=0.0, bend=0.0):
        """Coverage 0..1 of an (optionally rotated, bent) ellipse, anti-aliased over about one pixel."""
        cx, cy, rx, ry = cx * sx, cy * sy, rx * sx, ry * sy
        c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        u = ((x - cx) * c + (y - cy) * s) / rx
        v = (-(x - cx) * s + (y - cy) * c + bend * ry * u * u) / ry
        r = np.sqrt(u * u + v * v)
        return np.clip(0.5 - (r - 1.0) * min(rx, ry), 0.0, 1.0)

    def paint(alpha, color, strength=1.0):
        a = (alpha * strength)[..., None]
        img[:] = img * (1 - a) + a * np.asarray(color, np.float32)

    # background: a studio gradient, lighter at the upper left
    t = (y / height)[..., None]
    img[:] = (1 - t) * np.array([92, 128, 172]) + t * np.array([178, 196, 214])
    img += (18 * (1 - x / width))[..., None]
    # shoulders, neck, hair behind the head, ears
    paint(shape(89, 262, 96, 62), (58, 72, 118))
    paint(shape(89, 240, 34, 14), (236, 236, 240))                  # collar
    paint(shape(89, 186, 22, 34), (196, 146, 118))
    hair = shape(87, 100, 64, 76)
    paint(hair, (72, 46, 32))
    paint(shape(43, 122, 8, 14), (214, 162, 132))
    paint(shape(135, 122, 8, 14), (214, 162, 132))
    # the face, shaded: light comes from the upper left
    skin = np.array([238, 192, 160], np.float32)
    light = 1.08 - 0.28 * np.clip(np.hypot(x - 60 * sx, y - 95 * sy) / (90 * sx), 0, 1.2)
    face = shape(89, 120, 46, 62)
    a = face[..., None]
    img[:] = img * (1 - a) + a * np.clip(skin * light[..., None], 0, 255)
    # fringe swept to the right (viewer's right): the flip shows it
    paint(hair * shape(104, 70, 54, 24, angle=-16), (78, 50, 34))
    paint(hair * shape(62, 72, 22, 16, angle=35), (78, 50, 34))
    paint(hair * shape(104, 58, 34, 5, angle=-18), (122, 84, 56), 0.55)    # a sheen on the hair
    # eyebrows, eyes (white, iris, pupil, catch-light)
    for cx, tilt in ((69, 4), (109, -4)):
        paint(shape(cx, 100, 13, 3.0, angle=tilt, bend=-1.2), (70, 46, 34))
        paint(shape(cx, 113, 10.5, 5.2), (248, 248, 246))
        paint(shape(cx, 113, 4.8, 4.8), (86, 112, 70))
        paint(shape(cx, 113, 2.2, 2.2), (20, 18, 18))
        paint(shape(cx - 1.6, 111.3, 1.0, 1.0), (255, 255, 255))
        paint(shape(cx, 108.6, 11, 1.3), (120, 80, 64), 0.5)         # upper lid line
    # nose: a shadow on the side away from the light, nostrils
    paint(shape(95, 136, 4, 11), (200, 146, 118), 0.35)
    paint(shape(84, 145, 3, 1.8), (120, 70, 60), 0.8)
    paint(shape(96, 145, 3, 1.8), (120, 70, 60), 0.8)
    # a smiling mouth (bent ellipses: corners up), cheeks, a beauty mark and one earring
    paint(shape(89, 160, 17, 5.5, bend=0.9), (196, 78, 88))
    paint(shape(89, 158.5, 16, 1.1, bend=0.9), (110, 40, 48))
    paint(shape(64, 140, 10, 6), (236, 130, 130), 0.25)
    paint(shape(114, 140, 10, 6), (236, 130, 130), 0.25)
    paint(shape(117, 148, 1.8, 1.8), (80, 48, 40))
    paint(shape(43, 138, 3, 3), (230, 190, 60))
    # a little sensor noise, so contrast and brightness have texture to work on
    img += np.random.default_rng(seed).normal(0.0, 2.0, img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------------------ files
def read_rgb(path: str | os.PathLike, max_side: int | None = MAX_SIDE) -> tuple[np.ndarray, str]:
    """Read any PNG/JPEG/BMP/... as uint8 (H, W, 3) RGB, shrunk to ``max_side``; returns ``(image, note)``.
    Raises ImageReadError with a message for the user (see cnnviz.core.data.image_files.read_rgb)."""
    from cnnviz.core.data.image_files import ImageFileError
    from cnnviz.core.data.image_files import read_rgb as _read_rgb

    try:
        return _read_rgb(path, max_side)
    except ImageFileError as exc:
        raise ImageReadError(str(exc)) from exc


def as_rgb_uint8(image) -> np.ndarray:
    """Any (H, W), (H, W, 1/3/4) image, uint8 or float 0..1, as uint8 (H, W, 3); ValueError otherwise."""
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or 0 in a.shape:
        raise ValueError(f"expected an (H, W) or (H, W, 1/3/4) image, got shape {a.shape}")
    if a.dtype != np.uint8:
        a = np.asarray(a, np.float32)
        if a.size and float(np.nanmax(a)) <= 1.0:
            a = a * 255.0
        a = np.clip(np.rint(np.nan_to_num(a)), 0, 255).astype(np.uint8)
    a = a[..., :3]
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return np.ascontiguousarray(a)


def celeba_caption(index, row: int) -> str:
    """One line about CelebA image ``row`` (0-based) of a :class:`~cnnviz.core.data.celeba.CelebAIndex`."""
    from cnnviz.core.data.celeba import SPLITS

    name = str(index.filenames[row])
    split = SPLITS[int(index.partition[row])] if 0 <= int(index.partition[row]) < 3 else "?"
    has = [n for n, on in zip(index.attribute_names, index.attributes[row]) if on]
    male = ""
    if "Male" in index.attribute_names:
        male = " · Male" if index.attributes[row, index.attribute_names.index("Male")] else " · not Male"
    shown = ", ".join(n.replace("_", " ") for n in has[:6]) + (f" +{len(has) - 6} more" if len(has) > 6 else "")
    return f"CelebA {name} ({split}){male} — {shown or 'no attributes'}"
