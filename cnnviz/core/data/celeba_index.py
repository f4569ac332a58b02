"""CelebA's index files: which images there are, their 40 attributes and their partition (no image is decoded).

Reads CelebA's own layout in a folder (the Kaggle CSV variant works too)::

    img_align_celeba/000001.jpg ...   178x218 (W x H) aligned faces
    list_attr_celeba.txt              line 1: number of images; line 2: the 40 attribute names;
                                      then "000001.jpg -1  1  1 -1 ..." (+1 has it, -1 has not; 1+ spaces)
    list_eval_partition.txt           "000001.jpg 0" (0 train, 1 valid, 2 test)

A folder that is not CelebA-shaped, or a malformed line, raises :class:`CelebAError` saying what and where.
The pipelines that read the images are in celeba.py.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from cnnviz.core.data.celeba_fastread import attributes_from_bytes, partition_from_bytes
from cnnviz.core.data.dataset import DatasetError
from cnnviz.core.data.datasets import data_search_dirs

IMAGE_DIR = "img_align_celeba"
ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips", "Big_Nose",
    "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses",
    "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
    "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks",
    "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick",
    "Wearing_Necklace", "Wearing_Necktie", "Young")
DEFAULT_ATTRIBUTE = "Male"
SPLITS = ("train", "valid", "test")     # partition values 0, 1, 2
CROP_SIZE = 178                         # square crop side, pixels (the full width of an aligned CelebA image)
IMAGE_SIZE = (64, 64)                   # (H, W) the model sees
CLASSIC_TRAIN_LIMIT, CLASSIC_VALID_LIMIT = 16_000, 1_000
PROGRESS_EVERY = 5_000                  # rows between progress calls

Progress = Callable[[int, int], None]   # (rows parsed, rows in the file)


class CelebAError(DatasetError):
    """The folder is not CelebA-shaped, or a file in it is malformed; the message says what and where."""


# ------------------------------------------------------------------------------------------------ index files
@dataclass(frozen=True, eq=False)
class CelebAIndex:
    """Everything CelebA's text files say, for all images: parse once, then choose attributes freely.

    ``filenames``: (N,) str, in attribute-file order; ``attributes``: bool (N, A), True = has it (+1);
    ``partition``: int8 (N,) 0 train / 1 valid / 2 test; ``attribute_names``: A names as in the file.
    """

    folder: Path
    image_dir: Path
    attr_file: Path
    partition_file: Path
    attribute_names: tuple[str, ...]
    filenames: np.ndarray
    attributes: np.ndarray
    partition: np.ndarray

    def __len__(self) -> int:
        return len(self.filenames)

    def attribute_column(self, attribute: str) -> int:
        """Index of ``attribute`` (case-insensitive); CelebAError listing the valid names otherwise."""
        for i, name in enumerate(self.attribute_names):
            if name == attribute:
                return i
        folded = [i for i, name in enumerate(self.attribute_names) if name.lower() == str(attribute).lower()]
        if len(folded) == 1:
            return folded[0]
        raise CelebAError(f"{attribute!r} is not a CelebA attribute in {self.attr_file.name}. "
                          f"Valid attributes: {', '.join(self.attribute_names)}.")

    def image_path(self, row: int) -> Path:
        """The file of image ``row`` (0-based), which lies inside :attr:`image_dir` even through symbolic links;
        CelebAError otherwise (the index files may name anything)."""
        name = str(self.filenames[row])
        problem = name_problem(name)
        if problem:
            raise CelebAError(f"{self.attr_file.name} names {name[:80]!r} as an image: {problem}.")
        path = self.image_dir / name
        if not inside(path, self.image_dir):
            raise CelebAError(f"{IMAGE_DIR}/{name} leads outside {self.image_dir} (a link to another folder); "
                              "cnnviz only opens pictures inside the dataset's folder.")
        return path


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a plain file name inside the image folder (a path, '..', absolute), or None."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name \
            or os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
        return (f"an image must be a plain file name inside {IMAGE_DIR}/ (no folders, no '..', no absolute "
                "path)")
    return None


def inside(path: Path, folder: Path) -> bool:
    """True when ``path``, with every link followed, lies inside ``folder`` (also resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def resolve_folder(path: str | os.PathLike | None = None, data_dir: str | os.PathLike | None = None) -> Path:
    """The CelebA folder to read: ``path`` if given; else the first of ``data_dir``, ``$CNNVIZ_DATA_DIR``,
    ``~/.cnnviz/data``, ... (or a ``celeba``/``CelebA`` subfolder of one) that holds the attribute file.
    An explicit ``data_dir`` that matches nothing is returned as is, so the error names what it lacks."""
    if path is not None:
        return Path(path).expanduser()
    dirs = data_search_dirs(data_dir)
    for d in dirs:
        for candidate in (d, d / "celeba", d / "CelebA"):
            if _find_attr_file(candidate) is not None:
                return candidate
    if data_dir is not None:
        return Path(data_dir).expanduser()
    raise CelebAError("CelebA needs a folder (choose it, or give --data-dir): the one holding "
                      f"{IMAGE_DIR}/, {ATTR_FILE} and {PARTITION_FILE}. Looked in: "
                      + ", ".join(str(c) for d in dirs for c in (d, d / "celeba")) + ".")


def _find_attr_file(folder: Path) -> Path | None:
    for name in (ATTR_FILE, "list_attr_celeba.csv"):
        if (folder / name).is_file():
            return folder / name
    return None


def _find_partition_file(folder: Path) -> Path | None:
    for name in (PARTITION_FILE, "list_eval_partition.csv"):
        if (folder / name).is_file():
            return folder / name
    return None


def _find_image_dir(folder: Path) -> Path:
    images = folder / IMAGE_DIR
    nested = images / IMAGE_DIR   # Kaggle's zip unpacks to img_align_celeba/img_align_celeba/
    if nested.is_dir():
        return nested
    if images.is_dir():
        return images
    hint = ""
    if (folder / f"{IMAGE_DIR}.zip").is_file():
        hint = f" {IMAGE_DIR}.zip is there: extract it first (it unpacks to {IMAGE_DIR}/)."
    raise CelebAError(f"{folder} is not a CelebA folder: it has no {IMAGE_DIR}/ subfolder with the face images "
                      f"(178x218 JPEGs).{hint} Expected {IMAGE_DIR}/, {ATTR_FILE} and {PARTITION_FILE}.")


def read_index(folder: str | os.PathLike, progress: Progress | None = None) -> CelebAIndex:
    """Parse ``folder``'s attribute and partition files (0.3-0.5 s for all 202,599 CelebA images, vectorised).

    ``progress(rows_done, rows_total)`` is called every few thousand rows of the attribute file and at the end.
    Picking the ``img_align_celeba`` folder itself works too (its parent is used). Raises CelebAError for a
    missing folder, image folder or file, and for a malformed line (naming the file, the line and why).
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise CelebAError(f"{folder} does not exist." if not folder.exists() else
                          f"{folder} is a file; choose the CelebA folder that holds {IMAGE_DIR}/.")
    if folder.name == IMAGE_DIR and _find_attr_file(folder) is None and _find_attr_file(folder.parent):
        folder = folder.parent   # the user picked the image folder itself
    image_dir = _find_image_dir(folder)
    attr_file = _find_attr_file(folder)
    if attr_file is None:
        raise CelebAError(f"{folder} has no attribute file {ATTR_FILE} (CelebA's Anno/list_attr_celeba.txt: "
                          "one line per image with its 40 attributes as 1/-1). Put it next to "
                          f"{IMAGE_DIR}/.")
    partition_file = _find_partition_file(folder)
    if partition_file is None:
        raise CelebAError(f"{folder} has no partition file {PARTITION_FILE} (CelebA's Eval/list_eval_partition.txt"
                          f": 'filename 0|1|2' for train/valid/test). Put it next to {IMAGE_DIR}/.")
    names, filenames, attributes = _read_attributes(attr_file, progress)
    partition = _read_partition(partition_file, attr_file, filenames)
    return CelebAIndex(folder, image_dir, attr_file, partition_file, names, filenames, attributes, partition)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig", errors="strict").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CelebAError(f"{path} cannot be read as text ({type(exc).__name__}: {exc}).") from exc


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CelebAError(f"{path} cannot be read as text ({type(exc).__name__}: {exc}).") from exc
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _read_attributes_fast(path: Path, progress: Progress | None):
    return attributes_from_bytes(_read_bytes(path), path.suffix == ".csv", progress)


def _read_attributes(path: Path, progress: Progress | None):
    fast = _read_attributes_fast(path, progress)
    if fast is not None:
        return fast
    lines = _read_lines(path)
    csv = path.suffix == ".csv"
    split = (lambda s: [f.strip() for f in s.split(",")]) if csv else str.split
    where = path.name
    if csv:   # Kaggle: "image_id,5_o_Clock_Shadow,...", no count line
        header_no, first_row, declared = 1, 1, None
        names = split(lines[0])[1:] if lines else []
    else:
        if not lines or not lines[0].strip():
            raise CelebAError(f"{where} line 1 is empty; it should hold the number of images (202599 in CelebA).")
        try:
            declared = int(lines[0].strip())
        except ValueError:
            raise CelebAError(f"{where} line 1 should be the number of images (202599 in CelebA), found "
                              f"{lines[0].strip()[:60]!r}. Is this CelebA's list_attr_celeba.txt?") from None
        header_no, first_row = 2, 2
        names = split(lines[1]) if len(lines) > 1 else []
    if not names:
        raise CelebAError(f"{where} line {header_no} should list the attribute names (5_o_Clock_Shadow "
                          "Arched_Eyebrows ... Young); it is empty or missing.")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise CelebAError(f"{where} line {header_no}: the attribute {dup!r} is named twice.")
    width = len(names) + 1
    allowed = {"1", "+1", "-1"}
    total = sum(1 for line in lines[first_row:] if line.strip())
    filenames: list[str] = []
    signs: list[str] = []
    for number, line in enumerate(lines[first_row:], start=first_row + 1):
        fields = split(line)
        if not fields or fields == [""]:
            continue
        if len(fields) != width:
            raise CelebAError(f"{where} line {number} is malformed: expected a file name and {len(names)} values "
                              f"({width} fields separated by spaces), found {len(fields)} field(s): "
                              f"{line.strip()[:80]!r}.")
        values = fields[1:]
        problem = name_problem(fields[0])
        if problem:
            raise CelebAError(f"{where} line {number} names {fields[0][:80]!r} as an image: {problem}.")
        if not allowed.issuperset(values):
            bad = next(i for i, v in enumerate(values) if v not in allowed)
            raise CelebAError(f"{where} line {number} is malformed: the value {values[bad]!r} for "
                              f"{names[bad]} (image {fields[0]}) is not 1 or -1.")
        filenames.append(fields[0])
        signs.append("".join(v[0] for v in values))   # '1' / '+' -> has it, '-' -> has not
        if progress is not None and len(filenames) % PROGRESS_EVERY == 0:
            progress(len(filenames), total)
    if declared is not None and declared != len(filenames):
        raise CelebAError(f"{where} line 1 says {declared} images but {len(filenames)} image lines follow; the "
                          "file looks truncated or edited. Download list_attr_celeba.txt again.")
    if not filenames:
        raise CelebAError(f"{where} lists no images.")
    if progress is not None:
        progress(len(filenames), total)
    packed = np.frombuffer("".join(signs).encode("ascii"), dtype=np.uint8).reshape(len(filenames), len(names))
    return tuple(names), np.asarray(filenames), packed != ord("-")


def _read_partition_fast(path: Path, filenames: np.ndarray) -> np.ndarray | None:
    return partition_from_bytes(_read_bytes(path), path.suffix == ".csv", filenames)


def _read_partition(path: Path, attr_file: Path, filenames: np.ndarray) -> np.ndarray:
    fast = _read_partition_fast(path, filenames)
    if fast is not None:
        return fast
    lines = _read_lines(path)
    csv = path.suffix == ".csv"
    start = 1 if csv else 0
    split = (lambda s: [f.strip() for f in s.split(",")]) if csv else str.split
    split_of: dict[str, int] = {}
    for number, line in enumerate(lines[start:], start=start + 1):
        fields = split(line)
        if not fields or fields == [""]:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise CelebAError(f"{path.name} line {number} is malformed: expected 'filename 0|1|2' (0 train, "
                              f"1 valid, 2 test), found {line.strip()[:80]!r}.")
        split_of[fields[0]] = int(fields[1])
    out = np.empty(len(filenames), np.int8)
    for i, name in enumerate(filenames.tolist()):
        value = split_of.get(name)
        if value is None:
            raise CelebAError(f"{path.name} has no line for {name} (listed in {attr_file.name}); the two files "
                              "must cover the same images.")
        out[i] = value
    return out
