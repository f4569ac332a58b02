"""Time from launching cnnviz to its window being shown, and to TensorFlow being ready (imported in the background).

Runs ``python -m cnnviz --report-startup`` offscreen a few times (private settings folder), and prints the median
of each time, measured two ways: by the app (since its module was imported) and by this script (since the
process was started, interpreter start-up included). The ratio says how much sooner the window is usable than
it would be if the app imported TensorFlow before showing it.

    .venv/bin/python benchmarks/time_to_window.py [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(timeout: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="cnnviz-bench-") as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=home, TF_CPP_MIN_LOG_LEVEL="2")
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "cnnviz", "--report-startup"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=env)
        times: dict[str, float] = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if key in ("window_shown_s", "tensorflow_ready_s"):
                times[key] = float(value)
                times["parent_" + key] = time.perf_counter() - t0
            elif key == "tensorflow_failed":
                raise SystemExit(f"TensorFlow failed to load: {value}")
        proc.wait(timeout=timeout)
        if proc.returncode != 0 or len(times) != 4:
            raise SystemExit(f"cnnviz --report-startup failed (exit {proc.returncode}, got {times})")
        return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    runs = [one_run(args.timeout) for _ in range(args.runs)]
    med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(f"runs: {args.runs} (median)")
    print(f"window shown:      {med['window_shown_s']:6.2f} s after app import, "
          f"{med['parent_window_shown_s']:6.2f} s after process start")
    print(f"TensorFlow ready:  {med['tensorflow_ready_s']:6.2f} s after app import, "
          f"{med['parent_tensorflow_ready_s']:6.2f} s after process start")
    ratio = med["parent_tensorflow_ready_s"] / med["parent_window_shown_s"]
    print(f"ratio TensorFlow ready / window shown (from process start): {ratio:.1f}x")
    print(f"SUMMARY: window shown {med['parent_window_shown_s']:.2f} s, TensorFlow ready "
          f"{med['parent_tensorflow_ready_s']:.2f} s after launch (ratio {ratio:.1f}x; target: window <= 2 s)")
    if med["parent_window_shown_s"] > 2.0:
        print(f"MISSED TARGET: window shown {med['parent_window_shown_s']:.2f} s after launch (target <= 2 s)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
