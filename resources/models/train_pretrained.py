"""Reproduce the pretrained digit model shipped with cnnviz (resources/models/mnist_fast.keras).

    .venv/bin/python resources/models/train_pretrained.py --mnist ../shared/datasets/mnist.npz

Trains the "fast" preset (cnnviz.core.model.presets.fast_mnist) on the full MNIST training set with light
augmentation (so hand-drawn digits, which are never perfectly centred, are read well), using the app's own
TrainingSession, then evaluates on the 10,000 test images and writes the model and a metrics JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--mnist", default=str(HERE.parents[1].parent / "shared" / "datasets" / "mnist.npz"))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default=str(HERE / "mnist_fast.keras"))
    args = parser.parse_args(argv)

    from cnnviz.core.model.build import build_model
    from cnnviz.core.data.readers import load_npz
    from cnnviz.core.model.inference import Predictor, evaluate
    from cnnviz.core.model.presets import fast_mnist
    from cnnviz.core.tf_runtime import versions
    from cnnviz.core.train.config import AugmentConfig, TrainingConfig
    from cnnviz.core.train.events import EpochResult
    from cnnviz.core.train.prepared import prepare_data, to_float
    from cnnviz.core.train.session import TrainingSession

    data = load_npz(args.mnist, name="mnist")
    config = TrainingConfig(batch_size=64, epochs=args.epochs, optimizer="adam", learning_rate=1e-3, seed=1,
                            validation_count=5000, validation_fraction=None,
                            augment=AugmentConfig(rotation_degrees=8, shift_fraction=0.08))
    prepared = prepare_data(data, config)
    spec = fast_mnist()
    model = build_model(spec, seed=config.seed)

    def emit(event):
        if isinstance(event, EpochResult):
            print(f"epoch {event.epoch + 1}: loss {event.loss:.4f} acc {event.accuracy:.4f} "
                  f"val_loss {event.val_loss:.4f} val_acc {event.val_accuracy:.4f} ({event.seconds:.0f} s)", flush=True)

    t0 = time.perf_counter()
    session = TrainingSession(model, prepared, config, emit)
    session.run()
    seconds = time.perf_counter() - t0
    ev = evaluate(Predictor(model), to_float(data.x_test), data.y_test, 10)
    print(f"test accuracy {ev.accuracy:.4f} after {seconds:.0f} s")
    model.save(args.out)
    metrics = {"test_accuracy": ev.accuracy, "epochs": session.epochs_done, "train_seconds": round(seconds, 1),
               "config": config.to_dict(), "spec": spec.to_dict(), "history": session.history,
               "per_class_accuracy": [float(v) for v in ev.per_class_accuracy], "versions": versions(),
               "dataset": {"file": Path(args.mnist).name, "train": len(prepared.x_train),
                           "validation": len(prepared.x_val), "test": len(data.x_test)}}
    Path(args.out).with_suffix(".json").write_text(json.dumps(metrics, indent=2) + "\n")
    return 0 if ev.accuracy >= 0.99 else 1


if __name__ == "__main__":
    sys.exit(main())
