# Sphinx settings of the course's website (scripts/site.py copies this file into build/site/src/).
# MyST-NB renders the notebooks with their saved outputs: nothing is executed.
project = "Handwritten Digit Recognition with a CNN"
author = "the course's authors"
copyright = "the course's authors, MIT licence; digits: MNIST (LeCun, Cortes, Burges), CC BY-SA 3.0"
extensions = ["myst_nb", "sphinx_design"]
root_doc = "index"  # notebook 00, the course map
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]
html_theme = "sphinx_book_theme"
html_title = "Handwritten digits with a CNN"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_js_files = ["widget-alt.js"]  # notebook 08's widget images get their tooltip as alt text
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
html_favicon = "_static/favicon.svg"  # without one, the browser's request for /favicon.ico is a 404 in the console
html_context = {"default_mode": "light"}  # the theme's light/dark switch starts from a known mode
# Everything a page loads comes from the site itself (scripts/site.py copies it from npm into _static/vendor/).
mathjax_path = "vendor/mathjax/tex-mml-chtml.js"
nb_ipywidgets_js = {
    "vendor/require.js": {},
    "vendor/html-manager/embed-amd.js": {"data-jupyter-widgets-cdn": "about:blank", "crossorigin": "anonymous"},
}
html_extra_path = ["extra"]  # the widget manager's icon font, at the site's root (scripts/site.py)
