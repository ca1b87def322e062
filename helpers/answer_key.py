"""Properties that exercises check when the right answer is a dataset or an array, not one number or string:
each returns whether the student's value has the property, computed the course's way, so the notebook page
does not spell out the solution. Names start with the notebook's number (``nb01_...``)."""

from __future__ import annotations

from typing import Any

import numpy as np


def nb01_first_batch_mixes_digits(dataset: Any, at_least: int = 5) -> bool:
    """Whether the first batch of a labelled dataset holds at least ``at_least`` different digits (a shuffled
    directory dataset does; one read folder by folder starts with 32 zeros). One-hot or integer labels.

    >>> import tensorflow as tf
    >>> in_order = tf.data.Dataset.from_tensor_slices((np.zeros((64, 2)), np.repeat(np.arange(2), 32))).batch(32)
    >>> nb01_first_batch_mixes_digits(in_order)
    False
    """
    _, labels = next(iter(dataset))
    labels = np.asarray(labels)
    digits = labels.argmax(axis=-1) if labels.ndim == 2 else labels
    return len(set(digits.tolist())) >= at_least


def nb02_test_images_in_batches_of_64(dataset: Any) -> bool:
    """Whether ``dataset`` yields the bundled test split's images in batches of 64, the last batch holding what
    is left over (as ``Dataset.batch(64)`` does without ``drop_remainder``).

    >>> import tensorflow as tf
    >>> nb02_test_images_in_batches_of_64(tf.data.Dataset.from_tensor_slices(np.zeros((2000, 28, 28, 1))).batch(32))
    False
    """
    from helpers.data import load_arrays
    from helpers.paths import TEST_DIR

    total = len(load_arrays(TEST_DIR)[1])
    sizes = [int(np.shape(batch[0] if isinstance(batch, tuple) else batch)[0]) for batch in dataset]
    full, rest = divmod(total, 64)
    return sizes == [64] * full + ([rest] if rest else [])


def nb02_pixels_in_minus_one_to_one(images: Any) -> bool:
    """Whether ``images`` are the bundled training images with pixel values mapped linearly from [0, 255] to
    [-1, 1] (0 becomes -1, 255 becomes 1), with or without the channel axis.

    >>> nb02_pixels_in_minus_one_to_one(np.zeros((8000, 28, 28)))
    False
    """
    from helpers.data import load_arrays
    from helpers.paths import TRAIN_DIR

    raw = load_arrays(TRAIN_DIR, normalize=False)[0].astype(np.float64)
    answer = np.asarray(images, dtype=np.float64)
    if answer.size != raw.size:
        return False
    return bool(np.allclose(answer.reshape(raw.shape), raw / 127.5 - 1, atol=1e-4))
