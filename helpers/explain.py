"""Looking inside a trained CNN (notebook 09): filters, feature maps, which pixels drove a prediction
(saliency, Grad-CAM) and the Dense layer in 2-D.  Saliency and Grad-CAM differentiate a class's pre-softmax
**logit**: the gradient of a probability that is already 0.999 is almost zero everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from helpers.errors import CourseError
from helpers.style import DIGIT_CMAP, HEAT_CMAP, SIGNED_CMAP, describe

EMBED_METHODS = ("pca", "tsne")


# --- model plumbing -------------------------------------------------------------------------------
def _layer(model: Any, layer_name: str) -> Any:
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise CourseError(f"no layer named {layer_name!r} in model {model.name!r}; its layers: {', '.join(names)}")
    return model.get_layer(layer_name)


def _submodel(model: Any, outputs: Any) -> Any:
    """A model from the input of ``model`` to ``outputs`` (one layer output or a list of them)."""
    import keras

    return keras.Model(inputs=model.inputs[0], outputs=outputs)


def _one_image(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image, dtype=np.float32)
    if array.size != 28 * 28:
        raise CourseError(f"expected one 28x28 image, got an array of shape {array.shape}")
    return array.reshape(1, 28, 28, 1)


def _scale_to_unit(values: np.ndarray) -> np.ndarray:
    """Nonnegative values divided by their maximum (all zeros stay zeros), so 1 marks the strongest pixel."""
    values = np.asarray(values, dtype=np.float32)
    top = float(values.max())
    return values / top if top > 0 else np.zeros_like(values)


def _class_scores(model: Any, features: Any) -> Any:
    """The class scores from the last layer's input: its logits for a softmax ``Dense``, else log probabilities."""
    import keras
    import tensorflow as tf

    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense) and last.get_config().get("activation") == "softmax":
        return tf.matmul(features, last.kernel) + last.bias
    return tf.math.log(last(features) + 1e-12)


def _forward(model: Any, x: Any, tape: Any = None, watch_after: str | None = None) -> tuple[Any, Any]:
    """Run the layers but the last on ``x``: ``(output of watch_after, watched by tape, or None; the last layer's
    input)``.  One path from input to score: between two of a loaded model's graph copies a gradient is None."""
    import keras

    if not isinstance(model, keras.Sequential):
        raise CourseError(f"saliency and Grad-CAM need a keras.Sequential model, got {type(model).__name__}")
    watched = None
    for layer in model.layers[:-1]:
        x = layer(x, training=False)
        if layer.name == watch_after:
            if tape is not None:
                tape.watch(x)
            watched = x
    return watched, x


def _centre_and_stride(model: Any, layer_name: str) -> tuple[float, float]:
    """``(offset, stride)``: cell ``k`` of ``layer_name``'s maps is centred on input pixel ``offset + stride * k``."""
    import keras

    offset, stride = 0.0, 1.0
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            config = layer.get_config()
            window = config.get("kernel_size") or config.get("pool_size")
            if config.get("padding", "valid") == "valid":
                offset += (window[0] - 1) / 2 * stride
            stride *= (config.get("strides") or window)[0]
        if layer.name == layer_name:
            break
    return offset, stride


def _to_pixels(grid: np.ndarray, offset: float, stride: float, size: int = 28) -> np.ndarray:
    """Bilinear interpolation of a square ``grid`` (see ``_centre_and_stride``) onto ``size x size`` pixels."""
    cells = grid.shape[0]
    position = np.clip((np.arange(size) - offset) / stride, 0, cells - 1)
    weights = np.zeros((size, cells), dtype=np.float32)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, cells - 1)
    fraction = (position - low).astype(np.float32)
    np.add.at(weights, (np.arange(size), low), 1 - fraction)
    np.add.at(weights, (np.arange(size), high), fraction)
    return weights @ grid @ weights.T


# --- what the layers hold -------------------------------------------------------------------------
def first_layer_filters(model: Any, layer_name: str = "conv1") -> np.ndarray:
    """The 3x3 kernels of a one-channel convolution as an array ``(filters, 3, 3)``."""
    layer = _layer(model, layer_name)
    weights = layer.get_weights()
    if not weights or np.ndim(weights[0]) != 4:
        raise CourseError(f"layer {layer_name!r} is not a convolution with a kernel")
    kernel = np.asarray(weights[0])  # (height, width, in_channels, filters)
    if kernel.shape[2] != 1:
        raise CourseError(f"layer {layer_name!r} reads {kernel.shape[2]} channels; pick the first convolution")
    return np.transpose(kernel[:, :, 0, :], (2, 0, 1))


def feature_maps(model: Any, image: np.ndarray, layer_names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The activations of one image after each named layer (default: every ``Conv2D`` and ``MaxPooling2D``),
    as ``{layer name: array (height, width, channels)}`` in layer order."""
    import keras

    if layer_names is None:
        layer_names = [
            layer.name for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D))
        ]
    layer_names = list(layer_names)
    if not layer_names:
        raise CourseError(f"model {model.name!r} has no Conv2D or MaxPooling2D layer")
    outputs = [_layer(model, name).output for name in layer_names]
    values = _submodel(model, outputs)(_one_image(image), training=False)
    if not isinstance(values, (list, tuple)):
        values = [values]
    return {name: np.asarray(value)[0] for name, value in zip(layer_names, values)}


def layer_activations(model: Any, images: np.ndarray, layer_name: str = "dense", batch_size: int = 256) -> np.ndarray:
    """The outputs of one layer for a batch of images, flattened to ``(n, units)``."""
    sub = _submodel(model, _layer(model, layer_name).output)
    values = np.asarray(sub.predict(np.asarray(images, dtype=np.float32), batch_size=batch_size, verbose=0))
    return values.reshape(len(values), -1)


# --- which pixels drove a prediction --------------------------------------------------------------
def saliency_map(
    model: Any,
    image: np.ndarray,
    class_index: int | None = None,
    smooth_samples: int = 0,
    noise: float = 0.15,
    seed: int = 42,
) -> np.ndarray:
    """``|d logit / d pixel|`` of the class (default: the predicted digit) as a ``(28, 28)`` map in [0, 1];
    with ``smooth_samples > 0``, *SmoothGrad*: the mean over that many noisy copies of the image."""
    import tensorflow as tf

    x = _one_image(image)
    if class_index is None:
        class_index = int(np.argmax(np.asarray(model(x, training=False))[0]))
    if smooth_samples > 0:
        rng = np.random.default_rng(seed)
        batch = (x + rng.normal(0.0, noise, size=(smooth_samples, 28, 28, 1))).astype(np.float32)
    else:
        batch = x
    batch = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        tape.watch(batch)
        _, features = _forward(model, batch)
        score = tf.reduce_sum(_class_scores(model, features)[:, int(class_index)])
    gradients = np.abs(np.asarray(tape.gradient(score, batch)))
    return _scale_to_unit(gradients.mean(axis=0)[..., 0])


def grad_cam(model: Any, image: np.ndarray, layer_name: str = "conv2", class_index: int | None = None) -> np.ndarray:
    """Grad-CAM: where the feature maps of ``layer_name`` support the class (default: the predicted digit),
    as a ``(28, 28)`` heatmap in [0, 1]."""
    import tensorflow as tf

    layer = _layer(model, layer_name)
    if len(layer.output.shape) != 4:
        raise CourseError(f"layer {layer_name!r} has no 2-D feature maps; pick a Conv2D or pooling layer")
    x = tf.convert_to_tensor(_one_image(image))
    with tf.GradientTape() as tape:
        maps, features = _forward(model, x, tape, watch_after=layer_name)
        logits = _class_scores(model, features)
        if class_index is None:
            class_index = int(np.argmax(np.asarray(logits)[0]))
        score = logits[0, int(class_index)]
    gradients = tape.gradient(score, maps)[0]
    weights = tf.reduce_mean(gradients, axis=(0, 1))
    cam = np.asarray(tf.nn.relu(tf.reduce_sum(maps[0] * weights, axis=-1)))
    return _scale_to_unit(np.clip(_to_pixels(cam, *_centre_and_stride(model, layer_name)), 0, None))


# --- the Dense layer in two dimensions -----------------------------------------------------------
def embed_2d(activations: np.ndarray, method: str = "pca", seed: int = 42) -> np.ndarray:
    """Project ``(n, units)`` activations to ``(n, 2)`` points with scikit-learn's PCA or t-SNE.

    >>> embed_2d(np.random.rand(50, 8)).shape
    (50, 2)
    """
    data = np.asarray(activations, dtype=np.float32).reshape(len(activations), -1)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(data)
    if method == "tsne":
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits

        perplexity = min(30.0, (len(data) - 1) / 3)
        tsne = TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed)
        # one thread, same result: on a busy 2-core CPU OpenMP threads made 200 points take 13 s instead of 0.6 s
        with threadpool_limits(limits=1):
            return tsne.fit_transform(data)
    raise CourseError(f"unknown embedding method {method!r}; choose one of: {', '.join(EMBED_METHODS)}")


# --- figures ---------------------------------------------------------------------------------------
def plot_filters(kernels: np.ndarray, title: str = "First-layer filters (3x3 kernels)", columns: int = 8) -> Figure:
    """The kernels ``(n, 3, 3)`` of the first convolution on one colour scale centred at 0 (``SIGNED_CMAP``:
    red adds, blue subtracts)."""
    kernels = np.asarray(kernels)
    rows = int(np.ceil(len(kernels) / columns))
    limit = float(np.abs(kernels).max()) or 1.0
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9 + 0.8, rows * 0.95 + 0.5), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set(xticks=[], yticks=[])
        if index < len(kernels):
            ax.imshow(kernels[index], cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
            ax.set_title(f"#{index}", fontsize=7, pad=2)
        else:
            ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.colorbar(axes.flat[0].images[0], ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    describe(
        fig,
        f"{title}: {len(kernels)} small 3 by 3 grids of weights, red for positive and blue for negative, on one "
        f"scale from {-limit:.2f} to {limit:.2f}.",
    )
    return fig


def plot_feature_maps(
    maps: dict[str, np.ndarray], max_channels: int = 8, title: str = "Feature maps, first channels of each layer"
) -> Figure:
    """One row per layer of ``feature_maps(...)``: its first ``max_channels`` channels on one scale per layer,
    with a colorbar; after ReLU the maps are >= 0 (``HEAT_CMAP``), else signed (``SIGNED_CMAP``)."""
    names = list(maps)
    fig, axes = plt.subplots(
        len(names), max_channels, figsize=(max_channels * 1.0 + 2.0, len(names) * 1.15 + 0.5), squeeze=False
    )
    for row, name in enumerate(names):
        values = np.asarray(maps[name])
        shown, top = values[..., :max_channels], float(np.abs(values[..., :max_channels]).max()) or 1.0
        scale = {"cmap": HEAT_CMAP, "vmin": 0} if shown.min() >= 0 else {"cmap": SIGNED_CMAP, "vmin": -top}
        for column in range(max_channels):
            ax = axes[row, column]
            ax.set(xticks=[], yticks=[])
            if column < values.shape[-1]:
                ax.imshow(values[..., column], vmax=top, **scale)
                if row == 0:
                    ax.set_title(f"ch {column}", fontsize=8)
            else:
                ax.axis("off")
        height, width, channels = values.shape
        axes[row, 0].set_ylabel(
            f"{name}\n{height}x{width}x{channels}", rotation=0, labelpad=32, fontsize=8, va="center"
        )
    fig.suptitle(title)
    fig.tight_layout()
    for row in range(len(names)):
        fig.colorbar(axes[row, 0].images[0], ax=axes[row].tolist(), shrink=0.9, pad=0.02)
    rows = "; ".join(
        "{} ({}x{}, {} channels{})".format(name, *np.shape(maps[name]), ", signed" if np.min(maps[name]) < 0 else "")
        for name in names
    )
    describe(
        fig,
        f"{title}: one row per layer, its first {max_channels} channels as small heat maps, bright where the "
        f"channel responds strongly; the maps shrink layer by layer. Rows: {rows}.",
    )
    return fig


def plot_saliency(
    image: np.ndarray,
    saliency: np.ndarray,
    gradcam: np.ndarray | None = None,
    title: str = "Which pixels drove the prediction",
    gradcam_label: str = "Grad-CAM (conv2)",
) -> Figure:
    """The digit (grayscale), its saliency map, its Grad-CAM map (if given) and the last map laid over the digit
    (faded where weak); maps in magma on one 0-1 scale, each with a colorbar."""
    digit = np.asarray(image).reshape(28, 28)
    maps = [(saliency, "saliency |d score/d pixel|")] + ([(gradcam, gradcam_label)] if gradcam is not None else [])
    fig, axes = plt.subplots(1, len(maps) + 2, figsize=(2.6 * (len(maps) + 2), 2.6))
    axes[0].imshow(digit, cmap=DIGIT_CMAP, vmin=0, vmax=1)
    axes[-1].imshow(digit, cmap=DIGIT_CMAP, vmin=0, vmax=1)
    last = np.clip(maps[-1][0], 0, 1)
    layers = [ax.imshow(values, cmap=HEAT_CMAP, vmin=0, vmax=1) for ax, (values, _) in zip(axes[1:], maps)]
    layers.append(axes[-1].imshow(last, cmap=HEAT_CMAP, vmin=0, vmax=1, alpha=0.9 * last))
    names = ["input digit"] + [name for _, name in maps] + [f"{maps[-1][1].split(' (')[0]} over the digit"]
    for ax, name in zip(axes, names):
        ax.set(title=name, xticks=[], yticks=[])
        ax.title.set_fontsize(8)
    for ax, layer in zip(axes[1:], layers):
        fig.colorbar(layer, ax=ax, fraction=0.046, pad=0.04).ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    where = np.unravel_index(int(np.argmax(last)), last.shape)
    describe(
        fig,
        f"{title}: {len(names)} panels: " + ", ".join(names) + ". Maps are bright where they are strong; the "
        f"strongest point of the last map is at row {where[0]}, column {where[1]} of the 28 by 28 digit; "
        f"{_share_on_ink(last, digit):.0%} of the map's weight lies on the digit's ink.",
    )
    return fig


def _share_on_ink(heat: np.ndarray, digit: np.ndarray) -> float:
    """The share of a map's total that falls on inked pixels (> 0.1) of the digit."""
    total = float(np.sum(heat))
    return float(np.sum(heat[np.asarray(digit) > 0.1])) / total if total > 0 else 0.0


def plot_embedding(
    points: np.ndarray,
    labels: np.ndarray,
    title: str = "Dense-layer activations in 2-D",
    xlabel: str = "component 1",
    ylabel: str = "component 2",
    highlight: np.ndarray | None = None,
    highlight_label: str = "mistakes",
) -> Figure:
    """2-D points coloured and labelled by digit; the indices in ``highlight`` marked with black crosses."""
    import matplotlib.patheffects as effects

    points, labels = np.asarray(points), np.asarray(labels)
    fig, ax = plt.subplots(figsize=(6.2, 5.0))
    colors = plt.get_cmap("tab10")
    for digit in range(10):
        mine = points[labels == digit]
        if not len(mine):
            continue
        ax.scatter(mine[:, 0], mine[:, 1], s=5, alpha=0.6, color=colors(digit), label=str(digit))
        x, y = np.median(mine, axis=0)
        ax.text(
            x,
            y,
            str(digit),
            fontsize=14,
            fontweight="bold",
            ha="center",
            va="center",
            color=colors(digit),
            path_effects=[effects.withStroke(linewidth=3, foreground="white")],
        )
    if highlight is not None and len(highlight):
        marked = points[np.asarray(highlight)]
        ax.scatter(
            marked[:, 0],
            marked[:, 1],
            s=22,
            marker="x",
            color="black",
            linewidths=1,
            label=f"{highlight_label} ({len(marked)})",
        )
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(title="digit", loc="center left", bbox_to_anchor=(1.0, 0.5), markerscale=3, fontsize=8, frameon=False)
    fig.tight_layout()
    marks = f"; {len(highlight)} {highlight_label} marked with black crosses" if highlight is not None else ""
    describe(
        fig,
        f"{title}: a scatter plot of {len(points):,} points, one per digit image, coloured by digit, each "
        f"digit's label at the middle of its points{marks}. {_clusters_in_words(points, labels)}",
    )
    return fig


def _clusters_in_words(points: np.ndarray, labels: np.ndarray) -> str:
    """Which digits' clouds of points lie closest together (their medians), in a sentence."""
    present = [d for d in range(10) if np.any(labels == d)]
    if len(present) < 2:
        return ""
    middles = {d: np.median(points[labels == d], axis=0) for d in present}
    pairs = sorted((float(np.linalg.norm(middles[a] - middles[b])), a, b) for a in present for b in present if a < b)
    return "Closest together: " + ", ".join(f"{a} and {b}" for _, a, b in pairs[:3]) + "."
