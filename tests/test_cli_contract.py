"""The command line's contract, case by case (issue 12): every bad input gives one line ``error: ...`` naming
the file or value at fault and exit status 2, before TensorFlow is imported or any work is done; nothing is
lost, mixed up or written into ``data/``.  Most cases call ``helpers.cli.main`` in this process (fast); the
ones about stderr, TensorFlow's import, permissions or the terminal run ``python -m helpers`` itself."""

from __future__ import annotations

import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import zlib

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as pip vendors it
    from pip._vendor import tomli as tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support import (
    assert_user_error,
    run_cli,  # noqa: F401  (fixture)
    write_digit_image,
    write_idx,
)

from helpers import cli, model_files
from helpers.data import list_images, read_image
from helpers.errors import CourseError
from helpers.paths import REPO_ROOT

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def main(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(capsys, *args) -> str:
    """Run the CLI in this process; check the contract; return the error line."""
    code, out, err = main(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, out, err)
    return lines[0]


def split_with(tmp_path: Path, name: str = "split", per_class: int = 1, digits=range(10)) -> Path:
    for digit in digits:
        for i in range(per_class):
            write_digit_image(tmp_path / name / str(digit) / f"{i}.png", value=digit + i)
    return tmp_path / name


def fake_keras_file(path: Path) -> Path:
    """A zip archive named .keras: passes the checks made before TensorFlow loads."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
    return path


# --- output places are checked before any work ---------------------------------------------------------


@pytest.mark.parametrize(
    "in_the_way, fragment",
    [
        ("x.keras", "a folder is in the way"),
        ("x.h5", "a folder is in the way"),
        ("x.history.json", "a folder is in the way"),
        ("x.meta.json", "a folder is in the way"),
    ],
)
def test_train_out_with_a_folder_in_the_way_of_any_of_the_four_files(capsys, tmp_path, in_the_way, fragment):
    (tmp_path / in_the_way).mkdir()
    line = one_error(capsys, "train", "--out", tmp_path / "x.keras", "--train", tmp_path / "nowhere")
    assert fragment in line and in_the_way in line  # the output place is checked first, before the data


def test_train_out_under_a_file(capsys, tmp_path):
    (tmp_path / "afile").write_text("")
    line = one_error(capsys, "train", "--out", tmp_path / "afile" / "sub" / "x.keras")
    assert "afile is a file, not a folder" in line


def test_train_out_where_nothing_can_be_written(capsys):
    line = one_error(capsys, "train", "--out", "/sys/x.keras")  # read-only even for root
    assert "cannot write /sys/x.keras" in line and "not writable" in line


@pytest.mark.skipif(AS_ROOT, reason="root writes and reads everything: see the /sys and in-process cases")
def test_a_read_only_folder_and_an_unreadable_class_folder(tmp_path):
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    split = split_with(tmp_path)
    (split / "4").chmod(0o000)
    try:
        assert_user_error(run_cli("train", "--out", readonly / "x.keras"), "cannot write", "readonly", "not writable")
        assert_user_error(run_cli("import-idx", "a.gz", "b.gz", readonly / "mnist"), "cannot write", "readonly")
        assert_user_error(run_cli("data", split), "cannot read folder", str(split / "4"))
    finally:
        readonly.chmod(0o755)
        (split / "4").chmod(0o755)


def test_an_unwritable_folder_in_process(capsys, tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    line = one_error(capsys, "train", "--out", tmp_path / "x.keras")
    assert line == f"error: cannot write {tmp_path / 'x.keras'}: folder {tmp_path} is not writable (Permission denied)"
    line = one_error(capsys, "import-idx", "a.gz", "b.gz", tmp_path / "mnist")
    assert "cannot write" in line and "not writable" in line


def test_output_checks_come_before_tensorflow_is_imported(tmp_path):
    code = (
        "import sys; from helpers.cli import main; rc = main(sys.argv[1:]); "
        "print('tensorflow' in sys.modules); sys.exit(rc)"
    )
    (tmp_path / "x.h5").mkdir()
    for args in (
        ["train", "--out", str(tmp_path / "x.keras")],
        ["evaluate", "--model", "model.pt"],
        ["predict", "--model", str(tmp_path / "none.keras"), "a.png"],
    ):
        result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO_ROOT)
        assert result.returncode == 2 and result.stdout.strip() == "False", (args, result.stderr)


def test_import_idx_out_dir_is_checked_before_reading(capsys, tmp_path):
    (tmp_path / "afile").write_text("")
    assert "afile is a file" in one_error(capsys, "import-idx", "a.gz", "b.gz", tmp_path / "afile" / "mnist")
    assert "not a folder" in one_error(capsys, "import-idx", "a.gz", "b.gz", tmp_path / "afile")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert "exists and is not empty" in one_error(capsys, "import-idx", "a.gz", "b.gz", tmp_path / "full")
    assert "refusing to write into data/" in one_error(capsys, "import-idx", "a.gz", "b.gz", "data/mnist")


# --- class folders, links -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["\u00b2", "\u0663", "\uff13", "10", "cats", "3 "])
def test_only_the_ascii_digits_name_classes(capsys, tmp_path, name):
    split = split_with(tmp_path, digits=range(3))
    write_digit_image(split / name / "a.png")
    line = one_error(capsys, "data", split)
    assert "class folder names must be digits 0..9" in line and str(split / name) in line
    assert line.endswith(f"(name {ascii(name)})")


def test_a_root_with_only_train_says_so(capsys, tmp_path):
    split_with(tmp_path / "root", "train")
    line = one_error(capsys, "evaluate", "--model", fake_keras_file(tmp_path / "m.keras"), "--data", tmp_path / "root")
    assert "no test/ folder in" in line and "it holds train/" in line


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_broken_and_looping_links_are_named(capsys, tmp_path, kind):
    split = split_with(tmp_path)
    link = split / "7b"
    if kind == "dangling":
        link.symlink_to(tmp_path / "gone")
    else:
        link.symlink_to(link)
    line = one_error(capsys, "data", split)
    assert ("broken link" if kind == "dangling" else "a link that loops") in line and line.endswith(str(link))
    (tmp_path / "ds").symlink_to(tmp_path / "nowhere")
    assert "broken or looping link" in one_error(capsys, "data", tmp_path / "ds")


def test_an_unreadable_folder_in_process(capsys, tmp_path, monkeypatch):
    split = split_with(tmp_path)
    real = Path.iterdir

    def iterdir(self):
        if self.name == "5":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    assert one_error(capsys, "data", split) == f"error: cannot read folder {split / '5'}: Permission denied"


# --- recipes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "per_class, digits, fragment",
    [
        (2, range(10), "found 20"),
        (12, range(10), None),
        (1, range(10), "digits 0, 1, 2"),
    ],
)
def test_improved_recipe_with_too_few_images(capsys, tmp_path, per_class, digits, fragment):
    split = split_with(tmp_path, per_class=per_class, digits=digits)
    if fragment is None:  # 120 images, 12 per digit: enough; stop right after the checks
        cli._check_improved_split(list_images(split), split)
        return
    line = one_error(
        capsys, "train", "--recipe", "improved", "--train", split, "--val", split, "--out", tmp_path / "m.keras"
    )
    assert "too few images for --recipe improved" in line and fragment in line and str(split) in line


def test_the_improved_check_agrees_with_scikit_learn(tmp_path):
    from sklearn.model_selection import train_test_split

    for n_per_class in (1, 2, 9, 10):
        labels = np.repeat(np.arange(10), n_per_class)
        pairs = [(Path(f"{i}.png"), int(label)) for i, label in enumerate(labels)]
        try:
            cli._check_improved_split(pairs, tmp_path)
            refused = False
        except CourseError:
            refused = True
        try:
            train_test_split(np.arange(len(labels)), test_size=0.1, random_state=0, stratify=labels)
            fails = False
        except ValueError:
            fails = True
        assert refused == fails, n_per_class


# --- import-idx -----------------------------------------------------------------------------------------


def test_import_idx_corrupt_and_truncated_streams(capsys, tmp_path):
    labels = write_idx(tmp_path / "l.gz", np.zeros(2, dtype=np.uint8))
    stream = gzip.compress(struct.pack(">HBB", 0, 8, 3) + struct.pack(">3I", 2, 28, 28) + bytes(1568))
    data = bytearray(stream)
    data[10] = 0xFF  # an invalid deflate block: zlib.error inside gzip
    (tmp_path / "corrupt.gz").write_bytes(bytes(data))
    line = one_error(capsys, "import-idx", tmp_path / "corrupt.gz", labels, tmp_path / "o")
    assert "corrupt gzip file" in line and "invalid block type" in line
    data = bytearray(stream)
    data[20:28] = b"\xff" * 8  # damaged data: gzip's CRC check fails
    (tmp_path / "crc.gz").write_bytes(bytes(data))
    assert "corrupt gzip file" in one_error(capsys, "import-idx", tmp_path / "crc.gz", labels, tmp_path / "o")
    (tmp_path / "cut.gz").write_bytes(bytes(data[:30]))
    assert "corrupt gzip file" in one_error(capsys, "import-idx", tmp_path / "cut.gz", labels, tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_import_idx_zero_images_and_some_digits(capsys, tmp_path):
    empty = write_idx(tmp_path / "i0.gz", np.zeros((0, 28, 28), dtype=np.uint8))
    none = write_idx(tmp_path / "l0.gz", np.zeros(0, dtype=np.uint8))
    assert "no images in" in one_error(capsys, "import-idx", empty, none, tmp_path / "o")
    images = write_idx(tmp_path / "i.gz", np.full((3, 28, 28), 200, dtype=np.uint8))
    labels = write_idx(tmp_path / "l.gz", np.array([4, 4, 7], dtype=np.uint8))
    old = os.umask(0o022)
    try:
        code, out, err = main(capsys, "import-idx", images, labels, tmp_path / "o")
    finally:
        os.umask(old)
    assert code == 0 and err == ""
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["4", "7"]  # no empty class folders
    assert len(list_images(tmp_path / "o")) == 3  # which the course reads
    assert (tmp_path / "o").stat().st_mode & 0o777 == 0o755


# --- images ----------------------------------------------------------------------------------------------


def huge_png(path: Path, width: int = 10000, height: int = 10000) -> Path:
    """A small PNG file whose header says width x height (a decompression bomb, as far as the header goes)."""
    import io

    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def test_a_huge_image_is_one_line_and_nothing_else(tmp_path):
    fake_keras_file(tmp_path / "m.keras")
    result = run_cli("predict", "--model", tmp_path / "m.keras", huge_png(tmp_path / "big.png"))
    assert_user_error(result, "image too large (10000x10000 pixels", "big.png")


def test_predict_names_the_image_without_a_digit(capsys, tmp_path):
    fake_keras_file(tmp_path / "m.keras")
    a, b = write_digit_image(tmp_path / "a.png", 3), write_digit_image(tmp_path / "b.png", 5)
    Image.new("L", (28, 28), 255).save(tmp_path / "blank.png")
    line = one_error(capsys, "predict", "--model", tmp_path / "m.keras", a, b, tmp_path / "blank.png")
    assert "no digit found in" in line and line.count("blank.png") == 1 and "a.png" not in line


def test_predict_a_folder_says_so(capsys, tmp_path):
    fake_keras_file(tmp_path / "m.keras")
    assert "a folder, not an image file" in one_error(capsys, "predict", "--model", tmp_path / "m.keras", tmp_path)


@pytest.mark.parametrize(
    "mode, value, expected",
    [
        ("I;16", 65535, 255),
        ("I;16", 32768, 128),
        ("I;16", 257 * 40, 40),
        ("I", 65535, 255),
        ("I", 257 * 200, 200),
        ("F", 0.5, 128),
        ("F", 1.0, 255),
        ("1", 1, 255),
        ("LA", (90, 255), 90),
        ("RGB", (90, 90, 90), 90),
        ("CMYK", (0, 0, 0, 0), 255),
        ("P", 0, 0),
    ],
)
def test_any_mode_and_bit_depth_becomes_8_bit_gray(tmp_path, mode, value, expected):
    image = Image.new(mode, (28, 28), value)
    path = tmp_path / ("x.png" if mode not in ("F", "CMYK", "I") else "x.tif")
    if path.suffix == ".tif":  # a TIFF is no course image; test the conversion itself
        from helpers.data import to_grayscale

        assert np.asarray(to_grayscale(image)).max() == expected
        return
    image.save(path)
    assert int(read_image(path).max()) == expected


def test_a_16_bit_png_keeps_its_gradient(tmp_path):
    ramp = (np.arange(28 * 28).reshape(28, 28) * 83).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    assert Image.open(tmp_path / "ramp.png").mode.startswith("I")
    np.testing.assert_allclose(read_image(tmp_path / "ramp.png"), ramp / 257, atol=0.51)


def test_a_file_name_that_is_not_utf8_prints_on_a_strict_terminal(tmp_path):
    name = os.fsdecode(b"\xff\xfe-digit.png")
    (tmp_path / name).write_text("not an image")
    fake_keras_file(tmp_path / "m.keras")
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "predict", "--model", "m.keras", name],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
    )
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: not a readable image") and "\\udcff\\udcfe-digit.png" in lines[0]


# --- a run's four files: all or none --------------------------------------------------------------------


class FakeModel:
    """Stands in for a Keras model: ``save`` writes a tag (the set logic does not need TensorFlow)."""

    def __init__(self, tag: str, fail_on: str = "", interrupt_on: str = ""):
        self.tag, self.fail_on, self.interrupt_on = tag, fail_on, interrupt_on

    def save(self, path):
        if self.interrupt_on and str(path).endswith(self.interrupt_on):
            raise KeyboardInterrupt
        if self.fail_on and str(path).endswith(self.fail_on):
            raise OSError(28, "No space left on device")
        Path(path).write_text(self.tag)


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


@pytest.fixture
def old_set(tmp_path):
    model_files.save_model_files(FakeModel("old"), tmp_path / "x.keras", {"loss": [1.0]}, {"epochs": 1})
    before = contents(tmp_path)
    assert sorted(before) == ["x.h5", "x.history.json", "x.keras", "x.meta.json"]
    return tmp_path, before


@pytest.mark.parametrize("model", [FakeModel("new", interrupt_on=".h5"), FakeModel("new", fail_on=".h5")])
def test_an_interrupted_or_failed_save_leaves_the_old_set(old_set, model):
    folder, before = old_set
    with pytest.raises((KeyboardInterrupt, OSError)):
        model_files.save_model_files(model, folder / "x.keras", {"loss": [2.0]}, {"epochs": 2})
    assert contents(folder) == before  # no temporary file either


def test_a_failing_rename_puts_the_old_set_back(old_set, monkeypatch):
    folder, before = old_set
    real, calls = os.replace, []

    def replace(source, target):
        calls.append(target)
        if len(calls) == 7:  # 4 old files moved aside, 2 new ones in place, the third fails
            raise OSError(5, "Input/output error")
        return real(source, target)

    monkeypatch.setattr(model_files.os, "replace", replace)
    with pytest.raises(OSError):
        model_files.save_model_files(FakeModel("new"), folder / "x.keras", {"loss": [2.0]}, {"epochs": 2})
    monkeypatch.undo()
    assert contents(folder) == before


def test_ctrl_c_during_the_renames_waits_for_the_whole_set(old_set, monkeypatch):
    folder, _ = old_set
    real = os.replace

    def replace(source, target):
        if str(target).endswith("x.keras") and "new" == Path(source).read_text():
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right in the middle
        return real(source, target)

    monkeypatch.setattr(model_files.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        model_files.save_model_files(FakeModel("new"), folder / "x.keras", {"loss": [2.0]}, {"epochs": 2})
    monkeypatch.undo()
    after = contents(folder)
    assert after["x.keras"] == after["x.h5"] == "new" and '"epochs": 2' in after["x.meta.json"]
    assert json.loads(after["x.history.json"]) == {"loss": [2.0]} and len(after) == 4


def test_a_new_set_never_sits_beside_pieces_of_an_old_one(old_set):
    folder, _ = old_set
    model_files.save_model_files(FakeModel("new"), folder / "x.keras")  # no history, no metadata
    assert contents(folder) == {"x.h5": "new", "x.keras": "new"}


def test_the_interrupt_message_tells_the_truth(tmp_path):
    out = tmp_path / "x.keras"
    progress = {"out": out, "before": cli._model_set_state(out)}
    assert cli._interrupted("train", progress).startswith("no model file was written")
    model_files.save_model_files(FakeModel("new"), out, {"loss": [1.0]})
    assert cli._interrupted("train", progress).startswith("the model files were already saved")
    assert cli._interrupted("train", {}) == "nothing was written"
    assert cli._interrupted("import-idx", {}) == "no dataset was written"


# --- newcomers ------------------------------------------------------------------------------------------


def test_evaluate_and_predict_default_to_the_reference_model(tmp_path):
    for args in (["evaluate"], ["predict", "digit.png"]):
        result = run_cli(*args, COURSE_MODELS_DIR=str(tmp_path / "models"))
        assert_user_error(
            result, "model file not found:", "mnist_cnn_model.keras", "(make it with: python -m helpers train)"
        )


def test_help_texts_are_complete(capsys):
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) == {"data", "train", "evaluate", "predict", "import-idx"}
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"{name} {action.dest} has no help"
        text = command.format_help()
        assert "examples:" in text and "python -m helpers " + name in text, name
    for name in ("train", "data", "evaluate"):
        assert "0..9" in commands[name].format_help() and "train/ and test/" in commands[name].format_help()
    assert "(default: data/reduced_mnist)" in " ".join(commands["data"].format_help().split())


def test_the_one_way_in_is_python_m_helpers():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert "scripts" not in project  # no undocumented console script
    assert "datasets/" in (REPO_ROOT / ".gitignore").read_text().splitlines()


def test_the_readme_commands_run_as_written(capsys):
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Pre-training models from the command line")[1].split("\n## ")[0]
    assert "source .venv/bin/activate" in section and ".venv\\Scripts\\activate" in section
    block = section.split("```bash")[1].split("```")[0]
    commands = [line.split("#")[0].split() for line in block.splitlines() if line.startswith("python -m helpers")]
    assert len(commands) >= 7
    parser = cli.build_parser()
    for words in commands:  # every option written there exists (placeholders in capitals are filled in)
        args = [w for w in words[3:] if not w.startswith("[") and not w.endswith("]")]
        args = ["x.png" if w.endswith(".png") else w for w in args]
        if "--help" in args:
            continue
        parser.parse_args(args)


def test_evaluate_and_predict_use_the_reference_model_when_it_exists(trained_model_file, bundled_subset, tmp_path):
    import shutil

    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(trained_model_file, models / "mnist_cnn_model.keras")
    result = run_cli("evaluate", "--data", bundled_subset, "--json", COURSE_MODELS_DIR=str(models))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert json.loads(result.stdout)["model"].endswith("mnist_cnn_model.keras")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_and_a_closed_pipe_are_no_traceback(tmp_path):
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "helpers", "data", "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
    assert result.returncode == 1 and result.stderr == "error: No space left on device (standard output)\n"
    reader = subprocess.Popen(
        [sys.executable, "-m", "helpers", "data"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT
    )
    reader.stdout.read(5)
    reader.stdout.close()  # like `| head -c 5`
    assert reader.wait() in (0, 141) and reader.stderr.read() == b""
