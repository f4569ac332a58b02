"""Watch it learn, the core: PCA against an eigendecomposition, the projection from the real penultimate
activations of a trained model, and weight histograms on fixed bins."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.explain.projection import (ExplainError, ProjectionRecorder, available_methods, embed_2d, pca,
                                            penultimate_layer)
from cnnviz.core.explain.weights import WeightHistograms, fixed_edges, histogram, weight_layers
from cnnviz.core.model.build import build_model
from cnnviz.core.model.spec import LayerSpec, ModelSpec
from cnnviz.core.train.config import TrainingConfig
from cnnviz.core.train.prepared import PreparedData
from cnnviz.core.train.session import TrainingSession

L = LayerSpec.make


@pytest.mark.parametrize("n, d", [(200, 6), (40, 90)])   # more images than features, and fewer
def test_pca_matches_eigendecomposition_of_the_covariance_up_to_sign(n, d):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d)
    res = pca(x, 2)
    cov = np.cov(x, rowvar=False)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:2]
    ref_vecs, ref_vals = vecs[:, order].T, vals[order]
    np.testing.assert_allclose(res.explained_variance, ref_vals, rtol=1e-9)
    np.testing.assert_allclose(res.explained_ratio, ref_vals / vals.sum(), rtol=1e-9)
    for i in range(2):
        sign = np.sign(np.dot(res.components[i], ref_vecs[i]))
        np.testing.assert_allclose(res.components[i], sign * ref_vecs[i], atol=1e-9)
        ref_points = (x - x.mean(0)) @ ref_vecs[i]
        np.testing.assert_allclose(res.points[:, i], sign * ref_points, atol=1e-8)
    # sign convention: largest loading positive, and a previous epoch's components win over it
    for i in range(2):
        assert res.components[i][np.argmax(np.abs(res.components[i]))] > 0
    _, sv, vt = np.linalg.svd(x - x.mean(0), full_matrices=False)   # and the SVD of the centred data agrees
    np.testing.assert_allclose(res.explained_variance, sv[:2] ** 2 / (n - 1), rtol=1e-9)
    np.testing.assert_allclose(np.abs(res.components), np.abs(vt[:2]), atol=1e-8)
    flipped = pca(x, 2, previous=-res.components)
    np.testing.assert_allclose(flipped.points, -res.points, atol=1e-9)


def test_pca_bad_input_and_optional_methods_say_why():
    with pytest.raises(ExplainError, match="at least 2"):
        pca(np.zeros((1, 3)))
    with pytest.raises(ExplainError, match="NaN"):
        pca(np.array([[0.0, np.nan], [1.0, 2.0]]))
    why = available_methods()
    assert why["pca"] == ""
    for method, package in (("tsne", "scikit-learn"), ("umap", "umap-learn")):
        if why[method]:
            assert package in why[method]
            with pytest.raises(ExplainError, match=package):
                embed_2d(np.zeros((10, 3)), method)
    with pytest.raises(ExplainError, match="unknown projection"):
        embed_2d(np.zeros((10, 3)), "lda")


def _data(n=160, seed=0) -> PreparedData:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1), dtype=np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.int64)
    return PreparedData(x[:128], y[:128], x[128:], y[128:], 2)


def _spec() -> ModelSpec:
    return ModelSpec((8, 8, 1), [L("Conv2D", "conv_1", filters=3, kernel_size=3, activation="relu"),
                                 L("Flatten", "flatten"), L("Dense", "hidden", units=5, activation="relu"),
                                 L("Dense", "out", units=2, activation="softmax")])


def test_projection_and_histograms_come_from_the_real_model_each_epoch():
    import keras

    data = _data()
    model = build_model(_spec(), seed=1)
    rec = ProjectionRecorder(data.x_val, data.y_val)
    hists = WeightHistograms()
    hists.take(0, model)

    def hook(epoch, m):
        rec.record(epoch, m)
        hists.record(epoch, m)

    cfg = TrainingConfig(epochs=3, batch_size=32, learning_rate=0.01)
    TrainingSession(model, data, cfg, on_epoch_end=hook).run()
    assert [p.epoch for p in rec.projections] == [1, 2, 3]
    assert penultimate_layer(model).name == "hidden"
    p = rec.latest
    assert p.layer_name == "hidden" and p.points.shape == (32, 2)
    np.testing.assert_array_equal(p.labels, data.y_val)
    # the points are the PCA of the sub-model's own activations, computed independently here
    sub = keras.Model(model.inputs[0], model.get_layer("hidden").output)
    feats = np.asarray(sub(data.x_val, training=False), np.float64)
    ref = pca(feats, 2)
    for i in range(2):
        sign = np.sign(np.dot(ref.points[:, i], p.points[:, i])) or 1.0
        np.testing.assert_allclose(p.points[:, i], sign * ref.points[:, i], atol=1e-3)
    assert np.all(p.explained >= 0) and p.explained.sum() <= 1 + 1e-6
    # histograms: every layer with weights, each epoch, counts summing to its weight count, bins fixed
    names = [ly.name for ly in weight_layers(model)]
    assert hists.layers == names == ["conv_1", "hidden", "out"]
    for ly in weight_layers(model):
        assert hists.epochs(ly.name) == [0, 1, 2, 3]
        for e in (0, 3):
            h = hists.get(ly.name, e)
            assert int(h.counts.sum()) == ly.count_params() == h.total
        np.testing.assert_array_equal(hists.get(ly.name, 0).edges, hists.get(ly.name, 3).edges)
        assert not np.array_equal(hists.get(ly.name, 0).counts, hists.get(ly.name, 3).counts)


def test_histogram_clips_into_the_end_bins():
    edges = fixed_edges([0.5, -0.25], bins=4, spread=1.0)
    np.testing.assert_allclose(edges, [-0.5, -0.25, 0.0, 0.25, 0.5])
    counts, outside = histogram([-3.0, 0.1, 0.2, 9.0, np.nan], edges)
    assert counts.sum() == 5 and outside == 3
    assert counts[0] == 1 and counts[-1] == 1
