"""Directory datasets for Keras: a *split* folder holds class folders ``0``..``9`` (labels come from their
names; hidden entries are ignored) of PNG, JPG, BMP or GIF images, made 8-bit grayscale 28x28 and all decoded
up front, so a corrupt file is named before training starts; a *dataset root* holds ``train/`` and ``test/``."""

from __future__ import annotations

import collections
import errno
import functools
import os
import warnings
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from helpers.errors import CourseError
from helpers.paths import BUNDLED_DATASET, TEST_DIR, TRAIN_DIR, display_path

__all__ = [
    "BUNDLED_DATASET",
    "TRAIN_DIR",
    "TEST_DIR",
    "IMAGE_SIZE",
    "NUM_CLASSES",
    "IMAGE_EXTENSIONS",
    "resolve_split",
    "list_images",
    "read_image",
    "unit_pixels",
    "files_signature",
    "load_arrays",
    "arrays_dataset",
    "load_dataset",
    "seed_generators",
    "summarize_dataset",
]

IMAGE_SIZE = 28
NUM_CLASSES = 10
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
MAX_IMAGE_PIXELS = 4096 * 4096
CLASS_NAMES = tuple(str(digit) for digit in range(NUM_CLASSES))


def _visible(folder: Path) -> list[Path]:
    """The entries of ``folder`` not starting with a dot, sorted; ``CourseError`` for a broken link among them."""
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise CourseError(f"cannot read folder {folder}: {exc.strerror or exc.__class__.__name__}") from None
    for entry in entries:
        if entry.is_symlink() and not entry.exists():
            try:
                entry.stat()
            except OSError as exc:
                what = "a link that loops" if exc.errno == errno.ELOOP else "a broken link (its target is missing)"
                raise CourseError(f"{what}: {entry}") from None
    return entries


def _is_split(folder: Path) -> bool:
    return any(p.name in CLASS_NAMES and p.is_dir() for p in _visible(folder))


def resolve_split(path: Path | str, split: str = "test") -> Path:
    """The split folder to read from ``path``: ``path`` itself, or ``path/split`` for a dataset root.

    >>> resolve_split(BUNDLED_DATASET, "train") == TRAIN_DIR
    True
    """
    folder = _existing_folder(path)
    if _is_split(folder):
        return folder
    if (folder / split).is_dir():
        return _existing_folder(folder / split)
    others = [name for name in ("train", "test") if (folder / name).is_dir()]
    if others:
        raise CourseError(
            f"no {split}/ folder in {folder} (it holds {', '.join(o + '/' for o in others)}; "
            f"a dataset root holds train/ and test/)"
        )
    return folder


def _existing_folder(path: Path | str) -> Path:
    folder = Path(path)
    if os.path.lexists(folder) and not folder.exists():
        raise CourseError(f"dataset folder is a broken or looping link: {folder}")
    if not folder.exists():
        raise CourseError(f"dataset folder not found: {folder}")
    if not folder.is_dir():
        raise CourseError(f"not a folder: {folder}")
    return folder


def list_images(split_dir: Path | str) -> list[tuple[Path, int]]:
    """The ``(image path, digit)`` pairs of a split folder, its layout checked (``CourseError``)."""
    folder = _existing_folder(split_dir)
    pairs: list[tuple[Path, int]] = []
    class_dirs = [p for p in _visible(folder) if p.is_dir()]
    if not class_dirs:
        raise CourseError(f"no class folders (0..9) in {folder}")
    for class_dir in class_dirs:
        if class_dir.name not in CLASS_NAMES:
            if class_dir.name in ("train", "test"):
                raise CourseError(
                    f"{folder} holds {class_dir.name}/: give it as a dataset root, or give a "
                    f"split folder of class folders 0..9"
                )
            raise CourseError(
                f"class folder names must be digits 0..9, found {class_dir} (name {ascii(class_dir.name)})"
            )
        files = [p for p in _visible(class_dir) if p.is_file()]
        if not files:
            raise CourseError(f"no images in class folder {class_dir}")
        for file in files:
            if file.suffix.lower() not in IMAGE_EXTENSIONS:
                raise CourseError(f"not a PNG, JPG, BMP or GIF image: {file}")
            pairs.append((file, int(class_dir.name)))
    return pairs


def decode_image(source: Path | BinaryIO, name: str, max_pixels: int = MAX_IMAGE_PIXELS) -> Image.Image:
    """Decode an image (a path or a binary file), refusing a decompression bomb or corrupt data by ``name``."""
    try:
        with warnings.catch_warnings():  # Pillow warns before it refuses; the course's own limit speaks
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)
            width, height = image.size
            if width * height > max_pixels:
                raise CourseError(f"image too large ({width}x{height} pixels, limit {max_pixels:,}): {name}")
            image.load()
    except CourseError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise CourseError(f"not a readable image ({exc.__class__.__name__}): {name}") from None
    return image


def open_image(path: Path | str, max_pixels: int = MAX_IMAGE_PIXELS) -> Image.Image:
    """Open an image file with Pillow; ``CourseError`` for a missing, empty, corrupt or oversized file."""
    path = Path(path)
    if path.is_dir():
        raise CourseError(f"a folder, not an image file: {path}")
    if os.path.lexists(path) and not path.exists():
        raise CourseError(f"image is a broken or looping link: {path}")
    if not path.is_file():
        raise CourseError(f"image not found: {path}")
    if path.stat().st_size == 0:
        raise CourseError(f"empty file (0 bytes): {path}")
    return decode_image(path, str(path), max_pixels)


def unit_pixels(pixels: Any, name: str = "pixels") -> np.ndarray:
    """Pixel values as float32 in [0, 1], the scale read from the dtype, never guessed from the values:
    ``uint8`` and every other integer type count 0..255; ``uint16`` counts 0..65535 (16-bit images); ``bool``
    is 0 or 1; floats already lie in [0, 1].  A value outside its dtype's range is a ``CourseError`` naming
    ``name`` (a float array of 0..255 is refused, not divided: say ``.astype(np.uint8)`` or ``/ 255``).

    >>> unit_pixels(np.array([0, 51, 255], dtype=np.uint8))
    array([0. , 0.2, 1. ], dtype=float32)
    >>> unit_pixels(np.array([0.0, 0.5]))
    array([0. , 0.5], dtype=float32)
    """
    array = np.asarray(pixels)
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype == np.uint16:
        return (array / 65535.0).astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        if array.size and (array.min() < 0 or array.max() > 255):
            raise CourseError(f"{name}: integer pixels must lie in 0..255, found {array.min()}..{array.max()}")
        return (array / 255.0).astype(np.float32)
    if not np.issubdtype(array.dtype, np.floating):
        raise CourseError(f"{name}: pixels of dtype {array.dtype} are not numbers")
    if array.size and not (np.isfinite(array).all() and array.min() >= 0.0 and array.max() <= 1.0):
        raise CourseError(
            f"{name}: float pixels must lie in [0, 1], found {np.nanmin(array):g}..{np.nanmax(array):g} "
            f"(for 0..255 values use dtype uint8, or divide by 255)"
        )
    return array.astype(np.float32)


def to_grayscale(image: Image.Image, name: str = "image") -> Image.Image:
    """Any Pillow image -> 8-bit grayscale (``L``), transparent pixels black, 16-bit images scaled from 0..65535,
    float images (mode ``F``) from [0, 1] (``unit_pixels``).

    >>> to_grayscale(Image.new("I;16", (1, 1), 32768)).getpixel((0, 0))
    128
    """
    if image.mode == "L":
        return image
    if image.mode == "I" or image.mode.startswith("I;16") or image.mode == "F":
        values = np.asarray(image)
        if image.mode != "F":  # 16-bit values, however Pillow holds them (mode I is int32)
            values = values.astype(np.uint16) if values.min() >= 0 and values.max() <= 65535 else values
        unit = unit_pixels(values, f"{name} (mode {image.mode})")
        return Image.fromarray(np.rint(unit * 255.0).astype(np.uint8), "L")
    try:
        if "A" in image.getbands() or image.mode == "P" and "transparency" in image.info:
            rgba = image.convert("RGBA")
            return Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba).convert("L")
        return image.convert("L")
    except ValueError:
        raise CourseError(f"unsupported image mode {image.mode}: {name}") from None


def upright(image: Image.Image, name: str = "the image") -> Image.Image:
    """``image`` turned as its EXIF orientation tag says: a phone stores a portrait photo lying on its side and
    tells viewers to turn it; without this the course would read a 7 lying down."""
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, TypeError, KeyError) as exc:
        raise CourseError(f"unreadable EXIF data ({exc.__class__.__name__}): {name}") from None


def read_image(path: Path | str, size: int = IMAGE_SIZE) -> np.ndarray:
    """Read one image file as a ``(size, size)`` uint8 array: upright (EXIF), grayscale, resized if needed.

    >>> read_image(TRAIN_DIR / "0" / "0_0000.png").shape
    (28, 28)
    """
    image = to_grayscale(upright(open_image(path), str(path)), str(path))
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)


def files_signature(folder: Path | str) -> tuple[str, tuple[tuple[Any, ...], ...]]:
    """Which files a split folder holds right now, one entry per visible file of each visible subfolder:
    ``(class/name, size, mtime_ns, ctime_ns, inode)``.  The dataset cache and ``helpers.provenance`` key on it.
    An image written, replaced, added or removed changes it, even when its old modification time is put back:
    the system sets ``ctime`` on every change and nothing can set it back.  (A content hash would cost ten
    times as long: 0.5 s for the 8,000 training images, on every ``load_arrays`` call.)"""
    folder = Path(folder)
    files = []
    for sub in _visible(folder):
        if not sub.is_dir():
            continue
        for entry in sorted(os.scandir(sub), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            try:
                info = entry.stat()
                files.append(
                    (f"{sub.name}/{entry.name}", info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
                )
            except OSError:  # a broken link: list_images names it
                files.append((f"{sub.name}/{entry.name}", None, None, None, None))
    return str(folder.resolve()), tuple(files)


@functools.lru_cache(maxsize=8)
def _load_uint8(signature: tuple[str, tuple], size: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    pairs = list_images(Path(signature[0]))
    images = np.stack([read_image(path, size) for path, _ in pairs])
    labels = np.array([label for _, label in pairs], dtype=np.int64)
    return images, labels, tuple(str(path) for path, _ in pairs)


def load_arrays(
    split_dir: Path | str, size: int = IMAGE_SIZE, return_paths: bool = False, normalize: bool = True
) -> tuple[np.ndarray, ...]:
    """A split folder as ``images`` ``(n, 28, 28, 1)`` in [0, 1] (or uint8), ``labels`` (and paths); cached.

    >>> images, labels = load_arrays(TEST_DIR)
    >>> images.shape, images.dtype, float(images.max()), labels[:3]
    ((2000, 28, 28, 1), dtype('float32'), 1.0, array([0, 0, 0]))
    """
    folder = _existing_folder(split_dir)
    images_u8, labels, paths = _load_uint8(files_signature(folder), size)
    images = images_u8.astype(np.float32) / 255.0 if normalize else images_u8.copy()
    images = images[..., np.newaxis]
    if return_paths:
        return images, labels.copy(), np.array(paths)
    return images, labels.copy()


def arrays_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 42,
    categorical: bool = True,
) -> Any:
    """Images and integer labels -> a cached, batched ``tf.data.Dataset`` (labels one-hot or integers), shuffled
    every epoch if asked; one thread prepares batches, no autotuner: its threads slow a 2-core CPU (README)."""
    import keras
    import tensorflow as tf

    targets = keras.utils.to_categorical(labels, NUM_CLASSES) if categorical else np.asarray(labels)
    dataset = tf.data.Dataset.from_tensor_slices((images, targets)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.autotune.enabled = False
    options.threading.private_threadpool_size = 1
    return dataset.batch(batch_size).prefetch(2).with_options(options)


def load_dataset(
    split_dir: Path | str, batch_size: int = 32, shuffle: bool = False, seed: int = 42, categorical: bool = True
) -> Any:
    """A split folder (``load_arrays``) as a ``tf.data.Dataset`` of ``(images, labels)`` (``arrays_dataset``)."""
    images, labels = load_arrays(split_dir)
    return arrays_dataset(images, labels, batch_size, shuffle, seed, categorical)


def seed_generators(
    train_dir: Path | str = TRAIN_DIR, test_dir: Path | str = TEST_DIR, batch_size: int = 32, seed: int = 42
) -> tuple[Any, Any]:
    """The seed's ``ImageDataGenerator(rescale=1/255).flow_from_directory`` pair ``(train_flow, test_flow)``."""
    import tensorflow as tf

    for folder in (train_dir, test_dir):
        list_images(folder)  # clear errors before Keras sees the folder
    generator = tf.keras.preprocessing.image.ImageDataGenerator(rescale=1.0 / 255)
    options = dict(
        target_size=(IMAGE_SIZE, IMAGE_SIZE),
        color_mode="grayscale",
        class_mode="categorical",
        batch_size=batch_size,
        classes=[str(d) for d in range(NUM_CLASSES)],
    )
    train_flow = generator.flow_from_directory(str(train_dir), shuffle=True, seed=seed, **options)
    test_flow = generator.flow_from_directory(str(test_dir), shuffle=False, **options)
    return train_flow, test_flow


def summarize_split(split_dir: Path | str) -> dict[str, Any]:
    """Count the images of one split per class, with their sizes and Pillow modes (every file is opened)."""
    pairs = list_images(split_dir)
    per_class = collections.Counter(label for _, label in pairs)
    sizes: collections.Counter[str] = collections.Counter()
    modes: collections.Counter[str] = collections.Counter()
    for path, _ in pairs:
        image = open_image(path)
        sizes[f"{image.size[0]}x{image.size[1]}"] += 1
        modes[image.mode] += 1
    return {
        "path": display_path(split_dir),
        "total": len(pairs),
        "per_class": {str(d): per_class.get(d, 0) for d in range(NUM_CLASSES)},
        "sizes": dict(sizes.most_common()),
        "modes": dict(modes.most_common()),
    }


def summarize_dataset(path: Path | str = BUNDLED_DATASET) -> dict[str, dict[str, Any]]:
    """Validate and summarize a dataset root or a split folder: ``{split (or folder) name: summary}``."""
    folder = _existing_folder(path)
    splits = [folder / name for name in ("train", "test") if (folder / name).is_dir()]
    if splits and not _is_split(folder):
        return {split.name: summarize_split(split) for split in splits}
    return {folder.name: summarize_split(folder)}
