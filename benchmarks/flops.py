"""FLOPs per image of a Keras CNN, counted from its ``Conv2D`` and ``Dense`` layers."""

from __future__ import annotations

from typing import Any

from helpers.errors import CourseError


def layer_macs(model: Any) -> list[tuple[str, int]]:
    """Multiply-accumulates per image of each ``Conv2D`` and ``Dense`` layer, in order.

    These layers do more than 99% of the seed CNN's arithmetic; pooling, ReLU, biases and softmax add
    well under 1% and are not counted.  A Conv2D's cost is output height x width x filters x kernel
    height x width x input channels; a Dense layer's is inputs x units.

    >>> from helpers.model import build_cnn
    >>> layer_macs(build_cnn())
    [('conv1', 194688), ('conv2', 2230272), ('dense', 204800), ('probabilities', 1280)]
    """
    from keras import layers

    counts = []
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kernel_h, kernel_w, channels_in, filters = layer.kernel.shape
            _, height, width, _ = layer.output.shape
            counts.append((layer.name, int(height * width * filters * kernel_h * kernel_w * channels_in)))
        elif isinstance(layer, layers.Dense):
            units_in, units = layer.kernel.shape
            counts.append((layer.name, int(units_in * units)))
    return counts


def flops_per_image(model: Any) -> dict[str, int]:
    """FLOPs (2 per multiply-accumulate) per image for a forward pass (prediction) and a training step.

    A training step runs the forward pass, then for every layer the gradient of its weights (as many
    multiply-adds as its forward pass) and the gradient of its input (as many again), except for the
    first layer, whose input is the image and needs no gradient.

    >>> from helpers.model import build_cnn
    >>> flops_per_image(build_cnn())
    {'forward': 5262080, 'training': 15396864}
    """
    macs = [count for _, count in layer_macs(model)]
    if not macs:
        raise CourseError(f"model {model.name!r} has no Conv2D or Dense layer to count")
    forward = sum(macs)
    training = 3 * forward - macs[0]
    return {"forward": 2 * forward, "training": 2 * training}


def course_epoch_flops(flops: dict[str, int], pipeline: dict[str, Any]) -> int:
    """FLOPs of one epoch as the benchmark times it: a training step per training image, and a forward
    pass per validation image (the seed validates on the test split every epoch)."""
    return pipeline["train_images"] * flops["training"] + pipeline["val_images"] * flops["forward"]
