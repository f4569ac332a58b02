"""What the augmentation panel computes and shows, without Qt: parameter ranges, explanations, the TensorFlow
call written out for the current values, crop regions, and the batch of core calls run on a pool thread."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from cnnviz.core.data.augment_preview import LECTURE_TRANSFORMS, Transform
from cnnviz.core.data.celeba import CROP_SIZE, IMAGE_SIZE

TRANSFORMS: dict[str, Transform] = {t.key: t for t in LECTURE_TRANSFORMS}

NOTES = {
    "crop": "Keep a box of pixels: its top-left corner and size, in pixels (rows first).",
    "flip": "Mirror the columns: a face looking left now looks right. The label does not change.",
    "contrast": "Each channel's distance from its mean × factor; results beyond 0..255 saturate.",
    "brightness": "Add delta (on the 0..1 scale: 0.3 ≈ +77 of 255) to every pixel, saturating at 255.",
    "central_crop": "Keep the central fraction of each side, then resize back to the original size.",
}


@dataclass(frozen=True)
class ParamSpec:
    """One adjustable argument: ``name`` as the core function takes it, ``label`` as TensorFlow names it.
    ``hi`` None: bounded by the image (``along`` "height" or "width"; ``lo`` 0 is an offset, 1 a size)."""

    name: str
    label: str
    kind: str                    # "int" or "float"
    lo: float
    hi: float | None
    step: float = 1.0
    decimals: int = 0
    along: str = ""
    tooltip: str = ""


PARAMS: dict[str, tuple[ParamSpec, ...]] = {
    "crop": (ParamSpec("top", "offset_height", "int", 0, None, along="height", tooltip="first row kept"),
             ParamSpec("left", "offset_width", "int", 0, None, along="width", tooltip="first column kept"),
             ParamSpec("height", "target_height", "int", 1, None, along="height", tooltip="rows kept"),
             ParamSpec("width", "target_width", "int", 1, None, along="width", tooltip="columns kept")),
    "flip": (),
    "contrast": (ParamSpec("factor", "contrast_factor", "float", 0.0, 4.0, 0.1, 1,
                           tooltip="1 leaves the image as it is; < 1 flattens it; > 1 strengthens it"),),
    "brightness": (ParamSpec("delta", "delta", "float", -1.0, 1.0, 0.05, 2,
                             tooltip="added to every pixel on the 0..1 scale; negative darkens"),),
    "central_crop": (ParamSpec("fraction", "central_fraction", "float", 0.05, 1.0, 0.05, 2,
                               tooltip="the share of each side that is kept (1 keeps everything)"),),
}


def param_range(spec: ParamSpec, shape: tuple[int, ...]) -> tuple[float, float]:
    """The spin-box range of ``spec`` for an image of ``shape`` (H, W, C)."""
    if spec.hi is not None:
        return spec.lo, spec.hi
    extent = shape[0] if spec.along == "height" else shape[1]
    return spec.lo, extent - 1 if spec.lo == 0 else extent


def _num(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Call:
    """A function call to print: ``name(args...)``; an argument is a str or another Call."""

    name: str
    args: tuple = ()

    def flat(self) -> str:
        return f"{self.name}(" + ", ".join(a.flat() if isinstance(a, Call) else a for a in self.args) + ")"

    def render(self, width: int = 200, indent: int = 0) -> str:
        """On one line when it fits in ``width`` characters, else one argument per line (black's style)."""
        one = self.flat()
        if indent + len(one) <= width or not self.args:
            return one
        pad = " " * (indent + 2)
        lines = [pad + (a.render(width, indent + 2).lstrip() if isinstance(a, Call) else a) for a in self.args]
        return f"{self.name}(\n" + ",\n".join(lines) + ")"


def call_for(key: str, params: dict[str, Any], shape: tuple[int, ...]) -> Call:
    """The lecture's TensorFlow call for transform ``key`` with ``params`` on an image of ``shape``."""
    if key == "crop":
        return Call("tf.image.crop_to_bounding_box",
                    ("img", f"offset_height={params['top']}", f"offset_width={params['left']}",
                     f"target_height={params['height']}", f"target_width={params['width']}"))
    if key == "flip":
        return Call("tf.image.flip_left_right", ("img",))
    if key == "contrast":
        return Call("tf.image.adjust_contrast", ("img", f"contrast_factor={_num(params['factor'])}"))
    if key == "brightness":
        return Call("tf.image.adjust_brightness", ("img", f"delta={_num(params['delta'])}"))
    if key == "central_crop":
        return Call("tf.image.resize", (Call("tf.image.central_crop", ("img", f"central_fraction="
                                                                       f"{_num(params['fraction'])}")),
                                        f"size=({shape[0]}, {shape[1]})"))
    raise KeyError(key)


def code_for(key: str, params: dict[str, Any], shape: tuple[int, ...], width: int = 200) -> str:
    """:func:`call_for` as text, broken over lines to fit ``width`` characters."""
    return call_for(key, params, shape).render(width)


def central_crop_region(shape: tuple[int, ...], fraction: float) -> tuple[int, int, int, int]:
    """(top, left, height, width) that ``tf.image.central_crop`` keeps (its own integer arithmetic)."""
    h, w = shape[:2]
    top, left = int((h - h * fraction) / 2), int((w - w * fraction) / 2)
    return top, left, h - 2 * top, w - 2 * left


def eval_region(shape: tuple[int, ...], crop_size: int = CROP_SIZE) -> tuple[int, int, int, int]:
    """(top, left, side, side): the centred square the evaluation pipeline keeps."""
    h, w = shape[:2]
    side = min(h, w, crop_size)
    return (h - side) // 2, (w - side) // 2, side, side


def training_code(shape: tuple[int, ...]) -> str:
    side = min(shape[0], shape[1], CROP_SIZE)
    return ("# training: new random views every epoch\n"
            f"img = tf.image.random_crop(img, size=({side}, {side}, 3))\n"
            f"img = tf.image.resize(img, size={IMAGE_SIZE})\n"
            "img = tf.image.random_flip_left_right(img)\n"
            "img = img / 255.0")


def evaluation_code(shape: tuple[int, ...]) -> str:
    top, left, side, _ = eval_region(shape)
    return ("# evaluation: always the same view\n"
            f"img = tf.image.crop_to_bounding_box(\n    img, offset_height={top},\n"
            f"    offset_width={left}, target_height={side},\n    target_width={side})\n"
            f"img = tf.image.resize(img, size={IMAGE_SIZE})\n"
            "img = img / 255.0")


class JobError(str):
    """A job's failure message (a str, so it crosses threads as plain data)."""


Job = tuple[Callable[..., np.ndarray], dict[str, Any]]


def run_jobs(image: np.ndarray, jobs: dict[str, Job], generation: int = 0) -> tuple[int, dict[str, Any]]:
    """Run each ``fn(image, **kwargs)``; returns ``(generation, {key: array or JobError})``. Blocking: imports
    TensorFlow (with the app's thread settings) on first use, so call it on a pool thread."""
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    out: dict[str, Any] = {}
    for key, (fn, kwargs) in jobs.items():
        try:
            out[key] = fn(image, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown on the tile, the other tiles still update
            out[key] = JobError(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    return generation, out
