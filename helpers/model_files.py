"""Saving and loading model files: the native ``.keras`` format and the seed's legacy ``.h5``.

Saves are atomic: the model is written to a temporary file in the same folder, then renamed over the
target, so an interrupted save never leaves a half-written model behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.paths import is_inside_data_dir

MODEL_SUFFIXES = (".keras", ".h5")


def check_output_path(path: Path | str, suffixes: tuple[str, ...] = MODEL_SUFFIXES) -> Path:
    """Check that ``path`` is a place the course may write to; return it as a ``Path``."""
    path = Path(path)
    if path.suffix not in suffixes:
        raise CourseError(f"model file must end in {' or '.join(suffixes)}: {path}")
    if is_inside_data_dir(path):
        raise CourseError(f"refusing to write into data/ (it holds the dataset): {path}")
    if path.exists() and path.is_dir():
        raise CourseError(f"a folder is in the way of the model file: {path}")
    return path


@contextlib.contextmanager
def _quiet_keras_logs():
    """Keras logs a 'legacy HDF5 format' warning through absl on every .h5 save; the course knows."""
    logger = logging.getLogger("absl")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        import absl.logging

        verbosity = absl.logging.get_verbosity()
        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover
        absl = None
    try:
        yield
    finally:
        logger.setLevel(level)
        if absl is not None:
            absl.logging.set_verbosity(verbosity)


def atomic_write_text(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    path = Path(path)
    if is_inside_data_dir(path):
        raise CourseError(f"refusing to write into data/ (it holds the dataset): {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes private files; a history file is not secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_model(model: Any, path: Path | str) -> Path:
    """Save ``model`` to ``path`` (``.keras`` or ``.h5``, chosen by the suffix), atomically.

    >>> save_model(model, "models/mnist_cnn_model.keras")    # doctest: +SKIP
    """
    path = check_output_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # Keras writes the file itself
        with _quiet_keras_logs():
            model.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def save_model_files(model: Any, keras_path: Path | str, history: dict | None = None,
                     meta: dict | None = None) -> dict[str, Path]:
    """Save the ``.keras`` file, the seed's ``.h5`` beside it and, if given, the history and the
    metadata of the run (``helpers.provenance``) as JSON.

    ``models/mnist_cnn_model.keras`` -> also ``models/mnist_cnn_model.h5``,
    ``models/mnist_cnn_model.history.json`` and ``models/mnist_cnn_model.meta.json``.  Returns the
    written paths by kind.  An older metadata file is removed first, so a half-finished save never
    leaves old metadata describing a new model.
    """
    from helpers.provenance import meta_path_for, write_meta

    keras_path = check_output_path(keras_path, (".keras",))
    meta_path_for(keras_path).unlink(missing_ok=True)
    written = {"keras": save_model(model, keras_path),
               "h5": save_model(model, keras_path.with_suffix(".h5"))}
    if history is not None:
        written["history"] = save_history(history, history_path_for(keras_path))
    if meta is not None:
        written["meta"] = write_meta(meta, keras_path)
    return written


def history_path_for(model_path: Path | str) -> Path:
    """``models/x.keras`` -> ``models/x.history.json``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".history.json")


def save_history(history: Any, path: Path | str) -> Path:
    """Save a Keras ``History`` (or its ``.history`` dict) as JSON: ``{"loss": [...], ...}``."""
    values = getattr(history, "history", history)
    clean = {key: [float(v) for v in series] for key, series in values.items()}
    return atomic_write_text(path, json.dumps(clean, indent=1) + "\n")


def load_history(path: Path | str) -> dict[str, list[float]]:
    """Load a history JSON written by ``save_history``."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"history file not found: {path}")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CourseError(f"not a history JSON file: {path}") from None
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise CourseError(f"not a history JSON file: {path}")
    return data


def load_model(path: Path | str) -> Any:
    """Load a ``.keras`` or ``.h5`` model file, with a one-line ``CourseError`` when it cannot be loaded."""
    import keras

    path = Path(path)
    if not path.exists():
        raise CourseError(f"model file not found: {path}")
    if not path.is_file():
        raise CourseError(f"not a model file: {path}")
    if path.suffix not in MODEL_SUFFIXES:
        raise CourseError(f"model file must end in .keras or .h5: {path}")
    if path.stat().st_size == 0:
        raise CourseError(f"empty model file (0 bytes): {path}")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise CourseError(f"corrupt model file (not a .keras archive): {path}")
    try:
        with _quiet_keras_logs():
            model = keras.models.load_model(path, compile=True)
    except Exception as exc:  # Keras raises many types for a broken file
        reason = str(exc).splitlines()[0][:120] if str(exc) else exc.__class__.__name__
        raise CourseError(f"cannot load model file {path}: {reason}") from None
    return model


def check_digit_model(model: Any, path: Path | str = "model") -> Any:
    """Check that a model takes 28x28x1 images and returns 10 class probabilities."""
    try:
        in_shape = tuple(model.input_shape[1:])
        out_shape = tuple(model.output_shape[1:])
    except (AttributeError, ValueError):
        raise CourseError(f"not a single-input, single-output model: {path}") from None
    if in_shape != (28, 28, 1) or out_shape != (10,):
        raise CourseError(f"model {path} takes {in_shape} and returns {out_shape}; expected (28, 28, 1) -> (10,)")
    return model
