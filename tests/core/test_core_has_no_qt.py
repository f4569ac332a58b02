"""The architecture's one rule: cnnviz.core never imports Qt or pyqtgraph (checked in a clean interpreter)."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def test_every_core_module_imports_with_qt_made_unimportable(project_root):
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "qtpy", "superqt")

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"cnnviz.core must not import {name}")
                return None

        sys.meta_path.insert(0, Block())
        import cnnviz.core
        names = [m.name for m in pkgutil.walk_packages(cnnviz.core.__path__, "cnnviz.core.")]
        for name in names:
            importlib.import_module(name)
        import cnnviz.cli
        leaked = [m for m in sys.modules if m.split(".")[0] in BLOCKED]
        assert not leaked, leaked
        print(len(names))
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=project_root, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 6  # spec, shapes, presets, build, datasets, tf_runtime, ...


def test_importing_core_does_not_import_tensorflow(project_root):
    code = ("import sys, cnnviz.core.model.spec, cnnviz.core.model.shapes, cnnviz.core.model.presets, cnnviz.core.model.build;"
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=project_root, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False", result.stderr
