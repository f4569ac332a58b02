"""CelebA as the Training tab's data box holds it: the index (read off the GUI thread), counts per split, the
attribute to predict and a few faces as the model will see them. The training worker streams from the index.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnviz.core.data.celeba import CLASSIC_VALID_LIMIT, IMAGE_SIZE, SPLITS, CelebAError, CelebAIndex
from cnnviz.core.data.dataset import DatasetError
from cnnviz.core.data.walk import report

PREVIEW_COUNT = 16
CELEBA = "celeba"
CELEBA_TITLE = "CelebA (folder)"
CELEBA_VALID_LIMIT = CLASSIC_VALID_LIMIT   # first N validation images (the lecture: 1,000)
CELEBA_TEST_LIMIT = 1_000                  # first N test images, evaluated and shown after training


@dataclass(eq=False)
class CelebASource:
    """CelebA chosen in the Data box: what the training worker streams from, and what the form shows.

    Quacks like a :class:`~cnnviz.core.data.dataset.Dataset` where the panel needs it (``name``, ``input_shape``,
    ``num_classes``, ``class_names``, ``source``); ``x_train`` / ``y_train`` are only the preview faces (uint8
    64x64x3, evaluation view) so the augmentation preview has something to show. ``counts`` / ``positives``:
    images (and how many have the attribute) per split ("train", "valid", "test") in the whole folder.
    """

    index: CelebAIndex
    attribute: str
    counts: dict[str, int]
    positives: dict[str, int]
    x_train: np.ndarray
    y_train: np.ndarray
    valid_limit: int | None = CELEBA_VALID_LIMIT
    test_limit: int | None = CELEBA_TEST_LIMIT
    notes: tuple[str, ...] = field(default_factory=tuple)

    name = CELEBA
    num_classes = 2

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (*IMAGE_SIZE, 3)

    @property
    def class_names(self) -> tuple[str, str]:
        from cnnviz.core.data.celeba import class_names_for

        return class_names_for(self.attribute)

    @property
    def folder(self) -> str:
        return str(self.index.folder)

    @property
    def source(self) -> str:
        return (f"CelebA in {self.index.folder} ({self.index.image_dir.name}/, {self.index.attr_file.name}, "
                f"{self.index.partition_file.name}): attribute {self.attribute}")

    def class_counts(self, split: str = "train") -> np.ndarray:
        key = {"test": "test", "valid": "valid"}.get(split, "train")
        return np.array([self.counts[key] - self.positives[key], self.positives[key]], np.int64)


def load_celeba_source(folder: str | CelebAIndex, attribute: str) -> CelebASource | DatasetError:
    """Runs on a load thread: read the index (or reuse it; progress per few thousand rows), count per split,
    decode a few faces. A DatasetError is returned (not raised) so the data box shows its message."""
    from cnnviz.core.data.celeba import decode_image, eval_transform, read_index

    try:
        index = folder if isinstance(folder, CelebAIndex) else read_index(
            folder, progress=lambda done, total: report("index", done, total))
        column = index.attribute_column(attribute)
        has = index.attributes[:, column]
        counts = {s: int(np.sum(index.partition == v)) for v, s in enumerate(SPLITS)}
        positives = {s: int(np.sum(has[index.partition == v])) for v, s in enumerate(SPLITS)}
        if counts["train"] == 0:
            raise CelebAError(f"{index.partition_file.name} puts no images in the training partition (0).")
        rows = np.flatnonzero(index.partition == 0)
        rows = rows[np.unique(np.linspace(0, len(rows) - 1, min(PREVIEW_COUNT, len(rows))).astype(int))]
        faces = []
        for k, name in enumerate(index.filenames[rows].tolist()):
            report("faces", k, len(rows))
            path = index.image_dir / name
            if not path.is_file():
                raise CelebAError(f"{index.image_dir.name}/{name} is listed in {index.attr_file.name} but is not in "
                                  f"{index.image_dir}. Extract the complete img_align_celeba.zip.")
            try:
                face = np.asarray(eval_transform(decode_image(str(path))))
            except Exception as exc:  # noqa: BLE001 - a broken JPEG: say which
                raise CelebAError(f"{index.image_dir.name}/{name} cannot be decoded as an image "
                                  f"({type(exc).__name__}).") from exc
            faces.append((np.clip(face, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
        return CelebASource(index, index.attribute_names[column], counts, positives, np.stack(faces),
                            has[rows].astype(np.int64))
    except DatasetError as exc:
        return exc
