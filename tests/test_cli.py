"""``python -m helpers`` through a subprocess, as a user runs it."""

from __future__ import annotations

import json

import pytest
from support import (
    assert_user_error,
    run_cli,  # noqa: F401  (fixture)
    write_digit_image,
    write_idx,
)


def test_data_summarizes_the_bundled_dataset():
    result = run_cli("data")
    assert result.returncode == 0, result.stderr
    assert "train: 8000 images in data/reduced_mnist/train" in result.stdout
    assert "0:200  1:200" in result.stdout and "28x28 (2000)" in result.stdout
    summary = json.loads(run_cli("data", "--json").stdout)
    assert summary["test"]["total"] == 2000 and summary["train"]["modes"] == {"L": 8000}


def test_data_on_a_split_folder(bundled_subset):
    result = run_cli("data", bundled_subset / "test")
    assert result.returncode == 0 and "test: 300 images" in result.stdout


def test_train_evaluate_predict_end_to_end(bundled_subset, tmp_path):
    out = tmp_path / "models" / "cnn.keras"
    result = run_cli("train", "--train", bundled_subset, "--val", bundled_subset, "--epochs", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "epoch  1/2" in result.stdout and "epoch  2/2" in result.stdout and "val_accuracy" in result.stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["cnn.h5", "cnn.history.json", "cnn.keras", "cnn.meta.json"]
    assert result.stderr == ""

    result = run_cli("evaluate", "--model", out, "--data", bundled_subset, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 300 and 0.7 <= report["accuracy"] <= 1 and report["loss"] > 0
    assert len(report["confusion_matrix"]) == 10 and sum(map(sum, report["confusion_matrix"])) == 300
    text = run_cli("evaluate", "--model", out.with_suffix(".h5"), "--data", bundled_subset / "test")
    assert text.returncode == 0 and "accuracy" in text.stdout and "precision" in text.stdout

    images = [sorted((bundled_subset / "test" / d).iterdir())[0] for d in ("3", "8")]
    result = run_cli("predict", "--model", out, *images, "--json")
    assert result.returncode == 0, result.stderr
    predictions = json.loads(result.stdout)
    assert [p["image"] for p in predictions] == [str(p) for p in images]
    for p in predictions:
        assert 0 <= p["digit"] <= 9 and 0.1 <= p["confidence"] <= 1 and len(p["probabilities"]) == 10


def test_train_with_other_settings_never_replaces_the_reference_model(bundled_subset, tmp_path):
    models = tmp_path / "models"
    result = run_cli("train", "--train", bundled_subset, "--epochs", "1", "--seed", "3", COURSE_MODELS_DIR=str(models))
    assert result.returncode == 0, result.stderr
    written = sorted(p.relative_to(models).as_posix() for p in models.rglob("*.*"))
    assert len(written) == 4 and all(p.startswith("experiments/reference_epochs1_seed3_data-") for p in written)
    assert "not the reference recipe's own settings: saving to" in result.stdout
    assert not (models / "mnist_cnn_model.keras").exists()


def test_train_reports_a_corrupt_image_before_training(bundled_subset, tmp_path):
    import shutil

    broken = tmp_path / "train"
    shutil.copytree(bundled_subset / "test", broken)
    (broken / "4" / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    out = tmp_path / "m.keras"
    result = run_cli("train", "--train", broken, "--val", bundled_subset, "--epochs", "1", "--out", out)
    assert_user_error(result, "not a readable image", "scan.png")
    assert "epoch" not in result.stdout and not out.exists()


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["data", "no/such/folder"], ["dataset folder not found", "no/such/folder"]),
        (["train", "--epochs", "abc"], ["--epochs", "abc"]),
        (["train", "--epochs", "0"], ["must be at least 1"]),
        (["train", "--seed", "-1"], ["--seed"]),
        (["train", "--recipe", "magic"], ["magic"]),
        (["train", "--out", "data/x.keras"], ["refusing to write into data/"]),
        (["train", "--out", "model.pt"], ["must end in .keras", "model.pt"]),
        (["train", "--train", "nowhere"], ["dataset folder not found", "nowhere"]),
        (["evaluate", "--model", "model.pt"], ["must end in .keras or .h5", "model.pt"]),
        (["evaluate", "--model", "missing.keras"], ["model file not found", "missing.keras"]),
        (["predict", "--model", "x.keras"], ["IMAGE"]),
        (["import-idx", "a.gz", "b.gz"], ["OUT_DIR"]),
        (["import-idx", "a.gz", "b.gz", "out"], ["IDX file not found", "a.gz"]),
        (["frobnicate"], ["frobnicate"]),
        ([], ["COMMAND"]),
    ],
)
def test_argument_and_path_mistakes_are_one_line_errors(args, fragments):
    assert_user_error(run_cli(*args), *fragments)


def test_bad_folders_and_files_are_one_line_errors(tmp_path, trained_model_file, bundled_subset):
    (tmp_path / "ds" / "cats").mkdir(parents=True)
    write_digit_image(tmp_path / "ds" / "cats" / "a.png")
    assert_user_error(run_cli("data", tmp_path / "ds"), "class folder names must be digits", "cats")

    (tmp_path / "empty").mkdir()
    assert_user_error(
        run_cli("evaluate", "--model", trained_model_file, "--data", tmp_path / "empty"), "no class folders"
    )

    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    assert_user_error(
        run_cli("evaluate", "--model", tmp_path / "broken.keras", "--data", bundled_subset),
        "corrupt model file",
        "broken.keras",
    )
    (tmp_path / "zero.h5").write_bytes(b"")
    assert_user_error(
        run_cli("predict", "--model", tmp_path / "zero.h5", sorted((bundled_subset / "test" / "1").iterdir())[0]),
        "empty model file",
        "zero.h5",
    )

    (tmp_path / "notes.txt").write_text("hello")
    assert_user_error(
        run_cli("predict", "--model", trained_model_file, tmp_path / "notes.txt"), "not a readable image", "notes.txt"
    )
    assert_user_error(
        run_cli("predict", "--model", trained_model_file, tmp_path / "nope.png"), "image not found", "nope.png"
    )


def test_import_idx_through_the_cli(tmp_path):
    import numpy as np

    images = write_idx(tmp_path / "i.gz", np.zeros((4, 28, 28), dtype=np.uint8) + 9)
    labels = write_idx(tmp_path / "l.gz", np.array([1, 1, 7, 0], dtype=np.uint8))
    result = run_cli("import-idx", images, labels, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "wrote 4 images" in result.stdout
    assert len(list((tmp_path / "out" / "1").iterdir())) == 2


def test_help_lists_every_command():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("data", "train", "evaluate", "predict", "import-idx"):
        assert command in result.stdout
