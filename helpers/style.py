"""The one plot style (``setup_notebook`` applies it) and the colormaps by meaning: digits gray as stored (white
ink on black), signed values diverging around 0, non-negative maps (Grad-CAM, activations, rates) sequential; the
last two with a colorbar.  ``format_probability``: how every figure and message prints a confidence;
``describe``: a figure's alt text."""

from typing import Any

DPI = 110
STYLE = {"figure.dpi": DPI, "savefig.dpi": DPI, "image.cmap": "gray", "figure.max_open_warning": 0}
DIGIT_CMAP, SIGNED_CMAP, HEAT_CMAP = "gray", "RdBu_r", "magma"  # digits as stored: white ink on black


def format_probability(probability: float) -> str:
    """A probability as a percentage with one decimal that never rounds to a false 100 % or 0 %.

    >>> [format_probability(p) for p in (0.992, 0.9996, 1.0, 0.0004, 0.0)]
    ['99.2%', '>99.9%', '100%', '<0.1%', '0%']
    """
    probability = float(probability)
    if not -1e-6 <= probability <= 1 + 1e-6:  # float32 softmax may overshoot by a rounding error
        raise ValueError(f"a probability lies in [0, 1], not {probability!r}")
    probability = min(max(probability, 0.0), 1.0)
    if probability == 1:
        return "100%"
    if probability == 0:
        return "0%"
    if probability >= 0.9995:  # one decimal would print 100.0%
        return ">99.9%"
    if probability < 0.0005:  # one decimal would print 0.0%
        return "<0.1%"
    return f"{probability:.1%}"


def describe(fig: Any, alt_text: str) -> None:
    """Give ``fig`` its alt text: what it shows, in words, for a reader who cannot see it (a screen reader, the
    course website).  After ``setup_notebook`` the notebook stores it with the figure's image.

    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> describe(fig, "An empty   figure.")
    >>> fig.alt_text
    'An empty figure.'
    """
    if not str(alt_text).strip():
        raise ValueError("alt text says what a figure shows; it cannot be empty")
    fig.alt_text = " ".join(str(alt_text).split())
