"""Training images/s of the lecture model in float32 against mixed_bfloat16 (and what --precision auto picks).

Both policies train the same model (same seed) on the same batches of the bundled MNIST sample, in alternating
rounds so that the shared machine's noise hits both alike; the first round of each is a warm-up (tracing) and is
not counted. Target: mixed_bfloat16 >= 1.8x float32 where the CPU has bfloat16 instructions (avx512_bf16 or
amx_bf16); on a CPU without them TensorFlow emulates bfloat16, the ratio is reported and no target applies.

    .venv/bin/python benchmarks/precision.py [--preset lecture] [--steps 20] [--rounds 3] [--batch 64]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET = 1.8


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="lecture")
    parser.add_argument("--steps", type=int, default=20, help="batches per timed round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per policy (after one warm-up)")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)

    import numpy as np

    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.train.precision import BF16_CPU_FLAGS, cpu_flags, resolve

    import keras

    data = load_dataset("mnist_sample")
    n = args.steps * args.batch
    x = (np.asarray(data.x_train[:n], np.float32) / 255.0).reshape((-1, 28, 28, 1))
    y = np.asarray(data.y_train[:n])
    models = {}
    for policy in ("float32", "mixed_bfloat16"):
        model = build_model(get_preset(args.preset), seed=1, precision=policy)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        models[policy] = model
    times: dict[str, list[float]] = {p: [] for p in models}
    for round_ in range(args.rounds + 1):
        for policy, model in models.items():
            t0 = time.perf_counter()
            model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0, shuffle=False)
            if round_:   # round 0 traces the graph
                times[policy].append(time.perf_counter() - t0)
    rate = {p: n / min(t) for p, t in times.items()}   # the best round: the least disturbed by other work
    ratio = rate["mixed_bfloat16"] / rate["float32"]
    has_bf16 = sorted(set(BF16_CPU_FLAGS) & cpu_flags())
    auto = resolve("auto")
    print("| policy | images/s (best of rounds) |")
    print("|---|---|")
    for p, r in rate.items():
        print(f"| {p} | {r:,.0f} |")
    print(f"auto: {auto.reason}")
    hw = f"CPU bfloat16 instructions: {', '.join(has_bf16) or 'none'}"
    print(f"SUMMARY: {args.preset} training mixed_bfloat16 / float32 = {ratio:.2f}x ({rate['float32']:,.0f} vs "
          f"{rate['mixed_bfloat16']:,.0f} images/s); {hw}; auto picks {auto.policy}")
    if has_bf16 and ratio < TARGET:
        print(f"MISSED TARGET: mixed_bfloat16 only {ratio:.2f}x float32 on a CPU with {', '.join(has_bf16)} "
              f"(target >= {TARGET}x)")
        return 1
    if not has_bf16:
        print(f"(no target here: this CPU has no bfloat16 instructions, so bfloat16 is emulated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
