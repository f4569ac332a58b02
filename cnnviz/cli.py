"""Headless commands on top of cnnviz.core: the same code the GUI runs, without a screen.

    cnnviz-cli summary --preset lecture
    cnnviz-cli summary --spec my_model.json
    cnnviz-cli presets
    cnnviz-cli datasets
    cnnviz-cli train --preset fast --dataset mnist_sample --epochs 3 --out runs/first
    cnnviz-cli train --resume --out runs/first
    cnnviz-cli train --dataset celeba --data-dir ~/celeba --attribute Male --preset celeba --out runs/faces
    cnnviz-cli sweep lr.sweep.json --out sweeps/lr

The train command lives in cli_train.py, explain/visualize in cli_explain.py, sweep in cli_sweep.py.
"""
from __future__ import annotations

import argparse
import sys

from cnnviz.core.errors import UserError

EXIT_BAD_INPUT = 2
EXIT_CRASH = 1


class CliError(UserError):
    """A user mistake: printed as one clear line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's rule for bad input: one line on stderr, exit 2 (not the usage block)."""

    def error(self, message: str):
        from cnnviz.core.errors import one_line

        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def _whole(minimum: int):
    """An argparse type: a whole number of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    parse.__name__ = "whole number"
    return parse


def _load_spec(args: argparse.Namespace):
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.model.spec import ModelSpec, SpecError

    if args.spec and args.preset:
        raise CliError("give either --spec or --preset, not both")
    if args.spec:
        try:
            return ModelSpec.load(args.spec)
        except SpecError as exc:
            raise CliError(str(exc)) from None
    try:
        return get_preset(args.preset or getattr(args, "default_preset", "lecture"))
    except KeyError as exc:
        raise CliError(exc.args[0]) from None


def cmd_summary(args: argparse.Namespace) -> int:
    from cnnviz.core.model.shapes import infer_shapes, summary_table

    spec = _load_spec(args)
    report = infer_shapes(spec)
    print(summary_table(spec, report))
    if args.formulas:
        print()
        for layer in report.layers:
            if layer.output is None:
                continue
            print(f"{layer.name}:")
            for line in layer.shape_formula.splitlines():
                print(f"    shape   {line}")
            print(f"    params  {layer.param_formula}")
    return 1 if report.problems else 0


def cmd_presets(args: argparse.Namespace) -> int:
    from cnnviz.core.model.presets import PRESETS
    from cnnviz.core.model.shapes import infer_shapes

    for key, preset in PRESETS.items():
        spec = preset.build()
        total = infer_shapes(spec).total_params
        print(f"{key:<10} {preset.title:<42} {total:>10,} params   source: {preset.source}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from cnnviz.core.data import datasets

    for key, info in {**datasets.DATASETS, **datasets.STREAMED_DATASETS}.items():
        print(f"{key:<14} {info.title}")
    return 0


def _import_model(path: str):
    from pathlib import Path

    from cnnviz.core.model.model_io import ModelFileError, load_model_file
    from cnnviz.core.train.runs import RunDirectory, RunError

    p = Path(path)
    if p.is_dir():  # a run folder: its final model, else its last checkpoint
        try:
            run = RunDirectory.open(p)
        except RunError as exc:
            raise CliError(str(exc)) from None
        p = run.final_model if run.final_model.exists() else run.last_checkpoint
    try:
        return load_model_file(p)
    except ModelFileError as exc:
        raise CliError(str(exc)) from None


def cmd_export(args: argparse.Namespace) -> int:
    import numpy as np

    from cnnviz.core.io.export import ExportError, export_model

    imported = _import_model(args.model)
    x_check = None
    if args.check_images:
        dims = tuple(imported.model.inputs[0].shape[1:])
        if any(d is None for d in dims):
            raise CliError(f"{args.model}: its input {dims} has no fixed size; give --check-images 0 to skip the "
                           "parity check")
        shape = tuple(int(d) for d in dims)
        x_check = np.random.default_rng(0).random((args.check_images,) + shape, dtype=np.float32)
    try:
        report = export_model(imported.model, args.format, args.out, x_check=x_check)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(report.describe())
    return 0


def cmd_inspect_model(args: argparse.Namespace) -> int:
    from cnnviz.core.model.shapes import summary_table

    imported = _import_model(args.model)
    if imported.spec is None:
        print(f"{args.model}: {imported.read_only_reason}")
        imported.model.summary(print_fn=print)
        return 0
    print(summary_table(imported.spec))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cnnviz-cli", description="cnnviz headless commands")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("summary", help="print a model's layers, output shapes and parameter counts")
    p.add_argument("--preset", help="a preset name (see `cnnviz-cli presets`); default: lecture")
    p.add_argument("--spec", help="a model spec JSON file saved by the app")
    p.add_argument("--formulas", action="store_true", help="also print each layer's shape and parameter formula")
    p.set_defaults(func=cmd_summary)

    from cnnviz.cli_train import add_command as add_train_command

    add_train_command(sub)   # train (cli_train.py)

    p = sub.add_parser("export", help="export a trained model (a .keras file or a run folder), verified")
    p.add_argument("model", help="a .keras model file or a run folder")
    p.add_argument("--format", required=True, choices=["keras", "weights", "savedmodel", "tflite", "onnx"])
    p.add_argument("--out", required=True, help="file (or folder, for savedmodel) to write")
    p.add_argument("--check-images", type=_whole(0), default=8,
                   help="random images used to verify parity (0: no parity check)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="load a .keras model and show its layers (as the builder would)")
    p.add_argument("model", help="a .keras model file or a run folder")
    p.set_defaults(func=cmd_inspect_model)

    p = sub.add_parser("presets", help="list the built-in architectures")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("datasets", help="list the datasets cnnviz can load")
    p.set_defaults(func=cmd_datasets)

    from cnnviz.cli_explain import add_commands as add_explain_commands

    add_explain_commands(sub)   # explain, visualize (issue 17)
    from cnnviz.cli_sweep import add_command as add_sweep_command

    add_sweep_command(sub)   # sweep (Ray Tune; the sweep extra)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The one rule: a user's mistake (bad input, a full disk) is one line on stderr and exit 2; anything else is
    one line naming a crash report (traceback and versions, see cnnviz.core.errors) and exit 1."""
    from cnnviz.core.errors import crash_line, user_message
    from cnnviz.core.tf_runtime import quiet_tensorflow_logs

    quiet_tensorflow_logs()   # before anything imports TensorFlow
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("cnnviz-cli: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the top-level rule: every exception ends in one line
        message = user_message(exc)
        if message is not None:
            print(f"cnnviz-cli: error: {message}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"cnnviz-cli: {crash_line(exc, where='cnnviz-cli ' + str(getattr(args, 'command', '')))}",
              file=sys.stderr)
        return EXIT_CRASH


if __name__ == "__main__":
    raise SystemExit(main())
