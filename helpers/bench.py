"""``python -m helpers bench``: how fast the course trains and predicts on this machine, measured side by
side with the seed's own ``ImageDataGenerator`` pipeline and with the hardware's limit.

One run measures, on one machine:

1. epoch time and images per second of the seed's model at batch size 32 fed three ways: the seed's
   ``ImageDataGenerator`` pipeline with the seed's ``compile``; the course's ``tf.data`` pipeline with the
   seed's ``compile``; and the course as it trains (``tf.data`` + ``compile_reference``, which runs 50
   batches per call);
2. the wall time of ``python -m helpers train`` (20 epochs, the course's defaults), the whole process;
3. one-image prediction latency (``predict_one``, a direct ``model(x)`` call, ``model.predict``) and the
   throughput of batched prediction;
4. the peak memory (RSS) of that training process;
5. the FLOP/s training achieves (FLOPs per image counted from the model's layers) against a large
   float32 matrix multiply on the same machine.

Every measurement runs in a fresh Python process (a *worker*, ``python -m helpers.bench --worker ...``),
so one cannot warm up or slow down the next, and the pipelines take turns.  Epoch times are the median
of the epochs after the first (which also traces the model) of every run; each figure is the median over
``--runs`` runs (peak memory: the highest; latency: the median of ``--calls`` calls), and the script
prints how many.  It writes ``<label>.json`` and ``<label>.md`` (a Markdown table) to ``--out``;
``--table A.json B.json`` prints one table comparing machines.  Extras: ``--batch-sizes`` times the
course pipeline at larger batches, ``--ablation`` with one setting changed at a time.

Targets are stated for a 2-core CPU on which the seed's pipeline takes 2.4 s per epoch
(``REFERENCE_SEED_EPOCH_S``); times are also given scaled to that machine.  With ``KERAS_BACKEND=jax``
(a GPU machine without TensorFlow) the same model is fed numpy arrays through Keras's own batching, and
the ``ImageDataGenerator`` and ``tf.data`` rows are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.errors import CourseError
from helpers.paths import BUNDLED_DATASET, REPO_ROOT, display_path

REFERENCE_SEED_EPOCH_S = 2.4
"""Seconds per epoch of the seed's ImageDataGenerator pipeline on the machine the targets are stated for."""

TARGETS = {
    "speedup": 1.3,        # course pipeline vs ImageDataGenerator, per epoch, at least
    "train_wall_s": 45.0,  # 20-epoch training, whole process, at most (reference machine)
    "latency_ms": 10.0,    # one-image prediction, median, at most (reference machine)
    "peak_rss_gb": 1.5,    # training process, at most
    "flops_fraction": 0.25,  # training FLOP/s / matmul FLOP/s, at least
}

PIPELINES = {
    "seed": "seed: ImageDataGenerator + seed compile",
    "tfdata": "course tf.data + seed compile",
    "course": "course: tf.data + compile_reference",
    "arrays": "numpy arrays + compile_reference",
}

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
RESULT_MARK = "BENCH_RESULT "


# --- counting FLOPs ------------------------------------------------------------------------------------

def layer_macs(model: Any) -> list[tuple[str, int]]:
    """Multiply-accumulates per image of each ``Conv2D`` and ``Dense`` layer, in order.

    These layers do more than 99% of the seed CNN's arithmetic; pooling, ReLU, biases and softmax add
    well under 1% and are not counted.  A Conv2D's cost is output height x width x filters x kernel
    height x width x input channels; a Dense layer's is inputs x units.

    >>> from helpers.model import build_cnn
    >>> layer_macs(build_cnn())
    [('conv1', 194688), ('conv2', 2230272), ('dense', 204800), ('probabilities', 1280)]
    """
    from keras import layers

    counts = []
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kernel_h, kernel_w, channels_in, filters = layer.kernel.shape
            _, height, width, _ = layer.output.shape
            counts.append((layer.name, int(height * width * filters * kernel_h * kernel_w * channels_in)))
        elif isinstance(layer, layers.Dense):
            units_in, units = layer.kernel.shape
            counts.append((layer.name, int(units_in * units)))
    return counts


def flops_per_image(model: Any) -> dict[str, int]:
    """FLOPs (2 per multiply-accumulate) per image for a forward pass (prediction) and a training step.

    A training step runs the forward pass, then for every layer the gradient of its weights (as many
    multiply-adds as its forward pass) and the gradient of its input (as many again), except for the
    first layer, whose input is the image and needs no gradient.

    >>> from helpers.model import build_cnn
    >>> flops_per_image(build_cnn())
    {'forward': 5262080, 'training': 15396864}
    """
    macs = [count for _, count in layer_macs(model)]
    if not macs:
        raise CourseError(f"model {model.name!r} has no Conv2D or Dense layer to count")
    forward = sum(macs)
    training = 3 * forward - macs[0]
    return {"forward": 2 * forward, "training": 2 * training}


# --- small statistics and timing helpers ----------------------------------------------------------------

def median(values: list[float]) -> float:
    """The median of a non-empty list."""
    return float(statistics.median(values))


def time_calls(call: Callable[[], object], calls: int, warmup: int = 5) -> dict[str, float]:
    """Median, 90th percentile and minimum of ``calls`` timed calls in milliseconds, after ``warmup``."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(median(times), 3), "p90_ms": round(times[int(0.9 * (len(times) - 1))], 3),
            "min_ms": round(times[0], 3), "calls": calls}


def steady_epoch_seconds(epoch_ends: list[float], started: float) -> list[float]:
    """Epoch durations from the times each epoch ended; the first (which includes tracing the model and
    filling caches) is dropped, unless it is the only one.

    >>> steady_epoch_seconds([3.0, 4.0, 5.5], started=0.0)
    [1.0, 1.5]
    """
    durations = [end - start for start, end in zip([started] + epoch_ends[:-1], epoch_ends)]
    return durations[1:] or durations


# --- workers: each runs in its own process ---------------------------------------------------------------

def _backend() -> str:
    return os.environ.get("KERAS_BACKEND", "tensorflow")


VARIANTS = {
    "autotune": "course, but tf.data's autotuner on (the course before)",
    "xla": "course, plus XLA (jit_compile=True)",
}


def worker_epochs(pipeline: str, train_dir: str, test_dir: str, epochs: int, batch_size: int = 32,
                  seed: int = 42, save: str | None = None, variant: str = "") -> dict[str, Any]:
    """Train the seed's CNN ``epochs`` epochs fed by ``pipeline`` and time every epoch (validation on the
    test split included, as the seed's ``fit`` does).  A ``variant`` of the course pipeline changes one
    setting (``VARIANTS``), to measure what it is worth."""
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    import keras

    from helpers.data import load_arrays, load_dataset, one_hot, seed_generators
    from helpers.model import build_cnn
    from helpers.training import compile_reference, epoch_callback, set_seed, train_reference

    train_images, train_labels = load_arrays(train_dir)
    val_images, val_labels = load_arrays(test_dir)
    set_seed(seed)
    if pipeline == "seed":
        train_data, val_data = seed_generators(train_dir, test_dir, batch_size=batch_size, seed=seed)
    elif pipeline == "course" and not variant:
        train_data = val_data = None  # train_reference builds them
    elif pipeline in ("tfdata", "course"):
        train_data = load_dataset(train_dir, batch_size=batch_size, shuffle=True, seed=seed)
        val_data = load_dataset(test_dir, batch_size=batch_size)
    elif pipeline == "arrays":
        train_data, val_data = None, (val_images, one_hot(val_labels))
    else:
        raise CourseError(f"unknown pipeline {pipeline!r}; choose one of: {', '.join(PIPELINES)}")
    if variant and (variant not in VARIANTS or pipeline != "course"):
        raise CourseError(f"unknown variant {variant!r} of pipeline {pipeline!r}; choose one of: {', '.join(VARIANTS)}")
    if variant == "autotune":  # tf.data's defaults: autotuner on, its own thread pool
        import tensorflow as tf

        options = tf.data.Options()
        options.autotune.enabled = True
        options.threading.private_threadpool_size = 0
        train_data, val_data = train_data.with_options(options), val_data.with_options(options)
    epoch_ends: list[float] = []

    def mark_epoch_end(epoch: int, logs: dict[str, float]) -> None:
        epoch_ends.append(time.perf_counter())

    started = time.perf_counter()
    if pipeline == "course" and not variant:  # exactly the course's training code
        model, history = train_reference(train_dir, test_dir, epochs=epochs, seed=seed, batch_size=batch_size,
                                         on_epoch_end=mark_epoch_end)
    else:
        model = compile_reference(build_cnn(), **({"steps_per_execution": 1} if pipeline in ("seed", "tfdata") else {}))
        if variant == "xla":
            model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"],
                          steps_per_execution=model.steps_per_execution, jit_compile=True)
        timer = epoch_callback(mark_epoch_end)
        if train_data is None:
            fitted = model.fit(train_images, one_hot(train_labels), batch_size=batch_size, epochs=epochs,
                               validation_data=val_data, shuffle=True, verbose=0, callbacks=[timer])
        else:
            fitted = model.fit(train_data, epochs=epochs, validation_data=val_data, verbose=0, callbacks=[timer],
                               shuffle=False)
        history = fitted.history
    if save:
        from helpers.model_files import save_model_files

        save_model_files(model, save, history)
    return {
        "pipeline": pipeline, "variant": variant, "epochs": epochs, "batch_size": batch_size,
        "train_images": int(len(train_labels)), "val_images": int(len(val_labels)),
        "first_epoch_s": round(epoch_ends[0] - started, 4),
        "epoch_seconds": [round(t, 4) for t in steady_epoch_seconds(epoch_ends, started)],
        "val_accuracy": float(history["val_accuracy"][-1]),
        "val_loss": float(history["val_loss"][-1]),
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1) or 1),
    }


def worker_latency(test_dir: str, calls: int, repeats: int) -> dict[str, Any]:
    """One-image latency three ways and batched throughput, on the seed's CNN (an untrained one: the
    weights do not change the arithmetic)."""
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    import numpy as np

    from helpers.data import load_arrays
    from helpers.evaluation import predict_one, predict_probabilities
    from helpers.model import build_cnn
    from helpers.training import compile_reference, set_seed

    set_seed(42)
    model = compile_reference(build_cnn())
    images, _ = load_arrays(test_dir)
    batch = images[:1]
    started = time.perf_counter()
    expected = predict_one(model, images[0])
    first_call_ms = (time.perf_counter() - started) * 1000
    np.testing.assert_allclose(np.asarray(model(batch, training=False))[0], expected, atol=1e-5)
    ways = {
        "predict_one": lambda: predict_one(model, images[0]),
        "model_call": lambda: np.asarray(model(batch, training=False)),
        "model_predict": lambda: model.predict(batch, verbose=0),
    }
    result: dict[str, Any] = {name: time_calls(call, calls) for name, call in ways.items()}
    result["predict_one_first_call_ms"] = round(first_call_ms, 1)
    predict_probabilities(model, images)  # warm up the batched path
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        predict_probabilities(model, images)
        seconds.append(time.perf_counter() - started)
    result["batched"] = {"images": int(len(images)), "batch_size": 256, "repeats": repeats,
                         "images_per_s": round(len(images) / median(seconds), 1)}
    return result


def worker_matmul(size: int, repeats: int) -> dict[str, Any]:
    """FLOP/s of a ``size`` x ``size`` float32 matrix product with the backend Keras trains on (TensorFlow:
    oneDNN/Eigen on a CPU; JAX: XLA), median of ``repeats`` after a warm-up."""
    flops = 2 * size**3
    seconds = []
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    if _backend() == "tensorflow":
        import tensorflow as tf

        a = tf.random.stateless_normal((size, size), seed=(1, 2))
        b = tf.random.stateless_normal((size, size), seed=(3, 4))
        product = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
        product(a, b).numpy()
        for _ in range(repeats):
            started = time.perf_counter()
            product(a, b).numpy()
            seconds.append(time.perf_counter() - started)
        device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
        library = f"TensorFlow {tf.__version__}"
        precision = "float32"
    else:
        import jax
        import jax.numpy as jnp

        key_a, key_b = jax.random.split(jax.random.PRNGKey(0))
        a = jax.random.normal(key_a, (size, size), jnp.float32)
        b = jax.random.normal(key_b, (size, size), jnp.float32)
        def timed(precision: str | None) -> list[float]:
            product = jax.jit(lambda a, b: jnp.matmul(a, b, precision=precision))
            product(a, b).block_until_ready()
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                product(a, b).block_until_ready()
                times.append(time.perf_counter() - started)
            return times

        seconds = timed(None)
        device = "CPU" if jax.devices()[0].platform == "cpu" else jax.devices()[0].device_kind
        library = f"JAX {jax.__version__}"
        precision = "float32"
        if jax.devices()[0].platform == "gpu":
            # XLA's default float32 precision on a recent NVIDIA GPU multiplies in TF32 (as Keras's layers
            # do there); "highest" is strict float32 arithmetic, several times slower: report both.
            precision = "float32 inputs, TF32 products (XLA default, as the layers use)"
            strict = timed("highest")
            return {"size": size, "repeats": repeats, "gflops": round(flops / median(seconds) / 1e9, 1),
                    "strict_float32_gflops": round(flops / median(strict) / 1e9, 1),
                    "library": library, "device": device, "precision": precision}
    return {"size": size, "repeats": repeats, "gflops": round(flops / median(seconds) / 1e9, 1),
            "library": library, "device": device, "precision": precision}


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "epochs": worker_epochs, "latency": worker_latency, "matmul": worker_matmul,
}


def _worker_main(argv: list[str]) -> int:
    """``python -m helpers.bench --worker NAME JSON``: run one worker, print its result as one line."""
    name, options = argv[1], json.loads(argv[2])
    result = WORKERS[name](**options)
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["worker_peak_rss_mb"] = round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


# --- running processes ----------------------------------------------------------------------------------

def run_process(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command`` to the end; return its wall time, peak RSS (MB, from the OS's accounting of that
    one child) and output.  A failing command raises ``CourseError`` with its last line of stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=REPO_ROOT)
        peak_mb = None
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            peak_mb = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
        else:  # pragma: no cover - Windows
            process.wait()
            wall = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise CourseError(f"benchmark step failed (exit {process.returncode}): {' '.join(command[2:5])}: "
                          f"{failure_line(stderr)}")
    return {"wall_s": wall, "peak_rss_mb": None if peak_mb is None else round(peak_mb, 1), "stdout": stdout}


def failure_line(stderr: str) -> str:
    """The line of a failed process's stderr that says what went wrong: the last exception line
    (``ValueError: ...``), else the last line.

    >>> failure_line("Traceback (most recent call last):\\n  ...\\nValueError: bad size\\nnote: see docs\\n")
    'ValueError: bad size'
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()] or ["(no output)"]
    exceptions = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Interrupt)\b\S*:", line)]
    return (exceptions or lines)[-1][:300]


def run_worker(name: str, **options: Any) -> dict[str, Any]:
    """Run one worker in a fresh Python process and return its result."""
    run = run_process([sys.executable, "-m", "helpers.bench", "--worker", name, json.dumps(options)], _env())
    for line in reversed(run["stdout"].splitlines()):
        if line.startswith(RESULT_MARK):
            return {**json.loads(line[len(RESULT_MARK):]), "process_wall_s": round(run["wall_s"], 2)}
    raise CourseError(f"benchmark worker {name!r} printed no result")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    env["TF_CPP_MIN_LOG_LEVEL"] = env.get("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def time_training(train_dir: str, test_dir: str, epochs: int, folder: Path) -> dict[str, Any]:
    """Time the course's training, the whole process: ``python -m helpers train`` (TensorFlow), or for
    another Keras backend the same model fed numpy arrays, trained and saved by a worker."""
    out = folder / "bench_model.keras"
    if _backend() == "tensorflow":
        run = run_process([sys.executable, "-m", "helpers", "train", "--train", train_dir, "--val", test_dir,
                           "--epochs", str(epochs), "--out", str(out)], _env())
        done = [line for line in run["stdout"].splitlines() if line.startswith("done in")]
        words = done[-1].split() if done else []
        metrics = {key: float(words[i + 1]) for i, key in enumerate(words) if key in ("val_accuracy", "val_loss")}
        command = "python -m helpers train"
    else:
        started = time.perf_counter()
        result = run_worker("epochs", pipeline="arrays", train_dir=train_dir, test_dir=test_dir, epochs=epochs,
                            save=str(out))
        run = {"wall_s": time.perf_counter() - started, "peak_rss_mb": result["worker_peak_rss_mb"]}
        metrics = {"val_accuracy": result["val_accuracy"], "val_loss": result["val_loss"]}
        command = "worker: numpy arrays, fit, save"
    if not out.is_file():
        raise CourseError(f"training wrote no model file: {out}")
    return {"wall_s": round(run["wall_s"], 2), "peak_rss_mb": run["peak_rss_mb"], "command": command, **metrics}


# --- the whole benchmark ----------------------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gb = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory_gb = round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)
    from helpers.notebook import package_versions

    versions = {name: version for name, version in package_versions(("tensorflow", "keras", "jax", "numpy")).items()
                if version is not None}
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "memory_gb": memory_gb, "system": platform.system(),
            "python": platform.python_version(), "backend": _backend(), "versions": versions,
            "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None}


def summarize_runs(label: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """One row of the report from the worker results of several runs of the same pipeline: the median
    over runs of each run's median steady epoch, and the per-run figures."""
    epoch_s = median([median(r["epoch_seconds"]) for r in results])
    return {
        "label": label, "runs": len(results), "batch_size": results[0]["batch_size"], "epoch_s": round(epoch_s, 3),
        "train_images": results[0]["train_images"], "val_images": results[0]["val_images"],
        "images_per_s": round(results[0]["train_images"] / epoch_s, 1),
        "first_epoch_s": round(median([r["first_epoch_s"] for r in results]), 3),
        "val_accuracy": round(median([r["val_accuracy"] for r in results]), 4),
        "steps_per_execution": results[0]["steps_per_execution"],
        "per_run_epoch_s": [round(median(r["epoch_seconds"]), 3) for r in results],
    }


def run_bench(runs: int = 3, epochs: int = 5, train_epochs: int = 20, latency_calls: int = 200,
              matmul_size: int = 4096, train_dir: Path | str = BUNDLED_DATASET / "train",
              test_dir: Path | str = BUNDLED_DATASET / "test", batch_sizes: tuple[int, ...] = (),
              ablation: bool = False, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure everything (see the module docstring) and return the report as a dict.

    ``batch_sizes`` also times the course's pipeline at those batch sizes (not the seed's recipe, which
    trains with 32): how much closer to the hardware's limit larger batches get.  ``ablation`` also times
    the course's pipeline with one setting changed (``VARIANTS``; TensorFlow only).
    """
    from helpers.data import load_arrays, resolve_split

    train_dir, test_dir = str(resolve_split(train_dir, "train")), str(resolve_split(test_dir, "test"))
    load_arrays(train_dir), load_arrays(test_dir)  # decode every image here: a bad one is named before any run
    backend = _backend()
    pipelines = ["seed", "tfdata", "course"] if backend == "tensorflow" else ["arrays"]
    variants = list(VARIANTS) if ablation and backend == "tensorflow" else []
    report: dict[str, Any] = {
        "machine": machine_info(),
        "config": {"runs": runs, "epochs_per_run": epochs, "batch_size": 32, "train_epochs": train_epochs,
                   "ablation": variants,
                   "latency_calls": latency_calls, "matmul_size": matmul_size, "batch_sizes": list(batch_sizes),
                   "train_dir": display_path(train_dir), "test_dir": display_path(test_dir)},
    }
    log(f"machine: {report['machine']['cpu']}, {report['machine']['cpu_count']} cores, backend {backend}")
    log(f"each figure is the median of {runs} run(s); epoch times drop each run's first epoch "
        f"({epochs} epochs per run, {max(epochs - 1, 1)} timed)")

    per_pipeline: dict[str, list[dict]] = {name: [] for name in pipelines + variants}
    for run in range(runs):  # the pipelines take turns, so a slow spell of the machine hits each alike
        for name in pipelines + variants:
            options = {"pipeline": name} if name in PIPELINES else {"pipeline": "course", "variant": name}
            result = run_worker("epochs", train_dir=train_dir, test_dir=test_dir, epochs=epochs, **options)
            per_pipeline[name].append(result)
            log(f"  run {run + 1}/{runs} {PIPELINES.get(name) or VARIANTS[name]}: "
                f"{median(result['epoch_seconds']):.2f} s/epoch")
    report["pipelines"] = {name: summarize_runs(PIPELINES[name], per_pipeline[name]) for name in pipelines}
    if variants:
        report["ablation"] = {name: summarize_runs(VARIANTS[name], per_pipeline[name]) for name in variants}
    fastest = "course" if backend == "tensorflow" else "arrays"
    course = report["pipelines"][fastest]
    if "seed" in report["pipelines"]:
        seed_epoch = report["pipelines"]["seed"]["epoch_s"]
        report["speedup_vs_seed"] = round(seed_epoch / course["epoch_s"], 2)
        report["speedup_tfdata_only"] = round(seed_epoch / report["pipelines"]["tfdata"]["epoch_s"], 2)
        if _is_bundled(train_dir, test_dir):  # the yardstick holds for the bundled 8,000 + 2,000 digits only
            report["reference_scale"] = round(REFERENCE_SEED_EPOCH_S / seed_epoch, 3)
        log(f"course vs ImageDataGenerator: {report['speedup_vs_seed']:.2f}x per epoch")

    trainings = []
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        for run in range(runs):
            trainings.append(time_training(train_dir, test_dir, train_epochs, Path(folder)))
            log(f"  run {run + 1}/{runs} {train_epochs}-epoch training: {trainings[-1]['wall_s']:.1f} s, "
                f"peak {trainings[-1]['peak_rss_mb'] or 0:.0f} MB, "
                f"test accuracy {trainings[-1].get('val_accuracy') or 0:.4f}")
    report["training"] = {
        "command": trainings[0]["command"], "epochs": train_epochs, "runs": runs,
        "wall_s": round(median([t["wall_s"] for t in trainings]), 2),
        "per_run_wall_s": [t["wall_s"] for t in trainings],
        "peak_rss_mb": max((t["peak_rss_mb"] for t in trainings if t["peak_rss_mb"] is not None), default=None),
        "val_accuracy": _median_or_none([t.get("val_accuracy") for t in trainings]),
        "val_loss": _median_or_none([t.get("val_loss") for t in trainings]),
        "per_run_val_accuracy": [t.get("val_accuracy") for t in trainings],
    }

    report["latency"] = run_worker("latency", test_dir=test_dir, calls=latency_calls, repeats=max(runs, 3))
    log(f"latency: predict_one {report['latency']['predict_one']['median_ms']:.2f} ms (median of "
        f"{latency_calls} calls), model(x) {report['latency']['model_call']['median_ms']:.2f} ms, model.predict "
        f"{report['latency']['model_predict']['median_ms']:.2f} ms")

    matmuls = [run_worker("matmul", size=matmul_size, repeats=5) for _ in range(runs)]
    matmul = {**matmuls[0], "gflops": round(median([m["gflops"] for m in matmuls]), 1), "runs": runs}
    if "strict_float32_gflops" in matmul:
        matmul["strict_float32_gflops"] = round(median([m["strict_float32_gflops"] for m in matmuls]), 1)
    from helpers.model import build_cnn

    from helpers import quiet_tensorflow

    quiet_tensorflow()
    flops = flops_per_image(build_cnn())
    epoch_flops = course_epoch_flops(flops, course)
    achieved = epoch_flops / course["epoch_s"] / 1e9
    report["flops"] = {
        "forward_per_image": flops["forward"], "training_per_image": flops["training"],
        "per_epoch": epoch_flops, "achieved_gflops": round(achieved, 1), "pipeline": fastest,
        "matmul": matmul, "fraction_of_matmul": round(achieved / matmul["gflops"], 3),
    }
    log(f"training {achieved:.0f} GFLOP/s vs matmul {matmul['gflops']:.0f} GFLOP/s: "
        f"{report['flops']['fraction_of_matmul']:.0%}")
    if batch_sizes:
        report["batch_sweep"] = []
        for size in batch_sizes:
            try:
                results = [run_worker("epochs", pipeline=fastest, train_dir=train_dir, test_dir=test_dir,
                                      epochs=epochs, batch_size=size) for _ in range(runs)]
            except CourseError as exc:  # an optional extra: keep everything measured so far
                report["batch_sweep"].append({"batch_size": size, "error": str(exc)})
                log(f"  batch {size}: failed, {exc}")
                continue
            row = summarize_runs(f"{PIPELINES[fastest]}, batch {size}", results)
            gflops = course_epoch_flops(flops, row) / row["epoch_s"] / 1e9
            row.update(achieved_gflops=round(gflops, 1), fraction_of_matmul=round(gflops / matmul["gflops"], 3))
            report["batch_sweep"].append(row)
            log(f"  batch {size}: {row['epoch_s']:.3f} s/epoch, {gflops:.0f} GFLOP/s = "
                f"{row['fraction_of_matmul']:.1%} of the matmul")
    report["targets"] = check_targets(report)
    return report


def _median_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 4) if present else None


def _is_bundled(train_dir: str, test_dir: str) -> bool:
    from helpers.paths import TEST_DIR, TRAIN_DIR

    return Path(train_dir).resolve() == TRAIN_DIR.resolve() and Path(test_dir).resolve() == TEST_DIR.resolve()


def course_epoch_flops(flops: dict[str, int], pipeline: dict[str, Any]) -> int:
    """FLOPs of one epoch as the benchmark times it: a training step per training image, and a forward
    pass per validation image (the seed validates on the test split every epoch)."""
    return pipeline["train_images"] * flops["training"] + pipeline["val_images"] * flops["forward"]


def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met.

    Times are stated for the reference machine: where the seed's pipeline was measured here on the
    bundled dataset, a time is also given scaled to that machine (``scaled``) and the target is judged
    on it; otherwise on the time measured here.
    """
    scale = report.get("reference_scale")
    rows = []

    def add(name: str, value: float | None, target: float, at_least: bool, unit: str, timed: bool = False) -> None:
        scaled = round(value * scale, 2) if timed and scale is not None and value is not None else None
        judged = scaled if scaled is not None else value
        met = None if judged is None else (judged >= target if at_least else judged <= target)
        rows.append({"name": name, "value": value, "scaled": scaled, "target": target, "at_least": at_least,
                     "unit": unit, "met": met})

    # the pipeline alone (same model, same compile), as the target asks; the course's compile adds more
    add("course tf.data vs ImageDataGenerator, same compile, per epoch",
        report.get("speedup_tfdata_only", report.get("speedup_vs_seed")), TARGETS["speedup"], True, "x")
    add(f"{report['training']['epochs']}-epoch training, whole process", report["training"]["wall_s"],
        TARGETS["train_wall_s"], False, " s", timed=True)
    add("one-image prediction latency (predict_one), median", report["latency"]["predict_one"]["median_ms"],
        TARGETS["latency_ms"], False, " ms", timed=True)
    peak = report["training"]["peak_rss_mb"]
    add("training peak memory (RSS)", None if peak is None else round(peak / 1024, 2), TARGETS["peak_rss_gb"],
        False, " GB")
    add("training FLOP/s / float32 matmul FLOP/s", report["flops"]["fraction_of_matmul"], TARGETS["flops_fraction"],
        True, "")
    return rows


# --- reporting --------------------------------------------------------------------------------------------

def machine_label(report: dict[str, Any]) -> str:
    """A short name for the machine: ``2-core AMD EPYC, tensorflow`` or ``NVIDIA H100 80GB HBM3, jax``."""
    device = report["flops"]["matmul"]["device"]
    machine = report["machine"]
    where = f"{machine['cpu_count']}-core {machine['cpu']}" if device == "CPU" else device
    return f"{where}, {machine['backend']}"


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: the pipelines side by side, then the targets."""
    machine = report["machine"]
    config = report["config"]
    lines = [
        f"Machine: {machine_label(report)}; {machine['cpu_count']} CPU cores, {machine['memory_gb']} GB memory, "
        f"Python {machine['python']}, " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + ".",
        f"Medians of {config['runs']} runs; epoch times: {config['epochs_per_run']} epochs per run, the first "
        f"dropped; batch size {config['batch_size']}; validation on the test split included in each epoch.",
        "",
        "| pipeline (seed CNN, batch 32) | s/epoch | training images/s* | vs ImageDataGenerator |",
        "|---|---:|---:|---:|",
    ]
    seed = report["pipelines"].get("seed")
    for name, row in report["pipelines"].items():
        ratio = f"{seed['epoch_s'] / row['epoch_s']:.2f}x" if seed else "n/a"
        lines.append(f"| {row['label']} | {row['epoch_s']:.2f} | {row['images_per_s']:,.0f} | {ratio} |")
    lines += ["", "\\* training images divided by the epoch time, which also validates on the test split."]
    if report.get("ablation"):
        course = report["pipelines"]["course"]
        lines += ["", "| one setting changed | s/epoch | time vs the course |", "|---|---:|---:|",
                  f"| {course['label']} | {course['epoch_s']:.2f} | 1.00x |",
                  f"| course, but 1 batch per call (the tf.data row above) | {report['pipelines']['tfdata']['epoch_s']:.2f}"
                  f" | {report['pipelines']['tfdata']['epoch_s'] / course['epoch_s']:.2f}x |"]
        for row in report["ablation"].values():
            lines.append(f"| {row['label']} | {row['epoch_s']:.2f} | {row['epoch_s'] / course['epoch_s']:.2f}x |")
    latency, training, flops = report["latency"], report["training"], report["flops"]
    lines += [
        "",
        "| measurement | value |",
        "|---|---:|",
        f"| {training['epochs']}-epoch training, whole process ({training['command']}) | {training['wall_s']:.1f} s |",
        f"| ... its test-split accuracy / loss (median) | {_metric(training.get('val_accuracy'))} / "
        f"{_metric(training.get('val_loss'))} |",
        f"| training peak memory (RSS, the highest of the runs) | "
        + ("n/a" if training["peak_rss_mb"] is None else f"{training['peak_rss_mb'] / 1024:.2f} GB") + " |",
        f"| one image: `predict_one` (median of {latency['predict_one']['calls']}) | "
        f"{latency['predict_one']['median_ms']:.2f} ms |",
        f"| one image: direct `model(x)` call | {latency['model_call']['median_ms']:.2f} ms |",
        f"| one image: `model.predict` | {latency['model_predict']['median_ms']:.2f} ms |",
        f"| batched prediction (`predict_probabilities`, batch {latency['batched']['batch_size']}) | "
        f"{latency['batched']['images_per_s']:,.0f} images/s |",
        f"| FLOPs per image: prediction / training step | {flops['forward_per_image'] / 1e6:.2f} M / "
        f"{flops['training_per_image'] / 1e6:.2f} M |",
        f"| training FLOP/s ({PIPELINES[flops['pipeline']]}) | {flops['achieved_gflops']:,.1f} GFLOP/s |",
        f"| {flops['matmul']['size']}x{flops['matmul']['size']} matmul, {flops['matmul']['precision']} "
        f"({flops['matmul']['library']}) | {flops['matmul']['gflops']:,.1f} GFLOP/s |",
        f"| training / matmul | {flops['fraction_of_matmul']:.1%} |",
    ]
    if "strict_float32_gflops" in flops["matmul"]:
        strict = flops["matmul"]["strict_float32_gflops"]
        lines.insert(-1, f"| the same matmul in strict float32 (precision 'highest') | {strict:,.1f} GFLOP/s |")
        lines.append(f"| training / strict float32 matmul | {flops['achieved_gflops'] / strict:.1%} |")
    if report.get("batch_sweep"):
        lines += ["", "Larger batches (not the seed's recipe, which trains with 32): how close training gets to the matmul.",
                  "", "| batch size | s/epoch | training images/s | training FLOP/s | of the matmul |",
                  "|---:|---:|---:|---:|---:|",
                  f"| {report['pipelines'][flops['pipeline']]['batch_size']} | "
                  f"{report['pipelines'][flops['pipeline']]['epoch_s']:.3f} | "
                  f"{report['pipelines'][flops['pipeline']]['images_per_s']:,.0f} | "
                  f"{flops['achieved_gflops']:,.1f} GFLOP/s | {flops['fraction_of_matmul']:.1%} |"]
        for row in report["batch_sweep"]:
            if "error" in row:
                lines.append(f"| {row['batch_size']} | failed: {row['error'][:120]} | | | |")
                continue
            lines.append(f"| {row['batch_size']} | {row['epoch_s']:.3f} | {row['images_per_s']:,.0f} | "
                         f"{row['achieved_gflops']:,.1f} GFLOP/s | {row['fraction_of_matmul']:.1%} |")
    lines.append("")
    if "reference_scale" in report:
        lines.append(f"The seed's pipeline takes {report['pipelines']['seed']['epoch_s']:.2f} s/epoch here against "
                     f"{REFERENCE_SEED_EPOCH_S} s on the machine the targets are stated for (ratio "
                     f"{1 / report['reference_scale']:.2f}); times are judged scaled to that machine.")
    else:
        lines.append("Times are judged as measured (the seed's pipeline was not timed on the bundled dataset here).")
    lines += ["", "| target | measured here | at reference speed | target | met |", "|---|---:|---:|---:|:---:|"]
    for row in report["targets"]:
        value = "n/a" if row["value"] is None else f"{row['value']:g}{row['unit']}"
        scaled = "" if row["scaled"] is None else f"{row['scaled']:g}{row['unit']}"
        sign = ">=" if row["at_least"] else "<="
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        lines.append(f"| {row['name']} | {value} | {scaled} | {sign} {row['target']:g}{row['unit']} | {met} |")
    return "\n".join(lines) + "\n"


def _accuracy_cell(training: dict[str, Any]) -> str:
    """The median test accuracy of the training runs, with their range where they differ (a GPU's kernels
    are not deterministic; on a CPU every run gives the same model)."""
    runs = [v for v in training.get("per_run_val_accuracy", []) if v is not None]
    text = _metric(training.get("val_accuracy"))
    if runs and min(runs) != max(runs):
        text += f" ({min(runs):.4f}-{max(runs):.4f})"
    return text


def _metric(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def comparison_table(reports: list[dict[str, Any]]) -> str:
    """One Markdown table, a column per machine, of the headline numbers of several reports."""
    def column(report: dict[str, Any]) -> dict[str, str]:
        pipelines, training, latency, flops = (report["pipelines"], report["training"], report["latency"],
                                               report["flops"])
        course = pipelines.get("course") or pipelines["arrays"]
        seed = pipelines.get("seed")
        values = {
            "seed": f"{seed['epoch_s']:.2f} s ({seed['images_per_s']:,.0f} img/s)" if seed else "n/a",
            "course": f"{course['epoch_s']:.2f} s ({course['images_per_s']:,.0f} img/s)",
            "feed": course["label"].split(" + ")[0].replace("course: ", ""),
            "speedup": (f"{report['speedup_tfdata_only']:.2f}x ({report['speedup_vs_seed']:.2f}x with 50 batches "
                        f"per call)") if "speedup_tfdata_only" in report else "n/a",
            "train": f"{training['wall_s']:.1f} s",
            "accuracy": _accuracy_cell(training),
            "rss": "n/a" if training["peak_rss_mb"] is None else f"{training['peak_rss_mb'] / 1024:.2f} GB",
            "one": f"{latency['predict_one']['median_ms']:.2f} ms",
            "call": f"{latency['model_call']['median_ms']:.2f} ms",
            "predict": f"{latency['model_predict']['median_ms']:.1f} ms",
            "batched": f"{latency['batched']['images_per_s']:,.0f} img/s",
            "flops": f"{flops['achieved_gflops']:,.0f} / {flops['matmul']['gflops']:,.0f} GFLOP/s "
                     f"= {flops['fraction_of_matmul']:.1%}"
                     + (" (TF32)" if "strict_float32_gflops" in flops["matmul"] else ""),
            "runs": str(report["config"]["runs"]),
            "sweep": ", ".join(f"batch {row['batch_size']}: " + (f"{row['fraction_of_matmul']:.1%}"
                                                                   if "error" not in row else "failed")
                               for row in report.get("batch_sweep", [])) or "not measured",
        }
        return values

    rows = [
        ("seed pipeline (ImageDataGenerator), per epoch", "seed"),
        ("course pipeline, per epoch", "course"),
        ("... fed by", "feed"),
        ("course vs seed pipeline, same compile (target >= 1.3x)", "speedup"),
        (f"{reports[0]['training']['epochs']}-epoch training, whole process (target <= 45 s)", "train"),
        ("... its test accuracy", "accuracy"),
        ("training peak RSS (target <= 1.5 GB)", "rss"),
        ("one image, `predict_one` median (target <= 10 ms)", "one"),
        ("one image, direct `model(x)`", "call"),
        ("one image, `model.predict`", "predict"),
        (f"batched prediction, batch {reports[0]['latency']['batched']['batch_size']}", "batched"),
        ("training / float32 matmul FLOP/s (target >= 25%)", "flops"),
        ("... at larger batches (not the seed's recipe)", "sweep"),
        ("runs (each figure a median)", "runs"),
    ]
    header = "| | " + " | ".join(machine_label(r) for r in reports) + " |"
    lines = [header, "|---|" + "---:|" * len(reports)]
    columns = [column(report) for report in reports]
    lines += [f"| {title} | " + " | ".join(values[key] for values in columns) + " |" for title, key in rows]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out_dir: Path | str, label: str) -> tuple[Path, Path]:
    """Write ``<label>.json`` and ``<label>.md`` into ``out_dir`` (created; never inside ``data/``),
    each atomically (``atomic_write_text``), so no half-written file is left."""
    from helpers.model_files import atomic_write_text

    folder = prepare_out_dir(out_dir)
    written = []
    for suffix, text in ((".json", json.dumps(report, indent=1) + "\n"), (".md", markdown(report))):
        path = folder / f"{label}{suffix}"
        try:
            written.append(atomic_write_text(path, text))
        except OSError as exc:
            raise CourseError(f"cannot write {path}: {exc.strerror or exc.__class__.__name__}") from None
    return written[0], written[1]


def prepare_out_dir(out_dir: Path | str, create: bool = True) -> Path:
    """Check the results folder: never inside ``data/``, not a file, writable; create it if ``create``.
    ``python -m helpers bench`` checks with ``create=False`` *before* minutes of measuring."""
    from helpers.paths import is_inside_data_dir

    folder = Path(out_dir)
    if is_inside_data_dir(folder):
        raise CourseError(f"refusing to write into data/ (it holds the dataset): {folder}")
    if folder.exists() and not folder.is_dir():
        raise CourseError(f"not a folder: {folder}")
    existing = next(parent for parent in [folder, *folder.absolute().parents] if parent.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise CourseError(f"results folder cannot be written: {folder} ({existing} is not a writable folder)")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CourseError(f"cannot create the results folder ({exc.strerror or exc.__class__.__name__}): "
                              f"{folder}") from None
    return folder


REPORT_FIELDS = {"machine", "config", "pipelines", "training", "latency", "flops", "targets"}


def read_report(path: Path | str) -> dict[str, Any]:
    """Load a report written by ``write_report``; a missing or foreign file is a ``CourseError``."""
    path = Path(path)
    try:
        report = json.loads(path.read_text())
    except FileNotFoundError:
        raise CourseError(f"benchmark report not found: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CourseError(f"not a benchmark report (invalid JSON): {path}") from None
    except OSError as exc:  # a folder, no permission ...
        raise CourseError(f"cannot read benchmark report ({exc.strerror or exc.__class__.__name__}): {path}") from None
    if not isinstance(report, dict) or not REPORT_FIELDS <= set(report):
        raise CourseError(f"not a benchmark report (fields missing): {path}")
    return report


# --- command line -----------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser, positive_int: Callable[[str], int]) -> None:
    """The options of ``python -m helpers bench``."""
    parser.add_argument("--runs", type=positive_int, default=3, help="runs per measurement; figures are medians (default 3)")
    parser.add_argument("--epochs", type=positive_int, default=5,
                        help="epochs per pipeline run; the first is not timed (default 5)")
    parser.add_argument("--train-epochs", type=positive_int, default=20,
                        help="epochs of the whole-process training run (default 20, the course's)")
    parser.add_argument("--calls", type=positive_int, default=200, help="timed one-image predictions (default 200)")
    parser.add_argument("--matmul-size", type=positive_int, default=4096, help="matrix size (default 4096)")
    parser.add_argument("--train", type=Path, default=BUNDLED_DATASET, metavar="DIR", help="training images")
    parser.add_argument("--test", type=Path, default=BUNDLED_DATASET, metavar="DIR", help="test images")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, metavar="DIR",
                        help=f"where to write LABEL.json and LABEL.md (default {display_path(RESULTS_DIR)})")
    parser.add_argument("--label", default=None, help="file name for the results (default: from the machine)")
    parser.add_argument("--batch-sizes", nargs="+", type=positive_int, default=[], metavar="N",
                        help="also time the course pipeline at these batch sizes (not the seed's recipe): how close "
                             "larger batches get to the hardware's limit")
    parser.add_argument("--ablation", action="store_true",
                        help="also time the course pipeline with one setting changed: tf.data's autotuner on, XLA")
    parser.add_argument("--tiny", action="store_true",
                        help="a seconds-long smoke run: 1 run, 2 epochs, 1-epoch training, small matmul")
    parser.add_argument("--table", nargs="+", type=Path, metavar="JSON",
                        help="print one Markdown table comparing these reports, and measure nothing")


def command(args: argparse.Namespace) -> int:
    """Run ``python -m helpers bench`` with parsed arguments."""
    if args.table:
        reports = [read_report(path) for path in args.table]
        try:
            table = comparison_table(reports)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CourseError(f"incomplete benchmark report (no {exc}) among: "
                              f"{', '.join(map(str, args.table))}") from None
        print(table, end="")
        return 0
    if args.label is not None and not all(c.isalnum() or c in "-_." for c in args.label):
        raise CourseError(f"--label may hold letters, digits, '-', '_' and '.' only: {args.label!r}")
    prepare_out_dir(args.out, create=False)
    options: dict[str, Any] = {"runs": args.runs, "epochs": args.epochs, "train_epochs": args.train_epochs,
                               "latency_calls": args.calls, "matmul_size": args.matmul_size,
                               "batch_sizes": tuple(args.batch_sizes), "ablation": args.ablation}
    if args.tiny:
        options.update(runs=1, epochs=2, train_epochs=1, latency_calls=5, matmul_size=256)
    report = run_bench(train_dir=args.train, test_dir=args.test, log=lambda line: print(line, flush=True), **options)
    label = args.label or _default_label(report)
    json_path, md_path = write_report(report, args.out, label)
    print()
    print(markdown(report), end="")
    print(f"\nwrote {display_path(json_path)} and {display_path(md_path)}")
    return 0


def _default_label(report: dict[str, Any]) -> str:
    device = report["flops"]["matmul"]["device"]
    name = f"cpu-{report['machine']['cpu_count']}core" if device == "CPU" else device.lower().replace(" ", "-")
    return "".join(c for c in f"{name}-{report['machine']['backend']}" if c.isalnum() or c in "-_.")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        sys.exit(_worker_main(sys.argv[1:]))
    from helpers.cli import main

    sys.exit(main(["bench", *sys.argv[1:]]))
