"""helpers.model: the seed's CNN, exactly."""

import numpy as np

from helpers.model import REFERENCE_PARAMETERS, build_cnn


def test_reference_cnn_has_the_seed_architecture():
    model = build_cnn()
    assert model.count_params() == REFERENCE_PARAMETERS == 225_034
    kinds = [layer.__class__.__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
    conv1, pool1, conv2, pool2, _, dense, out = model.layers
    assert (conv1.filters, conv1.kernel_size, conv1.padding, conv1.activation.__name__) == (32, (3, 3), "valid", "relu")
    assert (conv2.filters, conv2.kernel_size, conv2.padding, conv2.activation.__name__) == (64, (3, 3), "valid", "relu")
    assert pool1.pool_size == pool2.pool_size == (2, 2)
    assert (dense.units, dense.activation.__name__) == (128, "relu")
    assert (out.units, out.activation.__name__) == (10, "softmax")
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)


def test_output_is_a_probability_distribution():
    model = build_cnn()
    probabilities = np.asarray(model(np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)))
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_building_twice_gives_the_same_layer_names():
    assert [l.name for l in build_cnn().layers] == [l.name for l in build_cnn().layers]
