"""The drawing pad's canvas: a small ``anywidget`` whose browser side (``drawing_pad.js``) draws the strokes
and, each time the pen goes up, sends the pixels in ``pixels`` (``size * size`` gray bytes; Clear: none).
Python watches only ``pixels``, and every view starts from it, so the drawing survives a page reload."""

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
