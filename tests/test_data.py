"""helpers.data: directory datasets, labels from folder names, formats, bad input."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from keras.utils import to_categorical
from PIL import Image
from support import write_digit_image

from helpers.data import (
    list_images,
    load_arrays,
    load_dataset,
    read_image,
    resolve_split,
    seed_generators,
    summarize_dataset,
    unit_pixels,
)
from helpers.errors import CourseError
from helpers.paths import BUNDLED_DATASET, TEST_DIR, TRAIN_DIR


def test_bundled_splits_load_with_expected_shapes_and_labels():
    images, labels = load_arrays(TEST_DIR)
    assert images.shape == (2000, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 == images.min() and images.max() == 1.0
    assert np.bincount(labels, minlength=10).tolist() == [200] * 10


def test_labels_come_from_folder_names_not_positions(make_split):
    split = make_split(digits=[0, 3, 7], per_class=2)  # 1, 2, 4, 5, 6, 8, 9 missing
    _, labels, paths = load_arrays(split, return_paths=True)
    assert sorted(set(labels.tolist())) == [0, 3, 7]
    for label, path in zip(labels, paths):
        assert path.split("/")[-2] == str(label)


def test_hidden_entries_are_ignored(make_split):
    split = make_split(digits=[1, 2], per_class=1)
    (split / ".ipynb_checkpoints").mkdir()
    (split / ".DS_Store").write_bytes(b"\x00\x01junk")
    (split / "1" / ".DS_Store").write_bytes(b"junk")
    write_digit_image(split / "2" / ".hidden.png")
    assert len(list_images(split)) == 2


@pytest.mark.parametrize(
    "ext, mode",
    [(".png", "RGB"), (".png", "RGBA"), (".jpg", "RGB"), (".bmp", "L"), (".gif", "P"), (".jpeg", "L"), (".png", "LA")],
)
def test_formats_and_modes_become_28x28_grayscale(make_split, ext, mode):
    split = make_split(digits=[5], per_class=1, ext=ext, mode=mode)
    images, labels = load_arrays(split)
    assert images.shape == (1, 28, 28, 1) and labels.tolist() == [5]
    assert images.max() > 0.9 and images.min() < 0.1  # the bright bar survived the conversion


def test_other_sizes_are_resized(make_split):
    split = make_split(digits=[4], per_class=1, size=64)
    image = read_image(next((split / "4").iterdir()))
    assert image.shape == (28, 28)
    assert image.max() > 200


def test_transparent_pixels_become_black_background(tmp_path):
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)
    rgba[5:20, 10:14] = (255, 255, 255, 255)  # an opaque white stroke on a transparent background
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "x.png")
    image = read_image(tmp_path / "x.png")
    assert image[0, 0] == 0 and image[10, 11] == 255


def test_resolve_split_accepts_root_or_split(bundled_subset):
    assert resolve_split(BUNDLED_DATASET, "train") == TRAIN_DIR
    assert resolve_split(bundled_subset, "test") == bundled_subset / "test"
    assert resolve_split(bundled_subset / "train", "test") == bundled_subset / "train"


@pytest.mark.parametrize(
    "problem, message",
    [
        ("missing", "dataset folder not found"),
        ("no_class_folders", "no class folders"),
        ("non_digit_folder", "class folder names must be digits"),
        ("digit_out_of_range", "class folder names must be digits"),
        ("empty_class", "no images in class folder"),
        ("zero_byte", "empty file (0 bytes)"),
        ("corrupt", "not a readable image"),
        ("not_an_image", "not a PNG, JPG, BMP or GIF image"),
    ],
)
def test_bad_datasets_raise_one_line_errors_naming_the_culprit(make_split, tmp_path, problem, message):
    split = make_split(digits=[0, 1], per_class=1)
    culprit = {
        "missing": tmp_path / "nope",
        "no_class_folders": tmp_path / "flat",
        "non_digit_folder": split / "cats",
        "digit_out_of_range": split / "10",
        "empty_class": split / "2",
        "zero_byte": split / "1" / "empty.png",
        "corrupt": split / "1" / "broken.png",
        "not_an_image": split / "1" / "notes.txt",
    }[problem]
    target = culprit if problem in ("missing", "no_class_folders") else split
    if problem == "no_class_folders":
        culprit.mkdir()
        write_digit_image(culprit / "loose.png")
    elif problem in ("non_digit_folder", "digit_out_of_range"):
        write_digit_image(culprit / "a.png")
    elif problem == "empty_class":
        culprit.mkdir()
    elif problem == "zero_byte":
        culprit.write_bytes(b"")
    elif problem == "corrupt":
        culprit.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 10)
    elif problem == "not_an_image":
        culprit.write_text("hello")
    with pytest.raises(CourseError) as excinfo:
        load_arrays(target)
    text = str(excinfo.value)
    assert message in text and str(culprit) in text and "\n" not in text


def test_truncated_png_is_reported_by_name(tmp_path):
    write_digit_image(tmp_path / "ok.png", size=64)
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(CourseError, match="cut.png"):
        read_image(tmp_path / "cut.png")


def test_load_dataset_batches_one_hot_and_shuffles_reproducibly(bundled_subset):
    dataset = load_dataset(bundled_subset / "test", batch_size=32)
    images, labels = next(iter(dataset))
    assert tuple(images.shape) == (32, 28, 28, 1) and tuple(labels.shape) == (32, 10)
    assert float(labels.numpy().sum()) == 32.0
    assert sum(int(b[0].shape[0]) for b in dataset) == 300
    integer = load_dataset(bundled_subset / "test", batch_size=300, categorical=False)
    assert next(iter(integer))[1].numpy().tolist() == sorted(next(iter(integer))[1].numpy().tolist())

    def first_labels(seed):
        shuffled = load_dataset(bundled_subset / "test", batch_size=300, shuffle=True, seed=seed, categorical=False)
        return next(iter(shuffled))[1].numpy().tolist()

    assert first_labels(1) == first_labels(1)
    assert first_labels(1) != first_labels(2)


def test_seed_generators_use_folder_names_and_scale(bundled_subset, capsys):
    train_flow, test_flow = seed_generators(bundled_subset / "train", bundled_subset / "test", batch_size=16)
    assert train_flow.samples == 1000 and test_flow.samples == 300
    assert train_flow.class_indices == {str(d): d for d in range(10)}
    images, labels = next(iter(test_flow))
    assert images.shape == (16, 28, 28, 1) and labels.shape == (16, 10)
    assert 0.0 <= images.min() and images.max() <= 1.0
    # same pixels as the course's own loader
    ours, our_labels = load_arrays(bundled_subset / "test")
    np.testing.assert_allclose(images, ours[:16], atol=1e-6)
    assert labels.argmax(axis=1).tolist() == our_labels[:16].tolist()


def test_seed_generators_keep_labels_when_a_class_is_missing(make_split):
    split = make_split(digits=[2, 8], per_class=1)
    flow, _ = seed_generators(split, split, batch_size=2)
    assert flow.class_indices["8"] == 8 and flow.samples == 2


def test_summarize_dataset_counts_sizes_and_modes(make_split, tmp_path):
    root = tmp_path / "root"
    make_split(name="root/train", digits=[1, 2], per_class=3)
    make_split(name="root/test", digits=[1], per_class=1, size=32, mode="RGB")
    summary = summarize_dataset(root)
    assert set(summary) == {"train", "test"}
    assert summary["train"]["total"] == 6 and summary["train"]["per_class"]["2"] == 3
    assert summary["train"]["per_class"]["0"] == 0
    assert summary["test"]["sizes"] == {"32x32": 1} and summary["test"]["modes"] == {"RGB": 1}
    only = summarize_dataset(root / "train")
    assert list(only) == ["train"]


def test_bundled_summary_matches_manifest():
    import json

    manifest = json.loads((BUNDLED_DATASET / "manifest.json").read_text())
    summary = summarize_dataset()
    for split in ("train", "test"):
        assert summary[split]["per_class"] == manifest["splits"][split]["per_class"]
        assert summary[split]["sizes"] == {"28x28": manifest["splits"][split]["total"]}


def test_raw_pixels_are_the_normalized_ones_times_255(bundled_subset):
    raw, labels = load_arrays(bundled_subset / "test", normalize=False)
    scaled, same_labels = load_arrays(bundled_subset / "test")
    assert raw.dtype == np.uint8 and raw.shape == scaled.shape == (300, 28, 28, 1)
    np.testing.assert_allclose(raw / 255.0, scaled, atol=1e-6)
    assert labels.tolist() == same_labels.tolist()


def test_load_dataset_batches_match_a_plain_tf_data_pipeline(bundled_subset):
    """load_dataset turns tf.data's autotuner off for speed; the batches and their order must not change:
    the same as cache -> shuffle(seed) -> batch with default options, epoch after epoch."""
    import tensorflow as tf

    images, labels = load_arrays(bundled_subset / "train")
    plain = (
        tf.data.Dataset.from_tensor_slices((images, to_categorical(labels)))
        .cache()
        .shuffle(len(images), seed=3, reshuffle_each_iteration=True)
        .batch(32)
    )
    ours = load_dataset(bundled_subset / "train", batch_size=32, shuffle=True, seed=3)
    options = ours.options()
    assert options.autotune.enabled is False and options.threading.private_threadpool_size == 1
    for _ in range(2):  # two epochs: the reshuffled order matches too
        for (our_x, our_y), (plain_x, plain_y) in zip(ours, plain, strict=True):
            np.testing.assert_array_equal(our_x.numpy(), plain_x.numpy())
            np.testing.assert_array_equal(our_y.numpy(), plain_y.numpy())


def same_size_images(split: Path) -> tuple[Path, Path]:
    """Two bundled images of different digits whose files have the same number of bytes."""
    first_of_size = {}
    for path, label in list_images(split):
        size = path.stat().st_size
        if size in first_of_size and first_of_size[size][1] != label:
            return first_of_size[size][0], path
        first_of_size.setdefault(size, (path, label))
    raise AssertionError("no two same-size images of different digits")


def replace_in_place(target: Path, source: Path) -> None:
    """Overwrite ``target`` with ``source``'s bytes (same name, same size) and put its modification time back."""
    before = target.stat()
    time.sleep(0.02)  # the system's file clock ticks every few milliseconds
    target.write_bytes(source.read_bytes())
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns


def test_an_image_replaced_in_place_is_read_anew(tmp_path):
    """Same name, same size, same modification time: the cache still returns the new pixels."""
    old, new = same_size_images(TEST_DIR)
    split = tmp_path / "split"
    for path in (old, new):
        (split / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, split / path.parent.name / path.name)
    target = split / old.parent.name / old.name
    images, _, paths = load_arrays(split, return_paths=True)
    row = paths.tolist().index(str(target))
    np.testing.assert_array_equal(images[row, ..., 0], read_image(old) / np.float32(255))
    replace_in_place(target, new)
    images, _ = load_arrays(split)
    np.testing.assert_array_equal(images[row, ..., 0], read_image(new) / np.float32(255))


@pytest.mark.parametrize(
    "pixels, expected",
    [
        (np.array([0, 51, 255], dtype=np.uint8), [0.0, 0.2, 1.0]),
        (np.array([0, 51, 255]), [0.0, 0.2, 1.0]),  # Python ints count 0..255 as uint8 does
        (np.array([0, 65535], dtype=np.uint16), [0.0, 1.0]),
        (np.array([0.0, 0.25, 1.0], dtype=np.float64), [0.0, 0.25, 1.0]),
        (np.array([True, False]), [1.0, 0.0]),
        (np.array([0.0, 0.0]), [0.0, 0.0]),  # an all-black float image stays black (no guess from its maximum)
        (np.array([0, 1], dtype=np.uint8), [0.0, 1 / 255]),  # nearly black uint8 is not taken for [0, 1]
    ],
)
def test_unit_pixels_reads_the_scale_from_the_dtype(pixels, expected):
    result = unit_pixels(pixels)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=1e-6)


@pytest.mark.parametrize(
    "pixels, message",
    [
        (np.array([0.0, 255.0]), "float pixels must lie in \\[0, 1\\], found 0..255"),
        (np.array([0.0, np.nan]), "float pixels must lie in"),
        (np.array([-1, 300]), "integer pixels must lie in 0..255"),
        (np.array(["a"]), "not numbers"),
    ],
)
def test_unit_pixels_refuses_values_outside_the_dtypes_range(pixels, message):
    with pytest.raises(CourseError, match=message) as excinfo:
        unit_pixels(pixels, "the canvas")
    assert str(excinfo.value).startswith("the canvas:") and "\n" not in str(excinfo.value)


def test_a_photo_stored_on_its_side_is_read_upright(tmp_path):
    """A phone stores a portrait photo rotated, with an EXIF tag telling viewers to turn it back."""
    digit = Image.open(TEST_DIR / "7" / sorted(p.name for p in (TEST_DIR / "7").iterdir())[0])
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to view"
    digit.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "sideways.png", exif=exif)
    np.testing.assert_array_equal(read_image(tmp_path / "sideways.png"), np.asarray(digit))
