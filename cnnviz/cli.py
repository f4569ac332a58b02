"""Headless commands on top of cnnviz.core: the same code the GUI runs, without a screen.

    cnnviz-cli summary --preset lecture
    cnnviz-cli summary --spec my_model.json
    cnnviz-cli presets
    cnnviz-cli datasets
"""
from __future__ import annotations

import argparse
import sys

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A user mistake: printed as one clear line, exit status 2."""


def _load_spec(args: argparse.Namespace):
    from cnnviz.core.presets import get_preset
    from cnnviz.core.spec import ModelSpec, SpecError

    if args.spec and args.preset:
        raise CliError("give either --spec or --preset, not both")
    if args.spec:
        try:
            return ModelSpec.load(args.spec)
        except SpecError as exc:
            raise CliError(str(exc)) from None
    try:
        return get_preset(args.preset or "lecture")
    except KeyError as exc:
        raise CliError(exc.args[0]) from None


def cmd_summary(args: argparse.Namespace) -> int:
    from cnnviz.core.shapes import infer_shapes, summary_table

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
    from cnnviz.core.presets import PRESETS
    from cnnviz.core.shapes import infer_shapes

    for key, preset in PRESETS.items():
        spec = preset.build()
        total = infer_shapes(spec).total_params
        print(f"{key:<10} {preset.title:<42} {total:>10,} params   source: {preset.source}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from cnnviz.core import datasets

    for key, info in datasets.DATASETS.items():
        print(f"{key:<14} {info.title}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnviz-cli", description="cnnviz headless commands")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("summary", help="print a model's layers, output shapes and parameter counts")
    p.add_argument("--preset", help="a preset name (see `cnnviz-cli presets`); default: lecture")
    p.add_argument("--spec", help="a model spec JSON file saved by the app")
    p.add_argument("--formulas", action="store_true", help="also print each layer's shape and parameter formula")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("presets", help="list the built-in architectures")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("datasets", help="list the datasets cnnviz can load")
    p.set_defaults(func=cmd_datasets)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"cnnviz-cli: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("cnnviz-cli: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
