"""Latency of a one-digit prediction: ``helpers.evaluation.predict_one`` vs ``model.predict`` (and a plain
eager call of the model), the numbers behind notebook 08's snappy widgets.

    python benchmarks/predict_latency.py                      # the reference model (trained if missing)
    python benchmarks/predict_latency.py --model models/x.keras --calls 500

Each way is warmed up first (the first call traces the model), then called ``--calls`` times on one
28x28 test digit; the script prints JSON with the median and 90th percentile in milliseconds.
Target: ``predict_one`` median <= 10 ms on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from helpers import quiet_tensorflow

TARGET_MS = 10.0


def time_calls(call: Callable[[], object], calls: int, warmup: int) -> dict[str, float]:
    """Median, 90th percentile and minimum of ``calls`` timed calls, in milliseconds, after ``warmup`` calls."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 3), "p90_ms": round(times[int(0.9 * (len(times) - 1))], 3),
            "min_ms": round(times[0], 3)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras or .h5 model file (default: the reference model)")
    parser.add_argument("--calls", type=int, default=200, help="timed calls per way (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls first (default 10)")
    args = parser.parse_args(argv)
    quiet_tensorflow()
    from helpers.data import TEST_DIR, load_arrays
    from helpers.evaluation import predict_one
    from helpers.model_files import load_model
    from helpers.paths import display_path
    from helpers.training import load_or_train_reference

    model = load_model(args.model) if args.model else load_or_train_reference()
    image = load_arrays(TEST_DIR)[0][0]  # (28, 28, 1)
    batch = image.reshape(1, 28, 28, 1)
    first = time.perf_counter()
    expected = predict_one(model, image)
    first_call_ms = (time.perf_counter() - first) * 1000
    np.testing.assert_allclose(np.asarray(model.predict(batch, verbose=0))[0], expected, atol=1e-5)
    ways = {
        "predict_one": lambda: predict_one(model, image),
        "model_call": lambda: np.asarray(model(batch, training=False)),
        "model.predict": lambda: model.predict(batch, verbose=0),
    }
    results = {name: time_calls(call, args.calls, args.warmup) for name, call in ways.items()}
    report = {
        "model": display_path(args.model) if args.model else "reference (models/mnist_cnn_model.keras)",
        "calls": args.calls,
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "predict_one_first_call_ms": round(first_call_ms, 1),
        **results,
        "target_median_ms": TARGET_MS,
        "predict_one_meets_target": results["predict_one"]["median_ms"] <= TARGET_MS,
        "speedup_vs_predict": round(results["model.predict"]["median_ms"] / results["predict_one"]["median_ms"], 1),
    }
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
