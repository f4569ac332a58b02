"""Watch it learn: training time with the epoch-end projection + weight histograms on vs off, and each view's time.

Same data, same seed, a fresh model per run; runs alternate off/on and the median of each is compared. "On" is
what the Training tab's "Watch it learn" view adds at each epoch's end, on the training thread: the penultimate
layer's PCA of ``--images`` test images (ProjectionRecorder) and every layer's weight histogram (WeightHistograms).

Run:  python benchmarks/learning_overhead.py [--model lecture] [--train 6000] [--epochs 3] [--repeats 2]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lecture", help="a preset key (default: lecture)")
    parser.add_argument("--train", type=int, default=6000, help="training images (default 6000)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--images", type=int, default=500, help="test images projected (default 500)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.explain.projection import ProjectionRecorder
    from cnnviz.core.explain.weights import WeightHistograms
    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.train.config import TrainingConfig
    from cnnviz.core.train.prepared import PreparedData, to_float
    from cnnviz.core.train.session import TrainingSession

    ds = load_dataset("mnist")
    n = min(args.train, len(ds.x_train))
    data = PreparedData(to_float(ds.x_train[:n]), ds.y_train[:n].astype("int64"), to_float(ds.x_test[:1000]),
                        ds.y_test[:1000].astype("int64"), ds.num_classes)
    spec = get_preset(args.model)
    cfg = TrainingConfig(epochs=args.epochs, batch_size=args.batch, learning_rate=1e-3)
    times = {"off": [], "on": []}
    view_ms = {"projection": [], "histograms": []}
    for _ in range(args.repeats):
        for mode in ("off", "on"):
            model = build_model(spec, seed=0)
            hook = None
            if mode == "on":
                rec = ProjectionRecorder(ds.x_test[:args.images], ds.y_test[:args.images])
                hists = WeightHistograms()

                def hook(epoch, m, rec=rec, hists=hists):
                    t0 = time.perf_counter()
                    hists.record(epoch, m)
                    t1 = time.perf_counter()
                    rec.record(epoch, m)
                    view_ms["histograms"].append(1000 * (t1 - t0))
                    view_ms["projection"].append(1000 * (time.perf_counter() - t1))
            session = TrainingSession(model, data, cfg, on_epoch_end=hook)
            t = time.perf_counter()
            session.run()
            times[mode].append(time.perf_counter() - t)
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    print(f"model {args.model}, {n} training images, {args.epochs} epochs, batch {args.batch}, "
          f"{args.images} test images projected, {args.repeats} repeat(s)")
    print(f"training time: views off {off:.2f} s, on {on:.2f} s (runs off {['%.2f' % t for t in times['off']]}, "
          f"on {['%.2f' % t for t in times['on']]})")
    ratio = off / on
    print(f"throughput ratio on/off: {ratio:.3f} (target >= 0.97)")
    for key, values in view_ms.items():
        print(f"{key}: median {statistics.median(values):.1f} ms an epoch (first {values[0]:.1f} ms)")
    print(f"SUMMARY: training throughput with the Watch-it-learn views on / off = {ratio:.3f} (target >= 0.97)")
    if ratio < 0.97:
        print(f"MISSED TARGET: training throughput views on / off = {ratio:.3f} (target >= 0.97)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
