"""Locate files shipped with cnnviz (icons, the bundled MNIST sample, the pretrained model).

The top-level ``resources/`` folder is installed as the package ``cnnviz._resources``; looking files up through
``importlib.resources`` works the same in a wheel, an editable install and a PyInstaller bundle.
"""
from __future__ import annotations

from importlib import resources as _ir
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """Path of a shipped resource, e.g. ``resource_path("data", "mnist_sample.npz")``.

    Raises FileNotFoundError naming the resource when it is missing (a broken install).
    """
    root = _ir.files("cnnviz._resources")
    target = root.joinpath(*parts)
    path = Path(str(target))
    if not path.exists():
        raise FileNotFoundError(
            f"cnnviz resource {'/'.join(parts)!r} is missing from this installation ({path}); "
            "reinstall cnnviz (pip install -e . in the project folder)."
        )
    return path
