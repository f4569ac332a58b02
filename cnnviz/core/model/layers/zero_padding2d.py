"""ZeroPadding2D: adds rows and columns of zeros around each feature map (MobileNet pads before a strided conv)."""
from __future__ import annotations

from cnnviz.core.model.layers.base import FieldDef, LayerKind, LayerOutput, Reach, Shape, SpecError, need_3d, require


def _side(name: str, label: str, where: str) -> FieldDef:
    return FieldDef(name, "int", 1, label, f"rows or columns of zeros added {where}", minimum=0, maximum=1024)


class ZeroPadding2D(LayerKind):
    name = "ZeroPadding2D"
    keras_class = "ZeroPadding2D"
    summary = "Zero padding: adds rows and columns of zeros around each feature map (no parameters)"
    prefix = "zero_pad"
    short_name = "ZeroPad2D"
    family = "reshape"
    role = "shape"
    fields = (_side("top", "Top", "above"), _side("bottom", "Bottom", "below"),
              _side("left", "Left", "on the left"), _side("right", "Right", "on the right"))

    def describe(self, params: dict) -> str:
        t, b, left, r = (params[k] for k in ("top", "bottom", "left", "right"))
        if t == b and left == r:
            return f"ZeroPadding2D {t}x{left}"
        return f"ZeroPadding2D top {t} bottom {b} left {left} right {r}"

    def output(self, params: dict, shape: Shape) -> LayerOutput:
        need_3d(self.name, shape)
        h, w, c = shape
        t, b, left, r = (params[k] for k in ("top", "bottom", "left", "right"))
        oh, ow = h + t + b, w + left + r
        return LayerOutput((oh, ow, c), 0, 0, f"height: n + top + bottom = {h} + {t} + {b} = {oh}\n"
                           f"width: n + left + right = {w} + {left} + {r} = {ow}", "no parameters")

    def reach(self, params: dict, shape: Shape) -> Reach:
        return Reach(pad_before=(params["top"], params["left"]))   # output (i, j) is input (i - top, j - left)

    def keras_args(self, params: dict) -> list:
        return [("padding", [[params["top"], params["bottom"]], [params["left"], params["right"]]])]

    def from_keras(self, class_name: str, config: dict) -> dict:
        require(config, class_name, data_format="channels_last")
        pad = config["padding"]
        try:
            if isinstance(pad, int):
                rows = cols = (pad, pad)
            elif all(isinstance(v, int) for v in pad):
                rows, cols = (pad[0], pad[0]), (pad[1], pad[1])
            else:
                rows, cols = tuple(pad[0]), tuple(pad[1])
            t, b = (int(v) for v in rows)
            left, r = (int(v) for v in cols)
        except (TypeError, ValueError, IndexError):
            raise SpecError(f"{class_name} with padding={pad!r} is not understood by the builder") from None
        return dict(top=t, bottom=b, left=left, right=r)

    def badge(self, params: dict) -> str:
        return ""


KIND = ZeroPadding2D()
