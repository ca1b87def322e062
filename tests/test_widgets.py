"""helpers.widgets: build each widget of notebook 08, drive it like a student would, check what it shows."""

import datetime
import html

import ipywidgets
import numpy as np
import pytest
from keras.utils import to_categorical
from PIL import Image
from support import png_bytes

from helpers import widgets as ui
from helpers.data import load_arrays
from helpers.evaluation import predict_probabilities
from helpers.model_files import load_model
from helpers.playground import explorer_indices

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def uploaded(data: bytes, name: str = "digit.png", kind: str = "image/png") -> tuple:
    """FileUpload.value after one upload in ipywidgets 8 (what the browser sends, deserialized)."""
    return (
        {
            "name": name,
            "type": kind,
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
        },
    )


def is_png(image_widget) -> bool:
    return bytes(image_widget.value).startswith(PNG_MAGIC)


def visible(widget) -> bool:
    return widget.layout.display != "none"


@pytest.fixture(scope="module")
def model(trained_model_file):
    return load_model(trained_model_file)


@pytest.fixture(scope="module")
def test_subset(bundled_subset):
    return load_arrays(bundled_subset / "test")  # 300 real test digits, 30 per class


# -------------------------------------------------------------------------------------------- explorer
def test_explorer_follows_the_filters_and_the_slider(model, test_subset):
    images, labels = test_subset
    explorer = ui.test_set_explorer(model, images, labels)
    parts = explorer.parts
    assert isinstance(explorer, ipywidgets.VBox) and "<b>Test-set explorer</b>" in explorer.children[0].value
    plain = explorer._repr_mimebundle_()["text/plain"]  # what a page that cannot show widgets shows
    assert plain == "[Test-set explorer: an interactive widget; run this notebook in Jupyter to use it]"
    assert parts["slider"].max == 299 and parts["caption"].value.startswith("1 of 300 matching digits")
    assert is_png(parts["picture"]) and visible(parts["picture"])
    first_picture = bytes(parts["picture"].value)

    parts["slider"].value = 5
    assert "test image #5:" in parts["caption"].value and bytes(parts["picture"].value) != first_picture
    # its alt text (the tooltip, which the website makes the image's alt) says what this picture shows
    assert parts["picture"].tooltip.startswith("Test image #5 and a bar chart of its 10 probabilities: predicted ")
    assert parts["picture"].tooltip.endswith(html.unescape(parts["caption"].value.split("test image #5: ")[1]))

    predictions = predict_probabilities(model, images).argmax(axis=1)
    parts["digit"].value = 3
    threes = explorer_indices(labels, predictions, "all", 3)
    assert parts["slider"].value == 0 and parts["slider"].max == len(threes) - 1 == 29
    assert f"test image #{threes[0]}:" in parts["caption"].value and "true 3" in parts["caption"].value

    parts["digit"].value = -1
    parts["show"].value = "misclassified"
    wrong = explorer_indices(labels, predictions, "misclassified")
    assert 0 < len(wrong) < 300  # a briefly trained model makes some mistakes
    assert parts["caption"].value.startswith(f"1 of {len(wrong)} matching digits") and "WRONG" in parts["caption"].value
    parts["show"].value = "correct"
    assert parts["slider"].max == 300 - len(wrong) - 1 and "correct" in parts["caption"].value


def test_explorer_with_given_probabilities_and_an_empty_filter(test_subset):
    images, labels = test_subset
    explorer = ui.test_set_explorer(None, images, labels, probabilities=to_categorical(labels))  # a perfect "model"
    explorer.parts["show"].value = "misclassified"
    assert explorer.parts["caption"].value == "No test digit matches this filter."
    assert not visible(explorer.parts["picture"]) and explorer.parts["slider"].disabled
    explorer.parts["show"].value = "all"
    assert visible(explorer.parts["picture"]) and not explorer.parts["slider"].disabled


# ---------------------------------------------------------------------------------------- your own digit
def test_upload_shows_the_steps_and_the_prediction_of_a_good_image(model, test_subset):
    images, labels = test_subset
    digit = (images[0, ..., 0] * 255).astype(np.uint8)
    paper = 255 - np.asarray(Image.fromarray(digit).resize((140, 140)))  # dark ink on white paper
    widget = ui.upload_digit(model)
    parts = widget.parts
    assert parts["upload"].accept == "image/*" and parts["upload"].multiple is False
    assert parts["upload"].layout.width == "max-content"  # the label "Upload a digit (1)" is never cut off
    assert not visible(parts["steps"]) and "at most 5 MB and 4096x4096 pixels" in parts["message"].value
    parts["upload"].value = uploaded(png_bytes(np.dstack([paper] * 3)), "my seven.png")
    expected = int(predict_probabilities(model, images[:1]).argmax())
    assert parts["message"].value.startswith("<b>my seven.png</b>: predicted ")
    assert f"predicted {expected} (" in parts["message"].value
    assert visible(parts["steps"]) and is_png(parts["steps"])
    assert visible(parts["prediction"]) and is_png(parts["prediction"])
    assert parts["steps"].tooltip.startswith("my seven.png through the preprocessing steps: ")
    assert f"predicted {expected} (" in parts["prediction"].tooltip


@pytest.mark.parametrize(
    "data, name, kind, expected",
    [
        (b"just some text", "notes.txt", "text/plain", "not an image (text/plain): notes.txt"),
        (b"just some text", "fake.png", "image/png", "not a readable image (UnidentifiedImageError): fake.png"),
        (b"\0" * (5 * 1024 * 1024 + 10), "huge.png", "image/png", "file too large (5.2 MB, limit 5 MB): huge.png"),
        (
            png_bytes(np.zeros((5000, 5000), np.uint8)),
            "poster.png",
            "image/png",
            "image too large (5000x5000 pixels, limit 16,777,216): poster.png",
        ),
        (png_bytes(np.full((60, 60), 200, np.uint8)), "grey.png", "image/png", "no digit found"),
    ],
)
def test_bad_uploads_show_one_line_in_the_widget(model, data, name, kind, expected):
    widget = ui.upload_digit(model)
    parts = widget.parts
    parts["upload"].value = uploaded(png_bytes(np.pad(np.full((20, 8), 255, np.uint8), 20)))  # a good one first
    assert visible(parts["prediction"])
    parts["upload"].value = uploaded(data, name, kind)  # no exception escapes the handler
    message = parts["message"].value
    assert "Cannot use this file: " in message and expected in message
    assert "\n" not in message and "Traceback" not in message
    assert not visible(parts["steps"]) and not visible(parts["prediction"])


# ------------------------------------------------------------------------------------------ drawing pad
def test_drawing_pad_predicts_from_the_pixels_the_browser_sends_and_clears(model, test_subset):
    images, labels = test_subset
    pad = ui.drawing_pad(model)
    canvas, message = pad.parts["canvas"], pad.parts["message"]
    assert (canvas.size, canvas.pixels) == (280, b"") and "export default" in canvas._esm
    assert 'model.set("pixels"' in canvas._esm and not visible(pad.parts["prediction"])
    hint = message.value

    # a test digit, enlarged 10x, white on black, one gray byte per pixel: what the browser sends on pen up
    index = 0
    drawing = np.asarray(Image.fromarray((images[index, ..., 0] * 255).astype(np.uint8)).resize((280, 280)))
    expected = int(predict_probabilities(model, images[index : index + 1]).argmax())
    canvas.set_state({"pixels": memoryview(drawing.tobytes())})  # as a message from the browser arrives
    assert message.value.startswith(f"predicted {expected} (")
    assert visible(pad.parts["prediction"]) and is_png(pad.parts["prediction"])

    picture = bytes(pad.parts["prediction"].value)
    one = np.zeros((280, 280), np.uint8)
    one[40:240, 130:148] = 255
    canvas.pixels = one.tobytes()  # a second drawing: predict again
    assert message.value.startswith("predicted 1 (") and bytes(pad.parts["prediction"].value) != picture

    canvas.clear()  # the Clear button
    assert canvas.pixels == b"" and message.value == hint and not visible(pad.parts["prediction"])
    canvas.pixels = bytes(280 * 280)  # strokes the size of a dot vanish: a black pad
    assert message.value == "draw a digit first: the canvas is empty" and not visible(pad.parts["prediction"])
    canvas.pixels = bytes(100)  # a front end out of step with Python: one line, no traceback
    assert message.value == "expected 280x280 = 78,400 pixels from the drawing pad, got 100"


# ------------------------------------------------------------------------------ hyperparameter playground
def test_playground_trains_only_on_click_and_compares_with_the_reference(test_subset):
    reference = {"accuracy": 0.9895, "loss": 0.0391}
    playground = ui.hyperparameter_playground(reference, test_data=test_subset, background=False)
    parts = playground.parts
    assert repr(playground).startswith("[Hyperparameter playground: an interactive widget")
    assert parts["progress"].value == 0 and parts["result"].value == "" and playground.state["result"] is None
    assert "98.95%" in parts["reference"].value and not visible(parts["curve"])
    assert (parts["epochs"].value, parts["train_size"].value) == (3, 2000)  # the quick defaults

    parts["epochs"].value, parts["train_size"].value = 1, 200
    parts["conv1"].value, parts["conv2"].value, parts["dense_units"].value = 8, 16, 32
    parts["train"].click()
    progress = parts["progress"]
    assert progress.max == 1 and progress.value == progress.max and progress.bar_style == "success"
    assert "test accuracy" in parts["result"].value and "reference model: test accuracy 98.95%" in parts["result"].value
    assert parts["status"].value.startswith("done: 1 epoch in ")
    assert visible(parts["curve"]) and is_png(parts["curve"])
    result = playground.state["result"]
    assert result["epochs_run"] == 1 and result["n"] == 300
    assert result["model"].get_layer("conv2").filters == 16 and result["model"].get_layer("dense").units == 32
    assert not parts["train"].disabled and parts["stop"].disabled


def test_playground_stop_button_ends_training_in_the_background(test_subset):
    playground = ui.hyperparameter_playground({"accuracy": 0.99, "loss": 0.04}, test_data=test_subset)
    parts = playground.parts
    parts["epochs"].value, parts["train_size"].value = 3, 200
    parts["conv1"].value, parts["conv2"].value, parts["dense_units"].value = 4, 8, 16
    parts["train"].click()
    thread = playground.state["thread"]
    assert thread is not None and parts["train"].disabled and not parts["stop"].disabled
    parts["train"].click()  # a second click while training is ignored
    assert playground.state["thread"] is thread
    parts["stop"].click()  # checked after each epoch: training ends after the first one
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert parts["status"].value.startswith("done: stopped after 1 of 3 epochs")
    assert parts["progress"].value == 1 and parts["progress"].max == 3
    assert "test accuracy" in parts["result"].value and not parts["train"].disabled


def test_figures_are_png_bytes_without_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    steps = {"a": np.zeros((40, 30)), "b": np.ones((28, 28))}
    for png in (
        ui.steps_png(steps),
        ui.prediction_png(np.zeros((28, 28, 1)), np.full(10, 0.1), 3),
        ui.learning_curve_png(
            {"loss": [1.0, 0.5], "accuracy": [0.6, 0.8], "val_loss": [0.9, 0.6], "val_accuracy": [0.7, 0.8]}
        ),
    ):
        assert png.startswith(PNG_MAGIC) and len(png) > 1000
    assert plt.get_fignums() == before  # nothing left open for a notebook to show
