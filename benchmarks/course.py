"""How long the whole course takes, against the reference recipe's training measured in the same run.

In one run, on one machine, one step after the other:

1. the yardstick: the seed's ``ImageDataGenerator`` pipeline, 4 epochs, seconds per epoch (median of epochs
   2-4). The course's targets are stated for a machine where it takes 2.4 s, so times here are scaled by
   2.4 / yardstick to say what they would be there;
2. ``python -m helpers train`` (the reference recipe, 20 epochs), a whole process: the unit of time;
3. ``python -m helpers train --recipe improved``, a whole process (target: at most 3x the reference);
4. a fresh ``git clone`` of the current commit with its own ``make setup`` (installing is not timed), then:

   a. every notebook, top to bottom, in order, each in a new kernel, starting with no ``models/`` (the notebooks
      train what they need): target at most 10x the reference training;
   b. ``make test`` (unit tests and strict nbval), again starting with no ``models/``: target at most 6x the
      reference training;
5. with ``--ci``: ``.ci/run`` in another fresh clone (CI's whole run, set-up included): target at most 25x the
   reference training.

    python -m benchmarks.course                  # steps 1-4 (about 45 min on a 2-core laptop)
    python -m benchmarks.course --skip-make-test # steps 1-4a
    python -m benchmarks.course --skip-improved --skip-course --ci   # the test budgets: steps 1, 2, 4b and 5

Writes ``benchmarks/results/course/course.json`` and ``course.md``; exit status 1 if a target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.runner import REFERENCE_SEED_EPOCH_S, _env, machine_info, run_process, run_record, run_worker  # noqa: E402
from benchmarks.workers import median  # noqa: E402
from helpers.errors import CourseError  # noqa: E402

OUT_DIR = REPO / "benchmarks" / "results" / "course"
TARGETS = {"improved_ratio": 3.0, "course_ratio": 10.0, "make_test_ratio": 6.0, "ci_ratio": 25.0}


def yardstick() -> float:
    """Seconds per epoch of the seed's ImageDataGenerator pipeline here (median of epochs 2-4)."""
    options = {
        "pipeline": "seed",
        "train_dir": "data/reduced_mnist/train",
        "test_dir": "data/reduced_mnist/test",
        "epochs": 4,
    }
    result = run_worker("epochs", **options)
    return round(median(result["epoch_seconds"]), 3)


def timed(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, log: Path | None = None, check: bool = True
) -> tuple[float, str]:
    """Wall seconds and output of ``command`` run to the end in ``cwd`` (also written to ``log``, if given); a
    failure raises ``CourseError`` when ``check``."""
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env or _env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seconds = time.perf_counter() - started
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(done.stdout)
    if done.returncode != 0 and check:
        tail = " | ".join(done.stdout.strip().splitlines()[-3:])
        raise CourseError(f"`{' '.join(command)}` failed (exit {done.returncode}) in {seconds:.0f} s: {tail}")
    return round(seconds, 1), done.stdout


def run_notebooks(notebooks: Path) -> dict[str, float]:
    """Execute every ``NN_*.ipynb`` in ``notebooks`` in order, each in a new kernel of this interpreter, from
    that folder; nothing is saved.  Returns each notebook's wall seconds."""
    import nbformat
    from nbclient import NotebookClient

    seconds = {}
    for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        NotebookClient(
            notebook, timeout=None, kernel_name="python3", resources={"metadata": {"path": str(notebooks)}}
        ).execute()
        seconds[path.name] = round(time.perf_counter() - started, 1)
        print(f"  {path.name:34} {seconds[path.name]:6.1f} s", flush=True)
    return seconds


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown."""
    m, r = report["machine"], report["results"]
    scale = REFERENCE_SEED_EPOCH_S / r["yardstick_s"]
    lines = [
        "# The whole course against the reference recipe's training",
        "",
        f"- commit `{report['commit']}`{' (with local changes)' if report['dirty'] else ''}, {report['date']}",
        f"- command: `{report['command']}`",
        f"- machine: {m['cpu']}, {m['cpu_count']} CPUs, {m['system']}, Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f"; load average {m['load_average']}",
        f"- yardstick: the seed's ImageDataGenerator pipeline takes {r['yardstick_s']:.2f} s per epoch here, "
        f"{REFERENCE_SEED_EPOCH_S} s on the reference machine: times here x {scale:.2f} = times there",
        "",
        "| step | wall time here | x reference training | at reference speed | target | met |",
        "|---|---:|---:|---:|---|:---:|",
    ]
    for row in report["rows"]:
        there = f"{row['seconds'] * scale:.0f} s" if row.get("scaled") else ""
        met = "" if row["met"] is None else ("yes" if row["met"] else "NO")
        lines.append(
            f"| {row['step']} | {row['seconds']:.0f} s | {row['seconds'] / r['reference_s']:.2f}x | "
            f"{there} | {row['target']} | {met} |"
        )
    if r.get("notebooks_s"):
        lines += [
            "",
            "Each notebook (whole course run, no `models/` at the start):",
            "",
            "| notebook | s | x reference training |",
            "|---|---:|---:|",
        ]
        lines += [f"| {name} | {s:.0f} | {s / r['reference_s']:.2f}x |" for name, s in r["notebooks_s"].items()]
    if r.get("make_test_slowest"):
        lines += [
            "",
            f"`make test`: {r['make_test_summary']}; its slowest steps:",
            "",
            "```",
            *r["make_test_slowest"],
            "```",
        ]
    if r.get("ci_table"):
        lines += ["", "`.ci/run`'s own table:", "", *r["ci_table"]]
    lines += ["", f"All targets met: {'yes' if report['all_met'] else 'NO'}.", ""]
    return "\n".join(lines)


def rows_and_verdict(results: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """One row per step, each judged against its target (``met`` is None where there is no target)."""
    reference = results["reference_s"]
    rows = [
        {
            "step": "`python -m helpers train` (reference, 20 epochs)",
            "seconds": reference,
            "target": "the unit",
            "met": None,
            "scaled": True,
        }
    ]
    steps = [
        ("improved_s", "`python -m helpers train --recipe improved`", "improved_ratio"),
        ("course_s", "every notebook 00-11 in order, fresh clone, no models/", "course_ratio"),
        ("make_test_s", "`make test`, fresh clone, no models/", "make_test_ratio"),
        ("ci_s", "`.ci/run`, fresh clone (set-up included)", "ci_ratio"),
    ]
    for key, step, target in steps:
        if key in results:
            rows.append(
                {
                    "step": step,
                    "seconds": results[key],
                    "target": f"<= {TARGETS[target]:g}x reference",
                    "scaled": True,
                    "met": results[key] <= TARGETS[target] * reference,
                }
            )
    return rows, all(row["met"] is not False for row in rows)


def main(argv: list[str] | None = None) -> int:
    """Run every step, write ``course.json`` and ``course.md``; exit 1 if a target was missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-make-test", action="store_true", help="leave out `make test` (about half the time)")
    parser.add_argument("--skip-improved", action="store_true", help="leave out the improved recipe's training")
    parser.add_argument("--skip-course", action="store_true", help="leave out the run of every notebook")
    parser.add_argument("--ci", action="store_true", help="also time .ci/run in another fresh clone (30-45 min)")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--worker-notebooks", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_notebooks:  # run inside the clone, with the clone's own interpreter
        print("@@notebooks@@ " + json.dumps(run_notebooks(args.worker_notebooks)))
        return 0
    record = run_record(sys.argv[1:] if argv is None else argv)
    record["command"] = record["command"].replace("python -m benchmarks", "python -m benchmarks.course", 1)
    results: dict[str, Any] = {}
    print("yardstick (seed pipeline, 4 epochs) ...", end=" ", flush=True)
    results["yardstick_s"] = yardstick()
    print(f"{results['yardstick_s']:.2f} s/epoch", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for recipe in ("reference",) if args.skip_improved else ("reference", "improved"):
            print(f"train {recipe} ...", end=" ", flush=True)
            run = run_process(
                [
                    sys.executable,
                    "-m",
                    "helpers",
                    "train",
                    "--recipe",
                    recipe,
                    "--out",
                    str(scratch / f"{recipe}.keras"),
                ],
                _env(),
            )
            results[f"{recipe}_s"] = round(run["wall_s"], 1)
            print(f"{results[f'{recipe}_s']:.0f} s", flush=True)
        clone = scratch / "course"
        print("fresh clone + make setup (not timed) ...", flush=True)
        timed(["git", "clone", "--quiet", str(REPO), str(clone)], scratch)
        timed(["make", "setup"], clone)
        python = str(clone / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
        env = {**_env(), "PYTHONHASHSEED": "0"}
        if not args.skip_course:
            print("every notebook, in order, no models/:", flush=True)
            started = time.perf_counter()
            done = subprocess.run(
                [python, "-m", "benchmarks.course", "--worker-notebooks", str(clone / "notebooks")],
                cwd=clone,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            results["course_s"] = round(time.perf_counter() - started, 1)
            print(done.stdout, end="")
            if done.returncode != 0:
                raise CourseError(f"a notebook failed in the course run (exit {done.returncode})")
            results["notebooks_s"] = json.loads(done.stdout.split("@@notebooks@@ ", 1)[1])
        if not args.skip_make_test:
            subprocess.run(["rm", "-rf", str(clone / "models")], check=True)
            print("make test, no models/ ...", end=" ", flush=True)
            results["make_test_s"], output = timed(
                ["make", "test", "PYTEST_ARGS=--durations=15"],
                clone,
                log=REPO / "benchmarks" / "runs" / "make-test.log",
                check=False,
            )
            durations = output.split("slowest 15 durations", 1)[-1].strip().splitlines()
            results["make_test_slowest"] = [line for line in durations if line[:1].isdigit()]
            results["make_test_summary"] = output.strip().splitlines()[-1]
            print(f"{results['make_test_s']:.0f} s", flush=True)
        if args.ci:
            ci_clone = scratch / "ci"
            timed(["git", "clone", "--quiet", str(REPO), str(ci_clone)], scratch)
            print(".ci/run in a fresh clone ...", end=" ", flush=True)
            results["ci_s"], output = timed(
                ["bash", ".ci/run"],
                ci_clone,
                env={**os.environ, "CI": "true"},
                log=REPO / "benchmarks" / "runs" / "ci-run.log",
                check=False,
            )
            results["ci_table"] = [line for line in output.splitlines() if line.startswith("|")][-14:]
            print(f"{results['ci_s']:.0f} s", flush=True)
    rows, all_met = rows_and_verdict(results)
    report = {
        **record,
        "machine": machine_info(),
        "targets": TARGETS,
        "results": results,
        "rows": rows,
        "all_met": all_met,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "course.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out_dir / "course.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
