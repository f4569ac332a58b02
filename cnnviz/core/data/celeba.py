"""CelebA faces, streamed from disk: predict one of its 40 binary attributes (the lecture: ``Male``).

Reads CelebA's own layout in a folder (the Kaggle CSV variant works too; the index files are read by
celeba_index.py and the images decoded by celeba_images.py, whose names are also importable from here)::

    img_align_celeba/000001.jpg ...   178x218 (W x H) aligned faces
    list_attr_celeba.txt              line 1: number of images; line 2: the 40 attribute names;
                                      then "000001.jpg -1  1  1 -1 ..." (+1 has it, -1 has not; 1+ spaces)
    list_eval_partition.txt           "000001.jpg 0" (0 train, 1 valid, 2 test)

Only file names and labels are held in memory; images are decoded in a ``tf.data`` pipeline as training reads
them. The classic recipe (Raschka & Mirjalili ch. 15, lecture 4): training images are randomly cropped to
178x178, resized to 64x64 and randomly flipped left-right; evaluation images are centre-cropped to 178x178
and resized to 64x64; all scaled to float32 0..1. Labels: 1 = has the attribute.
TensorFlow is imported inside the functions that need it.
"""
from __future__ import annotations

import os
import stat as stat_module
from dataclasses import dataclass, field

import numpy as np

from cnnviz.core.data.celeba_index import (ATTR_FILE, CELEBA_ATTRIBUTES, CLASSIC_TRAIN_LIMIT,  # noqa: F401
                                           CLASSIC_VALID_LIMIT, CROP_SIZE, DEFAULT_ATTRIBUTE, IMAGE_DIR, IMAGE_SIZE,
                                           PARTITION_FILE, PROGRESS_EVERY, SPLITS, CelebAError, CelebAIndex,
                                           Progress, inside, read_index, resolve_folder)
from cnnviz.core.data.celeba_images import (MAX_FACE_PIXELS, UNREADABLE, _named_decoding,  # noqa: F401
                                            decode_image, header_size)


# ------------------------------------------------------------------------------------------------ selection
@dataclass(frozen=True)
class CelebAInfo:
    """What was chosen: counts and positives per split ("train", "valid", "test"), shapes, where from."""

    folder: str
    attribute: str
    class_names: tuple[str, str]
    counts: dict[str, int]
    positives: dict[str, int]
    input_shape: tuple[int, int, int]
    crop_size: int
    source: str
    limits: dict[str, int | None] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return 2

    @property
    def name(self) -> str:
        return "celeba"

    def summary(self) -> str:
        c = self.counts
        return (f"celeba ({self.attribute}): {c['train']:,} train + {c['valid']:,} valid + {c['test']:,} test "
                f"images, {'x'.join(map(str, self.input_shape))}, classes {self.class_names[0]!r} / "
                f"{self.class_names[1]!r}")


def class_names_for(attribute: str) -> tuple[str, str]:
    """Class 0 and class 1 for a binary attribute: ``("not Male", "Male")``."""
    return (f"not {attribute}", attribute)


def select(index: CelebAIndex, attribute: str = DEFAULT_ATTRIBUTE, *, train_limit: int | None = None,
           valid_limit: int | None = None, test_limit: int | None = None, selection_seed: int | None = None):
    """File paths and 0/1 labels per split: ``({split: (paths (n,) str, labels (n,) int64)}, CelebAInfo)``.

    Each limit keeps the first N images of its partition in file order (the classic recipe: 16,000 train,
    1,000 valid); None keeps all. With ``selection_seed`` the train limit follows the runs' "images to use" rule
    instead (cnnviz.core.data.selection: seeded random, stratified by the attribute, in file order). Raises CelebAError for an unknown attribute, a bad limit, no training
    images, or images listed but absent from the image folder (only the chosen images are checked).
    """
    column = index.attribute_column(attribute)
    attribute = index.attribute_names[column]
    limits = {"train": train_limit, "valid": valid_limit, "test": test_limit}
    for split, limit in limits.items():
        if limit is not None and (isinstance(limit, bool) or int(limit) != limit or limit < 0):
            raise CelebAError(f"the {split} limit must be a whole number >= 0 (or none for all), got {limit!r}.")
    chosen: dict[str, np.ndarray] = {}
    for value, split in enumerate(SPLITS):
        rows = np.flatnonzero(index.partition == value)
        if limits[split] is None:
            chosen[split] = rows
        elif split == "train" and selection_seed is not None and int(limits[split]) >= 2:
            from cnnviz.core.data.selection import choose_training_images

            keep = choose_training_images(index.attributes[rows, column], int(limits[split]), selection_seed)
            chosen[split] = rows if keep is None else rows[keep]
        else:
            chosen[split] = rows[:int(limits[split])]
    if len(chosen["train"]) == 0:
        raise CelebAError(f"{index.partition_file.name} puts no images in the training partition (0)"
                          + (" or the train limit is 0" if limits["train"] == 0 else "") + ".")
    _check_images_exist(index, np.concatenate(list(chosen.values())))
    out = {}
    for split, rows in chosen.items():
        paths = np.array([os.path.join(index.image_dir, n) for n in index.filenames[rows].tolist()], dtype=str)
        out[split] = (paths, index.attributes[rows, column].astype(np.int64))
    counts = {s: int(len(chosen[s])) for s in SPLITS}
    positives = {s: int(out[s][1].sum()) for s in SPLITS}
    def how(s: str) -> str:
        if limits[s] is None:
            return ""
        return " (chosen at random, stratified)" if s == "train" and selection_seed is not None else \
            f" (first {limits[s]:,})"

    shown = ", ".join(f"{counts[s]:,} {s}" + how(s) for s in SPLITS)
    h, w = IMAGE_SIZE
    info = CelebAInfo(str(index.folder), attribute, class_names_for(attribute), counts, positives, (h, w, 3),
                      CROP_SIZE, f"CelebA in {index.folder} ({index.image_dir.name}/, {index.attr_file.name}, "
                      f"{index.partition_file.name}): attribute {attribute}; {shown} images; crop {CROP_SIZE}x"
                      f"{CROP_SIZE} (random for training, centre for evaluation), resized to {h}x{w}", limits)
    return out, info


def _check_images_exist(index: CelebAIndex, rows: np.ndarray) -> None:
    """Every chosen image is a file in the image folder; one that is a link must lead to a file inside it (the
    index files may name anything: cnnviz never reads a picture outside the dataset's folder); none is empty.

    An interrupted copy or extraction leaves 0-byte JPEGs: the run is refused when the dataset is opened, naming
    them, not an epoch later (a file damaged inside is named by the pipeline, :func:`_named_decoding`). One
    ``lstat`` per chosen image, the folder is not listed: 0.15 s for the lecture's 18,000, about 1 s for all
    202,599 (listing the folder, then a ``stat`` each, took 1.5 s)."""
    _check_chosen_images(index, index.filenames[rows].tolist())


def _check_chosen_images(index: CelebAIndex, names: list[str]) -> None:
    """:func:`_check_images_exist`: one ``lstat`` each (a link: one ``stat`` of where it leads); the messages
    say what is wrong in this order: missing, then a link leading outside, then empty."""
    if not index.image_dir.is_dir():
        raise CelebAError(f"{index.image_dir} cannot be listed (it is not a folder).")
    missing, outside, empty = [], [], []
    base, lstat = str(index.image_dir) + os.sep, os.lstat
    for name in names:
        try:
            st = lstat(base + name)
            if stat_module.S_ISLNK(st.st_mode):
                if not inside(index.image_dir / name, index.image_dir):
                    outside.append(name)
                    continue
                st = os.stat(base + name)
        except FileNotFoundError:
            missing.append(name)
            continue
        except OSError as exc:
            raise CelebAError(f"{index.image_dir.name}/{name} cannot be read ({exc.strerror or exc}).") from None
        if st.st_size == 0:
            empty.append(name)
    if missing:
        examples = ", ".join(missing[:3])
        raise CelebAError(f"{index.image_dir.name}/{missing[0]} is listed in {index.attr_file.name} but is not in "
                          f"{index.image_dir}; {len(missing):,} of the {len(names):,} chosen images are missing "
                          f"(e.g. {examples}). Extract the complete img_align_celeba.zip, or use smaller limits.")
    if outside:
        raise CelebAError(f"{index.image_dir.name}/{outside[0]} is a link leading outside {index.image_dir}; cnnviz "
                          "only reads pictures inside the dataset's folder. Replace it with the picture itself.")
    _raise_empty(index, empty, names)


def _raise_empty(index: CelebAIndex, empty: list[str], names: list[str]) -> None:
    if empty:
        examples = ", ".join(empty[:3]) + (", ..." if len(empty) > 3 else "")
        raise CelebAError(f"{index.image_dir.name}/{empty[0]} is an empty file (0 bytes), not an image; "
                          f"{len(empty):,} of the {len(names):,} chosen images are empty ({examples}). Extract "
                          "img_align_celeba.zip again, or use smaller limits.")


# ------------------------------------------------------------------------------------------------ transforms
def _square_side(image, crop_size: int):
    import tensorflow as tf

    shape = tf.shape(image)
    return tf.minimum(tf.minimum(shape[0], shape[1]), crop_size)


def train_transform(image, seed, *, crop_size: int = CROP_SIZE, image_size: tuple[int, int] = IMAGE_SIZE):
    """The training augmentation: uint8 (H, W, 3) -> float32 (64, 64, 3) in 0..1.

    A random ``crop_size`` square (at most the image's shorter side), resized to ``image_size`` (H, W) bilinearly,
    flipped left-right with probability 1/2. ``seed``: shape (2,) int, the same seed gives the same result
    (stateless ops, so the pipeline and previews agree exactly).
    """
    import tensorflow as tf

    image = tf.convert_to_tensor(image)
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)
    side = _square_side(image, crop_size)
    crop = tf.image.stateless_random_crop(image, tf.stack([side, side, tf.shape(image)[2]]), seed=seeds[0])
    resized = tf.image.resize(crop, image_size)
    flipped = tf.image.stateless_random_flip_left_right(resized, seed=seeds[1])
    return tf.ensure_shape(flipped / 255.0, (*image_size, 3))


def eval_transform(image, *, crop_size: int = CROP_SIZE, image_size: tuple[int, int] = IMAGE_SIZE):
    """The evaluation preprocessing: uint8 (H, W, 3) -> float32 (64, 64, 3) in 0..1, deterministic.

    The centred ``crop_size`` square (178x218 CelebA: rows 20..197, all columns), resized to ``image_size``.
    """
    import tensorflow as tf

    image = tf.convert_to_tensor(image)
    shape = tf.shape(image)
    side = _square_side(image, crop_size)
    crop = tf.image.crop_to_bounding_box(image, (shape[0] - side) // 2, (shape[1] - side) // 2, side, side)
    return tf.ensure_shape(tf.image.resize(crop, image_size) / 255.0, (*image_size, 3))


EVAL_CACHE_BYTES = 1 << 30   # an evaluation split's decoded images are kept in memory when they take less


def eval_cache_fits(count: int, image_size: tuple[int, int] = IMAGE_SIZE) -> bool:
    """Whether ``count`` decoded, resized evaluation images (float32 HxWx3) fit :data:`EVAL_CACHE_BYTES`
    (64x64: 21,845 images, so CelebA's whole valid or test split, 19,867 / 19,962 images, ~1 GB each)."""
    return 0 < count * image_size[0] * image_size[1] * 3 * 4 < EVAL_CACHE_BYTES


def make_pipeline(paths: np.ndarray, labels: np.ndarray, *, train: bool, seed: int = 1,
                  batch_size: int | None = None):
    """A tf.data pipeline of (image float32 (64, 64, 3) 0..1, label int64) from file paths and 0/1 labels.

    Files are read, decoded and resized on every core (``num_parallel_calls=AUTOTUNE``), and batches are prefetched.
    ``train``: reshuffled every epoch (``seed``) and augmented with :func:`train_transform` (fresh random
    crops and flips every epoch, reproducible from ``seed``); else :func:`eval_transform`, in file order, and
    cached in memory after the first complete pass when they fit (:func:`eval_cache_fits`): a run's validation
    then decodes each image once, not once per epoch.
    ``batch_size`` None: unbatched elements. A file that cannot be decoded stops it with an InvalidArgumentError
    naming the file (:func:`_named_decoding`).
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((tf.constant(np.asarray(paths, dtype=str).tolist(), tf.string),
                                             tf.constant(np.asarray(labels, np.int64))))
    if train:
        if len(paths):
            ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)   # names only: cheap
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2, drop_remainder=True)
        ds = tf.data.Dataset.zip(ds, seeds).map(lambda item, s: (item[0], item[1], s))
        ds = _named_decoding(ds, lambda image, s: train_transform(image, s))
    else:
        ds = _named_decoding(ds, lambda image: eval_transform(image))
        if eval_cache_fits(len(paths)):
            ds = ds.cache()   # decoded and resized once: later epochs' validation reads memory, not JPEGs
    if batch_size:
        ds = ds.batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)


def celeba_datasets(folder: str | os.PathLike | CelebAIndex, attribute: str = DEFAULT_ATTRIBUTE,
                    train_limit: int | None = None, valid_limit: int | None = None, test_limit: int | None = None,
                    batch_size: int | None = 32, seed: int = 1, progress: Progress | None = None,
                    selection_seed: int | None = None):
    """``(train_ds, valid_ds, test_ds, info)`` for predicting ``attribute`` from CelebA faces in ``folder``.

    Elements: images float32 (64, 64, 3) in 0..1 (batched NHWC with ``batch_size``; None: unbatched), labels
    int64 (1 = has the attribute). ``folder`` may be an already-read :class:`CelebAIndex`. See :func:`select`
    for the limits and :func:`read_index` for ``progress``; raises CelebAError (a DatasetError).
    """
    index = folder if isinstance(folder, CelebAIndex) else read_index(folder, progress)
    splits, info = select(index, attribute, train_limit=train_limit, valid_limit=valid_limit, test_limit=test_limit,
                          selection_seed=selection_seed)
    pipes = [make_pipeline(*splits[s], train=(s == "train"), seed=seed, batch_size=batch_size) for s in SPLITS]
    return (*pipes, info)


def evaluate_dataset(predictor, dataset, num_classes: int = 2, threshold: float = 0.5):
    """:func:`cnnviz.core.model.inference.evaluate` over a tf.data set of (images, labels), batched or not.

    ``predictor``: a Predictor or a keras.Model. Only outputs and labels are kept, not the images. Returns an
    :class:`~cnnviz.core.model.inference.Evaluation` (one sigmoid unit: class 1 when p >= ``threshold``).
    The same evaluation as a run's (cnnviz.core.train.evaluation.evaluate_batches).
    """
    from cnnviz.core.train.evaluation import evaluate_batches

    if len(dataset.element_spec[0].shape) == 3:
        dataset = dataset.batch(256)
    return evaluate_batches(predictor, ((np.asarray(x, np.float32), np.asarray(y)) for x, y in dataset),
                            num_classes, threshold)


# ------------------------------------------------------------------------------------------------ for training
@dataclass
class CelebAData:
    """Unbatched train/valid/test pipelines plus their :class:`CelebAInfo`; what an experiment trains on."""

    train: object
    valid: object
    test: object
    info: CelebAInfo

    @property
    def name(self) -> str:
        return "celeba"

    @property
    def source(self) -> str:
        return self.info.source

    @property
    def class_names(self) -> tuple[str, str]:
        return self.info.class_names

    @property
    def num_classes(self) -> int:
        return 2

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.info.input_shape

    def streamed(self):
        """The training session's view: :class:`cnnviz.core.train.prepared.StreamedData`."""
        from cnnviz.core.train.prepared import StreamedData

        c = self.info.counts
        return StreamedData(self.train, self.valid if c["valid"] else None, c["train"], c["valid"],
                            self.input_shape, 2)


def load_celeba(folder: str | os.PathLike | CelebAIndex, attribute: str = DEFAULT_ATTRIBUTE, *,
                train_limit: int | None = None, valid_limit: int | None = None, test_limit: int | None = None,
                seed: int = 1, progress: Progress | None = None, selection_seed: int | None = None) -> CelebAData:
    """:func:`celeba_datasets` unbatched, wrapped as :class:`CelebAData`."""
    train, valid, test, info = celeba_datasets(folder, attribute, train_limit, valid_limit, test_limit,
                                               batch_size=None, seed=seed, progress=progress,
                                               selection_seed=selection_seed)
    return CelebAData(train, valid, test, info)
