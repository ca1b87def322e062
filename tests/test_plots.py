"""helpers.plots: each function returns a Figure with a title and labelled axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import plots  # noqa: E402

RNG = np.random.default_rng(0)
IMAGES = RNG.random((30, 28, 28, 1), dtype=np.float32)
LABELS = np.arange(30) % 10


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _titles(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes] + ([fig._suptitle.get_text()] if fig._suptitle else [])


def test_class_counts_bar_chart():
    fig = plots.plot_class_counts({str(d): 10 + d for d in range(10)})
    ax = fig.axes[0]
    assert [round(p.get_height()) for p in ax.patches] == [10 + d for d in range(10)]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_samples_per_class_grid_has_a_row_per_digit():
    fig = plots.plot_samples_per_class(IMAGES, LABELS, per_class=3)
    assert len(fig.axes) == 30
    assert [fig.axes[3 * d].get_ylabel() for d in range(10)] == [str(d) for d in range(10)]
    assert "Sample" in _titles(fig)[-1]


def test_learning_curves_plot_train_and_validation():
    history = {
        "loss": [0.5, 0.3, 0.2],
        "accuracy": [0.8, 0.9, 0.95],
        "val_loss": [0.4, 0.3, 0.35],
        "val_accuracy": [0.85, 0.9, 0.91],
    }
    fig = plots.plot_learning_curves(history)
    accuracy_ax, loss_ax = fig.axes
    assert len(accuracy_ax.lines) == 2 and len(loss_ax.lines) == 2
    assert list(loss_ax.lines[1].get_ydata()) == [0.4, 0.3, 0.35]
    assert list(accuracy_ax.lines[0].get_xdata()) == [1, 2, 3]
    assert accuracy_ax.get_xlabel() == "epoch" and loss_ax.get_ylabel() == "loss"


@pytest.mark.parametrize("epochs, ticks", [(1, [1]), (2, [1, 2]), (20, [5, 10, 15, 20])])
def test_learning_curves_tick_whole_epochs_only(epochs, ticks):
    history = {"loss": [0.5] * epochs, "accuracy": [0.8] * epochs}
    for ax in plots.plot_learning_curves(history).axes:
        shown = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert shown == ticks and all(float(t).is_integer() for t in shown)


def test_confusion_matrix_annotates_counts_and_a_single_mistake_is_not_near_white():
    matrix = np.diag(np.arange(10) + 190)
    matrix[3, 5], matrix[2, 7] = 7, 1
    fig = plots.plot_confusion_matrix(matrix)
    ax = fig.axes[0]
    texts = {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert len(texts) == 12 and texts[3, 5] == "7" and texts[2, 7] == "1" and texts[4, 4] == "194"
    assert (0, 1) not in texts  # no mistake, no number: the zeros stay blank
    diagonal, mistakes = ax.collections  # the right answers and the mistakes are two separate heatmaps
    assert mistakes.get_array().mask[np.diag_indices(10)].all()  # the diagonal is not on the mistakes' scale
    one_mistake = mistakes.to_rgba(1)
    assert min(one_mistake[:3]) < 0.7, f"a single mistake should stand out, not be near white: {one_mistake}"
    assert len(fig.axes) == 2 and "mistakes" in fig.axes[1].get_ylabel()  # the colorbar
    assert ax.get_xlabel() == "predicted digit" and ax.get_ylabel() == "true digit"


def test_predictions_grid_marks_mistakes_in_red():
    predictions = LABELS.copy()
    predictions[2] = 7
    probabilities = np.eye(10)[predictions]
    fig = plots.plot_predictions(IMAGES[:10], LABELS[:10], predictions[:10], probabilities[:10], columns=5)
    colours = [ax.title.get_color() for ax in fig.axes]
    assert colours[2] == "red" and colours.count("red") == 1
    framed = [ax.spines["left"].get_visible() for ax in fig.axes]
    assert framed == [i == 2 for i in range(10)], "only the mistake gets a (red) frame"
    assert fig.axes[0].images[0].get_cmap().name == plots.DIGIT_CMAP
    assert fig.axes[0].get_title() == "true 0\npred 0 (100%)"  # exactly 1.0: the only 100%


def test_predictions_grid_tells_99_6_percent_from_100_percent():
    probabilities = np.full((2, 10), 0.0004, dtype=np.float32)
    probabilities[0, 3], probabilities[1, 5] = 0.996, 0.99991
    fig = plots.plot_predictions(IMAGES[:2], np.array([3, 5]), np.array([3, 5]), probabilities, columns=2)
    assert [ax.get_title() for ax in fig.axes] == ["true 3\npred 3 (99.6%)", "true 5\npred 5 (>99.9%)"]


@pytest.mark.parametrize(
    "probability, label",
    [
        (0.992, "99.2%"),
        (0.996, "99.6%"),
        (0.9994, "99.9%"),
        (0.9995, ">99.9%"),
        (0.99999994, ">99.9%"),
        (1.0, "100%"),
        (0.5, "50.0%"),
        (0.0004, "<0.1%"),
        (0.0, "0%"),
        (np.float32(0.996), "99.6%"),
    ],
)
def test_format_probability_never_rounds_to_a_false_100_or_0(probability, label):
    assert plots.format_probability(probability) == label


def test_format_probability_rejects_a_value_outside_0_to_1():
    with pytest.raises(ValueError, match="1.5"):
        plots.format_probability(1.5)


# ---- digits are drawn as stored: white strokes on black, on one fixed scale ------------------------------------
STROKE = np.zeros((28, 28, 1), dtype=np.float32)
STROKE[6:22, 12:16] = 1.0  # a white vertical stroke, rows 6..21, columns 12..15
FAINT = STROKE * 0.5  # the same stroke at half brightness


def _shade(ax, row: float, col: float) -> float:
    """The gray level (0 black .. 1 white) the rendered figure shows at data point (row, col) of ``ax``."""
    fig = ax.figure
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255
    x, y = ax.transData.transform((col, row))
    return float(pixels[int(round(pixels.shape[0] - y)), int(round(x))].mean())


def _assert_white_on_black(ax, stroke_brightness: float = 1.0, background: tuple[int, int] = (2, 3)):
    assert _shade(ax, 14, 13.5) == pytest.approx(stroke_brightness, abs=0.05), "the stroke is not drawn as stored"
    assert _shade(ax, *background) < 0.05, "the background (0) must be black"


def test_samples_predictions_pairs_and_grid_draw_white_strokes_on_black():
    images, labels = np.stack([STROKE] * 10), np.arange(10)
    _assert_white_on_black(plots.plot_samples_per_class(images, labels, per_class=1).axes[0])
    _assert_white_on_black(plots.plot_predictions(images[:2], labels[:2], labels[:2], columns=2).axes[0])
    pairs = plots.plot_confused_pairs(images, labels, np.roll(labels, 1), [(0, 9, 1)], per_pair=1)
    _assert_white_on_black(pairs.axes[0])
    _assert_white_on_black(plots.plot_image_grid([[STROKE]], ["a stroke"]).axes[0])


def test_raw_0_to_255_digits_are_white_on_black_too():
    raw = (STROKE * 255).astype(np.uint8)
    _assert_white_on_black(plots.plot_image_row([raw], ["raw"]).axes[0])
    _assert_white_on_black(plots.plot_samples_per_class(raw[np.newaxis], np.array([0]), per_class=1).axes[0])


def test_a_faint_digit_stays_faint_no_panel_is_stretched_on_its_own():
    fig = plots.plot_image_row([STROKE, FAINT], ["full ink", "half ink"], title="one scale")
    _assert_white_on_black(fig.axes[0])
    _assert_white_on_black(fig.axes[1], stroke_brightness=0.5)
    _assert_white_on_black(plots.plot_predictions(FAINT[np.newaxis], [0], [0]).axes[0], stroke_brightness=0.5)


def test_digit_pixels_shows_255_white_and_writes_dark_numbers_on_it():
    raw = (STROKE[..., 0] * 255).astype(np.uint8)
    ax = plots.plot_digit_pixels(raw).axes[0]
    _assert_white_on_black(ax, background=(5, 13))  # cropped to the ink: row 5 is the margin above the stroke
    on_ink = [t for t in ax.texts if t.get_text() == "255"]
    assert on_ink and all(t.get_color() == "black" for t in on_ink), "white numbers on white cells cannot be read"


# ---- confusion matrices that are compared share one colour scale ----------------------------------------------
def _matrix(mistakes: dict[tuple[int, int], int]) -> np.ndarray:
    matrix = np.diag(np.full(10, 195))
    for (true, predicted), count in mistakes.items():
        matrix[true, predicted] = count
    return matrix


def test_confusion_matrix_vmax_fixes_the_darkest_count():
    fig = plots.plot_confusion_matrix(_matrix({(3, 5): 2}), vmax=8)
    assert fig.axes[0].collections[1].get_clim()[1] == 8
    assert fig.axes[1].get_ylim()[1] == pytest.approx(8)  # the colorbar reaches 8, not 2


def test_compared_confusion_matrices_share_their_colour_limits():
    reference, improved = _matrix({(3, 5): 9, (4, 9): 2}), _matrix({(4, 9): 2})
    fig = plots.plot_confusion_matrices({"reference": reference, "improved": improved}, title="Before and after")
    panels = [ax for ax in fig.axes if ax.get_xlabel() == "predicted digit"]
    assert [ax.get_title() for ax in panels] == ["reference", "improved"] and fig._suptitle.get_text()
    limits = [tuple(map(float, ax.collections[1].get_clim())) for ax in panels]
    assert limits == [(0.5, 9.0), (0.5, 9.0)]
    # the same count (2 mistakes 4 -> 9) gets the same colour in both panels
    colours = [ax.collections[1].to_rgba(ax.collections[1].get_array()[4, 9]) for ax in panels]
    assert np.allclose(colours[0], colours[1])


def test_probabilities_digit_pixels_histograms_and_image_row():
    fig = plots.plot_probabilities(np.full(10, 0.1), true_label=3)
    assert len(fig.axes[0].patches) == 10
    fig = plots.plot_digit_pixels(IMAGES[0])
    assert fig.axes[0].get_title() and len(fig.axes[0].texts) > 700
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[5:15, 8:14] = 200  # ink in rows 5..14, columns 8..13
    ax = plots.plot_digit_pixels(digit, margin=1).axes[0]
    assert len(ax.texts) == 60 and ax.get_xlim() == (6.5, 14.5) and ax.get_ylim() == (15.5, 3.5)  # cropped
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "7" and len(ax.figure.axes) == 2  # a colorbar
    fig = plots.plot_pixel_histograms(IMAGES * 255, IMAGES)
    assert len(fig.axes) == 2 and fig.axes[1].get_xlabel() == "pixel value"
    fig = plots.plot_image_row([IMAGES[0], IMAGES[1]], ["a", "b"], title="steps")
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]


def test_confused_pairs_grid_has_one_row_per_pair_and_shows_only_matching_mistakes():
    images = np.zeros((6, 28, 28, 1), dtype=np.float32)
    labels = np.array([4, 4, 4, 7, 7, 1])
    predictions = np.array([9, 9, 4, 1, 2, 1])
    fig = plots.plot_confused_pairs(images, labels, predictions, [(4, 9, 2), (7, 1, 1)], per_pair=3)
    assert len(fig.axes) == 6
    shown = [len(ax.images) for ax in fig.axes]
    assert shown == [1, 1, 0, 1, 0, 0]
    assert fig.axes[0].get_ylabel().startswith("4 -> 9") and fig.axes[3].get_ylabel().startswith("7 -> 1")
    assert fig._suptitle.get_text()


def test_confused_pairs_without_pairs_is_one_blank_row():
    fig = plots.plot_confused_pairs(np.zeros((1, 28, 28, 1)), np.array([0]), np.array([0]), [], per_pair=4)
    assert len(fig.axes) == 4 and all(not ax.images for ax in fig.axes)


def test_image_grid_has_one_axes_per_cell_and_labels_rows():
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    fig = plots.plot_image_grid(
        [images, images[:2]], ["original", "augmented"], title="Augmentation", column_titles=["a", "b", "c"]
    )
    try:
        assert len(fig.axes) == 6
        assert [ax.get_ylabel() for ax in fig.axes[::3]] == ["original", "augmented"]
        assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"]
        assert fig._suptitle.get_text() == "Augmentation"
        assert len(fig.axes[5].images) == 0 and len(fig.axes[4].images) == 1  # a short row leaves blanks
    finally:
        plt.close(fig)


# --- alt text (issue 25): every figure says what it shows, from the numbers it draws -----------------------------
def test_every_figure_function_gives_its_figure_alt_text_with_its_title():
    """Every public ``plot_*`` of helpers.plots and helpers.explain, called here, leaves alt text on its figure
    that names the figure by its title; a new plot function without a case here fails."""
    from helpers import explain

    matrix = np.diag([9] * 10)
    history = {"loss": [0.5, 0.3], "accuracy": [0.8, 0.9], "val_loss": [0.4, 0.35], "val_accuracy": [0.85, 0.9]}
    calls = {
        "plot_class_counts": lambda: plots.plot_class_counts({"0": 3, "1": 4}, title="T"),
        "plot_samples_per_class": lambda: plots.plot_samples_per_class(IMAGES, LABELS, 2, title="T"),
        "plot_digit_pixels": lambda: plots.plot_digit_pixels(IMAGES[0], title="T"),
        "plot_pixel_histograms": lambda: plots.plot_pixel_histograms(IMAGES * 255, IMAGES),
        "plot_learning_curves": lambda: plots.plot_learning_curves(history, title="T"),
        "plot_confusion_matrix": lambda: plots.plot_confusion_matrix(matrix, title="T"),
        "plot_confusion_matrices": lambda: plots.plot_confusion_matrices({"a": matrix}, title="T"),
        "plot_predictions": lambda: plots.plot_predictions(IMAGES[:4], LABELS[:4], LABELS[:4], title="T"),
        "plot_confused_pairs": lambda: plots.plot_confused_pairs(IMAGES, LABELS, LABELS, [], title="T"),
        "plot_probabilities": lambda: plots.plot_probabilities(np.full(10, 0.1), title="T"),
        "plot_image_row": lambda: plots.plot_image_row([IMAGES[0]], ["one"], title="T"),
        "plot_image_grid": lambda: plots.plot_image_grid([[IMAGES[0]]], ["row"], title="T"),
        "plot_filters": lambda: explain.plot_filters(RNG.normal(size=(4, 3, 3)), title="T"),
        "plot_feature_maps": lambda: explain.plot_feature_maps({"conv1": RNG.random((26, 26, 4))}, 4, title="T"),
        "plot_saliency": lambda: explain.plot_saliency(IMAGES[0], IMAGES[1, ..., 0], title="T"),
        "plot_embedding": lambda: explain.plot_embedding(RNG.normal(size=(30, 2)), LABELS, title="T"),
    }
    public = {name for module in (plots, explain) for name in dir(module) if name.startswith("plot_")}
    assert public == set(calls), f"plot functions without an alt-text case here: {sorted(public - set(calls))}"
    for name, call in calls.items():
        alt = call().alt_text
        assert len(alt) > 40 and "  " not in alt, (name, alt)
        if name != "plot_pixel_histograms":  # it has no title of its own
            assert alt.startswith("T: "), (name, alt)


def test_learning_curves_alt_text_gives_the_last_values_and_the_best_epoch():
    history = {
        "loss": [0.5, 0.3, 0.2],
        "accuracy": [0.8, 0.9, 0.95],
        "val_loss": [0.4, 0.3, 0.35],
        "val_accuracy": [0.85, 0.9, 0.91],
    }
    alt = plots.plot_learning_curves(history, title="Run").alt_text
    assert "over 3 epochs" in alt
    assert "training accuracy 95.0%, loss 0.2." in alt and "validation accuracy 91.0%, loss 0.35." in alt
    assert "lowest at epoch 2 (0.3)" in alt
    assert alt.startswith("Run: two line charts")


def test_confusion_matrix_alt_text_counts_right_and_wrong_and_names_the_commonest_mistakes():
    matrix = np.diag([10] * 10)
    matrix[4, 9], matrix[7, 1], matrix[3, 5] = 6, 2, 3
    alt = plots.plot_confusion_matrix(matrix, title="Test").alt_text
    assert "111 digits" in alt and "100 on the gray diagonal are right and 11 off it" in alt
    assert "4 read as 9 (6x), 3 read as 5 (3x), 7 read as 1 (2x)" in alt
    assert "Most often" not in plots.plot_confusion_matrix(np.diag([10] * 10)).alt_text


def test_predictions_alt_text_lists_the_mistakes():
    predictions = LABELS[:8].copy()
    predictions[2], predictions[5] = 7, 0
    alt = plots.plot_predictions(IMAGES[:8], LABELS[:8], predictions, title="P").alt_text
    assert "8 digits" in alt and "2 wrong" in alt and "2 read as 7, 5 read as 0." in alt
    assert "all read right" in plots.plot_predictions(IMAGES[:3], LABELS[:3], LABELS[:3]).alt_text


def test_probabilities_alt_text_names_the_top_digit_and_the_truth():
    probabilities = np.full(10, 0.004)
    probabilities[3], probabilities[8] = 0.9, 0.068
    assert "the highest, orange, is 3 at 90.0%; the true digit, outlined in green, is 8 at 6.8%." in (
        plots.plot_probabilities(probabilities, true_label=8).alt_text
    )
    assert "3 at 90.0%, the true digit" in plots.plot_probabilities(probabilities, true_label=3).alt_text


def test_describe_refuses_an_empty_alt_text():
    with pytest.raises(ValueError, match="cannot be empty"):
        plots.describe(plt.figure(), "  ")


def test_a_figure_shown_in_ipython_after_setup_carries_its_alt_text_in_the_output_metadata():
    """``keep_alt_text`` (run by ``setup_notebook``) makes IPython's PNG formatter return the figure's alt text as
    the image's metadata, which the notebook stores as ``{"image/png": {"alt": ...}}``; a figure without alt text
    keeps plain output; a second call does not wrap twice."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    from helpers.notebook import keep_alt_text

    shell = InteractiveShell.instance()
    try:
        select_figure_formats(shell, {"png"})  # what `%matplotlib inline` registers
        keep_alt_text()
        keep_alt_text()
        fig = plots.plot_class_counts({"0": 3, "1": 5}, title="Counts")
        data, metadata = shell.display_formatter.format(fig)
        assert data["image/png"] and metadata["image/png"] == {"alt": fig.alt_text}
        assert fig.alt_text.startswith("Counts: a bar chart")
        plain, ax = plt.subplots()
        ax.plot([1, 2])
        data, metadata = shell.display_formatter.format(plain)
        assert data["image/png"] and "image/png" not in metadata
    finally:
        InteractiveShell.clear_instance()
