"""The lecture's image transformations, one function each, for previewing them on a chosen face.

Inputs are uint8 (H, W, 3) images (a CelebA face is 218x178); each function returns a new numpy image. The
deterministic transforms return uint8 (H', W', 3) like their input; :func:`random_augmented` and
:func:`evaluation_view` return float32 64x64x3 in 0..1, exactly what the model sees, because they call the very
functions the CelebA pipeline uses (:func:`cnnviz.core.data.celeba.train_transform` / ``eval_transform``).
Pure TensorFlow ``tf.image`` ops (imported lazily); no GUI.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from cnnviz.core.data.celeba import CROP_SIZE, IMAGE_SIZE


def _as_image(image) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
    return image


def _to_uint8(x) -> np.ndarray:
    """float 0..255 (e.g. tf.image.resize output) -> uint8, rounded and clipped."""
    return np.clip(np.rint(np.asarray(x, np.float32)), 0, 255).astype(np.uint8)


def crop_box(image, top: int = 50, left: int = 20, height: int = 128, width: int = 128) -> np.ndarray:
    """``tf.image.crop_to_bounding_box``: the ``height`` x ``width`` box whose top-left pixel is (``top``, ``left``).

    The lecture's call: ``crop_to_bounding_box(img, offset_height=50, offset_width=20, target_height=128,
    target_width=128)``. Raises ValueError when the box does not fit inside the image.
    """
    import tensorflow as tf

    image = _as_image(image)
    h, w = image.shape[:2]
    if min(top, left) < 0 or min(height, width) < 1 or top + height > h or left + width > w:
        raise ValueError(f"the box rows {top}..{top + height - 1}, columns {left}..{left + width - 1} does not fit "
                         f"in a {h}x{w} image (H x W)")
    return tf.image.crop_to_bounding_box(image, top, left, height, width).numpy()


def flip_left_right(image) -> np.ndarray:
    """``tf.image.flip_left_right``: the mirror image (columns reversed)."""
    import tensorflow as tf

    return tf.image.flip_left_right(_as_image(image)).numpy()


def adjust_contrast(image, factor: float = 2.0) -> np.ndarray:
    """``tf.image.adjust_contrast``: each channel's distance from its mean multiplied by ``factor`` (lecture: 2),
    saturated to 0..255."""
    import tensorflow as tf

    return tf.image.adjust_contrast(_as_image(image), contrast_factor=float(factor)).numpy()


def adjust_brightness(image, delta: float = 0.3) -> np.ndarray:
    """``tf.image.adjust_brightness``: ``delta`` (on the 0..1 scale; lecture: 0.3) added to every pixel,
    saturated to 0..255."""
    import tensorflow as tf

    return tf.image.adjust_brightness(_as_image(image), delta=float(delta)).numpy()


def central_crop_resize(image, fraction: float = 0.7, size: tuple[int, int] | None = None) -> np.ndarray:
    """``tf.image.central_crop`` keeping ``fraction`` of each side (lecture: 0.7), then ``tf.image.resize`` back to
    ``size`` (H, W; default the input's own size, the lecture's (218, 178)), bilinear, rounded to uint8."""
    import tensorflow as tf

    image = _as_image(image)
    if not 0 < fraction <= 1:
        raise ValueError(f"the central fraction must be in (0, 1], got {fraction}")
    size = tuple(size) if size is not None else image.shape[:2]
    cropped = tf.image.central_crop(image, central_fraction=float(fraction))
    return _to_uint8(tf.image.resize(cropped, size))


def random_augmented(image, n: int = 5, seed: int = 1, *, crop_size: int = CROP_SIZE,
                     image_size: tuple[int, int] = IMAGE_SIZE) -> np.ndarray:
    """``n`` training views of ``image`` as the CelebA training pipeline makes them: float32 (n, 64, 64, 3) 0..1.

    Random ``crop_size`` square crop, resize to ``image_size``, random left-right flip: the pipeline's own
    :func:`cnnviz.core.data.celeba.train_transform`, so preview and training cannot drift. Same ``seed``, same views.
    """
    from cnnviz.core.data.celeba import train_transform

    image = _as_image(image)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    views = [train_transform(image, np.array([seed, i], np.int64), crop_size=crop_size, image_size=image_size)
             for i in range(n)]
    return np.stack([v.numpy() for v in views]) if views else np.zeros((0, *image_size, 3), np.float32)


def evaluation_view(image, *, crop_size: int = CROP_SIZE, image_size: tuple[int, int] = IMAGE_SIZE) -> np.ndarray:
    """What the model sees of ``image`` at evaluation: centre ``crop_size`` square, resized; float32 0..1."""
    from cnnviz.core.data.celeba import eval_transform

    return eval_transform(_as_image(image), crop_size=crop_size, image_size=image_size).numpy()


@dataclass(frozen=True)
class Transform:
    """One lecture transformation for a preview panel: ``apply(image, **params)``; ``code`` is the lecture's call."""

    key: str
    title: str
    apply: Callable[..., np.ndarray]
    params: dict[str, Any]
    code: str


LECTURE_TRANSFORMS: tuple[Transform, ...] = (
    Transform("crop", "Crop to a bounding box", crop_box, {"top": 50, "left": 20, "height": 128, "width": 128},
              "tf.image.crop_to_bounding_box(img, offset_height=50, offset_width=20, target_height=128, "
              "target_width=128)"),
    Transform("flip", "Flip left-right", flip_left_right, {}, "tf.image.flip_left_right(img)"),
    Transform("contrast", "Adjust contrast", adjust_contrast, {"factor": 2.0},
              "tf.image.adjust_contrast(img, contrast_factor=2)"),
    Transform("brightness", "Adjust brightness", adjust_brightness, {"delta": 0.3},
              "tf.image.adjust_brightness(img, delta=0.3)"),
    Transform("central_crop", "Central crop and resize", central_crop_resize, {"fraction": 0.7},
              "tf.image.resize(tf.image.central_crop(img, central_fraction=0.7), size=(218, 178))"),
)
