"""Training throughput of the app's path vs a plain ``model.fit``, measured side by side in one process.

App path: the Training tab's machinery without the form: TrainingRunner (worker on a QThread) running
TrainingSession, its events going through the Qt bridge into LivePlots (redrawn on a timer) while the GUI event
loop runs, in an offscreen QApplication. Baseline: ``model.fit(x, y, batch_size=64, epochs=1, shuffle=True)``
on the same images and a freshly built model with the same seed.

Both rates are images / (seconds from just before ``fit`` starts to the end of the last batch), tracing included,
so they compare like with like. Runs alternate (baseline, app, baseline, app, ...) and the best of each is kept,
which damps noise from other work on a shared machine. Prints a table; the target is app/plain >= 0.97.

    python benchmarks/training_overhead.py [--images 10000] [--repeats 2] [--preset fast]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def mnist_path() -> Path:
    return Path(os.environ.get("CNNVIZ_SHARED_DIR", ROOT.parent / "shared")) / "datasets" / "mnist.npz"


def load_subset(n: int, seed: int):
    from cnnviz.core.data.readers import load_npz
    from cnnviz.core.data.selection import select_training_images

    return select_training_images(load_npz(mnist_path(), name="mnist"), n, seed)


def plain_fit(spec, dataset, config) -> float:
    """images/s of model.fit on the same data, timed like the session's monitor (fit start -> last batch)."""
    import keras

    from cnnviz.core.model.build import build_model
    from cnnviz.core.train.config import make_optimizer
    from cnnviz.core.train.prepared import to_float

    x, y = to_float(dataset.x_train), dataset.y_train
    model = build_model(spec, seed=config.seed)
    keras.utils.set_random_seed(config.seed)
    model.compile(optimizer=make_optimizer(config), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    marks = {}

    class LastBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            marks["end"] = time.perf_counter()

    t0 = time.perf_counter()
    model.fit(x, y, batch_size=config.batch_size, epochs=1, shuffle=True, verbose=0, callbacks=[LastBatch()])
    return len(x) / (marks["end"] - t0)


def app_fit(spec, dataset, config, app) -> tuple[float, int]:
    """images/s through TrainingRunner + bridge + LivePlots; returns (rate, batch events received)."""
    from PySide6.QtCore import QEventLoop

    from cnnviz.qt.training.live_plots import LivePlots
    from cnnviz.qt.workers import TrainingJob, TrainingRunner

    runner = TrainingRunner()
    plots = LivePlots()
    plots.resize(900, 300)
    plots.show()
    runner.training_started.connect(plots.on_training_started)
    runner.batch_progressed.connect(plots.on_batch_progressed)
    runner.epoch_finished.connect(plots.on_epoch_finished)
    seen = []
    runner.batch_progressed.connect(seen.append)
    loop = QEventLoop()
    outcome = []
    runner.run_done.connect(outcome.append)
    runner.run_done.connect(loop.quit)
    runner.run_failed.connect(loop.quit)
    runner.run_refused.connect(loop.quit)
    runner.start(TrainingJob(spec, dataset, config))
    loop.exec()
    assert runner.shutdown(30_000)
    plots.close()
    if not outcome:
        raise RuntimeError("the app's training run failed")
    last = seen[-1]
    return len(dataset.x_train) / last.elapsed_s, len(seen)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--preset", default="fast")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.tf_runtime import import_tensorflow, versions
    from cnnviz.core.train.config import TrainingConfig

    app = QApplication.instance() or QApplication([])
    import_tensorflow()
    spec = get_preset(args.preset)
    config = TrainingConfig(batch_size=64, epochs=1, seed=1, validation_fraction=None, validation_count=None)
    dataset = load_subset(args.images, config.seed)
    plain, ours, events = [], [], 0
    for _ in range(args.repeats):
        plain.append(plain_fit(spec, dataset, config))
        rate, events = app_fit(spec, dataset, config, app)
        ours.append(rate)
    v = versions()
    print(f"training overhead: preset {args.preset!r}, {len(dataset.x_train):,} MNIST images, 1 epoch, batch 64, "
          f"TensorFlow {v['tensorflow']}, Keras {v['keras']}, {os.cpu_count()} CPU(s), best of {args.repeats}")
    print(f"{'path':<44}{'images/s (best)':>16}{'all runs':>24}")
    print(f"{'plain model.fit':<44}{max(plain):>16,.0f}{', '.join(f'{r:,.0f}' for r in plain):>24}")
    print(f"{'app: session + Qt bridge + live plots':<44}{max(ours):>16,.0f}{', '.join(f'{r:,.0f}' for r in ours):>24}")
    ratio = max(ours) / max(plain)
    print(f"ratio app / plain: {ratio:.3f} (target >= 0.97); {events} batch events reached the GUI")
    print(f"SUMMARY: training throughput app / plain model.fit = {ratio:.3f} (target >= 0.97; "
          f"{max(ours):,.0f} vs {max(plain):,.0f} images/s)")
    if ratio < 0.97:
        print(f"MISSED TARGET: training throughput app / plain = {ratio:.3f} (target >= 0.97)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
