"""The CNNs of the course.

``build_cnn`` is the seed's model exactly (225,034 parameters).  Notebook 03 builds the same model one
layer per cell and asserts it matches this one; the helpers use it for the CLI and for load-or-train.
"""

from __future__ import annotations

from typing import Any

from helpers.data import IMAGE_SIZE, NUM_CLASSES

REFERENCE_PARAMETERS = 225_034


def build_cnn(name: str = "mnist_cnn") -> Any:
    """The seed's CNN: Conv2D(32, 3x3, ReLU) -> MaxPooling2D(2x2) -> Conv2D(64, 3x3, ReLU) ->
    MaxPooling2D(2x2) -> Flatten -> Dense(128, ReLU) -> Dense(10, softmax), valid padding.

    Layers are named, so building the model twice in one kernel gives the same summary.

    >>> build_cnn().count_params()
    225034
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit"),
            layers.Conv2D(32, (3, 3), activation="relu", name="conv1"),
            layers.MaxPooling2D((2, 2), name="pool1"),
            layers.Conv2D(64, (3, 3), activation="relu", name="conv2"),
            layers.MaxPooling2D((2, 2), name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(128, activation="relu", name="dense"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=name,
    )
