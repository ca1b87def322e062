"""Your own image of a digit -> a 28x28 input made as MNIST was: white on black, fitted into 20x20, centred."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from helpers.data import MAX_IMAGE_PIXELS, decode_image, open_image, to_grayscale
from helpers.errors import CourseError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
STEP_NAMES = ("grayscale", "inverted", "cropped", "fitted 20x20", "centred 28x28")


def image_from_bytes(data: bytes, name: str = "upload", max_bytes: int = MAX_UPLOAD_BYTES,
                     max_pixels: int = MAX_IMAGE_PIXELS) -> Image.Image:
    """Decode uploaded bytes as an image; ``CourseError`` naming ``name`` for empty, too large or non-image data."""
    if not data:
        raise CourseError(f"empty file (0 bytes): {name}")
    if len(data) > max_bytes:
        raise CourseError(f"file too large ({len(data) / 1e6:.1f} MB, limit {max_bytes / 1e6:.0f} MB): {name}")
    return decode_image(io.BytesIO(data), name, max_pixels)


def grayscale_ink(image: Image.Image) -> np.ndarray:
    """Grayscale float array in [0, 1]; a transparent drawing takes its ink from the alpha channel."""
    if "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
        alpha = rgba[..., 3]
        if alpha.min() < 0.99:  # real transparency: ink where it is opaque and differs from nothing
            return alpha
    return np.asarray(to_grayscale(image), dtype=np.float32) / 255.0


def _as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255.0


def mnist_steps(image: Image.Image | np.ndarray, threshold: float = 0.2, name: str = "the image") -> dict[str, np.ndarray]:
    """Every preprocessing step (``STEP_NAMES``) as arrays in [0, 1]; the last is the model input."""
    gray = grayscale_ink(image) if isinstance(image, Image.Image) else np.asarray(image, dtype=np.float32)
    if gray.max() > 1.0:
        gray = gray / 255.0
    picture = Image.fromarray(np.rint(np.clip(gray, 0, 1) * 255).astype(np.uint8), "L")
    # MNIST is light ink on a dark background; a photo of paper is the opposite.  The border tells which.
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = ImageOps.invert(picture) if np.median(border) > 0.5 else picture
    low, high = inverted.getextrema()
    if high - low < 1:
        raise CourseError(f"no digit found in {name}: it is a single flat colour")
    # stretch contrast so faint pencil becomes full ink, and drop the paper's grain
    cut = round(threshold * 255)
    stretched = ImageOps.autocontrast(inverted, cutoff=(1, 0)).point(lambda v: 0 if v < cut else v)
    box = stretched.getbbox()
    if box is None:
        raise CourseError(f"no digit found in {name}: nothing stands out from the background")
    cropped = stretched.crop(box)
    scale = 20.0 / max(cropped.size)
    fitted = _as_array(cropped.resize((max(1, round(cropped.width * scale)), max(1, round(cropped.height * scale))),
                                      Image.Resampling.LANCZOS))
    centred = np.zeros((28, 28), dtype=np.float32)
    total = fitted.sum()
    if total == 0:
        raise CourseError(f"no digit found in {name}: the ink is too thin to keep at 20x20 pixels")
    row_com = (fitted.sum(axis=1) @ np.arange(fitted.shape[0])) / total
    col_com = (fitted.sum(axis=0) @ np.arange(fitted.shape[1])) / total
    top = int(np.clip(round(13.5 - row_com), 0, 28 - fitted.shape[0]))
    left = int(np.clip(round(13.5 - col_com), 0, 28 - fitted.shape[1]))
    centred[top:top + fitted.shape[0], left:left + fitted.shape[1]] = fitted
    return dict(zip(STEP_NAMES, (gray, _as_array(inverted), _as_array(cropped), fitted, np.clip(centred, 0, 1))))


def to_mnist_input(source: Path | str | bytes | Image.Image | np.ndarray) -> np.ndarray:
    """A file path, uploaded bytes, a Pillow image or an array -> a ``(28, 28, 1)`` float32 model input."""
    if isinstance(source, (str, Path)):
        image = open_image(source)
    elif isinstance(source, bytes):
        image = image_from_bytes(source)
    else:
        image = source
    return mnist_steps(image)["centred 28x28"][..., np.newaxis]
