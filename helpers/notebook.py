"""The first cell of every notebook: quiet TensorFlow, seeds, plot defaults (stable stored outputs)."""

from __future__ import annotations

import base64
import hashlib
import math
import os
import platform
import sys
import warnings
from collections.abc import Callable
from typing import Any

from helpers.provenance import package_versions
from helpers.quiet import quiet_tensorflow


def setup_notebook(seed: int | None = None) -> int:
    """Import TensorFlow quietly, seed everything, set plot defaults; returns the seed: ``SEED = setup_notebook()``."""
    quiet_tensorflow()
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed")
    warnings.filterwarnings("ignore", message=r".*HDF5 file via `model.save\(\)`")
    import matplotlib.pyplot as plt

    from helpers.style import STYLE

    plt.rcParams.update(STYLE)
    keep_alt_text()
    from helpers.training import set_seed

    return set_seed(seed)


def keep_alt_text() -> None:
    """Store each figure's alt text (``helpers.plots.describe``) with its image in the notebook's output, as
    ``{"image/png": {"alt": ...}}``: IPython's image formatters may answer ``(data, metadata)``.  Outside IPython,
    or before any image formatter knows matplotlib's figures, it does nothing."""
    from IPython import get_ipython
    from matplotlib.figure import Figure

    shell = get_ipython()
    if shell is None:
        return
    for mime in ("image/png", "image/jpeg", "image/svg+xml"):
        formatter = shell.display_formatter.formatters.get(mime)
        draw = formatter.lookup_by_type(Figure) if formatter is not None and Figure in formatter.type_printers else None
        if draw is None or getattr(draw, "keeps_alt_text", False):
            continue

        def draw_with_alt_text(fig: Figure, draw: Callable[[Figure], Any] = draw) -> Any:
            data, alt_text = draw(fig), getattr(fig, "alt_text", None)
            return (data, {"alt": alt_text}) if data is not None and alt_text else data

        draw_with_alt_text.keeps_alt_text = True
        formatter.for_type(Figure, draw_with_alt_text)


def environment_report() -> dict[str, Any]:
    """Versions of Python and the course's libraries, and the devices TensorFlow found."""
    import tensorflow as tf

    versions = {"python": platform.python_version()}
    found = package_versions(
        ("tensorflow", "keras", "numpy", "matplotlib", "seaborn", "scikit-learn", "ipywidgets", "jupyterlab", "nbval")
    )
    versions.update({name: version or "not installed" for name, version in found.items()})
    gpus = tf.config.list_physical_devices("GPU")
    versions["devices"] = f"{len(gpus)} GPU(s)" if gpus else "CPU only"
    return versions


def strict() -> bool:
    """Whether a failed expectation stops the notebook: yes under pytest (``pytest --nbval`` in CI sets
    ``PYTEST_CURRENT_TEST`` in the kernel's environment) or with ``COURSE_STRICT=1``; in a student's own kernel
    it only warns, so the notebook runs on to the end (``COURSE_STRICT=0`` forces that, even under pytest)."""
    forced = os.environ.get("COURSE_STRICT", "")
    if forced in ("0", "1"):
        return forced == "1"
    return bool(os.environ.get("PYTEST_CURRENT_TEST"))


def expect(condition: object, message: str) -> None:
    """A claim the text makes about a result (``expect(accuracy > 0.97, "...")``): under pytest an
    ``AssertionError`` with ``message``; in a student's kernel one visible warning, and the notebook runs on.
    ``message`` says what was expected, what came out, and what a change probably did. Returns nothing, so a cell
    that ends with it shows no ``Out``.

    >>> os.environ["COURSE_STRICT"] = "0"
    >>> expect(1 + 1 == 3, "expected 3, got 2: did you change the numbers?")
    >>> del os.environ["COURSE_STRICT"]
    """
    if condition:
        return
    if strict():
        raise AssertionError(message)
    print(
        f"Warning: {message}\n(The notebook goes on: the text around this cell describes the original run.)",
        file=sys.stderr,
    )


def normalise(value: Any) -> str:
    """The canonical text of an answer, so that equal answers fingerprint alike: numbers rounded to 4 significant
    digits (``1`` and ``1.0`` alike), strings stripped and lower-case, sets and dict keys sorted, numpy values
    as plain Python.

    >>> normalise([" NameError", 3, 0.123456])
    "['nameerror', 3, 0.1235]"
    """
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()  # numpy arrays and scalars
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(float(f"{value:.4g}"))
    if isinstance(value, str):
        return repr(value.strip().lower())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(normalise(item) for item in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(normalise(item) for item in value)) + "}"
    if isinstance(value, dict):
        items = sorted((normalise(key), normalise(item)) for key, item in value.items())
        return "{" + ", ".join(f"{key}: {item}" for key, item in items) + "}"
    return repr(value)


def fingerprint(value: Any) -> str:
    """A short hash of ``normalise(value)``: what a check stores instead of the answer itself.

    >>> fingerprint(663) == fingerprint(663.0), fingerprint(663) == fingerprint("663")
    (True, False)
    """
    return hashlib.sha256(("mnist-course:" + normalise(value)).encode()).hexdigest()[:16]


def _keystream(value: Any, length: int) -> bytes:
    seed = ("mnist-course-seal:" + normalise(value)).encode()
    blocks = (hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range((length + 31) // 32))
    return b"".join(blocks)[:length]


def seal(text: str, answer: Any) -> str:
    """``text`` (the explanation a check prints once the answer is right) locked with the answer itself, so the
    check cell can hold it without giving the answer away; ``unseal(sealed, answer)`` gives it back.

    >>> unseal(seal("663 fives", 663), 663.0)
    '663 fives'
    """
    data = text.encode()
    return base64.b64encode(bytes(a ^ b for a, b in zip(data, _keystream(answer, len(data))))).decode()


def unseal(sealed: str, answer: Any) -> str:
    """The text ``seal`` locked with ``answer`` (gibberish for any other answer)."""
    data = base64.b64decode(sealed)
    return bytes(a ^ b for a, b in zip(data, _keystream(answer, len(data)))).decode(errors="replace")


NOT_ANSWERED = "replace the `...` with your answer, run that cell, then run this check again."


def check(name: str, expected: str | Callable[[Any], bool], hint: str, right: str = "") -> None:
    """An exercise's check: looks up the variable ``name`` in the notebook and prints ``Right: ...`` or
    ``Not yet: <hint>`` (a plain sentence, never Python's error text).

    ``expected`` is the answer's ``fingerprint`` (the answer itself is not on the page) or a property, a function
    of the answer that returns ``True`` when it is right. ``right`` explains the answer after the fact; with a
    fingerprint it is ``seal``-ed with the answer, so it only reads once the answer is right.

    >>> error_name = ...
    >>> check("error_name", fingerprint("NameError"), hint="what does Python say of an unknown name?")
    Not yet: replace the `...` with your answer, run that cell, then run this check again.
    >>> error_name = "nameerror "
    >>> check("error_name", fingerprint("NameError"), hint="...", right=seal("a fresh kernel", "NameError"))
    Right: a fresh kernel
    """
    namespace = sys._getframe(1).f_globals
    if name not in namespace:
        print(f"Not yet: `{name}` is not defined yet: run the cell where you answer, then this check again.")
        return
    answer = namespace[name]
    if answer is Ellipsis:
        print(f"Not yet: {NOT_ANSWERED}")
        return
    try:
        if isinstance(expected, str):
            passed = fingerprint(answer) == expected
            explanation = unseal(right, answer) if passed and right else right
        else:
            passed, explanation = bool(expected(answer)), right
    except Exception:  # a half-written answer: the wrong kind of value, or one still holding `...`
        passed, explanation = False, ""
        hint = f"{hint} (Your `{name}` could not be checked as it is: is it the kind of value the exercise asks for?)"
    print(f"Right: {explanation}".rstrip() if passed else f"Not yet: {hint}")
