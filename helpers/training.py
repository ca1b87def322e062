"""Training recipes, seeds and load-or-train.

The notebooks write ``compile`` and ``fit`` themselves; these functions run the *same* recipe for the
CLI (``python -m helpers train``) and for notebooks that need a trained model but were opened first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.data import TEST_DIR, TRAIN_DIR, load_arrays, load_dataset
from helpers.model import build_cnn
from helpers.model_files import check_output_path, load_model, save_model_files
from helpers.paths import REFERENCE_MODEL

EpochHook = Callable[[int, dict[str, float]], None]


def set_seed(seed: int = 42) -> None:
    """Seed Python, numpy and TensorFlow (``keras.utils.set_random_seed``): same run, same result."""
    import keras

    keras.utils.set_random_seed(seed)


def compile_reference(model: Any, learning_rate: float = 1e-3) -> Any:
    """The seed's compile step: Adam, categorical cross-entropy, accuracy."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def epoch_callback(hook: EpochHook) -> Any:
    """A Keras callback that calls ``hook(epoch_number, logs)`` after each epoch (epochs count from 1)."""
    import keras

    return keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: hook(epoch + 1, {k: float(v) for k, v in (logs or {}).items()}))


def format_epoch(epoch: int, epochs: int, logs: dict[str, float], seconds: float | None = None) -> str:
    """One progress line: ``epoch  3/20  loss 0.0712  accuracy 0.9779  val_loss ...``."""
    parts = [f"epoch {epoch:>2}/{epochs}"] + [f"{key} {value:.4f}" for key, value in logs.items()]
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    return "  ".join(parts)


def train_reference(train_dir: Path | str = TRAIN_DIR, val_dir: Path | str = TEST_DIR, epochs: int = 20,
                    seed: int = 42, batch_size: int = 32, on_epoch_end: EpochHook | None = None) -> tuple[Any, dict]:
    """Train the seed's recipe: ``build_cnn`` + Adam + categorical cross-entropy, ``epochs`` epochs,
    validating on ``val_dir`` (the seed validates on its test split).  Returns ``(model, history)``.

    All images are decoded before the first epoch, so a corrupt file stops it at once, by name.
    """
    load_arrays(train_dir), load_arrays(val_dir)  # decode (and check) every image before seeding
    set_seed(seed)
    train_ds = load_dataset(train_dir, batch_size=batch_size, shuffle=True, seed=seed)
    val_ds = load_dataset(val_dir, batch_size=batch_size)
    model = compile_reference(build_cnn())
    callbacks = [epoch_callback(on_epoch_end)] if on_epoch_end else []
    history = model.fit(train_ds, epochs=epochs, validation_data=val_ds, verbose=0, callbacks=callbacks,
                        shuffle=False)  # train_ds shuffles itself each epoch
    return model, history.history


def train_and_save(out: Path | str = REFERENCE_MODEL, recipe: str = "reference", log: Callable[[str], None] = print,
                   **options: Any) -> tuple[Any, dict, dict[str, Path]]:
    """Train a recipe, printing one line per epoch through ``log``, and save ``.keras``, ``.h5`` and the
    history JSON.  Returns ``(model, history, written paths)``."""
    from helpers import recipes

    out = check_output_path(out, (".keras",))
    train = recipes.RECIPES.get(recipe)
    if train is None:
        from helpers.errors import CourseError

        raise CourseError(f"unknown recipe {recipe!r}; choose one of: {', '.join(recipes.RECIPES)}")
    epochs = options.get("epochs", 20)
    started = [time.perf_counter()]

    def report(epoch: int, logs: dict[str, float]) -> None:
        now = time.perf_counter()
        log(format_epoch(epoch, epochs, logs, now - started[0]))
        started[0] = now

    model, history = train(on_epoch_end=report, **options)
    return model, history, save_model_files(model, out, history)


def load_or_train_reference(path: Path | str = REFERENCE_MODEL, log: Callable[[str], None] | None = None) -> Any:
    """Load the reference model from ``path`` if present, otherwise train it (20 epochs, seed 42, the
    same recipe as notebook 04) and save it there, so any notebook can be opened first."""
    path = Path(path)
    if path.is_file():
        return load_model(path)
    model, _, _ = train_and_save(path, log=log or (lambda line: None))
    return model
