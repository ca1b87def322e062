"""How far the figures the notebooks assert on move when the trained weights change.

Trained weights differ from machine to machine (CPU, instruction set, oneDNN or not, thread count, GPU)
and with the seed.  Every assert on a trained result in the notebooks needs a floor outside that spread.
This script trains the models the notebooks assert on, under several seeds and with TensorFlow's
arithmetic changed, computes each asserted figure exactly as the notebook does, and writes a table:

    python benchmarks/spread.py                                   # everything (about 40 min on 2 cores)
    python benchmarks/spread.py --seeds 42 1 --parts reference    # a quick look
    python benchmarks/spread.py --table benchmarks/results/spread/spread.json

Each run is a fresh process with its own environment: ``COURSE_SEED`` (the seed every notebook takes),
``TF_ENABLE_ONEDNN_OPTS=0`` (TensorFlow's plain Eigen kernels instead of oneDNN's) or
``TF_NUM_INTRAOP_THREADS=1`` (one thread: other summation orders).  Parts: ``reference`` (the 20-epoch
model of notebooks 04-09 and 11), ``tiny`` (02's one-epoch dense network), ``playground`` (08's quick run),
``ablation`` (10's one-change-at-a-time table), ``improved`` (11's committee), ``mirrored`` (11's
MirroredStrategy epoch).  Results: ``benchmarks/results/spread/spread.json`` (every run) and ``spread.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PARTS = ("reference", "tiny", "playground", "mirrored", "ablation", "improved")
ARITHMETIC = {
    "default": {},
    "onednn-off": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    "onednn-on": {"TF_ENABLE_ONEDNN_OPTS": "1"},
    "one-thread": {"TF_NUM_INTRAOP_THREADS": "1"},
}

# figure -> (notebook, the assert as the notebook writes it, "min" or "max": the side a failure comes from)
FIGURES: dict[str, tuple[str, str, str]] = {
    "ref.final_val_accuracy": ("04", ">= 0.975", "min"),
    "ref.loss_drop": ("05", "loss[0] / loss[-1] >= 20", "min"),
    "ref.val_over_train_loss": ("05", "val_loss[-1] / loss[-1] >= 3", "min"),
    "ref.train_minus_val_accuracy": ("05", "accuracy[-1] - val_accuracy[-1] > 0", "min"),
    "ref.best_epoch": ("05", "best_epoch < 20", "max"),
    "ref.val_loss_rise": ("05", "val_loss[-1] / val_loss.min() > 1", "min"),
    "ref.early_stop_epoch": ("05", "stop_epoch < 20", "max"),
    "ref.test_accuracy": ("06/08/09", ">= 0.975", "min"),
    "ref.test_loss": ("06", "<= 0.2", "max"),
    "ref.loss_vs_keras": ("06", "abs(evaluate_model - evaluate) < 1e-4", "max"),
    "ref.clipped_over_exact": ("06", "clipped - exact image loss <= 1e-4", "max"),
    "ref.mistakes_share_of_loss": ("06", "> 0.5", "min"),
    "ref.min_recall": ("06", ">= 0.9", "min"),
    "ref.confused_pairs": ("06", ">= 4", "min"),
    "ref.mistakes": ("07/09", "4 <= mistakes <= 50", "both"),
    "ref.paper_seven_top": ("08", "== 7", "both"),
    "ref.edge_similarity_min": ("09", "> 0.5", "min"),
    "ref.conv2_zero_share": ("09", "> 0.3", "min"),
    "ref.neighbour_purity": ("09", "> 0.9", "min"),
    "ref.digit800_p_true": ("09", "digit 800 predicted right (p > 0.5)", "min"),
    "tiny.loss_ratio": ("02", "raw_loss / scaled_loss > 2", "min"),
    "tiny.accuracy_gain": ("02", "scaled - raw accuracy > 0.03", "min"),
    "playground.accuracy": ("08", ">= 0.85", "min"),
    "playground.below_reference": ("08", "reference - quick accuracy > 0", "min"),
    "mirrored.val_accuracy": ("11", "> 0.7", "min"),
    "ablation.min_val_accuracy": ("10", "> 0.9", "min"),
    "ablation.baseline_train_loss": ("10", "< 0.05", "max"),
    "ablation.baseline_val_loss_rise": ("10", "val_loss[-1] / val_loss.min() > 1", "min"),
    "ablation.full_over_baseline_train_loss": ("10", "> 3", "min"),
    "ablation.baseline_minus_full_val_loss": ("10", "> 0", "min"),
    "improved.test_accuracy": ("11", ">= 0.988", "min"),
    "improved.minus_reference_accuracy": ("11", ">= 0", "min"),
}


# ------------------------------------------------------------------------------------------- workers
def _weights_digest(model: Any) -> str:
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()[:12]


def part_reference() -> dict[str, Any]:
    """Notebooks 04-09 and 11: the reference model, and every figure computed from it."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    from helpers.data import load_arrays, load_dataset
    from helpers.evaluation import evaluate_model, most_confused_pairs, predict_one
    from helpers.explain import feature_maps, first_layer_filters, layer_activations
    from helpers.paths import TEST_DIR
    from helpers.playground import canvas_to_steps, paper_drawing, top_predictions
    from helpers.training import train_reference

    model, history = train_reference()
    loss, val_loss = np.array(history["loss"]), np.array(history["val_loss"])
    accuracy, val_accuracy = np.array(history["accuracy"]), np.array(history["val_accuracy"])
    best_epoch = int(np.argmin(val_loss)) + 1
    stop_epoch = len(val_loss)
    best, best_at = np.inf, 0
    for epoch, value in enumerate(val_loss, start=1):  # EarlyStopping(patience=3), as notebook 05 does it
        if value < best:
            best, best_at = value, epoch
        elif epoch - best_at >= 3:
            stop_epoch = epoch
            break

    images, labels = load_arrays(TEST_DIR)
    keras_loss, keras_accuracy = model.evaluate(load_dataset(TEST_DIR), verbose=0)
    result = evaluate_model(model, images, labels)
    mistakes = result["misclassified"]
    image_loss = result["image_losses"]
    recalls = [result["report"][str(d)]["recall"] for d in range(10)]

    sevens = np.flatnonzero(labels == 7)
    paper = paper_drawing(images[sevens[0]], offset=(-50, 40), ink=0.6)
    paper_top = top_predictions(predict_one(model, canvas_to_steps(paper)["centred 28x28"]))[0][0]

    kernels = first_layer_filters(model)
    top_edge = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
    templates = [top_edge, -top_edge, top_edge.T, -top_edge.T]
    similarity = [max(np.corrcoef(k.ravel(), t.ravel())[0, 1] for k in kernels) for t in templates]
    maps = feature_maps(model, images[800])
    activations = layer_activations(model, images, "dense")
    _, neighbours = NearestNeighbors(n_neighbors=11).fit(activations).kneighbors(activations)
    purity = float(np.mean(labels[neighbours[:, 1:]] == labels[:, None]))

    return {
        "weights": _weights_digest(model),
        "ref.final_val_accuracy": float(val_accuracy[-1]),
        "ref.loss_drop": float(loss[0] / loss[-1]),
        "ref.val_over_train_loss": float(val_loss[-1] / loss[-1]),
        "ref.train_minus_val_accuracy": float(accuracy[-1] - val_accuracy[-1]),
        "ref.best_epoch": best_epoch,
        "ref.val_loss_rise": float(val_loss[-1] / val_loss.min()),
        "ref.early_stop_epoch": stop_epoch,
        "ref.test_accuracy": float(keras_accuracy),
        "ref.test_loss": float(keras_loss),
        "ref.loss_vs_keras": abs(result["loss"] - keras_loss),
        "ref.clipped_over_exact": float(
            np.max(-np.log(np.clip(result["probabilities"][np.arange(len(labels)), labels], 1e-7, 1.0)) - image_loss)
        ),
        "ref.underflows": int(np.sum(result["probabilities"][np.arange(len(labels)), labels] < 1e-7)),
        "ref.mistakes_share_of_loss": float(image_loss[mistakes].sum() / image_loss.sum()),
        "ref.min_recall": float(min(recalls)),
        "ref.confused_pairs": len(most_confused_pairs(result["confusion_matrix"], top=5)),
        "ref.mistakes": len(mistakes),
        "ref.paper_seven_top": int(paper_top),
        "ref.edge_similarity_min": float(min(similarity)),
        "ref.conv2_zero_share": float(np.mean(maps["conv2"] == 0)),
        "ref.neighbour_purity": purity,
        "ref.digit800_p_true": float(result["probabilities"][800, labels[800]]),
        "ref.final_train_loss": float(loss[-1]),
        "ref.final_train_accuracy": float(accuracy[-1]),
    }


def part_tiny() -> dict[str, Any]:
    """Notebook 02: a tiny dense network, one epoch on raw and on scaled pixels."""
    import keras
    from keras import layers

    from helpers.data import load_arrays
    from helpers.paths import TEST_DIR, TRAIN_DIR, course_seed

    raw, labels = load_arrays(TRAIN_DIR, normalize=False)
    raw_test, test_labels = load_arrays(TEST_DIR, normalize=False)
    raw, raw_test = raw[..., 0], raw_test[..., 0]
    scaled, scaled_test = raw.astype("float32") / 255.0, raw_test.astype("float32") / 255.0

    def train_tiny(train_images, test_images):  # as notebook 02 writes it
        keras.backend.clear_session()
        keras.utils.set_random_seed(course_seed())
        model = keras.Sequential(
            [
                keras.Input(shape=(28, 28)),
                layers.Flatten(),
                layers.Dense(64, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(train_images, keras.utils.to_categorical(labels, 10), epochs=1, batch_size=32, verbose=0)
        _, test_accuracy = model.evaluate(test_images, keras.utils.to_categorical(test_labels, 10), verbose=0)
        return history.history["loss"][0], test_accuracy

    raw_loss, raw_accuracy = train_tiny(raw, raw_test)
    scaled_loss, scaled_accuracy = train_tiny(scaled, scaled_test)
    return {
        "tiny.loss_ratio": raw_loss / scaled_loss,
        "tiny.accuracy_gain": scaled_accuracy - raw_accuracy,
        "tiny.raw_accuracy": raw_accuracy,
        "tiny.scaled_accuracy": scaled_accuracy,
    }


def part_playground() -> dict[str, Any]:
    """Notebook 08: the playground's quick run (defaults: 3 epochs on 2,000 digits)."""
    from helpers.data import load_arrays
    from helpers.paths import TEST_DIR, course_seed
    from helpers.playground import PLAYGROUND_DEFAULTS, playground_settings_to_kwargs, train_and_evaluate

    settings = playground_settings_to_kwargs(**{**PLAYGROUND_DEFAULTS, "seed": course_seed()})
    quick = train_and_evaluate(settings, *load_arrays(TEST_DIR))
    return {"playground.accuracy": quick["accuracy"], "playground.epochs_run": quick["epochs_run"]}


def part_mirrored() -> dict[str, Any]:
    """Notebook 11: one epoch under MirroredStrategy on 2,048 training digits."""
    import keras
    import numpy as np
    import tensorflow as tf

    from helpers.data import arrays_dataset, load_arrays
    from helpers.evaluation import evaluate_model
    from helpers.model import build_custom_cnn
    from helpers.paths import TRAIN_DIR, course_seed
    from helpers.training import carve_validation, compile_reference, set_seed

    seed = course_seed()
    images, labels = load_arrays(TRAIN_DIR)
    fit_idx, val_idx = carve_validation(labels, fraction=0.1, seed=seed)
    strategy = tf.distribute.MirroredStrategy()
    keras.backend.clear_session()
    set_seed(seed)
    subset = np.random.default_rng(seed).choice(fit_idx, size=2048, replace=False)
    subset_ds = arrays_dataset(images[subset], labels[subset], batch_size=64, shuffle=True, seed=seed)
    with strategy.scope():
        mirrored = compile_reference(build_custom_cnn(name="mirrored_cnn"), steps_per_execution=1)
    mirrored.fit(subset_ds, epochs=1, verbose=0)
    return {"mirrored.val_accuracy": evaluate_model(mirrored, images[val_idx], labels[val_idx])["accuracy"]}


CHANGES = [
    ("reference architecture", {}),
    ("+ dropout", {"dropout": 0.3}),
    ("+ batch normalization", {"batch_norm": True}),
    ("+ data augmentation", {"augment": True}),
    ("+ learning-rate schedule", {"lr_schedule": True}),
]


def part_ablation() -> dict[str, Any]:
    """Notebook 10: the one-change-at-a-time table: 12 epochs on 3,000 training digits (10% of them carved
    for validation), scored on the other 5,000 training digits, which no run sees."""
    import numpy as np

    from helpers.data import load_arrays
    from helpers.evaluation import evaluate_model
    from helpers.paths import TRAIN_DIR, course_seed
    from helpers.training import carve_validation, train_custom

    seed, train_size = course_seed(), 3000
    images, labels = load_arrays(TRAIN_DIR)
    _, picked = carve_validation(labels, fraction=train_size / len(labels), seed=seed)
    unseen = np.setdiff1d(np.arange(len(labels)), picked)
    table, options, histories = [], {}, {}
    for name, change in CHANGES:  # as notebook 10 writes it (build_variant is build_custom_cnn, checked there)
        options = {**options, **change}
        model, history = train_custom(**options, epochs=12, train_size=train_size, seed=seed)
        histories[name] = history
        score = evaluate_model(model, images[unseen], labels[unseen])
        table.append(
            {
                "variant": name,
                "val accuracy": score["accuracy"],
                "val loss": score["loss"],
                "last train loss": history["loss"][-1],
                "epochs run": len(history["loss"]),
            }
        )
    rows = {row["variant"]: row for row in table}
    baseline, full = rows["reference architecture"], rows[CHANGES[-1][0]]
    baseline_val_loss = histories["reference architecture"]["val_loss"]
    return {
        "ablation.baseline_val_loss_rise": baseline_val_loss[-1] / min(baseline_val_loss),
        "ablation.min_val_accuracy": min(row["val accuracy"] for row in table),
        "ablation.baseline_train_loss": baseline["last train loss"],
        "ablation.full_over_baseline_train_loss": full["last train loss"] / baseline["last train loss"],
        "ablation.baseline_minus_full_val_loss": baseline["val loss"] - full["val loss"],
        "ablation.rows": table,
    }


def part_improved() -> dict[str, Any]:
    """Notebook 11: the improved committee, scored once on the test split."""
    from helpers.data import load_arrays
    from helpers.evaluation import evaluate_model
    from helpers.paths import TEST_DIR
    from helpers.training import train_improved

    model, history = train_improved()
    result = evaluate_model(model, *load_arrays(TEST_DIR))
    return {
        "improved.test_accuracy": result["accuracy"],
        "improved.test_loss": result["loss"],
        "improved.epochs": len(history["loss"]),
        "weights_improved": _weights_digest(model),
    }


def worker(part: str) -> None:
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    from helpers.training import set_seed

    set_seed()
    started = time.perf_counter()
    figures = globals()[f"part_{part}"]()
    figures[f"seconds.{part}"] = round(time.perf_counter() - started, 1)
    print("RESULT " + json.dumps(figures))


# ------------------------------------------------------------------------------------------- runner
def run_one(seed: int, arithmetic: str, part: str) -> dict[str, Any]:
    env = {**os.environ, "COURSE_SEED": str(seed), "PYTHONHASHSEED": "0", **ARITHMETIC[arithmetic]}
    env["COURSE_MODELS_DIR"] = str(REPO / "models" / "spread")  # never touches the course's models/
    done = subprocess.run(
        [sys.executable, __file__, "--worker", part], capture_output=True, text=True, env=env, cwd=REPO
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"error: part {part}, seed {seed}, {arithmetic} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def derived(run: dict[str, Any]) -> None:
    if "playground.accuracy" in run and "ref.test_accuracy" in run:
        run["playground.below_reference"] = run["ref.test_accuracy"] - run["playground.accuracy"]
    if "improved.test_accuracy" in run and "ref.test_accuracy" in run:
        run["improved.minus_reference_accuracy"] = run["improved.test_accuracy"] - run["ref.test_accuracy"]


def table(runs: list[dict[str, Any]]) -> str:
    """The spread of every asserted figure over all runs, as Markdown."""
    lines = ["| notebook | figure | assert | min | max | mean | runs |", "|---|---|---|---:|---:|---:|---:|"]
    for name, (notebook, check, _) in FIGURES.items():
        values = [run[name] for run in runs if name in run]
        if not values:
            continue
        show = (lambda v: f"{v:.4g}") if any(isinstance(v, float) for v in values) else str
        lines.append(
            f"| {notebook} | `{name}` | `{check}` | {show(min(values))} | {show(max(values))} | "
            f"{show(sum(values) / len(values))} | {len(values)} |"
        )
    header = [
        "| run | seed | arithmetic | reference weights | ref. test accuracy | improved test accuracy |",
        "|---|---:|---|---|---:|---:|",
    ]
    for i, run in enumerate(runs, start=1):
        improved = f"{run['improved.test_accuracy']:.4f}" if "improved.test_accuracy" in run else "-"
        reference = f"{run['ref.test_accuracy']:.4f}" if "ref.test_accuracy" in run else "-"
        header.append(
            f"| {i} | {run['seed']} | {run['arithmetic']} | {run.get('weights', '-')} | {reference} | {improved} |"
        )
    return "\n".join(header) + "\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2, 3, 4])
    parser.add_argument(
        "--perturb",
        nargs="*",
        default=["onednn-off", "one-thread"],
        choices=list(ARITHMETIC)[1:],
        help="arithmetic changes, each run with seed 42 (the first seed)",
    )
    parser.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "spread" / "spread.json")
    parser.add_argument("--table", type=Path, help="print the table of a saved result and stop")
    parser.add_argument("--worker", choices=PARTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    if args.table:
        print(table(json.loads(args.table.read_text())["runs"]))
        return 0
    configs = [(seed, "default") for seed in args.seeds] + [(args.seeds[0], name) for name in args.perturb]
    previous = json.loads(args.out.read_text())["runs"] if args.out.is_file() else []
    runs = {(r["seed"], r["arithmetic"]): r for r in previous}
    for part in args.parts:  # every config gets the quick parts before any gets the slow ones
        for seed, arithmetic in configs:
            print(f"{part:10} seed {seed:<3} {arithmetic:10} ...", end=" ", flush=True)
            figures = run_one(seed, arithmetic, part)
            run = runs.setdefault((seed, arithmetic), {"seed": seed, "arithmetic": arithmetic})
            run.update(figures)
            derived(run)
            print(f"{figures[f'seconds.{part}']:.0f} s", flush=True)
            report = {
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
                "runs": list(runs.values()),
            }
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=1) + "\n")
            args.out.with_suffix(".md").write_text(table(report["runs"]))
    print(table(list(runs.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
