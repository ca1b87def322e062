"""What keeps training below the matrix product's FLOP/s: each layer of the seed's CNN timed on its own.

Training the seed's CNN reaches about 30% of the FLOP/s of a large float32 matrix product on the same CPU
(``python -m benchmarks``).  This script says where the rest goes.  At the seed's batch of 32, in one process:

- a whole training step (forward, loss, gradients, Adam's update), as ``fit`` runs it;
- each layer alone, forward and backward (the gradients of its weights and of its input) at its real input shape;
- the matrix products hidden in the largest layer, conv2, at their real shapes (a 3x3 convolution over 32
  channels is a product of a (32 x 11 x 11) x 288 matrix by a 288 x 64 one), and a 4096 x 4096 product.

    python -m benchmarks.ceiling               # about a minute
    python -m benchmarks.ceiling --batch 256

Prints a Markdown table; ``--out FILE.md`` also writes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def seconds_per_call(call: Callable[[], Any], min_seconds: float = 2.0) -> float:
    """Median seconds of ``call`` (a ``tf.function``; its result is read back) over 5 rounds of about
    ``min_seconds / 5`` each, after a warm-up."""
    import statistics

    for _ in range(3):
        call().numpy()
    started, calls = time.perf_counter(), 0
    while time.perf_counter() - started < 0.2:
        call().numpy()
        calls += 1
    per_round = max(1, int(calls * min_seconds / 5 / 0.2))
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(per_round):
            call().numpy()
        rounds.append((time.perf_counter() - started) / per_round)
    return statistics.median(rounds)


def measure(batch: int, min_seconds: float = 2.0, large: int = 4096) -> list[dict[str, Any]]:
    """One row per measurement: its name, FLOPs per call, seconds per call (each timed for ``min_seconds``)."""
    from helpers import quiet_tensorflow

    quiet_tensorflow()
    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks.flops import flops_per_image, layer_macs
    from helpers.model import build_cnn
    from helpers.training import compile_reference

    rng = np.random.default_rng(0)
    model = compile_reference(build_cnn(), steps_per_execution=1)
    images = tf.constant(rng.random((batch, 28, 28, 1), dtype=np.float32))
    labels = tf.constant(keras.utils.to_categorical(rng.integers(0, 10, batch), 10))
    model.train_on_batch(images[:1], labels[:1])  # builds the optimizer's variables
    step = tf.function(lambda: model.train_step((images, labels))["loss"])
    rows = [
        {
            "name": f"whole training step (batch {batch}, Adam)",
            "flops": flops_per_image(model)["training"] * batch,
            "seconds": seconds_per_call(step, min_seconds),
        }
    ]

    macs = dict(layer_macs(model))
    x = images
    for index, layer in enumerate(model.layers):
        inputs = tf.constant(x)

        def forward_backward(layer=layer, inputs=inputs, first=index == 0):
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                out = layer(inputs, training=True)
                loss = tf.reduce_sum(out)
            grads = tape.gradient(loss, [*layer.trainable_weights, *([] if first else [inputs])])
            return tf.add_n([tf.reduce_sum(g) for g in grads]) if grads else loss

        count = macs.get(layer.name, 0)
        flops = 2 * count * batch * (2 if index == 0 else 3)
        rows.append(
            {
                "name": f"{layer.name} ({layer.__class__.__name__}) forward + backward",
                "flops": flops,
                "seconds": seconds_per_call(tf.function(forward_backward), min_seconds),
            }
        )
        x = layer(x).numpy()

    conv2 = model.get_layer("conv2")
    _, height, width, filters = conv2.output.shape
    kernel_h, kernel_w, channels, _ = conv2.kernel.shape
    m, k, n = batch * height * width, kernel_h * kernel_w * channels, filters
    shapes = {
        f"conv2's forward product ({m} x {k}) . ({k} x {n})": (m, k, n),
        f"conv2's weight gradient ({k} x {m}) . ({m} x {n})": (k, m, n),
        f"conv2's input gradient ({m} x {n}) . ({n} x {k})": (m, n, k),
        f"large product ({large} x {large}) . ({large} x {large})": (large, large, large),
    }
    for name, (rows_, inner, cols) in shapes.items():
        a = tf.constant(rng.random((rows_, inner), dtype=np.float32))
        b = tf.constant(rng.random((inner, cols), dtype=np.float32))
        product = tf.function(lambda a=a, b=b: tf.reduce_sum(tf.matmul(a, b)))
        rows.append(
            {"name": name, "flops": 2 * rows_ * inner * cols, "seconds": seconds_per_call(product, min_seconds)}
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as Markdown, each with its GFLOP/s and its share of the large product's."""
    peak = rows[-1]["flops"] / rows[-1]["seconds"]
    step = rows[0]["seconds"]
    lines = [
        "| measurement | FLOPs per call | ms per call | alone, vs the whole step | GFLOP/s | of the large product |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        rate = row["flops"] / row["seconds"]
        share = f"{row['seconds'] / step:.0%}" if "forward + backward" in row["name"] else ""
        lines.append(
            f"| {row['name']} | {row['flops'] / 1e6:,.1f} M | {row['seconds'] * 1e3:.3f} | {share} | "
            f"{rate / 1e9:.1f} | {rate / peak:.0%} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table (and write it with ``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    text = table(measure(args.batch))
    print(text, end="")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
