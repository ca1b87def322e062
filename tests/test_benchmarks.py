"""``benchmarks``: the FLOP count, the timing helpers, and ``python -m benchmarks`` run end to end on a tiny
configuration.  Benchmarks are not tests: nothing here asserts a timing, only that every figure is measured,
consistent, judged on every run and written out, never over an existing result."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support import assert_user_error, data_dir_is_never_written, run_bench  # noqa: F401  (fixture)

from benchmarks import flops as bench_flops
from benchmarks import report as bench_report
from benchmarks import runner, workers
from helpers.errors import CourseError
from helpers.model import build_cnn, build_custom_cnn
from helpers.paths import REPO_ROOT

# the maintainers' tool: `make test-maintainer`, not `make test`
pytestmark = pytest.mark.maintainer


def test_flops_of_the_seed_cnn_by_hand():
    # conv1: 26x26 outputs x 32 filters x 3x3x1; conv2: 11x11 x 64 x 3x3x32; dense: 1600x128; output: 128x10
    macs = dict(bench_flops.layer_macs(build_cnn()))
    assert macs == {
        "conv1": 26 * 26 * 32 * 9,
        "conv2": 11 * 11 * 64 * 9 * 32,
        "dense": 1600 * 128,
        "probabilities": 128 * 10,
    }
    flops = bench_flops.flops_per_image(build_cnn())
    forward = sum(macs.values())
    assert flops == {"forward": 2 * forward, "training": 2 * (3 * forward - macs["conv1"])}


def test_flops_follow_the_layer_sizes():
    small = dict(bench_flops.layer_macs(build_custom_cnn(filters=(8, 16), dense_units=32)))
    assert small == {
        "conv1": 26 * 26 * 8 * 9,
        "conv2": 11 * 11 * 16 * 9 * 8,
        "dense": 400 * 32,
        "probabilities": 32 * 10,
    }


def test_forward_flops_agree_with_tensorflows_profiler():
    """An independent count: TensorFlow's graph profiler on the frozen forward pass of one image.  It also
    counts biases, ReLU, pooling and softmax, which our count leaves out: they must stay under 2%."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    model = build_cnn()
    function = tf.function(lambda x: model(x, training=False))
    frozen = convert_variables_to_constants_v2(function.get_concrete_function(tf.TensorSpec([1, 28, 28, 1])))
    options = (
        tf.compat.v1.profiler.ProfileOptionBuilder(tf.compat.v1.profiler.ProfileOptionBuilder.float_operation())
        .with_empty_output()
        .build()
    )
    profiled = tf.compat.v1.profiler.profile(graph=frozen.graph, options=options).total_float_ops
    ours = bench_flops.flops_per_image(model)["forward"]
    assert ours <= profiled < ours * 1.02, (ours, profiled)


def test_a_model_without_conv_or_dense_layers_is_refused():
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()], name="flat")
    with pytest.raises(CourseError, match="no Conv2D or Dense layer"):
        bench_flops.flops_per_image(model)


def test_steady_epochs_drop_the_first():
    assert workers.steady_epoch_seconds([2.0, 3.0, 4.5], started=0.5) == [1.0, 1.5]
    assert workers.steady_epoch_seconds([2.0], started=0.5) == [1.5]


def test_time_calls_counts_and_orders():
    calls = []
    result = workers.time_calls(lambda: calls.append(1), calls=7, warmup=3)
    assert len(calls) == 10 and result["calls"] == 7
    assert 0 <= result["min_ms"] <= result["median_ms"] <= result["p90_ms"]


def fake_report(runs=3, seed=(2.4, 2.4, 2.4), tfdata=(1.2, 1.2, 1.2), wall=(60.0, 60.0, 60.0)):
    """A report with the fields the targets are judged on; the seed pipeline at the reference speed."""
    return {
        "config": {"runs": runs},
        "pipelines": {
            "seed": {"epoch_s": 2.4, "per_run_epoch_s": list(seed)},
            "tfdata": {"epoch_s": 1.2, "per_run_epoch_s": list(tfdata)},
            "course": {"epoch_s": 1.0, "per_run_epoch_s": [1.0] * runs},
        },
        "speedup_tfdata_only": 2.0,
        "reference_scale": 0.5,
        "training": {"epochs": 20, "wall_s": 60.0, "per_run_wall_s": list(wall), "peak_rss_mb": 1024.0},
        "latency": {"predict_one": {"median_ms": 1.0}},
        "flops": {
            "pipeline": "course",
            "per_epoch": 30e9,
            "fraction_of_matmul": 0.3,
            "matmul": {"gflops": 100.0, "per_run_gflops": [100.0, 100.0, 125.0]},
        },
    }


def test_targets_are_judged_on_scaled_times():
    report = fake_report(tfdata=(2.0, 1.2, 1.2))
    report["speedup_tfdata_only"] = 1.2
    rows = {row["name"].split(",")[0]: row for row in runner.check_targets(report)}
    assert rows["course tf.data vs ImageDataGenerator"]["met"] is False  # 1.2x < 1.3x
    assert rows["20-epoch training"]["scaled"] == 30.0 and rows["20-epoch training"]["met"] is True
    assert rows["training peak memory (RSS)"]["value"] == 1.0 and rows["training peak memory (RSS)"]["met"]
    del report["reference_scale"]
    assert {row["name"]: row for row in runner.check_targets(report)}["20-epoch training, whole process"][
        "met"
    ] is False


def test_every_target_is_judged_on_every_run():
    # run 3's matmul was faster: training reached 30 / 1.0 = 30 GFLOP/s, 30% of 100 but 24% of 125
    rows = {row["name"].split(",")[0]: row for row in runner.check_targets(fake_report(tfdata=(1.2, 2.0, 1.2)))}
    flops = rows["training FLOP/s / float32 matmul FLOP/s"]
    assert flops["met"] is True and flops["per_run"] == [0.3, 0.3, 0.24]
    assert (flops["runs_met"], flops["runs_judged"]) == (2, 3)
    assert bench_report.runs_met(flops) == "2 of 3"
    speedup = rows["course tf.data vs ImageDataGenerator"]
    assert speedup["per_run"] == [2.0, 1.2, 2.0] and speedup["runs_met"] == 2
    assert rows["20-epoch training"]["runs_met"] == 3  # 30 s scaled, every run
    latency = rows["one-image prediction latency (predict_one)"]
    assert latency["per_run"] == [1.0, 1.0, 1.0] and latency["runs_met"] == 3  # an older report: one figure


def test_a_smoke_run_judges_nothing():
    rows = runner.check_targets(fake_report(), judge=False)
    assert [row["met"] for row in rows] == [None] * 5 and {bench_report.runs_met(row) for row in rows} == {"n/a"}


def test_results_are_never_overwritten(tmp_path, monkeypatch):
    report = json.loads((REPO_ROOT / "benchmarks" / "results" / "cpu-2core-tensorflow.json").read_text())
    report["run"] = {"date": "2026-11-25T22:00:00+00:00", "commit": "abc", "dirty": False, "command": "x"}
    first = bench_report.write_report(report, tmp_path, "m")
    before = first[0].read_bytes()
    second = bench_report.write_report(report, tmp_path, "m")
    assert [p.name for p in first] == ["m.json", "m.md"]
    assert [p.name for p in second] == ["m-2026-11-25T220000Z.json", "m-2026-11-25T220000Z.md"]
    assert first[0].read_bytes() == before
    with pytest.raises(CourseError, match="not overwritten"):
        bench_report.write_report(report, tmp_path, "m")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in first + second)  # no temp files


def test_committed_results_are_raw_and_compared_per_run():
    """The committed results read back, with every target judged per run, and none holds a hand-written note."""
    results = sorted((REPO_ROOT / "benchmarks" / "results").glob("*.json"))
    assert results
    for path in results:
        assert "note" not in json.loads(path.read_text()), f"{path.name}: notes go in a .notes.md beside it"
    table = bench_report.comparison_table([bench_report.read_report(p) for p in results])
    assert "| targets met, per run (judged again from the figures) |" in table and " of 3" in table


@pytest.fixture(scope="module")
def tiny_report(bundled_subset, tmp_path_factory):
    """``python -m benchmarks --tiny`` on 1,000 + 300 real digits: every worker runs once."""
    out = tmp_path_factory.mktemp("bench")
    result = run_bench(
        "--tiny",
        "--train",
        bundled_subset,
        "--test",
        bundled_subset,
        "--out",
        out,
        "--label",
        "tiny",
        "--batch-sizes",
        "100",
        "--ablation",
    )
    assert result.returncode == 0, result.stderr
    return result, out


def test_tiny_bench_measures_every_figure(tiny_report):
    result, out = tiny_report
    report = json.loads((out / "tiny.json").read_text())
    assert set(report["pipelines"]) == {"seed", "tfdata", "course"}
    for row in report["pipelines"].values():
        assert row["runs"] == 1 and row["train_images"] == 1000 and row["val_images"] == 300
        assert row["epoch_s"] > 0 and row["images_per_s"] == pytest.approx(1000 / row["epoch_s"], rel=0.01)
    assert report["pipelines"]["seed"]["steps_per_execution"] == 1
    assert report["pipelines"]["course"]["steps_per_execution"] == 50
    assert report["speedup_vs_seed"] == pytest.approx(
        report["pipelines"]["seed"]["epoch_s"] / report["pipelines"]["course"]["epoch_s"], rel=0.02
    )
    assert "reference_scale" not in report  # a subset: the 2.4 s yardstick does not apply
    training = report["training"]
    assert training["command"] == "python -m helpers train" and training["epochs"] == 1
    assert training["wall_s"] > 0 and 100 < training["peak_rss_mb"] < 64 * 1024
    assert 0.0 <= training["val_accuracy"] <= 1.0
    latency = report["latency"]
    for way in ("predict_one", "model_call", "model_predict"):
        assert latency[way]["calls"] == 5 and latency[way]["median_ms"] > 0
    assert latency["batched"]["images"] == 300 and latency["batched"]["images_per_s"] > 0
    flops = report["flops"]
    assert flops["per_epoch"] == 1000 * flops["training_per_image"] + 300 * flops["forward_per_image"]
    assert flops["achieved_gflops"] == pytest.approx(
        flops["per_epoch"] / report["pipelines"]["course"]["epoch_s"] / 1e9, rel=0.01
    )
    assert flops["matmul"]["size"] == 256 and flops["matmul"]["gflops"] > 0
    assert [row["met"] for row in report["targets"]] == [None] * 5  # a smoke run: nothing judged
    assert report["config"]["judged"] is False and "no target is judged" in (out / "tiny.md").read_text()
    run = report["run"]
    assert len(run["commit"]) == 40 and run["dirty"] in (True, False) and run["date"].startswith("20")
    assert run["command"].startswith("python -m benchmarks --tiny --train ")
    assert {"tensorflow", "keras", "numpy"} <= set(report["machine"]["versions"])
    (sweep,) = report["batch_sweep"]  # --batch-sizes 100: the course pipeline at batch 100, same FLOP count
    assert sweep["batch_size"] == 100 and sweep["epoch_s"] > 0 and sweep["steps_per_execution"] == 50
    assert sweep["achieved_gflops"] == pytest.approx(flops["per_epoch"] / sweep["epoch_s"] / 1e9, rel=0.01)
    assert report["pipelines"]["course"]["batch_size"] == 32
    assert set(report["ablation"]) == {"autotune", "xla"}  # --ablation: one setting changed at a time
    assert all(row["runs"] == 1 and row["epoch_s"] > 0 for row in report["ablation"].values())
    assert report["targets"][0]["value"] == report["speedup_tfdata_only"]  # judged on the pipeline alone
    assert "median of 1 run(s)" in result.stdout


def test_tiny_bench_writes_a_markdown_table(tiny_report):
    result, out = tiny_report
    table = (out / "tiny.md").read_text()
    assert "| pipeline (seed CNN, batch 32) | s/epoch | training images/s* | vs ImageDataGenerator |" in table
    report = json.loads((out / "tiny.json").read_text())
    ratio = report["pipelines"]["seed"]["epoch_s"] / report["pipelines"]["tfdata"]["epoch_s"]
    assert f"| course tf.data + seed compile | {report['pipelines']['tfdata']['epoch_s']:.2f} |" in table
    assert f"| {ratio:.2f}x |" in table
    assert "| one setting changed | s/epoch | time vs the course |" in table and "plus XLA" in table
    assert "| training / matmul |" in table and table in result.stdout
    assert "Run: 20" in table and "`python -m benchmarks --tiny" in table
    assert "| batch size | s/epoch |" in table and "\n| 100 | " in table
    assert sorted(p.name for p in out.iterdir()) == ["tiny.json", "tiny.md"]  # no partial files left


def test_table_compares_reports(tiny_report, tmp_path):
    _, out = tiny_report
    other = json.loads((out / "tiny.json").read_text())
    other["machine"]["cpu_count"] = 16
    (tmp_path / "other.json").write_text(json.dumps(other))
    result = run_bench("--table", out / "tiny.json", tmp_path / "other.json")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert header.count("|") == 4 and "-core" in header and "16-core" in header
    assert "| course vs seed pipeline, same compile (target >= 1.3x) |" in result.stdout
    assert "| 1-epoch training, whole process (target <= 45 s) |" in result.stdout
    assert "batch 100: " in result.stdout


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--runs", "0"], ["--runs", "must be at least 1"]),
        (["--out", "data/results"], ["refusing to write into data/"]),
        (["--tiny", "--out", "benchmarks/results"], ["--tiny", "not written to benchmarks/results"]),
        (["--label", "../x"], ["--label", "'../x'"]),
        (["--train", "no/such/folder"], ["dataset folder not found", "no/such/folder"]),
        (["--table", "no/such/report.json"], ["benchmark report not found", "no/such/report.json"]),
    ],
)
def test_bench_mistakes_are_one_line(args, fragments):
    assert_user_error(run_bench(*args), *fragments)


def test_a_corrupt_image_is_named_before_anything_runs(make_split, tmp_path):
    split = make_split("train", per_class=2)
    (split / "7" / "7_1.png").write_bytes(b"not a png")
    result = run_bench("--tiny", "--train", split, "--test", split, "--out", tmp_path / "out")
    assert_user_error(result, "not a readable image", "7_1.png")
    assert not (tmp_path / "out").exists()


def test_an_unusable_out_folder_is_refused_before_measuring(tmp_path):
    (tmp_path / "results").write_text("a file, not a folder")
    assert_user_error(run_bench("--out", tmp_path / "results"), "not a folder", "results")


def test_table_refuses_a_file_that_is_not_a_report(tmp_path):
    (tmp_path / "notes.json").write_text("[1, 2]")
    (tmp_path / "broken.json").write_text("{")
    assert_user_error(run_bench("--table", tmp_path / "notes.json"), "fields missing", "notes.json")
    assert_user_error(run_bench("--table", tmp_path / "broken.json"), "invalid JSON", "broken.json")
    assert_user_error(run_bench("--table", tmp_path), "cannot read benchmark report", str(tmp_path))
    fields = {field: {} for field in bench_report.REPORT_FIELDS}
    (tmp_path / "hollow.json").write_text(json.dumps(fields))
    assert_user_error(run_bench("--table", tmp_path / "hollow.json"), "incomplete benchmark report")


def test_unknown_pipeline_is_refused(bundled_subset):
    with pytest.raises(CourseError, match="unknown pipeline 'gpu-magic'"):
        workers.worker_epochs("gpu-magic", str(bundled_subset / "train"), str(bundled_subset / "test"), epochs=1)


def test_steps_per_execution_changes_speed_not_weights():
    """compile_reference runs 50 batches per call; after 2 epochs of 100 batches each (3,200 digits, batch 32:
    the 50-step loop really runs, twice per epoch) the weights equal the seed's setting (1) bit for bit."""
    from helpers.data import TRAIN_DIR, arrays_dataset, load_arrays
    from helpers.training import compile_reference, set_seed

    images, labels = load_arrays(TRAIN_DIR)
    pick = np.sort(np.random.default_rng(0).permutation(len(images))[:3200])
    weights = []
    for steps in (1, 50):
        set_seed(7)
        model = compile_reference(build_cnn(), steps_per_execution=steps)
        dataset = arrays_dataset(images[pick], labels[pick], batch_size=32, shuffle=True, seed=7)
        assert dataset.cardinality().numpy() == 100
        model.fit(dataset, epochs=2, verbose=0, shuffle=False)
        assert int(model.optimizer.iterations.numpy()) == 200
        weights.append(model.get_weights())
    for one, fifty in zip(*weights):
        assert one.dtype == fifty.dtype and one.tobytes() == fifty.tobytes()


def test_run_bench_takes_medians_and_survives_a_failing_batch_size(monkeypatch, bundled_subset):
    """The orchestration with fake workers: medians over runs, the speed-up, and an optional batch size that
    fails (as XLA did on a GPU) recorded instead of losing the whole run."""
    epochs_by_run = {
        "seed": [[2.0, 2.2], [2.4, 2.6], [9.0, 9.0]],
        "tfdata": [[1.0], [1.2], [1.1]],
        "course": [[0.8], [0.9], [0.7]],
    }
    calls = {name: 0 for name in epochs_by_run}

    def fake_worker(name, **options):
        if name == "epochs":
            if options.get("batch_size", 32) != 32:
                raise CourseError("benchmark step failed (exit -11): benchmarks --worker epochs: crash")
            pipeline = options["pipeline"]
            seconds = epochs_by_run[pipeline][calls[pipeline]]
            calls[pipeline] += 1
            return {
                "batch_size": 32,
                "train_images": 1000,
                "val_images": 300,
                "first_epoch_s": 3.0,
                "epoch_seconds": seconds,
                "val_accuracy": 0.9,
                "steps_per_execution": 1,
            }
        if name == "latency":
            way = {"median_ms": 1.0, "calls": options["calls"]}
            return {
                "predict_one": way,
                "model_call": way,
                "model_predict": way,
                "batched": {"images_per_s": 1.0, "batch_size": 256},
            }
        return {"gflops": 100.0, "device": "CPU", "size": 64, "precision": "float32", "library": "fake"}

    monkeypatch.setattr(runner, "run_worker", fake_worker)
    monkeypatch.setattr(
        runner,
        "time_training",
        lambda *args: {"wall_s": 10.0, "peak_rss_mb": 500.0, "command": "fake", "val_accuracy": 0.9},
    )
    report = runner.run_bench(
        runs=3,
        epochs=2,
        latency_calls=5,
        train_dir=bundled_subset,
        test_dir=bundled_subset,
        batch_sizes=(64,),
        log=lambda line: None,
    )
    assert report["pipelines"]["seed"]["epoch_s"] == 2.5  # medians per run 2.1, 2.5, 9.0 -> 2.5
    assert report["pipelines"]["course"]["per_run_epoch_s"] == [0.8, 0.9, 0.7]
    assert report["speedup_vs_seed"] == round(2.5 / 0.8, 2)
    assert report["batch_sweep"] == [
        {"batch_size": 64, "error": "benchmark step failed (exit -11): benchmarks --worker epochs: crash"}
    ]
    assert "| 64 | failed: benchmark step failed" in bench_report.markdown(report)
    assert "batch 64: failed" in bench_report.comparison_table([report])


def test_course_benchmark_judges_each_step_against_the_reference_training():
    """``benchmarks.course``: every step judged by its ratio to the reference training measured in the same run; the
    table also gives each time at the reference machine's speed (the yardstick's 2.4 s per epoch)."""
    from benchmarks import course

    results = {
        "yardstick_s": 4.8,
        "reference_s": 40.0,
        "improved_s": 100.0,
        "course_s": 390.0,
        "make_test_s": 230.0,
        "ci_s": 990.0,
        "notebooks_s": {"00_welcome_and_setup.ipynb": 12.0},
    }
    rows, all_met = course.rows_and_verdict(results)
    assert [row["met"] for row in rows] == [None, True, True, True, True] and all_met
    text = course.markdown(
        {
            "commit": "abc",
            "dirty": False,
            "date": "today",
            "command": "python -m benchmarks.course",
            "machine": {
                "cpu": "cpu",
                "cpu_count": 2,
                "system": "Linux",
                "python": "3.11",
                "versions": {},
                "load_average": None,
            },
            "results": results,
            "rows": rows,
            "all_met": all_met,
        }
    )
    assert "| 9.75x |" in text and "| 115 s |" in text and "00_welcome_and_setup.ipynb" in text
    # each target's edge (3x, 10x, 6x, 25x the 40 s reference): met at the limit, missed a second over, in the table
    for key, row, limit in (
        ("improved_s", 1, 120.0),
        ("course_s", 2, 400.0),
        ("make_test_s", 3, 240.0),
        ("ci_s", 4, 1000.0),
    ):
        rows, all_met = course.rows_and_verdict({**results, key: limit})
        assert rows[row]["met"] is True and all_met, (key, rows[row])
        rows, all_met = course.rows_and_verdict({**results, key: limit + 1})
        assert rows[row]["met"] is False and not all_met, (key, rows[row])
        table = course.markdown(
            {
                "commit": "abc",
                "dirty": False,
                "date": "today",
                "command": "c",
                "machine": {
                    "cpu": "cpu",
                    "cpu_count": 2,
                    "system": "Linux",
                    "python": "3.11",
                    "versions": {},
                    "load_average": None,
                },
                "results": {**results, key: limit + 1},
                "rows": rows,
                "all_met": all_met,
            }
        )
        line = next(line for line in table.splitlines() if line.startswith(f"| {rows[row]['step']} |"))
        assert line.endswith("| NO |") and f"| {limit + 1:.0f} s |" in line and "All targets met: NO." in table


def test_ceiling_times_the_step_each_layer_and_the_products():
    """``benchmarks.ceiling`` at a tiny scale: a row for the step, one per layer, conv2's three products and the
    large product; every figure positive and the table's shares computed from them."""
    from benchmarks import ceiling

    rows = ceiling.measure(batch=4, min_seconds=0.02, large=256)
    names = [row["name"] for row in rows]
    assert names[0].startswith("whole training step (batch 4") and sum("forward + backward" in n for n in names) == 7
    assert sum(n.startswith("conv2's") for n in names) == 3 and names[-1].startswith("large product (256 x 256)")
    assert all(row["seconds"] > 0 and row["flops"] >= 0 for row in rows)
    assert rows[1]["flops"] == 2 * 194688 * 4 * 2  # conv1: forward and weight gradient, no input gradient
    table = ceiling.table(rows)
    assert table.count("\n") == len(rows) + 2 and "| 100% |" in table.splitlines()[-1]
