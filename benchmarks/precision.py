"""Training images/s of the lecture model in float32 against mixed_bfloat16 (and what --precision auto picks).

Both policies train the same model (same seed) on the same batches (the bundled MNIST sample, repeated to fill the
rounds), in alternating rounds so that the shared machine's noise hits both alike. A round is one ``fit`` call and
only its steady steps are timed (from the end of its first steps to its last, by a batch callback): ``fit``'s own
set-up, which is the same for both policies, is not a training speed. The first round of each is a warm-up
(tracing) and is not counted. Measured at the app's default batch (64) and at 128: with Adam, every step also
updates the float32 weights and moments (3.3 million of each in the lecture model) whatever the policy, so the
bigger the batch, the more of a step bfloat16 speeds up. One more row trains the default batch with plain SGD (no
moments to update), to show how much of the step that float32 optimizer work is.

Target: mixed_bfloat16 >= 1.8x float32 at the app's default batch where the CPU has bfloat16 instructions
(avx512_bf16 or amx_bf16); on a CPU without them TensorFlow emulates bfloat16, the ratio is reported and no target
applies.

    .venv/bin/python benchmarks/precision.py [--preset lecture] [--steps 40] [--rounds 3] [--batches 64,128]
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
DEFAULT_BATCH = 64   # TrainingConfig's default
WARM_STEPS = 3       # steps of each round not timed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="lecture")
    parser.add_argument("--steps", type=int, default=40, help="batches per timed round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per policy (after one warm-up)")
    parser.add_argument("--batches", default=f"{DEFAULT_BATCH},128", help="batch sizes, comma-separated")
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")]
    if args.steps <= WARM_STEPS + 1:
        parser.error(f"--steps must be more than {WARM_STEPS + 1}")

    from cnnviz.core.data.datasets import load_dataset
    from cnnviz.core.train.precision import BF16_CPU_FLAGS, cpu_flags, resolve

    data = load_dataset("mnist_sample")
    has_bf16 = sorted(set(BF16_CPU_FLAGS) & cpu_flags())
    auto = resolve("auto")
    ratios = {}
    print("| batch | optimizer | float32 images/s | mixed_bfloat16 images/s | ratio |")
    print("|---|---|---|---|---|")
    for batch, optimizer in [(b, "adam") for b in batches] + [(batches[0], "sgd")]:
        rate = measure(data, args.preset, batch, args.steps, args.rounds, optimizer)
        ratio = rate["mixed_bfloat16"] / rate["float32"]
        if optimizer == "adam":
            ratios[batch] = ratio
        print(f"| {batch} | {optimizer} | {rate['float32']:,.0f} | {rate['mixed_bfloat16']:,.0f} | {ratio:.2f}x |",
              flush=True)
    print(f"auto: {auto.reason}")
    hw = f"CPU bfloat16 instructions: {', '.join(has_bf16) or 'none'}"
    shown = ", ".join(f"{r:.2f}x at batch {b}" for b, r in ratios.items())
    print(f"SUMMARY: {args.preset} training mixed_bfloat16 / float32 = {shown}; {hw}; auto picks {auto.policy}")
    if not has_bf16:
        print("(no target here: this CPU has no bfloat16 instructions, so bfloat16 is emulated)")
        return 0
    judged = ratios.get(DEFAULT_BATCH, next(iter(ratios.values())))
    if judged < TARGET:
        print(f"MISSED TARGET: mixed_bfloat16 only {judged:.2f}x float32 at batch {DEFAULT_BATCH} on a CPU with "
              f"{', '.join(has_bf16)} (target >= {TARGET}x)")
        return 1
    return 0


def measure(data, preset: str, batch: int, steps: int, rounds: int, optimizer: str = "adam") -> dict[str, float]:
    """Steady-state training images/s of ``preset`` per policy: the best of ``rounds`` alternating rounds."""
    import keras
    import numpy as np

    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.presets import get_preset

    n = steps * batch
    x = (np.asarray(data.x_train, np.float32) / 255.0).reshape((-1, 28, 28, 1))
    y = np.asarray(data.y_train)
    repeat = -(-n // len(x))
    x, y = np.concatenate([x] * repeat)[:n], np.concatenate([y] * repeat)[:n]

    class StepClock(keras.callbacks.Callback):
        def on_train_batch_end(self, step, logs=None):
            now = time.perf_counter()
            if step == WARM_STEPS - 1:
                self.start = now
            self.end = now

    models = {}
    for policy in ("float32", "mixed_bfloat16"):
        model = build_model(get_preset(preset), seed=1, precision=policy)
        opt = keras.optimizers.Adam(1e-3) if optimizer == "adam" else keras.optimizers.SGD(1e-2)
        model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
        models[policy] = model
    seconds: dict[str, list[float]] = {p: [] for p in models}
    for round_ in range(rounds + 1):
        for policy, model in models.items():
            clock = StepClock()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False, callbacks=[clock])
            if round_:   # round 0 traces the graph
                seconds[policy].append((clock.end - clock.start) / (steps - WARM_STEPS))
    # the best round: the least disturbed by other work on the machine
    return {p: batch / min(s) for p, s in seconds.items()}


if __name__ == "__main__":
    sys.exit(main())
