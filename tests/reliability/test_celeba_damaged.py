"""A damaged picture inside a CelebA split is one clear line naming the file (issue 14, "One clear line"): a 0-byte
JPEG is named when the dataset is opened (one stat per chosen image), a picture that is damaged inside is named by the
pipeline when training reaches it, and the run folder then says "failed", not "running"."""
from __future__ import annotations

import json

import pytest

from celeba_miniature import make_celeba

pytestmark = pytest.mark.slow


@pytest.fixture
def celeba(tmp_path):
    make_celeba(tmp_path / "celeba")   # 24 train (000001..000024), 8 valid, 8 test (000033..000040)
    return tmp_path / "celeba"


def _damage(celeba, name: str, kind: str) -> None:
    path = celeba / "img_align_celeba" / name
    good = path.read_bytes()
    path.write_bytes({"empty": b"",
                      "truncated": good[:3000],
                      "zeroed": good[:600] + b"\0" * (len(good) - 600),
                      "text": b"this is not a picture at all\n" * 20,
                      "jpeg-magic": b"\xff\xd8\xff\xe0" + b"\x13" * 500}[kind])


def _cli_lines(capsys) -> list[str]:
    """The CLI's own lines on stderr (errors, warnings), without training progress; never a traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("cnnviz-cli")]


# --- 0 bytes: named when the dataset is opened ------------------------------------------------------------------

def test_a_zero_byte_jpeg_is_named_when_the_dataset_is_opened(celeba):
    from cnnviz.core.data.celeba import celeba_datasets
    from cnnviz.core.data.celeba_index import CelebAError

    _damage(celeba, "000005.jpg", "empty")
    _damage(celeba, "000034.jpg", "empty")
    with pytest.raises(CelebAError) as info:
        celeba_datasets(celeba, batch_size=None)
    message = str(info.value)
    assert message.startswith("img_align_celeba/000005.jpg is an empty file (0 bytes), not an image; 2 of the 40 "
                              "chosen images are empty (000005.jpg, 000034.jpg)"), message
    assert "\n" not in message
    # an empty file that the limits leave out is no obstacle (only chosen images are looked at)
    (celeba / "img_align_celeba" / "000005.jpg").write_bytes((celeba / "img_align_celeba" / "000001.jpg").read_bytes())
    celeba_datasets(celeba, batch_size=None, test_limit=1)   # 000034.jpg is the second test image


def test_cli_zero_byte_jpeg_is_one_line_naming_it_exit_2(capsys, celeba, tmp_path, monkeypatch):
    from cnnviz.cli import main

    monkeypatch.setenv("CNNVIZ_CRASH_DIR", str(tmp_path / "crash"))
    _damage(celeba, "000005.jpg", "empty")
    out = tmp_path / "faces"
    rc = main(["train", "--dataset", "celeba", "--data-dir", str(celeba), "--preset", "celeba", "--epochs", "1",
               "--batch-size", "8", "--out", str(out)])
    err = _cli_lines(capsys)
    assert rc == 2 and len(err) == 1, err
    assert err[0].startswith("cnnviz-cli: error: img_align_celeba/000005.jpg is an empty file (0 bytes)"), err
    if (out / "state.json").exists():
        assert json.loads((out / "state.json").read_text())["status"] != "running"
    assert not (tmp_path / "crash").exists()


# --- damaged inside: named by the pipeline -------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["truncated", "zeroed", "text", "jpeg-magic"])
def test_a_damaged_training_image_is_named_by_the_pipeline(celeba, kind):
    import tensorflow as tf

    from cnnviz.core.data.celeba import celeba_datasets

    _damage(celeba, "000005.jpg", kind)
    train, valid, _, _ = celeba_datasets(celeba, batch_size=8)
    assert sum(int(y.shape[0]) for _, y in valid) == 8        # the other splits are untouched
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"img_align_celeba/000005.jpg could not be read as an image \(empty, truncated or "
                             r"damaged\)"):
        for _ in train:
            pass


def test_a_damaged_last_image_is_named_too(celeba):
    """The last file in order has no file after it to notice the gap: the pipeline's end marker does."""
    import tensorflow as tf

    from cnnviz.core.data.celeba import celeba_datasets

    _damage(celeba, "000040.jpg", "text")    # the last test image (evaluation keeps file order)
    _, _, test, _ = celeba_datasets(celeba, batch_size=None)
    seen = []
    with pytest.raises(tf.errors.InvalidArgumentError, match="img_align_celeba/000040.jpg could not be read"):
        for _, y in test:
            seen.append(int(y))
    assert len(seen) == 7                    # every good image came first


def test_good_pipelines_yield_every_image_once_with_its_label(celeba):
    import numpy as np

    from cnnviz.core.data.celeba import celeba_datasets

    train, valid, test, info = celeba_datasets(celeba, batch_size=None, seed=3)
    for ds, n in ((train, 24), (valid, 8), (test, 8)):
        for _ in range(2):                   # a second pass (the next epoch) works the same
            items = [(x.numpy(), int(y)) for x, y in ds]
            assert len(items) == n and all(x.shape == (64, 64, 3) and x.dtype == np.float32 for x, _ in items)
            assert set(y for _, y in items) == {0, 1}
    assert info.counts == {"train": 24, "valid": 8, "test": 8}


def test_cli_damaged_image_mid_epoch_is_one_line_naming_it_and_the_run_failed(capsys, celeba, tmp_path,
                                                                             monkeypatch):
    from cnnviz.cli import main

    monkeypatch.setenv("CNNVIZ_CRASH_DIR", str(tmp_path / "crash"))
    _damage(celeba, "000005.jpg", "text")
    out = tmp_path / "faces"
    rc = main(["train", "--dataset", "celeba", "--data-dir", str(celeba), "--preset", "celeba", "--epochs", "1",
               "--batch-size", "8", "--out", str(out)])
    err = _cli_lines(capsys)
    assert rc == 2 and len(err) == 1, err
    assert err[0].startswith("cnnviz-cli: error: ") and "img_align_celeba/000005.jpg could not be read as an image" \
        in err[0], err
    state = json.loads((out / "state.json").read_text())
    assert state["status"] == "failed" and "000005.jpg could not be read as an image" in state["message"], state
    assert not (tmp_path / "crash").exists()
