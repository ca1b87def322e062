"""Evaluating a trained model: loss, accuracy, confusion matrix, per-class report and the mistakes."""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.data import NUM_CLASSES

# Keras clips probabilities to [1e-7, 1 - 1e-7] before taking the log, when it only has probabilities
EPSILON = 1e-7

CLASS_NAMES = [str(d) for d in range(NUM_CLASSES)]


def predict_probabilities(model: Any, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(n, 10)`` for a batch of ``(n, 28, 28, 1)`` images, in batches, quietly."""
    return np.asarray(model.predict(images, batch_size=batch_size, verbose=0))


def predict_one(model: Any, image: np.ndarray) -> np.ndarray:
    """Class probabilities ``(10,)`` for one image, with ``predict_on_batch``: about a millisecond, where
    ``predict`` sets up a prediction loop per call and eager calls re-run each layer in Python (benchmarks)."""
    batch = np.asarray(image, dtype=np.float32).reshape(1, 28, 28, 1)
    return np.asarray(model.predict_on_batch(batch))[0]


def log_probabilities(model: Any, images: np.ndarray, batch_size: int = 256) -> np.ndarray | None:
    """``log p`` of every class ``(n, 10)`` from the logits under a softmax ``Dense`` last layer, as Keras's
    loss does (exact even where ``p`` is 0.0 in float32); ``None`` for any other last layer (a committee)."""
    import keras

    last = model.layers[-1]
    activation = getattr(last, "activation", None)
    if not isinstance(last, keras.layers.Dense) or getattr(activation, "__name__", "") != "softmax":
        return None
    features = keras.Model(model.inputs, last.input).predict(images, batch_size=batch_size, verbose=0)
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in last.get_weights())
    logits = np.asarray(features, dtype=np.float64) @ kernel + bias
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(
    labels: np.ndarray, probabilities: np.ndarray | None = None, log_probs: np.ndarray | None = None
) -> np.ndarray:
    """``-log p(true digit)`` of every image, from ``log_probs``, else ``probabilities`` clipped at 1e-7, as Keras.

    >>> cross_entropy(np.array([0, 1]), np.array([[0.5, 0.5], [0.0, 1.0]])).round(4).tolist()
    [0.6931, 0.0]
    >>> float(cross_entropy(np.array([1]), np.array([[1.0, 0.0]]))[0])  # clipped: -log(1e-7)
    16.11809565095832
    """
    rows = np.arange(len(labels))
    if log_probs is not None:
        return -np.asarray(log_probs, dtype=np.float64)[rows, labels]
    picked = np.asarray(probabilities, dtype=np.float64)[rows, labels]
    return -np.log(np.clip(picked, EPSILON, 1.0 - EPSILON))


def confusion(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """The 10x10 confusion matrix: row = true digit, column = predicted digit (scikit-learn)."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predictions, labels=list(range(NUM_CLASSES)))


def per_class_report(labels: np.ndarray, predictions: np.ndarray) -> dict[str, Any]:
    """Precision, recall, F1 and support per digit, plus averages (scikit-learn's ``classification_report``)."""
    from sklearn.metrics import classification_report

    return classification_report(
        labels,
        predictions,
        labels=list(range(NUM_CLASSES)),
        target_names=CLASS_NAMES,
        output_dict=True,
        zero_division=0,
    )


def report_text(labels: np.ndarray, predictions: np.ndarray) -> str:
    """The same report as a printable table."""
    from sklearn.metrics import classification_report

    return classification_report(
        labels, predictions, labels=list(range(NUM_CLASSES)), target_names=CLASS_NAMES, digits=4, zero_division=0
    )


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
    """Everything about a model on one split: ``loss`` (as ``model.evaluate`` computes it), ``accuracy``,
    ``predictions``, ``confusion_matrix``, ``report``, ``misclassified`` indices and more."""
    probabilities = predict_probabilities(model, images)
    predictions = probabilities.argmax(axis=1)
    image_losses = cross_entropy(labels, probabilities, log_probabilities(model, images))
    return {
        "n": int(len(labels)),
        "loss": float(image_losses.mean()),
        "image_losses": image_losses,
        "accuracy": float(np.mean(predictions == labels)),
        "predictions": predictions,
        "probabilities": probabilities,
        "confusion_matrix": confusion(labels, predictions),
        "report": per_class_report(labels, predictions),
        "misclassified": misclassified(labels, predictions),
    }
