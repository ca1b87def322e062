"""helpers.idx: MNIST IDX files -> class folders."""

import numpy as np
import pytest
from support import write_idx

from helpers.data import load_arrays
from helpers.errors import CourseError
from helpers.idx import import_idx, read_idx
from helpers.paths import DATA_DIR


@pytest.fixture
def idx_pair(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (25, 28, 28), dtype=np.uint8)
    labels = np.arange(25, dtype=np.uint8) % 10
    return (
        write_idx(tmp_path / "images.gz", images),
        write_idx(tmp_path / "labels", labels, compress=False),
        images,
        labels,
    )


def test_import_writes_the_course_layout(idx_pair, tmp_path):
    images_path, labels_path, images, labels = idx_pair
    counts = import_idx(images_path, labels_path, tmp_path / "out")
    assert counts == {str(d): 3 if d < 5 else 2 for d in range(10)}
    loaded, loaded_labels, paths = load_arrays(tmp_path / "out", return_paths=True)
    index = [int(p.rsplit("_", 1)[1].split(".")[0]) for p in paths]
    np.testing.assert_array_equal(np.rint(loaded[..., 0] * 255).astype(np.uint8), images[index])
    assert loaded_labels.tolist() == labels[index].tolist()


def test_read_idx_checks_the_format(tmp_path):
    (tmp_path / "x").write_bytes(b"\x00\x00\x0d\x01" + b"\x00" * 8)
    with pytest.raises(CourseError, match="not an IDX file"):
        read_idx(tmp_path / "x")
    write_idx(tmp_path / "short", np.zeros((2, 28, 28)), compress=False)
    data = (tmp_path / "short").read_bytes()
    (tmp_path / "short").write_bytes(data[:-10])
    with pytest.raises(CourseError, match="header says"):
        read_idx(tmp_path / "short")
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(CourseError, match="corrupt gzip"):
        read_idx(tmp_path / "bad.gz")
    with pytest.raises(CourseError, match="not found"):
        read_idx(tmp_path / "missing")


def test_import_refuses_bad_pairs_and_destinations(idx_pair, tmp_path):
    images_path, labels_path, _, _ = idx_pair
    few = write_idx(tmp_path / "few", np.zeros(3))
    with pytest.raises(CourseError, match="3 labels for 25 images"):
        import_idx(images_path, few, tmp_path / "o1")
    with pytest.raises(CourseError, match="expected 28x28"):
        import_idx(labels_path, labels_path, tmp_path / "o2")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(CourseError, match="not empty"):
        import_idx(images_path, labels_path, tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    with pytest.raises(CourseError, match="refusing to write into data/"):
        import_idx(images_path, labels_path, DATA_DIR / "mnist_full")
    assert not (DATA_DIR / "mnist_full").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left
