"""helpers.explain: filters, feature maps, saliency, Grad-CAM, Dense activations in 2-D, and their plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import explain, plots  # noqa: E402
from helpers.data import load_arrays  # noqa: E402
from helpers.errors import CourseError  # noqa: E402
from helpers.model import build_cnn  # noqa: E402
from helpers.model_files import load_model  # noqa: E402
from helpers.paths import TEST_DIR  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    """30 test digits, 3 of each class, and their labels."""
    images, labels = load_arrays(TEST_DIR)
    pick = np.concatenate([np.flatnonzero(labels == d)[:3] for d in range(10)])
    return images[pick], labels[pick]


@pytest.fixture(scope="module")
def untrained():
    import keras

    keras.utils.set_random_seed(3)
    return build_cnn()


@pytest.fixture(scope="module")
def trained(trained_model_file):
    """The session's briefly trained CNN, loaded from its .keras file (a loaded Sequential holds several
    copies of its layer graph, which is what broke naive gradient code)."""
    return load_model(trained_model_file)


def layer_by_layer(model, x):
    """Every layer's output for batch ``x``, calling the layers one after another."""
    outputs = {}
    for layer in model.layers:
        x = layer(x, training=False)
        outputs[layer.name] = np.asarray(x)
    return outputs


# --- filters and feature maps --------------------------------------------------------------------


def test_first_layer_filters_are_the_conv1_kernels(untrained):
    kernels = explain.first_layer_filters(untrained)
    assert kernels.shape == (32, 3, 3)
    weights = untrained.get_layer("conv1").get_weights()[0]
    np.testing.assert_array_equal(kernels[7], weights[:, :, 0, 7])
    np.testing.assert_array_equal(kernels[:, 0, 2], weights[0, 2, 0, :])


def test_first_layer_filters_refuse_a_layer_reading_many_channels(untrained):
    with pytest.raises(CourseError, match="32 channels"):
        explain.first_layer_filters(untrained, "conv2")
    with pytest.raises(CourseError, match="not a convolution"):
        explain.first_layer_filters(untrained, "pool1")


def test_feature_maps_default_to_every_conv_and_pooling_layer_in_order(untrained, digits):
    maps = explain.feature_maps(untrained, digits[0][0])
    assert list(maps) == ["conv1", "pool1", "conv2", "pool2"]
    assert {name: m.shape for name, m in maps.items()} == {
        "conv1": (26, 26, 32),
        "pool1": (13, 13, 32),
        "conv2": (11, 11, 64),
        "pool2": (5, 5, 64),
    }


def test_conv1_feature_map_equals_a_convolution_computed_by_hand(trained, digits):
    image = digits[0][12, ..., 0]  # a 4
    kernel, bias = trained.get_layer("conv1").get_weights()
    channel = 5
    by_hand = np.zeros((26, 26), dtype=np.float64)
    for row in range(26):
        for col in range(26):
            by_hand[row, col] = np.sum(image[row : row + 3, col : col + 3] * kernel[:, :, 0, channel]) + bias[channel]
    by_hand = np.maximum(by_hand, 0)  # ReLU
    maps = explain.feature_maps(trained, image, ["conv1"])
    np.testing.assert_allclose(maps["conv1"][..., channel], by_hand, atol=1e-5)
    assert maps["conv1"][..., channel].max() > 0


def test_feature_maps_of_a_loaded_model_match_its_layers_called_one_by_one(trained, digits):
    image = digits[0][20:21]
    maps = explain.feature_maps(trained, image[0])
    expected = layer_by_layer(trained, image)
    for name in ("conv1", "pool1", "conv2", "pool2"):
        np.testing.assert_allclose(maps[name], expected[name][0], atol=1e-5)
    # pooling halves the map (rounding down), keeping every channel
    assert maps["pool1"].shape == (13, 13, 32)
    np.testing.assert_allclose(maps["pool1"][0, 0], maps["conv1"][:2, :2].max(axis=(0, 1)), atol=1e-6)


def test_unknown_layer_names_raise_course_error(untrained, digits):
    with pytest.raises(CourseError, match="no layer named 'conv9'.*conv1, pool1"):
        explain.feature_maps(untrained, digits[0][0], ["conv1", "conv9"])
    with pytest.raises(CourseError, match="no layer named"):
        explain.layer_activations(untrained, digits[0][:2], "dense_1")
    with pytest.raises(CourseError, match="no layer named"):
        explain.grad_cam(untrained, digits[0][0], "conv3")


def test_a_wrongly_shaped_image_raises_course_error(untrained):
    with pytest.raises(CourseError, match="28x28"):
        explain.feature_maps(untrained, np.zeros((32, 32)))


# --- saliency and Grad-CAM --------------------------------------------------------------------------


def test_class_scores_are_the_logits_behind_the_softmax(trained, digits):
    import tensorflow as tf

    x = digits[0][:5]
    _, features = explain._forward(trained, tf.convert_to_tensor(x))
    logits = explain._class_scores(trained, features)
    np.testing.assert_allclose(tf.nn.softmax(logits).numpy(), trained(x).numpy(), atol=1e-5)


def test_saliency_is_a_nonzero_map_in_unit_range(untrained, digits):
    saliency = explain.saliency_map(untrained, digits[0][0])
    assert saliency.shape == (28, 28)
    assert saliency.min() >= 0 and saliency.max() == pytest.approx(1.0)
    assert np.count_nonzero(saliency) > 100


@pytest.fixture(scope="module")
def smooth_model(tmp_path_factory):
    """A small smooth CNN (tanh, no pooling: finite differences are exact up to rounding), saved and loaded back
    as students' models are, and its weights for a forward pass in NumPy."""
    import keras

    keras.utils.set_random_seed(5)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(3, (3, 3), activation="tanh", name="conv"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, activation="softmax", name="probabilities"),
        ]
    )
    path = tmp_path_factory.mktemp("smooth") / "smooth.keras"
    model.save(path)
    loaded = load_model(path)
    return loaded, [np.asarray(w, dtype=np.float64) for w in loaded.get_weights()]


def numpy_logits(weights, images: np.ndarray) -> np.ndarray:
    """The smooth model's pre-softmax scores for ``images`` (n, 28, 28), computed in float64 without Keras."""
    kernel, bias, dense, dense_bias = weights
    windows = np.lib.stride_tricks.sliding_window_view(images, (3, 3), axis=(1, 2))  # (n, 26, 26, 3, 3)
    maps = np.tanh(np.einsum("nijab,abf->nijf", windows, kernel[:, :, 0, :]) + bias)
    return maps.reshape(len(images), -1) @ dense + dense_bias


def finite_difference_saliency(weights, image: np.ndarray, digit: int, step: float = 1e-3) -> np.ndarray:
    """|d logit / d pixel| by central differences: each pixel nudged up and down by ``step``, scaled to [0, 1]."""
    nudges = np.eye(28 * 28).reshape(-1, 28, 28) * step
    up = numpy_logits(weights, image + nudges)[:, digit]
    down = numpy_logits(weights, image - nudges)[:, digit]
    gradient = np.abs((up - down) / (2 * step)).reshape(28, 28)
    return gradient / gradient.max()


def test_saliency_equals_finite_differences_of_the_logit(smooth_model, digits):
    model, weights = smooth_model
    image = digits[0][9, ..., 0].astype(np.float64)
    logits = numpy_logits(weights, image[np.newaxis])[0]
    np.testing.assert_allclose(
        np.asarray(model(image[np.newaxis, ..., np.newaxis]))[0], np.exp(logits) / np.exp(logits).sum(), atol=1e-5
    )  # the NumPy model is this model
    predicted, other = int(np.argmax(logits)), int(np.argmin(logits))
    by_default = explain.saliency_map(model, image)  # the predicted digit's map
    np.testing.assert_allclose(by_default, finite_difference_saliency(weights, image, predicted), atol=1e-5)
    chosen = explain.saliency_map(model, image, class_index=other)
    np.testing.assert_allclose(chosen, finite_difference_saliency(weights, image, other), atol=1e-5)
    assert np.abs(chosen - by_default).max() > 0.1, "another digit's logit has another gradient"


def test_saliency_of_a_trained_model_concentrates_on_the_ink(trained, digits):
    images = digits[0]
    on_ink, off_ink = [], []
    for image in images[::3]:
        saliency = explain.saliency_map(trained, image)
        ink = image[..., 0] > 0.3
        on_ink.append(saliency[ink].mean())
        off_ink.append(saliency[~ink].mean())
    assert np.mean(on_ink) > 1.5 * np.mean(off_ink)
    assert sum(a > b for a, b in zip(on_ink, off_ink)) >= 8


def test_smoothgrad_is_seeded_and_differs_from_the_plain_gradient(trained, digits):
    image = digits[0][3]
    first = explain.saliency_map(trained, image, smooth_samples=8, seed=1)
    again = explain.saliency_map(trained, image, smooth_samples=8, seed=1)
    other = explain.saliency_map(trained, image, smooth_samples=8, seed=2)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert not np.allclose(first, explain.saliency_map(trained, image))
    assert first.shape == (28, 28) and 0 <= first.min() and first.max() == pytest.approx(1.0)


def test_grad_cam_is_a_28x28_map_in_unit_range_and_lies_on_the_digit(trained, digits):
    images = digits[0]
    on_ink, off_ink = [], []
    for image in images[1::3]:
        cam = explain.grad_cam(trained, image)
        assert cam.shape == (28, 28)
        assert cam.min() >= 0 and cam.max() <= 1.0 + 1e-6
        ink = image[..., 0] > 0.3
        on_ink.append(cam[ink].mean())
        off_ink.append(cam[~ink].mean())
    assert np.mean(on_ink) > np.mean(off_ink)


def test_grad_cam_equals_its_five_steps_computed_in_numpy(trained, digits):
    """Grad-CAM's definition, with the gradient back-propagated by hand (no TensorFlow): from the logit through the
    output layer, the Dense ReLU and pool2 to conv2's maps; channel weights = mean gradient, weighted sum, ReLU,
    linear interpolation between the centres of conv2's cells (pixel 3.5 + 2k), scaled to 1."""
    image = digits[0][12]  # a 4
    maps = explain.feature_maps(trained, image, ["conv2"])["conv2"].astype(np.float64)  # (11, 11, 64)
    dense_kernel, dense_bias = (w.astype(np.float64) for w in trained.get_layer("dense").get_weights())
    out_kernel, out_bias = (w.astype(np.float64) for w in trained.get_layer("probabilities").get_weights())
    pooled = maps[:10, :10].reshape(5, 2, 5, 2, 64).max(axis=(1, 3))  # pool2 drops the odd last row and column
    before_relu = pooled.reshape(-1) @ dense_kernel + dense_bias
    logits = np.maximum(before_relu, 0) @ out_kernel + out_bias
    digit = int(np.argmax(logits))
    pooled_gradient = (dense_kernel @ (out_kernel[:, digit] * (before_relu > 0))).reshape(5, 5, 64)
    # max pooling hands each block's gradient to one of its cells, the others get 0: the sum over a map is the same
    weights = pooled_gradient.sum(axis=(0, 1)) / (11 * 11)
    cam = np.maximum((maps * weights).sum(axis=-1), 0)
    centres = (np.arange(28) - 3.5) / 2
    stretch = np.array([np.interp(centres, np.arange(11), cell) for cell in np.eye(11)]).T
    expected = stretch @ cam @ stretch.T
    expected /= expected.max()
    assert np.argmax(trained(image[np.newaxis]).numpy()) == digit
    np.testing.assert_allclose(explain.grad_cam(trained, image), expected, atol=1e-4)


def test_grad_cam_for_another_class_gives_another_map(trained, digits):
    image = digits[0][0]
    predicted = int(np.argmax(trained(image[np.newaxis]).numpy()))
    default = explain.grad_cam(trained, image)
    np.testing.assert_allclose(default, explain.grad_cam(trained, image, class_index=predicted))
    assert not np.allclose(default, explain.grad_cam(trained, image, class_index=(predicted + 1) % 10))
    assert explain.grad_cam(trained, image, layer_name="conv1").shape == (28, 28)


def test_grad_cam_needs_a_layer_with_feature_maps(untrained, digits):
    with pytest.raises(CourseError, match="no 2-D feature maps"):
        explain.grad_cam(untrained, digits[0][0], layer_name="dense")


def test_grad_cam_places_each_map_cell_over_its_receptive_field_centre(untrained):
    assert explain._centre_and_stride(untrained, "conv1") == (1.0, 1.0)
    assert explain._centre_and_stride(untrained, "pool1") == (1.5, 2.0)
    assert explain._centre_and_stride(untrained, "conv2") == (3.5, 2.0)
    grid = np.zeros((11, 11), dtype=np.float32)
    grid[5, 2] = 1.0  # centred on input pixel (3.5 + 2*5, 3.5 + 2*2) = (13.5, 7.5)
    pixels = explain._to_pixels(grid, 3.5, 2.0)
    assert pixels.shape == (28, 28)
    rows, cols = np.nonzero(pixels == pixels.max())
    assert set(rows) == {13, 14} and set(cols) == {7, 8}


# --- Dense activations in 2-D -----------------------------------------------------------------------


def test_layer_activations_are_the_relu_outputs_of_dense(trained, digits):
    images = digits[0]
    values = explain.layer_activations(trained, images, batch_size=7)
    assert values.shape == (30, 128)
    assert values.min() >= 0 and values.max() > 0
    np.testing.assert_allclose(values, layer_by_layer(trained, images)["dense"], atol=1e-5)
    assert explain.layer_activations(trained, images[:4], "pool2").shape == (4, 5 * 5 * 64)


def test_pca_embedding_matches_scikit_learn():
    from sklearn.decomposition import PCA

    data = np.random.default_rng(0).normal(size=(120, 16)).astype(np.float32)
    points = explain.embed_2d(data, "pca")
    assert points.shape == (120, 2)
    np.testing.assert_allclose(points, PCA(n_components=2).fit_transform(data), atol=1e-4)


def test_tsne_embedding_is_deterministic_for_a_seed():
    rng = np.random.default_rng(1)
    data = (rng.normal(size=(200, 12)) + np.repeat(rng.normal(size=(4, 12)) * 4, 50, axis=0)).astype(np.float32)
    first = explain.embed_2d(data, "tsne", seed=7)
    assert first.shape == (200, 2)
    np.testing.assert_array_equal(first, explain.embed_2d(data, "tsne", seed=7))
    # the four well separated groups stay apart: each point's nearest neighbour is in its own group
    groups = np.repeat(np.arange(4), 50)
    distances = np.linalg.norm(first[:, None] - first[None], axis=-1) + np.eye(200) * 1e9
    assert np.mean(groups[distances.argmin(axis=1)] == groups) > 0.95


def test_unknown_embedding_method_raises_course_error():
    with pytest.raises(CourseError, match="unknown embedding method 'umap'; choose one of: pca, tsne"):
        explain.embed_2d(np.zeros((10, 3)), "umap")


# --- figures ------------------------------------------------------------------------------------------


def test_plot_filters_shows_every_kernel_on_one_scale(untrained):
    fig = explain.plot_filters(explain.first_layer_filters(untrained))
    assert isinstance(fig, Figure) and fig._suptitle.get_text()
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 32
    assert len({ax.images[0].get_clim() for ax in shown}) == 1


def test_plot_feature_maps_has_one_row_per_layer(untrained, digits):
    maps = explain.feature_maps(untrained, digits[0][0])
    fig = explain.plot_feature_maps(maps, max_channels=6)
    assert isinstance(fig, Figure) and fig._suptitle.get_text()
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 4 * 6 and len(fig.axes) == 4 * 6 + 4, "one colorbar per layer"
    assert shown[0].images[0].get_cmap().name == "magma" and shown[0].images[0].get_clim()[0] == 0
    assert fig.axes[0].get_ylabel().startswith("conv1") and fig.axes[18].get_ylabel().startswith("pool2")


def test_plot_saliency_shows_digit_maps_and_overlay(trained, digits):
    image = digits[0][0]
    fig = explain.plot_saliency(
        image, explain.saliency_map(trained, image), explain.grad_cam(trained, image), title="a zero"
    )
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "a zero"
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 4 and all(ax.get_title() for ax in panels)
    assert len(fig.axes) == 7, "a colorbar beside each map and beside the overlay"
    assert len(panels[-1].images) == 2 and panels[0].images[0].get_cmap().name == plots.DIGIT_CMAP
    assert panels[1].images[0].get_cmap().name == panels[-1].images[1].get_cmap().name == plots.HEAT_CMAP
    assert len(explain.plot_saliency(image, np.zeros((28, 28))).axes) == 3 + 2
    relabelled = explain.plot_saliency(image, np.zeros((28, 28)), np.zeros((28, 28)), gradcam_label="Grad-CAM (conv1)")
    assert relabelled.axes[2].get_title() == "Grad-CAM (conv1)"


def test_plot_embedding_colours_each_digit_and_labels_its_centre():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 5)
    fig = explain.plot_embedding(rng.normal(size=(50, 2)), labels, title="PCA")
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.get_title() == "PCA" and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.collections) == 10
    assert sorted(text.get_text() for text in ax.texts) == [str(d) for d in range(10)]
    assert ax.get_legend() is not None
    marked = explain.plot_embedding(rng.normal(size=(50, 2)), labels, title="t-SNE", highlight=np.array([3, 9]))
    crosses = marked.axes[0].collections[-1]
    assert len(marked.axes[0].collections) == 11 and len(crosses.get_offsets()) == 2
    assert "mistakes (2)" in [text.get_text() for text in marked.axes[0].get_legend().get_texts()]
