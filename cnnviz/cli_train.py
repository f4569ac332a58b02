"""``cnnviz-cli train``, registered in :mod:`cnnviz.cli` by :func:`add_command`: one run of the core's single Run
(cnnviz.core.train.run) from flags, a preset's recipe or a run config, with per-epoch lines (and a per-batch bar on a
terminal), Ctrl-C to stop after the batch and ``--resume`` to continue.

    cnnviz-cli train --preset fast --dataset mnist_sample --epochs 3 --out runs/first
    cnnviz-cli train --resume --out runs/first
    cnnviz-cli train --config lenet.run.json --out runs/lenet
"""
from __future__ import annotations

import argparse
import sys

from cnnviz.cli import CliError, _load_spec, _whole

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


def add_command(sub) -> None:
    """The ``train`` sub-command of ``sub`` (the CLI's sub-parsers)."""
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
