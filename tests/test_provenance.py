"""helpers.provenance: what a model file was trained with, and whether it is the one the course needs."""

import shutil

import numpy as np
import pytest

from helpers.errors import CourseError
from helpers.paths import TEST_DIR, course_seed
from helpers.provenance import architecture, data_fingerprint, meta_path_for, mismatch, read_meta, write_meta


def test_fingerprint_follows_the_images_not_the_folder(make_split, tmp_path):
    split = make_split("a")
    copy = tmp_path / "b"
    shutil.copytree(split, copy)
    assert data_fingerprint(split) == data_fingerprint(copy)
    first = sorted((copy / "3").iterdir())[0]
    first.write_bytes(first.read_bytes()[:-1] + b"\x00")  # one byte of one image changed
    assert data_fingerprint(split) != data_fingerprint(copy)
    with pytest.raises(CourseError, match="not found"):
        data_fingerprint(tmp_path / "missing")


def test_fingerprint_sees_an_image_replaced_in_place(tmp_path):
    """Same name, same size, same modification time, other pixels: another fingerprint."""
    from test_data import replace_in_place, same_size_images

    old, new = same_size_images(TEST_DIR)
    split = tmp_path / "split"
    for path in (old, new):
        (split / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, split / path.parent.name / path.name)
    before = data_fingerprint(split)
    replace_in_place(split / old.parent.name / old.name, new)
    assert data_fingerprint(split) != before


def test_fingerprint_sees_an_image_added_to_a_class(make_split):
    split = make_split("c")
    before = data_fingerprint(split)
    shutil.copy(sorted((split / "4").iterdir())[0], split / "5" / "extra.png")
    assert data_fingerprint(split) != before


def test_architecture_ignores_names_but_not_settings():
    import keras

    from helpers.model import build_cnn, build_custom_cnn
    from helpers.training import compile_reference

    reference = architecture(compile_reference(build_cnn()))
    assert architecture(compile_reference(build_cnn(name="renamed"))) == reference
    assert architecture(compile_reference(build_custom_cnn())) == reference  # same layers, other names
    assert architecture(compile_reference(build_custom_cnn(filters=(16, 64)))) != reference
    assert architecture(compile_reference(build_custom_cnn(dropout=0.3))) != reference
    assert architecture(compile_reference(build_cnn(), learning_rate=1e-2)) != reference
    assert architecture(build_cnn()) != reference  # not compiled: no optimizer
    sgd = build_cnn()
    sgd.compile(optimizer=keras.optimizers.SGD(1e-3), loss="categorical_crossentropy")
    assert architecture(sgd) != reference


def test_meta_round_trip_and_unreadable_files(tmp_path):
    model_path = tmp_path / "m.keras"
    assert meta_path_for(model_path).name == "m.meta.json"
    assert read_meta(model_path) is None
    write_meta({"recipe": "reference", "epochs": 20}, model_path)
    assert read_meta(model_path) == {"recipe": "reference", "epochs": 20}
    meta_path_for(model_path).write_text("[1, 2]")
    assert read_meta(model_path) is None
    meta_path_for(model_path).write_text("{broken")
    assert read_meta(model_path) is None


def test_mismatch_names_every_setting_that_differs():
    want = {"recipe": "reference", "epochs": 20, "seed": 42, "train_data": "aaaa"}
    message = mismatch({"recipe": "reference", "epochs": 5, "seed": 7, "train_data": "aaaa"}, want)
    assert message == "it was trained with epochs=5, seed=7 (wanted: epochs=20, seed=42)"
    assert "training images bbbb" in mismatch({**want, "train_data": "bbbb"}, want)
    assert mismatch({**want, "versions": {"keras": "9"}, "arithmetic": {"cpus": 64}}, want) is None


def test_course_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_SEED", raising=False)
    assert course_seed() == 42
    monkeypatch.setenv("COURSE_SEED", "7")
    assert course_seed() == 7
    for bad in ("seven", "-1", "1.5", "4294967296", "٣"):
        monkeypatch.setenv("COURSE_SEED", bad)
        with pytest.raises(CourseError, match="COURSE_SEED"):
            course_seed()


def test_training_takes_the_course_seed(monkeypatch):
    from helpers.training import set_seed

    monkeypatch.setenv("COURSE_SEED", "5")
    assert set_seed() == 5
    a = np.random.rand(2)
    set_seed(5)
    assert np.array_equal(a, np.random.rand(2))
