"""The wheel carries every package and every runtime resource (the bundle and pip installs depend on it)."""
from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile

import pytest


def test_every_package_folder_is_listed_in_pyproject(project_root):
    listed = set(tomllib.loads((project_root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(project_root).parts) for p in (project_root / "cnnviz").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"


@pytest.mark.slow
def test_wheel_contains_packages_and_resources(project_root, tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                             str(project_root)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("cnnviz-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("cnnviz/_resources/data/mnist_sample.npz", "cnnviz/_resources/models/mnist_fast.keras",
                     "cnnviz/_resources/icons/cnnviz.svg", "cnnviz/qt/builder/panel.py", "cnnviz/core/model/shapes.py"):
        assert required in names, required
