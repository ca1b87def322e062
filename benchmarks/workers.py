"""The measurements, each run in a fresh Python process (``python -m benchmarks --worker NAME JSON``) that
prints its result as one line: epoch times of a pipeline, one-image latency, a matrix product's FLOP/s."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from helpers.errors import CourseError

PIPELINES = {
    "seed": "seed: ImageDataGenerator + seed compile",
    "tfdata": "course tf.data + seed compile",
    "course": "course: tf.data + compile_reference",
    "arrays": "numpy arrays + compile_reference",
}
RESULT_MARK = "BENCH_RESULT "


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
    return {
        "median_ms": round(median(times), 3),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 3),
        "min_ms": round(times[0], 3),
        "calls": calls,
    }


def steady_epoch_seconds(epoch_ends: list[float], started: float) -> list[float]:
    """Epoch durations from the times each epoch ended; the first (which includes tracing the model and
    filling caches) is dropped, unless it is the only one.

    >>> steady_epoch_seconds([3.0, 4.0, 5.5], started=0.0)
    [1.0, 1.5]
    """
    durations = [end - start for start, end in zip([started] + epoch_ends[:-1], epoch_ends)]
    return durations[1:] or durations


def backend() -> str:
    """The Keras backend the workers run on (``KERAS_BACKEND``, default ``tensorflow``)."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


VARIANTS = {
    "autotune": "course, but tf.data's autotuner on (the course before)",
    "xla": "course, plus XLA (jit_compile=True)",
}


def worker_epochs(
    pipeline: str,
    train_dir: str,
    test_dir: str,
    epochs: int,
    batch_size: int = 32,
    seed: int = 42,
    save: str | None = None,
    variant: str = "",
) -> dict[str, Any]:
    """Train the seed's CNN ``epochs`` epochs fed by ``pipeline`` and time every epoch (validation on the
    test split included, as the seed's ``fit`` does).  A ``variant`` of the course pipeline changes one
    setting (``VARIANTS``), to measure what it is worth."""
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    import keras

    from helpers.data import load_arrays, load_dataset, seed_generators
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
        train_data, val_data = None, (val_images, keras.utils.to_categorical(val_labels))
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
        model, history = train_reference(
            train_dir, test_dir, epochs=epochs, seed=seed, batch_size=batch_size, on_epoch_end=mark_epoch_end
        )
    else:
        model = compile_reference(build_cnn(), **({"steps_per_execution": 1} if pipeline in ("seed", "tfdata") else {}))
        if variant == "xla":
            model.compile(
                optimizer=model.optimizer,
                loss=model.loss,
                metrics=["accuracy"],
                steps_per_execution=model.steps_per_execution,
                jit_compile=True,
            )
        timer = epoch_callback(mark_epoch_end)
        if train_data is None:
            fitted = model.fit(
                train_images,
                keras.utils.to_categorical(train_labels),
                batch_size=batch_size,
                epochs=epochs,
                validation_data=val_data,
                shuffle=True,
                verbose=0,
                callbacks=[timer],
            )
        else:
            fitted = model.fit(
                train_data, epochs=epochs, validation_data=val_data, verbose=0, callbacks=[timer], shuffle=False
            )
        history = fitted.history
    if save:
        from helpers.model_files import save_model_files

        save_model_files(model, save, history)
    return {
        "pipeline": pipeline,
        "variant": variant,
        "epochs": epochs,
        "batch_size": batch_size,
        "train_images": int(len(train_labels)),
        "val_images": int(len(val_labels)),
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
    result["batched"] = {
        "images": int(len(images)),
        "batch_size": 256,
        "repeats": repeats,
        "images_per_s": round(len(images) / median(seconds), 1),
    }
    return result


def worker_matmul(size: int, repeats: int) -> dict[str, Any]:
    """FLOP/s of a ``size`` x ``size`` float32 matrix product with the backend Keras trains on (TensorFlow:
    oneDNN/Eigen on a CPU; JAX: XLA), median of ``repeats`` after a warm-up."""
    flops = 2 * size**3
    seconds = []
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    if backend() == "tensorflow":
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
            return {
                "size": size,
                "repeats": repeats,
                "gflops": round(flops / median(seconds) / 1e9, 1),
                "strict_float32_gflops": round(flops / median(strict) / 1e9, 1),
                "library": library,
                "device": device,
                "precision": precision,
            }
    return {
        "size": size,
        "repeats": repeats,
        "gflops": round(flops / median(seconds) / 1e9, 1),
        "library": library,
        "device": device,
        "precision": precision,
    }


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "epochs": worker_epochs,
    "latency": worker_latency,
    "matmul": worker_matmul,
}


def worker_main(argv: list[str]) -> int:
    """``python -m benchmarks --worker NAME JSON``: run one worker, print its result as one line."""
    name, options = argv[1], json.loads(argv[2])
    result = WORKERS[name](**options)
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["worker_peak_rss_mb"] = round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0
