"""One writer of a miniature CelebA folder, shared by the core, CLI and GUI tests.

pytest puts tests/ on sys.path (tests/conftest.py is there), so test modules import it as ``celeba_miniature``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz.core.data.celeba import CELEBA_ATTRIBUTES

MALE = CELEBA_ATTRIBUTES.index("Male")
SPLIT_SIZES = (24, 8, 8)   # train, valid, test


def make_celeba(root: Path, sizes=SPLIT_SIZES, seed: int = 0) -> dict:
    """A miniature CelebA: 178x218 JPEGs (brighter faces are Male), list_attr_celeba.txt and list_eval_partition.txt
    written byte for byte as CelebA's (count line, 40 names, right-aligned "-1"/" 1" columns). Returns the truth:
    file names, the attribute matrix (+1/-1) and the partition (0 train, 1 valid, 2 test) of each image."""
    rng = np.random.default_rng(seed)
    images = root / "img_align_celeba"
    images.mkdir(parents=True)
    n = sum(sizes)
    attrs = np.where(rng.random((n, 40)) < 0.5, 1, -1)
    attrs[:, MALE] = np.tile([1, -1], n)[:n]   # alternate, so every prefix has both classes
    partition = np.repeat([0, 1, 2], sizes)
    rows, cols = np.mgrid[0:218, 0:178]
    names = [f"{i + 1:06d}.jpg" for i in range(n)]
    for i, name in enumerate(names):
        base = 170 if attrs[i, MALE] == 1 else 70
        face = base + 40 * np.sin(rows / 9.0)[..., None] + 30 * (cols / 178.0)[..., None] * [1, -1, 0]
        face = face + rng.normal(0, 6, (218, 178, 3))
        Image.fromarray(np.clip(face, 0, 255).astype(np.uint8)).save(images / name, quality=92)
    lines = [f"{n}", " ".join(CELEBA_ATTRIBUTES) + " "]
    lines += [name + "".join(f"{v:>3d}" for v in row) for name, row in zip(names, attrs)]
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (root / "list_eval_partition.txt").write_text("".join(f"{nm} {p}\n" for nm, p in zip(names, partition)))
    return {"names": names, "attrs": attrs, "partition": partition}
