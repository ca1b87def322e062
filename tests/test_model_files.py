"""helpers.model_files: atomic saves, both formats, clear errors for bad files."""

import numpy as np
import pytest

from helpers.errors import CourseError
from helpers.model import build_cnn
from helpers.model_files import check_digit_model, load_model, save_model, save_model_files
from helpers.paths import DATA_DIR


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_round_trip_keeps_predictions(trained_model_file, tmp_path, suffix):
    model = load_model(trained_model_file)
    copy = load_model(save_model(model, tmp_path / f"copy{suffix}"))
    x = np.random.default_rng(1).random((4, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(np.asarray(copy(x)), np.asarray(model(x)), atol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [f"copy{suffix}"]  # no temporary files left


def test_h5_file_is_written_beside_keras(trained_model_file):
    assert trained_model_file.with_suffix(".h5").is_file()
    assert trained_model_file.with_name("tiny_cnn.history.json").is_file()
    assert load_model(trained_model_file.with_suffix(".h5")).count_params() == 225_034


def test_interrupted_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    model = build_cnn()
    target = save_model(model, tmp_path / "m.keras")
    before = target.read_bytes()

    def crash(self, path, *args, **kwargs):
        with open(path, "wb") as handle:  # half a file, then the power goes out
            handle.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(type(model), "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(model, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


@pytest.mark.parametrize("content, message", [
    (None, "model file not found"),
    (b"", "empty model file"),
    (b"this is not a model", "corrupt model file"),
])
def test_bad_keras_files_raise_one_line_errors(tmp_path, content, message):
    path = tmp_path / "model.keras"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CourseError, match=message) as excinfo:
        load_model(path)
    assert str(path) in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_corrupt_h5_and_truncated_keras(tmp_path, trained_model_file):
    (tmp_path / "m.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(CourseError, match="cannot load model file"):
        load_model(tmp_path / "m.h5")
    data = trained_model_file.read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 3])
    with pytest.raises(CourseError, match="cut.keras"):
        load_model(tmp_path / "cut.keras")


def test_refuses_wrong_suffix_folders_and_data_dir(tmp_path):
    model = build_cnn()
    with pytest.raises(CourseError, match="must end in"):
        save_model(model, tmp_path / "m.pt")
    (tmp_path / "d.keras").mkdir()
    with pytest.raises(CourseError, match="folder is in the way"):
        save_model(model, tmp_path / "d.keras")
    with pytest.raises(CourseError, match="refusing to write into data/"):
        save_model_files(model, DATA_DIR / "m.keras")
    assert not (DATA_DIR / "m.keras").exists()
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(CourseError, match="must end in"):
        load_model(tmp_path / "notes.txt")


def test_check_digit_model_rejects_other_shapes():
    import keras

    other = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(CourseError, match=r"expected \(28, 28, 1\) -> \(10,\)"):
        check_digit_model(other, "other.keras")
    assert check_digit_model(build_cnn()) is not None
