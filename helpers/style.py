"""The one plot style (``setup_notebook`` applies it) and the colormaps by meaning: digits gray, signed values
diverging around 0, non-negative maps (Grad-CAM, activations, rates) sequential; the last two with a colorbar."""

DPI = 110
STYLE = {"figure.dpi": DPI, "savefig.dpi": DPI, "image.cmap": "gray_r", "figure.max_open_warning": 0}
DIGIT_CMAP, SIGNED_CMAP, HEAT_CMAP = "gray_r", "RdBu_r", "magma"
