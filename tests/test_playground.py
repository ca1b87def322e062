"""helpers.playground: the logic behind notebook 08's widgets, tested without any widget."""

import inspect

import numpy as np
import pytest
from keras.utils import to_categorical
from PIL import Image
from support import png_bytes

from helpers.data import TEST_DIR, load_arrays
from helpers.errors import CourseError
from helpers.evaluation import evaluate_model, predict_one
from helpers.model_files import load_model
from helpers.own_images import STEP_NAMES
from helpers.playground import (
    PLAYGROUND_DEFAULTS,
    SHOW_OPTIONS,
    canvas_to_input,
    canvas_to_steps,
    compare_with_reference,
    describe_prediction,
    describe_settings,
    epoch_line,
    explorer_indices,
    metrics_from_probabilities,
    pad_pixels,
    paper_drawing,
    playground_settings_to_kwargs,
    plural,
    top_predictions,
    train_and_evaluate,
    upload_to_steps,
)
from helpers.training import train_custom


def upload_value(data: bytes, name: str = "digit.png", kind: str = "image/png", size: int | None = None) -> tuple:
    """What ipywidgets 8's FileUpload.value holds after one upload."""
    return ({"name": name, "type": kind, "size": len(data) if size is None else size, "content": memoryview(data)},)


@pytest.fixture(scope="module")
def test_digits():
    images, labels = load_arrays(TEST_DIR)
    return images, labels


# ------------------------------------------------------------------------------------------ predictions
def test_top_predictions_orders_by_probability_and_breaks_ties_by_digit():
    p = np.array([0.05, 0.3, 0.05, 0.0, 0.5, 0.0, 0.05, 0.0, 0.0, 0.05])
    assert top_predictions(p) == [(4, 0.5), (1, 0.3), (0, 0.05)]
    assert top_predictions(p, k=1) == [(4, 0.5)]
    assert [d for d, _ in top_predictions(p, k=10)] == [4, 1, 0, 2, 6, 9, 3, 5, 7, 8]
    assert all(isinstance(d, int) and isinstance(q, float) for d, q in top_predictions(p))
    with pytest.raises(CourseError, match="10 class probabilities"):
        top_predictions([0.5, 0.5])


def test_describe_prediction_names_the_guess_the_runners_up_and_the_truth():
    p = np.eye(10)[7] * 0.9 + np.eye(10)[1] * 0.1
    assert describe_prediction(p).startswith("predicted 7 (90.0%), then 1 (10.0%)")
    assert describe_prediction(p, true_label=7).endswith("true 7: correct")
    assert describe_prediction(p, true_label=1).endswith("true 1: WRONG")
    assert describe_prediction(p, k=1) == "predicted 7 (90.0%)"


# -------------------------------------------------------------------------------------------- explorer
def test_explorer_indices_filters_by_outcome_and_true_digit():
    labels = np.array([0, 1, 2, 3, 3, 3, 9])
    predictions = np.array([0, 7, 2, 3, 5, 3, 4])
    assert explorer_indices(labels, predictions).tolist() == list(range(7))
    assert explorer_indices(labels, predictions, "misclassified").tolist() == [1, 4, 6]
    assert explorer_indices(labels, predictions, "correct").tolist() == [0, 2, 3, 5]
    assert explorer_indices(labels, predictions, "all", digit=3).tolist() == [3, 4, 5]
    assert explorer_indices(labels, predictions, "misclassified", digit=3).tolist() == [4]
    assert explorer_indices(labels, predictions, "misclassified", digit=2).tolist() == []
    assert explorer_indices(labels, predictions, "all", digit=np.int64(9)).tolist() == [6]
    with pytest.raises(CourseError, match="show must be one of all, misclassified, correct"):
        explorer_indices(labels, predictions, "wrong")
    with pytest.raises(CourseError, match="digit must be 0..9"):
        explorer_indices(labels, predictions, "all", digit=10)
    with pytest.raises(CourseError, match="differ in shape"):
        explorer_indices(labels, predictions[:3])


def test_explorer_counts_on_the_bundled_test_split_add_up(test_digits):
    _, labels = test_digits
    predictions = labels.copy()
    predictions[::50] = (predictions[::50] + 1) % 10  # 40 mistakes
    counts = {show: len(explorer_indices(labels, predictions, show)) for show in SHOW_OPTIONS}
    assert counts == {"all": 2000, "misclassified": 40, "correct": 1960}
    assert sum(len(explorer_indices(labels, predictions, "all", d)) for d in range(10)) == 2000


def test_metrics_from_probabilities_match_evaluate_model(trained_model_file, bundled_subset):
    model = load_model(trained_model_file)
    images, labels = load_arrays(bundled_subset / "test")
    expected = evaluate_model(model, images, labels)
    metrics = metrics_from_probabilities(expected["probabilities"], labels)
    assert metrics["n"] == 300
    assert metrics["accuracy"] == pytest.approx(expected["accuracy"])
    assert metrics["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert metrics["misclassified"] == len(expected["misclassified"])
    perfect = metrics_from_probabilities(to_categorical(labels), labels)
    assert perfect["accuracy"] == 1.0 and perfect["loss"] == pytest.approx(0.0, abs=1e-6)


# ------------------------------------------------------------------------------------------- uploads
def test_upload_to_steps_gives_every_preprocessing_step_of_a_good_image(test_digits):
    images, _ = test_digits
    paper = 255 - np.asarray(Image.fromarray((images[0, ..., 0] * 255).astype(np.uint8)).resize((150, 120)))
    steps = upload_to_steps(upload_value(png_bytes(np.dstack([paper] * 3))))
    assert list(steps) == list(STEP_NAMES)
    assert steps["grayscale"].shape == (120, 150) and steps["centred 28x28"].shape == (28, 28)
    assert steps["inverted"][0, 0] == pytest.approx(0.0)  # the white paper became the black background
    one_dict = upload_value(png_bytes(paper))[0]  # a dict alone (not in a tuple) works too
    np.testing.assert_allclose(upload_to_steps(one_dict)["centred 28x28"], steps["centred 28x28"], atol=0.02)


@pytest.mark.parametrize(
    "value, message",
    [
        ((), "no file uploaded yet"),
        (None, "no file uploaded yet"),
        (upload_value(b"x") * 2, "2 files uploaded"),
        (upload_value(b"hello, world", "notes.txt", "text/plain"), r"not an image \(text/plain\): notes.txt"),
        (upload_value(b"hello, world", "fake.png"), r"not a readable image \(UnidentifiedImageError\): fake.png"),
        (upload_value(b"", "empty.png"), r"empty file \(0 bytes\): empty.png"),
        (upload_value(b"\0" * (5 * 1024 * 1024 + 1), "big.png"), r"file too large \(5.2 MB, limit 5 MB\): big.png"),
        (upload_value(b"\0" * 10, "big.png", size=6_000_000), r"file too large \(6.0 MB, limit 5 MB\): big.png"),
    ],
)
def test_upload_to_steps_refuses_bad_uploads_in_one_line(value, message):
    with pytest.raises(CourseError, match=message) as caught:
        upload_to_steps(value)
    assert "\n" not in str(caught.value)


def test_upload_to_steps_refuses_too_many_pixels_and_flat_images():
    huge = png_bytes(np.zeros((5000, 5000), dtype=np.uint8))
    assert len(huge) < 5 * 1024 * 1024  # small file, huge image
    with pytest.raises(CourseError, match=r"image too large \(5000x5000 pixels, limit 16,777,216\): huge.png"):
        upload_to_steps(upload_value(huge, "huge.png"))
    with pytest.raises(CourseError, match="no digit found.*: blank.png"):
        upload_to_steps(upload_value(png_bytes(np.full((50, 50), 255, np.uint8)), "blank.png"))
    no_type = upload_value(png_bytes(np.full((50, 50), 255, np.uint8)), "blank.png", kind="")
    with pytest.raises(CourseError, match="no digit found"):  # a missing MIME type is decided by decoding
        upload_to_steps(no_type)


# --------------------------------------------------------------------------------------- drawing pad
def stroke_canvas(ink=(255, 255, 255, 255), background=(0, 0, 0, 255), size=280) -> np.ndarray:
    """A '1' drawn as a thick vertical stroke, like the drawing pad's pixels."""
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[:] = background
    rgba[50:230, 150:168] = ink
    return rgba


def test_canvas_to_input_reads_white_black_and_transparent_drawings_alike():
    white_on_black = canvas_to_input(stroke_canvas())
    assert white_on_black.shape == (28, 28, 1) and white_on_black.dtype == np.float32
    assert white_on_black.max() == pytest.approx(1.0) and white_on_black[0, 0, 0] == 0
    rows, cols = np.nonzero(white_on_black[..., 0] > 0.5)
    assert rows.max() - rows.min() + 1 >= 19 and abs(cols.mean() - 13.5) <= 1.5  # tall and centred
    for other in (
        stroke_canvas((0, 0, 0, 255), (255, 255, 255, 255)),  # black ink on white
        stroke_canvas((20, 20, 200, 255), (0, 0, 0, 0)),  # blue ink on a transparent canvas
        stroke_canvas()[..., :3],  # RGB without alpha
        stroke_canvas()[..., 0],
    ):  # gray, as the drawing pad sends it
        np.testing.assert_allclose(canvas_to_input(other), white_on_black, atol=0.05)
    assert set(canvas_to_steps(stroke_canvas())) == set(STEP_NAMES)


@pytest.mark.parametrize(
    "blank",
    [np.zeros((280, 280, 4), np.uint8), stroke_canvas(ink=(0, 0, 0, 255)), np.full((280, 280, 4), 255, np.uint8)],
)
def test_blank_canvas_asks_for_a_drawing(blank):
    with pytest.raises(CourseError, match="draw a digit first"):
        canvas_to_input(blank)


@pytest.mark.parametrize("shape", [(280, 280, 2), (280,), (4, 4)])
def test_canvas_with_the_wrong_shape_is_refused(shape):
    with pytest.raises(CourseError, match=r"shape \(height, width\[, 3 or 4\]\), got"):
        canvas_to_input(np.zeros(shape, np.uint8))


def test_pad_pixels_reads_the_bytes_the_browser_sends():
    gray = stroke_canvas()[..., 0]
    np.testing.assert_array_equal(pad_pixels(gray.tobytes()), gray)
    np.testing.assert_array_equal(pad_pixels(memoryview(gray[:28, :28].tobytes()), size=28), gray[:28, :28])
    with pytest.raises(CourseError, match="expected 280x280 = 78,400 pixels from the drawing pad, got 784$"):
        pad_pixels(bytes(784))


def test_a_test_digit_drawn_as_on_paper_comes_back_as_itself(test_digits, trained_model_file):
    images, labels = test_digits
    model = load_model(trained_model_file)
    for index in (0, 200, 1000):
        drawing = paper_drawing(images[index], offset=(-40, 30), ink=0.7)
        assert drawing.shape == (280, 280, 4) and drawing.dtype == np.uint8 and drawing[0, 0, 0] == 255
        x = canvas_to_input(drawing)
        original = images[index, ..., 0]
        assert np.corrcoef(x[..., 0].ravel(), original.ravel())[0, 1] > 0.7  # the same digit, re-centred
        assert predict_one(model, x).argmax() == predict_one(model, original).argmax()


def test_predict_one_takes_any_digit_shape_and_matches_the_model(trained_model_file, test_digits):
    model = load_model(trained_model_file)
    image = test_digits[0][5]
    p = predict_one(model, image)
    assert p.shape == (10,) and p.sum() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(predict_one(model, image[..., 0]), p)
    np.testing.assert_allclose(np.asarray(model(image[np.newaxis], training=False))[0], p, atol=1e-6)
    model.predict(test_digits[0][:64], verbose=0)  # a batch of another size in between changes nothing
    np.testing.assert_allclose(predict_one(model, image), p, atol=1e-6)


# ------------------------------------------------------------------------------ hyperparameter playground
def test_playground_settings_become_train_custom_arguments():
    kwargs = playground_settings_to_kwargs(**PLAYGROUND_DEFAULTS)
    assert kwargs == {
        "filters": (32, 64),
        "dense_units": 128,
        "dropout": 0.0,
        "learning_rate": 0.001,
        "epochs": 3,
        "train_size": 2000,
        "seed": 42,
    }
    inspect.signature(train_custom).bind(**kwargs)  # every key is a train_custom argument
    assert describe_settings(kwargs) == "conv 32/64, dense 128, dropout 0.0, lr 0.001, 3 epochs on 2,000 digits"
    one = playground_settings_to_kwargs(conv1=np.int64(8), conv2=16, epochs=1, train_size=200)
    assert one["filters"] == (8, 16) and type(one["filters"][0]) is int
    assert "1 epoch on 200 digits" in describe_settings(one)


@pytest.mark.parametrize(
    "setting, value",
    [
        ("conv1", 0),
        ("dense_units", 10_000),
        ("dropout", 0.9),
        ("learning_rate", 1.0),
        ("epochs", 0),
        ("train_size", 100),
        ("epochs", "3"),
    ],
)
def test_playground_settings_out_of_range_are_refused_by_name(setting, value):
    with pytest.raises(CourseError, match=f"{setting} must be between"):
        playground_settings_to_kwargs(**{setting: value})


def test_progress_and_comparison_lines():
    assert plural(1, "epoch") == "1 epoch" and plural(2000, "digit") == "2,000 digits"
    assert (
        epoch_line(2, 3, {"loss": 0.3, "accuracy": 0.912, "val_loss": 0.2, "val_accuracy": 0.93})
        == "epoch 2/3: accuracy 91.2%, validation accuracy 93.0%"
    )
    assert epoch_line(1, 3, {}) == "epoch 1/3"
    text = compare_with_reference({"accuracy": 0.9512, "loss": 0.1612}, {"accuracy": 0.9895, "loss": 0.0391})
    assert "test accuracy 95.12%" in text and "test accuracy 98.95%" in text and "-3.83 points" in text
    assert "+0.50 points" in compare_with_reference({"accuracy": 0.995, "loss": 0.02}, {"accuracy": 0.99, "loss": 0.03})


def test_train_and_evaluate_trains_scores_and_can_be_stopped(bundled_subset):
    images, labels = load_arrays(bundled_subset / "test")
    kwargs = playground_settings_to_kwargs(conv1=8, conv2=16, dense_units=32, epochs=3, train_size=400)
    seen = []
    result = train_and_evaluate(
        kwargs, images, labels, on_epoch_end=lambda epoch, logs: seen.append(epoch), stop=lambda: True
    )  # Stop pressed during the first epoch
    assert seen == [1] and result["epochs_run"] == 1 and len(result["history"]["val_accuracy"]) == 1
    assert result["n"] == 300 and 0.0 <= result["accuracy"] <= 1.0 and result["loss"] > 0
    assert result["model"].get_layer("conv1").filters == 8 and result["seconds"] > 0
    assert result["accuracy"] == pytest.approx(evaluate_model(result["model"], images, labels)["accuracy"])
