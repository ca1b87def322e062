"""``python -m helpers``: a thin command line over the helpers.

    python -m helpers data [DIR]
    python -m helpers train [--train DIR] [--val DIR] [--epochs 20] [--seed 42] [--recipe reference]
                            [--out models/mnist_cnn_model.keras]
    python -m helpers evaluate --model PATH [--data DIR] [--json]
    python -m helpers predict --model PATH IMAGE... [--json]
    python -m helpers import-idx IMAGES LABELS OUT_DIR
    python -m helpers bench [--runs 3] [--tiny] [--out benchmarks/results] [--table A.json B.json]

A user's mistake exits with status 2 and one line ``error: ...`` on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.paths import BUNDLED_DATASET, IMPROVED_MODEL, REFERENCE_MODEL, display_path


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one ``error: ...`` line and exit status 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CourseError(f"{message} (see: {self.prog} --help)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**32 - 1: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m helpers", description="Handwritten digit recognition with a CNN: the course CLI.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="validate and summarize a directory dataset")
    data.add_argument("dir", nargs="?", type=Path, default=BUNDLED_DATASET,
                      help="a dataset root (train/ and test/) or a split folder (default: the bundled dataset)")
    data.add_argument("--json", action="store_true", help="print one JSON object")

    train = commands.add_parser("train", help="train a CNN and save .keras, .h5 and history JSON")
    train.add_argument("--train", type=Path, default=BUNDLED_DATASET, metavar="DIR", help="training images")
    train.add_argument("--val", type=Path, default=BUNDLED_DATASET, metavar="DIR",
                       help="the test split: the reference recipe validates on it every epoch (as the seed "
                            "does); the improved recipe carves its validation digits from --train and scores "
                            "this split once, at the end")
    train.add_argument("--epochs", type=_positive_int, default=None, help="epochs (default: the recipe's, 20 for reference)")
    train.add_argument("--seed", type=_seed, default=None,
                       help="random seed of the run (default: 42, or the COURSE_SEED environment variable)")
    train.add_argument("--recipe", choices=_recipe_names(), default="reference",
                       help="'reference' is the seed's recipe")
    train.add_argument("--out", type=Path, default=None,
                       help=f"the .keras file to write (default: {display_path(REFERENCE_MODEL)}, or "
                            f"{display_path(IMPROVED_MODEL)} for --recipe improved, when the run uses the "
                            f"recipe's own settings; any other run goes to models/experiments/, so it never "
                            f"replaces the model the notebooks rely on)")

    evaluate = commands.add_parser("evaluate", help="accuracy, loss and per-class report of a model")
    evaluate.add_argument("--model", type=Path, required=True, help="a .keras or .h5 file")
    evaluate.add_argument("--data", type=Path, default=BUNDLED_DATASET, metavar="DIR",
                          help="a split folder, or a root whose test/ is used (default: the bundled test split)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    predict = commands.add_parser("predict", help="predict the digit in your own images")
    predict.add_argument("--model", type=Path, required=True, help="a .keras or .h5 file")
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    predict.add_argument("--json", action="store_true", help="print a JSON list")

    idx = commands.add_parser("import-idx", help="convert MNIST IDX files into class folders of PNGs")
    idx.add_argument("images", type=Path, metavar="IMAGES", help="e.g. train-images-idx3-ubyte.gz")
    idx.add_argument("labels", type=Path, metavar="LABELS", help="e.g. train-labels-idx1-ubyte.gz")
    idx.add_argument("out", type=Path, metavar="OUT_DIR", help="a new or empty folder (not inside data/)")

    from helpers import bench as bench_module

    bench = commands.add_parser("bench", help="time training and prediction; memory; FLOP/s vs the hardware")
    bench_module.add_arguments(bench, _positive_int)
    return parser


def _recipe_names() -> list[str]:
    from helpers.recipes import RECIPE_NAMES

    return list(RECIPE_NAMES)


def cmd_data(args: argparse.Namespace) -> int:
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


def cmd_train(args: argparse.Namespace) -> int:
    from helpers.data import list_images, resolve_split
    from helpers.model_files import check_output_path

    train_dir, val_dir = resolve_split(args.train, "train"), resolve_split(args.val, "test")
    for folder in (train_dir, val_dir):
        list_images(folder)
    if args.out is None:
        from helpers.training import planned_model_path

        out = planned_model_path(args.recipe, args.epochs, args.seed, train_dir, val_dir)
        if out not in (REFERENCE_MODEL, IMPROVED_MODEL):
            print(f"not the {args.recipe} recipe's own settings: saving to {display_path(out)} "
                  f"(--out PATH chooses another file)", flush=True)
    else:
        out = args.out
    check_output_path(out, (".keras",))
    from helpers import quiet_tensorflow

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
    model, history, written = train_and_save(out, recipe=args.recipe, log=lambda line: print(line, flush=True), **options)
    minutes = (time.perf_counter() - started) / 60
    final = f"val_accuracy {history['val_accuracy'][-1]:.4f}  val_loss {history['val_loss'][-1]:.4f}"
    print(f"done in {minutes:.1f} min: {final}")
    if args.recipe != "reference":
        from helpers.evaluation import evaluate_model

        test = evaluate_model(model, *load_arrays(val_dir))
        print(f"test split {display_path(val_dir)}: accuracy {test['accuracy']:.4f}  loss {test['loss']:.4f}")
    for kind, path in written.items():
        print(f"wrote {display_path(path)}")
    return 0


def _load_checked_model(path: Path) -> Any:
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    from helpers.model_files import check_digit_model, load_model

    return check_digit_model(load_model(path), path)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from helpers.data import list_images, resolve_split

    split = resolve_split(args.data, "test")
    list_images(split)
    model = _load_checked_model(args.model)
    from helpers.data import load_arrays
    from helpers.evaluation import evaluate_model, report_text

    images, labels = load_arrays(split)
    result = evaluate_model(model, images, labels)
    if args.json:
        print(json.dumps({
            "model": display_path(args.model), "data": display_path(split), "n": result["n"],
            "accuracy": result["accuracy"], "loss": result["loss"],
            "confusion_matrix": result["confusion_matrix"].tolist(), "per_class": result["report"],
        }))
        return 0
    print(f"{display_path(args.model)} on {display_path(split)} ({result['n']} images)")
    print(f"accuracy {result['accuracy']:.4f}  loss {result['loss']:.4f}  "
          f"misclassified {len(result['misclassified'])}")
    print(report_text(labels, result["predictions"]))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from helpers.data import open_image
    from helpers.own_images import mnist_steps

    inputs = []
    for path in args.images:  # check every image before loading the model
        inputs.append(mnist_steps(open_image(path))["centred 28x28"])
    model = _load_checked_model(args.model)
    from helpers.evaluation import predict_one

    results = []
    for path, image in zip(args.images, inputs):
        probabilities = predict_one(model, image)
        digit = int(probabilities.argmax())
        results.append({"image": str(path), "digit": digit, "confidence": float(probabilities[digit]),
                        "probabilities": [round(float(p), 6) for p in probabilities]})
    if args.json:
        print(json.dumps(results))
    else:
        for result in results:
            print(f"{result['image']}: {result['digit']} ({result['confidence']:.1%})")
    return 0


def cmd_import_idx(args: argparse.Namespace) -> int:
    from helpers.idx import import_idx

    counts = import_idx(args.images, args.labels, args.out)
    print(f"wrote {sum(counts.values())} images to {args.out}: " + "  ".join(f"{d}:{n}" for d, n in counts.items()))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from helpers.bench import command

    return command(args)


COMMANDS = {"data": cmd_data, "train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
            "import-idx": cmd_import_idx, "bench": cmd_bench}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 a user's mistake, 130 interrupted)."""
    command = None
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        return COMMANDS[command](args)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        what = "no results were written" if command == "bench" else "no model file was written"
        print(f"error: interrupted ({what})", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
