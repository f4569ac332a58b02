"""Five training runs in a row in one process: resident memory grows by less than 10% after the first."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow


def test_five_runs_in_a_row_do_not_grow_memory(project_root):
    code = textwrap.dedent("""
        import gc
        from cnnviz.core.model.build import build_model
        from cnnviz.core.data.datasets import load_dataset
        from cnnviz.core.model.inference import Predictor, evaluate
        from cnnviz.core.model.presets import get_preset
        from cnnviz.core.train.config import TrainingConfig
        from cnnviz.core.train.prepared import prepare_data
        from cnnviz.core.train.session import TrainingSession

        import ctypes
        libc = ctypes.CDLL("libc.so.6")

        def rss_mb():
            # Freed heap is handed back first, so the figure is live memory, not what glibc keeps cached.
            libc.malloc_trim(0)
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * 4096 / 2**20

        data = load_dataset("mnist_sample")
        config = TrainingConfig(batch_size=64, epochs=1)
        prepared = prepare_data(data, config)
        sizes = []
        for i in range(5):
            model = build_model(get_preset("fast"), seed=i)
            TrainingSession(model, prepared, config).run()
            evaluate(Predictor(model), prepared.x_val, prepared.y_val, 10)
            del model
            gc.collect()
            sizes.append(rss_mb())
        print(" ".join(f"{s:.1f}" for s in sizes))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=400,
                            cwd=project_root, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
                                                  # one arena per thread makes RSS jump with the thread count
                                                  "MALLOC_ARENA_MAX": "2"})
    assert result.returncode == 0, result.stderr[-2000:]
    sizes = [float(v) for v in result.stdout.split()]
    growth = (sizes[-1] - sizes[0]) / sizes[0]
    assert growth < 0.10, f"resident memory after each run (MB): {sizes}"
