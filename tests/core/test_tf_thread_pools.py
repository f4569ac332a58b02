"""TensorFlow's inter-op pool is large enough for the app's concurrent callers (see tf_runtime._set_thread_pools).

With a pool as small as the core count, two tf.function calls running at once from two threads (an export on one
lane while the Inspector computes on another) can each hold a pool thread while waiting for the other's work."""
import subprocess
import sys

from cnnviz.core.tf_runtime import MIN_INTER_OP_THREADS

PROBE = ("import os; os.environ['CNNVIZ_TF_THREADS'] = {threads!r}\n"
         "from cnnviz.core.tf_runtime import import_tensorflow; import_tensorflow()\n"
         "import tensorflow as tf\n"
         "print(tf.config.threading.get_inter_op_parallelism_threads(), "
         "tf.config.threading.get_intra_op_parallelism_threads())")


def _pools(threads: str) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(threads=threads)], capture_output=True, text=True,
                         timeout=300, check=True).stdout.split()
    return int(out[-2]), int(out[-1])


def test_inter_op_pool_never_shrinks_to_the_core_count_and_intra_follows_the_setting():
    assert _pools("2") == (MIN_INTER_OP_THREADS, 2)
    inter, intra = _pools("")           # not set: TensorFlow's intra default (0 = the core count)
    assert inter >= MIN_INTER_OP_THREADS and intra == 0
    assert _pools("many")[0] >= MIN_INTER_OP_THREADS   # a bad setting is ignored, the pool still safe
