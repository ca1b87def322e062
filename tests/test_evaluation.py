"""helpers.evaluation: metrics agree with Keras and scikit-learn."""

import numpy as np
import pytest

from helpers.data import load_arrays, one_hot
from helpers.evaluation import (confusion, evaluate_model, misclassified, most_confused_pairs, per_class_report,
                                predict_one, predict_probabilities, report_text)
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
    keras_loss, keras_accuracy = model.evaluate(images, one_hot(labels), verbose=0)
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
