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
    assert fig.axes[0].get_title() == "true 0\npred 0 (100%)"


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
