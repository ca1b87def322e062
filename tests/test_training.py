"""helpers.training: seeds, recipes, history files, load-or-train; and a real accuracy floor."""

import json

import numpy as np
import pytest

from helpers.model_files import history_path_for, load_history, save_history
from helpers.training import (
    expected_settings,
    format_epoch,
    load_or_train_reference,
    set_seed,
    train_and_save,
    train_reference,
)


def _weights_after_short_training(subset, seed):
    model, history = train_reference(subset / "train", subset / "test", epochs=1, seed=seed)
    return model.get_weights()[0], history


def test_same_seed_same_model(bundled_subset):
    first, history_a = _weights_after_short_training(bundled_subset, 7)
    second, history_b = _weights_after_short_training(bundled_subset, 7)
    other, _ = _weights_after_short_training(bundled_subset, 8)
    np.testing.assert_array_equal(first, second)
    assert history_a == history_b
    assert not np.array_equal(first, other)


def test_set_seed_repeats_numpy_draws():
    set_seed(3)
    a = np.random.rand(3)
    set_seed(3)
    assert np.array_equal(a, np.random.rand(3))


@pytest.mark.slow
def test_two_epochs_on_a_bundled_subset_clear_an_accuracy_floor(bundled_subset):
    """Integration: 1,000 real training digits, 2 epochs, must already read most held-out digits."""
    seen = []
    model, history = train_reference(
        bundled_subset / "train",
        bundled_subset / "test",
        epochs=2,
        on_epoch_end=lambda epoch, logs: seen.append((epoch, logs)),
    )
    assert [epoch for epoch, _ in seen] == [1, 2]
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history["loss"][1] < history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.85, history


def test_train_and_save_writes_four_files_and_logs_each_epoch(bundled_subset, tmp_path):
    lines = []
    out = tmp_path / "run" / "cnn.keras"
    _, history, written = train_and_save(
        out, log=lines.append, train_dir=bundled_subset / "test", val_dir=bundled_subset / "test", epochs=2
    )
    assert len(lines) == 2 and lines[0].startswith("epoch  1/2") and "val_accuracy" in lines[1]
    assert written["keras"] == out and written["h5"] == out.with_suffix(".h5")
    assert json.loads(written["history"].read_text())["loss"] == pytest.approx(history["loss"])
    assert sorted(p.name for p in out.parent.iterdir()) == ["cnn.h5", "cnn.history.json", "cnn.keras", "cnn.meta.json"]
    meta = json.loads(written["meta"].read_text())
    assert (meta["recipe"], meta["epochs"], meta["seed"], meta["batch_size"]) == ("reference", 2, 42, 32)
    assert meta["train_data"] == meta["val_data"] != expected_settings(with_architecture=False)["train_data"]
    assert meta["architecture"] == expected_settings()["architecture"]
    assert {"tensorflow", "keras", "numpy", "python"} <= set(meta["versions"])


def test_load_or_train_loads_a_file_whose_metadata_says_it_is_the_reference(trained_model_file, tmp_path, monkeypatch):
    import shutil

    from helpers.provenance import write_meta

    path = tmp_path / "ref.keras"
    shutil.copy(trained_model_file, path)
    write_meta({**expected_settings(), "versions": {}}, path)
    monkeypatch.setattr("helpers.training.train_and_save", lambda *a, **k: pytest.fail("must not train"))
    lines = []
    model = load_or_train_reference(path, log=lines.append)
    assert model.count_params() == 225_034 and lines == []


@pytest.mark.parametrize(
    "meta_change, reason",
    [
        ({"epochs": 2}, "epochs=2 (wanted: epochs=20)"),
        ({"seed": 7}, "seed=7 (wanted: seed=42)"),
        ({"architecture": "0123456789abcdef"}, "layers or compile settings 0123456789abcdef"),
        (None, "nothing records how it was trained"),
    ],
)
def test_load_or_train_retrains_a_file_that_is_not_the_reference(
    trained_model_file, tmp_path, monkeypatch, meta_change, reason
):
    import shutil

    from helpers.provenance import write_meta

    path = tmp_path / "ref.keras"
    shutil.copy(trained_model_file, path)
    if meta_change is not None:
        write_meta({**expected_settings(), **meta_change}, path)
    calls = []
    monkeypatch.setattr(
        "helpers.training.train_and_save", lambda out, recipe, log: calls.append((out, recipe)) or ("model", {}, {})
    )
    lines = []
    assert load_or_train_reference(path, log=lines.append) == "model"
    assert calls == [(path, "reference")]
    assert lines[0].startswith(f"{path} is not the reference model: "), lines  # outside the repository: in full
    assert reason in lines[0] and "Training the reference model" in lines[0]


def test_an_experiment_never_takes_the_reference_path():
    from helpers.paths import EXPERIMENTS_DIR, IMPROVED_MODEL, REFERENCE_MODEL
    from helpers.training import planned_model_path

    assert planned_model_path() == REFERENCE_MODEL
    assert planned_model_path("reference", epochs=20, seed=42) == REFERENCE_MODEL
    assert planned_model_path("improved") == IMPROVED_MODEL
    assert planned_model_path("reference", epochs=2) == EXPERIMENTS_DIR / "reference_epochs2_seed42.keras"
    assert planned_model_path("reference", seed=7) == EXPERIMENTS_DIR / "reference_epochs20_seed7.keras"
    assert planned_model_path("improved", epochs=3) == EXPERIMENTS_DIR / "improved_epochs3_seed42.keras"


def test_a_changed_layer_is_an_experiment_even_with_the_reference_settings(monkeypatch, tmp_path):
    import keras

    from helpers.model import build_cnn
    from helpers.paths import EXPERIMENTS_DIR, REFERENCE_MODEL
    from helpers.training import compile_reference, model_path_for, run_settings

    reference = run_settings(compile_reference(build_cnn()), epochs=20, seed=42)
    assert model_path_for(reference) == REFERENCE_MODEL
    narrow = keras.Sequential(
        [
            keras.Input((28, 28, 1), name="digit"),
            keras.layers.Conv2D(16, 3, name="conv1"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    changed = run_settings(compile_reference(narrow), epochs=20, seed=42)
    assert model_path_for(changed).parent == EXPERIMENTS_DIR and "_layers-" in model_path_for(changed).name


def test_history_round_trip_and_bad_file(tmp_path):
    path = save_history({"loss": [np.float32(0.5), 0.25], "accuracy": [0.8, 0.9]}, tmp_path / "h.json")
    assert load_history(path) == {"loss": [0.5, 0.25], "accuracy": [0.8, 0.9]}
    (tmp_path / "bad.json").write_text("{not json")
    from helpers.errors import CourseError

    with pytest.raises(CourseError, match="bad.json"):
        load_history(tmp_path / "bad.json")
    assert history_path_for("models/m.keras").name == "m.history.json"


def test_format_epoch():
    line = format_epoch(3, 20, {"loss": 0.12345, "val_accuracy": 0.98765}, 2.04)
    assert line == "epoch  3/20  loss 0.1235  val_accuracy 0.9877  2.0 s"


def test_progress_lines_count_every_epoch_of_a_recipe():
    from helpers.recipes import planned_epochs

    assert planned_epochs("reference", {}) == 20
    assert planned_epochs("reference", {"epochs": 3}) == 3
    assert planned_epochs("improved", {}) == 18
    assert planned_epochs("improved", {"epochs": 5, "members": 3}) == 5  # the members train together
