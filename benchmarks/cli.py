"""``python -m benchmarks``: measure, or compare saved results (``--table``).

    python -m benchmarks                           # 3 runs -> benchmarks/runs/<machine>-<date>.json and .md
    python -m benchmarks --out benchmarks/results  # results to commit: <machine>.json, never overwritten
    python -m benchmarks --tiny                    # a smoke run: seconds, nothing judged
    python -m benchmarks --table benchmarks/results/*.json

A user's mistake exits with status 2 and one line ``error: ...``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks.report import comparison_table, markdown, prepare_out_dir, read_report, write_report
from benchmarks.runner import run_bench
from benchmarks.workers import worker_main
from helpers.cli import CourseParser, positive_int
from helpers.errors import CourseError
from helpers.paths import BUNDLED_DATASET, REPO_ROOT, display_path

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
"""Committed results, one pair of files per machine, as measured (notes beside them: ``<label>.notes.md``)."""
RUNS_DIR = REPO_ROOT / "benchmarks" / "runs"
"""Where a run without ``--out`` writes (not in git)."""


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python -m benchmarks``."""
    parser = CourseParser(
        prog="python -m benchmarks",
        description=__doc__.split("\n")[0].strip("`"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n" + "\n".join(__doc__.split("\n")[2:6]),
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m benchmarks``."""
    parser.add_argument(
        "--runs", type=positive_int, default=3, help="runs per measurement; figures are medians (default 3)"
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=5, help="epochs per pipeline run; the first is not timed (default 5)"
    )
    parser.add_argument(
        "--train-epochs",
        type=positive_int,
        default=20,
        help="epochs of the whole-process training run (default 20, the course's)",
    )
    parser.add_argument("--calls", type=positive_int, default=200, help="timed one-image predictions (default 200)")
    parser.add_argument("--matmul-size", type=positive_int, default=4096, help="matrix size (default 4096)")
    parser.add_argument("--train", type=Path, default=BUNDLED_DATASET, metavar="DIR", help="training images")
    parser.add_argument("--test", type=Path, default=BUNDLED_DATASET, metavar="DIR", help="test images")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"write LABEL.json and LABEL.md there, never over an existing result (default: "
        f"{display_path(RUNS_DIR)}/LABEL-DATE.json, not in git)",
    )
    parser.add_argument("--label", default=None, help="file name for the results (default: from the machine)")
    parser.add_argument(
        "--batch-sizes",
        nargs="+",
        type=positive_int,
        default=[],
        metavar="N",
        help="also time the course pipeline at these batch sizes (not the seed's recipe): how close "
        "larger batches get to the hardware's limit",
    )
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="also time the course pipeline with one setting changed: tf.data's autotuner on, XLA",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="a seconds-long smoke run: 1 run, 2 epochs, 1-epoch training, small matmul; no target is "
        "judged, and it is never written to benchmarks/results",
    )
    parser.add_argument(
        "--table",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="print one Markdown table comparing these reports, and measure nothing",
    )


def command(args: argparse.Namespace, argv: list[str]) -> int:
    """Run ``python -m benchmarks`` with parsed arguments (``argv``: the command line, recorded)."""
    if args.table:
        reports = [read_report(path) for path in args.table]
        try:
            table = comparison_table(reports)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CourseError(
                f"incomplete benchmark report (no {exc}) among: {', '.join(map(str, args.table))}"
            ) from None
        print(table, end="")
        return 0
    if args.label is not None and not all(c.isalnum() or c in "-_." for c in args.label):
        raise CourseError(f"--label may hold letters, digits, '-', '_' and '.' only: {args.label!r}")
    if args.tiny and args.out is not None and args.out.resolve() == RESULTS_DIR.resolve():
        raise CourseError(f"a --tiny smoke run is not a result to commit: not written to {display_path(RESULTS_DIR)}")
    out = RUNS_DIR if args.out is None else args.out
    prepare_out_dir(out, create=False)
    options: dict[str, Any] = {
        "runs": args.runs,
        "epochs": args.epochs,
        "train_epochs": args.train_epochs,
        "latency_calls": args.calls,
        "matmul_size": args.matmul_size,
        "batch_sizes": tuple(args.batch_sizes),
        "ablation": args.ablation,
    }
    if args.tiny:
        options.update(runs=1, epochs=2, train_epochs=1, latency_calls=5, matmul_size=256, judge=False)
    report = run_bench(
        train_dir=args.train, test_dir=args.test, argv=argv, log=lambda line: print(line, flush=True), **options
    )
    label = args.label or _default_label(report) + ("-tiny" if args.tiny else "")
    if args.out is None:
        label += "-" + report["run"]["date"].replace(":", "").replace("+0000", "Z")
    json_path, md_path = write_report(report, out, label)
    print()
    print(markdown(report), end="")
    print(f"\nwrote {display_path(json_path)} and {display_path(md_path)}")
    return 0


def _default_label(report: dict[str, Any]) -> str:
    """``cpu-2core-tensorflow`` or ``nvidia-h100-80gb-hbm3-jax``: the machine and the backend."""
    device = report["flops"]["matmul"]["device"]
    name = f"cpu-{report['machine']['cpu_count']}core" if device == "CPU" else device.lower().replace(" ", "-")
    return "".join(c for c in f"{name}-{report['machine']['backend']}" if c.isalnum() or c in "-_.")


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m benchmarks``; return the exit status (0 ok, 2 a user's mistake, 130 interrupted)."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 3 and argv[0] == "--worker":
        return worker_main(argv)
    try:
        return command(build_parser().parse_args(argv), argv)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (no results were written)", file=sys.stderr)
        return 130
