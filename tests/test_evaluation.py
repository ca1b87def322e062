"""helpers.evaluation: metrics agree with Keras and scikit-learn."""

import numpy as np
import pytest
from keras.utils import to_categorical

from helpers.data import load_arrays
from helpers.evaluation import (
    confusion,
    evaluate_model,
    misclassified,
    most_confused_pairs,
    per_class_report,
    predict_one,
    predict_probabilities,
    report_text,
)
from helpers.model_files import load_model


def test_confusion_matrix_and_report_on_known_labels():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predictions = np.array([0, 1, 1, 2, 2, 0])
    matrix = confusion(labels, predictions)
    assert matrix.shape == (10, 10) and matrix[0, 0] == 1 and matrix[0, 1] == 1 and matrix[2, 0] == 1
    assert matrix.sum() == 6
    report = per_class_report(labels, predictions)
    assert report["2"]["recall"] == pytest.approx(2 / 3) and report["2"]["precision"] == 1.0
    assert report["9"]["support"] == 0
    assert "precision" in report_text(labels, predictions)
    assert misclassified(labels, predictions).tolist() == [1, 5]


def test_most_confused_pairs_orders_off_diagonal_cells():
    matrix = np.diag([50] * 10)
    matrix[4, 9], matrix[7, 2], matrix[3, 5] = 5, 2, 3
    assert most_confused_pairs(matrix, top=3) == [(4, 9, 5), (3, 5, 3), (7, 2, 2)]
    assert most_confused_pairs(np.diag([1] * 10)) == []


def test_evaluate_model_agrees_with_keras(trained_model_file, bundled_subset):
    model = load_model(trained_model_file)
    images, labels = load_arrays(bundled_subset / "test")
    result = evaluate_model(model, images, labels)
    keras_loss, keras_accuracy = model.evaluate(images, to_categorical(labels), verbose=0)
    assert result["n"] == 300
    assert result["accuracy"] == pytest.approx(keras_accuracy, abs=1e-6)
    assert result["loss"] == pytest.approx(keras_loss, rel=1e-3)
    assert result["accuracy"] > 0.8  # a real model, trained briefly
    assert result["confusion_matrix"].trace() == round(result["accuracy"] * 300)
    assert len(result["misclassified"]) == 300 - result["confusion_matrix"].trace()


def test_predict_one_matches_predict(trained_model_file, bundled_subset):
    model = load_model(trained_model_file)
    images, _ = load_arrays(bundled_subset / "test")
    batch = predict_probabilities(model, images[:5])
    for image, expected in zip(images[:5], batch):
        np.testing.assert_allclose(predict_one(model, image[..., 0]), expected, atol=1e-5)


def test_the_loss_is_computed_as_keras_computes_it_even_when_a_probability_underflows():
    """A confident mistake whose true class gets p = 0 in float32: Keras's evaluate takes the loss from
    the logits (exact), not from clipped probabilities (capped at -log(1e-7) = 16.1)."""
    import keras

    from helpers.evaluation import cross_entropy, evaluate_model, log_probabilities

    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
    )
    kernel = np.zeros((784, 10), dtype="float32")
    kernel[:, 1] = 0.5  # ink pushes every image towards a 1
    model.layers[-1].set_weights([kernel, np.zeros(10, dtype="float32")])
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    images = np.zeros((4, 28, 28, 1), dtype="float32")
    images[:, 10:18, 10:18] = 1.0  # 64 inked pixels: the logit of 1 is 32 above the others
    labels = np.array([1, 1, 7, 7])
    keras_loss, keras_accuracy = model.evaluate(images, keras.utils.to_categorical(labels, 10), verbose=0)
    result = evaluate_model(model, images, labels)
    assert result["loss"] == pytest.approx(keras_loss, rel=1e-5)
    assert result["accuracy"] == keras_accuracy == 0.5
    exact = cross_entropy(labels, log_probs=log_probabilities(model, images))
    clipped = cross_entropy(labels, result["probabilities"])
    assert exact[2] == pytest.approx(32.0, abs=1e-3)  # the 7s: log p(7) = -32 exactly
    assert clipped[2] == pytest.approx(-np.log(1e-7))  # clipped: capped at 16.1
    assert result["loss"] > clipped.mean() + 7


def test_log_probabilities_needs_a_softmax_layer():
    import keras

    from helpers.evaluation import log_probabilities

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    assert log_probabilities(model, np.zeros((1, 28, 28, 1), dtype="float32")) is None
