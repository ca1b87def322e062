"""helpers.model_files: atomic saves, both formats, clear errors for bad files."""

import zipfile
from pathlib import Path

import h5py
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


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "model file not found"),
        (b"", "empty model file"),
        (b"this is not a model", "corrupt model file"),
    ],
)
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


def rewritten_archive(source, target, replace: dict[str, bytes | None]):
    """A copy of the .keras archive ``source`` with some entries replaced (``None``: left out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = replace.get(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return target


def lambda_model():
    import keras

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Lambda(lambda x: x * 2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def broken_model_file(kind: str, folder, good) -> Path:
    """A model file a user could hand the course, broken in one way (``kind``)."""
    config = zipfile.ZipFile(good).read("config.json")
    if kind == "hdf5 without a model":
        with h5py.File(folder / "m.h5", "w") as handle:
            handle["numbers"] = np.arange(3)
        return folder / "m.h5"
    if kind == "archive without config":
        return rewritten_archive(good, folder / "m.keras", {"config.json": None})
    if kind == "archive without weights":
        return rewritten_archive(good, folder / "m.keras", {"model.weights.h5": None})
    if kind == "broken json":
        return rewritten_archive(good, folder / "m.keras", {"config.json": b"{not json"})
    if kind == "unknown layer":
        return rewritten_archive(good, folder / "m.keras", {"config.json": config.replace(b'"Conv2D"', b'"Conv9D"')})
    if kind == "weights of other layers":
        other = folder / "other.keras"
        import keras

        keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(8, 3, name="conv1"),
                keras.layers.Flatten(),
                keras.layers.Dense(10),
            ]
        ).save(other)
        weights = zipfile.ZipFile(other).read("model.weights.h5")
        return rewritten_archive(good, folder / "m.keras", {"model.weights.h5": weights})
    path = folder / ("m.h5" if kind == "python code (.h5)" else "m.keras")
    lambda_model().save(path)
    return path


@pytest.mark.parametrize(
    "kind, message",
    [
        ("hdf5 without a model", "No model config found"),
        ("archive without config", "config.json"),
        ("archive without weights", "model.weights.h5"),
        ("broken json", "Expecting property name"),
        ("unknown layer", "Conv9D"),
        ("weights of other layers", "could not be loaded"),
        ("python code (.keras)", "Python code .* safe mode refuses it"),
        ("python code (.h5)", "Python code .* safe mode refuses it"),
    ],
)
def test_files_a_user_can_get_wrong_are_one_line_errors(tmp_path, trained_model_file, kind, message):
    path = broken_model_file(kind, tmp_path, trained_model_file)
    with pytest.raises(CourseError, match=message) as excinfo:
        load_model(path)
    assert str(excinfo.value).startswith(f"cannot load model file {path}: ") and "\n" not in str(excinfo.value)


@pytest.mark.parametrize(
    "bug",
    [
        AttributeError("'NoneType' object has no attribute 'shape'"),
        RuntimeError("a bug in Keras"),
        NameError("name 'x' is not defined"),
    ],
)
def test_a_bug_while_loading_keeps_its_traceback(trained_model_file, monkeypatch, bug):
    import keras

    def broken(*args, **kwargs):
        raise bug

    monkeypatch.setattr(keras.models, "load_model", broken)
    with pytest.raises(type(bug)):
        load_model(trained_model_file)


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
