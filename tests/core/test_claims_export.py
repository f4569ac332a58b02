""""Verified" means a mismatching export is refused: exports that hold another model's weights, or a file whose
weights were changed after writing, must fail verification (tests/core/test_export.py only feeds good files)."""
from __future__ import annotations

import numpy as np
import pytest

from cnnviz.core.io import export as export_module
from cnnviz.core.io.export import ExportError, export_model, normalise_path, verify_export
from cnnviz.core.model.build import build_model
from cnnviz.core.model.spec import LayerSpec, ModelSpec

pytestmark = pytest.mark.slow
L = LayerSpec.make

SPEC = ModelSpec((10, 10, 1), [L("Conv2D", "conv_1", filters=3, kernel_size=3, activation="relu"),
                               L("Flatten", "flatten"), L("Dense", "out", units=4, activation="softmax")],
                 name="claims")


@pytest.fixture(scope="module")
def two_models():
    """Two models of the same architecture with different weights, and a few images they disagree on."""
    live, other = build_model(SPEC, seed=0), build_model(SPEC, seed=1)
    x = np.random.default_rng(0).random((8, 10, 10, 1), dtype=np.float32)
    gap = float(np.max(np.abs(np.asarray(live(x)) - np.asarray(other(x)))))
    assert gap > 1e-2, gap  # the premise: their predictions really differ
    return live, other, x


@pytest.mark.parametrize("fmt", ["keras", "weights", "tflite"])
def test_an_export_that_holds_another_models_weights_is_refused(two_models, tmp_path, monkeypatch, fmt):
    live, other, x = two_models
    real_write = export_module._write
    # a writer bug: the file written is the other model's
    monkeypatch.setattr(export_module, "_write", lambda f, model, tmp: real_write(f, other, tmp))
    with pytest.raises(ExportError, match="predictions differ from the live model's by"):
        export_model(live, fmt, tmp_path / "model", x_check=x)


@pytest.mark.parametrize("fmt", ["keras", "weights"])
def test_verify_export_measures_the_difference_of_a_swapped_file(two_models, tmp_path, fmt):
    live, other, x = two_models
    report = export_model(other, fmt, tmp_path / "other", x_check=x)   # a good export of the other model
    expected = np.asarray(live(x, training=False))
    gap = float(np.max(np.abs(np.asarray(other(x, training=False)) - expected)))
    diff = verify_export(fmt, report.path, x, expected, model=live)
    assert diff == pytest.approx(gap, rel=1e-3, abs=1e-5)


def test_a_weights_file_changed_after_writing_fails_verification(two_models, tmp_path):
    import h5py

    live, _, x = two_models
    report = export_model(live, "weights", tmp_path / "live", x_check=x)
    expected = np.asarray(live(x, training=False))
    assert verify_export("weights", report.path, x, expected, model=live) <= 1e-6
    with h5py.File(report.path, "r+") as f:        # corrupt one stored array: the Dense kernel
        kernels = []
        f.visititems(lambda name, obj: kernels.append(name) if isinstance(obj, h5py.Dataset) and obj.ndim == 2
                     else None)
        assert len(kernels) == 1, kernels
        kernel = f[kernels[0]][...]
        kernel[:, 0] += 1.0                        # class 0's evidence only (a shift of all would cancel)
        f[kernels[0]][...] = kernel
    assert verify_export("weights", report.path, x, expected, model=live) > 1e-2
    # and export_model refuses when the file on disk is not what was written
    real_write = export_module._write

    def write_then_corrupt(fmt, model, tmp):
        real_write(fmt, model, tmp)
        with h5py.File(tmp, "r+") as f:
            f[kernels[0]][...] = 0.0

    export_module_path = normalise_path("weights", tmp_path / "again")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export_module, "_write", write_then_corrupt)
        with pytest.raises(ExportError, match="differ from the live model's"):
            export_model(live, "weights", export_module_path, x_check=x)


@pytest.mark.parametrize("previous", [b"previous", None])
def test_a_writer_that_fails_half_way_leaves_the_target_as_it_was(two_models, tmp_path, monkeypatch, previous):
    """The save writes part of its output to the path it is given, then the disk fills up: the target must still
    hold the previous file (or not exist), and no partial file may be left beside it."""
    live, _, x = two_models
    target = tmp_path / "m.keras"
    if previous is not None:
        target.write_bytes(previous)
    calls = []

    def half_save(self, filepath, *args, **kwargs):
        calls.append(str(filepath))
        with open(filepath, "wb") as fh:
            fh.write(b"PK\x03\x04 half of a model archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(live), "save", half_save)
    with pytest.raises(ExportError, match="No space left on device"):
        export_model(live, "keras", target, x_check=x)
    assert len(calls) == 1                       # the failure really happened mid-write
    if previous is None:
        assert not target.exists()
        assert list(tmp_path.iterdir()) == []
    else:
        assert target.read_bytes() == previous
        assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_a_savedmodel_writer_that_fails_half_way_leaves_the_old_folder(two_models, tmp_path, monkeypatch):
    live, _, x = two_models
    target = export_model(live, "savedmodel", tmp_path / "served", x_check=x).path   # the previous export
    before = {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()}

    def half_export(self, filepath, *args, **kwargs):
        from pathlib import Path

        Path(filepath).mkdir(parents=True, exist_ok=True)
        (Path(filepath) / "saved_model.pb").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(live), "export", half_export)
    with pytest.raises(ExportError, match="No space left on device"):
        export_model(live, "savedmodel", target, x_check=x)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["served"]
    assert {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
