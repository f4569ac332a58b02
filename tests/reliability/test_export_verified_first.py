"""Only a verified export replaces the target (issue 14, "Nothing lost"): the temporary file or folder is loaded back
and compared with the live model *before* it is moved into place, so an export whose predictions are wrong leaves
nothing new behind, and a previous export at the target is neither replaced nor sent to the trash."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cnnviz.core.io import export as export_module
from cnnviz.core.io.export import ExportError, export_model
from cnnviz.core.io.files import PARTIAL_TAG
from cnnviz.core.model.spec import LayerSpec, ModelSpec

pytestmark = pytest.mark.slow
L = LayerSpec.make
SPEC = ModelSpec((6, 6, 1), [L("Conv2D", "c", filters=2, kernel_size=3), L("Flatten", "f"),
                             L("Dense", "d", units=3, activation="softmax")], name="tiny")


@pytest.fixture
def trash(tmp_path, monkeypatch):
    from send2trash import plat_other

    home = tmp_path / "xdg-data"
    monkeypatch.setattr(plat_other, "XDG_DATA_HOME", str(home).encode())
    monkeypatch.setattr(plat_other, "HOMETRASH_B", str(home / "Trash").encode())
    monkeypatch.setattr(plat_other, "HOMETRASH", str(home / "Trash"))
    return home / "Trash" / "files"


@pytest.fixture(scope="module")
def model():
    from cnnviz.core.model.build import build_model

    return build_model(SPEC, seed=0)


def _x():
    return np.random.default_rng(1).random((4, 6, 6, 1), dtype=np.float32)


def _tree(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def _wrong_predictions(monkeypatch, seen: list):
    """The exported file, loaded back by its real runtime, predicts something else (a converter bug)."""
    real = export_module.predict_with_export

    def wrong(fmt, path, x, *, model=None):
        seen.append((Path(path), Path(path).exists()))
        return real(fmt, path, x, model=model) + 0.5

    monkeypatch.setattr(export_module, "predict_with_export", wrong)


@pytest.mark.parametrize("fmt,name", [("keras", "m.keras"), ("weights", "m.weights.h5"), ("savedmodel", "served")])
def test_an_export_that_fails_verification_leaves_nothing_new(model, tmp_path, trash, monkeypatch, fmt, name):
    out = tmp_path / "out"
    out.mkdir()
    seen: list = []
    _wrong_predictions(monkeypatch, seen)
    with pytest.raises(ExportError) as info:
        export_model(model, fmt, out / name, x_check=_x())
    message = str(info.value)
    assert "was not written" in message and "predictions differ from the live model's by 5.00e-01" in message
    assert "\n" not in message
    # the verifier looked at the temporary sibling (which existed then), never at the target
    assert len(seen) == 1 and seen[0][1] and PARTIAL_TAG in seen[0][0].name and seen[0][0].parent == out
    assert list(out.iterdir()) == []                 # no export, no temporary left behind
    assert not trash.exists()


@pytest.mark.parametrize("fmt,name", [("keras", "m.keras"), ("savedmodel", "served")])
def test_a_previous_export_stays_in_place_when_the_new_one_fails_verification(model, tmp_path, trash, monkeypatch,
                                                                              fmt, name):
    from cnnviz.core.model.build import build_model

    out = tmp_path / "out"
    out.mkdir()
    first = export_model(model, fmt, out / name, x_check=_x())    # a good previous export
    before = _tree(first.path)
    real_predict = export_module.predict_with_export
    seen: list = []
    _wrong_predictions(monkeypatch, seen)
    other = build_model(SPEC, seed=7)                            # the user re-exports another model
    with pytest.raises(ExportError, match="predictions differ from the live model's"):
        export_model(other, fmt, first.path, x_check=_x())
    assert seen and seen[-1][0] != first.path
    assert sorted(p.name for p in out.iterdir()) == [first.path.name]
    assert _tree(first.path) == before                           # byte for byte the previous export
    assert not trash.exists()                                    # and it was not moved to the trash either
    np.testing.assert_allclose(real_predict(fmt, first.path, _x()),
                               np.asarray(model(_x(), training=False)), atol=1e-5)


def test_a_verified_export_still_replaces_the_previous_one(model, tmp_path, trash):
    from cnnviz.core.model.build import build_model

    target = tmp_path / "m.keras"
    export_model(model, "keras", target, x_check=_x())
    old = target.read_bytes()
    other = build_model(SPEC, seed=7)
    report = export_model(other, "keras", target, x_check=_x())
    assert report.previous == "the previous m.keras is in the trash" and report.max_abs_diff <= 1e-4
    assert (trash / "m.keras").read_bytes() == old
    np.testing.assert_allclose(export_module.predict_with_export("keras", target, _x()),
                               np.asarray(other(_x(), training=False)), atol=1e-5)
