"""Datasets: one registry, one result type.

Every loader returns a :class:`Dataset` whose images are uint8 NHWC arrays (MNIST: ``(N, 28, 28, 1)``) and
whose labels are int64 ``(N,)``, with a ``source`` that says exactly which file(s) the data came from.

MNIST, Fashion-MNIST and CIFAR-10 are taken from local files first (``data_dir``, else ``$CNNVIZ_DATA_DIR``,
else ``~/.cnnviz/data`` and ``~/.keras/datasets``); only when none is found is Keras's downloader tried, and
offline that fails with a :class:`DatasetError` that says what was tried and how to provide a file. The bundled
``mnist_sample`` always works offline. Pure: numpy (+ Pillow for image folders); Keras only for the download.
"""
from __future__ import annotations

import os
import pickle
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cnnviz.resources import resource_path
from cnnviz.core.data.idx import IdxError, read_idx
from cnnviz.core.data.image_folder import ImageFolderError, read_image_folder

DATA_DIR_ENV = "CNNVIZ_DATA_DIR"
DEFAULT_DATASET = "mnist_sample"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch")
MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_READ_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error, pickle.UnpicklingError)


class DatasetError(ValueError):
    """A dataset cannot be loaded; the message says what was tried and what to do.

    ``suggest_sample`` is True when the bundled ``mnist_sample`` is a sensible offer (no local file, no download).
    """

    def __init__(self, message: str, *, suggest_sample: bool = False):
        super().__init__(message)
        self.suggest_sample = suggest_sample


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test images with labels.

    ``x_*``: uint8 ``(N, H, W, C)`` (NHWC, pixel values 0..255, read-only); ``y_*``: int64 ``(N,)`` indices into
    ``class_names``. ``source`` names the file(s) the data came from; ``notes`` holds warnings (skipped files).
    Arrays given as ``(N, H, W)`` get a channel axis; integer pixels in 0..255 become uint8; labels ``(N, 1)``
    are flattened. Anything else raises DatasetError.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    name: str
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = self.source or self.name
        fixed = {}
        for split in ("train", "test"):
            x = _as_images(getattr(self, f"x_{split}"), f"x_{split}", where)
            y = _as_labels(getattr(self, f"y_{split}"), f"y_{split}", where)
            if len(x) != len(y):
                raise DatasetError(f"{where}: x_{split} has {len(x)} images but y_{split} has {len(y)} labels.")
            fixed[f"x_{split}"], fixed[f"y_{split}"] = x, y
        if len(fixed["x_train"]) == 0:
            raise DatasetError(f"{where}: the training set is empty.")
        if fixed["x_test"].shape[1:] != fixed["x_train"].shape[1:]:
            raise DatasetError(f"{where}: test images {fixed['x_test'].shape[1:]} differ in shape from training "
                               f"images {fixed['x_train'].shape[1:]} (H, W, C).")
        names = tuple(str(c) for c in self.class_names)
        top = max(int(y.max(initial=-1)) for y in (fixed["y_train"], fixed["y_test"]))
        if top >= len(names):
            raise DatasetError(f"{where}: label {top} found but only {len(names)} class names are given.")
        for key, value in fixed.items():
            value.flags.writeable = False  # shared between panels: nobody edits them in place
            object.__setattr__(self, key, value)
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """Shape of one image, (H, W, C)."""
        return tuple(int(s) for s in self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self, split: str = "train") -> np.ndarray:
        """Images per class, int64 ``(num_classes,)``, for split "train" or "test"."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return np.bincount(getattr(self, f"y_{split}"), minlength=self.num_classes).astype(np.int64)

    def summary(self) -> str:
        """One line, e.g. ``mnist: 60,000 train + 10,000 test images, 28x28x1, 10 classes``."""
        h, w, c = self.input_shape
        return (f"{self.name}: {len(self.x_train):,} train + {len(self.x_test):,} test images, "
                f"{h}x{w}x{c}, {self.num_classes} classes")


def _as_images(x, key: str, where: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4 or x.shape[-1] < 1:
        raise DatasetError(f"{where}: {key} must hold images shaped (N, H, W) or (N, H, W, C); got {x.shape}.")
    if x.dtype != np.uint8:
        if x.dtype.kind not in "iu" or (x.size and (x.min() < 0 or x.max() > 255)):
            raise DatasetError(f"{where}: {key} has dtype {x.dtype}; expected uint8 pixel values 0..255.")
        x = x.astype(np.uint8)
    return x.view()  # a view of our own, so making it read-only leaves the caller's array alone


def _as_labels(y, key: str, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DatasetError(f"{where}: {key} must be a 1-D array of class indices; got shape {y.shape}.")
    if y.dtype.kind not in "iu":
        raise DatasetError(f"{where}: {key} has dtype {y.dtype}; expected integer class indices.")
    if y.size and y.min() < 0:
        raise DatasetError(f"{where}: {key} contains a negative label ({y.min()}).")
    return y.astype(np.int64)


def _default_names(arrays: dict, given) -> tuple[str, ...]:
    if given is not None:
        return tuple(given)
    top = max(int(np.max(arrays[k], initial=0)) for k in ("y_train", "y_test"))
    return tuple(str(i) for i in range(top + 1))


# ---------------------------------------------------------------------------------------------- file loaders
def load_npz(path: str | os.PathLike, *, name: str | None = None, class_names=None) -> Dataset:
    """Load an .npz in the Keras layout: ``x_train`` (N, H, W[, C]) uint8, ``y_train`` (N,), ``x_test``, ``y_test``.

    An optional ``class_names`` array in the file is used unless ``class_names`` is given. Raises DatasetError
    for a missing, corrupt or truncated file, missing keys (naming the missing and the found ones), and arrays
    of the wrong shape or dtype.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"{path} does not exist." if not path.exists() else f"{path} is a folder, not an .npz file.")
    try:
        archive = np.load(path, allow_pickle=False)
    except _READ_ERRORS as exc:
        raise DatasetError(f"{path} is not a readable .npz archive ({_why(exc)}); "
                           "the file is probably corrupt or truncated.") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DatasetError(f"{path} holds a single array (.npy), not an .npz archive with {', '.join(NPZ_KEYS)}.")
    with archive:
        found = list(archive.files)
        missing = [k for k in NPZ_KEYS if k not in found]
        if missing:
            raise DatasetError(f"{path} lacks the key(s) {', '.join(missing)}; found: {', '.join(found) or 'none'}. "
                               f"Expected the Keras layout {', '.join(NPZ_KEYS)}.")
        arrays = {}
        for key in NPZ_KEYS:
            try:
                arrays[key] = archive[key]
            except _READ_ERRORS as exc:
                raise DatasetError(f"{path}: array {key!r} cannot be read ({_why(exc)}); "
                                   "the file is probably corrupt or truncated.") from exc
        if class_names is None and "class_names" in found:
            try:
                class_names = [str(c) for c in archive["class_names"]]
            except _READ_ERRORS:
                class_names = None  # an unreadable optional extra: fall back to numbered classes
    return Dataset(**arrays, class_names=_default_names(arrays, class_names), name=name or path.stem,
                   source=f"{path} (npz: {', '.join(NPZ_KEYS)})")


def find_idx_files(folder: str | os.PathLike) -> dict[str, Path]:
    """The IDX files present in ``folder``, by canonical name (``train-images-idx3-ubyte`` ...).

    Accepts each name plain or ``.gz`` and the dot spelling (``train-images.idx3-ubyte``).
    """
    folder = Path(folder).expanduser()
    found = {}
    for stem in IDX_FILES:
        for spelling in (stem, stem.replace("-idx", ".idx")):
            for suffix in ("", ".gz"):
                if (folder / (spelling + suffix)).is_file():
                    found.setdefault(stem, folder / (spelling + suffix))
    return found


def load_idx_folder(path: str | os.PathLike, *, name: str | None = None, class_names=None) -> Dataset:
    """Load the four MNIST-style IDX files from a folder (plain or .gz; see :func:`find_idx_files`).

    Images: uint8 (N, H, W) in the file -> (N, H, W, 1); labels: (N,) -> int64. Raises DatasetError naming any
    missing file, and for a bad magic number, a truncated file, or images and labels that do not match.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder with IDX files." if folder.exists()
                           else f"{folder} does not exist.")
    files = find_idx_files(folder)
    missing = [stem for stem in IDX_FILES if stem not in files]
    if missing:
        raise DatasetError(f"{folder} lacks the IDX file(s) {', '.join(missing)} (plain or .gz). "
                           f"Needed: {', '.join(IDX_FILES)}.")
    try:
        x_train, y_train, x_test, y_test = (read_idx(files[stem]) for stem in IDX_FILES)
    except IdxError as exc:
        raise DatasetError(str(exc)) from exc
    arrays = dict(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return Dataset(**arrays, class_names=_default_names(arrays, class_names), name=name or folder.name,
                   source=f"IDX files in {folder}: {', '.join(files[s].name for s in IDX_FILES)}")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches (dicts of lists and numpy arrays) and nothing that could run code."""

    _ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name} (not part of a CIFAR batch)")
        if module.startswith("numpy.core.") and hasattr(np, "_core"):
            module = "numpy._core." + module[len("numpy.core."):]
        return super().find_class(module, name)


def _read_cifar_batch(file: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(file, "rb") as f:
            batch = _NumpyOnlyUnpickler(f, encoding="bytes").load()
        data = batch.get(b"data", batch.get("data"))
        labels = batch.get(b"labels", batch.get("labels"))
        x = np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        y = np.asarray(labels, dtype=np.int64).reshape(-1)
    except (*_READ_ERRORS, AttributeError, TypeError, KeyError) as exc:
        raise DatasetError(f"{file} is not a readable CIFAR-10 python batch ({_why(exc)}).") from exc
    return np.ascontiguousarray(x), y


def load_cifar10_batches(path: str | os.PathLike) -> Dataset:
    """Load ``cifar-10-batches-py/`` (data_batch_1..5, test_batch): x uint8 (N, 32, 32, 3), y int64 (N,)."""
    folder = Path(path).expanduser()
    missing = [b for b in CIFAR_BATCHES if not (folder / b).is_file()]
    if missing:
        raise DatasetError(f"{folder} lacks the CIFAR-10 batch file(s) {', '.join(missing)}.")
    parts = [_read_cifar_batch(folder / b) for b in CIFAR_BATCHES]
    x_train, y_train = (np.concatenate([p[i] for p in parts[:5]]) for i in (0, 1))
    return Dataset(x_train, y_train, *parts[5], class_names=CIFAR10_CLASSES, name="cifar10",
                   source=f"CIFAR-10 python batches in {folder} ({', '.join(CIFAR_BATCHES)})")


def load_image_folder(path: str | os.PathLike, *, image_size: tuple[int, int] = (28, 28),
                      color_mode: str = "grayscale", test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load ``path/<class>/<image>`` files (any Pillow format) as a Dataset of uint8 (N, H, W, C) images.

    ``image_size`` is (H, W); C is 1 for ``"grayscale"``, 3 for ``"rgb"``. Class names are the sorted subfolder
    names. The images are shuffled with ``seed`` and a stratified ``test_fraction`` (0 <= f < 1) is held out.
    Unreadable files are skipped and listed in ``notes``. Raises DatasetError for a missing path, a file, no
    class folders, a single class, a class without readable images, or no images at all.
    """
    if not 0 <= test_fraction < 1:
        raise DatasetError(f"test_fraction must be in [0, 1), got {test_fraction}.")
    try:
        found = read_image_folder(path, image_size=image_size, color_mode=color_mode)
    except ImageFolderError as exc:
        raise DatasetError(str(exc)) from exc
    n = len(found.y)
    order = np.random.default_rng(seed).permutation(n)  # folder order is class order; training wants mixed
    x, y = found.x[order], found.y[order]
    n_test = min(int(round(test_fraction * n)), n - 1)
    test = np.zeros(n, dtype=bool)
    if n_test:
        test[_pick(y, n_test, seed, stratify=True)] = True
    h, w, c = x.shape[1:]
    root = Path(path).expanduser()
    return Dataset(x[~test], y[~test], x[test], y[test], class_names=found.class_names, name=root.name or "folder",
                   notes=found.skipped_notes(),
                   source=(f"image folder {root}: {n} images in {len(found.class_names)} classes "
                           f"({', '.join(found.class_names)}), resized to {h}x{w} {color_mode}; {n_test} held out "
                           f"for testing (test_fraction={test_fraction}, seed={seed})"))


def _why(exc: BaseException) -> str:
    text = str(exc).split("\n")[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------- validation split
def split_validation(x, y, *, count: int | None = None, fraction: float | None = None, seed: int = 0,
                     stratify: bool = True):
    """Hold out a validation set: returns ``(x_train, y_train, x_val, y_val)``.

    Give exactly one of ``count`` (1 <= count < N) or ``fraction`` (0 < f < 1). The choice is random but
    reproducible (``seed``); with ``stratify`` each class keeps its share (largest remainder). Both parts keep
    the original order and dtypes; ``x`` may be any array with N first (e.g. uint8 NHWC), ``y`` is (N,).
    The lecture holds out ``count=10_000`` of MNIST's 60,000 training images.
    """
    y = np.asarray(y)
    n = len(y)
    if len(x) != n:
        raise DatasetError(f"x has {len(x)} examples but y has {n} labels.")
    if (count is None) == (fraction is None):
        raise DatasetError("Give exactly one of count or fraction for the validation split.")
    if fraction is not None:
        if not 0 < fraction < 1:
            raise DatasetError(f"The validation fraction must be between 0 and 1 (exclusive), got {fraction}.")
        count = int(round(fraction * n))
        if not 1 <= count < n:
            raise DatasetError(f"A validation fraction of {fraction} of {n} examples gives {count}; "
                               f"need between 1 and {n - 1}.")
    elif isinstance(count, bool) or int(count) != count or not 1 <= count < n:
        raise DatasetError(f"The validation count must be an integer from 1 to {n - 1} "
                           f"(smaller than the {n} examples), got {count}.")
    val = np.zeros(n, dtype=bool)
    val[_pick(y, int(count), seed, stratify)] = True
    return x[~val], y[~val], x[val], y[val]


def _pick(y: np.ndarray, count: int, seed: int, stratify: bool) -> np.ndarray:
    """``count`` distinct indices into ``y``; stratified: each class in proportion (largest remainder)."""
    rng = np.random.default_rng(seed)
    if not stratify:
        return rng.choice(len(y), size=count, replace=False)
    classes, sizes = np.unique(y, return_counts=True)
    share = sizes * count / len(y)
    quota = np.floor(share).astype(np.int64)
    rest = count - int(quota.sum())
    quota[np.argsort(-(share - quota), kind="stable")[:rest]] += 1
    return np.concatenate([rng.choice(np.flatnonzero(y == c), size=q, replace=False)
                           for c, q in zip(classes, quota)])



# ---------------------------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class DatasetInfo:
    """What a GUI shows about one entry of :data:`DATASETS`; ``input_shape`` is (H, W, C), None if it varies."""

    name: str
    title: str
    description: str
    input_shape: tuple[int, int, int] | None
    num_classes: int | None
    needs_path: bool = False
    works_offline: bool = False
    accepted_files: str = ""


_IDX_NAMES = ", ".join(IDX_FILES)
DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo("mnist_sample", "MNIST sample (bundled)",
                "3,000 training and 1,000 test handwritten digits drawn evenly per class from MNIST. "
                "Ships with cnnviz and works offline.", (28, 28, 1), 10, works_offline=True),
    DatasetInfo("mnist", "MNIST", "The full MNIST database (LeCun, Cortes, Burges): 60,000 training and 10,000 test "
                "handwritten digits, 28x28 grayscale.", (28, 28, 1), 10,
                accepted_files=("mnist.npz (Keras layout: x_train, y_train, x_test, y_test) or the four IDX files "
                                f"{_IDX_NAMES} (plain or .gz; the train-images.idx3-ubyte spelling works too), "
                                "in the folder itself or in a mnist/ subfolder")),
    DatasetInfo("fashion_mnist", "Fashion-MNIST", "Zalando's Fashion-MNIST: 60,000 training and 10,000 test "
                "photos of clothing in 10 classes, 28x28 grayscale.", (28, 28, 1), 10,
                accepted_files=("fashion-mnist.npz (Keras layout) or a fashion-mnist/ subfolder with the four IDX "
                                f"files {_IDX_NAMES} (plain or .gz)")),
    DatasetInfo("cifar10", "CIFAR-10", "CIFAR-10 (Krizhevsky): 50,000 training and 10,000 test colour photos in 10 "
                "classes, 32x32 RGB.", (32, 32, 3), 10,
                accepted_files=("the extracted cifar-10-batches-py/ folder (the python version: data_batch_1..5, "
                                "test_batch) or cifar10.npz (Keras layout)")),
    DatasetInfo("folder", "Image folder", "Your own images: one subfolder per class (sorted names are the class "
                "names), any format Pillow reads, resized to a chosen size.", None, None,
                needs_path=True, works_offline=True),
)}
# Datasets read from disk while training (too big for memory): load_dataset() cannot return them as arrays;
# cnnviz.core.data.celeba.celeba_datasets / load_celeba give tf.data pipelines, and DataChoice("celeba") trains on them.
STREAMED_DATASETS: dict[str, DatasetInfo] = {info.name: info for info in (
    DatasetInfo("celeba", "CelebA faces (one attribute)", "CelebA (Liu et al., 2015): 202,599 aligned celebrity "
                "faces with 40 yes/no attributes; predict one of them (the lecture: Male). Streamed from disk; "
                "random 178x178 crops and flips for training, centre crops for evaluation, resized to 64x64 RGB.",
                (64, 64, 3), 2, needs_path=True, works_offline=True,
                accepted_files=("CelebA's own folder layout: img_align_celeba/ (the 178x218 JPEGs), "
                                "list_attr_celeba.txt and list_eval_partition.txt (Kaggle's .csv versions work too)")),
)}
_CLASSES = {"mnist": MNIST_CLASSES, "fashion_mnist": FASHION_CLASSES, "cifar10": CIFAR10_CLASSES}
_ALIASES = {"fashion": "fashion_mnist", "cifar_10": "cifar10", "sample": "mnist_sample", "image_folder": "folder"}


def load_dataset(name: str, *, data_dir: str | os.PathLike | None = None, path: str | os.PathLike | None = None,
                 download: bool = True, image_size: tuple[int, int] = (28, 28), color_mode: str = "grayscale",
                 test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load a dataset of :data:`DATASETS` by name; images uint8 NHWC, labels int64 (N,).

    ``mnist_sample``: the bundled sample. ``mnist``, ``fashion_mnist``, ``cifar10``: local files first (``path``
    as an .npz file or a folder, then ``data_dir``, ``$CNNVIZ_DATA_DIR``, ``~/.cnnviz/data``,
    ``~/.keras/datasets``), then Keras's download (if ``download``). ``folder``: :func:`load_image_folder` on
    ``path`` with ``image_size`` (H, W), ``color_mode``, ``test_fraction`` and ``seed``.
    Raises DatasetError; when nothing local was found and the download failed it has ``suggest_sample=True``.
    """
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key in STREAMED_DATASETS:
        raise DatasetError(f"{STREAMED_DATASETS[key].title} is streamed from disk, not loaded into memory: use "
                           "cnnviz.core.data.celeba.celeba_datasets() (or DataChoice('celeba') for a training run).")
    if key not in DATASETS:
        raise DatasetError(f"Unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}.")
    if key == "mnist_sample":
        return load_mnist_sample()
    if key == "folder":
        if path is None:
            raise DatasetError('The "folder" dataset needs a path: the folder that holds one subfolder per class.')
        return load_image_folder(path, image_size=image_size, color_mode=color_mode,
                                 test_fraction=test_fraction, seed=seed)
    dirs = data_search_dirs(data_dir)
    if path is not None:
        chosen = Path(path).expanduser()
        if chosen.is_file():
            return load_npz(chosen, name=key, class_names=_CLASSES[key])
        dirs.insert(0, chosen)
    return _load_standard(key, dirs, download)


def data_search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for local dataset files, in order: ``data_dir``, ``$CNNVIZ_DATA_DIR`` (os.pathsep-separated),
    ``~/.cnnviz/data``, then Keras's cache ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    dirs = [Path(data_dir)] if data_dir is not None else []
    dirs += [Path(p) for p in os.environ.get(DATA_DIR_ENV, "").split(os.pathsep) if p]
    home = Path.home()
    keras_home = os.environ.get("KERAS_HOME")
    dirs += [home / ".cnnviz" / "data", (Path(keras_home) if keras_home else home / ".keras") / "datasets"]
    unique: list[Path] = []
    for d in (d.expanduser() for d in dirs):
        if d not in unique:
            unique.append(d)
    return unique


def _candidates(key: str, d: Path) -> list[tuple[str, Path]]:
    """(kind, path) places a local copy of ``key`` may sit in folder ``d``; kind is npz, idx or cifar."""
    fashion_dir = "fashion" in d.name.lower()
    if key == "mnist":
        return [("npz", d / "mnist.npz"), *([] if fashion_dir else [("idx", d)]),
                ("idx", d / "mnist"), ("idx", d / "MNIST" / "raw")]
    if key == "fashion_mnist":
        return [("npz", d / "fashion-mnist.npz"), ("npz", d / "fashion_mnist.npz"),
                *([("idx", d)] if fashion_dir else []),
                ("idx", d / "fashion-mnist"), ("idx", d / "fashion_mnist"), ("idx", d / "FashionMNIST" / "raw")]
    return [("npz", d / "cifar10.npz"), ("npz", d / "cifar-10.npz"), ("cifar", d / "cifar-10-batches-py"),
            ("cifar", d / "cifar-10-batches-py-target" / "cifar-10-batches-py"), ("cifar", d)]


def _load_standard(key: str, dirs: list[Path], download: bool) -> Dataset:
    names = _CLASSES[key]
    tried: list[str] = []
    for d in dirs:
        for kind, p in _candidates(key, d):
            if kind == "npz" and p.is_file():
                return load_npz(p, name=key, class_names=names)
            if kind == "idx" and p.is_dir() and IDX_FILES[0] in find_idx_files(p):
                return load_idx_folder(p, name=key, class_names=names)
            if kind == "cifar" and (p / CIFAR_BATCHES[0]).is_file():
                return load_cifar10_batches(p)
            what = {"npz": "", "idx": f"{os.sep} (IDX files)", "cifar": f"{os.sep} (CIFAR-10 batches)"}[kind]
            tried.append(f"{p}{what}")
    failure = "not tried (download=False)"
    if download:
        try:
            (x_train, y_train), (x_test, y_test) = _download_with_keras(key)
        except Exception as exc:  # noqa: BLE001 - offline it is URLError, socket errors, hash mismatches...
            failure = f"keras.datasets.{key}.load_data() failed: {_why(exc)}"
        else:
            return Dataset(x_train, y_train, x_test, y_test, class_names=names, name=key,
                           source=f"downloaded by keras.datasets.{key}.load_data() into Keras's cache "
                                  "(~/.keras/datasets)")
    info = DATASETS[key]
    raise DatasetError(
        f"{info.title} could not be loaded: no local copy was found and the download did not work.\n"
        "Looked for:\n" + "".join(f"  - {t}\n" for t in tried) +
        f"Download: {failure}\n"
        f"To use a local copy, put it in a folder and set the environment variable {DATA_DIR_ENV} to that folder "
        f"(or choose the folder in cnnviz, or use ~/.cnnviz/data). Accepted: {info.accepted_files}.\n"
        'The bundled sample "mnist_sample" (3,000 training + 1,000 test MNIST digits) works offline.',
        suggest_sample=True,
    )


def _download_with_keras(key: str):
    """Keras's own loader, which downloads (needs internet). Kept separate so tests can replace it."""
    import keras  # lazy: importing Keras starts TensorFlow

    return getattr(keras.datasets, key).load_data()


def load_mnist_sample() -> Dataset:
    """The bundled stratified MNIST sample: uint8 (3000, 28, 28, 1) train, (1000, 28, 28, 1) test, int64 labels."""
    try:
        path = resource_path("data", "mnist_sample.npz")
    except FileNotFoundError as exc:
        raise DatasetError(str(exc)) from exc
    ds = load_npz(path, name="mnist_sample", class_names=MNIST_CLASSES)
    return replace(ds, source=(f"bundled MNIST sample {path}: {len(ds.x_train):,} training + {len(ds.x_test):,} "
                               "test digits drawn evenly per class from the MNIST database (LeCun, Cortes, Burges; "
                               "CC BY-SA 3.0)"))
