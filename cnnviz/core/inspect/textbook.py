"""2D convolution as the lecture defines it, beside the cross-correlation that Keras's Conv2D computes.

The lecture: ``Y = X * W``, ``Y[i, j] = sum_{k1, k2} X[i - k1, j - k2] W[k1, k2]``. Read that way round, the
kernel is rotated by 180 degrees before it slides over the image: the window's top-left pixel meets the kernel's
bottom-right weight. TensorFlow's Conv2D (and every deep-learning library) computes the cross-correlation
``Y[i, j] = sum X[i + k1, j + k2] W[k1, k2]``: the same windows, the kernel *not* rotated. That is why a kernel
learned by Keras looks "flipped" against the textbook's; the two agree exactly when the kernel is rotated.

Modes, as for the 1D explorer (and ``scipy.signal.convolve2d``): ``full`` adds ``m - 1`` zeros on each side (every
overlap), ``valid`` none (only windows inside the image), ``same`` ``m - 1`` in total so that the output is as
big as the input; for an even kernel the extra zero goes before (top / left), which centres ``same`` in ``full``
as numpy and scipy do (for the cross-correlation of an even kernel scipy's ``correlate2d`` centres 'same' one
cell later; this module keeps the convolution's windows, as ``numpy.correlate`` does). A stride ``s`` keeps every s-th window: ``o = floor((n + p_total - m)/s) + 1``.

Worked examples of the lecture's slides are in :data:`WORKED_EXAMPLES`. Single channel, float64 numpy, no
TensorFlow; tests/core/test_textbook_conv2d.py checks it against scipy and tf.nn.conv2d.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cnnviz.core.inspect.convolution import conv1d_mode_padding

Mode = Literal["full", "same", "valid"]
MODES = ("full", "same", "valid")


@dataclass(frozen=True)
class Step2D:
    """One output cell: where its window lies in the padded image, the kernel it meets, the products and sum."""

    row: int
    col: int
    top: int                 # the window's first row and column in the padded image
    left: int
    window: np.ndarray       # (m_h, m_w) of the padded image
    kernel: np.ndarray       # the kernel as it meets the window (rotated by 180 degrees for a true convolution)
    products: np.ndarray
    value: float

    def formula(self, flip: bool) -> str:
        """``Y[i,j] = x*w + ...`` with the numbers (at most 12 terms written out)."""
        terms = [f"{_num(a)}\u00b7{_num(b)}" for a, b in zip(self.window.ravel(), self.kernel.ravel())]
        shown = " + ".join(terms[:12]) + (" + \u2026" if len(terms) > 12 else "")
        what = "X window \u00b7 W rotated 180\u00b0" if flip else "X window \u00b7 W"
        return f"Y[{self.row},{self.col}] = \u03a3 {what} = {shown} = {_num(self.value)}"


def _num(v: float) -> str:
    return f"{v:g}" if float(v).is_integer() else f"{v:.3g}"


def _matrix(a: object, what: str) -> np.ndarray:
    try:
        m = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a matrix of numbers") from None
    if m.ndim != 2 or 0 in m.shape:
        raise ValueError(f"{what} must be a non-empty 2D matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{what} holds a value that is not a finite number")
    return m


def mode_padding(kernel_shape: tuple[int, int], mode: Mode) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) zeros added for a kernel of ``kernel_shape`` in ``mode``."""
    return conv1d_mode_padding(kernel_shape[0], mode), conv1d_mode_padding(kernel_shape[1], mode)


def output_size(n: int, m: int, pad_total: int, stride: int) -> int:
    """The lecture's formula: o = floor((n + p_total - m)/s) + 1 (0 when the kernel does not fit)."""
    return max((n + pad_total - m) // stride + 1, 0)


def rotate180(w: np.ndarray) -> np.ndarray:
    """The kernel turned half a turn: W[k1, k2] -> W[m1-1-k1, m2-1-k2]."""
    return np.asarray(w)[::-1, ::-1]


def conv2d_steps(x: object, w: object, mode: Mode = "valid", stride: int = 1, flip: bool = True
                 ) -> tuple[np.ndarray, list[Step2D]]:
    """(padded image, every output cell in reading order) of the lecture's 2D convolution (``flip=False``:
    the cross-correlation Keras computes)."""
    x, w = _matrix(x, "the image X"), _matrix(w, "the kernel W")
    if mode not in MODES:
        raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"stride must be a whole number >= 1, got {stride!r}")
    (pt, pb), (pl, pr) = mode_padding(w.shape, mode)
    xp = np.pad(x, ((pt, pb), (pl, pr)))
    oh = output_size(x.shape[0], w.shape[0], pt + pb, stride)
    ow = output_size(x.shape[1], w.shape[1], pl + pr, stride)
    if oh == 0 or ow == 0:
        raise ValueError(f"the {w.shape[0]}x{w.shape[1]} kernel does not fit the {x.shape[0]}x{x.shape[1]} image "
                         f"with mode '{mode}': choose 'same' or 'full', or a smaller kernel")
    k = rotate180(w) if flip else w
    steps = []
    for i in range(oh):
        for j in range(ow):
            top, left = i * stride, j * stride
            window = xp[top:top + w.shape[0], left:left + w.shape[1]]
            products = window * k
            steps.append(Step2D(i, j, top, left, window, k, products, float(products.sum())))
    return xp, steps


def conv2d(x: object, w: object, mode: Mode = "valid", stride: int = 1, flip: bool = True) -> np.ndarray:
    """The output matrix of :func:`conv2d_steps`."""
    _, steps = conv2d_steps(x, w, mode, stride, flip)
    oh, ow = steps[-1].row + 1, steps[-1].col + 1
    return np.array([s.value for s in steps]).reshape(oh, ow)


@dataclass(frozen=True)
class WorkedExample:
    title: str
    x: np.ndarray
    w: np.ndarray
    mode: Mode
    stride: int
    note: str


# The lecture's convolution slide (the "ELI5" guide it cites): a 5x5x1 binary image and a 3x3x1 kernel. The
# kernel is symmetric under a half turn, so the textbook convolution and Keras's cross-correlation agree on it.
LECTURE_IMAGE = np.array([[1, 1, 1, 0, 0],
                          [0, 1, 1, 1, 0],
                          [0, 0, 1, 1, 1],
                          [0, 0, 1, 1, 0],
                          [0, 1, 1, 0, 0]], dtype=np.float64)
LECTURE_KERNEL = np.array([[1, 0, 1],
                           [0, 1, 0],
                           [1, 0, 1]], dtype=np.float64)
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)

WORKED_EXAMPLES: dict[str, WorkedExample] = {
    "slide": WorkedExample("Lecture slide: 5x5 image, 3x3 kernel, stride 1, valid", LECTURE_IMAGE, LECTURE_KERNEL,
                           "valid", 1, "The slide's 3x3 'convolved feature' [[4, 3, 4], [2, 4, 3], [2, 3, 4]]. "
                           "This kernel looks the same after a half turn, so flipping it changes nothing."),
    "slide_stride2": WorkedExample("Lecture slide with stride 2 and same padding", LECTURE_IMAGE, LECTURE_KERNEL,
                                   "same", 2, "o = floor((5 + 2 - 3)/2) + 1 = 3 along each axis."),
    "sobel": WorkedExample("An edge kernel (Sobel): the flip matters", LECTURE_IMAGE, SOBEL_X, "same", 1,
                           "Rotated by 180 degrees this kernel changes sign: the textbook convolution and Keras's "
                           "cross-correlation give opposite edges."),
    "full": WorkedExample("Full mode: every overlap", LECTURE_IMAGE, LECTURE_KERNEL, "full", 1,
                          "m - 1 = 2 zeros on each side: a 7x7 output."),
}
