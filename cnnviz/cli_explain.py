"""The headless explanation commands (issue 17), registered in :mod:`cnnviz.cli` by :func:`add_commands`:

    cnnviz-cli explain MODEL --image digit.png --method occlusion --out heat.png
    cnnviz-cli explain MODEL --image digit.png --method gradcam --out cam.png --stages cam-steps
    cnnviz-cli visualize MODEL --layer output --unit 3 --seed 0 --scale 8 --out three.png

``explain`` writes the attribution of one image as a colour heat map: saliency and Grad-CAM (0..1, black to
yellow) from :class:`cnnviz.core.inspect.inspection.ModelInspector`, occlusion and integrated gradients (signed:
blue lowers the class, red raises it, white is no effect) from :mod:`cnnviz.core.explain.attribution`.
``--stages FOLDER`` (Grad-CAM) also writes the computation step by step
(:mod:`cnnviz.core.explain.gradcam_steps`), for slides: ``1_activations.png`` and ``2_gradients.png`` (the channel of
largest weight), ``3_alpha.csv`` (every channel's weight), ``4_weighted.png`` (signed), ``5_relu.png`` and
``6_gradcam.png`` (the same map as ``--out``); the small maps are enlarged (nearest) to about the input size.
FOLDER is new, empty or an earlier stages folder (which goes to the trash).
``visualize`` writes the optimised input of a unit (:func:`cnnviz.core.explain.maximize.maximize`) itself: 8-bit
gray (or RGB), 0 and 255 the ends of the model's input range (0..1), at the input size or an integer upscale
(nearest neighbour), so that ``explain --image`` or the app can feed it back to the model.

MODEL is a .keras file or a run folder (its final model, else its last checkpoint), loaded in Keras's safe mode;
the image is read by the project's one picture reader. Every bad input is one line on stderr and exit 2.
"""
from __future__ import annotations

import argparse
import sys

from cnnviz.core.errors import UserError

METHODS = ("saliency", "gradcam", "occlusion", "integrated-gradients")
SIGNED = ("occlusion", "integrated-gradients")
MAX_SCALE = 64


class ExplainCliError(UserError):
    """A bad argument of explain/visualize: one line on stderr, exit 2."""


def _whole(minimum: int, maximum: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"{minimum}..{maximum}" if maximum is not None else f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"must be {bound}, not {value}")
        return value

    parse.__name__ = "whole number"
    return parse


def _model(path: str):
    """The Keras model at ``path`` (a .keras file or a run folder) via the project's checked, safe-mode loader."""
    from pathlib import Path

    from cnnviz.core.model.model_io import load_model_file
    from cnnviz.core.train.runs import RunDirectory

    p = Path(path)
    if p.is_dir():
        run = RunDirectory.open(p)
        p = run.final_model if run.final_model.exists() else run.last_checkpoint
    return load_model_file(p).model


def _check_out(path: str) -> None:
    from pathlib import Path

    if Path(path).suffix.lower() != ".png":
        raise ExplainCliError(f"--out {path}: the picture is written as PNG; give a file name ending in .png")


def _write_png(path: str, pixels, what: str) -> None:
    """Write ``pixels`` (uint8 HWC, 1 or 3 channels) as a PNG, atomically; a file already there goes to the trash."""
    import io

    from PIL import Image

    from cnnviz.core.io.files import run_replacing

    a = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
    buffer = io.BytesIO()
    Image.fromarray(a, mode="L" if a.ndim == 2 else "RGB").save(buffer, format="PNG")

    def write(tmp):
        tmp.write_bytes(buffer.getvalue())

    previous = run_replacing(path, kind=what, folder=False, write=write)
    if previous:
        print(f"cnnviz-cli: {previous}", file=sys.stderr)


STAGE_FILES = {"activations": "1_activations.png", "gradients": "2_gradients.png", "alpha": "3_alpha.csv",
               "weighted": "4_weighted.png", "relu": "5_relu.png", "upsampled": "6_gradcam.png"}


def _write_stages(folder: str, steps, scale: int) -> None:
    """Grad-CAM's stages into ``folder`` (one new folder, swapped in whole; an earlier one goes to the trash), with
    a line per stage on stderr."""
    import io

    import numpy as np
    from PIL import Image

    from cnnviz.core.explain.gradcam_steps import CAPTIONS
    from cnnviz.core.explain.heatmap import heat_rgb
    from cnnviz.core.io.files import run_replacing

    h, w, k = steps.activations.shape
    big = max(1, round(steps.upsampled.shape[0] / h)) * scale   # the small maps at about the input size
    c = steps.top_channels(1)[0][0]
    pictures = {"activations": heat_rgb(steps.activations[:, :, c], signed=False, scale=big),
                "gradients": heat_rgb(steps.gradients[:, :, c], signed=True, scale=big),
                "weighted": heat_rgb(steps.weighted, signed=True, scale=big),
                "relu": heat_rgb(steps.relu, signed=False, scale=big),
                "upsampled": heat_rgb(steps.heat, signed=False, scale=scale)}
    alpha = "channel,alpha\n" + "".join(f"{ch},{float(a)!r}\n" for ch, a in enumerate(steps.alpha.tolist()))

    def write(tmp) -> None:
        tmp.mkdir()
        for stage, pixels in pictures.items():
            buffer = io.BytesIO()
            Image.fromarray(np.ascontiguousarray(pixels), mode="RGB").save(buffer, format="PNG")
            (tmp / STAGE_FILES[stage]).write_bytes(buffer.getvalue())
        (tmp / STAGE_FILES["alpha"]).write_text(alpha, encoding="utf-8")

    previous = run_replacing(folder, kind="Grad-CAM stages", folder=True, write=write)
    if previous:
        print(f"cnnviz-cli: {previous}", file=sys.stderr)
    largest = ", ".join(f"{ch} ({a:+.4f})" for ch, a in steps.top_channels(3))
    shown = {"activations": f": channel {c} of {k}", "alpha": f"; largest: {largest}"}
    print(f"Grad-CAM on {steps.layer} ({h}x{w}x{k}) for class {steps.class_index}, score before softmax "
          f"{steps.score:.4f}:", file=sys.stderr)
    for stage in STAGE_FILES:
        print(f"  {STAGE_FILES[stage]}: {CAPTIONS[stage]}{shown.get(stage, '')}", file=sys.stderr)


def cmd_explain(args: argparse.Namespace) -> int:
    import numpy as np

    from cnnviz.core.explain import attribution as A
    from cnnviz.core.explain.heatmap import heat_rgb
    from cnnviz.core.explain.scores import ClassScores
    from cnnviz.core.inspect.images import load_image_file

    _check_out(args.out)
    if args.stages and args.method != "gradcam":
        raise ExplainCliError(f"--stages is for --method gradcam (its steps), not {args.method}")
    if args.stages:
        from cnnviz.core.io.files import check_replaceable

        check_replaceable(args.stages, kind="Grad-CAM stages", folder=True)   # before the model is loaded
    model = _model(args.model)
    scores = ClassScores(model)
    image, note = load_image_file(args.image, scores.input_shape, invert=args.invert)
    probs = np.asarray(scores.probabilities(image[None]))[0]
    k = int(np.argmax(probs)) if args.class_index is None else scores.check_class(args.class_index)
    if args.stages:
        from cnnviz.core.explain.gradcam_steps import gradcam_steps

        steps = gradcam_steps(model, image, k, args.layer)
        heat = steps.heat
        _write_stages(args.stages, steps, args.scale)
    elif args.method in ("saliency", "gradcam"):
        from cnnviz.core.inspect.inspection import ModelInspector

        inspector = ModelInspector(model, copy=False)
        heat = inspector.saliency(image, k) if args.method == "saliency" else inspector.grad_cam(image, k, args.layer)
    elif args.method == "occlusion":
        heat = A.occlusion(scores, image, k, patch=args.patch, stride=args.stride, baseline=args.baseline)
    else:
        ig = A.integrated_gradients(scores, image, k, steps=args.steps)
        heat = ig.attributions.sum(axis=-1)
        print(f"integrated gradients: sum {float(heat.sum()):.4f}, f(x) - f(black) "
              f"{ig.score - ig.baseline_score:.4f} (completeness gap {ig.completeness_gap:.2%})", file=sys.stderr)
    _write_png(args.out, heat_rgb(heat, signed=args.method in SIGNED, scale=args.scale), "heat map")
    print(f"{note}; class {k} (p = {probs[k]:.4f}); {args.method} heat map written to {args.out}")
    return 0


def cmd_visualize(args: argparse.Namespace) -> int:
    from cnnviz.core.explain.attribution import probability
    from cnnviz.core.explain.maximize import maximize

    _check_out(args.out)
    model = _model(args.model)
    result = maximize(model, args.layer, args.unit, seed=args.seed, steps=args.steps)
    _write_png(args.out, result.to_uint8(args.scale), "unit image")
    line = (f"{result.kind} {result.unit} of layer {result.layer}: value {result.objective[-1]:.4f} after "
            f"{len(result.objective)} steps (seed {result.seed})")
    if result.kind == "class":
        line += f"; the model gives it p = {probability(model, result.image, result.unit):.4f}"
    h, w = result.image.shape[:2]
    print(f"{line}; {w * args.scale}x{h * args.scale} image written to {args.out}")
    return 0


def add_commands(sub) -> None:
    """Add ``explain`` and ``visualize`` to the CLI's subparsers ``sub``."""
    p = sub.add_parser("explain", help="why the model gives its answer for one image: a heat map PNG")
    p.add_argument("model", help="a .keras model file or a run folder")
    p.add_argument("--image", required=True, help="the picture to explain (PNG, JPEG, ...)")
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--class", dest="class_index", type=_whole(0),
                   help="the class to explain (default: the predicted one)")
    p.add_argument("--out", required=True, help="the heat map PNG to write")
    p.add_argument("--layer", help="gradcam: the conv layer (default: the last one)")
    p.add_argument("--stages", metavar="FOLDER",
                   help="gradcam: also write each step (maps, channel weights) into this new folder")
    p.add_argument("--patch", type=_whole(1), default=4, help="occlusion: patch side in pixels (default 4)")
    p.add_argument("--stride", type=_whole(1), default=2, help="occlusion: step between patches (default 2)")
    p.add_argument("--baseline", type=float, default=0.0, help="occlusion: the patch's value (default 0, black)")
    p.add_argument("--steps", type=_whole(1, 4096), default=64,
                   help="integrated gradients: steps from the black image (default 64)")
    p.add_argument("--scale", type=_whole(1, MAX_SCALE), default=1, help="upscale the PNG N times (nearest)")
    p.add_argument("--invert", choices=["auto", "never", "always"], default="auto",
                   help="one-channel models: invert a dark-on-light picture (auto, as the inspector does)")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("visualize", help="what a unit looks for: the input that maximises it, as a PNG")
    p.add_argument("model", help="a .keras model file or a run folder")
    p.add_argument("--layer", required=True, help="the layer's name (see `cnnviz-cli import MODEL`)")
    p.add_argument("--unit", required=True, type=_whole(0), help="the filter, unit or class index")
    p.add_argument("--seed", type=_whole(0), default=0, help="the same seed gives the same image (default 0)")
    p.add_argument("--steps", type=_whole(1, 10000), default=256, help="gradient ascent steps (default 256)")
    p.add_argument("--scale", type=_whole(1, MAX_SCALE), default=1,
                   help="write the image N times larger (each pixel an NxN block; default 1, the input size)")
    p.add_argument("--out", required=True, help="the PNG to write")
    p.set_defaults(func=cmd_visualize)
