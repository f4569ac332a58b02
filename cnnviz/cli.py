"""Headless commands on top of cnnviz.core: the same code the GUI runs, without a screen.

    cnnviz-cli summary --preset lecture
    cnnviz-cli summary --spec my_model.json
    cnnviz-cli presets
    cnnviz-cli datasets
    cnnviz-cli train --preset fast --dataset mnist_sample --epochs 3 --out runs/first
    cnnviz-cli train --resume --out runs/first
    cnnviz-cli train --dataset celeba --data-dir ~/celeba --attribute Male --preset celeba --out runs/faces
"""
from __future__ import annotations

import argparse
import sys

from cnnviz.core.errors import UserError

EXIT_BAD_INPUT = 2
EXIT_CRASH = 1


class CliError(UserError):
    """A user mistake: printed as one clear line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's rule for bad input: one line on stderr, exit 2 (not the usage block)."""

    def error(self, message: str):
        from cnnviz.core.errors import one_line

        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def _whole(minimum: int):
    """An argparse type: a whole number of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    parse.__name__ = "whole number"
    return parse


def _load_spec(args: argparse.Namespace):
    from cnnviz.core.model.presets import get_preset
    from cnnviz.core.model.spec import ModelSpec, SpecError

    if args.spec and args.preset:
        raise CliError("give either --spec or --preset, not both")
    if args.spec:
        try:
            return ModelSpec.load(args.spec)
        except SpecError as exc:
            raise CliError(str(exc)) from None
    try:
        return get_preset(args.preset or getattr(args, "default_preset", "lecture"))
    except KeyError as exc:
        raise CliError(exc.args[0]) from None


def cmd_summary(args: argparse.Namespace) -> int:
    from cnnviz.core.model.shapes import infer_shapes, summary_table

    spec = _load_spec(args)
    report = infer_shapes(spec)
    print(summary_table(spec, report))
    if args.formulas:
        print()
        for layer in report.layers:
            if layer.output is None:
                continue
            print(f"{layer.name}:")
            for line in layer.shape_formula.splitlines():
                print(f"    shape   {line}")
            print(f"    params  {layer.param_formula}")
    return 1 if report.problems else 0


def cmd_presets(args: argparse.Namespace) -> int:
    from cnnviz.core.model.presets import PRESETS
    from cnnviz.core.model.shapes import infer_shapes

    for key, preset in PRESETS.items():
        spec = preset.build()
        total = infer_shapes(spec).total_params
        print(f"{key:<10} {preset.title:<42} {total:>10,} params   source: {preset.source}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from cnnviz.core.data import datasets

    for key, info in {**datasets.DATASETS, **datasets.STREAMED_DATASETS}.items():
        print(f"{key:<14} {info.title}")
    return 0


# what train uses for a setting neither its flag nor the preset's recipe gives
TRAIN_DEFAULTS = {"epochs": 5, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3, "schedule": "constant"}


def _training_config(args: argparse.Namespace, recipe: dict | None = None):
    """The training settings: each flag given, else the preset's recipe (e.g. fast99's batch 256 and schedule),
    else TRAIN_DEFAULTS."""
    from cnnviz.core.train.config import AugmentConfig, TrainingConfig

    val_count, val_fraction = args.val_count, args.val_fraction
    if val_count is not None and val_fraction is not None:
        raise CliError("give --val-count or --val-fraction, not both")
    if val_count is None and val_fraction is None:
        val_fraction = 0.1
    base = {**TRAIN_DEFAULTS, **(recipe or {})}
    flags = {"epochs": args.epochs, "batch_size": args.batch_size, "optimizer": args.optimizer,
             "learning_rate": args.lr, "schedule": args.schedule}
    chosen = {key: base[key] if value is None else value for key, value in flags.items()}
    extra = {key: base[key] for key in ("warmup_fraction", "beta_1", "beta_2") if key in base}
    config = TrainingConfig(**chosen, **extra, loss=args.loss, seed=args.seed,
                            validation_count=val_count or None, validation_fraction=val_fraction or None,
                            augment=AugmentConfig(args.flip, args.rotation, args.shift, args.brightness,
                                                  args.contrast), deterministic=args.deterministic,
                            precision=args.precision)
    problems = config.problems()
    if problems:
        raise CliError("; ".join(problems))
    return config


def _keras_model_from(path: str):
    from pathlib import Path

    if not Path(path).is_file():
        raise CliError(f"{path}: no such model file")
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    import keras

    try:
        model = keras.saving.load_model(path)
    except Exception as exc:  # noqa: BLE001 - Keras raises many kinds for a bad file
        raise CliError(f"{path}: not a Keras model that can be loaded ({type(exc).__name__}: {exc})") from None
    inputs, outputs = list(getattr(model, "inputs", None) or []), list(getattr(model, "outputs", None) or [])
    if len(inputs) != 1 or len(outputs) != 1:
        raise CliError(f"{path}: train --model needs a model with one image input and one output; this one has "
                       f"{len(inputs)} input(s) and {len(outputs)} output(s)")
    if len(inputs[0].shape) != 4:
        raise CliError(f"{path}: train --model needs an image input (batch, height, width, channels); this "
                       f"model's input is {tuple(inputs[0].shape)}")
    if len(outputs[0].shape) != 2:
        raise CliError(f"{path}: train --model needs a classifier whose output is one vector of class scores per "
                       f"image (batch, classes); this model's output is {tuple(outputs[0].shape)} (a feature map: "
                       "end it with Flatten/GlobalAveragePooling2D and Dense)")
    return model


def _check_counts(choice, where: str) -> None:
    """A run config is a file anyone can edit: its image counts must be whole numbers (or absent)."""
    for name in ("limit", "valid_limit", "test_limit"):
        value = getattr(choice, name, None)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise CliError(f"{where}: data {name} must be a whole number of at least 1 (or null for all), "
                           f"got {value!r}"[:300])


def _mention_skipped(data) -> None:
    """Say (one line) that unreadable files of an image folder were left out: their count and the first few."""
    notes = tuple(getattr(data, "notes", ()) or ())
    if notes:
        first = "; ".join(notes[1:4]) + (" ..." if len(notes) > 4 else "")
        print(f"cnnviz-cli: warning: {notes[0].rstrip('.')}{': ' + first if first else ''} "
              "(all are listed in the run's meta.json)", file=sys.stderr)


def cmd_train(args: argparse.Namespace) -> int:
    import signal
    from pathlib import Path

    from cnnviz.core.data.choice import DataChoice
    from cnnviz.core.data.dataset import DatasetError
    from cnnviz.core.model.spec import SpecError
    from cnnviz.core.train.events import BatchProgress, EpochResult, TrainingStarted
    from cnnviz.core.train.run import Run, epoch_line
    from cnnviz.core.train.runs import RunError
    from cnnviz.core.train.config import TrainingError

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {out} is a file; give a folder for the run")
    spec = model = None
    config = None
    image_size = None
    if args.image_size:
        try:
            h, w = (int(v) for v in args.image_size.lower().split("x"))
        except ValueError:
            raise CliError(f"--image-size is HxW, e.g. 28x28, not {args.image_size!r}") from None
        image_size = (h, w)
    data_choice = DataChoice(args.dataset, args.data_dir, args.data_path, args.limit, image_size=image_size,
                             color_mode=args.color_mode, attribute=args.attribute,
                             valid_limit=args.celeba_valid_limit, test_limit=args.celeba_test_limit)
    if not data_choice.streamed and (args.attribute or args.celeba_valid_limit is not None
                                     or args.celeba_test_limit is not None):
        raise CliError("--attribute and --celeba-*-limit only apply to --dataset celeba")
    if args.config and not args.resume:
        from cnnviz.core.model.spec import ModelSpec
        from cnnviz.core.train.config import TrainingConfig
        from cnnviz.core.train.runs import read_run_config

        try:
            saved = read_run_config(args.config)
            spec = ModelSpec.from_dict(saved["spec"])
            config = TrainingConfig.from_dict(saved["training"])
            data_choice = DataChoice.from_dict(saved["data"])
        except (RunError, SpecError, TrainingError, DatasetError, TypeError) as exc:
            raise CliError(str(exc)) from None
        _check_counts(data_choice, args.config)
    elif not args.resume:
        if args.model:
            if args.spec or args.preset:
                raise CliError("give one of --model, --spec or --preset")
            model = _keras_model_from(args.model)
        recipe = None
        if not args.model:
            if data_choice.name == "celeba" and not (args.spec or args.preset):
                args.default_preset = "celeba"   # the preset that fits the dataset (64x64 RGB, one sigmoid output)
            spec = _load_spec(args)
            from cnnviz.core.model.presets import preset_training
            from cnnviz.core.model.shapes import classifier_problems

            problems = classifier_problems(spec)
            if problems:
                raise CliError("the model cannot be trained: " + "; ".join(p.message for p in problems))
            if not args.spec:
                recipe = preset_training(args.preset or args.default_preset)
        config = _training_config(args, recipe)
    if args.tensorboard:
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None:
            raise CliError("--tensorboard needs the tensorboard package: pip install 'cnnviz[tensorboard]'")
    strategy = None
    if args.strategy == "mirrored":
        from cnnviz.core.train.distribute import mirrored_strategy

        strategy = mirrored_strategy(args.devices)
    from cnnviz.core.tf_runtime import import_tensorflow

    import_tensorflow()
    total = [config.epochs if config is not None else 0]
    tty = sys.stderr.isatty()

    def emit(event):
        if isinstance(event, TrainingStarted):
            total[0] = event.initial_epoch + event.epochs
            print(f"training {event.train_samples} images, validating on {event.val_samples}, "
                  f"{event.steps_per_epoch} batches per epoch", file=sys.stderr)
        elif isinstance(event, BatchProgress) and tty:
            bar = int(30 * event.batch / event.steps)
            # event.eta_s is the whole run's; this epoch's share of the batches left is its ETA
            left = event.steps - event.batch + event.steps * max(total[0] - event.epoch - 1, 0)
            minutes, seconds = divmod(round(event.eta_s * (event.steps - event.batch) / left if left else 0), 60)
            eta = (f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else
                   f"{minutes}:{seconds:02d}")
            print(f"\repoch {event.epoch + 1}/{total[0]} [{'=' * bar}{' ' * (30 - bar)}] {event.batch}/{event.steps} "
                  f"loss {event.loss:.4f} acc {event.accuracy:.4f} {event.images_per_s:.0f} img/s ETA {eta}  ",
                  end="", file=sys.stderr, flush=True)
        elif isinstance(event, EpochResult):
            print(("\r" if tty else "") + epoch_line(event, total[0]), file=sys.stderr, flush=True)

    sessions = []

    def on_sigint(signum, frame):
        if sessions and not sessions[0].stop_requested:
            print("\nstopping after this batch (Ctrl-C again to abort)...", file=sys.stderr)
            sessions[0].request_stop()
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        if args.resume:
            run = Run.resume(out, emit=emit, strategy=strategy, tensorboard=args.tensorboard)
        else:
            run = Run.start(out, data=data_choice, config=config, spec=spec, model=model, overwrite=args.overwrite,
                            emit=emit, strategy=strategy, tensorboard=args.tensorboard, origin="cli")
        sessions.append(run.session)
        if run.folder.replaced:   # --overwrite: say where the old run went (the trash), it was not deleted
            print(f"--overwrite: {run.folder.replaced}", file=sys.stderr)
        _mention_skipped(run.data)
        precision = run.folder.read_json("meta.json").get("precision")
        if isinstance(precision, dict) and precision.get("setting") != "float32" and isinstance(
                precision.get("reason"), str):   # float32, the default, goes without saying
            print(f"precision: {precision['reason']}", file=sys.stderr)
        result = run.execute()
    except (DatasetError, RunError, SpecError, TrainingError) as exc:
        raise CliError(str(exc)) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"{result.status}: {result.message}; test accuracy {result.test_accuracy:.4f}; run folder {out}")
    if result.status == "interrupted":
        print(f"resume with: cnnviz-cli train --resume --out {out}")
        return 130
    return 0 if result.status == "completed" else 1


def _import_model(path: str):
    from pathlib import Path

    from cnnviz.core.model.model_io import ModelFileError, load_model_file
    from cnnviz.core.train.runs import RunDirectory, RunError

    p = Path(path)
    if p.is_dir():  # a run folder: its final model, else its last checkpoint
        try:
            run = RunDirectory.open(p)
        except RunError as exc:
            raise CliError(str(exc)) from None
        p = run.final_model if run.final_model.exists() else run.last_checkpoint
    try:
        return load_model_file(p)
    except ModelFileError as exc:
        raise CliError(str(exc)) from None


def cmd_export(args: argparse.Namespace) -> int:
    import numpy as np

    from cnnviz.core.io.export import ExportError, export_model

    imported = _import_model(args.model)
    x_check = None
    if args.check_images:
        dims = tuple(imported.model.inputs[0].shape[1:])
        if any(d is None for d in dims):
            raise CliError(f"{args.model}: its input {dims} has no fixed size; give --check-images 0 to skip the "
                           "parity check")
        shape = tuple(int(d) for d in dims)
        x_check = np.random.default_rng(0).random((args.check_images,) + shape, dtype=np.float32)
    try:
        report = export_model(imported.model, args.format, args.out, x_check=x_check)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(report.describe())
    return 0


def cmd_inspect_model(args: argparse.Namespace) -> int:
    from cnnviz.core.model.shapes import summary_table

    imported = _import_model(args.model)
    if imported.spec is None:
        print(f"{args.model}: {imported.read_only_reason}")
        imported.model.summary(print_fn=print)
        return 0
    print(summary_table(imported.spec))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cnnviz-cli", description="cnnviz headless commands")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("summary", help="print a model's layers, output shapes and parameter counts")
    p.add_argument("--preset", help="a preset name (see `cnnviz-cli presets`); default: lecture")
    p.add_argument("--spec", help="a model spec JSON file saved by the app")
    p.add_argument("--formulas", action="store_true", help="also print each layer's shape and parameter formula")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("train", help="train a model with no screen, writing a run folder")
    p.add_argument("--out", required=True, help="run folder to write (or, with --resume, to continue)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--overwrite", action="store_true", help="start again in a folder that holds an old run")
    p.add_argument("--preset", help="a preset name (default: fast)")
    p.add_argument("--spec", help="a model spec JSON file")
    p.add_argument("--model", help="a .keras model to train further")
    p.add_argument("--config", help="a run config exported by the app (model, training settings and data)")
    p.add_argument("--dataset", default="mnist_sample", help="registry name (see `cnnviz-cli datasets`)")
    p.add_argument("--data-dir", help="folder holding the dataset's files (else $CNNVIZ_DATA_DIR)")
    p.add_argument("--data-path", help="an npz file, IDX folder or image folder")
    p.add_argument("--limit", "--celeba-train-limit", dest="limit", type=_whole(1),
                   help="use only N training images, as the Training tab's 'Images to use': chosen at random with "
                        "the seed, each class keeping its share, in file order")
    p.add_argument("--image-size", help="image folders: read the images at HxW (default 28x28)")
    p.add_argument("--color-mode", choices=["grayscale", "rgb"], default="grayscale",
                   help="image folders: read the images as grayscale or rgb")
    p.add_argument("--attribute", help="celeba: the attribute to predict (default Male; e.g. Smiling)")
    p.add_argument("--celeba-valid-limit", type=_whole(1), help="celeba: use only the first N validation images "
                   "(celeba brings its own validation split; --val-count/--val-fraction do not apply)")
    p.add_argument("--celeba-test-limit", type=_whole(1), help="celeba: use only the first N test images")
    p.add_argument("--epochs", type=int, help="epochs to train (default: the preset's recipe, else 5)")
    p.add_argument("--batch-size", type=int, help="images per step (default: the preset's recipe, else 64)")
    p.add_argument("--optimizer", choices=["adam", "sgd", "rmsprop"], help="default: the preset's recipe, else adam")
    p.add_argument("--lr", type=float, help="learning rate (the schedule's peak; default: the preset's recipe, "
                                            "else 0.001)")
    p.add_argument("--schedule", choices=["constant", "warmup_cosine"],
                   help="learning rate over the run: constant, or a warm-up then a cosine decay to 0 (default: the "
                        "preset's recipe, else constant)")
    p.add_argument("--precision", choices=["float32", "mixed_bfloat16", "mixed_float16", "auto"], default="float32",
                   help="dtype policy: mixed_bfloat16 is ~2x faster on CPUs with AVX-512 BF16/AMX, mixed_float16 on "
                        "GPUs with tensor cores; auto picks from the hardware and says why (default float32)")
    p.add_argument("--loss", default="auto", choices=["auto", "sparse_categorical_crossentropy",
                                                      "categorical_crossentropy", "binary_crossentropy"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--deterministic", action="store_true",
                   help="TensorFlow op determinism: bit-identical reruns with the same seed (slower)")
    p.add_argument("--val-count", type=_whole(1), help="hold out this many training images for validation")
    p.add_argument("--val-fraction", type=float, help="hold out this fraction (default 0.1)")
    p.add_argument("--flip", action="store_true", help="augment: random horizontal flips")
    p.add_argument("--rotation", type=float, default=0.0, help="augment: up to +/- degrees")
    p.add_argument("--shift", type=float, default=0.0, help="augment: up to +/- this fraction")
    p.add_argument("--brightness", type=float, default=0.0, help="augment: up to +/- this (0..1 images)")
    p.add_argument("--contrast", type=float, default=0.0, help="augment: contrast factor 1 +/- this")
    p.add_argument("--tensorboard", action="store_true",
                   help="also write TensorBoard logs to OUT/tensorboard (view with: tensorboard --logdir OUT)")
    p.add_argument("--strategy", choices=["none", "mirrored"], default="none",
                   help="mirrored: tf.distribute.MirroredStrategy over the local GPUs (or --devices)")
    p.add_argument("--devices", help="comma-separated devices for --strategy mirrored, e.g. /gpu:0,/gpu:1")
    p.set_defaults(func=cmd_train, default_preset="fast")

    p = sub.add_parser("export", help="export a trained model (a .keras file or a run folder), verified")
    p.add_argument("model", help="a .keras model file or a run folder")
    p.add_argument("--format", required=True, choices=["keras", "weights", "savedmodel", "tflite", "onnx"])
    p.add_argument("--out", required=True, help="file (or folder, for savedmodel) to write")
    p.add_argument("--check-images", type=_whole(0), default=8,
                   help="random images used to verify parity (0: no parity check)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="load a .keras model and show its layers (as the builder would)")
    p.add_argument("model", help="a .keras model file or a run folder")
    p.set_defaults(func=cmd_inspect_model)

    p = sub.add_parser("presets", help="list the built-in architectures")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("datasets", help="list the datasets cnnviz can load")
    p.set_defaults(func=cmd_datasets)

    from cnnviz.cli_explain import add_commands as add_explain_commands

    add_explain_commands(sub)   # explain, visualize (issue 17)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The one rule: a user's mistake (bad input, a full disk) is one line on stderr and exit 2; anything else is
    one line naming a crash report (traceback and versions, see cnnviz.core.errors) and exit 1."""
    from cnnviz.core.errors import crash_line, user_message
    from cnnviz.core.tf_runtime import quiet_tensorflow_logs

    quiet_tensorflow_logs()   # before anything imports TensorFlow
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("cnnviz-cli: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the top-level rule: every exception ends in one line
        message = user_message(exc)
        if message is not None:
            print(f"cnnviz-cli: error: {message}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"cnnviz-cli: {crash_line(exc, where='cnnviz-cli ' + str(getattr(args, 'command', '')))}",
              file=sys.stderr)
        return EXIT_CRASH


if __name__ == "__main__":
    raise SystemExit(main())
