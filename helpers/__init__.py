"""Plumbing for the course *Handwritten Digit Recognition with a CNN*.

The notebooks write the ideas (layers, ``compile``, ``fit``) themselves and call these plain
functions for everything else: loading the directory dataset, plots, model files, a user's own image.

Modules, one concern each:

- ``helpers.errors``      ``CourseError``, the one exception for a user's mistake
- ``helpers.paths``       where the repository, the bundled data and ``models/`` are; the write guard of ``data/``
- ``helpers.data``        directory datasets as ``tf.data`` or numpy arrays, the seed's ImageDataGenerator
- ``helpers.model``       the seed's CNN, a configurable one, the improved one and committees
- ``helpers.training``    seeds, the training recipes, history files, load-or-train
- ``helpers.evaluation``  metrics, confusion matrix, per-class report, mistakes
- ``helpers.plots``       figures (each function returns a matplotlib Figure)
- ``helpers.model_files`` the files a run writes, as one set, atomically; loading ``.keras`` and ``.h5``
- ``helpers.own_images``  turn your own image of a digit into an MNIST-style input
- ``helpers.idx``         convert the original MNIST IDX files into the folder layout
- ``helpers.explain``     filters, feature maps, saliency, Grad-CAM, 2-D embeddings (notebook 09)
- ``helpers.playground``  the logic behind notebook 08's widgets; ``helpers.widgets`` wires them up
- ``helpers.drawing``     notebook 08's drawing pad, a small anywidget whose browser side draws
- ``helpers.recipes``     the training recipes' names and settings (``reference``, ``improved``)
- ``helpers.provenance``  what a model file was trained with (``.meta.json``)
- ``helpers.notebook``    the set-up cell of every notebook, the environment report
- ``helpers.cli``         ``python -m helpers ...``

A module imports only the modules below it (README, "Architecture"; ``tests/test_architecture.py``).
Importing ``helpers`` does not import TensorFlow; ``quiet_tensorflow()`` does, quietly.  The maintainers'
benchmark lives outside the package, in ``benchmarks/`` (``python -m benchmarks``).
"""

from helpers.errors import CourseError
from helpers.quiet import quiet_tensorflow

__all__ = ["CourseError", "quiet_tensorflow"]
__version__ = "1.0.0"
