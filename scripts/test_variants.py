"""Run the notebooks under perturbations that change every trained weight (``make test-variants``).

Trained weights differ from machine to machine; these variants make this machine train other weights, and
the notebooks must still pass (``benchmarks/spread.py`` measures how far each one moves the asserted figures):

    seed        COURSE_SEED=7: every notebook trains from another seed.  The outputs that depend on the
                seed legitimately differ from the committed ones, so only the notebooks' own checks (their
                asserts, and no error anywhere) are tested: ``pytest --nbval-lax``.
    onednn-off  TF_ENABLE_ONEDNN_OPTS=0: TensorFlow's plain kernels instead of oneDNN's.  Strict nbval, as
                ``make test`` on another machine would run it: every compared output must match.
    onednn-on   TF_ENABLE_ONEDNN_OPTS=1: oneDNN's kernels forced on.  Strict.  (Which of the two changes
                the weights depends on the CPU: on a 2-core AMD EPYC without AVX-512, TensorFlow's default
                gave the same weights as oneDNN off, and forcing it on changed them.)
    one-thread  TF_NUM_INTRAOP_THREADS=1: one thread per operation, other summation orders.  Strict.  It
                changes the weights on any machine with more than one core, so CI runs this one.

Each variant trains its own models in ``models/variants/NAME/`` (``COURSE_MODELS_DIR``), from scratch, and
never touches ``models/``.

    python scripts/test_variants.py                       # all three, then a table
    python scripts/test_variants.py one-thread            # one of them
    python scripts/test_variants.py one-thread --notebooks 04 11   # only these notebooks (what CI runs: the
                                                                   # ones that train their models)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VARIANTS = {
    "seed": ({"COURSE_SEED": "7"}, ["--nbval-lax"]),
    "onednn-off": ({"TF_ENABLE_ONEDNN_OPTS": "0"}, ["--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]),
    "onednn-on": ({"TF_ENABLE_ONEDNN_OPTS": "1"}, ["--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]),
    "one-thread": ({"TF_NUM_INTRAOP_THREADS": "1"}, ["--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]),
}
# the notebooks whose outputs or asserts depend on trained weights (01 trains nothing)
NOTEBOOKS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb") if p.name[:2] != "01"
)


def run_variant(name: str, extra: list[str], notebooks: list[str] = NOTEBOOKS) -> tuple[int, float]:
    env_vars, flags = VARIANTS[name]
    models = REPO / "models" / "variants" / name
    shutil.rmtree(models, ignore_errors=True)  # train everything under this variant's arithmetic
    env = {**os.environ, **env_vars, "COURSE_MODELS_DIR": str(models), "PYTHONHASHSEED": "0"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval-current-env",
        *flags,
        "-p",
        "no:cacheprovider",
        *notebooks,
        *extra,
    ]
    print(f"\n=== variant {name}: {' '.join(f'{k}={v}' for k, v in env_vars.items())}", flush=True)
    started = time.perf_counter()
    status = subprocess.call(command, cwd=REPO, env=env)
    return status, time.perf_counter() - started


def pick_notebooks(prefixes: list[str]) -> list[str]:
    """The notebooks among ``NOTEBOOKS`` whose names start with one of ``prefixes`` (``["04", "10"]``)."""
    picked = [path for path in NOTEBOOKS if Path(path).name[:2] in prefixes]
    unknown = sorted(set(prefixes) - {Path(path).name[:2] for path in picked})
    if unknown:
        known = ", ".join(Path(path).name[:2] for path in NOTEBOOKS)
        raise ValueError(f"no notebook {unknown[0]!r} among the variants' notebooks ({known})")
    return picked


def main(argv: list[str]) -> int:
    notebooks = NOTEBOOKS
    if "--notebooks" in argv:
        at = argv.index("--notebooks")
        prefixes = []
        while at + 1 < len(argv) and argv[at + 1][:2].isdigit():
            prefixes.append(argv.pop(at + 1)[:2])
        argv.pop(at)
        try:
            notebooks = pick_notebooks(prefixes)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    names = [arg for arg in argv if arg in VARIANTS] or list(VARIANTS)
    extra = [arg for arg in argv if arg not in VARIANTS]  # pytest's options, e.g. -x or -p no:cacheprovider
    unknown = [
        arg for i, arg in enumerate(extra) if not arg.startswith("-") and not (i and extra[i - 1].startswith("-"))
    ]
    if unknown:
        print(f"error: unknown variant {unknown[0]!r}; choose from: {', '.join(VARIANTS)}", file=sys.stderr)
        return 2
    results = {name: run_variant(name, extra, notebooks) for name in names}
    print("\n| variant | settings | result | time |\n|---|---|---|---:|")
    for name, (status, seconds) in results.items():
        settings = " ".join(f"{k}={v}" for k, v in VARIANTS[name][0].items())
        print(f"| {name} | {settings} | {'passed' if status == 0 else f'FAILED ({status})'} | {seconds / 60:.1f} min |")
    return max(status for status, _ in results.values())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
