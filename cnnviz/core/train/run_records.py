"""Reading a run folder's records as untrusted files: every way one can be wrong is a :class:`DamagedRun` (a
RunError) whose message starts with "damaged:", never a TypeError or AttributeError further on.

A run folder can be synced from a server, edited by hand or half-written by a crash: ``state.json`` may hold a list,
``history.jsonl`` may be a folder, not UTF-8, or have strings where numbers go; a checkpoint may be truncated or
carry code. The Runs tab shows such a run as damaged, with the reason; ``--resume`` refuses it with the reason.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from cnnviz.core.io.bounded_read import FileRefused, read_regular_file
from cnnviz.core.train.events import HISTORY_KEYS
from cnnviz.core.train.runs import RunError

RECORD_MAX_BYTES = 256 * 1024 * 1024   # a history of 10,000 epochs is ~2 MB


class DamagedRun(RunError):
    """A run folder file that exists but cannot be used, with the reason (message: "damaged: ...")."""


def _damaged(file: Path, why: str) -> DamagedRun:
    return DamagedRun(f"damaged: {file.parent.name}/{file.name} {why}")


def _read_text(file: Path) -> str:
    try:
        raw = read_regular_file(file, RECORD_MAX_BYTES)
    except FileRefused as exc:
        raise _damaged(file, str(exc).replace(str(file), "").strip()) from None
    except IsADirectoryError:
        raise _damaged(file, "is a folder, not a file") from None
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _damaged(file, f"cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _damaged(file, "is not UTF-8 text") from None


def read_object(file: str | Path) -> dict[str, Any]:
    """The JSON object in ``file`` (state.json, metrics.json, config.json); FileNotFoundError when missing."""
    file = Path(file)
    text = _read_text(file)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:   # ValueError: JSONDecodeError, or an integer of 5,000 digits
        raise _damaged(file, f"is not valid JSON ({exc})"[:300]) from None
    if not isinstance(data, dict):
        raise _damaged(file, f"holds a {_json_type(data)}, not a JSON object")
    return data


def _json_type(value: Any) -> str:
    return {list: "list", str: "string", bool: "true/false", type(None): "null", int: "number",
            float: "number"}.get(type(value), type(value).__name__)


def shown(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters, so that a message about it stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_epoch_record(record: Any, where: str) -> dict[str, Any]:
    """One history line as the Run wrote it: an object with a whole ``epoch`` >= 0 and numbers (or null, written
    for NaN) for the metrics. Returns it with null metrics as NaN."""
    if not isinstance(record, dict) or "epoch" not in record:
        raise DamagedRun(f"damaged: {where} is not an epoch record")
    epoch = record["epoch"]
    if not (_number(epoch) and 0 <= epoch < 10 ** 9 and float(epoch).is_integer()):   # float(): no 400 digits
        raise DamagedRun(f"damaged: {where}: epoch is {shown(epoch)}, not a whole number "
                         "from 0 to 10^9")
    out = dict(record)
    out["epoch"] = int(epoch)
    for key in HISTORY_KEYS:
        value = record.get(key)
        if value is None:
            out[key] = math.nan
        elif not _number(value):
            raise DamagedRun(f"damaged: {where}: {key} is {shown(value)}, not a number")
    return out


def read_history_records(path: str | Path) -> list[dict[str, Any]]:
    """Epoch records from a history.jsonl ([] when there is none yet); a partial or corrupt last line (a write cut
    short) is ignored; anything else wrong is a DamagedRun naming the line."""
    path = Path(path)
    try:
        lines = _read_text(path).splitlines()
    except FileNotFoundError:
        return []
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):   # ValueError: JSONDecodeError, or an integer of 5,000 digits
            if number == len(lines):
                break  # the last line was being written when the run stopped
            raise DamagedRun(f"damaged: {path.name} line {number} is not valid JSON") from None
        records.append(check_epoch_record(record, f"{path.name} line {number}"))
    return records


def load_checkpoint(path: str | Path):
    """The compiled model of a run's checkpoint (weights and optimizer state) in Keras's safe mode: a checkpoint
    never runs code it carries. DamagedRun, with the reason and what to do, for a truncated, damaged or unsafe
    file."""
    import zipfile

    path = Path(path)
    advice = "start the run again (cnnviz-cli train --overwrite, or a new run in the app)"
    if not path.is_file():
        raise DamagedRun(f"damaged: {path.parent.name}/{path.name} is missing or not a file; {advice}")
    if not zipfile.is_zipfile(path):
        raise DamagedRun(f"damaged: {path.parent.name}/{path.name} is truncated or not a .keras archive; {advice}")
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises many kinds for a bad file; the user gets the reason
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise DamagedRun(f"damaged: {path.parent.name}/{path.name} cannot be loaded ({first[:240]}); "
                         f"{advice}") from None
