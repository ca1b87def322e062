"""Properties the notebooks' checks use when the right answer depends on the trained model or the machine, so
the check cell can test an answer without showing the computation that gives it (``check(name, property)``).

Each ``nbNN_<what>`` returns a function of the student's answer that is ``True`` when the answer is right."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


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


def nb11_same_weights(reference: Sequence[np.ndarray]) -> Callable[[Any], bool]:
    """11, exercise 3: right for a list of weight arrays equal (to 1e-5) to ``reference``, which was trained.

    >>> same = nb11_same_weights([np.zeros(3)])
    >>> same([np.zeros(3)]), same([np.ones(3)]), same([])
    (True, False, False)
    """
    def same(answer: Any) -> bool:
        answer = list(answer)
        return len(answer) == len(reference) and all(
            np.shape(a) == np.shape(b) and np.allclose(a, b, atol=1e-5) for a, b in zip(answer, reference))
    return same


def nb10_changed_by_shifts(improved: Any, images: np.ndarray) -> Callable[[Any], bool]:
    """10, exercise 2: right for the number of ``images`` whose predicted digit changes when the improved
    committee reads them without its 8 one-pixel shifts (its two members averaged on the digit as it stands)."""
    from helpers.model import average_models
    members = [improved.get_layer(f"improved_cnn_{m}") for m in (1, 2)]
    unshifted = average_models(members, name="answer_key_no_shifts")
    shifted_answers = improved.predict(images, verbose=0).argmax(axis=1)
    count = int((unshifted.predict(images, verbose=0).argmax(axis=1) != shifted_answers).sum())
    return lambda answer: float(answer) == count
