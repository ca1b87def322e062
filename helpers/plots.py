"""Figures for the course.  Every function returns the matplotlib ``Figure`` (titles and axis labels
included, modest size) so a notebook can show it, change it or save it.

Digits are drawn as stored: white ink (1.0, or 255 in raw pixels) on a black background (0), on that fixed
scale, never autoscaled.  Figures that compare share one scale; probabilities print with enough digits to tell
99.2 % from 100 % (``format_probability``).  Each figure carries its alt text (``describe``): what it shows, in
words, for a reader who cannot see it, written from the numbers it draws."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers.data import NUM_CLASSES, unit_pixels
from helpers.style import DIGIT_CMAP, DPI, HEAT_CMAP, SIGNED_CMAP, STYLE, describe, format_probability  # noqa: F401


def _finish(fig: Figure, alt_text: str, title: str | None = None, **options: Any) -> Figure:
    """Give ``fig`` its title (unless ``None``), a tight layout and its alt text (after the title); return it."""
    if title is not None:
        fig.suptitle(title, **options)
    fig.tight_layout()
    describe(fig, f"{title}: {alt_text[:1].lower()}{alt_text[1:]}" if title else alt_text[:1].upper() + alt_text[1:])
    return fig


def _image(x: np.ndarray) -> np.ndarray:
    return np.asarray(x).reshape(np.asarray(x).shape[0], -1) if np.asarray(x).ndim == 2 else np.asarray(x)[..., 0]


def digit_scale(image: np.ndarray) -> dict[str, Any]:
    """The ``imshow`` options that show a digit as stored: gray, 0 black, 1 white for float pixels in [0, 1],
    255 white for integer (raw) pixels.  The same for every digit, so that two digits compare.

    >>> digit_scale(np.zeros((28, 28), dtype=np.uint8))
    {'cmap': 'gray', 'vmin': 0, 'vmax': 255}
    """
    integer = np.issubdtype(np.asarray(image).dtype, np.integer)
    return {"cmap": DIGIT_CMAP, "vmin": 0, "vmax": 255 if integer else 1}


def plot_class_counts(counts: dict[str, int], title: str = "Images per class") -> Figure:
    """Bar chart of images per digit, e.g. from ``summarize_dataset()['train']['per_class']``."""
    fig, ax = plt.subplots(figsize=(6, 3), dpi=DPI)
    digits = list(counts)
    bars = ax.bar(digits, [counts[d] for d in digits], color="tab:blue")
    ax.bar_label(bars, fontsize=8)
    ax.set(title=title, xlabel="digit (class folder)", ylabel="number of images")
    ax.margins(y=0.15)
    values = [counts[d] for d in digits]
    return _finish(
        fig,
        f"{title}: a bar chart, one bar per digit {digits[0]} to {digits[-1]}, from {min(values):,} to "
        f"{max(values):,} images each."
        if digits
        else f"{title}: an empty bar chart.",
    )


def plot_samples_per_class(
    images: np.ndarray, labels: np.ndarray, per_class: int = 8, title: str = "Sample digits per class"
) -> Figure:
    """A grid: one row per digit 0..9, ``per_class`` examples of it (the first ones found)."""
    fig, axes = plt.subplots(
        NUM_CLASSES, per_class, figsize=(per_class * 0.7 + 0.6, NUM_CLASSES * 0.75), dpi=DPI, squeeze=False
    )
    for digit in range(NUM_CLASSES):
        found = np.flatnonzero(np.asarray(labels) == digit)[:per_class]
        for column in range(per_class):
            ax = axes[digit, column]
            ax.set_xticks([]), ax.set_yticks([])
            if column < len(found):
                ax.imshow(_image(images[found[column]]), **digit_scale(images))
            if column == 0:
                ax.set_ylabel(str(digit), rotation=0, labelpad=10, fontsize=11)
    shown = int(sum(min(per_class, int((np.asarray(labels) == d).sum())) for d in range(NUM_CLASSES)))
    return _finish(
        fig,
        f"a grid of {shown} handwritten digits, white ink on black, one row per digit 0 to 9 with up to "
        f"{per_class} examples of it.",
        title,
    )


def plot_digit_pixels(image: np.ndarray, title: str = "One digit's pixel values (0..255)", margin: int = 1) -> Figure:
    """One digit in grayscale (0 black, 255 white, as stored) with its pixel values (0..255) written in, cropped
    to its ink plus ``margin`` pixels so that the numbers can be read; the ticks are the rows and columns of the
    full image."""
    pixels = np.rint(unit_pixels(_image(image), "the digit") * 255).astype(int)  # the dtype says the scale
    rows, cols = np.nonzero(pixels) if pixels.any() else np.indices(pixels.shape).reshape(2, -1)
    top, left = max(rows.min() - margin, 0), max(cols.min() - margin, 0)
    crop = pixels[top : rows.max() + margin + 1, left : cols.max() + margin + 1]
    fig, ax = plt.subplots(figsize=(0.34 * crop.shape[1] + 1.6, 0.34 * crop.shape[0] + 0.9), dpi=DPI)
    shown = ax.imshow(
        crop,
        cmap=DIGIT_CMAP,
        vmin=0,
        vmax=255,
        extent=(left - 0.5, left + crop.shape[1] - 0.5, top + crop.shape[0] - 0.5, top - 0.5),
    )
    for (row, col), value in np.ndenumerate(crop):
        if value:
            ax.text(
                left + col,
                top + row,
                str(value),
                ha="center",
                va="center",
                fontsize=7,
                color="black" if value > 128 else "white",  # dark text on light cells
            )
    ax.set_xticks(range(left, left + crop.shape[1])), ax.set_yticks(range(top, top + crop.shape[0]))
    ax.tick_params(labelsize=7)
    fig.colorbar(shown, ax=ax, shrink=0.5, label="pixel value")
    ax.set(title=title, xlabel="column", ylabel="row")
    return _finish(
        fig,
        f"{title}: the digit's ink and a pixel around it, {crop.shape[0]} rows by {crop.shape[1]} columns of "
        f"gray cells, each inked cell labelled with its value: {int((crop > 0).sum())} cells are inked, from "
        f"{int(crop[crop > 0].min()) if crop.any() else 0} (faint) to {int(crop.max())} (white); the rest are 0.",
    )


def plot_pixel_histograms(raw: np.ndarray, scaled: np.ndarray) -> Figure:
    """Histograms of pixel values before ([0, 255]) and after ([0, 1]) normalization."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3), dpi=DPI)
    for ax, values, name in ((axes[0], raw, "raw pixels [0, 255]"), (axes[1], scaled, "normalized pixels [0, 1]")):
        ax.hist(np.ravel(values), bins=50, color="tab:blue", log=True)
        ax.set(title=name, xlabel="pixel value", ylabel="count (log scale)")
    zeros = float(np.mean(np.ravel(raw) == 0))
    return _finish(
        fig,
        f"Two histograms of the same pixels, counts on a log scale: left the raw values from "
        f"{np.min(raw):g} to {np.max(raw):g}, right the normalized values from {np.min(scaled):g} to "
        f"{np.max(scaled):g}. The two have the same shape: scaling moves the values, not their spread. {zeros:.0%} "
        "of the pixels are 0, the background.",
    )


def plot_learning_curves(history: dict[str, Sequence[float]], title: str = "Learning curves", axes=None) -> Figure:
    """Accuracy and loss per epoch, train vs validation, into two ``axes`` or a new figure."""
    history = getattr(history, "history", history)
    epochs = np.arange(1, len(history["loss"]) + 1)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=DPI)
    else:
        fig = axes[0].figure
    for ax, metric in zip(axes, ("accuracy", "loss")):
        ax.plot(epochs, history[metric], "o-", ms=3, label=f"train {metric}")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "s-", ms=3, label=f"validation {metric}")
        ax.set(title=f"{metric.capitalize()} per epoch", xlabel="epoch", ylabel=metric)
        ax.grid(alpha=0.3)
        ax.set_xlim(0.5, len(epochs) + 0.5)  # one epoch too: a tick at 1, not 0.96 .. 1.04
        ax.xaxis.get_major_locator().set_params(integer=True, min_n_ticks=1)  # whole epochs only, no "2.5"
        ax.legend()
    words = [
        f"Two line charts over {len(epochs)} epochs, accuracy on the left and loss on the right, for the "
        f"training digits{' and the validation digits' if 'val_loss' in history else ''}."
    ]
    for name, key in (("training", ""), ("validation", "val_")):
        if f"{key}accuracy" in history:
            words.append(
                f"Last {name} accuracy {format_probability(history[f'{key}accuracy'][-1])}, "
                f"loss {history[f'{key}loss'][-1]:.3g}."
            )
    if "val_loss" in history:
        best = int(np.argmin(history["val_loss"]))
        words.append(f"The validation loss is lowest at epoch {best + 1} ({history['val_loss'][best]:.3g}).")
    return _finish(fig, " ".join(words), title)


def plot_confusion_matrix(
    matrix: np.ndarray, title: str = "Confusion matrix", vmax: int | None = None, ax=None
) -> Figure:
    """The confusion matrix (row = true digit, column = prediction) as two seaborn heatmaps with counts: the
    diagonal (right answers) in gray, the mistakes in reds that start dark enough that a single one shows.

    ``vmax`` is the mistake count drawn darkest (default: this matrix's largest mistake count); give two
    matrices the same ``vmax`` to compare their colours, or use ``plot_confusion_matrices``.  ``ax``: draw into
    this axes instead of a new figure."""
    import seaborn as sns

    matrix, diagonal = np.asarray(matrix), np.eye(len(np.asarray(matrix)), dtype=bool)
    if vmax is None:
        vmax = max(1, int(matrix[~diagonal].max()))
    elif vmax < 1:
        raise ValueError(f"vmax is the largest mistake count on the colour scale, at least 1, not {vmax!r}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 5.5), dpi=DPI)
    else:
        fig = ax.figure
    options = dict(annot=True, fmt="d", ax=ax, square=True, annot_kws={"fontsize": 8}, linewidths=0.5)
    sns.heatmap(matrix, mask=~diagonal, cmap=["0.85"], cbar=False, **options)
    errors = list(plt.get_cmap("Reds")(np.linspace(0.35, 1, 256)))  # 1 mistake: salmon, not white
    sns.heatmap(
        matrix,
        mask=diagonal | (matrix == 0),
        cmap=errors,
        vmin=0.5,
        vmax=float(vmax),
        cbar_kws={"label": "mistakes (count)", "ticks": plt.MaxNLocator(integer=True)},
        **options,
    )
    ax.set(title=title, xlabel="predicted digit", ylabel="true digit")
    return _finish(fig, f"{title}: {_confusion_in_words(matrix)}")


def _confusion_in_words(matrix: np.ndarray) -> str:
    """A confusion matrix's totals and its largest mistakes, in a sentence or two."""
    diagonal = np.eye(len(matrix), dtype=bool)
    right, wrong = int(matrix[diagonal].sum()), int(matrix[~diagonal].sum())
    words = (
        f"a table of {int(matrix.sum()):,} digits, true digit in rows, predicted digit in columns; "
        f"{right:,} on the gray diagonal are right and {wrong:,} off it are mistakes, in reds."
    )
    worst = sorted(zip(*np.nonzero(~diagonal & (matrix > 0))), key=lambda cell: -matrix[cell])[:3]
    if worst:
        words += " Most often: " + ", ".join(f"{t} read as {p} ({matrix[t, p]}x)" for t, p in worst) + "."
    return words


def plot_confusion_matrices(matrices: dict[str, np.ndarray], title: str = "Confusion matrices") -> Figure:
    """Several confusion matrices side by side, one panel per ``{name: matrix}``, their mistakes on ONE colour
    scale (the largest mistake count of them all), so that equal colours mean equal counts.

    >>> few, more = np.diag([9] * 10), np.diag([9] * 10) + np.eye(10, k=1, dtype=int) * 4
    >>> fig = plot_confusion_matrices({"reference": more, "improved": few})
    >>> [tuple(map(float, ax.collections[1].get_clim())) for ax in fig.axes if ax.get_title()]
    [(0.5, 4.0), (0.5, 4.0)]
    """
    if not matrices:
        raise ValueError("plot_confusion_matrices needs at least one matrix")
    arrays = {name: np.asarray(matrix) for name, matrix in matrices.items()}
    vmax = max(max(1, int(m[~np.eye(len(m), dtype=bool)].max())) for m in arrays.values())
    fig, axes = plt.subplots(1, len(arrays), figsize=(6.2 * len(arrays), 5.5), dpi=DPI, squeeze=False)
    for ax, (name, matrix) in zip(axes[0], arrays.items()):
        plot_confusion_matrix(matrix, title=name, vmax=vmax, ax=ax)
    panels = " ".join(f"{name}: {_confusion_in_words(matrix)}" for name, matrix in arrays.items())
    return _finish(fig, f"{len(arrays)} confusion matrices side by side, mistakes on one colour scale. {panels}", title)


def plot_predictions(
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    probabilities: np.ndarray | None = None,
    columns: int = 8,
    title: str = "Predictions (red: mistakes)",
) -> Figure:
    """A grid of digits titled ``true / predicted`` (and the confidence, see ``format_probability``); mistakes
    in red."""
    n = len(images)
    rows = max(1, int(np.ceil(n / columns)))
    # 1.7 inches per row: room for the two-line titles above each image
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.2, rows * 1.7), dpi=DPI, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([]), ax.set_yticks([])
        wrong = i < n and int(predictions[i]) != int(labels[i])
        plt.setp(list(ax.spines.values()), visible=wrong, color="red", linewidth=3)  # a red frame: a mistake
        if i >= n:
            continue
        ax.imshow(_image(images[i]), **digit_scale(images))
        text = f"true {int(labels[i])}\npred {int(predictions[i])}"
        if probabilities is not None:
            text += f" ({format_probability(probabilities[i][int(predictions[i])])})"
        ax.set_title(text, fontsize=8, color="red" if wrong else "black", fontweight="bold" if wrong else "normal")
    mistakes = [(int(labels[i]), int(predictions[i])) for i in range(n) if int(predictions[i]) != int(labels[i])]
    words = f"{n} digits, each captioned with its true and predicted digit"
    words += " and the confidence; " if probabilities is not None else "; "
    if mistakes:
        words += f"{len(mistakes)} wrong, framed in red: " + ", ".join(f"{t} read as {p}" for t, p in mistakes[:8])
        words += f" and {len(mistakes) - 8} more." if len(mistakes) > 8 else "."
    else:
        words += "all read right."
    return _finish(fig, words, title)


def plot_confused_pairs(
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    pairs: Sequence[tuple[int, int, int]],
    per_pair: int = 5,
    title: str = "Examples of the most confused pairs",
) -> Figure:
    """One row per ``(true, predicted, count)`` pair of ``most_confused_pairs``, up to ``per_pair`` images each."""
    rows = max(1, len(pairs))
    fig, axes = plt.subplots(rows, per_pair, figsize=(per_pair * 1.1, rows * 1.25), dpi=DPI, squeeze=False)
    for row, ax_row in enumerate(axes):
        for ax in ax_row:
            ax.set_xticks([]), ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
        if row >= len(pairs):
            continue
        true, predicted, count = pairs[row]
        found = np.flatnonzero((np.asarray(labels) == true) & (np.asarray(predictions) == predicted))[:per_pair]
        for ax, index in zip(ax_row, found):
            ax.imshow(_image(images[index]), **digit_scale(images))
        ax_row[0].set_ylabel(f"{true} -> {predicted}\n({count}x)", rotation=0, labelpad=28, fontsize=9, va="center")
    rows_in_words = "; ".join(f"{t}s read as {p} ({c}x)" for t, p, c in pairs) or "no mistakes to show"
    return _finish(
        fig, f"handwritten digits the model got wrong, up to {per_pair} per row: {rows_in_words}.", title, fontsize=11
    )


def plot_probabilities(
    probabilities: np.ndarray, true_label: int | None = None, title: str = "Class probabilities", ax=None
) -> Figure:
    """The 10 class probabilities of one image; the predicted bar orange, the true one outlined in green."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 2.8), dpi=DPI)
    else:
        fig = ax.figure
    probabilities = np.asarray(probabilities)
    colors = ["tab:blue"] * NUM_CLASSES
    colors[int(probabilities.argmax())] = "tab:orange"
    bars = ax.bar(range(NUM_CLASSES), probabilities, color=colors)
    if true_label is not None:
        bars[int(true_label)].set_edgecolor("green")
        bars[int(true_label)].set_linewidth(2.5)
    ax.set(title=title, xlabel="digit", ylabel="probability", ylim=(0, 1.05), xticks=range(NUM_CLASSES))
    top = int(probabilities.argmax())
    words = f"{title}: a bar chart of the 10 digits' probabilities; the highest, orange, is {top} at "
    words += format_probability(probabilities[top])
    if true_label is not None and int(true_label) == top:
        words += ", the true digit (outlined in green)"
    elif true_label is not None:
        words += f"; the true digit, outlined in green, is {int(true_label)} at "
        words += format_probability(probabilities[int(true_label)])
    return _finish(fig, words + ".")


def plot_image_row(
    images: Sequence[np.ndarray], titles: Sequence[str], title: str = "", cmap: str = DIGIT_CMAP
) -> Figure:
    """A row of images with a title each (e.g. the preprocessing steps of your own digit), all on ONE scale:
    0 black, white at 1 for float images and at 255 for integer (raw) ones (``digit_scale``), never stretched
    per panel, so that a faint step looks faint."""
    if len(images) != len(titles):
        raise ValueError(f"plot_image_row got {len(images)} images but {len(titles)} titles")
    fig, axes = plt.subplots(1, len(images), figsize=(1.9 * len(images) + 0.4, 2.4), dpi=DPI, squeeze=False)
    for ax, image, name in zip(axes[0], images, titles):
        ax.imshow(np.squeeze(image), **{**digit_scale(image), "cmap": cmap})
        ax.set_title(name, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    return _finish(fig, f"a row of {len(images)} images, white on black: " + "; ".join(titles) + ".", title or None)


def plot_image_grid(
    rows: Sequence[Sequence[np.ndarray]],
    row_labels: Sequence[str],
    title: str = "",
    column_titles: Sequence[str] | None = None,
) -> Figure:
    """A grid of digits, one row per list in ``rows``, labelled by ``row_labels``."""
    n_rows, n_columns = len(rows), max(len(row) for row in rows)
    fig, axes = plt.subplots(
        n_rows, n_columns, figsize=(n_columns * 1.0 + 0.8, n_rows * 1.05 + 0.4), dpi=DPI, squeeze=False
    )
    for r, (ax_row, images) in enumerate(zip(axes, rows)):
        for c, ax in enumerate(ax_row):
            ax.set_xticks([]), ax.set_yticks([])
            if c < len(images):
                ax.imshow(_image(images[c]), **digit_scale(images[c]))
            if r == 0 and column_titles is not None and c < len(column_titles):
                ax.set_title(column_titles[c], fontsize=9)
        ax_row[0].set_ylabel(row_labels[r], rotation=0, ha="right", va="center", fontsize=9)
    columns = f"; columns {', '.join(column_titles)}" if column_titles else ""
    rows_in_words = "; ".join(f"{label} ({len(images)})" for label, images in zip(row_labels, rows))
    return _finish(fig, f"a grid of digits, white on black, one row each: {rows_in_words}{columns}.", title or None)
