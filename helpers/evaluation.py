"""Evaluating a trained model: loss and accuracy, the confusion matrix, per-class precision/recall/F1
(from scikit-learn) and the misclassified samples."""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.data import NUM_CLASSES, one_hot

CLASS_NAMES = [str(d) for d in range(NUM_CLASSES)]


def predict_probabilities(model: Any, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(n, 10)`` for a batch of ``(n, 28, 28, 1)`` images, in batches, quietly."""
    return np.asarray(model.predict(images, batch_size=batch_size, verbose=0))


def predict_one(model: Any, image: np.ndarray) -> np.ndarray:
    """Class probabilities ``(10,)`` for one ``(28, 28)`` or ``(28, 28, 1)`` image.

    Uses ``model.predict_on_batch`` instead of ``model.predict``: for a single image ``predict`` builds a
    dataset, callbacks and a prediction loop on every call (tens to hundreds of milliseconds), while
    ``predict_on_batch`` runs Keras's compiled prediction step, traced once per model and then reused
    (about a millisecond; the first call pays the tracing).  Calling the model eagerly,
    ``model(batch, training=False)``, gives the same numbers but re-runs each layer in Python (~10 ms on a
    busy 2-core CPU).  ``python -m helpers bench`` measures all three.  This keeps widgets snappy.
    """
    batch = np.asarray(image, dtype=np.float32).reshape(1, 28, 28, 1)
    return np.asarray(model.predict_on_batch(batch))[0]


def confusion(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """The 10x10 confusion matrix: row = true digit, column = predicted digit (scikit-learn)."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predictions, labels=list(range(NUM_CLASSES)))


def per_class_report(labels: np.ndarray, predictions: np.ndarray) -> dict[str, Any]:
    """Precision, recall, F1 and support per digit, plus averages (scikit-learn's ``classification_report``)."""
    from sklearn.metrics import classification_report

    return classification_report(labels, predictions, labels=list(range(NUM_CLASSES)), target_names=CLASS_NAMES,
                                 output_dict=True, zero_division=0)


def report_text(labels: np.ndarray, predictions: np.ndarray) -> str:
    """The same report as a printable table."""
    from sklearn.metrics import classification_report

    return classification_report(labels, predictions, labels=list(range(NUM_CLASSES)), target_names=CLASS_NAMES,
                                 digits=4, zero_division=0)


def misclassified(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Indices of the samples whose prediction differs from the label."""
    return np.flatnonzero(np.asarray(labels) != np.asarray(predictions))


def most_confused_pairs(matrix: np.ndarray, top: int = 5) -> list[tuple[int, int, int]]:
    """The ``top`` off-diagonal cells of a confusion matrix as ``(true, predicted, count)``, largest first.

    >>> m = np.eye(10, dtype=int) * 9; m[4, 9] = 3; m[7, 1] = 1
    >>> most_confused_pairs(m, top=2)
    [(4, 9, 3), (7, 1, 1)]
    """
    off = np.array(matrix, copy=True)
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:top]
    pairs = [(int(i // off.shape[1]), int(i % off.shape[1]), int(off.flat[i])) for i in order]
    return [pair for pair in pairs if pair[2] > 0]


def evaluate_model(model: Any, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Everything about a model on one split: ``loss``, ``accuracy``, ``n``, ``predictions``,
    ``probabilities``, ``confusion_matrix``, ``report`` (per class) and ``misclassified`` indices.

    Loss is the mean categorical cross-entropy, as Keras reports it.
    """
    probabilities = predict_probabilities(model, images)
    predictions = probabilities.argmax(axis=1)
    clipped = np.clip(probabilities, 1e-7, 1.0)
    loss = float(-np.mean(np.sum(one_hot(labels) * np.log(clipped), axis=1)))
    return {
        "n": int(len(labels)),
        "loss": loss,
        "accuracy": float(np.mean(predictions == labels)),
        "predictions": predictions,
        "probabilities": probabilities,
        "confusion_matrix": confusion(labels, predictions),
        "report": per_class_report(labels, predictions),
        "misclassified": misclassified(labels, predictions),
    }
