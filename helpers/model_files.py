"""Saving and loading model files, ``.keras`` and the seed's ``.h5``.  A run writes a *set* of four files
(``x.keras``, ``x.h5``, ``x.history.json``, ``x.meta.json``) atomically: each staged in a hidden temporary
file, then all renamed into place with Ctrl-C held back; a failed save leaves the older set untouched."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.paths import refuse_data_dir

MODEL_SUFFIXES = (".keras", ".h5")


def _nearest_existing(path: Path) -> Path:
    folder = path
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def check_output_place(path: Path | str, folder: bool = False) -> Path:
    """Check, before any work, that the course may write the file (or create the folder) ``path``: not in
    ``data/``, nothing in the way, a writable folder above it.  Returns ``path``; ``CourseError`` naming it."""
    path = refuse_data_dir(path)
    try:
        if not folder and path.is_dir():
            raise CourseError(f"a folder is in the way of the file to write: {path}")
        if folder and os.path.lexists(path) and not path.is_dir():
            raise CourseError(f"not a folder: {path}")
        above = _nearest_existing(path.parent)
        if os.path.lexists(above) and not above.exists():
            raise CourseError(f"cannot write {path}: {above} is a broken link")
        if not above.is_dir():
            raise CourseError(f"cannot write {path}: {above} is a file, not a folder")
        try:
            os.rmdir(tempfile.mkdtemp(dir=above, prefix=".write-check."))
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            raise CourseError(f"cannot write {path}: folder {above} is not writable ({reason})") from None
    except OSError as exc:
        raise CourseError(f"cannot write {path}: {exc.strerror or exc.__class__.__name__}") from None
    return path


def model_set_paths(keras_path: Path | str) -> dict[str, Path]:
    """The four files of a run by kind: ``models/x.keras`` -> ``.keras``, ``.h5``, ``.history.json``, ``.meta.json``."""
    keras_path = Path(keras_path)
    stem = keras_path.with_suffix("")
    return {
        "keras": keras_path,
        "h5": keras_path.with_suffix(".h5"),
        "history": stem.with_name(stem.name + ".history.json"),
        "meta": stem.with_name(stem.name + ".meta.json"),
    }


def check_output_path(path: Path | str, suffixes: tuple[str, ...] = MODEL_SUFFIXES) -> Path:
    """``check_output_place`` for a model file, for a ``.keras`` one with the other three files of its set."""
    path = Path(path)
    if path.suffix not in suffixes:
        raise CourseError(f"model file must end in {' or '.join(suffixes)}: {path}")
    places = model_set_paths(path).values() if path.suffix == ".keras" else [path]
    for place in places:
        check_output_place(place)
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


def _move_into_place(tmp: Path, path: Path) -> Path:
    """Rename a staged temporary file over ``path``; on any failure (or Ctrl-C) remove the temporary file."""
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    path = refuse_data_dir(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _move_into_place(_stage_text(path, text), path)


def _stage_text(path: Path, text: str) -> Path:
    """Write ``text`` to a hidden temporary file beside ``path``; return the temporary file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes private files; a history file is not secret
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _stage_model(model: Any, path: Path) -> Path:
    """Save ``model`` to a hidden temporary file beside ``path`` (same suffix); return the temporary file."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()  # Keras writes the file itself
        with _quiet_keras_logs():
            model.save(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back for a few renames; raise ``KeyboardInterrupt`` after them if it came."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _commit(staged: dict[str, Path], targets: dict[str, Path]) -> None:
    """Move the staged files onto their targets and remove the rest of the old set; on a failure put it back."""
    backups: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for target in targets.values():
            if os.path.lexists(target):
                backup = target.with_name(f".{target.name}.{os.getpid()}.old")
                os.replace(target, backup)
                backups[target] = backup
        for kind, tmp in staged.items():
            os.replace(tmp, targets[kind])
            placed.append(targets[kind])
    except BaseException:
        for target in placed:
            target.unlink(missing_ok=True)
        for target, backup in backups.items():
            os.replace(backup, target)
        raise
    for backup in backups.values():
        backup.unlink(missing_ok=True)


def save_model(model: Any, path: Path | str) -> Path:
    """Save ``model`` to ``path`` (``.keras`` or ``.h5``, chosen by the suffix), atomically."""
    path = Path(path)
    if path.suffix not in MODEL_SUFFIXES:
        raise CourseError(f"model file must end in .keras or .h5: {path}")
    check_output_place(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _move_into_place(_stage_model(model, path), path)


def save_model_files(
    model: Any, keras_path: Path | str, history: dict | None = None, meta: dict | None = None
) -> dict[str, Path]:
    """Save ``.keras``, ``.h5`` and, if given, history and metadata as one set, all or none; the paths by kind."""
    targets = model_set_paths(check_output_path(keras_path, (".keras",)))
    targets["keras"].parent.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}
    try:
        staged["keras"] = _stage_model(model, targets["keras"])
        staged["h5"] = _stage_model(model, targets["h5"])
        if history is not None:
            staged["history"] = _stage_text(targets["history"], history_text(history))
        if meta is not None:
            staged["meta"] = _stage_text(targets["meta"], json.dumps(meta, indent=1, sort_keys=True) + "\n")
        with _interrupts_held():
            _commit(staged, targets)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    return {kind: targets[kind] for kind in staged}


def history_path_for(model_path: Path | str) -> Path:
    """``models/x.keras`` -> ``models/x.history.json``."""
    return model_set_paths(model_path)["history"]


def history_text(history: Any) -> str:
    """A Keras ``History`` (or its ``.history`` dict) as JSON text: ``{"loss": [...], ...}``."""
    values = getattr(history, "history", history)
    clean = {key: [float(v) for v in series] for key, series in values.items()}
    return json.dumps(clean, indent=1) + "\n"


def save_history(history: Any, path: Path | str) -> Path:
    """Save a Keras ``History`` (or its ``.history`` dict) as JSON, atomically."""
    return atomic_write_text(path, history_text(history))


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


# What Keras raises for a file a user gave it (tests/test_model_files.py makes each one): unreadable or not HDF5
# (OSError), a .keras archive missing an entry (KeyError, BadZipFile), not a model, its weights not fitting its
# layers, broken JSON or code refused by safe mode (ValueError), a layer class Keras cannot rebuild (TypeError).
# Anything else is a bug, in Keras or the course, and keeps its traceback.
USER_FILE_ERRORS = (OSError, KeyError, zipfile.BadZipFile, ValueError, TypeError)


def load_model(path: Path | str) -> Any:
    """Load a ``.keras`` or ``.h5`` model file in Keras's safe mode (a file may not run Python code of its own),
    with a one-line ``CourseError`` naming the file when the file is at fault."""
    path = check_model_file(path)
    import keras

    try:
        with _quiet_keras_logs():
            model = keras.models.load_model(path, compile=True, safe_mode=True)
    except USER_FILE_ERRORS as exc:
        raise CourseError(f"cannot load model file {path}: {_load_error_reason(exc)}") from None
    return model


def _load_error_reason(exc: Exception) -> str:
    """The first line of Keras's message, shortened; a plain sentence for code refused by safe mode."""
    text = str(exc).strip()
    if "safe_mode" in text:
        return "it holds Python code that would run on loading (a Lambda layer); Keras's safe mode refuses it"
    return text.splitlines()[0][:120] if text else exc.__class__.__name__


def check_model_file(path: Path | str) -> Path:
    """Check, without importing TensorFlow, that ``path`` looks like a readable ``.keras`` or ``.h5`` file."""
    path = Path(path)
    if path.suffix not in MODEL_SUFFIXES:
        raise CourseError(f"model file must end in .keras or .h5: {path}")
    try:
        if not path.exists():
            raise CourseError(f"model file not found: {path}")
        if not path.is_file():
            raise CourseError(f"not a model file (a folder): {path}")
        if path.stat().st_size == 0:
            raise CourseError(f"empty model file (0 bytes): {path}")
        with open(path, "rb"):
            pass
        if path.suffix == ".keras" and not zipfile.is_zipfile(path):
            raise CourseError(f"corrupt model file (not a .keras archive): {path}")
    except OSError as exc:
        raise CourseError(f"cannot read model file {path}: {exc.strerror or exc.__class__.__name__}") from None
    return path


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
