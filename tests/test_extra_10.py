"""Helpers added for notebook 10 (Going further)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from helpers import plots  # noqa: E402


def test_image_grid_has_one_axes_per_cell_and_labels_rows():
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    fig = plots.plot_image_grid([images, images[:2]], ["original", "augmented"], title="Augmentation",
                                column_titles=["a", "b", "c"])
    try:
        assert len(fig.axes) == 6
        assert [ax.get_ylabel() for ax in fig.axes[::3]] == ["original", "augmented"]
        assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"]
        assert fig._suptitle.get_text() == "Augmentation"
        assert len(fig.axes[5].images) == 0 and len(fig.axes[4].images) == 1  # a short row leaves blanks
    finally:
        plt.close(fig)
