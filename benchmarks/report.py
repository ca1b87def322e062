"""Results as Markdown, one table comparing machines, and reading and writing result files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from benchmarks.runner import REFERENCE_SEED_EPOCH_S, check_targets
from benchmarks.workers import PIPELINES
from helpers.errors import CourseError


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
    run = report.get("run", {})
    lines = [
        f"Run: {run.get('date', 'date not recorded')}, commit {run.get('commit') or 'not recorded'}"
        + (" (with uncommitted changes)" if run.get("dirty") else "")
        + f", `{run.get('command', '?')}`.",
        f"Machine: {machine_label(report)}; {machine['cpu_count']} CPU cores, {machine['memory_gb']} GB memory, "
        f"Python {machine['python']}, " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + ".",
        f"Medians of {config['runs']} runs; epoch times: {config['epochs_per_run']} epochs per run, the first "
        f"dropped; batch size {config['batch_size']}; validation on the test split included in each epoch.",
        "",
        "| pipeline (seed CNN, batch 32) | s/epoch | training images/s* | vs ImageDataGenerator |",
        "|---|---:|---:|---:|",
    ]
    seed = report["pipelines"].get("seed")
    for row in report["pipelines"].values():
        ratio = f"{seed['epoch_s'] / row['epoch_s']:.2f}x" if seed else "n/a"
        lines.append(f"| {row['label']} | {row['epoch_s']:.2f} | {row['images_per_s']:,.0f} | {ratio} |")
    lines += ["", "\\* training images divided by the epoch time, which also validates on the test split."]
    if report.get("ablation"):
        course = report["pipelines"]["course"]
        lines += [
            "",
            "| one setting changed | s/epoch | time vs the course |",
            "|---|---:|---:|",
            f"| {course['label']} | {course['epoch_s']:.2f} | 1.00x |",
            f"| course, but 1 batch per call (the tf.data row above) | {report['pipelines']['tfdata']['epoch_s']:.2f}"
            f" | {report['pipelines']['tfdata']['epoch_s'] / course['epoch_s']:.2f}x |",
        ]
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
        "| training peak memory (RSS, the highest of the runs) | "
        + ("n/a" if training["peak_rss_mb"] is None else f"{training['peak_rss_mb'] / 1024:.2f} GB")
        + " |",
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
        lines += [
            "",
            "Larger batches (not the seed's recipe, which trains with 32): how close training gets to the matmul.",
            "",
            "| batch size | s/epoch | training images/s | training FLOP/s | of the matmul |",
            "|---:|---:|---:|---:|---:|",
            f"| {report['pipelines'][flops['pipeline']]['batch_size']} | "
            f"{report['pipelines'][flops['pipeline']]['epoch_s']:.3f} | "
            f"{report['pipelines'][flops['pipeline']]['images_per_s']:,.0f} | "
            f"{flops['achieved_gflops']:,.1f} GFLOP/s | {flops['fraction_of_matmul']:.1%} |",
        ]
        for row in report["batch_sweep"]:
            if "error" in row:
                lines.append(f"| {row['batch_size']} | failed: {row['error'][:120]} | | | |")
                continue
            lines.append(
                f"| {row['batch_size']} | {row['epoch_s']:.3f} | {row['images_per_s']:,.0f} | "
                f"{row['achieved_gflops']:,.1f} GFLOP/s | {row['fraction_of_matmul']:.1%} |"
            )
    lines.append("")
    if "reference_scale" in report:
        lines.append(
            f"The seed's pipeline takes {report['pipelines']['seed']['epoch_s']:.2f} s/epoch here against "
            f"{REFERENCE_SEED_EPOCH_S} s on the machine the targets are stated for (ratio "
            f"{1 / report['reference_scale']:.2f}); times are judged scaled to that machine."
        )
    else:
        lines.append("Times are judged as measured (the seed's pipeline was not timed on the bundled dataset here).")
    lines += [
        "",
        "| target | median here | at reference speed | target | met (median) | runs that met it |",
        "|---|---:|---:|---:|:---:|:---:|",
    ]
    for row in report["targets"]:
        value = "n/a" if row["value"] is None else f"{row['value']:g}{row['unit']}"
        scaled = "" if row["scaled"] is None else f"{row['scaled']:g}{row['unit']}"
        sign = ">=" if row["at_least"] else "<="
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        lines.append(
            f"| {row['name']} | {value} | {scaled} | {sign} {row['target']:g}{row['unit']} | {met} | {runs_met(row)} |"
        )
    if not report["config"].get("judged", True):
        lines += ["", "A smoke run (`--tiny`): its figures mean nothing, and no target is judged."]
    return "\n".join(lines) + "\n"


def runs_met(row: dict[str, Any]) -> str:
    """``2 of 3`` runs met a target; ``n/a`` where nothing was judged."""
    if row.get("runs_judged") is None:
        return "n/a"
    if not row["runs_judged"]:
        return "n/a"
    return f"{row['runs_met']} of {row['runs_judged']}"


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
        pipelines, training, latency, flops = (
            report["pipelines"],
            report["training"],
            report["latency"],
            report["flops"],
        )
        course = pipelines.get("course") or pipelines["arrays"]
        seed = pipelines.get("seed")
        values = {
            "seed": f"{seed['epoch_s']:.2f} s ({seed['images_per_s']:,.0f} img/s)" if seed else "n/a",
            "course": f"{course['epoch_s']:.2f} s ({course['images_per_s']:,.0f} img/s)",
            "feed": course["label"].split(" + ")[0].replace("course: ", ""),
            "speedup": (
                f"{report['speedup_tfdata_only']:.2f}x ({report['speedup_vs_seed']:.2f}x with 50 batches per call)"
            )
            if "speedup_tfdata_only" in report
            else "n/a",
            "train": f"{training['wall_s']:.1f} s",
            "accuracy": _accuracy_cell(training),
            "rss": "n/a" if training["peak_rss_mb"] is None else f"{training['peak_rss_mb'] / 1024:.2f} GB",
            "one": f"{latency['predict_one']['median_ms']:.2f} ms",
            "call": f"{latency['model_call']['median_ms']:.2f} ms",
            "predict": f"{latency['model_predict']['median_ms']:.1f} ms",
            "batched": f"{latency['batched']['images_per_s']:,.0f} img/s",
            "flops": f"{flops['achieved_gflops']:,.0f} / {flops['matmul']['gflops']:,.0f} GFLOP/s "
            f"= {flops['fraction_of_matmul']:.1%}" + (" (TF32)" if "strict_float32_gflops" in flops["matmul"] else ""),
            "runs": str(report["config"]["runs"]),
            "met": ", ".join(
                f"{short} {runs_met(row)}"
                for short, row in zip(
                    ("speed-up", "training", "latency", "memory", "FLOP/s"),
                    check_targets(report, report["config"].get("judged", True)),
                )
            ),
            "sweep": ", ".join(
                f"batch {row['batch_size']}: "
                + (f"{row['fraction_of_matmul']:.1%}" if "error" not in row else "failed")
                for row in report.get("batch_sweep", [])
            )
            or "not measured",
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
        ("targets met, per run (judged again from the figures)", "met"),
    ]
    header = "| | " + " | ".join(machine_label(r) for r in reports) + " |"
    lines = [header, "|---|" + "---:|" * len(reports)]
    columns = [column(report) for report in reports]
    lines += [f"| {title} | " + " | ".join(values[key] for values in columns) + " |" for title, key in rows]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out_dir: Path | str, label: str) -> tuple[Path, Path]:
    """Write ``<label>.json`` and ``<label>.md`` into ``out_dir`` (created; never inside ``data/``).  A
    result is never overwritten: where ``<label>.json`` or ``.md`` exists already, the files get the run's
    date and time in their name instead.  Each file is written whole or not at all."""
    folder = prepare_out_dir(out_dir)
    stamp = report.get("run", {}).get("date", "").replace(":", "").replace("+0000", "Z")
    names = [label, f"{label}-{stamp}" if stamp else f"{label}-{os.getpid()}"]
    texts = {".json": json.dumps(report, indent=1) + "\n", ".md": markdown(report)}
    for name in names:
        paths = [folder / f"{name}{suffix}" for suffix in texts]
        if not any(os.path.lexists(path) for path in paths):
            break
    else:
        raise CourseError(f"results exist already, not overwritten: {paths[0]}")
    written = []
    try:
        for path, text in zip(paths, texts.values()):
            written.append(_write_new(path, text))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written[0], written[1]


def _write_new(path: Path, text: str) -> Path:
    """Write a new file: through a temporary file and a hard link, which fails if ``path`` exists."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.link(tmp, path)
    except FileExistsError:
        raise CourseError(f"results exist already, not overwritten: {path}") from None
    except OSError as exc:
        raise CourseError(f"cannot write {path}: {exc.strerror or exc.__class__.__name__}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def prepare_out_dir(out_dir: Path | str, create: bool = True) -> Path:
    """Check the results folder (``helpers.model_files.check_output_place``: not inside ``data/``, not a
    file, writable); create it if ``create``.  ``python -m benchmarks`` checks with ``create=False``
    *before* minutes of measuring."""
    from helpers.model_files import check_output_place

    folder = check_output_place(out_dir, folder=True)
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CourseError(
                f"cannot create the results folder ({exc.strerror or exc.__class__.__name__}): {folder}"
            ) from None
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
