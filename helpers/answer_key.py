"""The course's own computation of exercise answers that depend on the trained model or the machine.

A check cell cannot hold such an answer as a fingerprint (it differs from run to run), and it should not spell
the solution out either. So it calls one of these functions with the notebook's data; each returns a *property*,
a function of the student's answer that is ``True`` when the answer is right, for ``helpers.notebook.check``:

    check("stops", nb05_patience_stops(val_loss), hint="...")

Where the right answer is a dataset or an array, the function takes the student's value and answers whether it
has the property (``nb01_``, ``nb02_``). Every property answers ``False`` (never an exception) for a value of the
wrong kind. Names start with the number of the notebook that uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

Property = Callable[[Any], bool]


def _safely(test: Property) -> Property:
    """``test``, answering ``False`` instead of raising for an answer of the wrong kind."""

    def prop(answer: Any) -> bool:
        try:
            return bool(test(answer))
        except Exception:  # a list for a number, a string for an array...: simply not right
            return False

    return prop


def _pair(value: Any) -> tuple[int, int]:
    first, second = value
    return int(first), int(second)


# ------------------------------------------------------------------------------------------ notebooks 01, 02
def nb01_first_batch_mixes_digits(dataset: Any, at_least: int = 5) -> bool:
    """Whether the first batch of a labelled dataset holds at least ``at_least`` different digits (a shuffled
    directory dataset does; one read folder by folder starts with 32 zeros). One-hot or integer labels.

    >>> import tensorflow as tf
    >>> in_order = tf.data.Dataset.from_tensor_slices((np.zeros((64, 2)), np.repeat(np.arange(2), 32))).batch(32)
    >>> nb01_first_batch_mixes_digits(in_order)
    False
    """
    _, labels = next(iter(dataset))
    labels = np.asarray(labels)
    digits = labels.argmax(axis=-1) if labels.ndim == 2 else labels
    return len(set(digits.tolist())) >= at_least


def nb02_test_images_in_batches_of_64(dataset: Any) -> bool:
    """Whether ``dataset`` yields the bundled test split's images in batches of 64, the last batch holding what
    is left over (as ``Dataset.batch(64)`` does without ``drop_remainder``).

    >>> import tensorflow as tf
    >>> nb02_test_images_in_batches_of_64(tf.data.Dataset.from_tensor_slices(np.zeros((2000, 28, 28, 1))).batch(32))
    False
    """
    from helpers.data import load_arrays
    from helpers.paths import TEST_DIR

    total = len(load_arrays(TEST_DIR)[1])
    sizes = [int(np.shape(batch[0] if isinstance(batch, tuple) else batch)[0]) for batch in dataset]
    full, rest = divmod(total, 64)
    return sizes == [64] * full + ([rest] if rest else [])


def nb02_pixels_in_minus_one_to_one(images: Any) -> bool:
    """Whether ``images`` are the bundled training images with pixel values mapped linearly from [0, 255] to
    [-1, 1] (0 becomes -1, 255 becomes 1), with or without the channel axis.

    >>> nb02_pixels_in_minus_one_to_one(np.zeros((8000, 28, 28)))
    False
    """
    from helpers.data import load_arrays
    from helpers.paths import TRAIN_DIR

    raw = load_arrays(TRAIN_DIR, normalize=False)[0].astype(np.float64)
    answer = np.asarray(images, dtype=np.float64)
    if answer.size != raw.size:
        return False
    return bool(np.allclose(answer.reshape(raw.shape), raw / 127.5 - 1, atol=1e-4))


# --------------------------------------------------------------------------------------------- notebook 05
def nb05_early_stopping(values: Sequence[float], patience: int) -> tuple[int, int]:
    """The rule of ``keras.callbacks.EarlyStopping`` (lower is better, ties do not count) on a finished history:
    ``(epoch training stops after, epoch whose weights are kept)``, epochs counted from 1.

    >>> nb05_early_stopping([0.5, 0.4, 0.45, 0.41, 0.3], patience=2)
    (4, 2)
    >>> nb05_early_stopping([0.5, 0.4, 0.3], patience=2)
    (3, 3)
    """
    best, best_epoch = float("inf"), 0
    for epoch, value in enumerate(values, start=1):
        if value < best:
            best, best_epoch = value, epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(values), best_epoch


def nb05_patience_stops(val_loss: Sequence[float], patiences: Sequence[int] = (1, 10)) -> Property:
    """Property of ``{patience: (stop epoch, kept epoch)}`` for each of ``patiences`` on ``val_loss``.

    >>> nb05_patience_stops([0.5, 0.4, 0.45, 0.41], patiences=(1,))({1: (3, 2)})
    True
    """
    truth = {int(p): nb05_early_stopping(val_loss, p) for p in patiences}
    return _safely(
        lambda answer: (
            isinstance(answer, Mapping)
            and set(answer) == set(truth)
            and all(_pair(answer[p]) == truth[p] for p in truth)
        )
    )


def nb05_accuracy_stops(val_accuracy: Sequence[float], patience: int = 3) -> Property:
    """Property of ``(stop epoch, kept epoch)`` of the early-stopping rule watching an accuracy (higher is better).

    >>> nb05_accuracy_stops([0.90, 0.95, 0.95, 0.94, 0.93], patience=3)((5, 2))
    True
    """
    truth = nb05_early_stopping([-float(a) for a in val_accuracy], patience)
    return _safely(lambda answer: _pair(answer) == truth)


def nb05_rises_within(val_loss: Sequence[float], epochs: int = 5) -> Property:
    """Property of ``True``/``False``: does ``val_loss`` go up from one epoch to the next within its first ``epochs``?

    >>> nb05_rises_within([0.3, 0.2, 0.25], epochs=3)(True), nb05_rises_within([0.3, 0.2, 0.25], epochs=2)(True)
    (True, False)
    """
    truth = bool(np.any(np.diff(np.asarray(val_loss, dtype=float)[:epochs]) > 0))
    return _safely(lambda answer: isinstance(answer, (bool, np.bool_)) and bool(answer) == truth)


# --------------------------------------------------------------------------------------------- notebook 06
def nb06_clipped_loss(p_true: np.ndarray, floor: float) -> Property:
    """Property of the per-image loss ``-log(p)`` with each probability clipped to ``[floor, 1]``.

    >>> nb06_clipped_loss(np.array([1.0, 1e-9]), floor=1e-3)(np.array([0.0, 6.9078]))
    True
    """
    truth = -np.log(np.clip(np.asarray(p_true, dtype=np.float64), floor, 1.0))
    return _safely(lambda answer: np.shape(answer) == truth.shape and np.allclose(answer, truth, atol=1e-4))


def nb06_recall_and_precision(matrix: np.ndarray, digit: int) -> Property:
    """Property of ``(recall, precision)`` of ``digit``, from a confusion matrix (rows: true, columns: predicted).

    >>> nb06_recall_and_precision(np.array([[9, 1], [3, 7]]), digit=1)((0.7, 0.875))
    True
    """
    matrix = np.asarray(matrix)
    truth = (matrix[digit, digit] / matrix[digit].sum(), matrix[digit, digit] / matrix[:, digit].sum())
    return _safely(lambda answer: len(answer) == 2 and bool(np.allclose(np.asarray(answer, dtype=float), truth)))


def nb06_blank_cells(pairs: Sequence[tuple[int, int, int]], per_pair: int) -> Property:
    """Property of the number of empty cells in ``plot_confused_pairs(..., pairs, per_pair)``'s grid.

    >>> nb06_blank_cells([(4, 9, 3), (8, 5, 7)], per_pair=5)(2)
    True
    """
    truth = sum(per_pair - min(int(count), per_pair) for _, _, count in pairs)
    return _safely(lambda answer: not isinstance(answer, bool) and float(answer) == truth)


# --------------------------------------------------------------------------------------------- notebook 07
def nb07_expected_mistakes(predictions: np.ndarray, labels: np.ndarray, grid: int) -> Property:
    """Property of the expected number of mistakes among ``grid`` random test digits (``grid`` x the error rate).

    >>> nb07_expected_mistakes(np.array([1, 2, 3, 3]), np.array([1, 2, 3, 4]), grid=8)(2.0)
    True
    """
    truth = grid * float(np.mean(np.asarray(predictions) != np.asarray(labels)))
    return _safely(lambda answer: not isinstance(answer, bool) and abs(float(answer) - truth) < 1e-6)


def nb07_human_review(
    confidence: np.ndarray, predictions: np.ndarray, labels: np.ndarray, threshold: float
) -> Property:
    """Property of ``(images below the confidence threshold, mistakes among them)``.

    >>> nb07_human_review(np.array([0.5, 0.99, 0.6]), np.array([1, 2, 3]), np.array([1, 0, 0]), 0.9)((2, 1))
    True
    """
    unsure = np.asarray(confidence) < threshold
    wrong = np.asarray(predictions) != np.asarray(labels)
    truth = (int(unsure.sum()), int((unsure & wrong).sum()))
    return _safely(lambda answer: _pair(answer) == truth)


def nb07_shifted_accuracy(model: Any, images: np.ndarray, labels: np.ndarray, shift: int) -> Property:
    """Property of the model's accuracy on ``images`` moved ``shift`` pixels to the right (``np.roll``)."""
    from helpers.evaluation import predict_probabilities

    shifted = np.roll(images, shift, axis=2)
    truth = float(np.mean(predict_probabilities(model, shifted).argmax(axis=1) == np.asarray(labels)))
    return _safely(lambda answer: not isinstance(answer, bool) and abs(float(answer) - truth) < 1e-6)


# --------------------------------------------------------------------------------------------- notebook 08
def nb08_model_input_of(paper: np.ndarray) -> Property:
    """Property of the model input (the ``"centred 28x28"`` step) that ``canvas_to_steps`` makes of ``paper``."""
    from helpers.playground import canvas_to_steps

    truth = canvas_to_steps(paper)["centred 28x28"]
    return _safely(
        lambda answer: np.shape(np.squeeze(answer)) == truth.shape and np.allclose(np.squeeze(answer), truth, atol=1e-6)
    )


def nb08_correct_per_digit(labels: np.ndarray, predictions: np.ndarray) -> Property:
    """Property of ``{digit: number of test digits of that true digit the model reads correctly}``.

    >>> nb08_correct_per_digit(np.array([0, 0, 1]), np.array([0, 1, 1]))({0: 1, 1: 1, **{d: 0 for d in range(2, 10)}})
    True
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    truth = {digit: int(((labels == digit) & (predictions == digit)).sum()) for digit in range(10)}
    return _safely(lambda answer: isinstance(answer, Mapping) and {int(k): int(v) for k, v in answer.items()} == truth)


# ------------------------------------------------------------------------------------------ notebooks 09-12
def _roughness(values: np.ndarray) -> float:
    """Mean absolute difference between neighbouring pixels, down and across."""
    return float(np.abs(np.diff(values, axis=0)).mean() + np.abs(np.diff(values, axis=1)).mean())


def nb09_conv1_value(model: Any, image: np.ndarray, channel: int, row: int, col: int) -> Callable[[Any], bool]:
    """09, exercise 1: right for the value Keras's ``conv1`` outputs at ``(row, col)`` of ``channel``.

    >>> import keras
    >>> model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3, name="conv1")])
    >>> image = np.ones((28, 28, 1), dtype="float32")
    >>> value = float(model(image[np.newaxis])[0, 5, 5, 1])
    >>> nb09_conv1_value(model, image, 1, 5, 5)(value), nb09_conv1_value(model, image, 1, 5, 5)(value + 1)
    (True, False)
    """
    from helpers.explain import feature_maps

    keras_value = float(feature_maps(model, image, ["conv1"])["conv1"][row, col, channel])
    return lambda answer: bool(np.isclose(float(answer), keras_value, rtol=1e-5, atol=1e-7))


def nb09_smoother_saliency(model: Any, image: np.ndarray) -> Callable[[Any], bool]:
    """09, exercise 2: right for a ``(28, 28)`` saliency map of ``image`` at least 10% smoother (mean jump between
    neighbouring pixels) than the plain ``saliency_map(model, image)``."""
    from helpers.explain import saliency_map

    plain = _roughness(saliency_map(model, image))

    def smoother(answer: Any) -> bool:
        values = np.asarray(answer, dtype=float)
        return values.shape == (28, 28) and _roughness(values) < 0.9 * plain

    return smoother


def nb12_same_weights(reference: Sequence[np.ndarray]) -> Callable[[Any], bool]:
    """12, exercise 3: right for a list of weight arrays equal (to 1e-5) to ``reference``, which was trained.

    >>> same = nb12_same_weights([np.zeros(3)])
    >>> same([np.zeros(3)]), same([np.ones(3)]), same([])
    (True, False, False)
    """

    def same(answer: Any) -> bool:
        answer = list(answer)
        return len(answer) == len(reference) and all(
            np.shape(a) == np.shape(b) and np.allclose(a, b, atol=1e-5) for a, b in zip(answer, reference)
        )

    return same


def nb11_changed_by_shifts(improved: Any, images: np.ndarray) -> Callable[[Any], bool]:
    """11, exercise 1: right for the number of ``images`` whose predicted digit changes when the improved
    committee reads them without its 8 one-pixel shifts (its two members averaged on the digit as it stands)."""
    from helpers.model import average_models

    members = [improved.get_layer(f"improved_cnn_{m}") for m in (1, 2)]
    unshifted = average_models(members, name="answer_key_no_shifts")
    shifted_answers = improved.predict(images, verbose=0).argmax(axis=1)
    count = int((unshifted.predict(images, verbose=0).argmax(axis=1) != shifted_answers).sum())
    return lambda answer: float(answer) == count
