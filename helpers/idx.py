"""Convert the original MNIST IDX files (``train-images-idx3-ubyte.gz`` ...) into the course's folder
layout ``OUT_DIR/<digit>/<digit>_<index>.png`` (``python -m helpers import-idx``)."""

from __future__ import annotations

import gzip
import os
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from helpers.errors import CourseError
from helpers.model_files import check_output_place


def read_idx(path: Path | str) -> np.ndarray:
    """Read an IDX file (optionally gzipped) of unsigned bytes into a numpy array of its shape."""
    path = Path(path)
    if path.is_dir():
        raise CourseError(f"a folder, not an IDX file: {path}")
    if not path.is_file():
        raise CourseError(f"IDX file not found: {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CourseError(f"cannot read IDX file {path}: {exc.strerror or exc.__class__.__name__}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise CourseError(f"corrupt gzip file {path}: {exc}") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise CourseError(f"not an IDX file of unsigned bytes: {path}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise CourseError(f"truncated IDX header: {path}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    if len(raw) - header != int(np.prod(shape)):
        raise CourseError(f"IDX file {path} holds {len(raw) - header} bytes of data, its header says {shape}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def import_idx(images_path: Path | str, labels_path: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Write an IDX pair as PNGs in class folders under a new or empty ``out_dir``, all or nothing; counts per digit."""
    out_dir = check_output_place(out_dir, folder=True)
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise CourseError(f"output folder exists and is not empty: {out_dir}")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise CourseError(f"expected 28x28 images, {images_path} holds shape {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise CourseError(f"{labels_path} holds {labels.shape[0]} labels for {len(images)} images")
    if len(images) == 0:
        raise CourseError(f"no images in {images_path} (its header says 0)")
    if labels.max(initial=0) > 9:
        raise CourseError(f"labels must be digits 0..9, {labels_path} holds {labels.max()}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp"))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes a private folder; a dataset is not secret
        for digit in np.unique(labels):
            (staging / str(digit)).mkdir()
        for index, (image, label) in enumerate(zip(images, labels)):
            Image.fromarray(image, mode="L").save(staging / str(label) / f"{label}_{index:05d}.png")
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {str(d): int(np.sum(labels == d)) for d in range(10)}
