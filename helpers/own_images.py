"""Your own image of a digit -> a 28x28 input made as MNIST was: white on black, fitted into 20x20, centred."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from helpers.data import MAX_IMAGE_PIXELS, decode_image, open_image, to_grayscale, unit_pixels, upright
from helpers.errors import CourseError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
STEP_NAMES = ("grayscale", "inverted", "cropped", "fitted 20x20", "centred 28x28")


def image_from_bytes(
    data: bytes, name: str = "upload", max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> Image.Image:
    """Decode uploaded bytes as an image; ``CourseError`` naming ``name`` for empty, too large or non-image data."""
    if not data:
        raise CourseError(f"empty file (0 bytes): {name}")
    if len(data) > max_bytes:
        raise CourseError(f"file too large ({len(data) / 1e6:.1f} MB, limit {max_bytes / 1e6:.0f} MB): {name}")
    return decode_image(io.BytesIO(data), name, max_pixels)


def on_page(image: Image.Image) -> np.ndarray:
    """Grayscale float array in [0, 1] of an image with an alpha channel, laid on a page as a viewer shows it:
    transparent parts are white paper, unless the visible part is one light colour (light strokes drawn
    only in the alpha channel), which goes on black paper so that it stays visible."""
    rgba = image.convert("RGBA")
    gray = np.asarray(rgba.convert("RGB").convert("L"), dtype=np.float32) / 255.0
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
    weight = float(alpha.sum())
    page = 1.0
    if weight > 0:
        colour = float((gray * alpha).sum()) / weight
        spread = float(np.sqrt(((gray - colour) ** 2 * alpha).sum() / weight))
        if spread < 0.1 and colour > 0.5:
            page = 0.0
    return alpha * gray + (1.0 - alpha) * page


def grayscale_as_seen(image: Image.Image, name: str = "the image") -> np.ndarray:
    """Grayscale float array in [0, 1] of ``image`` as a person sees it, however a phone or an app stored it:
    turned upright (EXIF), transparent parts on the page (``on_page``), 16-bit, CMYK and palette images
    converted."""
    image = upright(image, name)
    if "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info):
        return on_page(image)
    return np.asarray(to_grayscale(image, name), dtype=np.float32) / 255.0


def _as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255.0


def ink_is_dark(gray: np.ndarray) -> bool:
    """Whether the ink is darker than the paper (the border's median): the ink is the extreme (0.1% or 99.9%
    of the pixels) that lies farthest from the paper, so a dim photo of paper is still read as dark ink."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    darkest, lightest = np.percentile(gray, [0.1, 99.9])
    return paper - darkest > lightest - paper


def _grayscale(image: Image.Image | np.ndarray, name: str) -> np.ndarray:
    """``grayscale_as_seen`` of an image; an array of gray levels scaled by its dtype (``unit_pixels``), one of
    colours (RGB or RGBA) read as an image."""
    if isinstance(image, Image.Image):
        return grayscale_as_seen(image, name)
    array = unit_pixels(image, name)
    if array.ndim == 3 and array.shape[2] == 1:  # (height, width, 1), as a model input
        array = array[..., 0]
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return grayscale_as_seen(Image.fromarray(np.rint(array * 255).astype(np.uint8)), name)
    if array.ndim != 2:
        raise CourseError(f"expected an image array of shape (height, width[, 1, 3 or 4]), got {array.shape}: {name}")
    return array


def mnist_steps(
    image: Image.Image | np.ndarray, threshold: float = 0.2, name: str = "the image"
) -> dict[str, np.ndarray]:
    """Every preprocessing step (``STEP_NAMES``) as arrays in [0, 1]; the last is the model input.  An array's
    pixel scale comes from its dtype (``unit_pixels``); one with colour channels is read as an image."""
    gray = _grayscale(image, name)
    picture = Image.fromarray(np.rint(np.clip(gray, 0, 1) * 255).astype(np.uint8), "L")
    # MNIST is light ink on a dark background; a photo of paper is the opposite.
    inverted = ImageOps.invert(picture) if ink_is_dark(gray) else picture
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
    fitted = _as_array(
        cropped.resize(
            (max(1, round(cropped.width * scale)), max(1, round(cropped.height * scale))), Image.Resampling.LANCZOS
        )
    )
    centred = np.zeros((28, 28), dtype=np.float32)
    total = fitted.sum()
    if total == 0:
        raise CourseError(f"no digit found in {name}: the ink is too thin to keep at 20x20 pixels")
    row_com = (fitted.sum(axis=1) @ np.arange(fitted.shape[0])) / total
    col_com = (fitted.sum(axis=0) @ np.arange(fitted.shape[1])) / total
    top = int(np.clip(round(13.5 - row_com), 0, 28 - fitted.shape[0]))
    left = int(np.clip(round(13.5 - col_com), 0, 28 - fitted.shape[1]))
    centred[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
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
