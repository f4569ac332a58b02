"""Images for the inspector: any picture (array or file) as a float32 HWC model input in 0..1.

Re-exported by :mod:`cnnviz.core.inspect.inspection`; errors are its ``InspectionError``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


# ------------------------------------------------------------------------------------------------ images
def to_model_input(image: np.ndarray, input_shape: tuple[int, int, int]) -> np.ndarray:
    """Any image (H, W), (H, W, 1/3/4), uint8 0..255 or float 0..1 -> float32 ``input_shape`` (H, W, C) 0..1.

    Colour becomes luma (ITU-R 601) for a 1-channel model, gray is repeated for a 3-channel one, alpha is
    dropped; the size is changed with Pillow's bilinear filter (antialiased when shrinking).
    """
    from PIL import Image

    from cnnviz.core.inspect.inspection import InspectionError

    a = np.asarray(image)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or a.size == 0:
        raise InspectionError(f"expected an image shaped (H, W) or (H, W, 1/3/4), got {a.shape}")
    a = a.astype(np.float32) / np.float32(255.0) if a.dtype == np.uint8 else a.astype(np.float32)
    a = a[..., :3]
    h, w, c = (int(v) for v in input_shape)
    if c == 1 and a.shape[2] == 3:
        a = (a @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
    elif c == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif c not in (1, 3):
        raise InspectionError(f"models with {c} input channels are not supported (1 or 3)")
    if a.shape[:2] != (h, w):
        a = np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(a[..., k])).resize((w, h), Image.BILINEAR))
                      for k in range(c)], axis=-1)
    return np.clip(a, 0.0, 1.0).astype(np.float32)


def load_image_file(path: str | os.PathLike, input_shape: tuple[int, int, int], *,
                    invert: str = "auto") -> tuple[np.ndarray, str]:
    """Read PNG/JPEG/BMP/... (any size and mode) as a float32 model input of ``input_shape`` (HWC, 0..1).

    Returns (image, note). For a 1-channel model, ``invert="auto"`` inverts a dark-on-light picture into
    MNIST's light-on-dark (the note says so). Raises InspectionError with a readable message for a missing,
    empty, truncated or non-image file.
    """
    from cnnviz.core.data.image_files import ImageFileError, read_rgb
    from cnnviz.core.inspect.inspection import InspectionError

    try:
        rgb, _ = read_rgb(path)
    except ImageFileError as exc:
        raise InspectionError(str(exc)) from exc
    p = Path(path).expanduser()
    image = to_model_input(rgb, input_shape)
    note = f"{p.name}: {rgb.shape[1]}x{rgb.shape[0]} -> {input_shape[1]}x{input_shape[0]}x{input_shape[2]}"
    if input_shape[2] == 1 and invert != "never":
        border = np.concatenate([image[0].ravel(), image[-1].ravel(), image[:, 0].ravel(), image[:, -1].ravel()])
        if invert == "always" or (invert == "auto" and float(np.median(border)) > 0.5):
            image = 1.0 - image
            note += " (inverted: dark ink on a light background, MNIST digits are light on dark)"
    return image, note
