"""Attribution maps as 8-bit colour pictures (for the CLI's PNGs and for slides): a sequential map for maps that
are 0..1 (saliency, Grad-CAM), a diverging blue-white-red map for signed ones (occlusion, integrated gradients),
symmetric around 0 so that white always means "no effect"."""
from __future__ import annotations

import numpy as np

# black -> purple -> orange -> pale yellow (an inferno-like ramp)
_SEQUENTIAL = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], np.float64)
# blue (negative) -> white (0) -> red (positive)
_DIVERGING = np.array([[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]],
                      np.float64)


def _ramp(t: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0) * (len(anchors) - 1)
    i = np.minimum(t.astype(int), len(anchors) - 2)
    f = (t - i)[..., None]
    return np.round(anchors[i] * (1 - f) + anchors[i + 1] * f).astype(np.uint8)


def heat_rgb(heat: np.ndarray, *, signed: bool, scale: int = 1) -> np.ndarray:
    """(H, W) (or HWC, summed over channels) -> uint8 (H*scale, W*scale, 3). Unsigned maps are scaled by their
    maximum; signed maps by their largest magnitude, 0 in the middle (white)."""
    h = np.asarray(heat, np.float64)
    if h.ndim == 3:
        h = h.sum(axis=-1)
    if h.ndim != 2:
        raise ValueError(f"a heat map is (H, W) or (H, W, C), not {h.shape}")
    if signed:
        top = float(np.max(np.abs(h))) if h.size else 0.0
        rgb = _ramp(0.5 + 0.5 * (h / top if top > 0 else h), _DIVERGING)
    else:
        top = float(np.max(h)) if h.size else 0.0
        rgb = _ramp(h / top if top > 0 else h, _SEQUENTIAL)
    if scale > 1:
        rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    return rgb
