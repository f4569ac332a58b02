"""Each test gets its own app runs folder (CNNVIZ_RUNS_DIR), so the runs the Training tab writes never mix between
tests. Import the fixture by name into a test module: ``from run_dir_fixture import app_runs  # noqa: F401``."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def app_runs(tmp_path_factory, monkeypatch):
    """The folder where this test's app runs go (cnnviz.core.train.runs.app_runs_dir)."""
    folder = tmp_path_factory.mktemp("app-runs")
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(folder))
    return folder
