"""``python -m helpers data|train|evaluate|predict|import-idx``: a thin command line over the helpers.

Arguments and output places are checked before TensorFlow is imported or any work starts.  Exit status
and one stderr line: 2 ``error: ...`` for a user's mistake, 130 for Ctrl-C (saying what was written), 1 for
a problem of the machine (a full disk).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from helpers import quiet_tensorflow
from helpers.errors import CourseError
from helpers.model_files import check_digit_model, check_model_file, check_output_path, load_model, model_set_paths
from helpers.paths import BUNDLED_DATASET, IMPROVED_MODEL, REFERENCE_MODEL, display_path
from helpers.recipes import IMPROVED, RECIPE_NAMES, RECIPES
from helpers.style import format_probability

PROG = "python -m helpers"
MAKE_REFERENCE = f" (make it with: {PROG} train)"

DIR_HELP = """\
A DIR is a split folder of class folders 0..9 holding images (PNG, JPG, BMP or GIF; any size, mode and bit
depth: they are converted to 28x28 8-bit grayscale), or a dataset root holding train/ and test/:

  data/reduced_mnist/            a dataset root (the bundled one)
    train/0/*.png ... train/9/*.png
    test/0/*.png  ... test/9/*.png

Only the folder names 0..9 name classes; hidden entries (starting with a dot) are ignored."""


def _examples(*lines: str, note: str = DIR_HELP) -> str:
    """An epilog: ``examples:``, one ``python -m helpers ...`` line each, then ``note``."""
    return "examples:\n" + "".join(f"  {PROG} {line}\n" for line in lines) + "\n" + note


EXAMPLES = {
    "main": _examples(
        "data                                # check and summarize the bundled dataset",
        f"train                               # the reference model -> {display_path(REFERENCE_MODEL)}",
        "evaluate                            # score it on the bundled test split",
        "predict my_digit.png                # read your own digit",
        "COMMAND --help                      # each command's options",
    ),
    "data": _examples("data", "data ~/mnist --json"),
    "train": _examples(
        f"train                                     # 20 epochs -> {display_path(REFERENCE_MODEL)}",
        f"train --recipe improved                   # -> {display_path(IMPROVED_MODEL)}",
        "train --epochs 5 --out models/quick.keras",
        "train --train ~/mnist --val ~/mnist --out models/full_mnist.keras",
        note="Writes four files together (or none): PATH.keras, PATH.h5, PATH.history.json, "
        "PATH.meta.json.\n\n" + DIR_HELP,
    ),
    "evaluate": _examples(
        "evaluate",
        "evaluate --model models/mnist_cnn_improved.keras --json",
        "evaluate --model my_model.h5 --data ~/mnist",
    ),
    "predict": _examples(
        "predict my_digit.png",
        "predict --model models/mnist_cnn_improved.keras photo1.jpg photo2.png --json",
        note="An image may be a photo or a drawing: dark ink on light paper or light on dark, "
        "any size; it is cropped,\nfitted into 20x20 pixels and centred in 28x28, as MNIST "
        "was made.",
    ),
    "import-idx": _examples(
        "import-idx train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz datasets/mnist/train",
        "import-idx t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz datasets/mnist/test",
        note="OUT_DIR then holds OUT_DIR/<digit>/<digit>_<index>.png: a split folder for --train, --val or --data.",
    ),
}


class CourseParser(argparse.ArgumentParser):
    """argparse, but a bad argument raises ``CourseError``: one ``error: ...`` line, status 2, no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CourseError(f"{message} (see: {self.prog} --help)")


def _whole_number(text: str, low: int, high: float, wanted: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not low <= value < high:
        raise argparse.ArgumentTypeError(f"{wanted}: {text!r}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number, at least 1."""
    return _whole_number(text, 1, math.inf, "must be at least 1")


def _seed(text: str) -> int:
    return _whole_number(text, 0, 2**32, "must be between 0 and 2**32 - 1")


def _command(commands: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=EXAMPLES[name],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m helpers`` (every command, its options, help texts and examples)."""
    parser = CourseParser(
        prog=PROG,
        description="Handwritten digit recognition with a CNN: the course's command line.",
        epilog=EXAMPLES["main"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    reference = display_path(REFERENCE_MODEL)
    bundled = display_path(BUNDLED_DATASET)

    data = _command(commands, "data", "validate and summarize a directory dataset")
    data.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=BUNDLED_DATASET,
        metavar="DIR",
        help=f"a dataset root (train/ and test/) or a split folder (default: {bundled})",
    )
    data.add_argument("--json", action="store_true", help="print one JSON object")

    train = _command(commands, "train", "train a CNN and save .keras, .h5, history and metadata files")
    train.add_argument(
        "--train",
        type=Path,
        default=BUNDLED_DATASET,
        metavar="DIR",
        help=f"training images: a split, or a root whose train/ is used (default: {bundled})",
    )
    train.add_argument(
        "--val",
        type=Path,
        default=BUNDLED_DATASET,
        metavar="DIR",
        help="the test split, or a root whose test/ is used (default: the bundled one): the reference "
        "recipe validates on it every epoch (as the seed does); the improved recipe carves its "
        "validation digits from --train and scores this split once, at the end",
    )
    train.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        metavar="N",
        help="epochs (default: the recipe's: " + ", ".join(f"{r.epochs} for {r.name}" for r in RECIPES.values()) + ")",
    )
    train.add_argument(
        "--seed",
        type=_seed,
        default=None,
        metavar="S",
        help="random seed of the run, 0..4294967295 (default: 42, or the COURSE_SEED environment variable)",
    )
    train.add_argument(
        "--recipe",
        choices=list(RECIPE_NAMES),
        default="reference",
        help="; ".join(f"'{r.name}': {r.summary}" for r in RECIPES.values()) + " (default: reference)",
    )
    train.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="PATH.keras",
        help=f"the .keras file to write (default: {reference}, or {display_path(IMPROVED_MODEL)} for "
        f"--recipe improved, when the run uses the recipe's own settings; any other run goes to "
        f"models/experiments/, so it never replaces the model the notebooks rely on)",
    )

    evaluate = _command(commands, "evaluate", "accuracy, loss and per-class report of a model")
    evaluate.add_argument(
        "--model", type=Path, default=None, metavar="PATH", help=f"a .keras or .h5 file (default: {reference})"
    )
    evaluate.add_argument(
        "--data",
        type=Path,
        default=BUNDLED_DATASET,
        metavar="DIR",
        help="a split folder, or a root whose test/ is used (default: the bundled test split)",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    predict = _command(commands, "predict", "predict the digit in your own images")
    predict.add_argument(
        "--model", type=Path, default=None, metavar="PATH", help=f"a .keras or .h5 file (default: {reference})"
    )
    predict.add_argument(
        "images",
        nargs="+",
        type=Path,
        metavar="IMAGE",
        help="image files (PNG, JPG, BMP or GIF) of one handwritten digit each",
    )
    predict.add_argument("--json", action="store_true", help="print a JSON list")

    idx = _command(commands, "import-idx", "convert MNIST IDX files into class folders of PNGs")
    idx.add_argument("images", type=Path, metavar="IMAGES", help="e.g. train-images-idx3-ubyte.gz (gzipped or not)")
    idx.add_argument("labels", type=Path, metavar="LABELS", help="e.g. train-labels-idx1-ubyte.gz")
    idx.add_argument("out", type=Path, metavar="OUT_DIR", help="a new or empty folder (not inside data/)")
    return parser


def cmd_data(args: argparse.Namespace, progress: dict[str, Any]) -> int:
    """``data``: validate and summarize a dataset, as text or JSON."""
    from helpers.data import summarize_dataset

    summary = summarize_dataset(args.dir)
    if args.json:
        print(json.dumps(summary))
        return 0
    for split, info in summary.items():
        counts = "  ".join(f"{d}:{n}" for d, n in info["per_class"].items())
        print(f"{split}: {info['total']} images in {info['path']}")
        print(f"  per class  {counts}")
        print(f"  sizes      {', '.join(f'{k} ({v})' for k, v in info['sizes'].items())}")
        print(f"  modes      {', '.join(f'{k} ({v})' for k, v in info['modes'].items())}")
    return 0


def _check_improved_split(pairs: list[tuple[Path, int]], folder: Path) -> None:
    """The improved recipe's stratified validation split needs 2 images per digit and one per digit each side."""
    counts = Counter(label for _, label in pairs)
    n, classes = len(pairs), len(counts)
    n_val = math.ceil(n * IMPROVED.validation_fraction)
    scarce = sorted(str(label) for label, count in counts.items() if count < 2)
    if scarce or n_val < classes or n - n_val < classes:
        need = math.ceil(classes / IMPROVED.validation_fraction)
        raise CourseError(
            f"too few images for --recipe improved in {folder}: it sets "
            f"{IMPROVED.validation_fraction:.0%} aside for validation, one or more of every digit, "
            f"so it needs at least 2 images per digit and {need} in all (found {n}"
            + (f"; digits {', '.join(scarce)} have fewer than 2" if scarce else "")
            + ")"
        )


def _model_set_state(out: Path) -> dict[str, tuple[int, int]]:
    state = {}
    for kind, path in model_set_paths(out).items():
        try:
            info = path.stat()
            state[kind] = (info.st_ino, info.st_mtime_ns)
        except OSError:
            pass
    return state


def cmd_train(args: argparse.Namespace, progress: dict[str, Any]) -> int:
    """``train``: check every argument and output place, then the data, then train and save the four files."""
    from helpers.data import list_images, resolve_split

    if args.out is not None:  # the output place first: a mistake there costs nothing
        check_output_path(args.out, (".keras",))
    train_dir, val_dir = resolve_split(args.train, "train"), resolve_split(args.val, "test")
    train_pairs = list_images(train_dir)
    list_images(val_dir)
    if args.recipe == "improved":
        _check_improved_split(train_pairs, train_dir)
    if args.out is None:
        from helpers.training import planned_model_path

        out = planned_model_path(args.recipe, args.epochs, args.seed, train_dir, val_dir)
        check_output_path(out, (".keras",))
        if out not in (REFERENCE_MODEL, IMPROVED_MODEL):
            print(
                f"not the {args.recipe} recipe's own settings: saving to {display_path(out)} "
                f"(--out PATH chooses another file)",
                flush=True,
            )
    else:
        out = args.out
    progress.update(out=out, before=_model_set_state(out))
    quiet_tensorflow()
    from helpers.data import load_arrays
    from helpers.training import train_and_save

    print(f"loading {display_path(train_dir)} and {display_path(val_dir)} ...", flush=True)
    for folder in (train_dir, val_dir):  # decodes every image: a corrupt one stops here, by name
        load_arrays(folder)
    options: dict[str, Any] = {"train_dir": train_dir, "val_dir": val_dir, "seed": args.seed}
    if args.epochs:
        options["epochs"] = args.epochs
    print(f"training recipe '{args.recipe}' ...", flush=True)
    started = time.perf_counter()
    model, history, written = train_and_save(
        out, recipe=args.recipe, log=lambda line: print(line, flush=True), **options
    )
    minutes = (time.perf_counter() - started) / 60
    final = f"val_accuracy {history['val_accuracy'][-1]:.4f}  val_loss {history['val_loss'][-1]:.4f}"
    print(f"done in {minutes:.1f} min: {final}")
    for path in written.values():
        print(f"wrote {display_path(path)}")
    if args.recipe != "reference":
        from helpers.evaluation import evaluate_model

        test = evaluate_model(model, *load_arrays(val_dir))
        print(f"test split {display_path(val_dir)}: accuracy {test['accuracy']:.4f}  loss {test['loss']:.4f}")
    return 0


def _model_path(args: argparse.Namespace) -> Path:
    """``--model``, or the reference model; checked without importing TensorFlow."""
    if args.model is None:
        if not REFERENCE_MODEL.exists():
            raise CourseError(f"model file not found: {display_path(REFERENCE_MODEL)}{MAKE_REFERENCE}")
        return check_model_file(REFERENCE_MODEL)
    return check_model_file(args.model)


def _load_checked_model(path: Path) -> Any:
    """Load a model file (importing TensorFlow, quietly) and check it reads 28x28 digits into 10 classes."""
    quiet_tensorflow()
    return check_digit_model(load_model(path), path)


def cmd_evaluate(args: argparse.Namespace, progress: dict[str, Any]) -> int:
    """``evaluate``: accuracy, loss and per-class report of a model on a test split."""
    from helpers.data import list_images, resolve_split

    model_path = _model_path(args)
    split = resolve_split(args.data, "test")
    list_images(split)
    model = _load_checked_model(model_path)
    from helpers.data import load_arrays
    from helpers.evaluation import evaluate_model, report_text

    images, labels = load_arrays(split)
    result = evaluate_model(model, images, labels)
    if args.json:
        print(
            json.dumps(
                {
                    "model": display_path(model_path),
                    "data": display_path(split),
                    "n": result["n"],
                    "accuracy": result["accuracy"],
                    "loss": result["loss"],
                    "confusion_matrix": result["confusion_matrix"].tolist(),
                    "per_class": result["report"],
                }
            )
        )
        return 0
    print(f"{display_path(model_path)} on {display_path(split)} ({result['n']} images)")
    print(f"accuracy {result['accuracy']:.4f}  loss {result['loss']:.4f}  misclassified {len(result['misclassified'])}")
    print(report_text(labels, result["predictions"]))
    return 0


def cmd_predict(args: argparse.Namespace, progress: dict[str, Any]) -> int:
    """``predict``: the digit in each image; every image is checked before the model loads."""
    from helpers.data import open_image
    from helpers.own_images import mnist_steps

    model_path = _model_path(args)
    inputs = [mnist_steps(open_image(path), name=str(path))["centred 28x28"] for path in args.images]
    model = _load_checked_model(model_path)
    from helpers.evaluation import predict_one

    results = []
    for path, image in zip(args.images, inputs):
        probabilities = predict_one(model, image)
        digit = int(probabilities.argmax())
        results.append(
            {
                "image": str(path),
                "digit": digit,
                "confidence": float(probabilities[digit]),
                "probabilities": [round(float(p), 6) for p in probabilities],
            }
        )
    if args.json:
        print(json.dumps(results))
    else:
        for result in results:
            print(f"{result['image']}: {result['digit']} ({format_probability(result['confidence'])})")
    return 0


def cmd_import_idx(args: argparse.Namespace, progress: dict[str, Any]) -> int:
    """``import-idx``: MNIST IDX files -> class folders of PNGs."""
    from helpers.idx import import_idx

    counts = import_idx(args.images, args.labels, args.out)
    print(f"wrote {sum(counts.values())} images to {args.out}: " + "  ".join(f"{d}:{n}" for d, n in counts.items()))
    return 0


COMMANDS = {
    "data": cmd_data,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "import-idx": cmd_import_idx,
}


def _interrupted(command: str | None, progress: dict[str, Any]) -> str:
    """What Ctrl-C left behind, truthfully."""
    if command == "import-idx":
        return "no dataset was written"
    if command != "train" or "out" not in progress:
        return "nothing was written"
    out = progress["out"]
    if _model_set_state(out) == progress["before"]:
        return f"no model file was written; {display_path(out)} and its files are as they were"
    return f"the model files were already saved: {display_path(out)} and its .h5, history and meta files"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 a user's mistake, 130 interrupted)."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not valid UTF-8 still prints
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    command = None
    progress: dict[str, Any] = {}
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        status = COMMANDS[command](args, progress)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not as a traceback at exit
        return status
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `python -m helpers data | head -1`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # the machine, not the input: a full disk, a vanished folder ...
        where = f": {exc.filename}" if exc.filename else " (standard output)"
        print(f"error: {exc.strerror or exc.__class__.__name__}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"error: interrupted ({_interrupted(command, progress)})", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
