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

    return keras.Sequential(
        [
            layers.RandomRotation(rotation_degrees / 360, fill_mode="constant", seed=seed, name="rotate"),
            layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seed + 1, name="shift"),
            layers.RandomZoom(zoom, fill_mode="constant", seed=seed + 2, name="zoom"),
        ],
        name="augment",
    )


def build_custom_cnn(
    filters: tuple[int, int] = (32, 64),
    dense_units: int = 128,
    dropout: float = 0.0,
    batch_norm: bool = False,
    augment: bool = False,
    name: str = "custom_cnn",
) -> Any:
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
    """One member of the ``--recipe improved`` committee: augmentation, Conv2D(32) -> pool -> Conv2D(64) ->
    Conv2D(64) -> pool, batch normalization (after pooling: a quarter of the values), dropout; 189,098
    parameters against the reference's 225,034.  ``seed`` drives the augmentation's random draws."""
    import keras
    from keras import layers

    def conv(filters: int, label: str, pool: bool = False) -> list[Any]:
        return [
            layers.Conv2D(filters, (3, 3), use_bias=False, name=f"conv{label}"),
            *([layers.MaxPooling2D((2, 2), name=f"pool{label[0]}")] if pool else []),
            layers.BatchNormalization(name=f"bn{label}"),
            layers.ReLU(name=f"relu{label}"),
        ]

    return keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit"),
            augmentation_layers(seed=seed),
            *conv(32, "1", pool=True),
            *conv(64, "2a"),
            *conv(64, "2b", pool=True),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.2, name="dropout1"),
            layers.Dense(128, use_bias=False, name="dense"),
            layers.BatchNormalization(name="bn_dense"),
            layers.ReLU(name="relu_dense"),
            layers.Dropout(0.3, name="dropout2"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=name,
    )


# Test-time augmentation: the digit moved one pixel in each of 8 directions, as ((top, bottom), (left, right))
# crops of the digit padded with one pixel of background: ((0, 2), (1, 1)) moves it down.
SHIFTS = [((1 - dy, 1 + dy), (1 - dx, 1 + dx)) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def average_models(members: list[Any], name: str = "mnist_cnn_improved", shifts: bool = False) -> Any:
    """One model whose output is the mean of the members' (distinctly named) class probabilities; with
    ``shifts`` also over the digit moved one pixel in each of 8 directions (``SHIFTS``, test-time augmentation)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit")
    views = [inputs]
    if shifts:
        padded = layers.ZeroPadding2D(1, name="pad")(inputs)
        views += [layers.Cropping2D(crop, name=f"shift_{n}")(padded) for n, crop in enumerate(SHIFTS, 1)]
    outputs = layers.Average(name="probabilities")([member(view) for view in views for member in members])
    return keras.Model(inputs, outputs, name=name)


def stack_models(members: list[Any], name: str = "committee") -> Any:
    """The members side by side, to train them in one ``fit``: output ``(batch, members, 10)``, so a loss on
    labels repeated per member is the mean of the members' own losses; each still learns on its own."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit")
    rows = [layers.Reshape((1, NUM_CLASSES), name=f"{member.name}_row")(member(inputs)) for member in members]
    return keras.Model(inputs, layers.Concatenate(axis=1, name="stacked")(rows), name=name)
