"""Runs the workers, one fresh process each, takes the medians and judges the targets on every run."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.flops import course_epoch_flops, flops_per_image
from benchmarks.workers import PIPELINES, RESULT_MARK, VARIANTS, backend, median
from helpers.errors import CourseError
from helpers.paths import BUNDLED_DATASET, REPO_ROOT, display_path

REFERENCE_SEED_EPOCH_S = 2.4
"""Seconds per epoch of the seed's ImageDataGenerator pipeline on the machine the targets are stated for."""

TARGETS = {
    "speedup": 1.3,  # course pipeline vs ImageDataGenerator, per epoch, at least
    "train_wall_s": 45.0,  # 20-epoch training, whole process, at most (reference machine)
    "latency_ms": 10.0,  # one-image prediction, median, at most (reference machine)
    "peak_rss_gb": 1.5,  # training process, at most
    "flops_fraction": 0.25,  # training FLOP/s / matmul FLOP/s, at least
}


def run_process(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command`` to the end; return its wall time, its CPU time (user + system, all threads), peak RSS
    (MB; both from the OS's accounting of that one child) and output.  A failing command raises
    ``CourseError`` with its last line of stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=REPO_ROOT)
        peak_mb = cpu = None
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            peak_mb = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
            cpu = round(usage.ru_utime + usage.ru_stime, 2)
        else:  # pragma: no cover - Windows
            process.wait()
            wall = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise CourseError(
            f"benchmark step failed (exit {process.returncode}): {' '.join(command[2:5])}: {failure_line(stderr)}"
        )
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": None if peak_mb is None else round(peak_mb, 1),
        "stdout": stdout,
    }


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
    run = run_process([sys.executable, "-m", "benchmarks", "--worker", name, json.dumps(options)], _env())
    for line in reversed(run["stdout"].splitlines()):
        if line.startswith(RESULT_MARK):
            return {**json.loads(line[len(RESULT_MARK) :]), "process_wall_s": round(run["wall_s"], 2)}
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
    if backend() == "tensorflow":
        run = run_process(
            [
                sys.executable,
                "-m",
                "helpers",
                "train",
                "--train",
                train_dir,
                "--val",
                test_dir,
                "--epochs",
                str(epochs),
                "--out",
                str(out),
            ],
            _env(),
        )
        done = [line for line in run["stdout"].splitlines() if line.startswith("done in")]
        words = done[-1].split() if done else []
        metrics = {key: float(words[i + 1]) for i, key in enumerate(words) if key in ("val_accuracy", "val_loss")}
        command = "python -m helpers train"
    else:
        started = time.perf_counter()
        result = run_worker(
            "epochs", pipeline="arrays", train_dir=train_dir, test_dir=test_dir, epochs=epochs, save=str(out)
        )
        run = {"wall_s": time.perf_counter() - started, "peak_rss_mb": result["worker_peak_rss_mb"]}
        metrics = {"val_accuracy": result["val_accuracy"], "val_loss": result["val_loss"]}
        command = "worker: numpy arrays, fit, save"
    if not out.is_file():
        raise CourseError(f"training wrote no model file: {out}")
    return {"wall_s": round(run["wall_s"], 2), "peak_rss_mb": run["peak_rss_mb"], "command": command, **metrics}


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
    from helpers.provenance import package_versions

    versions = {
        name: version
        for name, version in package_versions(("tensorflow", "keras", "jax", "numpy")).items()
        if version is not None
    }
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory_gb": memory_gb,
        "system": platform.system(),
        "python": platform.python_version(),
        "backend": backend(),
        "versions": versions,
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def git_commit() -> dict[str, Any]:
    """The commit the benchmark ran at, and whether the working tree had changes (``None`` outside git)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": None if status is None else bool(status)}


def run_record(argv: list[str]) -> dict[str, Any]:
    """What made a result: the commit, the date (UTC) and the command line."""
    import shlex

    return {
        **git_commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks", *map(shlex.quote, argv)]),
    }


def summarize_runs(label: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """One row of the report from the worker results of several runs of the same pipeline: the median
    over runs of each run's median steady epoch, and the per-run figures."""
    epoch_s = median([median(r["epoch_seconds"]) for r in results])
    return {
        "label": label,
        "runs": len(results),
        "batch_size": results[0]["batch_size"],
        "epoch_s": round(epoch_s, 3),
        "train_images": results[0]["train_images"],
        "val_images": results[0]["val_images"],
        "images_per_s": round(results[0]["train_images"] / epoch_s, 1),
        "first_epoch_s": round(median([r["first_epoch_s"] for r in results]), 3),
        "val_accuracy": round(median([r["val_accuracy"] for r in results]), 4),
        "steps_per_execution": results[0]["steps_per_execution"],
        "per_run_epoch_s": [round(median(r["epoch_seconds"]), 3) for r in results],
    }


def run_bench(
    runs: int = 3,
    epochs: int = 5,
    train_epochs: int = 20,
    latency_calls: int = 200,
    matmul_size: int = 4096,
    train_dir: Path | str = BUNDLED_DATASET / "train",
    test_dir: Path | str = BUNDLED_DATASET / "test",
    batch_sizes: tuple[int, ...] = (),
    ablation: bool = False,
    judge: bool = True,
    argv: list[str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure everything (see the module docstring) and return the report as a dict.

    ``batch_sizes`` also times the course's pipeline at those batch sizes (not the seed's recipe, which
    trains with 32): how much closer to the hardware's limit larger batches get.  ``ablation`` also times
    the course's pipeline with one setting changed (``VARIANTS``; TensorFlow only).  ``judge=False`` (a
    smoke run) records the figures without judging the targets.  ``argv`` is the command line recorded.
    """
    from helpers.data import load_arrays, resolve_split

    train_dir, test_dir = str(resolve_split(train_dir, "train")), str(resolve_split(test_dir, "test"))
    load_arrays(train_dir), load_arrays(test_dir)  # decode every image here: a bad one is named before any run
    keras_backend = backend()
    pipelines = ["seed", "tfdata", "course"] if keras_backend == "tensorflow" else ["arrays"]
    variants = list(VARIANTS) if ablation and keras_backend == "tensorflow" else []
    report: dict[str, Any] = {
        "run": run_record(argv or []),
        "machine": machine_info(),
        "config": {
            "runs": runs,
            "epochs_per_run": epochs,
            "batch_size": 32,
            "train_epochs": train_epochs,
            "ablation": variants,
            "latency_calls": latency_calls,
            "matmul_size": matmul_size,
            "batch_sizes": list(batch_sizes),
            "train_dir": display_path(train_dir),
            "test_dir": display_path(test_dir),
            "judged": judge,
        },
    }
    log(f"machine: {report['machine']['cpu']}, {report['machine']['cpu_count']} cores, backend {keras_backend}")
    log(
        f"each figure is the median of {runs} run(s); epoch times drop each run's first epoch "
        f"({epochs} epochs per run, {max(epochs - 1, 1)} timed)"
    )

    per_pipeline: dict[str, list[dict]] = {name: [] for name in pipelines + variants}
    for run in range(runs):  # the pipelines take turns, so a slow spell of the machine hits each alike
        for name in pipelines + variants:
            options = {"pipeline": name} if name in PIPELINES else {"pipeline": "course", "variant": name}
            result = run_worker("epochs", train_dir=train_dir, test_dir=test_dir, epochs=epochs, **options)
            per_pipeline[name].append(result)
            log(
                f"  run {run + 1}/{runs} {PIPELINES.get(name) or VARIANTS[name]}: "
                f"{median(result['epoch_seconds']):.2f} s/epoch"
            )
    report["pipelines"] = {name: summarize_runs(PIPELINES[name], per_pipeline[name]) for name in pipelines}
    if variants:
        report["ablation"] = {name: summarize_runs(VARIANTS[name], per_pipeline[name]) for name in variants}
    fastest = "course" if keras_backend == "tensorflow" else "arrays"
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
            log(
                f"  run {run + 1}/{runs} {train_epochs}-epoch training: {trainings[-1]['wall_s']:.1f} s, "
                f"peak {trainings[-1]['peak_rss_mb'] or 0:.0f} MB, "
                f"test accuracy {trainings[-1].get('val_accuracy') or 0:.4f}"
            )
    report["training"] = {
        "command": trainings[0]["command"],
        "epochs": train_epochs,
        "runs": runs,
        "wall_s": round(median([t["wall_s"] for t in trainings]), 2),
        "per_run_wall_s": [t["wall_s"] for t in trainings],
        "peak_rss_mb": max((t["peak_rss_mb"] for t in trainings if t["peak_rss_mb"] is not None), default=None),
        "val_accuracy": _median_or_none([t.get("val_accuracy") for t in trainings]),
        "val_loss": _median_or_none([t.get("val_loss") for t in trainings]),
        "per_run_val_accuracy": [t.get("val_accuracy") for t in trainings],
        "per_run_peak_rss_mb": [t["peak_rss_mb"] for t in trainings],
    }

    latencies = [run_worker("latency", test_dir=test_dir, calls=latency_calls, repeats=3) for _ in range(runs)]
    report["latency"] = {
        **latencies[0],
        "runs": runs,
        "per_run_predict_one_ms": [r["predict_one"]["median_ms"] for r in latencies],
    }
    for way in ("predict_one", "model_call", "model_predict"):
        report["latency"][way] = {
            **latencies[0][way],
            "median_ms": round(median([r[way]["median_ms"] for r in latencies]), 3),
        }
    log(
        f"latency: predict_one {report['latency']['predict_one']['median_ms']:.2f} ms (median of "
        f"{latency_calls} calls), model(x) {report['latency']['model_call']['median_ms']:.2f} ms, model.predict "
        f"{report['latency']['model_predict']['median_ms']:.2f} ms"
    )

    matmuls = [run_worker("matmul", size=matmul_size, repeats=5) for _ in range(runs)]
    matmul = {
        **matmuls[0],
        "gflops": round(median([m["gflops"] for m in matmuls]), 1),
        "runs": runs,
        "per_run_gflops": [m["gflops"] for m in matmuls],
    }
    if "strict_float32_gflops" in matmul:
        matmul["strict_float32_gflops"] = round(median([m["strict_float32_gflops"] for m in matmuls]), 1)
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    from helpers.model import build_cnn

    flops = flops_per_image(build_cnn())
    epoch_flops = course_epoch_flops(flops, course)
    achieved = epoch_flops / course["epoch_s"] / 1e9
    report["flops"] = {
        "forward_per_image": flops["forward"],
        "training_per_image": flops["training"],
        "per_epoch": epoch_flops,
        "achieved_gflops": round(achieved, 1),
        "pipeline": fastest,
        "matmul": matmul,
        "fraction_of_matmul": round(achieved / matmul["gflops"], 3),
    }
    log(
        f"training {achieved:.0f} GFLOP/s vs matmul {matmul['gflops']:.0f} GFLOP/s: "
        f"{report['flops']['fraction_of_matmul']:.0%}"
    )
    if batch_sizes:
        report["batch_sweep"] = []
        for size in batch_sizes:
            try:
                results = [
                    run_worker(
                        "epochs",
                        pipeline=fastest,
                        train_dir=train_dir,
                        test_dir=test_dir,
                        epochs=epochs,
                        batch_size=size,
                    )
                    for _ in range(runs)
                ]
            except CourseError as exc:  # an optional extra: keep everything measured so far
                report["batch_sweep"].append({"batch_size": size, "error": str(exc)})
                log(f"  batch {size}: failed, {exc}")
                continue
            row = summarize_runs(f"{PIPELINES[fastest]}, batch {size}", results)
            gflops = course_epoch_flops(flops, row) / row["epoch_s"] / 1e9
            row.update(achieved_gflops=round(gflops, 1), fraction_of_matmul=round(gflops / matmul["gflops"], 3))
            report["batch_sweep"].append(row)
            log(
                f"  batch {size}: {row['epoch_s']:.3f} s/epoch, {gflops:.0f} GFLOP/s = "
                f"{row['fraction_of_matmul']:.1%} of the matmul"
            )
    report["targets"] = check_targets(report, judge)
    return report


def _median_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 4) if present else None


def _is_bundled(train_dir: str, test_dir: str) -> bool:
    from helpers.paths import TEST_DIR, TRAIN_DIR

    return Path(train_dir).resolve() == TRAIN_DIR.resolve() and Path(test_dir).resolve() == TEST_DIR.resolve()


def _per_run(report: dict[str, Any]) -> dict[str, list[float | None]]:
    """Each target's figure in every run, as far as the report holds them (older reports keep fewer:
    then the one figure they have stands for every run: the highest memory of all runs, the median
    matrix product)."""
    pipelines, training, latency, flops = (report["pipelines"], report["training"], report["latency"], report["flops"])
    runs = report["config"]["runs"]
    course = pipelines[flops["pipeline"]]
    speedups: list[float | None] = [None] * runs
    if "seed" in pipelines:
        rival = pipelines.get("tfdata") or course
        speedups = [round(s / c, 2) for s, c in zip(pipelines["seed"]["per_run_epoch_s"], rival["per_run_epoch_s"])]
    peaks = training.get("per_run_peak_rss_mb") or [training["peak_rss_mb"]] * runs
    matmuls = flops["matmul"].get("per_run_gflops") or [flops["matmul"]["gflops"]] * runs
    epoch_flops = flops["per_epoch"]
    return {
        "speedup": speedups,
        "train_wall_s": list(training.get("per_run_wall_s") or [training["wall_s"]] * runs),
        "latency_ms": list(latency.get("per_run_predict_one_ms") or [latency["predict_one"]["median_ms"]] * runs),
        "peak_rss_gb": [None if p is None else round(p / 1024, 2) for p in peaks],
        "flops_fraction": [round(epoch_flops / e / 1e9 / m, 3) for e, m in zip(course["per_run_epoch_s"], matmuls)],
    }


def check_targets(report: dict[str, Any], judge: bool = True) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value (the median), whether it is met, and in how many
    of the runs it was met (``runs_met`` of ``runs``).  ``judge=False`` (a smoke run): nothing is judged.

    Times are stated for the reference machine: where the seed's pipeline was measured here on the
    bundled dataset, a time is also given scaled to that machine (``scaled``) and the target is judged
    on it; otherwise on the time measured here.
    """
    scale = report.get("reference_scale")
    per_run = _per_run(report)
    rows = []

    def add(key: str, name: str, value: float | None, at_least: bool, unit: str, timed: bool = False) -> None:
        target = TARGETS[key]

        def scaled_value(v: float | None) -> float | None:
            return round(v * scale, 2) if timed and scale is not None and v is not None else None

        def met(v: float | None) -> bool | None:
            judged = scaled_value(v) if scaled_value(v) is not None else v
            if judged is None or not judge:
                return None
            return judged >= target if at_least else judged <= target

        verdicts = [met(v) for v in per_run[key]]
        rows.append(
            {
                "name": name,
                "value": value,
                "scaled": scaled_value(value),
                "target": target,
                "at_least": at_least,
                "unit": unit,
                "met": met(value),
                "per_run": per_run[key],
                "runs_met": sum(v is True for v in verdicts) if judge else None,
                "runs_judged": sum(v is not None for v in verdicts) if judge else None,
            }
        )

    # the pipeline alone (same model, same compile), as the target asks; the course's compile adds more
    add(
        "speedup",
        "course tf.data vs ImageDataGenerator, same compile, per epoch",
        report.get("speedup_tfdata_only", report.get("speedup_vs_seed")),
        True,
        "x",
    )
    add(
        "train_wall_s",
        f"{report['training']['epochs']}-epoch training, whole process",
        report["training"]["wall_s"],
        False,
        " s",
        timed=True,
    )
    add(
        "latency_ms",
        "one-image prediction latency (predict_one), median",
        report["latency"]["predict_one"]["median_ms"],
        False,
        " ms",
        timed=True,
    )
    peak = report["training"]["peak_rss_mb"]
    add("peak_rss_gb", "training peak memory (RSS)", None if peak is None else round(peak / 1024, 2), False, " GB")
    add("flops_fraction", "training FLOP/s / float32 matmul FLOP/s", report["flops"]["fraction_of_matmul"], True, "")
    return rows
