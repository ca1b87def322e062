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


def test_the_layer_names_the_course_looks_up_exist_in_every_build():
    """helpers.explain's default layers and the notebooks' ``get_layer("...")`` name layers of the seed CNN; a
    rename in helpers.model, or names Keras numbers itself (conv2d_3), would break them."""
    import inspect
    import json
    import re

    import keras

    from helpers import explain
    from helpers.paths import REPO_ROOT

    wanted = {
        parameter.default
        for function in (explain.first_layer_filters, explain.grad_cam, explain.layer_activations)
        for parameter in inspect.signature(function).parameters.values()
        if parameter.name == "layer_name"
    }
    for path in sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                wanted |= {
                    name
                    for name in re.findall(r'get_layer\("(\w+)"\)', "".join(cell["source"]))
                    if not name.startswith("improved")
                }  # the committee's members
    assert {"conv1", "conv2", "dense"} <= wanted, wanted  # the lookups were found
    keras.layers.Conv2D(4, 3)  # an unnamed layer first: numbered names would shift
    names = [layer.name for layer in build_cnn().layers]
    assert wanted <= set(names), f"looked up but missing: {sorted(wanted - set(names))}"
