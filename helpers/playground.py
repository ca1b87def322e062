"""The logic behind notebook 08's widgets (``helpers.widgets``), as plain functions to test or call directly."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from PIL import Image

from helpers.data import NUM_CLASSES, unit_pixels
from helpers.errors import CourseError
from helpers.evaluation import cross_entropy, predict_probabilities
from helpers.own_images import MAX_UPLOAD_BYTES, grayscale_as_seen, image_from_bytes, mnist_steps
from helpers.style import format_probability
from helpers.training import train_custom

#: What the explorer can show: every test digit, only the model's mistakes, or only its correct answers.
SHOW_OPTIONS = ("all", "misclassified", "correct")

#: The playground's starting values: the reference architecture, trained briefly (seconds on a laptop CPU).
PLAYGROUND_DEFAULTS: dict[str, Any] = {
    "conv1": 32,
    "conv2": 64,
    "dense_units": 128,
    "dropout": 0.0,
    "learning_rate": 1e-3,
    "epochs": 3,
    "train_size": 2000,
}

#: The smallest and largest value each playground setting accepts.
PLAYGROUND_LIMITS: dict[str, tuple[float, float]] = {
    "conv1": (4, 128),
    "conv2": (4, 128),
    "dense_units": (8, 512),
    "dropout": (0.0, 0.8),
    "learning_rate": (1e-5, 0.1),
    "epochs": (1, 30),
    "train_size": (200, 8000),
}


# ----------------------------------------------------------------------------------------- predictions
def top_predictions(probabilities: Sequence[float] | np.ndarray, k: int = 3) -> list[tuple[int, float]]:
    """The ``k`` most probable digits as ``(digit, probability)``, most probable first (ties: smaller digit).

    >>> top_predictions([0.1, 0.0, 0.7, 0.2, 0, 0, 0, 0, 0, 0], k=2)
    [(2, 0.7), (3, 0.2)]
    """
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if p.shape != (NUM_CLASSES,):
        raise CourseError(f"expected {NUM_CLASSES} class probabilities, got shape {np.shape(probabilities)}")
    order = np.argsort(-p, kind="stable")[: max(1, int(k))]
    return [(int(d), float(p[d])) for d in order]


def describe_prediction(probabilities: Sequence[float] | np.ndarray, true_label: int | None = None, k: int = 3) -> str:
    """One line for a prediction: the best guess, its confidence, the runners-up and, if known, the truth.

    >>> describe_prediction([0.01, 0, 0, 0, 0, 0, 0, 0.97, 0, 0.02], true_label=7)
    'predicted 7 (97.0%), then 9 (2.0%), 0 (1.0%) · true 7: correct'
    """
    (best, confidence), *others = top_predictions(probabilities, k)
    text = f"predicted {best} ({format_probability(confidence)})"
    if others:
        text += ", then " + ", ".join(f"{d} ({format_probability(p)})" for d, p in others)
    if true_label is not None:
        text += f" · true {int(true_label)}: " + ("correct" if best == int(true_label) else "WRONG")
    return text


# ------------------------------------------------------------------------------------------- explorer
def explorer_indices(
    labels: np.ndarray, predictions: np.ndarray, show: str = "all", digit: int | None = None
) -> np.ndarray:
    """Indices of the test digits to show (one of ``SHOW_OPTIONS``) of true label ``digit`` (``None``: any).

    >>> explorer_indices(np.array([3, 3, 5, 7]), np.array([3, 5, 5, 1]), "misclassified")
    array([1, 3])
    >>> explorer_indices(np.array([3, 3, 5, 7]), np.array([3, 5, 5, 1]), "all", digit=3)
    array([0, 1])
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise CourseError(f"labels {labels.shape} and predictions {predictions.shape} differ in shape")
    if show not in SHOW_OPTIONS:
        raise CourseError(f"show must be one of {', '.join(SHOW_OPTIONS)}; got {show!r}")
    keep = np.ones(labels.shape, dtype=bool)
    if show == "misclassified":
        keep &= labels != predictions
    elif show == "correct":
        keep &= labels == predictions
    if digit is not None:
        if not 0 <= int(digit) < NUM_CLASSES:
            raise CourseError(f"digit must be 0..9 or None; got {digit!r}")
        keep &= labels == int(digit)
    return np.flatnonzero(keep)


def metrics_from_probabilities(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """``accuracy``, ``loss``, ``n`` and ``misclassified`` (a count) of probabilities against integer labels."""
    probabilities, labels = np.asarray(probabilities, dtype=np.float64), np.asarray(labels)
    wrong = int(np.sum(probabilities.argmax(axis=1) != labels))
    return {
        "n": int(len(labels)),
        "accuracy": 1.0 - wrong / len(labels),
        "loss": float(cross_entropy(labels, probabilities).mean()),
        "misclassified": wrong,
    }


# ------------------------------------------------------------------------------------------ your image
def upload_to_steps(value: Any, max_bytes: int = MAX_UPLOAD_BYTES) -> dict[str, np.ndarray]:
    """A ``FileUpload.value`` (a tuple of dicts, or one dict) -> every ``mnist_steps`` step of its one image."""
    files = [value] if isinstance(value, Mapping) else list(value or ())
    if not files:
        raise CourseError("no file uploaded yet: choose an image of one digit")
    if len(files) > 1:
        raise CourseError(f"{len(files)} files uploaded: choose one image at a time")
    upload = files[0]
    name = str(upload.get("name") or "upload")
    kind = str(upload.get("type") or "")
    if kind and not kind.startswith("image/"):
        raise CourseError(f"not an image ({kind}): {name}")
    size = int(upload.get("size") or 0)
    if size > max_bytes:
        raise CourseError(f"file too large ({size / 1e6:.1f} MB, limit {max_bytes / 1e6:.0f} MB): {name}")
    content = upload.get("content")
    data = bytes(content) if content is not None else b""
    image = image_from_bytes(data, name=name, max_bytes=max_bytes)
    try:
        return mnist_steps(image)
    except CourseError as error:
        raise CourseError(f"{error}: {name}") from None


# ----------------------------------------------------------------------------------------- drawing pad
def canvas_to_steps(pixels: np.ndarray) -> dict[str, np.ndarray]:
    """The pixels of a drawing (gray, RGB or RGBA) -> every ``mnist_steps`` step, as for an upload."""
    array = np.asarray(pixels)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or min(array.shape[:2]) < 8:
        raise CourseError(f"expected canvas pixels of shape (height, width[, 3 or 4]), got {array.shape}")
    if array.dtype != np.uint8:
        array = np.rint(unit_pixels(array, "canvas pixels") * 255).astype(np.uint8)
    image = Image.fromarray(array)  # uint8: L, RGB or RGBA from the shape
    ink = grayscale_as_seen(image)
    if float(ink.max() - ink.min()) < 0.05:
        raise CourseError("draw a digit first: the canvas is empty")
    return mnist_steps(image)


def pad_pixels(data: bytes, size: int = 280) -> np.ndarray:
    """What the drawing pad sends (``size * size`` gray bytes, row by row) -> a ``(size, size)`` uint8 array.

    >>> pad_pixels(bytes([0, 255, 255, 0]), size=2)
    array([[  0, 255],
           [255,   0]], dtype=uint8)
    """
    if len(data) != size * size:
        raise CourseError(f"expected {size}x{size} = {size * size:,} pixels from the drawing pad, got {len(data):,}")
    return np.frombuffer(bytes(data), dtype=np.uint8).reshape(size, size)


def canvas_to_input(rgba: np.ndarray) -> np.ndarray:
    """The pixels of a drawing -> the ``(28, 28, 1)`` float32 model input (``canvas_to_steps``'s last step)."""
    return canvas_to_steps(rgba)["centred 28x28"][..., np.newaxis].astype(np.float32)


def paper_drawing(image: np.ndarray, size: int = 280, offset: tuple[int, int] = (0, 0), ink: float = 1.0) -> np.ndarray:
    """A 28x28 digit redrawn as dark ink on white paper, ``size`` x ``size`` RGBA, moved by ``offset`` pixels."""
    digit = unit_pixels(np.reshape(image, (28, 28)), "the digit")
    side = int(size * 0.6)
    big = (
        np.asarray(
            Image.fromarray((digit * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BILINEAR),
            dtype=np.float32,
        )
        / 255.0
    )
    page = np.ones((size, size), dtype=np.float32)
    top = int(np.clip((size - side) // 2 + offset[0], 0, size - side))
    left = int(np.clip((size - side) // 2 + offset[1], 0, size - side))
    page[top : top + side, left : left + side] -= big * float(np.clip(ink, 0.0, 1.0))
    gray = np.clip(page * 255, 0, 255).astype(np.uint8)
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


# -------------------------------------------------------------------------------- hyperparameter playground
def playground_settings_to_kwargs(
    conv1: int = 32,
    conv2: int = 64,
    dense_units: int = 128,
    dropout: float = 0.0,
    learning_rate: float = 1e-3,
    epochs: int = 3,
    train_size: int = 2000,
    seed: int = 42,
) -> dict[str, Any]:
    """The playground's widget values, checked against ``PLAYGROUND_LIMITS`` -> ``train_custom`` arguments.

    >>> playground_settings_to_kwargs(conv1=8, conv2=16, epochs=1, train_size=200)["filters"]
    (8, 16)
    """
    values = {
        "conv1": conv1,
        "conv2": conv2,
        "dense_units": dense_units,
        "dropout": dropout,
        "learning_rate": learning_rate,
        "epochs": epochs,
        "train_size": train_size,
    }
    for name, value in values.items():
        low, high = PLAYGROUND_LIMITS[name]
        if not isinstance(value, (int, float, np.integer, np.floating)) or not low <= value <= high:
            raise CourseError(f"{name} must be between {low:g} and {high:g}; got {value!r}")
    return {
        "filters": (int(conv1), int(conv2)),
        "dense_units": int(dense_units),
        "dropout": float(dropout),
        "learning_rate": float(learning_rate),
        "epochs": int(epochs),
        "train_size": int(train_size),
        "seed": int(seed),
    }


def plural(count: int, word: str) -> str:
    """``plural(1, "epoch")`` -> ``'1 epoch'``, ``plural(3, "epoch")`` -> ``'3 epochs'``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def describe_settings(kwargs: Mapping[str, Any]) -> str:
    """One line for ``train_custom`` arguments: ``conv 32/64, dense 128, dropout 0.0, lr 0.001, 3 epochs ...``."""
    conv1, conv2 = kwargs["filters"]
    return (
        f"conv {conv1}/{conv2}, dense {kwargs['dense_units']}, dropout {kwargs['dropout']:.1f}, "
        f"lr {kwargs['learning_rate']:.2g}, {plural(kwargs['epochs'], 'epoch')} on {kwargs['train_size']:,} digits"
    )


def epoch_line(epoch: int, epochs: int, logs: Mapping[str, float]) -> str:
    """Progress after one epoch: ``epoch 2/3: accuracy 91.2%, validation accuracy 93.0%``."""
    text = f"epoch {epoch}/{epochs}"
    parts = [
        f"{name.replace('val_', 'validation ')} {logs[name]:.1%}"
        for name in ("accuracy", "val_accuracy")
        if name in logs
    ]
    return text + (": " + ", ".join(parts) if parts else "")


def train_and_evaluate(
    kwargs: Mapping[str, Any],
    test_images: np.ndarray,
    test_labels: np.ndarray,
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """``train_custom(**kwargs)``, then the model's test metrics, ``history``, ``epochs_run`` and ``seconds``."""
    started = time.perf_counter()
    model, history = train_custom(**kwargs, on_epoch_end=on_epoch_end, stop=stop)
    metrics = metrics_from_probabilities(predict_probabilities(model, test_images), test_labels)
    return {
        "model": model,
        "history": history,
        "epochs_run": len(history.get("loss", [])),
        "seconds": time.perf_counter() - started,
        **metrics,
    }


def compare_with_reference(result: Mapping[str, Any], reference: Mapping[str, float]) -> str:
    """Your playground model against the reference model, on the same test split, in two lines.

    >>> print(compare_with_reference({"accuracy": 0.95, "loss": 0.17}, {"accuracy": 0.99, "loss": 0.04}))
    your model:      test accuracy 95.00%, loss 0.1700
    reference model: test accuracy 99.00%, loss 0.0400  (yours: -4.00 points of accuracy)
    """
    difference = 100 * (result["accuracy"] - reference["accuracy"])
    return (
        f"your model:      test accuracy {result['accuracy']:.2%}, loss {result['loss']:.4f}\n"
        f"reference model: test accuracy {reference['accuracy']:.2%}, loss {reference['loss']:.4f}"
        f"  (yours: {difference:+.2f} points of accuracy)"
    )
