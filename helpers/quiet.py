"""Import TensorFlow without the C++ start-up lines it writes to file descriptor 2 (a cell's stderr, which
``pytest --nbval`` does not see): ``TF_CPP_MIN_LOG_LEVEL`` does not stop them, ``TF_ENABLE_ONEDNN_OPTS=0``
slows training ~30%, so file descriptor 2 points at ``/dev/null`` while TensorFlow starts."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stderr_fd_silenced() -> Iterator[None]:
    """Send everything written to file descriptor 2 to /dev/null inside the ``with`` block."""
    try:
        sys.stderr.flush()
    except Exception:  # pragma: no cover - a closed stderr
        pass
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow() -> None:
    """Import TensorFlow and Keras with their start-up log lines silenced; safe to call many times."""
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        # Keras on another backend (JAX, say): nothing of TensorFlow's to quiet; callers need no special case
        with stderr_fd_silenced():
            import keras  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with stderr_fd_silenced():
        import tensorflow as tf

        # the first device query is where TensorFlow looks for CUDA and may log an error on a CPU machine
        tf.config.list_physical_devices()
        import keras  # noqa: F401

    threads = os.environ.get("TF_NUM_INTRAOP_THREADS", "").strip()
    if threads.isdigit() and int(threads) > 0 and tf.config.threading.get_intra_op_parallelism_threads() == 0:
        # honoured explicitly (``make test-variants`` trains with one thread to change the arithmetic)
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
    tf.get_logger().setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover
        pass
