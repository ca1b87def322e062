"""The CNNs of the course.  ``build_cnn`` is the seed's model exactly (225,034 parameters); notebook 03
builds it one layer per cell and checks it against this one."""

from __future__ import annotations

from typing import Any

from helpers.data import IMAGE_SIZE, NUM_CLASSES

REFERENCE_PARAMETERS = 225_034


def build_cnn(name: str = "mnist_cnn") -> Any:
    """The seed's CNN, ``build_custom_cnn``'s defaults: Conv2D(32, 3x3, ReLU) -> MaxPooling2D(2x2) -> Conv2D(64,
    3x3, ReLU) -> MaxPooling2D(2x2) -> Flatten -> Dense(128, ReLU) -> Dense(10, softmax), valid padding.

    >>> build_cnn().count_params()
    225034
    """
    return build_custom_cnn(name=name)


def augmentation_layers(rotation_degrees: float = 15, shift: float = 0.1, zoom: float = 0.1, seed: int = 42) -> Any:
    """Random rotations, shifts and zooms as Keras preprocessing layers (active only while training)."""
    import keras
    from keras import layers
    return keras.Sequential([
        layers.RandomRotation(rotation_degrees / 360, fill_mode="constant", seed=seed, name="rotate"),
        layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seed + 1, name="shift"),
        layers.RandomZoom(zoom, fill_mode="constant", seed=seed + 2, name="zoom"),
    ], name="augment")


def build_custom_cnn(filters: tuple[int, int] = (32, 64), dense_units: int = 128, dropout: float = 0.0,
                     batch_norm: bool = False, augment: bool = False, name: str = "custom_cnn") -> Any:
    """The seed's architecture with knobs (notebooks 08, 10): filters, Dense units, dropout, batch norm, augmentation.

    >>> build_custom_cnn().count_params()
    225034
    """
    import keras
    from keras import layers
    stack: list[Any] = [keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit")]
    if augment:
        stack.append(augmentation_layers())
    for index, count in enumerate(filters, start=1):
        stack.append(layers.Conv2D(count, (3, 3), activation=None if batch_norm else "relu", name=f"conv{index}"))
        if batch_norm:
            stack += [layers.BatchNormalization(name=f"bn{index}"), layers.ReLU(name=f"relu{index}")]
        stack.append(layers.MaxPooling2D((2, 2), name=f"pool{index}"))
    stack.append(layers.Flatten(name="flatten"))
    if dropout:
        stack.append(layers.Dropout(dropout, name="dropout1"))
    stack.append(layers.Dense(dense_units, activation="relu", name="dense"))
    if dropout:
        stack.append(layers.Dropout(dropout, name="dropout2"))
    stack.append(layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"))
    return keras.Sequential(stack, name=name)


def build_improved_cnn(name: str = "improved_cnn", seed: int = 42) -> Any:
    """One member of the ``--recipe improved`` committee: augmentation, batch normalization, dropout."""
    import keras
    from keras import layers

    def conv_bn_relu(filters: int, label: str) -> list[Any]:
        return [layers.Conv2D(filters, (3, 3), use_bias=False, name=f"conv{label}"),
                layers.BatchNormalization(name=f"bn{label}"), layers.ReLU(name=f"relu{label}")]

    return keras.Sequential([
        keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit"),
        augmentation_layers(seed=seed),
        *conv_bn_relu(32, "1a"), *conv_bn_relu(32, "1b"),
        layers.MaxPooling2D((2, 2), name="pool1"),
        *conv_bn_relu(64, "2a"), *conv_bn_relu(64, "2b"),
        layers.MaxPooling2D((2, 2), name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dropout(0.3, name="dropout1"),
        layers.Dense(128, use_bias=False, name="dense"),
        layers.BatchNormalization(name="bn_dense"),
        layers.ReLU(name="relu_dense"),
        layers.Dropout(0.4, name="dropout2"),
        layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
    ], name=name)


def average_models(members: list[Any], name: str = "mnist_cnn_improved") -> Any:
    """One model whose output is the mean of the members' (distinctly named) class probabilities."""
    import keras
    from keras import layers
    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit")
    outputs = layers.Average(name="probabilities")([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name=name)
