"""The sentences of the Step by step tab, per stepper kind (conv, depthwise, separable, pool): the layer's
settings with the output-size formula, and one output cell's computation. Plain functions of the core's
recipe, stepper and step, so the view keeps to widgets."""
from __future__ import annotations

from .colors import fmt


def size_formula(n: int, k: int, s: int, before: int, after: int) -> str:
    o = (n + before + after - k) // s + 1
    return f"⌊({n} + {before} + {after} − {k}) / {s}⌋ + 1 = {o}"


def _span(k: int, d: int) -> int:
    return (k - 1) * d + 1


def formula_text(info, recipe, stepper, input_shape, source: str) -> str:
    """The layer line: input, window (dilation, depthwise/separable structure), padding, output size."""
    kind, st = recipe.kind, stepper
    top, bottom, left, right = st.pads
    h, w, c = input_shape
    s = st.strides
    if kind == "pool":
        k, d = st.pool_size, (1, 1)
        what = f"{'max' if st.mode == 'max' else 'average'} pooling window {k[0]}×{k[1]}"
    else:
        k, d = recipe.settings["kernel_size"], st.dilation
        what = f"kernel {k[0]}×{k[1]}"
        if d != (1, 1):
            what += (f", dilation {d[0]}×{d[1]}: {d[0] - 1 if d[0] == d[1] else '…'} hole(s) between the taps, so "
                     f"the window spans (k − 1)·d + 1 = {_span(k[0], d[0])}×{_span(k[1], d[1])} cells")
    span = (_span(k[0], d[0]), _span(k[1], d[1]))
    pad = ("padding 'valid': no zeros added (p = 0)" if st.padding == "valid" else
           f"padding 'same': {top} row(s) of zeros on top, {bottom} at the bottom, {left} column(s) left, {right} "
           "right (TensorFlow puts an odd extra zero at the bottom/right)" + (
               "; pooling ignores padded cells" if kind == "pool" else ""))
    structure = ""
    if kind == "depthwise":
        m = st.depth_multiplier
        structure = (f"<br><b>Depthwise</b>: each of the {c} input channels has its own {m} kernel(s) and nothing "
                     f"mixes channels; output channel c·{m} + j reads input channel c only: channel "
                     f"{st.out_channel} = {st.in_channel}·{m} + {st.multiplier} reads input channel {st.in_channel}.")
    elif kind == "separable":
        m, q = st.depth_multiplier, st.kernel.shape[2]
        structure = (f"<br><b>Separable</b> = two stages. Stage 1, depthwise: {c} input channel(s) × {m} kernel(s) "
                     f"give {q} depthwise channels (channel q reads input channel ⌊q / {m}⌋), no bias. Stage 2, "
                     f"pointwise 1×1: filter {st.out_channel} adds up the {q} depthwise values times its {q} "
                     "weights, plus its bias.")
    ksym = "k" if span == tuple(k) else "(k − 1)·d + 1"
    return (f"<b>{info.name}</b> ({recipe.keras_class}): input = {source}, {h}×{w}×{c}; {what}, stride "
            f"{s[0]}×{s[1]}; {pad}.{structure}<br>"
            f"Output size o = ⌊(n + p<sub>before</sub> + p<sub>after</sub> − {ksym}) / s⌋ + 1: rows "
            f"{size_formula(h, span[0], s[0], top, bottom)}, columns {size_formula(w, span[1], s[1], left, right)}"
            f"  →  {st.output_shape[0]}×{st.output_shape[1]} per channel.")


def _tail(s) -> str:
    act = s.activation
    act_line = (f"{act}({fmt(s.pre_activation, 4)}) = <b>{fmt(s.value, 4)}</b>" if act != "linear"
                else f"no activation: <b>{fmt(s.value, 4)}</b>")
    return f"<br>+ bias b<sub>{s.out_channel}</sub> = {fmt(s.bias, 4)} → {fmt(s.pre_activation, 4)}<br>{act_line}"


def conv_text(s, c: int) -> str:
    c_in = s.window.shape[2]
    n = s.is_padding.size
    sums = (f"sum of the {n} products = <b>{fmt(s.channel_sums[0], 4)}</b>" if c_in == 1 else
            f"sum over input channel {c} = {fmt(s.channel_sums[c], 4)}; over all {c_in} channels "
            f"Σ = <b>{fmt(s.total, 4)}</b>")
    return sums + _tail(s)


def textbook_text(s) -> str:
    """The same cell in the lecture's notation: a convolution with V, the kernel rotated by 180 degrees."""
    kh, kw = s.is_padding.shape
    i, j = s.index
    r, c = s.origin
    dh, dw = getattr(s, "dilation", (1, 1))
    rows = f"{r} + {kh - 1} − k1" if dh == 1 else f"{r} + {dh}·({kh - 1} − k1)"
    cols = f"{c} + {kw - 1} − k2" if dw == 1 else f"{c} + {dw}·({kw - 1} − k2)"
    return (f"<br><br><b>As the lecture writes it</b>: Y[{i}, {j}] = Σ<sub>k1, k2</sub> X<sub>p</sub>[{rows}, "
            f"{cols}] · V[k1, k2], V = W rotated 180°, ({r}, {c}) the window's top-left in the padded "
            "input X<sub>p</sub>. The window's top-left cell meets V's bottom-right one: the same products, the "
            "same sum. Keras stores W, so a learned kernel looks rotated against the textbook's.")


def depthwise_text(s) -> str:
    return (f"input channel {s.in_channel} only, kernel {s.multiplier}: sum of the {s.is_padding.size} products "
            f"= <b>{fmt(s.total, 4)}</b>" + _tail(s))


def separable_text(s, q: int) -> str:
    m, n = s.depth_multiplier, s.depthwise_values.size
    return (f"Stage 1 (depthwise channel {q} ← input channel {q // m}): sum of the {s.is_padding.size} products "
            f"d<sub>{q}</sub> = {fmt(s.depthwise_values[q], 4)}<br>"
            f"Stage 2 (pointwise): Σ over the {n} depthwise channels of d·w = <b>{fmt(s.total, 4)}</b>" + _tail(s))


def pool_text(s) -> str:
    vals = [fmt(float(v), 3) for v in s.window[~s.is_padding]]
    if s.mode == "max":
        text = f"max({', '.join(vals)}) = <b>{fmt(s.value, 4)}</b> (red outline)"
    else:
        text = f"({' + '.join(vals)}) / {s.count} = <b>{fmt(s.value, 4)}</b>"
    if s.is_padding.any():
        text += f"<br>{int(s.is_padding.sum())} padded cell(s) take no part"
    return text + "<br>Pooling has no weights: it only summarises each window."


def window_title(s) -> str:
    """Where the window is, in input coordinates; for a dilation, which rows and columns it reads."""
    kh, kw = s.is_padding.shape
    r0, c0 = s.input_origin
    d = getattr(s, "dilation", (1, 1))
    if d == (1, 1):
        return f"Window at rows {r0}…{r0 + kh - 1}, cols {c0}…{c0 + kw - 1}"
    rows = ", ".join(str(r0 + a * d[0]) for a in range(kh))
    cols = ", ".join(str(c0 + b * d[1]) for b in range(kw))
    return f"Window: {kh}×{kw} taps at rows {rows} · cols {cols} (dilation {d[0]}×{d[1]})"


def small_grids(recipe, stepper, s, c: int) -> tuple:
    """(window, kernel, products, all kernels for the colour range, kernel title) of the channel shown: input
    channel c (conv), the one input channel (depthwise), depthwise channel c (separable)."""
    kind = recipe.kind
    if kind == "depthwise":
        m = stepper.depth_multiplier
        return (s.window, s.kernel, s.products, recipe.weights["kernel"],
                f"× Depthwise kernel {s.multiplier} of input channel {s.in_channel} (output channel "
                f"{s.out_channel} = {s.in_channel}·{m} + {s.multiplier})")
    if kind == "separable":
        m = s.depth_multiplier
        return (s.window[..., c // m], s.depthwise_kernel[..., c], s.depthwise_products[..., c],
                s.depthwise_kernel, f"Stage 1 × depthwise kernel of channel {c} (input channel {c // m}"
                + (f", kernel {c % m} of {m})" if m > 1 else ")"))
    suffix = f" (input channel {c})" if s.window.shape[2] > 1 else ""
    return (s.window[..., c], s.kernel[..., c], s.products[..., c], stepper.kernel,
            f"× Kernel of filter {s.out_channel}{suffix}")
