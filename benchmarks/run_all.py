"""Run every benchmark, one after another in fresh processes, and print their SUMMARY lines as one table.

    .venv/bin/python benchmarks/run_all.py [--only NAME ...]

Each benchmark measures the app's path against a baseline in the same run (a ratio), so the table stays
meaningful on a shared, noisy machine. Full output of each goes to the terminal as it runs.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("time_to_window", "training_overhead", "gui_responsiveness", "draw_latency", "feature_maps",
              "peak_memory", "time_to_accuracy", "precision", "celeba_pipeline", "learning_overhead")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS)
    args = parser.parse_args(argv)
    summaries: list[tuple[str, str]] = []
    failed = []
    missed: dict[str, list[str]] = {}
    for name in args.only or BENCHMARKS:
        script = HERE / f"{name}.py"
        if not script.exists():
            summaries.append((name, "(script missing)"))
            continue
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        lines = []
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
        proc.wait()
        found = [line.split("SUMMARY:", 1)[1].strip() for line in lines if line.startswith("SUMMARY:")]
        missed[name] = [line.split("MISSED TARGET:", 1)[1].strip() for line in lines
                        if line.startswith("MISSED TARGET:")]
        if proc.returncode != 0:
            failed.append(name)
            found.append(f"FAILED (exit {proc.returncode})")
        for text in found or ["(no summary printed)"]:
            summaries.append((name, text))
        print(f"({name}: {time.perf_counter() - t0:.0f} s)")
    print("\n| benchmark | result |")
    print("|---|---|")
    for name, text in summaries:
        print(f"| {name} | {text} |")
    if failed:   # a benchmark exits non-zero when it misses its target (or breaks)
        print(f"\nMISSED OR FAILED ({len(failed)} of {len(args.only or BENCHMARKS)}): {', '.join(failed)}")
        for name in failed:
            for line in missed.get(name, []):
                print(f"  {name}: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
