"""TensorFlow's long-lived objects are frozen out of the garbage collector's full collections.

A full (generation-2) collection walks every tracked object while holding the GIL. After importing
TensorFlow and Keras that was ~300,000 objects and 150-200 ms here, a freeze of the GUI wherever the
collection happened to trigger (it did, during the epoch-end checkpoint save on the training thread).
``import_tensorflow`` moves them into the permanent generation, which collections never visit.
"""
import gc
import sys

from cnnviz.core.tf_runtime import import_tensorflow


def test_tensorflow_and_keras_objects_are_not_scanned_by_full_collections():
    import_tensorflow()
    scanned = {id(o) for o in gc.get_objects()}   # every object the collector walks (generations 0-2)
    for name in ("tensorflow", "keras", "keras.src.layers", "numpy"):
        module_dict = vars(sys.modules[name])
        assert gc.is_tracked(module_dict)
        assert id(module_dict) not in scanned, f"{name}'s objects are still walked by every full collection"
    assert gc.get_freeze_count() > 50_000


def test_garbage_made_after_the_import_is_still_collected():
    import_tensorflow()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a   # a reference cycle: only the collector can free it
    probe = id(a)
    del a, b
    gc.collect()
    assert probe not in {id(o) for o in gc.get_objects()}
