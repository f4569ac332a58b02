"""All feature maps of one image with the lecture model: the inspector's compiled path vs ``predict``.

Same process, same image, same weights; median of N calls each (after one warm-up call each):

* inspector  ``ModelInspector.feature_maps(image)``: one compiled (tf.function) call of the activation model
* baseline   ``activation_model.predict(batch)``: the same outputs through Keras's ``predict``
* reference  ``model.predict(batch)``: only the final output, for scale

Run:  python benchmarks/feature_maps.py [--runs 50]
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


def _median_ms(fn, runs: int) -> float:
    fn()  # warm-up (tracing, first-call allocations)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000.0 * statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)

    from cnnviz.core.tf_runtime import import_tensorflow, versions

    import_tensorflow()
    import numpy as np

    from cnnviz.core.model.build import activation_model, build_model
    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.inspect.inspection import ModelInspector
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.train.prepared import to_float

    model = build_model(get_preset("lecture"), seed=0)
    image = to_float(load_dataset("mnist_sample").x_test[0])
    batch = image[None]
    inspector = ModelInspector(model, copy=False)
    acts = activation_model(model)

    ours = inspector.feature_maps(image).outputs
    theirs = acts.predict(batch, verbose=0)
    diff = max(float(np.abs(a - b[0]).max()) for a, b in zip(ours, theirs))

    t_ours = _median_ms(lambda: inspector.feature_maps(image), args.runs)
    t_acts = _median_ms(lambda: acts.predict(batch, verbose=0), args.runs)
    t_model = _median_ms(lambda: model.predict(batch, verbose=0), args.runs)

    v = versions()
    print(f"lecture MNIST CNN (3,274,634 params), one 28x28x1 image, {len(ours)} layer outputs; median of "
          f"{args.runs} runs; TensorFlow {v['tensorflow']}, Keras {v['keras']}, "
          f"CNNVIZ_TF_THREADS={os.environ.get('CNNVIZ_TF_THREADS', 'default')}")
    print(f"  inspector.feature_maps (compiled)      {t_ours:8.2f} ms")
    print(f"  activation_model.predict (same output)  {t_acts:8.2f} ms   -> {t_acts / t_ours:6.1f}x slower")
    print(f"  model.predict (final output only)       {t_model:8.2f} ms   -> {t_model / t_ours:6.1f}x slower")
    print(f"  max |difference| between the two feature-map paths: {diff:.2e}")
    print(f"SUMMARY: all feature maps of the lecture model {t_ours:.1f} ms vs model.predict {t_model:.1f} ms "
          f"= {t_model / t_ours:.1f}x faster (target >= 10x)")
    if t_model / t_ours < 10:
        print(f"MISSED TARGET: feature maps only {t_model / t_ours:.1f}x faster than model.predict (target >= 10x)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
