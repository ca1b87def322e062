"""Plumbing for the course *Handwritten Digit Recognition with a CNN*.

The notebooks write the ideas (layers, ``compile``, ``fit``) themselves and call these plain functions for
everything else: the directory dataset, plots, model files, a user's own image.  One concern per module;
the README's "Architecture" section lists them and which may import which (``tests/test_architecture.py``).
Importing ``helpers`` does not import TensorFlow; ``quiet_tensorflow()`` does, quietly.
"""

from helpers.errors import CourseError
from helpers.quiet import quiet_tensorflow

__all__ = ["CourseError", "quiet_tensorflow"]
__version__ = "1.0.0"
