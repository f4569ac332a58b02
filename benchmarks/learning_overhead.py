"""Watch it learn: training time with the live views on vs off, the probe alone vs off, and each view's time.

Same data, same seed, a fresh model per run; runs alternate off/probe/on and the median of each is compared. "On"
is what the Training tab's "Watch it learn" view adds, on the training thread: at each epoch's end the penultimate
layer's PCA of ``--images`` test images (ProjectionRecorder) and every layer's weight histogram (WeightHistograms),
and the probe image's first-conv feature maps every few batches plus once an epoch (ProbeRecorder, its interval
chosen to cost ~1%, as in the app). "Probe" is the probe alone. The probe's share is also measured directly (the
time of its forward passes over the training time), which the shared machine's noise does not blur.

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
    parser.add_argument("--probe-every", type=int, default=None,
                        help="batches between probe records (default: chosen to cost ~1%%, as the app does)")
    args = parser.parse_args(argv)

    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.explain.probe import ProbeRecorder
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
    times = {"off": [], "probe": [], "on": []}
    view_ms = {"projection": [], "histograms": [], "probe (epoch end)": []}
    probes = []
    for _ in range(args.repeats):
        for mode in ("off", "probe", "on"):
            model = build_model(spec, seed=0)
            hook = probe = None
            if mode != "off":
                probe = ProbeRecorder(ds.x_test[0], every=args.probe_every)
                probes.append((mode, probe))
            if mode == "probe":
                def hook(epoch, m, probe=probe):
                    t0 = time.perf_counter()
                    probe.on_epoch(epoch, m)
                    view_ms["probe (epoch end)"].append(1000 * (time.perf_counter() - t0))
            if mode == "on":
                rec = ProjectionRecorder(ds.x_test[:args.images], ds.y_test[:args.images])
                hists = WeightHistograms()

                def hook(epoch, m, rec=rec, hists=hists, probe=probe):
                    t0 = time.perf_counter()
                    hists.record(epoch, m)
                    t1 = time.perf_counter()
                    rec.record(epoch, m)
                    t2 = time.perf_counter()
                    probe.on_epoch(epoch, m)
                    view_ms["histograms"].append(1000 * (t1 - t0))
                    view_ms["projection"].append(1000 * (t2 - t1))
                    view_ms["probe (epoch end)"].append(1000 * (time.perf_counter() - t2))
            session = TrainingSession(model, data, cfg, on_epoch_end=hook)
            session.on_batch_end = probe.on_batch if probe is not None else None
            t = time.perf_counter()
            session.run()
            times[mode].append(time.perf_counter() - t)
            if probe is not None:
                probe.train_seconds = times[mode][-1]
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    probe_ratio = off / statistics.median(times["probe"])
    print(f"model {args.model}, {n} training images, {args.epochs} epochs, batch {args.batch}, "
          f"{args.images} test images projected, {args.repeats} repeat(s)")
    print(f"training time: views off {off:.2f} s, on {on:.2f} s (runs off {['%.2f' % t for t in times['off']]}, "
          f"probe {['%.2f' % t for t in times['probe']]}, on {['%.2f' % t for t in times['on']]})")
    ratio = off / on
    print(f"throughput ratio on/off: {ratio:.3f} (target >= 0.97)")
    for key, values in view_ms.items():
        print(f"{key}: median {statistics.median(values):.1f} ms an epoch (first {values[0]:.1f} ms)")
    print(f"throughput ratio probe alone/off: {probe_ratio:.3f} (target >= 0.97)")
    shares = []
    for mode, probe in probes:
        passes = probe.probe_seconds[1:]   # the first pass traces the compiled sub-model
        share = sum(probe.probe_seconds) / probe.train_seconds
        shares.append(share)
        print(f"probe ({mode}): every {probe.every} batch(es), {len(probe.recorded)} batch records + "
              f"{len(probe.epochs)} epoch records, forward pass median {1000 * statistics.median(passes):.2f} ms "
              f"(first, with tracing, {1000 * probe.probe_seconds[0]:.0f} ms); its passes took "
              f"{100 * share:.2f}% of the training time")
    print(f"probe's own time: median {100 * statistics.median(shares):.2f}% of the training time (target < 3%)")
    print(f"SUMMARY: training throughput with the Watch-it-learn views on / off = {ratio:.3f} (target >= 0.97)")
    if ratio < 0.97:
        print(f"MISSED TARGET: training throughput views on / off = {ratio:.3f} (target >= 0.97)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
