"""Which data a run trains on, as a JSON-able record: the data part of a run config and of a run folder.

The Training tab and ``cnnviz-cli train`` both describe their data as a :class:`DataChoice` and load it with
:meth:`DataChoice.load`, so an exported run config reproduces the app's run: the same file or folder, read at the
same image size and colour mode, the same "images to use" (cnnviz.core.data.selection, seeded by the run's seed),
and for CelebA the same attribute and validation/test limits. The validation split and the seed are training
settings (cnnviz.core.train.config.TrainingConfig).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from cnnviz.core.data.dataset import DatasetError
from cnnviz.core.data.selection import SELECTION_RULE, select_training_images

MAX_IMAGES = 1_000_000_000     # an image count (limit) beyond any dataset: a typo or a hostile file
MAX_IMAGE_SIDE = 4096          # an image folder read at more than 4096 pixels a side is not a teaching model
MAX_PATH_CHARS = 4096
COLOR_MODES = ("grayscale", "rgb")   # as cnnviz.core.data.image_folder reads them


def _shown(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(d: dict[str, Any], key: str) -> int | None:
    """An image count of the data settings: a whole number from 1 to MAX_IMAGES, or null (all)."""
    value = d.get(key)
    if value is None:
        return None
    if not _whole(value) or not 1 <= value <= MAX_IMAGES:
        raise DatasetError(f"data {key} must be a whole number from 1 to {MAX_IMAGES:,} (or null for all), "
                           f"not {_shown(value)}")
    return int(value)


def _path_setting(d: dict[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_PATH_CHARS or "\0" in value:
        raise DatasetError(f"data {key} must be the path of a file or folder (text), not {_shown(value)}")
    return value


def _dataset_name(value: Any) -> str:
    """A dataset name the registry knows (cnnviz.core.data.datasets), as it was written (aliases kept)."""
    from cnnviz.core.data.datasets import _ALIASES, DATASETS, STREAMED_DATASETS

    known = list(DATASETS) + list(STREAMED_DATASETS)
    if isinstance(value, str) and len(value) <= 100:
        key = value.strip().lower().replace("-", "_")
        if _ALIASES.get(key, key) in known:
            return value
    raise DatasetError(f"data name must be one of {', '.join(known)}, not {_shown(value)}")


@dataclass
class DataChoice:
    """A registry name plus an optional folder/file, how to read it, and how many training images to use.

    ``limit``: use only N training images, chosen by the one rule of cnnviz.core.data.selection (None: all).
    ``image_size`` (H, W) / ``color_mode`` ("grayscale" or "rgb"): how an image folder is read (the app reads it at
    the model's input size). ``celeba`` (streamed from disk, see cnnviz.core.data.celeba) also uses ``attribute``
    (the label to predict, None: Male) and ``valid_limit`` / ``test_limit`` (the first N of those partitions).
    """

    name: str = "mnist_sample"
    data_dir: str | None = None
    path: str | None = None
    limit: int | None = None
    image_size: tuple[int, int] | None = None
    color_mode: str = "grayscale"
    attribute: str | None = None
    valid_limit: int | None = None
    test_limit: int | None = None
    selection: str = SELECTION_RULE

    @property
    def streamed(self) -> bool:
        """True when the data is read from disk as training goes (CelebA), not held in memory."""
        return self.name.strip().lower() == "celeba"

    def to_dict(self) -> dict[str, Any]:
        d = {"name": self.name, "data_dir": self.data_dir, "path": self.path, "limit": self.limit,
             "image_size": list(self.image_size) if self.image_size else None, "color_mode": self.color_mode,
             "selection": self.selection}
        if self.streamed:
            d.update(attribute=self.attribute, valid_limit=self.valid_limit, test_limit=self.test_limit)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DataChoice":
        """The choice a run config, a run folder's config.json or a session file records. Those are files anyone
        can edit: every value is checked for its type and range (a DatasetError with one line naming the setting,
        what it must be and what it is), never trusted into a TypeError or a run of 10^12 images later."""
        if not isinstance(d, dict):
            raise DatasetError("the data of a run config is a JSON object")
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise DatasetError(f"unknown data setting(s): {', '.join(sorted(map(str, unknown)))[:200]}")
        name = _dataset_name(d.get("name", "mnist_sample"))
        streamed = name.strip().lower() == "celeba"
        size = d.get("image_size")
        if size is not None:
            if not (isinstance(size, (list, tuple)) and len(size) == 2 and all(_whole(v) for v in size)
                    and all(1 <= v <= MAX_IMAGE_SIDE for v in size)):
                raise DatasetError(f"data image_size must be [height, width], whole numbers from 1 to "
                                   f"{MAX_IMAGE_SIDE}, not {_shown(size)}")
            size = (int(size[0]), int(size[1]))
        color_mode = d.get("color_mode", "grayscale")
        if color_mode not in COLOR_MODES:
            raise DatasetError(f"data color_mode must be one of {', '.join(COLOR_MODES)}, not {_shown(color_mode)}")
        for key in ("valid_limit", "test_limit", "attribute"):
            if not streamed and d.get(key) is not None:
                raise DatasetError(f"data {key} only applies to the celeba dataset, not {name!r}")
        attribute = d.get("attribute")
        if attribute is not None and not (isinstance(attribute, str) and 0 < len(attribute) <= 100):
            raise DatasetError(f"data attribute must be the name of a CelebA attribute (e.g. Male), not "
                               f"{_shown(attribute)}")
        selection = d.get("selection", SELECTION_RULE)
        if selection != SELECTION_RULE:
            raise DatasetError(f"unknown image selection {_shown(selection)}; this cnnviz knows {SELECTION_RULE!r}")
        return cls(name, _path_setting(d, "data_dir"), _path_setting(d, "path"), _count(d, "limit"), size,
                   color_mode, attribute, _count(d, "valid_limit"), _count(d, "test_limit"), selection)

    def load(self, seed: int = 1, loaded=None):
        """The data to train on, with the images to use already chosen (``seed``: the run's seed).

        A :class:`~cnnviz.core.data.dataset.Dataset` (arrays), or for ``celeba`` a
        :class:`cnnviz.core.data.celeba.CelebAData` (pipelines; ``seed`` also drives their shuffling and crops).
        ``loaded``: what this choice names, already read (the app's data box has read it to preview it): a Dataset,
        or for CelebA its CelebAIndex; it is used instead of reading the files again.
        """
        if self.streamed:
            from cnnviz.core.data.celeba import DEFAULT_ATTRIBUTE, load_celeba, resolve_folder

            folder = loaded if loaded is not None else resolve_folder(self.path, self.data_dir)
            if self.limit is not None and self.limit < 2:
                raise DatasetError(f"use at least 2 training images, not {self.limit}")
            return load_celeba(folder, self.attribute or DEFAULT_ATTRIBUTE, train_limit=self.limit,
                               valid_limit=self.valid_limit, test_limit=self.test_limit, seed=seed,
                               selection_seed=seed)
        if loaded is None:
            from cnnviz.core.data.datasets import load_dataset

            kwargs: dict[str, Any] = {"data_dir": self.data_dir, "path": self.path}
            if self.name == "folder":
                kwargs.update(image_size=self.image_size or (28, 28), color_mode=self.color_mode)
            loaded = load_dataset(self.name, **kwargs)
        return select_training_images(loaded, self.limit, seed)
