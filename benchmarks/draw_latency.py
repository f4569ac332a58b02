"""Draw tab latency: from the strokes on the canvas to the ten probabilities, vs ``model.predict``.

Same process, same drawing, same weights. For each model (the shipped digit model, and the lecture MNIST CNN
built untrained: timing does not depend on the weights), after one warm-up call of each path:

* stroke->probs  what the Draw tab does per update: render the canvas strokes to a 280x280 grayscale array
                 (Qt, offscreen), preprocess it (core.preprocess), run the compiled Predictor
* parts          render, preprocess and Predictor alone
* baseline       ``model.predict`` on the same preprocessed (1, 28, 28, 1) input

Median and 95th percentile over N runs (fewer for the slow baseline). Targets: median <= 8 ms, p95 <= 16 ms.

Run:  python benchmarks/draw_latency.py [--runs 200] [--predict-runs 50]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MEDIAN_MS = 8.0
TARGET_P95_MS = 16.0


def _timings_ms(fn, runs: int) -> tuple[float, float]:
    import numpy as np

    fn()  # warm-up (tracing, first-call allocations)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    ms = 1000.0 * np.asarray(times)
    return float(np.median(ms)), float(np.percentile(ms, 95))


def _seven_strokes():
    """A hand-like 7 with a cross bar: ~140 points, as mouse moves would give them."""
    def line(points, n):
        out = []
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            out += [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n + 2 * math.sin(k)) for k in range(n)]
        return out + [points[-1]]
    return [line([(70, 50), (140, 46), (205, 48), (170, 130), (128, 245)], 30), line([(110, 140), (190, 138)], 20)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--predict-runs", type=int, default=50)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from cnnviz.core.tf_runtime import import_tensorflow, versions

    import_tensorflow()
    app = QApplication.instance() or QApplication([])  # noqa: F841 (the canvas needs one)

    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.inference import Predictor
    from cnnviz.core.data.preprocess import preprocess_array
    from cnnviz.core.model.presets import lecture_mnist
    from cnnviz.core.model.pretrained import load_shipped_model
    from cnnviz.qt.canvas.drawing import DrawingCanvas

    canvas = DrawingCanvas()
    for stroke in _seven_strokes():
        canvas.add_stroke(stroke)
    gray = canvas.to_gray_array()
    x = preprocess_array(gray).model_input()

    models = [("shipped digit model (fast, 53k params)", load_shipped_model()),
              ("lecture MNIST CNN (3.27M params, untrained)", build_model(lecture_mnist(), seed=0))]
    rows = []
    ok = True
    for title, model in models:
        predictor = Predictor(model)

        def stroke_to_probs(predictor=predictor):
            return predictor(preprocess_array(canvas.to_gray_array()).model_input())[0]

        total = _timings_ms(stroke_to_probs, args.runs)
        render = _timings_ms(canvas.to_gray_array, args.runs)
        prep = _timings_ms(lambda: preprocess_array(gray), args.runs)
        fwd = _timings_ms(lambda predictor=predictor: predictor(x), args.runs)
        base = _timings_ms(lambda model=model: model.predict(x, verbose=0), args.predict_runs)
        rows.append((title, total, render, prep, fwd, base))
        ok = ok and total[0] <= TARGET_MEDIAN_MS and total[1] <= TARGET_P95_MS

    v = versions()
    print(f"Draw tab latency, one 280x280 drawing -> 10 probabilities; {args.runs} runs "
          f"({args.predict_runs} for model.predict); TensorFlow {v['tensorflow']}, Keras {v['keras']}, "
          f"{os.cpu_count()} CPUs, CNNVIZ_TF_THREADS={os.environ.get('CNNVIZ_TF_THREADS', 'default')}")
    header = f"{'model':44s} {'path':34s} {'median ms':>10s} {'p95 ms':>8s} {'predict / this':>15s}"
    print(header)
    print("-" * len(header))
    for title, total, render, prep, fwd, base in rows:
        for name, (med, p95) in (("stroke->probs (render+prep+Predictor)", total), ("  render strokes (Qt)", render),
                                 ("  preprocess (core)", prep), ("  Predictor (compiled)", fwd),
                                 ("model.predict (same input)", base)):
            ratio = (f"{base[0] / med:.1f}x" if name.startswith(("stroke", "  Predictor")) else
                     "1.0x" if name.startswith("model.predict") else "")
            print(f"{title:44s} {name:34s} {med:10.2f} {p95:8.2f} {ratio:>15s}")
            title = ""
    summary = "; ".join(f"{title.split(' (')[0]}: median {total[0]:.1f} ms, p95 {total[1]:.1f} ms "
                        f"({base[0] / total[0]:.0f}x faster than predict)"
                        for title, total, _r, _p, _f, base in rows)
    del canvas, models, rows  # Qt objects before the interpreter tears down TensorFlow and the QApplication
    print(f"targets for stroke->probs: median <= {TARGET_MEDIAN_MS:g} ms, p95 <= {TARGET_P95_MS:g} ms: "
          f"{'met' if ok else 'NOT met'}")
    print(f"SUMMARY: stroke to probabilities: {summary} (target median <= {TARGET_MEDIAN_MS:g} ms, "
          f"p95 <= {TARGET_P95_MS:g} ms)")
    if not ok:
        print(f"MISSED TARGET: stroke to probabilities (target median <= {TARGET_MEDIAN_MS:g} ms, "
              f"p95 <= {TARGET_P95_MS:g} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
