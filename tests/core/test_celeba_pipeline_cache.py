"""The CelebA pipeline at full size (issue 18): evaluation images are decoded and resized once, then served from
memory (when they fit the budget); training images are read and augmented afresh every epoch; decoding runs in
parallel. Proved by taking the files away after the first pass."""
from __future__ import annotations

import numpy as np
import pytest

from celeba_miniature import make_celeba
from cnnviz.core.data import celeba
from cnnviz.core.data.celeba import eval_cache_fits, make_pipeline, read_index, select

pytestmark = pytest.mark.slow


@pytest.fixture
def splits(tmp_path):
    make_celeba(tmp_path / "celeba")   # 24 train, 8 valid, 8 test
    out, _info = select(read_index(tmp_path / "celeba"))
    return tmp_path / "celeba", out


def _images(ds):
    return np.concatenate([np.asarray(x) for x, _ in ds])


def _take_away(paths):
    for p in paths:
        with open(p, "wb") as f:
            f.write(b"this is not a picture any more")


def test_evaluation_images_are_decoded_once_then_come_from_memory(splits):
    _root, out = splits
    valid = make_pipeline(*out["valid"], train=False, batch_size=3)
    first = _images(valid)
    assert first.shape == (8, 64, 64, 3)
    _take_away(out["valid"][0])   # the files are now unreadable: only a cache can still answer
    np.testing.assert_array_equal(_images(valid), first)
    labels = np.concatenate([np.asarray(y) for _, y in valid])
    np.testing.assert_array_equal(labels, out["valid"][1])


def test_training_images_are_read_afresh_every_epoch(splits):
    import tensorflow as tf

    _root, out = splits
    train = make_pipeline(*out["train"], train=True, batch_size=8)
    assert _images(train).shape == (24, 64, 64, 3)
    _take_away(out["train"][0][:1])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"img_align_celeba/000001\.jpg could not be read"):
        _images(train)


def test_evaluation_images_over_the_budget_are_not_cached(splits, monkeypatch):
    import tensorflow as tf

    _root, out = splits
    assert eval_cache_fits(19_962) and not eval_cache_fits(30_000) and not eval_cache_fits(0)
    monkeypatch.setattr(celeba, "EVAL_CACHE_BYTES", 8 * 64 * 64 * 3 * 4)   # 8 images do not fit below this
    test = make_pipeline(*out["test"], train=False, batch_size=4)
    _images(test)
    _take_away(out["test"][0][-1:])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"img_align_celeba/000040\.jpg could not be read"):
        _images(test)


def test_decoding_runs_in_parallel(splits):
    """The pipeline's map runs with num_parallel_calls=AUTOTUNE (a ParallelMapDataset in its graph)."""
    _root, out = splits
    for train in (True, False):
        ds = make_pipeline(*out["train" if train else "valid"], train=train, batch_size=4)
        ops = {node.op for node in _graph_def(ds).node}
        assert "ParallelMapDatasetV2" in ops and "PrefetchDataset" in ops, sorted(ops)
        assert ("CacheDatasetV2" in ops) is (not train), sorted(ops)


def _graph_def(ds):
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(tf.raw_ops.DatasetToGraphV2(input_dataset=ds._variant_tensor).numpy())
    return graph_def
