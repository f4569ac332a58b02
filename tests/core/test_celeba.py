"""CelebA streamed from a miniature folder in CelebA's exact layout: reading, pipelines, training, errors, previews."""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.core.data import augment_preview as ap
from cnnviz.core.data.celeba import (CELEBA_ATTRIBUTES, CelebAError, celeba_datasets, eval_transform, evaluate_dataset,
                                load_celeba, read_index, train_transform)
from cnnviz.core.data.dataset import DatasetError
from cnnviz.core.data.datasets import STREAMED_DATASETS, load_dataset
from celeba_miniature import make_celeba

pytestmark = pytest.mark.slow
MALE = CELEBA_ATTRIBUTES.index("Male")
SMILING = CELEBA_ATTRIBUTES.index("Smiling")


@pytest.fixture(scope="module")
def celeba(tmp_path_factory):
    root = tmp_path_factory.mktemp("celeba")
    truth = make_celeba(root)
    return root, truth


def _labels(ds) -> np.ndarray:
    return np.concatenate([np.asarray(y).reshape(-1) for _, y in ds])


# ------------------------------------------------------------------------------------------------ reading
def test_the_miniature_is_written_like_the_real_files(celeba):
    root, _ = celeba
    attr = (root / "list_attr_celeba.txt").read_text().splitlines()
    assert attr[0] == "40" and attr[1].split() == list(CELEBA_ATTRIBUTES) and len(CELEBA_ATTRIBUTES) == 40
    assert "  1" in attr[2] and attr[2].startswith("000001.jpg ")
    assert Image.open(root / "img_align_celeba" / "000001.jpg").size == (178, 218)


def test_streams_64x64_faces_with_labels_from_the_attribute_file(celeba):
    root, truth = celeba
    calls = []
    train, valid, test, info = celeba_datasets(root, "Male", batch_size=8, progress=lambda *a: calls.append(a))
    assert calls[-1] == (40, 40)
    assert info.class_names == ("not Male", "Male") and info.attribute == "Male" and info.num_classes == 2
    assert info.counts == {"train": 24, "valid": 8, "test": 8} and info.input_shape == (64, 64, 3)
    x, y = next(iter(train))
    assert x.shape == (8, 64, 64, 3) and x.dtype.name == "float32" and y.dtype.name == "int64"
    assert 0.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0 and float(np.max(x)) > 0.5
    male = truth["attrs"][:, MALE] == 1
    # evaluation sets keep file order; the training set is shuffled but holds the same labels
    np.testing.assert_array_equal(_labels(valid), male[24:32].astype(int))
    np.testing.assert_array_equal(_labels(test), male[32:].astype(int))
    assert sorted(_labels(train)) == sorted(male[:24].astype(int))
    assert info.positives == {"train": 12, "valid": 4, "test": 4}
    for xs, ys in (next(iter(train.unbatch().batch(24))), next(iter(test.unbatch().batch(8)))):
        means = np.asarray(xs).mean(axis=(1, 2, 3))   # brighter faces are Male: labels travel with their images
        assert means[np.asarray(ys) == 1].min() > means[np.asarray(ys) == 0].max()


def test_limits_take_the_first_images_of_each_partition_and_other_attributes_work(celeba):
    root, truth = celeba
    index = read_index(root)
    train, valid, test, info = celeba_datasets(index, "smiling", train_limit=10, valid_limit=3, test_limit=0,
                                               batch_size=None)
    assert info.attribute == "Smiling" and info.class_names == ("not Smiling", "Smiling")
    assert info.counts == {"train": 10, "valid": 3, "test": 0}
    smiling = (truth["attrs"][:, SMILING] == 1).astype(int)
    np.testing.assert_array_equal(_labels(valid), smiling[24:27])
    assert sorted(_labels(train)) == sorted(smiling[:10]) and len(list(test)) == 0
    assert next(iter(valid))[0].shape == (64, 64, 3)  # batch_size None: single images
    assert "first 10" in info.source and "Smiling" in info.source


def _decoded(path: Path) -> np.ndarray:
    """The JPEG as TensorFlow decodes it (Pillow's decoder differs by a few levels)."""
    import tensorflow as tf

    return tf.io.decode_jpeg(tf.io.read_file(str(path)), channels=3).numpy()


def _reference_views(image: np.ndarray) -> np.ndarray:
    """Every image the lecture's train preprocessing can produce: 41 crop offsets x (flip or not)."""
    import tensorflow as tf

    crops = np.stack([image[top:top + 178] for top in range(218 - 178 + 1)])
    resized = tf.image.resize(crops, (64, 64)).numpy() / 255.0
    return np.concatenate([resized, resized[:, :, ::-1]])


def test_train_crops_are_random_and_evaluation_crops_deterministic(celeba):
    import tensorflow as tf

    root, _ = celeba
    image = _decoded(root / "img_align_celeba" / "000025.jpg")   # the first validation image
    train, valid, _, _ = celeba_datasets(root, train_limit=1, valid_limit=1, test_limit=0, batch_size=None, seed=3)
    epochs = [next(iter(train))[0].numpy() for _ in range(4)]
    assert any(not np.allclose(epochs[0], e) for e in epochs[1:])      # a fresh crop/flip every epoch
    first_image = _decoded(root / "img_align_celeba" / "000001.jpg")
    refs = _reference_views(first_image)
    for view in epochs:                                                # each one a crop+resize+flip of the face
        assert np.abs(refs - view).reshape(len(refs), -1).max(axis=1).min() < 1e-4
    again = celeba_datasets(root, train_limit=1, valid_limit=1, test_limit=0, batch_size=None, seed=3)[0]
    np.testing.assert_allclose(next(iter(again))[0].numpy(), epochs[0])  # same seed, same views
    a, b = (next(iter(valid))[0].numpy() for _ in range(2))
    np.testing.assert_array_equal(a, b)
    lecture = tf.image.resize(tf.image.crop_to_bounding_box(image, 20, 0, 178, 178), (64, 64)) / 255.0
    np.testing.assert_allclose(a, lecture.numpy(), atol=1e-6)
    np.testing.assert_allclose(eval_transform(image).numpy(), a, atol=1e-6)


# ------------------------------------------------------------------------------------------------ training
def test_celeba_preset_trains_on_the_stream_and_evaluates(celeba):
    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.inference import Predictor, evaluate
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.train.config import TrainingConfig
    from cnnviz.core.train.events import BatchProgress, EpochResult, TrainingStarted
    from cnnviz.core.train.session import TrainingSession

    root, _ = celeba
    data = load_celeba(root, "Male", seed=1)
    events = []
    session = TrainingSession(build_model(get_preset("celeba"), seed=1), data.streamed(),
                              TrainingConfig(batch_size=8, epochs=1), events.append, batch_interval_s=0.0)
    result = session.run()
    assert result.reason == "completed" and session.epochs_done == 1
    started = events[0]
    assert isinstance(started, TrainingStarted) and (started.train_samples, started.val_samples) == (24, 8)
    assert started.steps_per_epoch == 3
    assert [e.batch for e in events if isinstance(e, BatchProgress)] == [1, 2, 3]
    epoch = next(e for e in events if isinstance(e, EpochResult))
    assert math.isfinite(epoch.loss) and 0 <= epoch.val_accuracy <= 1
    assert session.history["val_accuracy"] == [epoch.val_accuracy]
    predictor = Predictor(session.model)
    ev = evaluate_dataset(predictor, data.test.batch(3), 2)
    assert ev.confusion.shape == (2, 2) and ev.confusion.sum() == 8
    # the same as evaluating the materialised test images with inference.evaluate
    xs, ys = next(iter(data.test.batch(100)))
    ref = evaluate(predictor, np.asarray(xs), np.asarray(ys), 2)
    np.testing.assert_array_equal(ev.confusion, ref.confusion)
    assert ev.accuracy == ref.accuracy
    assert evaluate_dataset(session.model, data.test, 2).confusion.sum() == 8   # unbatched and a model work too


def _linear_rgb_model():
    """Linear, so an infinite pixel becomes inf - inf = NaN in the logit (relu and pooling would hide it)."""
    from cnnviz.core.model.build import build_model
    from cnnviz.core.model.spec import LayerSpec, ModelSpec

    L = LayerSpec.make
    return build_model(ModelSpec((64, 64, 3), [L("Flatten", "flatten"),
                                                L("Dense", "out", units=1, activation="sigmoid")]), seed=0)


def test_streamed_training_stops_on_request_and_survives_a_nan_loss():
    import tensorflow as tf

    from cnnviz.core.train.config import TrainingConfig
    from cnnviz.core.train.events import BatchProgress
    from cnnviz.core.train.prepared import StreamedData
    from cnnviz.core.train.session import TrainingSession

    def stream(x, y):
        return StreamedData(tf.data.Dataset.from_tensor_slices((x.astype(np.float32), y.astype(np.int64))), None,
                            len(x), 0, (64, 64, 3), 2)

    rng = np.random.default_rng(0)
    x, y = rng.random((32, 64, 64, 3)), rng.integers(0, 2, 32)
    holder = []
    session = TrainingSession(_linear_rgb_model(), stream(x, y), TrainingConfig(batch_size=4, epochs=3),
                              lambda e: isinstance(e, BatchProgress) and holder[0].request_stop(),
                              batch_interval_s=0.0)
    holder.append(session)
    result = session.run()
    assert result.reason == "stopped" and session.epochs_done == 1
    assert math.isnan(session.history["val_loss"][0])   # no validation set
    good = [w.copy() for w in session.model.get_weights()]
    session.data = stream(np.full((8, 64, 64, 3), np.inf), np.zeros(8))
    session.emit = lambda e: None
    session.reset_stop()
    result = session.run(epochs=2)
    assert result.reason == "diverged" and session.epochs_done == 1 and "restored" in result.message
    assert all(np.array_equal(a, b) for a, b in zip(session.model.get_weights(), good))


def test_registry_and_run_config_know_celeba():
    from cnnviz.core.data.choice import DataChoice

    assert STREAMED_DATASETS["celeba"].input_shape == (64, 64, 3) and STREAMED_DATASETS["celeba"].needs_path
    with pytest.raises(DatasetError, match="celeba_datasets"):
        load_dataset("celeba")
    choice = DataChoice("celeba", path="/data/celeba", limit=16000, attribute="Smiling", valid_limit=1000)
    assert choice.streamed and DataChoice.from_dict(choice.to_dict()) == choice
    assert "attribute" not in DataChoice("mnist_sample").to_dict()   # other datasets' configs are unchanged


# ------------------------------------------------------------------------------------------------ bad folders
def _copy_texts(src: Path, dst: Path) -> Path:
    (dst / "img_align_celeba").mkdir(parents=True)
    for name in ("list_attr_celeba.txt", "list_eval_partition.txt"):
        shutil.copy(src / name, dst / name)
    return dst


def _edit_line(path: Path, number: int, new: str) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = new
    path.write_text("\n".join(lines) + "\n")


def _drop_line(path: Path, number: int) -> None:
    lines = path.read_text().splitlines()
    del lines[number - 1]
    path.write_text("\n".join(lines) + "\n")


ATTR, PART = "list_attr_celeba.txt", "list_eval_partition.txt"
BAD_FOLDERS = {
    "no image folder": (lambda d: shutil.rmtree(d / "img_align_celeba"), ["no img_align_celeba/ subfolder"]),
    "zip not extracted": (lambda d: (shutil.rmtree(d / "img_align_celeba"), (d / "img_align_celeba.zip").touch()),
                          ["img_align_celeba.zip is there: extract it first"]),
    "no attribute file": (lambda d: (d / ATTR).unlink(), ["no attribute file list_attr_celeba.txt"]),
    "no partition file": (lambda d: (d / PART).unlink(), ["no partition file list_eval_partition.txt"]),
    "count line": (lambda d: _edit_line(d / ATTR, 1, "5_o_Clock_Shadow Arched_Eyebrows"),
                   ["list_attr_celeba.txt line 1 should be the number of images"]),
    "short row": (lambda d: _edit_line(d / ATTR, 7, "000005.jpg  1 -1  1"),
                  ["list_attr_celeba.txt line 7 is malformed", "41 fields", "found 4"]),
    "bad value": (lambda d: _edit_line(d / ATTR, 4, "000002.jpg" + "  1" * 20 + "  2" + "  1" * 19),
                  ["line 4 is malformed", "'2' for Male", "not 1 or -1"]),
    "truncated": (lambda d: _drop_line(d / ATTR, 42), ["line 1 says 40 images but 39 image lines follow"]),
    "partition gap": (lambda d: _drop_line(d / PART, 3), ["list_eval_partition.txt has no line for 000003.jpg"]),
    "partition value": (lambda d: _edit_line(d / PART, 2, "000002.jpg 7"),
                        ["list_eval_partition.txt line 2 is malformed", "0 train, 1 valid, 2 test"]),
}


@pytest.mark.parametrize("case", list(BAD_FOLDERS))
def test_a_folder_that_is_not_celeba_shaped_says_exactly_why(celeba, tmp_path, case):
    root, _ = celeba
    folder = _copy_texts(root, tmp_path / "c")
    breaks, phrases = BAD_FOLDERS[case]
    breaks(folder)
    with pytest.raises(CelebAError) as info:
        celeba_datasets(folder)
    assert isinstance(info.value, DatasetError)
    for phrase in phrases:
        assert phrase in str(info.value)


def test_unknown_attribute_lists_the_valid_ones(celeba):
    root, _ = celeba
    with pytest.raises(CelebAError) as info:
        celeba_datasets(root, "Beard")
    msg = str(info.value)
    assert "'Beard' is not a CelebA attribute" in msg and "No_Beard" in msg and "Young" in msg and "Male" in msg


def test_missing_images_are_named_but_only_the_chosen_ones_are_checked(celeba, tmp_path):
    root, _ = celeba
    folder = tmp_path / "c"
    shutil.copytree(root, folder)
    (folder / "img_align_celeba" / "000030.jpg").unlink()   # the 6th validation image
    celeba_datasets(folder, valid_limit=5)                   # not chosen: fine
    with pytest.raises(CelebAError, match=r"img_align_celeba/000030.jpg is listed in list_attr_celeba.txt but is "
                                          r"not in .*1 of the 40 chosen images are missing"):
        celeba_datasets(folder)


def test_picking_the_image_folder_itself_or_a_missing_folder(celeba, tmp_path):
    root, _ = celeba
    assert read_index(root / "img_align_celeba").folder == root
    with pytest.raises(CelebAError, match="does not exist"):
        read_index(tmp_path / "nowhere")


# ------------------------------------------------------------------------------------------------ previews
@pytest.fixture(scope="module")
def face(celeba):
    return np.asarray(Image.open(celeba[0] / "img_align_celeba" / "000001.jpg"))


def test_each_lecture_transform_matches_tf_image(face):
    import tensorflow as tf

    np.testing.assert_array_equal(ap.crop_box(face, 50, 20, 128, 128), face[50:178, 20:148])
    np.testing.assert_array_equal(ap.flip_left_right(face), face[:, ::-1])
    np.testing.assert_array_equal(ap.adjust_contrast(face, 2.0),
                                  tf.image.adjust_contrast(face, contrast_factor=2).numpy())
    bright = ap.adjust_brightness(face, 0.3)
    np.testing.assert_array_equal(bright, tf.image.adjust_brightness(face, delta=0.3).numpy())
    assert bright.dtype == np.uint8 and (bright >= face).all()
    central = ap.central_crop_resize(face, 0.7)
    ref = tf.image.resize(tf.image.central_crop(face, central_fraction=0.7), size=(218, 178)).numpy()
    assert central.shape == (218, 178, 3) and np.abs(central.astype(float) - ref).max() <= 0.5
    with pytest.raises(ValueError, match="does not fit"):
        ap.crop_box(face, 100, 20, 128, 128)
    for t in ap.LECTURE_TRANSFORMS:   # every listed transform runs with its lecture parameters
        assert t.apply(face, **t.params).dtype == np.uint8 and t.code.startswith("tf.image.")


def test_random_augmented_is_the_training_pipeline(face):
    views = ap.random_augmented(face, 6, seed=5)
    assert views.shape == (6, 64, 64, 3) and views.dtype == np.float32
    np.testing.assert_array_equal(views, ap.random_augmented(face, 6, seed=5))
    assert len({v.tobytes() for v in views}) > 1
    np.testing.assert_array_equal(views[2], train_transform(face, np.array([5, 2])).numpy())
    refs = _reference_views(face)
    assert all(np.abs(refs - v).reshape(len(refs), -1).max(axis=1).min() < 1e-4 for v in views)
    np.testing.assert_array_equal(ap.evaluation_view(face), eval_transform(face).numpy())


def test_a_runs_images_to_use_follow_the_one_rule_on_celeba_too(celeba):
    """DataChoice(limit=N) on CelebA: the runs' rule (seeded random, stratified by the attribute, file order), as
    for in-memory datasets; the validation and test limits stay "the first N" of their partitions."""
    from cnnviz.core.data.celeba import read_index, select
    from cnnviz.core.data.choice import DataChoice
    from cnnviz.core.data.selection import choose_training_images

    root, truth = celeba
    index = read_index(root)
    male = index.attributes[:, index.attribute_column("Male")]
    train_rows = np.flatnonzero(index.partition == 0)
    keep = choose_training_images(male[train_rows], 12, 5)
    splits, info = select(index, "Male", train_limit=12, valid_limit=3, selection_seed=5)
    expected = [str(index.image_dir / n) for n in index.filenames[train_rows[keep]].tolist()]
    assert splits["train"][0].tolist() == expected and list(keep) != list(range(12))
    assert splits["valid"][0].tolist() == [str(index.image_dir / n) for n in
                                           index.filenames[np.flatnonzero(index.partition == 1)[:3]].tolist()]
    share = male[train_rows].mean() * 12
    assert abs(info.positives["train"] - share) < 1 and "chosen at random, stratified" in info.source
    data = DataChoice("celeba", path=str(root), limit=12, valid_limit=3, test_limit=2).load(seed=5)
    assert data.info.counts == {"train": 12, "valid": 3, "test": 2}
    assert data.info.positives["train"] == info.positives["train"]
    from_index = DataChoice("celeba", path=str(root), limit=12, valid_limit=3, test_limit=2).load(seed=5,
                                                                                               loaded=index)
    assert from_index.info == data.info   # the app hands over the index it has read: the same run
