"""The one rule for failures, shared by the CLI and the app: a user's mistake is one clear line; anything else is
one line naming a crash report (traceback and versions) written to the user's log folder.

* :func:`user_message`: the one-line message for an exception that means bad input or a full disk (the core's
  ``*Error`` classes that carry a message for the user, OSErrors about the user's files and disk, running out of
  memory, an image TensorFlow could not decode), or None for an unexpected exception (a bug).
* :func:`write_crash_report`: the traceback with the versions of Python, TensorFlow, Keras, NumPy, cnnviz and the
  platform, in ``platformdirs.user_log_dir("cnnviz")`` (``$CNNVIZ_CRASH_DIR`` overrides it); returns its path.
* :func:`crash_line`: what the CLI prints and the app shows for an unexpected exception.
"""
from __future__ import annotations

import errno
import importlib
import os
import platform
import re
import sys
import time
import traceback
from pathlib import Path

CRASH_DIR_ENV = "CNNVIZ_CRASH_DIR"
MAX_LINE = 1000   # a message longer than this is cut (a hostile file can put megabytes in an error message)


class UserError(ValueError):
    """Bad input with a message for the user (base of cnnviz's own new user errors)."""


# Exception classes of the core whose message is written for the user ("module:Class"; looked up when needed, so
# importing this module imports nothing heavy, and a class that moves is simply not listed).
_USER_ERROR_CLASSES = (
    "cnnviz.core.model.layers.base:SpecError", "cnnviz.core.model.layers.base:ShapeError",
    "cnnviz.core.model.model_io:ModelFileError", "cnnviz.core.model.pretrained:PretrainedModelError",
    "cnnviz.core.data.dataset:DatasetError", "cnnviz.core.data.idx:IdxError",
    "cnnviz.core.data.image_files:ImageFileError", "cnnviz.core.data.image_folder:ImageFolderError",
    "cnnviz.core.data.preprocess:PreprocessError", "cnnviz.core.train.config:TrainingError",
    "cnnviz.core.train.runs:RunError", "cnnviz.core.io.export:ExportError", "cnnviz.core.io.files:TargetRefused",
    "cnnviz.core.inspect.inspection:InspectionError",
)

# OSErrors that are about the user's files, folders or disk, not about cnnviz.
_USER_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
                errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
                errno.EPERM: "operation not permitted", errno.ENOENT: "no such file or folder",
                errno.ENOTDIR: "not a folder", errno.EISDIR: "is a folder", errno.ENAMETOOLONG: "name too long",
                errno.EFBIG: "file too large", errno.ENXIO: "no such device", errno.ELOOP: "too many symbolic links",
                errno.EIO: "input/output error"}


def one_line(text: str) -> str:
    """``text`` on one line: its lines joined, whitespace runs collapsed, at most :data:`MAX_LINE` characters.

    A longer message keeps its start (what went wrong) and its end (what to do), cut in the middle.
    """
    flat = " ".join(str(text).split())
    if len(flat) <= MAX_LINE:
        return flat
    tail = MAX_LINE // 3
    return flat[:MAX_LINE - tail - 3] + " … " + flat[-tail:]


def user_error_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [UserError]
    for entry in _USER_ERROR_CLASSES:
        module, name = entry.split(":")
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        types.append(cls)
    return tuple(types)


def _os_message(exc: OSError) -> str | None:
    what = _USER_ERRNOS.get(exc.errno or -1)
    if what is None:
        return None
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f)
    detail = exc.strerror or str(exc) or what
    text = f"{what} ({detail})" if detail.lower() != what else what
    return one_line(f"{text}: {where}" if where else text)


def _tensorflow_message(exc: BaseException) -> str | None:
    """A TensorFlow error that means bad data or too little memory (only if TensorFlow is loaded already)."""
    tf = sys.modules.get("tensorflow")
    errors = getattr(tf, "errors", None)
    if errors is None or not isinstance(exc, errors.OpError):
        return None
    text = str(exc.message or "")
    # TensorFlow's message is "Graph execution error:", the node, then "...transformation with iterator: ...: the
    # reason", then "[[{{node ...}}]]" lines: the reason is the end of the last line that is not a node line.
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("[[")]
    reason = lines[-1].rsplit(": ", 1)[-1].strip() if lines else type(exc).__name__
    if isinstance(exc, errors.ResourceExhaustedError):
        return one_line(f"not enough memory for this model and batch size (TensorFlow: {reason[:300]})")
    node = re.search(r"node (\S*decode\S*)", text, flags=re.IGNORECASE)
    if isinstance(exc, errors.InvalidArgumentError) and node:
        return one_line(f"an image of the dataset could not be decoded while training ({reason[:200]}, in "
                        f"TensorFlow's {node.group(1)}): look for empty or damaged image files in the dataset")
    return None


def user_message(exc: BaseException) -> str | None:
    """The one-line message for an exception that is the user's input or machine, else None (a bug)."""
    if isinstance(exc, user_error_types()):
        return one_line(str(exc) or type(exc).__name__)
    if isinstance(exc, MemoryError):
        return one_line(f"not enough memory{f' ({exc})' if str(exc) else ''}: use fewer images, a smaller batch "
                        "or a smaller model")
    if isinstance(exc, OSError):
        return _os_message(exc)
    return _tensorflow_message(exc)


def crash_dir() -> Path:
    """Where crash reports go: ``$CNNVIZ_CRASH_DIR``, else the platform's per-user log folder for cnnviz."""
    env = os.environ.get(CRASH_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_log_dir("cnnviz", appauthor=False))


def _version(module: str, *distributions: str) -> str:
    loaded = sys.modules.get(module)
    if getattr(loaded, "__version__", None):
        return str(loaded.__version__)
    from importlib import metadata

    for dist in distributions or (module,):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def versions() -> dict[str, str]:
    """Versions for a crash report, without importing TensorFlow (it may be what failed)."""
    from cnnviz import __version__

    return {"cnnviz": __version__, "python": platform.python_version(),
            "tensorflow": _version("tensorflow", "tensorflow", "tensorflow-cpu", "tensorflow-macos"),
            "keras": _version("keras"), "numpy": _version("numpy"),
            "platform": platform.platform()}


def write_crash_report(exc: BaseException, *, where: str = "") -> Path:
    """Write the traceback of ``exc`` and the versions to a new file in :func:`crash_dir`; returns its path.
    Raises OSError when the report cannot be written."""
    folder = crash_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    lines = [f"cnnviz crash report {time.strftime('%Y-%m-%dT%H:%M:%S')}"]
    if where:
        lines.append(f"where: {where}")
    lines.append(f"command: {' '.join(sys.argv)}")
    lines += [f"{key}: {value}" for key, value in versions().items()]
    lines += ["", "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    n = 0
    while True:
        path = folder / f"crash-{stamp}-{os.getpid()}{f'-{n}' if n else ''}.txt"
        try:
            with open(path, "x", encoding="utf-8") as fh:   # "x": never overwrite an earlier report
                fh.write("\n".join(lines))
            return path
        except FileExistsError:
            n += 1


def crash_line(exc: BaseException, *, where: str = "") -> str:
    """One line for an unexpected exception, naming the crash report written for it."""
    summary = one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:300]
    try:
        report = write_crash_report(exc, where=where)
    except OSError as err:
        return f"unexpected error ({summary}); the crash report could not be written ({err.strerror or err})"
    return f"unexpected error ({summary}); crash report: {report}"
