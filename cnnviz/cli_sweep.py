"""``cnnviz-cli sweep CONFIG --out FOLDER``: a grid or random search over training settings and presets on Ray
Tune, registered in :mod:`cnnviz.cli` by :func:`add_command`. Every trial is a normal run folder in FOLDER, and
FOLDER/summary.json (and .csv) lists trial, settings, final metrics and run folder; the Runs tab opens FOLDER.

    cnnviz-cli sweep lr.sweep.json --out sweeps/lr
    cnnviz-cli sweep lr.sweep.json --out /nfs/sweeps/lr --address auto --concurrent 4

The config format is described in :mod:`cnnviz.core.train.sweep`. Ray is the ``sweep`` extra
(``pip install 'cnnviz[sweep]'``); without it the command says so in one line and exits 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnviz.core.errors import UserError

MISSING_RAY = "cnnviz-cli sweep runs on Ray Tune, which is not installed: pip install 'cnnviz[sweep]'"


class SweepCliError(UserError):
    """A bad argument of sweep: one line on stderr, exit 2."""


def cmd_sweep(args: argparse.Namespace) -> int:
    from cnnviz.core.train.sweep import check_out, plan, read_config

    out = Path(args.out)
    check_out(out)
    config_path = Path(args.config)
    sweep = plan(read_config(config_path), base_dir=config_path.parent)
    try:
        import ray  # noqa: F401 - the sweep extra
        from ray import tune  # noqa: F401
    except ImportError:
        raise SweepCliError(MISSING_RAY) from None
    from cnnviz.core.train.sweep_ray import check_address, run_sweep

    if args.address:
        check_address(args.address)   # before anything is written: a wrong address is one line, exit 2
    print(f"sweep: {len(sweep.trials)} trial(s), {sweep.search} search, "
          f"{'Ray at ' + args.address if args.address else 'a local Ray'}, {args.concurrent} at a time",
          file=sys.stderr)
    rows, interrupted = run_sweep(out, sweep, address=args.address, concurrent=args.concurrent)
    done = [r for r in rows if r["test_accuracy"] is not None]
    best = max(done, key=lambda r: r["test_accuracy"]) if done else None
    print(f"{sum(r['status'] == 'completed' for r in rows)} of {len(rows)} trial(s) completed"
          + (f"; best {best['run_folder']} test accuracy {best['test_accuracy']:.4f}" if best else "")
          + f"; summary {out / 'summary.json'}")
    if interrupted:
        return 130
    return 0 if all(r["status"] == "completed" for r in rows) else 1


def _concurrent(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if not 1 <= value <= 1024:
        raise argparse.ArgumentTypeError(f"must be 1..1024, not {value}")
    return value


def add_command(sub) -> None:
    p = sub.add_parser("sweep", help="grid or random search over training settings and presets (Ray Tune)")
    p.add_argument("config", help="a sweep config, JSON (or YAML): search, space, preset or run_config, data, "
                                  "training (see README, 'Sweeps')")
    p.add_argument("--out", required=True, help="a new (or empty) folder for the sweep: one run folder per trial "
                                                "and summary.json")
    p.add_argument("--address", help="join this Ray cluster (e.g. auto, or ray://head:10001) instead of starting a "
                                     "local Ray; --out must then be on a file system every node sees")
    p.add_argument("--concurrent", type=_concurrent, default=1,
                   help="trials run at the same time (default 1; each gets its share of the CPUs)")
    p.set_defaults(func=cmd_sweep)
