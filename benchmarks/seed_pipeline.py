"""Time the seed's own pipeline: ImageDataGenerator(rescale=1/255).flow_from_directory + the seed CNN.

This is the yardstick the course's timing targets are stated against (about 2.4 s per epoch on the
reference machine).  Run it on your machine and divide to compare:

    python benchmarks/seed_pipeline.py --epochs 3
"""

from __future__ import annotations

import argparse
import json
import time

from helpers import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

from helpers.data import TRAIN_DIR, TEST_DIR, seed_generators  # noqa: E402
from helpers.model import build_cnn  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    keras.utils.set_random_seed(42)
    train_flow, test_flow = seed_generators(TRAIN_DIR, TEST_DIR)
    model = build_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(train_flow, epochs=args.epochs, validation_data=test_flow, verbose=0, callbacks=[Timer()])
    # the first epoch includes tracing; report the median of the rest
    steady = sorted(times[1:] or times)[len(times[1:] or times) // 2]
    print(json.dumps({"epoch_seconds": [round(t, 2) for t in times], "steady_epoch_seconds": round(steady, 2)}))


if __name__ == "__main__":
    main()
