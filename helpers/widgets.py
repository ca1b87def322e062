"""Notebook 08's tools, ipywidgets wired to ``helpers.playground``.  Each returns a ``Tool`` whose named
widgets in ``box.parts`` let code drive it.  Figures are PNG images of pyplot-free ``Figure`` objects: nothing
is printed into the cell, and the training thread never touches pyplot's state.
"""

from __future__ import annotations

import html
import io
import threading
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np
import traitlets
from matplotlib.figure import Figure

from helpers.data import load_arrays
from helpers.errors import CourseError
from helpers.evaluation import predict_one, predict_probabilities
from helpers.paths import TEST_DIR
from helpers.playground import (
    PLAYGROUND_DEFAULTS,
    PLAYGROUND_LIMITS,
    canvas_to_steps,
    compare_with_reference,
    describe_prediction,
    describe_settings,
    epoch_line,
    explorer_indices,
    pad_pixels,
    playground_settings_to_kwargs,
    plural,
    train_and_evaluate,
    upload_to_steps,
)
from helpers.plots import plot_learning_curves, plot_probabilities
from helpers.recipes import REFERENCE
from helpers.style import DIGIT_CMAP, DPI

WIDE = {"description_width": "110px"}


# --------------------------------------------------------------------------------------------- figures
def figure_png(fig: Figure) -> bytes:
    """A matplotlib figure as PNG bytes (for an ``ipywidgets.Image``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def prediction_png(
    image: np.ndarray, probabilities: np.ndarray, true_label: int | None = None, title: str = "model input"
) -> bytes:
    """One digit (left) and its 10 class probabilities (right) as PNG bytes."""
    fig = Figure(figsize=(6.4, 2.5), dpi=DPI)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.3]})
    left.imshow(np.asarray(image).reshape(28, 28), cmap=DIGIT_CMAP, vmin=0, vmax=1)
    left.set_title(title, fontsize=9)
    left.set_xticks([]), left.set_yticks([])
    plot_probabilities(probabilities, true_label, title="class probabilities", ax=right)
    return figure_png(fig)


def steps_png(steps: Mapping[str, np.ndarray]) -> bytes:
    """The preprocessing steps of ``mnist_steps`` side by side, as PNG bytes."""
    fig = Figure(figsize=(1.6 * len(steps), 2.0), dpi=DPI)
    for ax, (name, image) in zip(np.atleast_1d(fig.subplots(1, len(steps))), steps.items()):
        ax.imshow(image, cmap=DIGIT_CMAP, vmin=0, vmax=1)
        ax.set_title(f"{name}\n{image.shape[1]}x{image.shape[0]}", fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return figure_png(fig)


def learning_curve_png(history: Mapping[str, list[float]], title: str = "Your model") -> bytes:
    """Accuracy and loss per epoch so far, as PNG bytes (``plot_learning_curves`` on a pyplot-free figure)."""
    fig = Figure(figsize=(8, 2.9), dpi=DPI)
    plot_learning_curves(dict(history), title=title, axes=fig.subplots(1, 2))
    return figure_png(fig)


class Picture(widgets.Image):
    """An image widget whose tooltip is its alt text: what it shows, in words (a screen reader reads it; the
    course website makes it the image's ``alt``).  It also syncs an empty ``description``, which ``Image`` lacks:
    the widgets' front end (@jupyter-widgets/controls 5) reads the description's length before it shows a
    tooltip, and without one it cannot draw the image at all."""

    description = traitlets.Unicode("").tag(sync=True)


def _picture(alt_text: str) -> Picture:
    """A ``Picture``, hidden until it has one."""
    return Picture(format="png", tooltip=alt_text, layout=widgets.Layout(display="none"))


def _show(visible: bool, *parts: widgets.Widget) -> None:
    for widget in parts:
        widget.layout.display = None if visible else "none"


def _error(message: str) -> str:
    return f'<span style="color:#b00020">&#9888; {html.escape(message)}</span>'


def _header(title: str, text: str) -> widgets.HTML:
    return widgets.HTML(f"<b>{html.escape(title)}</b> &middot; {html.escape(text)}")


class Tool(widgets.VBox):
    """A header (``title``, ``intro``) above ``rows`` of widgets, with named ``parts`` and a plain-text form."""

    def __init__(self, title: str, intro: str, rows: list[widgets.Widget], parts: dict[str, widgets.Widget]) -> None:
        super().__init__([_header(title, intro), *rows])
        self.title, self.parts = title, parts

    def __repr__(self) -> str:
        return f"[{self.title}: an interactive widget; run this notebook in Jupyter to use it]"


# -------------------------------------------------------------------------------------------- explorer
def test_set_explorer(
    model: Any, images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray | None = None
) -> Tool:
    """Slide through the test digits (all, the mistakes or the correct ones; of any digit or one), each with
    its 10 class probabilities.  Parts: ``show``, ``digit`` (-1 = any), ``slider``, ``caption``, ``picture``."""
    probabilities = predict_probabilities(model, images) if probabilities is None else np.asarray(probabilities)
    labels = np.asarray(labels)
    predictions = probabilities.argmax(axis=1)
    show = widgets.Dropdown(
        options=[("all test digits", "all"), ("misclassified only", "misclassified"), ("correct only", "correct")],
        value="all",
        description="show",
        style=WIDE,
    )
    digit = widgets.Dropdown(
        options=[("any", -1)] + [(str(d), d) for d in range(10)], value=-1, description="true digit", style=WIDE
    )
    slider = widgets.IntSlider(
        value=0,
        min=0,
        max=max(0, len(labels) - 1),
        description="position",
        continuous_update=False,
        style=WIDE,
        layout=widgets.Layout(width="420px"),
    )
    caption = widgets.HTML()
    picture = _picture("the test digit chosen and a bar chart of its 10 probabilities")
    state: dict[str, Any] = {"indices": np.arange(len(labels)), "quiet": False}

    def render(change: Any = None) -> None:
        if state["quiet"]:
            return
        indices = state["indices"]
        if len(indices) == 0:
            caption.value = "No test digit matches this filter."
            _show(False, picture)
            return
        index = int(indices[slider.value])
        caption.value = html.escape(
            f"{slider.value + 1} of {len(indices):,} matching digits · test image "
            f"#{index}: " + describe_prediction(probabilities[index], labels[index])
        )
        picture.value = prediction_png(images[index], probabilities[index], labels[index], f"test image #{index}")
        picture.tooltip = f"Test image #{index} and a bar chart of its 10 probabilities: " + describe_prediction(
            probabilities[index], labels[index]
        )
        _show(True, picture)

    def refilter(change: Any = None) -> None:
        state["indices"] = explorer_indices(labels, predictions, show.value, None if digit.value == -1 else digit.value)
        state["quiet"] = True
        try:
            slider.value = 0
            slider.max = max(0, len(state["indices"]) - 1)
            slider.disabled = len(state["indices"]) <= 1
        finally:
            state["quiet"] = False
        render()

    show.observe(refilter, "value")
    digit.observe(refilter, "value")
    slider.observe(render, "value")
    render()
    return Tool(
        "Test-set explorer",
        "choose which test digits to step through, then move the slider (or click it and use the arrow keys).",
        [widgets.HBox([show, digit]), slider, caption, picture],
        {"show": show, "digit": digit, "slider": slider, "caption": caption, "picture": picture},
    )


test_set_explorer.__test__ = False  # a widget builder, not a pytest test, whatever its name says


# ------------------------------------------------------------------------------- hyperparameter playground
def hyperparameter_playground(
    reference_metrics: Mapping[str, float],
    test_data: tuple[np.ndarray, np.ndarray] | None = None,
    background: bool = True,
) -> Tool:
    """Sliders for the CNN's settings; **Train** trains it (**Stop** ends it) and compares it with the reference."""
    limits, defaults = PLAYGROUND_LIMITS, PLAYGROUND_DEFAULTS

    def int_slider(name: str, description: str, step: int) -> widgets.IntSlider:
        low, high = limits[name]
        return widgets.IntSlider(
            value=defaults[name],
            min=low,
            max=high,
            step=step,
            description=description,
            continuous_update=False,
            style=WIDE,
        )

    settings = {
        "conv1": int_slider("conv1", "conv1 filters", 4),
        "conv2": int_slider("conv2", "conv2 filters", 4),
        "dense_units": int_slider("dense_units", "dense units", 8),
        "dropout": widgets.FloatSlider(
            value=defaults["dropout"],
            min=limits["dropout"][0],
            max=limits["dropout"][1],
            step=0.1,
            description="dropout",
            continuous_update=False,
            style=WIDE,
        ),
        "learning_rate": widgets.FloatLogSlider(
            value=defaults["learning_rate"],
            base=10,
            min=-4,
            max=-1,
            step=0.25,
            description="learning rate",
            readout_format=".0e",
            continuous_update=False,
            style=WIDE,
        ),
        "epochs": int_slider("epochs", "epochs", 1),
        "train_size": int_slider("train_size", "training digits", 200),
    }
    train = widgets.Button(description="Train", button_style="primary", icon="play")
    stop = widgets.Button(description="Stop", icon="stop", disabled=True, tooltip="stop after the current epoch")
    progress = widgets.IntProgress(value=0, min=0, max=defaults["epochs"], description="epoch 0", style=WIDE)
    status = widgets.HTML("Press <b>Train</b>: a few seconds with the starting values. Nothing trains until then.")
    curve = _picture("the learning curves of your model, once it trains")
    result = widgets.HTML()
    state: dict[str, Any] = {"thread": None, "result": None, "stop": threading.Event()}

    def job(kwargs: dict[str, Any]) -> None:
        history: dict[str, list[float]] = {}
        epochs = kwargs["epochs"]

        def on_epoch_end(epoch: int, logs: dict[str, float]) -> None:
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            progress.value, progress.description = epoch, f"epoch {epoch}/{epochs}"
            status.value = html.escape(epoch_line(epoch, epochs, logs))
            curve.value = learning_curve_png(history, title=f"Your model: {describe_settings(kwargs)}")
            curve.tooltip = f"Learning curves of your model after {epoch} of {epochs} epochs: " + epoch_line(
                epoch, epochs, logs
            )
            _show(True, curve)

        try:
            images, labels = test_data if test_data is not None else load_arrays(TEST_DIR)
            outcome = train_and_evaluate(kwargs, images, labels, on_epoch_end=on_epoch_end, stop=state["stop"].is_set)
        except CourseError as error:
            status.value, progress.bar_style = _error(str(error)), "danger"
        except Exception as error:  # a bug: say so in the widget, keep the traceback in the log
            status.value, progress.bar_style = _error(f"training failed: {error.__class__.__name__}: {error}"), "danger"
            raise
        else:
            state["result"] = outcome
            done = outcome["epochs_run"]
            stopped = f"stopped after {done} of {plural(epochs, 'epoch')}" if done < epochs else plural(done, "epoch")
            status.value = html.escape(f"done: {stopped} in {outcome['seconds']:.0f} s ({describe_settings(kwargs)}).")
            result.value = f"<pre>{html.escape(compare_with_reference(outcome, reference_metrics))}</pre>"
            progress.bar_style = "success"
        finally:
            train.disabled, stop.disabled = False, True

    def on_train(button: Any = None) -> None:
        if train.disabled:
            return
        try:
            kwargs = playground_settings_to_kwargs(**{name: w.value for name, w in settings.items()})
        except CourseError as error:
            status.value = _error(str(error))
            return
        state["stop"].clear()
        train.disabled, stop.disabled = True, False
        progress.max, progress.value, progress.bar_style = kwargs["epochs"], 0, "info"
        progress.description = f"epoch 0/{kwargs['epochs']}"
        status.value = html.escape(f"training: {describe_settings(kwargs)} ...")
        result.value = ""
        if background:
            state["thread"] = threading.Thread(target=job, args=(kwargs,), name="playground-training", daemon=True)
            state["thread"].start()
        else:
            job(kwargs)

    def on_stop(button: Any = None) -> None:
        state["stop"].set()
        stop.disabled = True
        status.value = "stopping after the current epoch ..."

    train.on_click(on_train)
    stop.on_click(on_stop)
    reference = widgets.HTML(
        html.escape(
            f"Reference model (notebook 04, {REFERENCE.epochs} epochs on 8,000 digits): "
            f"test accuracy {reference_metrics['accuracy']:.2%}, "
            f"loss {reference_metrics['loss']:.4f}"
        )
    )
    names = list(settings)
    box = Tool(
        "Hyperparameter playground",
        "change the network and how it is trained, press Train, and compare "
        "your model with the reference model on the same test digits.",
        [
            widgets.HBox(
                [widgets.VBox([settings[n] for n in names[:4]]), widgets.VBox([settings[n] for n in names[4:]])]
            ),
            widgets.HBox([train, stop, progress]),
            status,
            curve,
            result,
            reference,
        ],
        {
            **settings,
            "train": train,
            "stop": stop,
            "progress": progress,
            "status": status,
            "curve": curve,
            "result": result,
            "reference": reference,
        },
    )
    box.state = state
    return box


# ---------------------------------------------------------------------------------------- your own digit
UPLOAD_HINT = (
    "Choose a photo, scan or drawing of one digit (any image format the browser calls an image; "
    "at most 5 MB and 4096x4096 pixels)."
)


def upload_digit(model: Any) -> Tool:
    """Upload an image of a digit: its preprocessing steps and prediction, or one line on what is wrong with it."""
    upload = widgets.FileUpload(
        accept="image/*", multiple=False, description="Upload a digit", layout=widgets.Layout(width="max-content")
    )  # room for the count: "... (1)"
    message = widgets.HTML(html.escape(UPLOAD_HINT))
    steps_picture = _picture("your image's preprocessing steps, after an upload")
    prediction_picture = _picture("the model's input and its 10 probabilities, after an upload")

    def on_upload(change: Any = None) -> None:
        value = upload.value
        if not value:
            return
        name = str((value[0] if not isinstance(value, Mapping) else value).get("name", "upload"))
        try:
            steps = upload_to_steps(value)
            model_input = steps["centred 28x28"]
            probabilities = predict_one(model, model_input)
        except Exception as error:  # never a traceback for a bad upload: one line in the widget
            reason = str(error) if isinstance(error, CourseError) else f"{error.__class__.__name__}: {error}"
            message.value = _error(f"Cannot use this file: {reason}".splitlines()[0])
            _show(False, steps_picture, prediction_picture)
            return
        message.value = f"<b>{html.escape(name)}</b>: {html.escape(describe_prediction(probabilities))}"
        steps_picture.value = steps_png(steps)
        steps_picture.tooltip = f"{name} through the preprocessing steps: " + ", ".join(steps)
        prediction_picture.value = prediction_png(model_input, probabilities, title="model input 28x28")
        prediction_picture.tooltip = "The model's 28x28 input and its 10 probabilities: " + describe_prediction(
            probabilities
        )
        _show(True, steps_picture, prediction_picture)

    upload.observe(on_upload, "value")
    return Tool(
        "Your own digit",
        "upload an image of one handwritten digit and follow it through the preprocessing steps to the prediction.",
        [upload, message, steps_picture, prediction_picture],
        {"upload": upload, "message": message, "steps": steps_picture, "prediction": prediction_picture},
    )


# ------------------------------------------------------------------------------------------- drawing pad
def drawing_pad(model: Any, size: int = 280, line_width: int = 18) -> Tool:
    """Draw a digit with the mouse; the prediction updates after each stroke."""
    from helpers.drawing import DrawingCanvas

    canvas = DrawingCanvas(size=size, line_width=line_width)
    hint = "Draw one digit, large, in the black square; the prediction updates when you release the mouse."
    message = widgets.HTML(html.escape(hint))
    prediction_picture = _picture("what the model sees of your drawing and its 10 probabilities")

    def on_pixels(change: Any = None) -> None:
        if not canvas.pixels:  # Clear
            message.value = html.escape(hint)
            _show(False, prediction_picture)
            return
        try:
            steps = canvas_to_steps(pad_pixels(canvas.pixels, size))
        except CourseError as error:
            message.value = html.escape(str(error))
            _show(False, prediction_picture)
            return
        model_input = steps["centred 28x28"]
        probabilities = predict_one(model, model_input)
        message.value = html.escape(describe_prediction(probabilities))
        prediction_picture.value = prediction_png(model_input, probabilities, title="what the model sees")
        prediction_picture.tooltip = "What the model sees, 28x28, and its 10 probabilities: " + describe_prediction(
            probabilities
        )
        _show(True, prediction_picture)

    canvas.observe(on_pixels, "pixels")
    return Tool(
        "Drawing pad",
        "draw a digit with the mouse and watch the model's guess; Clear starts again.",
        [widgets.HBox([canvas, widgets.VBox([message, prediction_picture])])],
        {"canvas": canvas, "message": message, "prediction": prediction_picture},
    )
