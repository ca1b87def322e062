"""The building blocks of notebooks 08 and 10 and of ``--recipe improved``."""

import numpy as np
import pytest

from helpers.model import augmentation_layers, build_cnn, build_custom_cnn, build_improved_cnn
from helpers.recipes import IMPROVED
from helpers.training import carve_validation, train_and_save, train_custom


def test_custom_cnn_defaults_are_the_reference_model():
    custom, reference = build_custom_cnn(), build_cnn()
    assert custom.count_params() == reference.count_params() == 225_034
    assert [layer.__class__ for layer in custom.layers] == [layer.__class__ for layer in reference.layers]


@pytest.mark.parametrize(
    "options, extra_layers",
    [
        ({"dropout": 0.3}, {"Dropout": 2}),
        ({"batch_norm": True}, {"BatchNormalization": 2, "ReLU": 2}),
        ({"augment": True}, {"Sequential": 1}),
    ],
)
def test_each_knob_adds_its_layers(options, extra_layers):
    kinds = [layer.__class__.__name__ for layer in build_custom_cnn(**options).layers]
    for kind, count in extra_layers.items():
        assert kinds.count(kind) == count, kinds


def test_knobs_change_the_parameter_count_as_computed_by_hand():
    model = build_custom_cnn(filters=(8, 16), dense_units=32)
    by_hand = (3 * 3 * 1 * 8 + 8) + (3 * 3 * 8 * 16 + 16) + (5 * 5 * 16 * 32 + 32) + (32 * 10 + 10)
    assert model.count_params() == by_hand


def test_augmentation_changes_images_only_while_training():
    images = np.zeros((4, 28, 28, 1), dtype=np.float32)
    images[:, 8:20, 12:16] = 1.0
    augment = augmentation_layers(seed=1)
    np.testing.assert_array_equal(np.asarray(augment(images, training=False)), images)
    moved = np.asarray(augment(images, training=True))
    assert moved.shape == images.shape and not np.allclose(moved, images)


def test_improved_model_is_smaller_and_predicts_probabilities():
    model = build_improved_cnn()
    assert model.count_params() < 225_034
    probabilities = np.asarray(model(np.zeros((2, 28, 28, 1), dtype=np.float32), training=False))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_carve_validation_is_stratified_disjoint_and_repeatable():
    labels = np.repeat(np.arange(10), [50, 60, 70, 40, 50, 50, 50, 50, 50, 80])
    train, val = carve_validation(labels, fraction=0.1, seed=3)
    assert len(val) == 55 and len(train) + len(val) == len(labels)
    assert not set(train) & set(val)
    assert np.bincount(labels[val], minlength=10).min() >= 4
    again_train, again_val = carve_validation(labels, fraction=0.1, seed=3)
    assert np.array_equal(val, again_val) and not np.array_equal(val, carve_validation(labels, 0.1, seed=4)[1])


def test_train_custom_reports_each_epoch_and_honours_stop(bundled_subset):
    seen = []
    model, history = train_custom(
        filters=(8, 16),
        dense_units=32,
        dropout=0.2,
        batch_norm=True,
        augment=True,
        lr_schedule=True,
        early_stopping=True,
        epochs=3,
        train_size=400,
        train_dir=bundled_subset / "train",
        on_epoch_end=lambda epoch, logs: seen.append(epoch),
        stop=lambda: len(seen) >= 2,
    )
    assert seen == [1, 2]  # stopped after the second epoch
    assert len(history["loss"]) == 2 and "val_accuracy" in history
    assert model.count_params() > 0


@pytest.mark.slow
def test_improved_recipe_trains_a_committee_and_saves_it(bundled_subset, tmp_path):
    from helpers.model_files import load_model

    lines = []
    out = tmp_path / "improved.keras"
    model, history, written = train_and_save(
        out, recipe="improved", log=lines.append, train_dir=bundled_subset / "train", epochs=2
    )
    assert [line.split()[1] for line in lines] == ["1/2", "2/2"]  # the members train together, in one fit
    assert len(history["val_loss"]) == 2 and "member" not in history
    assert set(written) == {"keras", "h5", "history", "meta"}
    assert model.count_params() == IMPROVED.members * build_improved_cnn().count_params()
    members = [layer for layer in model.layers if layer.__class__.__name__ == "Sequential"]
    assert len(members) == IMPROVED.members
    assert len({float(np.asarray(m.get_layer("conv1").kernel).sum()) for m in members}) == IMPROVED.members
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    mean = np.mean([np.asarray(m(view, training=False)) for view in shifted_views(x) for m in members], axis=0)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), mean, atol=1e-6)
    for path in (written["keras"], written["h5"]):
        np.testing.assert_allclose(np.asarray(load_model(path)(x, training=False)), mean, atol=1e-5)


def shifted_views(x):
    """``x`` and ``x`` moved one pixel in each of 8 directions, the background coming in at the edge."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return [padded[:, 1 - dy : 29 - dy, 1 - dx : 29 - dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def test_the_committee_sees_the_digit_moved_one_pixel_each_way():
    """average_models(shifts=True) on one bright pixel, through a member that reports where the pixel lies:
    output k is the share of views with the pixel on position k, so each of the 9 positions (still, and one pixel
    in each of 8 directions) must get exactly 1/9."""
    import keras

    from helpers.model import average_models

    positions = [(10 + dy, 10 + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    kernel = np.zeros((28 * 28, 10), dtype=np.float32)
    for k, (row, col) in enumerate(positions):
        kernel[row * 28 + col, k] = 1.0  # output k: the ink on position k
    kernel[:, 9] = 1.0
    kernel[[row * 28 + col for row, col in positions], 9] = 0.0  # output 9: ink anywhere else
    where = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)], name="where")
    where.layers[-1].set_weights([kernel, np.zeros(10, dtype=np.float32)])
    x = np.zeros((1, 28, 28, 1), dtype=np.float32)
    x[0, 10, 10] = 1.0
    np.testing.assert_allclose(np.asarray(average_models([where], shifts=True)(x))[0], [1 / 9] * 9 + [0], atol=1e-6)
    np.testing.assert_allclose(np.asarray(average_models([where])(x))[0], np.eye(10)[4], atol=1e-6)  # no shifts


def test_average_models_averages_probabilities_and_shifted_views():
    from helpers.model import average_models, stack_models

    first = build_custom_cnn(filters=(4, 8), dense_units=8, name="first")
    second = build_custom_cnn(filters=(4, 8), dense_units=8, name="second")
    committee = average_models([first, second])
    x = np.random.default_rng(1).random((2, 28, 28, 1), dtype=np.float32)
    expected = (np.asarray(first(x)) + np.asarray(second(x))) / 2
    np.testing.assert_allclose(np.asarray(committee(x)), expected, atol=1e-6)
    assert committee.input_shape == (None, 28, 28, 1) and committee.output_shape == (None, 10)
    with_shifts = average_models([first, second], shifts=True)
    expected = np.mean([np.asarray(m(view)) for view in shifted_views(x) for m in (first, second)], axis=0)
    np.testing.assert_allclose(np.asarray(with_shifts(x)), expected, atol=1e-6)
    assert with_shifts.count_params() == committee.count_params() and with_shifts.output_shape == (None, 10)
    stacked = np.asarray(stack_models([first, second])(x))  # side by side, for training together
    assert stacked.shape == (2, 2, 10)
    np.testing.assert_allclose(stacked[:, 1], np.asarray(second(x)), atol=1e-6)
