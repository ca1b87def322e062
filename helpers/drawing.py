"""The drawing pad's canvas: a small custom widget (``anywidget``) whose browser side owns the drawing.

The front end, ``drawing_pad.js`` beside this file, draws the strokes itself and, each time the pen goes up,
sends the pixels to Python in the ``pixels`` trait: ``size * size`` bytes, one gray level (0 black .. 255
white) per pixel, row by row.  Its **Clear** button sends empty bytes.  Python only watches ``pixels``
(``helpers.widgets.drawing_pad`` predicts from them), so a test drives the pad by setting the trait::

    pad = DrawingCanvas()
    pad.pixels = bytes(280 * 280)   # what the browser sends for a black square
    pad.clear()                     # what Clear does

Every view starts from ``pixels``, so the pad keeps working, and shows the same drawing, after a page
reload, in a reopened tab or in a re-run cell; and it needs no JupyterLab extension of its own beyond
anywidget's, so it also runs in VS Code and Colab.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization

FRONT_END = Path(__file__).with_name("drawing_pad.js")


class DrawingCanvas(anywidget.AnyWidget):
    """A ``size`` x ``size`` black square to draw on with the mouse, white strokes ``line_width`` wide."""

    _esm = FRONT_END
    size = traitlets.Int(280).tag(sync=True)
    line_width = traitlets.Int(18).tag(sync=True)
    pixels = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)

    def clear(self) -> None:
        """Empty the pad in every open view, as its Clear button does."""
        self.pixels = b""
