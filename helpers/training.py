"""Training recipes, seeds and load-or-train: the notebooks' own recipe, for the CLI and for notebooks opened
before notebook 04 trained the model."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from helpers.data import TEST_DIR, TRAIN_DIR, arrays_dataset, load_arrays, load_dataset
from helpers.model import average_models, build_cnn, build_custom_cnn, build_improved_cnn, stack_models
from helpers.model_files import check_output_path, load_model, save_model_files
from helpers.paths import EXPERIMENTS_DIR, IMPROVED_MODEL, REFERENCE_MODEL, course_seed, display_path
from helpers.provenance import architecture, data_fingerprint, describe_run, mismatch, read_meta
from helpers.recipes import IMPROVED, REFERENCE, get_recipe, planned_epochs, training_settings

EpochHook = Callable[[int, dict[str, float]], None]


def set_seed(seed: int | None = None) -> int:
    """Seed Python, numpy and TensorFlow with ``seed`` (default: ``course_seed()``); returns the seed used."""
    import keras

    seed = course_seed() if seed is None else seed
    keras.utils.set_random_seed(seed)
    return seed


# Batches per call into Keras's compiled training step: with Keras's default, 1, handing TensorFlow each batch
# costs about a quarter of an epoch on a 2-core CPU.  Same batches, order and arithmetic, so identical weights
# (tests/test_benchmarks.py); epochs end at the same place.  Measured by ``python -m benchmarks``.
STEPS_PER_EXECUTION = 50


def compile_reference(
    model: Any,
    learning_rate: Any = REFERENCE.learning_rate,
    steps_per_execution: int = STEPS_PER_EXECUTION,
    loss: Any = "categorical_crossentropy",
) -> Any:
    """The seed's compile step, used by every recipe: Adam, categorical cross-entropy (or ``loss``), accuracy."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=loss,
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    return model


def epoch_callback(hook: EpochHook) -> Any:
    """A Keras callback that calls ``hook(epoch_number, logs)`` after each epoch (epochs count from 1)."""
    import keras

    return keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: hook(epoch + 1, {k: float(v) for k, v in (logs or {}).items()})
    )


def fit(
    model: Any,
    train_ds: Any,
    val_ds: Any,
    epochs: int,
    on_epoch_end: EpochHook | None = None,
    callbacks: list[Any] | tuple[Any, ...] = (),
) -> dict[str, list[float]]:
    """The helpers' one ``model.fit``, quiet, calling ``on_epoch_end(epoch, logs)``; returns the history dict."""
    hooks = [epoch_callback(on_epoch_end)] if on_epoch_end else []
    return model.fit(
        train_ds, epochs=epochs, validation_data=val_ds, verbose=0, callbacks=hooks + list(callbacks), shuffle=False
    ).history


def format_epoch(epoch: int, epochs: int, logs: dict[str, float], seconds: float | None = None) -> str:
    """One progress line: ``epoch  3/20  loss 0.0712  accuracy 0.9779  val_loss ...``."""
    parts = [f"epoch {epoch:>2}/{epochs}"] + [f"{key} {value:.4f}" for key, value in logs.items()]
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    return "  ".join(parts)


def train_reference(
    train_dir: Path | str = TRAIN_DIR,
    val_dir: Path | str = TEST_DIR,
    epochs: int = REFERENCE.epochs,
    seed: int | None = None,
    batch_size: int = REFERENCE.batch_size,
    on_epoch_end: EpochHook | None = None,
) -> tuple[Any, dict]:
    """Train the seed's recipe, validating on ``val_dir`` as the seed does; returns ``(model, history)``."""
    load_arrays(train_dir), load_arrays(val_dir)  # decode (and check) every image before seeding
    seed = set_seed(seed)
    train_ds = load_dataset(train_dir, batch_size=batch_size, shuffle=True, seed=seed)
    val_ds = load_dataset(val_dir, batch_size=batch_size)
    model = compile_reference(build_cnn())
    return model, fit(model, train_ds, val_ds, epochs, on_epoch_end)


def train_and_save(
    out: Path | str = REFERENCE_MODEL, recipe: str = "reference", log: Callable[[str], None] = print, **options: Any
) -> tuple[Any, dict, dict[str, Path]]:
    """Train a recipe, one ``log`` line per epoch, and save its files; returns ``(model, history, written)``."""
    out = check_output_path(out, (".keras",))
    train = {"reference": train_reference, "improved": train_improved}[get_recipe(recipe).name]
    epochs = planned_epochs(recipe, options)
    started = [time.perf_counter()]
    epoch_seconds: list[float] = []

    def report(epoch: int, logs: dict[str, float]) -> None:
        now = time.perf_counter()
        epoch_seconds.append(now - started[0])
        log(format_epoch(epoch, epochs, logs, epoch_seconds[-1]))
        started[0] = now

    model, history = train(on_epoch_end=report, **options)
    history = {**history, "epoch_seconds": epoch_seconds}  # wall time per epoch, kept with the history
    meta = run_settings(model, recipe, **options)
    return model, history, save_model_files(model, out, history, meta)


def _recipe_defaults(recipe: str) -> dict[str, Any]:
    """A recipe's run settings: its epochs and batch size, the bundled data (no test split when it carves its
    validation digits from the training ones)."""
    chosen = get_recipe(recipe)
    return {
        "epochs": chosen.epochs,
        "batch_size": chosen.batch_size,
        "train_dir": TRAIN_DIR,
        "val_dir": None if chosen.validation_fraction else TEST_DIR,
    }


def run_settings(model: Any, recipe: str = "reference", **options: Any) -> dict[str, Any]:
    """The metadata (``describe_run``) of a run of ``recipe`` with these options (else its defaults)."""
    settings = {
        **_recipe_defaults(recipe),
        **{k: v for k, v in options.items() if k in ("epochs", "batch_size", "train_dir", "val_dir")},
    }
    if get_recipe(recipe).validation_fraction:
        settings["val_dir"] = None  # the improved recipe never looks at the test split while training
    seed = options.get("seed")
    return describe_run(
        model,
        recipe,
        seed=course_seed() if seed is None else seed,
        settings=training_settings(recipe, options.get("members")),
        **settings,
    )


def expected_settings(recipe: str = "reference", with_architecture: bool = True) -> dict[str, Any]:
    """What a file must record to count as ``recipe``'s model (``with_architecture=False``: no TensorFlow)."""
    defaults = _recipe_defaults(recipe)
    expected = {
        "recipe": recipe,
        "settings": training_settings(recipe),
        "epochs": defaults["epochs"],
        "seed": course_seed(),
        "batch_size": defaults["batch_size"],
        "train_data": data_fingerprint(defaults["train_dir"]),
        "val_data": data_fingerprint(defaults["val_dir"]),
    }
    if with_architecture:
        if recipe == "improved":
            members = [build_improved_cnn(name=f"improved_cnn_{m + 1}") for m in range(IMPROVED.members)]
            expected["architecture"] = architecture(average_models(members, shifts=IMPROVED.shifts))
        else:
            expected["architecture"] = architecture(compile_reference(build_cnn()))
    return expected


def model_path_for(meta: dict[str, Any], expected: dict[str, Any] | None = None) -> Path:
    """Where a run belongs: the recipe's own file if it is as ``expected``, else ``models/experiments/``.

    >>> plan = {**expected_settings(with_architecture=False), "epochs": 2}
    >>> model_path_for(plan, expected_settings(with_architecture=False)).relative_to(EXPERIMENTS_DIR.parent).as_posix()
    'experiments/reference_epochs2_seed42.keras'
    """
    recipe = meta.get("recipe", "reference")
    expected = expected if expected is not None else expected_settings(recipe)
    if mismatch(meta, expected) is None:
        return IMPROVED_MODEL if recipe == "improved" else REFERENCE_MODEL
    name = f"{recipe}_epochs{meta['epochs']}_seed{meta['seed']}"
    if meta.get("batch_size") != expected["batch_size"]:
        name += f"_batch{meta['batch_size']}"
    for key, tag in (("architecture", "layers"), ("train_data", "data"), ("val_data", "val")):
        if key in expected and meta.get(key) != expected[key]:
            name += f"_{tag}-{str(meta.get(key))[:8]}"
    return EXPERIMENTS_DIR / f"{name}.keras"


def planned_model_path(
    recipe: str = "reference",
    epochs: int | None = None,
    seed: int | None = None,
    train_dir: Path | str = TRAIN_DIR,
    val_dir: Path | str = TEST_DIR,
) -> Path:
    """Where ``python -m helpers train`` saves a run without ``--out``, known before training (no TensorFlow)."""
    defaults = _recipe_defaults(recipe)
    plan = {
        "recipe": recipe,
        "settings": training_settings(recipe),
        "epochs": epochs or defaults["epochs"],
        "seed": course_seed() if seed is None else seed,
        "batch_size": defaults["batch_size"],
        "train_data": data_fingerprint(train_dir),
        "val_data": None if defaults["val_dir"] is None else data_fingerprint(val_dir),
    }
    return model_path_for(plan, expected_settings(recipe, with_architecture=False))


def save_run(
    model: Any,
    history: Any,
    *,
    epochs: int,
    seed: int,
    batch_size: int = REFERENCE.batch_size,
    train_dir: Path | str = TRAIN_DIR,
    val_dir: Path | str = TEST_DIR,
) -> dict[str, Path]:
    """Save a model of notebook 04 where it belongs (``model_path_for``); ``"why"`` says where and why."""
    meta = run_settings(
        model, "reference", epochs=epochs, seed=seed, batch_size=batch_size, train_dir=train_dir, val_dir=val_dir
    )
    path = model_path_for(meta)
    written: dict[str, Any] = save_model_files(model, path, history, meta)
    problem = mismatch(meta, expected_settings("reference"))
    written["why"] = (
        "the reference recipe with the course's settings: this is the reference model"
        if problem is None
        else f"not the reference model ({problem}), so it is kept apart as an experiment"
    )
    return written


def load_or_train_reference(path: Path | str = REFERENCE_MODEL, log: Callable[[str], None] | None = print) -> Any:
    """``load_or_train(path, "reference")``: so any notebook can be opened first."""
    return load_or_train(path, "reference", log)


def load_or_train(path: Path | str, recipe: str, log: Callable[[str], None] | None = print) -> Any:
    """Load ``path`` if its metadata says it is ``recipe``'s model, else say why, train it and save it there."""
    path = Path(path)
    say = log or (lambda line: None)
    minutes = "about a minute" if recipe == "reference" else "a few minutes"
    if path.is_file():
        problem = mismatch(read_meta(path), expected_settings(recipe))
        if problem is None:
            return load_model(path)
        say(
            f"{display_path(path)} is not the {recipe} model: {problem}. Training the {recipe} model "
            f"({minutes} on a CPU) ..."
        )
    else:
        say(f"{display_path(path)} not found: training the {recipe} model ({minutes} on a CPU) ...")
    model, _, _ = train_and_save(path, recipe=recipe, log=lambda line: None)
    say(f"saved {display_path(path)}")
    return model


def carve_validation(labels: np.ndarray, fraction: float = 0.1, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Split indices of a training set into ``(train, validation)``, stratified by digit, reproducibly.

    >>> train, val = carve_validation(np.repeat(np.arange(10), 10), fraction=0.2)
    >>> len(train), len(val), np.bincount(np.repeat(np.arange(10), 10)[val]).tolist()
    (80, 20, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2])
    """
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(labels))
    train, val = train_test_split(indices, test_size=fraction, random_state=seed, stratify=labels)
    return np.sort(train), np.sort(val)


def train_custom(
    filters: tuple[int, int] = (32, 64),
    dense_units: int = 128,
    dropout: float = 0.0,
    batch_norm: bool = False,
    augment: bool = False,
    learning_rate: float = 1e-3,
    lr_schedule: bool = False,
    early_stopping: bool = False,
    epochs: int = 5,
    train_size: int | None = None,
    seed: int | None = None,
    batch_size: int = 32,
    train_dir: Path | str = TRAIN_DIR,
    on_epoch_end: EpochHook | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[Any, dict]:
    """Train a ``build_custom_cnn`` on ``train_size`` digits, 10% of them for validation: ``(model, history)``."""
    import keras

    images, labels = load_arrays(train_dir)
    seed = set_seed(seed)
    if train_size is not None and train_size < len(labels):
        _, picked = carve_validation(labels, fraction=train_size / len(labels), seed=seed)
        images, labels = images[picked], labels[picked]
    fit_idx, val_idx = carve_validation(labels, fraction=0.1, seed=seed)
    train_ds = arrays_dataset(images[fit_idx], labels[fit_idx], batch_size, shuffle=True, seed=seed)
    val_ds = arrays_dataset(images[val_idx], labels[val_idx], batch_size=256)
    rate: Any = learning_rate
    if lr_schedule:
        steps = epochs * int(np.ceil(len(fit_idx) / batch_size))
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps, alpha=0.02)
    model = compile_reference(build_custom_cnn(filters, dense_units, dropout, batch_norm, augment), rate)
    callbacks = []
    if early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True))
    if stop is not None:

        def check_stop(epoch: int, logs: dict[str, float]) -> None:
            if stop():
                model.stop_training = True

        callbacks.append(epoch_callback(check_stop))
    return model, fit(model, train_ds, val_ds, epochs, on_epoch_end, callbacks)


def train_improved(
    train_dir: Path | str = TRAIN_DIR,
    val_dir: Path | str | None = None,
    epochs: int = IMPROVED.epochs,
    seed: int | None = None,
    batch_size: int = IMPROVED.batch_size,
    on_epoch_end: EpochHook | None = None,
    members: int = IMPROVED.members,
) -> tuple[Any, dict]:
    """The improved recipe (``helpers.recipes.IMPROVED``): ``members`` improved CNNs trained together in one
    ``fit`` (``stack_models``), Adam warming up for one epoch to 3e-3 then a cosine to 0, labels smoothed by
    0.1; the model returned averages their probabilities over the digit and its 8 one-pixel shifts.  Validation
    digits are carved from ``train_dir`` (``val_dir`` is ignored); the history holds the members' mean loss and
    accuracy."""
    import keras

    images, labels = load_arrays(train_dir)
    seed = set_seed(seed)
    fit_idx, val_idx = carve_validation(labels, fraction=IMPROVED.validation_fraction, seed=seed)
    committee = [build_improved_cnn(name=f"improved_cnn_{m + 1}", seed=seed + 1000 * m) for m in range(members)]
    one_hot = keras.utils.to_categorical(labels, 10)[:, np.newaxis].repeat(members, axis=1)  # a row per member
    train_ds = arrays_dataset(images[fit_idx], one_hot[fit_idx], batch_size, True, seed, categorical=False)
    val_ds = arrays_dataset(images[val_idx], one_hot[val_idx], batch_size=256, categorical=False)
    steps = int(np.ceil(len(fit_idx) / batch_size))
    warmup = IMPROVED.warmup_epochs
    schedule = keras.optimizers.schedules.CosineDecay(
        IMPROVED.warmup_from,
        alpha=0.0,
        decay_steps=max(epochs - warmup, 1) * steps,
        warmup_target=IMPROVED.learning_rate,
        warmup_steps=warmup * steps,
    )
    smoothed = keras.losses.CategoricalCrossentropy(label_smoothing=IMPROVED.label_smoothing)
    model = compile_reference(stack_models(committee), schedule, loss=smoothed)
    history = fit(model, train_ds, val_ds, epochs, on_epoch_end)
    return average_models(committee, shifts=IMPROVED.shifts), history
