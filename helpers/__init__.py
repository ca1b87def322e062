"""Plumbing for the course *Handwritten Digit Recognition with a CNN*: the notebooks write the ideas (layers,
``compile``, ``fit``) and call these plain functions for the rest.  The modules, one concern each, and which may
import which: README, "Architecture".  Importing ``helpers`` does not import TensorFlow."""

from helpers.errors import CourseError
from helpers.quiet import quiet_tensorflow

__all__ = ["CourseError", "quiet_tensorflow"]
__version__ = "1.0.0"
