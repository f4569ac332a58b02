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
        if not isinstance(d, dict):
            raise DatasetError("the data of a run config is a JSON object")
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise DatasetError(f"unknown data setting(s): {', '.join(sorted(unknown))}")
        size = d.get("image_size")
        choice = cls(d.get("name", "mnist_sample"), d.get("data_dir"), d.get("path"), d.get("limit"),
                     tuple(int(v) for v in size) if size else None, d.get("color_mode", "grayscale"),
                     d.get("attribute"), d.get("valid_limit"), d.get("test_limit"),
                     d.get("selection", SELECTION_RULE))
        if choice.selection != SELECTION_RULE:
            raise DatasetError(f"unknown image selection {choice.selection!r}; this cnnviz knows {SELECTION_RULE!r}")
        return choice

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
