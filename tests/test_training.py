"""helpers.training: seeds, recipes, history files, load-or-train; and a real accuracy floor."""

import json

import numpy as np
import pytest

from helpers.model_files import history_path_for, load_history, save_history
from helpers.training import format_epoch, load_or_train_reference, set_seed, train_and_save, train_reference


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
    model, history = train_reference(bundled_subset / "train", bundled_subset / "test", epochs=2,
                                     on_epoch_end=lambda epoch, logs: seen.append((epoch, logs)))
    assert [epoch for epoch, _ in seen] == [1, 2]
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history["loss"][1] < history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.85, history


def test_train_and_save_writes_three_files_and_logs_each_epoch(bundled_subset, tmp_path):
    lines = []
    out = tmp_path / "run" / "cnn.keras"
    _, history, written = train_and_save(out, log=lines.append, train_dir=bundled_subset / "test",
                                         val_dir=bundled_subset / "test", epochs=2)
    assert len(lines) == 2 and lines[0].startswith("epoch  1/2") and "val_accuracy" in lines[1]
    assert written["keras"] == out and written["h5"] == out.with_suffix(".h5")
    assert json.loads(written["history"].read_text())["loss"] == pytest.approx(history["loss"])
    assert sorted(p.name for p in out.parent.iterdir()) == ["cnn.h5", "cnn.history.json", "cnn.keras"]


def test_load_or_train_loads_an_existing_file(trained_model_file):
    model = load_or_train_reference(trained_model_file)
    assert model.count_params() == 225_034


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
    assert planned_epochs("improved", {"epochs": 5}) == 10  # two committee members, one after the other
    assert planned_epochs("improved", {"epochs": 5, "members": 3}) == 15
