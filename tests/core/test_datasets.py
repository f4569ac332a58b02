"""Datasets: npz / IDX / CIFAR files, the bundled sample, image folders, offline errors, validation splits."""
from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.core.data import datasets, readers
from cnnviz.core.data.dataset import Dataset, DatasetError
from cnnviz.core.data.datasets import DATASETS, FASHION_CLASSES, MNIST_CLASSES, load_dataset, load_mnist_sample
from cnnviz.core.data.readers import find_idx_files, load_idx_folder, load_image_folder, load_npz
from cnnviz.core.data.split import split_validation
from cnnviz.core.data.idx import IdxError, read_idx, write_idx
from cnnviz.resources import resource_path

ROOT = Path(__file__).resolve().parents[2]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def shared_mnist_path() -> Path:
    env = os.environ.get("CNNVIZ_SHARED_DIR")
    places = [Path(env) / "datasets" / "mnist.npz"] if env else []
    places.append(ROOT.parent / "shared" / "datasets" / "mnist.npz")
    for place in places:
        if place.is_file():
            return place
    pytest.fail(f"The full MNIST file is missing (looked at {', '.join(map(str, places))}); CI always has it.")


@pytest.fixture(scope="module")
def mnist() -> Dataset:
    return load_npz(shared_mnist_path(), name="mnist")


@pytest.fixture(scope="module")
def mnist_idx_dirs(mnist, tmp_path_factory):
    """The full MNIST written as IDX files by our writer: one plain folder, one gzip folder (dot spelling)."""
    plain, gz = tmp_path_factory.mktemp("idx_plain"), tmp_path_factory.mktemp("idx_gz")
    arrays = (mnist.x_train[..., 0], mnist.y_train.astype(np.uint8),
              mnist.x_test[..., 0], mnist.y_test.astype(np.uint8))
    for stem, array in zip(readers.IDX_FILES, arrays):
        write_idx(plain / stem, array)
        write_idx(gz / (stem.replace("-idx", ".idx") + ".gz"), array)
    return plain, gz


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """No test sees the real home folder, a data-dir variable or the network; downloads fail fast."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    calls = []

    def no_network(key):
        calls.append(key)
        raise OSError("URL fetch failure: no internet (test)")

    monkeypatch.setattr(datasets, "_download_with_keras", no_network)
    return calls


def assert_same(a: Dataset, b: Dataset) -> None:
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
        assert getattr(a, key).dtype == getattr(b, key).dtype


# ------------------------------------------------------------------------------------------------ full MNIST
def test_full_mnist_is_authentic(mnist):
    assert mnist.x_train.shape == (60000, 28, 28, 1) and mnist.x_test.shape == (10000, 28, 28, 1)
    assert mnist.x_train.dtype == np.uint8 and mnist.y_train.dtype == np.int64
    assert mnist.input_shape == (28, 28, 1) and mnist.num_classes == 10
    assert mnist.class_counts().tolist() == TRAIN_COUNTS
    assert mnist.class_counts("test").tolist() == TEST_COUNTS
    hist = np.bincount(mnist.x_train.ravel(), minlength=256)  # exact mean/std without a float copy
    v = np.arange(256) / 255.0
    mean = (hist * v).sum() / hist.sum()
    std = np.sqrt((hist * v**2).sum() / hist.sum() - mean**2)
    assert mean == pytest.approx(0.1307, abs=1e-4) and std == pytest.approx(0.3081, abs=1e-4)
    assert not mnist.x_train.flags.writeable


def test_mnist_found_in_data_dir_and_env(mnist, tmp_path, monkeypatch, offline):
    folder = tmp_path / "data"
    folder.mkdir()
    try:
        (folder / "mnist.npz").symlink_to(shared_mnist_path())
    except OSError:  # no symlinks (Windows without developer mode)
        shutil.copy(shared_mnist_path(), folder / "mnist.npz")
    via_arg = load_dataset("mnist", data_dir=folder)
    assert_same(via_arg, mnist)
    assert via_arg.class_names == MNIST_CLASSES and str(folder / "mnist.npz") in via_arg.source
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(folder))
    assert str(folder / "mnist.npz") in load_dataset("MNIST").source
    assert offline == []  # a local file means no download attempt


def test_idx_files_plain_and_gz_give_identical_arrays(mnist, mnist_idx_dirs):
    plain, gz = mnist_idx_dirs
    from_plain = load_idx_folder(plain)
    assert_same(from_plain, mnist)
    assert "train-images-idx3-ubyte" in from_plain.source
    from_gz = load_dataset("mnist", data_dir=gz)
    assert_same(from_gz, mnist)
    assert "train-images.idx3-ubyte.gz" in from_gz.source and from_gz.class_names == MNIST_CLASSES
    assert set(find_idx_files(gz)) == set(readers.IDX_FILES)


# ------------------------------------------------------------------------------------------------ bundled sample
def test_bundled_sample_is_a_stratified_subset_of_mnist(mnist):
    sample = load_dataset("mnist_sample")
    assert sample.name == "mnist_sample" and "bundled" in sample.source
    assert sample.x_train.shape == (3000, 28, 28, 1) and sample.x_test.shape == (1000, 28, 28, 1)
    assert sample.class_counts().tolist() == [300] * 10 and sample.class_counts("test").tolist() == [100] * 10
    assert sample.class_names == MNIST_CLASSES
    path = resource_path("data", "mnist_sample.npz")
    assert path.stat().st_size < 5_000_000
    with np.load(path) as f:
        train_idx, test_idx = f["train_indices"], f["test_indices"]
    assert len(set(train_idx.tolist())) == 3000 and len(set(test_idx.tolist())) == 1000
    np.testing.assert_array_equal(sample.x_train, mnist.x_train[train_idx])
    np.testing.assert_array_equal(sample.y_train, mnist.y_train[train_idx])
    np.testing.assert_array_equal(sample.x_test, mnist.x_test[test_idx])
    np.testing.assert_array_equal(sample.y_test, mnist.y_test[test_idx])
    # independent of the stored indices: every sample image occurs in MNIST's training images
    known = {img.tobytes() for img in mnist.x_train}
    assert all(img.tobytes() in known for img in sample.x_train)


def test_registry_lists_every_loader():
    assert list(DATASETS)[0] == datasets.DEFAULT_DATASET == "mnist_sample"
    assert set(DATASETS) == {"mnist_sample", "mnist", "fashion_mnist", "cifar10", "folder"}
    for info in DATASETS.values():
        assert info.title and info.description
    assert DATASETS["folder"].needs_path and DATASETS["mnist_sample"].works_offline


# ------------------------------------------------------------------------------------------------ offline errors
def test_offline_mnist_without_local_file_explains_what_to_do(tmp_path, offline):
    with pytest.raises(DatasetError) as info:
        load_dataset("mnist")
    err, msg = info.value, str(info.value)
    assert err.suggest_sample is True and isinstance(err, ValueError)
    assert offline == ["mnist"]
    home = tmp_path / "home"
    assert str(home / ".cnnviz" / "data" / "mnist.npz") in msg
    assert str(home / ".keras" / "datasets" / "mnist.npz") in msg
    assert "keras.datasets.mnist.load_data() failed" in msg and "no internet" in msg
    for needed in ("CNNVIZ_DATA_DIR", "mnist.npz", "train-images-idx3-ubyte", "t10k-labels-idx1-ubyte", ".gz",
                   '"mnist_sample"', "offline"):
        assert needed in msg


@pytest.mark.parametrize("name, file_hint",
                         [("fashion_mnist", "fashion-mnist.npz"), ("cifar10", "cifar-10-batches-py")])
def test_offline_other_datasets(name, file_hint, tmp_path):
    with pytest.raises(DatasetError, match=file_hint) as info:
        load_dataset(name, data_dir=tmp_path)
    assert info.value.suggest_sample and str(tmp_path) in str(info.value)


def test_download_false_and_successful_download(monkeypatch):
    with pytest.raises(DatasetError, match="not tried"):
        load_dataset("mnist", download=False)
    x = np.zeros((4, 28, 28), np.uint8)
    y = np.array([0, 1, 2, 3], np.uint8)
    monkeypatch.setattr(datasets, "_download_with_keras", lambda key: ((x, y), (x, y)))
    got = load_dataset("mnist")
    assert got.x_train.shape == (4, 28, 28, 1) and "downloaded by keras.datasets.mnist" in got.source


def test_unknown_name_and_folder_without_path():
    with pytest.raises(DatasetError, match="choose one of: mnist_sample"):
        load_dataset("imagenet")
    with pytest.raises(DatasetError, match="needs a path"):
        load_dataset("folder")


# ------------------------------------------------------------------------------------------------ other formats
def test_fashion_mnist_from_idx_subfolder(tmp_path):
    rng = np.random.default_rng(1)
    sub = tmp_path / "fashion-mnist"
    sub.mkdir()
    arrays = (rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), np.arange(20, dtype=np.uint8) % 10,
              rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), np.arange(10, dtype=np.uint8))
    for stem, a in zip(readers.IDX_FILES, arrays):
        write_idx(sub / (stem + ".gz"), a)
    got = load_dataset("fashion-mnist", data_dir=tmp_path)
    assert got.class_names == FASHION_CLASSES and got.name == "fashion_mnist"
    np.testing.assert_array_equal(got.x_train[..., 0], arrays[0])


def test_cifar10_python_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(2)
    batches = {}
    for b in readers.CIFAR_BATCHES:
        data = rng.integers(0, 256, (3, 3072), dtype=np.uint8)
        batches[b] = data
        with open(folder / b, "wb") as f:
            pickle.dump({b"data": data, b"labels": [0, 5, 9], b"batch_label": b"x"}, f, protocol=2)
    got = load_dataset("cifar10", data_dir=tmp_path)
    assert got.x_train.shape == (15, 32, 32, 3) and got.x_test.shape == (3, 32, 32, 3)
    assert got.class_names[9] == "truck" and got.class_counts().tolist()[5] == 5
    # channel-first rows (1024 R, 1024 G, 1024 B) become HWC pixels
    first = batches["data_batch_1"][0]
    assert got.x_train[0, 0, 1].tolist() == [first[1], first[1024 + 1], first[2048 + 1]]
    assert got.x_train[0, 1, 0, 2] == first[2048 + 32]


def test_cifar_batch_that_would_run_code_is_refused(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for b in readers.CIFAR_BATCHES:
        (folder / b).write_bytes(pickle.dumps({b"data": Evil(), b"labels": [0]}))
    with pytest.raises(DatasetError, match="not a readable CIFAR-10 python batch"):
        load_dataset("cifar10", data_dir=tmp_path)
    assert not marker.exists()


# ------------------------------------------------------------------------------------------------ corrupt inputs
@pytest.fixture
def small_arrays():
    rng = np.random.default_rng(3)
    return dict(x_train=rng.integers(0, 256, (6, 8, 8), dtype=np.uint8), y_train=np.array([0, 1, 2, 0, 1, 2]),
                x_test=rng.integers(0, 256, (3, 8, 8), dtype=np.uint8), y_test=np.array([0, 1, 2]))


def test_missing_and_corrupt_npz(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_npz(tmp_path / "nope.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip archive at all" * 10)
    with pytest.raises(DatasetError, match="not a readable .npz archive"):
        load_npz(garbage)
    good = resource_path("data", "mnist_sample.npz").read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetError, match="corrupt or truncated"):
        load_npz(truncated)
    damaged = bytearray(good)
    damaged[len(good) // 3: len(good) // 3 + 64] = bytes(64)  # inside x_train's compressed data
    (tmp_path / "damaged.npz").write_bytes(bytes(damaged))
    with pytest.raises(DatasetError, match="corrupt or truncated"):
        load_npz(tmp_path / "damaged.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(DatasetError, match=r"\.npy"):
        load_npz(tmp_path / "single.npy")


def test_npz_missing_keys_and_bad_arrays(tmp_path, small_arrays):
    np.savez(tmp_path / "partial.npz", x_train=small_arrays["x_train"], y_train=small_arrays["y_train"], extra=1)
    with pytest.raises(DatasetError, match=r"lacks the key\(s\) x_test, y_test; found: x_train, y_train, extra"):
        load_npz(tmp_path / "partial.npz")
    np.savez(tmp_path / "lengths.npz", **{**small_arrays, "y_train": small_arrays["y_train"][:5]})
    with pytest.raises(DatasetError, match="x_train has 6 images but y_train has 5 labels"):
        load_npz(tmp_path / "lengths.npz")
    np.savez(tmp_path / "float.npz", **{**small_arrays, "x_train": small_arrays["x_train"] / 255.0})
    with pytest.raises(DatasetError, match="dtype float64; expected uint8"):
        load_npz(tmp_path / "float.npz")
    np.savez(tmp_path / "shape.npz", **{**small_arrays, "x_test": np.zeros((3, 9, 9), np.uint8)})
    with pytest.raises(DatasetError, match="differ in shape"):
        load_npz(tmp_path / "shape.npz")
    np.savez(tmp_path / "ok.npz", **small_arrays)
    ok = load_npz(tmp_path / "ok.npz")
    assert ok.input_shape == (8, 8, 1) and ok.class_names == ("0", "1", "2") and ok.name == "ok"


def test_idx_bad_magic_truncated_and_missing(tmp_path, small_arrays):
    folder = tmp_path / "idx"
    folder.mkdir()
    for stem, key in zip(readers.IDX_FILES, ("x_train", "y_train", "x_test", "y_test")):
        write_idx(folder / stem, small_arrays[key].astype(np.uint8))
    assert load_idx_folder(folder).x_train.shape == (6, 8, 8, 1)
    images = folder / readers.IDX_FILES[0]
    raw = images.read_bytes()
    images.write_bytes(b"\x12\x34\x56\x78" + raw[4:])
    with pytest.raises(IdxError, match="bad magic number 0x12345678"):
        read_idx(images)
    with pytest.raises(DatasetError, match="bad magic number"):
        load_idx_folder(folder)
    images.write_bytes(raw[:-10])
    with pytest.raises(DatasetError, match="truncated"):
        load_idx_folder(folder)
    images.write_bytes(raw[:6])
    with pytest.raises(DatasetError, match="truncated inside its header"):
        load_idx_folder(folder)
    gz = tmp_path / "labels.gz"
    write_idx(gz, np.arange(1000, dtype=np.uint8) % 10)
    gz.write_bytes(gz.read_bytes()[:-20])
    with pytest.raises(IdxError, match="gzip"):
        read_idx(gz)
    images.unlink()
    with pytest.raises(DatasetError, match="lacks the IDX file.*train-images-idx3-ubyte"):
        load_idx_folder(folder)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if dtype != np.uint8 else np.arange(24, dtype=dtype)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "a.idx", a)), a)


# ------------------------------------------------------------------------------------------------ image folders
CLASS_SHADES = {"cat": 40, "dog": 140, "eel": 230}


@pytest.fixture
def image_folder(tmp_path):
    root = tmp_path / "pets"
    for name, shade in CLASS_SHADES.items():
        (root / name).mkdir(parents=True)
        for i in range(4):  # grayscale PNG, RGB JPEG, RGBA PNG and a nested BMP; different sizes
            size = (20 + 7 * i, 30 + 3 * i)
            Image.new("L", size, shade).save(root / name / f"g{i}.png")
            Image.new("RGB", size, (shade, shade, shade)).save(root / name / f"c{i}.jpg", quality=95)
        Image.new("RGBA", (16, 16), (shade, shade, shade, 255)).save(root / name / "a.png")
        (root / name / "deep").mkdir()
        Image.new("RGB", (50, 10), (shade, shade, shade)).save(root / name / "deep" / "d.bmp")
    (root / "cat" / "notes.txt").write_text("not an image")
    good = (root / "dog" / "g0.png").read_bytes()
    (root / "dog" / "broken.png").write_bytes(good[: len(good) // 2])
    (root / ".hidden").mkdir()
    return root


def test_image_folder_grayscale_and_rgb(image_folder):
    ds = load_image_folder(image_folder, image_size=(28, 28), color_mode="grayscale", test_fraction=0.25, seed=1)
    assert ds.class_names == ("cat", "dog", "eel")
    assert ds.x_train.shape[1:] == (28, 28, 1) and ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert len(ds.x_train) + len(ds.x_test) == 30 and len(ds.x_test) == 8  # round(0.25 * 30)
    assert (ds.class_counts() + ds.class_counts("test")).tolist() == [10, 10, 10]
    assert sorted(ds.class_counts("test").tolist()) == [2, 3, 3]
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):  # every image's shade names its class
        gray = np.array([CLASS_SHADES[n] for n in ds.class_names])
        guessed = np.abs(np.median(x.reshape(len(x), -1), axis=1)[:, None] - gray[None]).argmin(1)
        np.testing.assert_array_equal(guessed, y)
    assert ds.notes[0].startswith("Skipped 2 file(s)")
    assert any("cat/notes.txt" in n for n in ds.notes) and any("dog/broken.png" in n for n in ds.notes)
    assert str(image_folder) in ds.source and "30 images in 3 classes" in ds.source

    rgb = load_dataset("folder", path=image_folder, image_size=(32, 40), color_mode="rgb", test_fraction=0.25, seed=1)
    assert rgb.x_train.shape[1:] == (32, 40, 3) and rgb.input_shape == (32, 40, 3)
    assert np.abs(rgb.x_train.astype(int) - ds.x_train.mean(axis=(1, 2, 3))[:, None, None, None]).max() <= 3
    np.testing.assert_array_equal(rgb.y_train, ds.y_train)  # same seed, same split
    again = load_image_folder(image_folder, image_size=(28, 28), test_fraction=0.25, seed=1)
    assert_same(again, ds)
    none_held = load_image_folder(image_folder, test_fraction=0)
    assert len(none_held.x_test) == 0 and none_held.x_test.shape[1:] == (28, 28, 1)


def test_bad_image_folders(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_image_folder(tmp_path / "missing")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(DatasetError, match="is a file, not a folder"):
        load_image_folder(tmp_path / "file.png")
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("L", (5, 5)).save(flat / "a.png")
    with pytest.raises(DatasetError, match="no class subfolders"):
        load_image_folder(flat)
    (flat / "only").mkdir()
    Image.new("L", (5, 5)).save(flat / "only" / "a.png")
    with pytest.raises(DatasetError, match="needs at least two classes"):
        load_image_folder(flat)
    (flat / "empty").mkdir()
    (flat / "empty" / "readme.txt").write_text("no images here")
    with pytest.raises(DatasetError, match="'empty'.*no readable images"):
        load_image_folder(flat)
    blank = tmp_path / "blank"
    (blank / "a").mkdir(parents=True)
    (blank / "b").mkdir()
    with pytest.raises(DatasetError, match="no readable images in any"):
        load_image_folder(blank)
    with pytest.raises(DatasetError, match="test_fraction"):
        load_image_folder(flat, test_fraction=1.0)
    with pytest.raises(DatasetError, match="color_mode"):
        load_image_folder(flat, color_mode="cmyk")


# ------------------------------------------------------------------------------------------------ validation split
def test_split_validation_by_count_like_the_lecture(mnist):
    x_tr, y_tr, x_val, y_val = split_validation(mnist.x_train, mnist.y_train, count=10_000, seed=0)
    assert x_tr.shape == (50_000, 28, 28, 1) and x_val.shape == (10_000, 28, 28, 1)
    assert x_val.dtype == np.uint8 and y_val.dtype == np.int64
    expected = np.array(TRAIN_COUNTS) * 10_000 / 60_000  # stratified: each class keeps its share
    assert np.all(np.abs(np.bincount(y_val, minlength=10) - expected) < 1)


def test_split_validation_disjoint_complete_and_reproducible():
    n = 1000
    idx = np.arange(n)
    y = np.arange(n) % 7
    tr, y_tr, val, y_val = split_validation(idx, y, fraction=0.2, seed=5)
    assert len(val) == 200 and len(tr) == 800
    assert set(tr).isdisjoint(val) and set(tr) | set(val) == set(idx)
    np.testing.assert_array_equal(y_val, y[val])
    np.testing.assert_array_equal(split_validation(idx, y, fraction=0.2, seed=5)[2], val)
    assert not np.array_equal(split_validation(idx, y, fraction=0.2, seed=6)[2], val)
    assert np.all(np.diff(tr) > 0)  # original order kept
    plain = split_validation(idx, y, count=123, seed=0, stratify=False)[2]
    assert len(set(plain)) == 123


@pytest.mark.parametrize("kwargs, match", [
    (dict(count=10), "smaller than the 10"), (dict(count=0), "from 1 to 9"), (dict(count=2.5), "integer"),
    (dict(count=True), "integer"), (dict(fraction=0.0), "between 0 and 1"), (dict(fraction=1.0), "between 0 and 1"),
    (dict(fraction=0.01), "gives 0"), (dict(), "exactly one"), (dict(count=2, fraction=0.5), "exactly one"),
])
def test_split_validation_errors(kwargs, match):
    with pytest.raises(DatasetError, match=match):
        split_validation(np.zeros((10, 2)), np.arange(10) % 2, **kwargs)


# ------------------------------------------------------------------------------------------------ the Dataset type
def test_dataset_normalises_and_protects_its_arrays():
    x = np.zeros((4, 5, 6), np.int32)
    ds = Dataset(x, np.array([[0], [1], [1], [0]]), x[:2], np.array([1, 0]), class_names=["a", "b"],
                 source="test", name="t")
    assert ds.x_train.shape == (4, 5, 6, 1) and ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert ds.class_names == ("a", "b") and ds.class_counts().tolist() == [2, 2]
    with pytest.raises(ValueError):
        ds.x_train[0, 0, 0, 0] = 1
    with pytest.raises(ValueError, match="split"):
        ds.class_counts("val")
    with pytest.raises(DatasetError, match="label 2 found but only 2 class names"):
        Dataset(x, np.array([0, 1, 2, 0]), x[:1], np.array([0]), class_names=("a", "b"), source="s", name="n")
    mine = np.zeros((2, 3, 3, 1), np.uint8)
    Dataset(mine, np.array([0, 1]), mine, np.array([0, 1]), class_names=("a", "b"), source="s", name="n")
    assert mine.flags.writeable  # the caller's array stays writable


def test_loading_datasets_imports_no_qt_and_no_keras():
    code = ("import sys, cnnviz.core.data.datasets as d; d.load_mnist_sample(); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'keras', 'tensorflow')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


def test_load_mnist_sample_directly():
    assert_same(load_mnist_sample(), load_dataset("sample"))
