"""A sweep: a grid or random search over training settings and presets, every trial a normal run folder.

This module is the plain part (no Ray): reading a sweep config, expanding it into trials, and the sweep folder's
files. :mod:`cnnviz.core.train.sweep_ray` runs the trials on Ray Tune (``cnnviz-cli sweep``).

A sweep config is JSON (like a run config; YAML too, with a .yaml/.yml name)::

    {"search": "grid",                          # or "random" (then "trials": N and optionally "seed")
     "preset": "fast",                          # the model (or "run_config": "lenet.run.json": model, data, training)
     "data": {"name": "mnist_sample", "limit": 600},        # a run config's data object
     "training": {"epochs": 2, "batch_size": 32},           # fixed TrainingConfig settings
     "space": {"learning_rate": [0.001, 0.003], "preset": ["fast", "keras_io"]}}

``space`` maps a setting (a TrainingConfig field, ``augment.<field>`` or ``preset``) to a list of values: grid
tries every combination, random draws each setting from its list, or from ``{"uniform": [a, b]}``,
``{"loguniform": [a, b]}`` or ``{"randint": [a, b]}`` (a..b inclusive). A trial's training settings are
TrainingConfig's defaults, then its preset's recipe, then ``training``, then its own settings.

The sweep folder holds ``sweep.json`` (the config and the trials, written first), one run folder per trial
(``trial_000``, ...; the layout of cnnviz.core.train.runs) and ``summary.json`` / ``summary.csv`` (trial, settings,
final metrics, run folder), written when the sweep ends.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnviz.core.errors import UserError

SWEEP_SCHEMA = "cnnviz.sweep"
SUMMARY_SCHEMA = "cnnviz.sweep-summary"
SWEEP_FILE, SUMMARY_FILE, SUMMARY_CSV = "sweep.json", "summary.json", "summary.csv"
MAX_TRIALS = 1000
KEYS = {"schema", "search", "trials", "seed", "preset", "run_config", "data", "training", "space"}
DISTRIBUTIONS = ("uniform", "loguniform", "randint")


class SweepError(UserError):
    """A sweep config or sweep folder that cannot be used: one line for the user."""


@dataclass(frozen=True)
class Trial:
    """One trial: its number, the settings the sweep chose for it, and what its run gets."""

    index: int
    settings: dict[str, Any]
    spec: dict[str, Any]
    training: dict[str, Any]
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return f"trial_{self.index:03d}"


@dataclass(frozen=True)
class SweepPlan:
    search: str
    trials: list[Trial]
    config: dict[str, Any]


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """The sweep config at ``path`` (JSON, or YAML for .yaml/.yml) as a dict; SweepError otherwise."""
    from cnnviz.core.io.bounded_read import FileRefused, read_regular_file

    path = Path(path)
    try:
        text = read_regular_file(path).decode("utf-8")
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep config") from None
    except (FileRefused, OSError, UnicodeDecodeError) as exc:
        raise SweepError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})"[:300]) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise SweepError(f"{path}: YAML needs PyYAML: pip install 'cnnviz[sweep]' (or write the config as "
                             "JSON)") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SweepError(f"{path}: not valid YAML ({str(exc).splitlines()[0][:200]})") from None
    else:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise SweepError(f"{path}: not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(data, dict):
        raise SweepError(f"{path}: a sweep config is an object with 'search' and 'space'")
    return data


def _values(key: str, value: Any, search: str) -> Any:
    if isinstance(value, list):
        if not value:
            raise SweepError(f"space {key!r}: give at least one value")
        return value
    if search == "random" and isinstance(value, dict) and len(value) == 1 and next(iter(value)) in DISTRIBUTIONS:
        kind, bounds = next(iter(value.items()))
        if not (isinstance(bounds, list) and len(bounds) == 2
                and all(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b)
                        for b in bounds) and bounds[0] <= bounds[1]):
            raise SweepError(f"space {key!r}: {kind} takes [low, high] with low <= high, not {bounds!r}"[:200])
        if kind == "loguniform" and bounds[0] <= 0:
            raise SweepError(f"space {key!r}: loguniform needs bounds above 0, not {bounds!r}"[:200])
        if kind == "randint" and not all(isinstance(b, int) for b in bounds):
            raise SweepError(f"space {key!r}: randint takes whole numbers, not {bounds!r}"[:200])
        return value
    hint = (", or {\"uniform\"|\"loguniform\"|\"randint\": [low, high]}" if search == "random" else
            " (distributions need \"search\": \"random\")")
    raise SweepError(f"space {key!r}: expected a list of values{hint}, not {value!r}"[:300])


def _draw(value: Any, rng: random.Random) -> Any:
    if isinstance(value, list):
        return rng.choice(value)
    kind, (low, high) = next(iter(value.items()))
    if kind == "randint":
        return rng.randint(low, high)
    if kind == "loguniform":
        return math.exp(rng.uniform(math.log(low), math.log(high)))
    return rng.uniform(low, high)


def plan(config: dict[str, Any], *, base_dir: str | os.PathLike = ".") -> SweepPlan:
    """The trials a sweep config asks for, each checked as a run would check it (SweepError naming the first
    problem, with the trial's settings). ``base_dir``: where a relative ``run_config`` path is looked up."""
    from cnnviz.core.data.choice import DataChoice
    from cnnviz.core.data.dataset import DatasetError
    from cnnviz.core.model.presets import get_preset, preset_training
    from cnnviz.core.model.shapes import classifier_problems
    from cnnviz.core.model.spec import ModelSpec, SpecError
    from cnnviz.core.train.config import AugmentConfig, TrainingConfig, TrainingError
    from cnnviz.core.train.runs import RunError, read_run_config

    unknown = set(config) - KEYS
    if unknown:
        raise SweepError(f"unknown sweep setting(s): {', '.join(sorted(map(str, unknown)))}; known: "
                         f"{', '.join(sorted(KEYS))}"[:300])
    if config.get("schema", SWEEP_SCHEMA) != SWEEP_SCHEMA:
        raise SweepError(f"schema must be {SWEEP_SCHEMA!r}, not {config['schema']!r}"[:200])
    search = config.get("search")
    if search not in ("grid", "random"):
        raise SweepError(f"search must be \"grid\" or \"random\", not {search!r}"[:200])
    space = config.get("space")
    if not isinstance(space, dict) or not space:
        raise SweepError("space must be an object mapping a setting to its values, e.g. "
                         "{\"learning_rate\": [0.001, 0.01]}")
    training_keys = set(TrainingConfig.__dataclass_fields__) - {"augment"}
    augment_keys = {f"augment.{k}" for k in AugmentConfig.__dataclass_fields__}
    base_spec = base_training = base_data = None
    if config.get("run_config") is not None:
        if config.get("preset") is not None:
            raise SweepError("give either preset or run_config, not both")
        where = Path(base_dir) / str(config["run_config"])
        try:
            saved = read_run_config(where)
        except RunError as exc:
            raise SweepError(str(exc)) from None
        base_spec, base_training, base_data = saved["spec"], saved["training"], saved["data"]
    for key in space:
        if key == "preset" and base_spec is not None:
            raise SweepError("space 'preset' cannot vary the model of a run_config sweep")
        if key not in training_keys | augment_keys | {"preset"}:
            raise SweepError(f"space {key!r} is not a setting a sweep can vary: use preset, augment.<setting> or one"
                             f" of {', '.join(sorted(training_keys))}"[:300])
    for key in ("training", "data"):
        if config.get(key) is not None and not isinstance(config[key], dict):
            raise SweepError(f"{key} must be an object")
    try:
        data = DataChoice.from_dict({**(base_data or {}), **(config.get("data") or {})})
    except DatasetError as exc:
        raise SweepError(str(exc)) from None
    lists = {key: _values(key, value, search) for key, value in space.items()}
    if search == "grid":
        if config.get("trials") is not None or config.get("seed") is not None:
            raise SweepError("trials and seed are for \"search\": \"random\"; a grid tries every combination")
        combos = [dict(zip(lists, values)) for values in itertools.islice(
            itertools.product(*lists.values()), MAX_TRIALS + 1)]
    else:
        count, seed = config.get("trials"), config.get("seed", 0)
        if not (isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= MAX_TRIALS):
            raise SweepError(f"a random search needs trials: a whole number from 1 to {MAX_TRIALS}, not {count!r}")
        if not (isinstance(seed, int) and not isinstance(seed, bool)):
            raise SweepError(f"seed must be a whole number, not {seed!r}"[:200])
        rng = random.Random(seed)
        combos = [{key: _draw(value, rng) for key, value in lists.items()} for _ in range(count)]
    if len(combos) > MAX_TRIALS:
        raise SweepError(f"the grid has more than {MAX_TRIALS} combinations; use fewer values or a random search")
    trials = []
    for index, settings in enumerate(combos):
        where = f"trial {index} ({', '.join(f'{k}={v!r}' for k, v in settings.items())})"[:200]
        preset = settings.get("preset", config.get("preset", "fast" if base_spec is None else None))
        try:
            if base_spec is not None:
                spec = ModelSpec.from_dict(base_spec)
                recipe = dict(base_training)
            else:
                if not isinstance(preset, str):
                    raise SweepError(f"preset must be a preset name, not {preset!r}"[:200])
                spec, recipe = get_preset(preset), preset_training(preset)
            problems = classifier_problems(spec)
            if problems:
                raise SweepError("the model cannot be trained: " + "; ".join(p.message for p in problems))
            training = {**recipe, **(config.get("training") or {})}
            training["augment"] = dict(training.get("augment") or {})
            for key, value in settings.items():
                if key.startswith("augment."):
                    training["augment"][key.removeprefix("augment.")] = value
                elif key != "preset":
                    training[key] = value
            checked = TrainingConfig.from_dict(training)
        except KeyError as exc:   # an unknown preset
            raise SweepError(f"{where}: {exc.args[0]}") from None
        except (SweepError, SpecError, TrainingError, TypeError) as exc:
            raise SweepError(f"{where}: {exc}"[:600]) from None
        trials.append(Trial(index, settings, spec.to_dict(), checked.to_dict(), data.to_dict()))
    return SweepPlan(search, trials, config)


def check_out(out: Path) -> None:
    """The sweep folder must be new or empty: a sweep never writes over files that are there."""
    if out.exists() and not out.is_dir():
        raise SweepError(f"--out {out} is a file; give a folder for the sweep")
    if out.is_dir() and any(out.iterdir()):
        raise SweepError(f"--out {out} is not empty; give a new folder for the sweep")


def write_plan(out: Path, sweep: SweepPlan) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / SWEEP_FILE, {"schema": SWEEP_SCHEMA + "-folder", "search": sweep.search,
                                   "config": sweep.config,
                                   "trials": [{"trial": t.index, "run_folder": t.name, "settings": t.settings}
                                              for t in sweep.trials]})


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value) else None


def write_summary(out: Path, sweep: SweepPlan, errors: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """summary.json and summary.csv from the trials' run folders (the source of truth: what each run wrote);
    ``errors``: trial index -> why a trial failed, as Ray reported it. Returns the rows."""
    import csv

    from cnnviz.core.train.run_records import DamagedRun
    from cnnviz.core.train.runs import RunError, summarize_run

    rows = []
    for t in sweep.trials:
        row = {"trial": t.index, "run_folder": t.name, "settings": t.settings, "status": "not started",
               "epochs": 0, "test_accuracy": None, "best_val_accuracy": None, "final_val_accuracy": None,
               "seconds": None, "error": (errors or {}).get(t.index)}
        if (out / t.name).is_dir():
            try:
                s = summarize_run(out / t.name)
                history = [r for r in _history(out / t.name)]
                row.update(status=s.status, epochs=s.epochs, test_accuracy=_number(s.test_accuracy),
                           best_val_accuracy=_number(s.best_val_accuracy), seconds=_number(s.seconds),
                           final_val_accuracy=_number(history[-1].get("val_accuracy")) if history else None)
            except DamagedRun as exc:
                row["status"] = str(exc)
            except RunError:
                row["status"] = "failed before its run folder was written"
        if row["error"] and row["status"] in ("not started", "completed"):
            row["status"] = "error"
        rows.append(row)
    done = [r for r in rows if r["test_accuracy"] is not None]
    best = max(done, key=lambda r: r["test_accuracy"])["run_folder"] if done else None
    _write_json(out / SUMMARY_FILE, {"schema": SUMMARY_SCHEMA, "search": sweep.search, "best": best,
                                     "trials": rows})
    fields = ["trial", "run_folder", "status", "epochs", "test_accuracy", "best_val_accuracy",
              "final_val_accuracy", "seconds", *sorted({k for t in sweep.trials for k in t.settings}), "error"]
    with open(out / SUMMARY_CSV, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fields)
        writer.writeheader()
        for r in rows:
            writer.writerow({**{k: v for k, v in r.items() if k != "settings"}, **r["settings"]})
    return rows


def _history(path: Path) -> list[dict[str, Any]]:
    from cnnviz.core.train.runs import RunDirectory

    return RunDirectory.open(path).history()


def is_sweep_folder(path: str | os.PathLike) -> bool:
    return (Path(path) / SWEEP_FILE).is_file()


def sweep_trials(path: str | os.PathLike) -> list[tuple[Path, dict[str, Any]]]:
    """The trials of a sweep folder, in order: (run folder, settings). Read from sweep.json (written before the
    first trial starts, so a sweep still running can be opened); SweepError for a folder that is not a sweep."""
    path = Path(path)
    try:
        data = json.loads((path / SWEEP_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"{path} is not a sweep folder (it has no {SWEEP_FILE})") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise SweepError(f"{path / SWEEP_FILE} cannot be read ({str(exc)[:200]})") from None
    trials = data.get("trials") if isinstance(data, dict) else None
    if not isinstance(trials, list):
        raise SweepError(f"{path / SWEEP_FILE} is damaged: it lists no trials")
    out = []
    for t in trials:
        name = t.get("run_folder") if isinstance(t, dict) else None
        if not (isinstance(name, str) and name and Path(name).name == name and name not in (".", "..")):
            raise SweepError(f"{path / SWEEP_FILE} is damaged: a trial's run_folder is {name!r}"[:300])
        settings = t.get("settings") if isinstance(t.get("settings"), dict) else {}
        out.append((path / name, settings))
    return out
