"""Read a folder of images laid out as one subfolder per class (``root/cat/*.jpg``, ``root/dog/*.png``).

This module only reads pixels and labels; :func:`cnnviz.core.data.readers.load_image_folder` turns the result
into a :class:`~cnnviz.core.data.dataset.Dataset` with a train/test split. Pure: numpy and Pillow.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz.core.data.image_files import open_picture, to_8bit
from cnnviz.core.data.walk import FolderWalk, WalkLimitError

COLOR_MODES = ("grayscale", "rgb")
_MAX_LISTED = 50  # skipped files named one by one; the rest are counted


class ImageFolderError(ValueError):
    """The folder cannot be used as a dataset; the message says why and what layout is expected."""


@dataclass(frozen=True)
class ImageFolderContents:
    """Pixels and labels read from an image folder.

    ``x``: uint8 ``(N, H, W, C)`` with C = 1 (grayscale) or 3 (rgb); ``y``: int64 ``(N,)`` indices into
    ``class_names`` (the sorted subfolder names); ``skipped``: ``(relative path, reason)`` of every file
    Pillow could not read.
    """

    x: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]

    def skipped_notes(self) -> tuple[str, ...]:
        """Human-readable lines about the skipped files (a count, then up to 50 names), or ()."""
        if not self.skipped:
            return ()
        lines = [f"Skipped {len(self.skipped)} file(s) that Pillow could not read as images."]
        lines += [f"skipped {rel}: {why}" for rel, why in self.skipped[:_MAX_LISTED]]
        if len(self.skipped) > _MAX_LISTED:
            lines.append(f"... and {len(self.skipped) - _MAX_LISTED} more skipped file(s).")
        return tuple(lines)


_LAYOUT = "Expected one subfolder per class, e.g. digits/0/a.png, digits/0/b.png, digits/1/c.png."


def read_image_folder(
    path: str | os.PathLike,
    *,
    image_size: tuple[int, int] = (28, 28),
    color_mode: str = "grayscale",
) -> ImageFolderContents:
    """Read every image under ``path/<class>/`` (recursively), resized to ``image_size`` = (H, W).

    Any format Pillow reads is accepted; the EXIF orientation is applied; transparent pixels are composited on
    white; the image is stretched to (H, W) with bilinear filtering (as Keras's image_dataset_from_directory
    does by default). Hidden files and folders (names starting with '.') are ignored; files Pillow cannot read
    are skipped and reported in ``skipped``. Class names are the sorted subfolder names.

    Raises ImageFolderError when the folder is missing or not a folder, has no class subfolders, has only one
    class, has no readable images at all, or has a class folder without a readable image.
    """
    root = Path(path).expanduser()
    height, width = _check_size(image_size)
    if color_mode not in COLOR_MODES:
        raise ImageFolderError(f"color_mode must be one of {COLOR_MODES}, got {color_mode!r}.")
    if not root.exists():
        raise ImageFolderError(f"Image folder {root} does not exist.")
    if not root.is_dir():
        raise ImageFolderError(
            f"{root} is a file, not a folder. Choose the folder that holds the class folders. {_LAYOUT}")
    class_dirs = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    if not class_dirs:
        raise ImageFolderError(f"Image folder {root} has no class subfolders. {_LAYOUT}")
    if len(class_dirs) == 1:
        raise ImageFolderError(
            f"Image folder {root} has only one class subfolder ({class_dirs[0].name!r}); a classifier needs at "
            f"least two classes. {_LAYOUT}"
        )

    images: list[np.ndarray] = []
    labels: list[int] = []
    skipped: list[tuple[str, str]] = []
    per_class = [0] * len(class_dirs)
    walk = FolderWalk(root)   # one bound for the whole chosen folder
    for label, class_dir in enumerate(class_dirs):
        for file in _files_under(class_dir, walk):
            try:
                images.append(_load_one(file, (width, height), color_mode))
            except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for unreadable files
                skipped.append((file.relative_to(root).as_posix(), _reason(exc)))
                continue
            labels.append(label)
            per_class[label] += 1

    if not images:
        raise ImageFolderError(
            f"Image folder {root} has no readable images in any of its {len(class_dirs)} class folders"
            + (f" ({len(skipped)} file(s) could not be read as images)." if skipped else ".")
        )
    empty = [d.name for d, n in zip(class_dirs, per_class) if n == 0]
    if empty:
        raise ImageFolderError(
            f"Class folder(s) {', '.join(repr(e) for e in empty)} in {root} have no readable images; every class "
            "needs at least one. Add images or remove the folder."
        )
    channels = 1 if color_mode == "grayscale" else 3
    x = np.stack(images).reshape(len(images), height, width, channels)
    return ImageFolderContents(
        x=x,
        y=np.asarray(labels, dtype=np.int64),
        class_names=tuple(d.name for d in class_dirs),
        skipped=tuple(skipped),
    )


def _check_size(image_size) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in image_size)
    except (TypeError, ValueError):
        raise ImageFolderError(f"image_size must be (height, width), got {image_size!r}.") from None
    if height < 1 or width < 1:
        raise ImageFolderError(f"image_size must be positive, got {image_size!r}.")
    return height, width


def _files_under(folder: Path, walk: FolderWalk | None = None):
    """Regular files below ``folder`` (cnnviz.core.data.walk: never a FIFO or a device, bounded, progress)."""
    try:
        yield from (walk or FolderWalk(folder)).files(folder)
    except WalkLimitError as exc:
        raise ImageFolderError(str(exc)) from None


def _load_one(file: Path, size_wh: tuple[int, int], color_mode: str) -> np.ndarray:
    """One picture through the one reader (cnnviz.core.data.image_files: pixel cap before decoding, every mode
    scaled to 0..255, transparency on white), resized to ``size_wh`` bilinearly."""
    with open_picture(file) as img:
        img = to_8bit(img, "L" if color_mode == "grayscale" else "RGB", file.name)
        if img.size != size_wh:
            img = img.resize(size_wh, Image.Resampling.BILINEAR)
        return np.asarray(img, dtype=np.uint8)


def _reason(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
