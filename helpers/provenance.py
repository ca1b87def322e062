"""What a model file was trained with, kept beside it as ``<name>.meta.json`` and checked before it is
trusted as *the reference model*.  Only what decides what the model learns is compared (``MATCHED``);
library versions and the machine are recorded for information."""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from helpers.data import files_signature, list_images
from helpers.errors import CourseError
from helpers.model_files import atomic_write_text, model_set_paths

FORMAT = 1
MATCHED = ("recipe", "settings", "architecture", "epochs", "seed", "batch_size", "train_data", "val_data")

# the layer settings that change what a model computes (names and seeds of layers do not)
_LAYER_KEYS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "pool_size",
    "units",
    "activation",
    "rate",
    "use_bias",
    "dilation_rate",
    "axis",
    "momentum",
    "epsilon",
    "factor",
    "height_factor",
    "width_factor",
    "fill_mode",
    "target_shape",
)


def meta_path_for(model_path: Path | str) -> Path:
    """``models/x.keras`` -> ``models/x.meta.json``."""
    return model_set_paths(model_path)["meta"]


@functools.lru_cache(maxsize=8)
def _fingerprint(signature: tuple[str, tuple]) -> str:
    digest = hashlib.sha256()
    for path, label in list_images(Path(signature[0])):
        digest.update(f"{label}/{path.name}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def data_fingerprint(split_dir: Path | str | None) -> str | None:
    """A short hash of a split folder's images (class, name, bytes), the same on every machine.

    >>> from helpers.paths import TEST_DIR
    >>> len(data_fingerprint(TEST_DIR)), data_fingerprint(None)
    (16, None)
    """
    if split_dir is None:
        return None
    folder = Path(split_dir)
    if not folder.is_dir():
        raise CourseError(f"dataset folder not found: {folder}")
    return _fingerprint(files_signature(folder))  # the dataset cache's key too


def _layer_settings(layer: Any) -> list[Any]:
    config = layer.get_config()
    settings = [type(layer).__name__, {key: config[key] for key in _LAYER_KEYS if key in config}]
    inner = getattr(layer, "layers", None)
    if inner:
        settings.append([_layer_settings(sub) for sub in inner])
    return settings


def architecture(model: Any) -> str:
    """A short hash of what a model computes and how it is trained (not its layers' names)."""
    parts: list[Any] = [list(model.input_shape), [_layer_settings(layer) for layer in model.layers]]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        config = optimizer.get_config()
        parts.append([type(optimizer).__name__, config.get("learning_rate")])
    loss = getattr(model, "loss", None)
    parts.append(loss if isinstance(loss, str) or loss is None else type(loss).__name__)
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def package_versions(names: tuple[str, ...]) -> dict[str, str | None]:
    """The installed version of each package, or ``None``.

    >>> package_versions(("numpy", "no-such-package"))["no-such-package"] is None
    True
    """
    import importlib.metadata as metadata

    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _arithmetic() -> dict[str, Any]:
    """How this machine computes: things that change trained weights but not the recipe."""
    return {
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "system": platform.system(),
        "cpus": os.cpu_count(),
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "TF_NUM_INTRAOP_THREADS": os.environ.get("TF_NUM_INTRAOP_THREADS"),
    }


def describe_run(
    model: Any,
    recipe: str,
    epochs: int,
    seed: int,
    batch_size: int,
    train_dir: Path | str | None,
    val_dir: Path | str | None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The metadata of one training run: what it was (``MATCHED``; ``settings``: the rest of the recipe,
    ``helpers.recipes.training_settings``) and where it ran (for information)."""
    versions = package_versions(("tensorflow", "keras", "numpy"))
    versions["python"] = platform.python_version()
    return {
        "format": FORMAT,
        "recipe": recipe,
        "settings": settings,
        "architecture": architecture(model),
        "epochs": int(epochs),
        "seed": int(seed),
        "batch_size": int(batch_size),
        "train_data": data_fingerprint(train_dir),
        "val_data": data_fingerprint(val_dir),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "arithmetic": _arithmetic(),
    }


def write_meta(meta: dict[str, Any], model_path: Path | str) -> Path:
    """Write ``meta`` beside ``model_path`` (atomically)."""
    return atomic_write_text(meta_path_for(model_path), json.dumps(meta, indent=1, sort_keys=True) + "\n")


def read_meta(model_path: Path | str) -> dict[str, Any] | None:
    """The metadata beside ``model_path``, or ``None`` when there is none or it cannot be read."""
    path = meta_path_for(model_path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def mismatch(meta: dict[str, Any] | None, expected: dict[str, Any]) -> str | None:
    """Why a model file is not the one ``expected`` describes, in a few words; ``None`` when it is.

    >>> want = {"recipe": "reference", "epochs": 20, "seed": 42}
    >>> mismatch({"recipe": "reference", "epochs": 5, "seed": 42}, want)
    'it was trained with epochs=5 (wanted: epochs=20)'
    >>> mismatch(None, want)
    'nothing records how it was trained'
    >>> mismatch({"recipe": "reference", "epochs": 20, "seed": 42}, want) is None
    True
    """
    if meta is None:
        return "nothing records how it was trained"
    keys = [key for key in MATCHED if key in expected and meta.get(key) != expected[key]]
    if not keys:
        return None
    names = {
        "architecture": "layers or compile settings",
        "train_data": "training images",
        "val_data": "validation images",
        "settings": "recipe settings",
    }

    def show(source: dict[str, Any], other: dict[str, Any]) -> str:
        parts = []
        for key in keys:
            value = source.get(key)
            if isinstance(value, dict) and isinstance(other.get(key), dict):  # only the entries that differ
                value = {k: value.get(k) for k in sorted({*value, *other[key]}) if value.get(k) != other[key].get(k)}
            parts.append(f"{names[key]} {value}" if key in names else f"{key}={value}")
        return ", ".join(parts)

    return f"it was trained with {show(meta, expected)} (wanted: {show(expected, meta)})"
