"""Export a trained course model for the website's drawing pad: its layers as JSON, its weights as one binary.

    python scripts/export_tfjs.py models/mnist_cnn_model.keras build/model   # writes model.json, weights.bin

The page (``site/static/draw.js``) rebuilds the same layers with TensorFlow.js and sets these weights. We write
this small format ourselves instead of running the ``tensorflowjs`` converter from PyPI: its last release (4.22,
October 2024) reads models through ``tf_keras`` (Keras 2) and pins TensorFlow, JAX and TensorFlow Decision Forests
versions that do not install next to the course's TensorFlow 2.21 and Keras 3.  A Keras kernel is stored in
TensorFlow.js's own order (Conv2D: height, width, in, out; Dense: in, out), so the weights go across unchanged.

Only the layers the course's CNNs use are accepted (``LAYERS``); another one is a one-line error naming it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

# Each accepted Keras layer class -> the settings of its config that TensorFlow.js needs.
LAYERS = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "activation", "use_bias"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "Flatten": (),
    "Dense": ("units", "activation", "use_bias"),
    "Dropout": ("rate",),
    "Rescaling": ("scale", "offset"),
}
ACTIVATIONS = {"relu", "softmax", "linear", "sigmoid", "tanh"}


class ExportError(Exception):
    """A model this exporter can't write: one line naming the layer or setting at fault."""


def describe(model) -> tuple[dict, list[np.ndarray]]:
    """The JSON description of ``model``'s layers and the list of its weight arrays, in order."""
    layers, arrays = [], []
    offset = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in LAYERS:
            raise ExportError(f"layer {layer.name!r} is a {kind}, which the drawing pad can't run")
        config = layer.get_config()
        if config.get("data_format", "channels_last") != "channels_last":
            raise ExportError(f"layer {layer.name!r}: only channels_last is supported")
        settings = json.loads(json.dumps({key: config[key] for key in LAYERS[kind] if key in config}))  # lists
        if settings.get("activation", "linear") not in ACTIVATIONS:
            raise ExportError(f"layer {layer.name!r}: activation {settings['activation']!r} is not supported")
        weights = []
        for variable in layer.weights:
            array = np.asarray(variable.numpy(), dtype="<f4")
            weights.append({"name": variable.path, "shape": list(array.shape), "offset": offset})
            offset += array.size
            arrays.append(array)
        layers.append({"class": kind, "name": layer.name, "config": settings, "weights": weights})
    input_shape = list(model.inputs[0].shape[1:])
    return {"format": "course-cnn-1", "name": model.name, "input_shape": input_shape, "layers": layers}, arrays


def export(model_path: Path | str, dest: Path | str) -> dict:
    """Write ``dest/model.json`` and ``dest/weights.bin`` for the model saved at ``model_path``; return the JSON.

    Both files are written to temporary names and renamed when complete, so a failed export leaves no half file."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    model_path, dest = Path(model_path), Path(dest)
    if not model_path.exists():
        raise ExportError(f"no model at {model_path}")
    try:
        model = keras.saving.load_model(model_path, compile=False)
    except Exception as error:  # a damaged or foreign file: say which
        raise ExportError(f"can't load {model_path}: {error.__class__.__name__}") from error
    description, arrays = describe(model)
    blob = b"".join(array.tobytes() for array in arrays)
    description["weights_bytes"] = len(blob)
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in (("weights.bin", blob), ("model.json", json.dumps(description, indent=1).encode())):
        with tempfile.NamedTemporaryFile(dir=dest, prefix=f".{name}.", delete=False) as part:
            part.write(data)
        os.replace(part.name, dest / name)
    return description


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a saved .keras model, e.g. models/mnist_cnn_model.keras")
    parser.add_argument("dest", help="the folder to write model.json and weights.bin into")
    args = parser.parse_args(argv)
    try:
        description = export(args.model, args.dest)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.dest}: {len(description['layers'])} layers, {description['weights_bytes']} bytes of weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
