"""Helpers added for notebooks 04-07: helpers.plots.plot_confused_pairs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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
