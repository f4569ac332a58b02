"""Peak resident memory while training the lecture model (3,274,634 parameters) on MNIST, in a fresh process.

Reports the baseline (Python + TensorFlow imported, data loaded) and the peak during one epoch on --images
training images, from the kernel's high-water mark (VmHWM), so no sampling can miss the peak.

    .venv/bin/python benchmarks/peak_memory.py [--images 10000]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", default=str(ROOT.parent / "shared" / "datasets" / "mnist.npz"))
    parser.add_argument("--images", type=int, default=10_000)
    args = parser.parse_args(argv)

    from cnnviz.core.model.build import build_model
    from cnnviz.core.data.dataset import Dataset
    from cnnviz.core.data.readers import load_npz
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.tf_runtime import import_tensorflow
    from cnnviz.core.train.config import TrainingConfig
    from cnnviz.core.train.prepared import prepare_data
    from cnnviz.core.train.session import TrainingSession

    import_tensorflow()
    data = load_npz(args.mnist, name="mnist")
    data = Dataset(data.x_train[:args.images], data.y_train[:args.images], data.x_test, data.y_test,
                   data.class_names, data.source, data.name)
    config = TrainingConfig(batch_size=64, epochs=1, validation_fraction=0.1)
    prepared = prepare_data(data, config)
    baseline = _status_mb("VmRSS")
    model = build_model(get_preset("lecture"), seed=1)
    TrainingSession(model, prepared, config).run()
    peak = _status_mb("VmHWM")
    print("| measure | MB |")
    print("|---|---|")
    print(f"| resident before building the model (TF imported, data loaded) | {baseline:.0f} |")
    print(f"| peak resident while training the lecture model ({args.images} images, batch 64) | {peak:.0f} |")
    print(f"SUMMARY: peak memory training the lecture model = {peak:.0f} MB (baseline {baseline:.0f} MB, "
          f"ratio {peak / baseline:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
