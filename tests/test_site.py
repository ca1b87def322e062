"""The website's builder (scripts/site.py) and the drawing pad's model export (scripts/export_tfjs.py).

The exported weights are checked by running the exported layers with NumPy, written here from the definitions
of the layers (valid 3x3 convolution, 2x2 max pooling, dense), against Keras's own predictions on real test digits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from scripts import export_tfjs, site  # noqa: E402

MODEL = REPO / "models" / "mnist_cnn_model.keras"


def _forward(description: dict, weights: np.ndarray, images: np.ndarray) -> np.ndarray:
    """The exported model run with NumPy: what the page asks TensorFlow.js to do with the same files."""
    x = images.astype(np.float64)
    for layer in description["layers"]:
        arrays = [
            weights[w["offset"] : w["offset"] + int(np.prod(w["shape"]))].reshape(w["shape"]) for w in layer["weights"]
        ]
        kind, config = layer["class"], layer["config"]
        if kind == "Conv2D":
            kernel, bias = arrays
            kh, kw = kernel.shape[:2]
            windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # n, h, w, c, kh, kw
            x = np.einsum("nhwcij,ijcf->nhwf", windows, kernel) + bias
        elif kind == "MaxPooling2D":
            n, h, w, c = x.shape
            x = x[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
        elif kind == "Flatten":
            x = x.reshape(len(x), -1)
        elif kind == "Dense":
            kernel, bias = arrays
            x = x @ kernel + bias
        activation = config.get("activation", "linear")
        if activation == "relu":
            x = np.maximum(x, 0)
        elif activation == "softmax":
            x = np.exp(x - x.max(axis=1, keepdims=True))
            x = x / x.sum(axis=1, keepdims=True)
    return x


@pytest.mark.skipif(not MODEL.exists(), reason="no reference model in models/ (make models)")
def test_exported_model_gives_keras_predictions(tmp_path):
    import keras

    from helpers.data import TEST_DIR, load_arrays

    description = export_tfjs.export(MODEL, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "weights.bin"]  # no temporary file left
    assert json.loads((tmp_path / "model.json").read_text()) == description
    weights = np.fromfile(tmp_path / "weights.bin", dtype="<f4")
    assert weights.size * 4 == description["weights_bytes"]
    images, _ = load_arrays(TEST_DIR)
    images = images[::10]  # 200 digits, every digit class
    expected = keras.saving.load_model(MODEL, compile=False).predict(images, verbose=0)
    assert np.abs(_forward(description, weights, images) - expected).max() < 1e-5


def test_export_refuses_a_layer_the_page_cannot_run(tmp_path, capsys):
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.BatchNormalization(name="norm")])
    path = tmp_path / "other.keras"
    model.save(path)
    assert export_tfjs.main([str(path), str(tmp_path / "out")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "error: layer 'norm' is a BatchNormalization, which the drawing pad can't run"
    )
    assert not (tmp_path / "out" / "model.json").exists()


def test_export_of_a_missing_model_is_one_line(tmp_path, capsys):
    assert export_tfjs.main([str(tmp_path / "nothing.keras"), str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == f"error: no model at {tmp_path / 'nothing.keras'}"


def test_links_become_pages_or_github():
    names = {"00_welcome_and_setup", "01_the_dataset"}
    text = "[next](01_the_dataset.ipynb#top) [map](00_welcome_and_setup.ipynb) [r](../README.md#x) [w](https://a.b)"
    fixed = site.fix_links(text, "notebooks", names)
    url = site.repository_url()
    assert (
        fixed
        == f"[next](01_the_dataset.ipynb#top) [map](index.ipynb) [r]({url}/blob/main/README.md#x) [w](https://a.b)"
    )


def test_solutions_are_folded_where_the_teacher_had_them():
    notebook = json.loads((REPO / "notebooks" / "06_evaluation.ipynb").read_text(encoding="utf-8"))
    folded, before = site.folded_solutions(notebook)
    texts = [site.source(cell) for cell in folded]
    solutions = sum(text.startswith("### Solution") for text in texts)
    assert solutions >= 1
    assert sum(text.startswith("<details") for text in texts) == solutions == texts.count("</details>")
    for heading, opening in zip(texts, texts[1:]):  # each fold opens right after its heading
        if heading.startswith("### Solution"):
            assert opening.startswith("<details")
    assert before is not None and before.startswith("## Next")


def test_kernel_only_widgets_get_a_sentence():
    def view(model_id):
        return {"output_type": "display_data", "data": {site.WIDGET_VIEW: {"model_id": model_id}}, "metadata": {}}

    state = {
        "a": {"model_module": "@jupyter-widgets/controls", "state": {"children": ["IPY_MODEL_b"]}},
        "b": {"model_module": "anywidget", "state": {}},
        "c": {"model_module": "@jupyter-widgets/controls", "state": {}},
    }
    notebook = {
        "metadata": {"widgets": {site.WIDGET_STATE: {"state": state}}},
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": "pad", "outputs": [view("a")]},
            {"cell_type": "code", "metadata": {}, "source": "slider", "outputs": [view("c")]},
        ],
    }
    site.saved_widgets(notebook)
    cells = notebook["cells"]
    assert [site.source(c) for c in cells[1::2]] == [site.KERNEL_ONLY_NOTE, site.SAVED_WIDGET_NOTE]
    assert cells[0]["outputs"] == [] and cells[2]["outputs"] == [view("c")]
    assert set(state) == {"c"}  # no module from the internet left to load, nor a box that holds one
    kept = {key for model in state.values() for key in site._references(model)}
    assert kept <= set(state)  # the page's widget manager finds every model it is asked for


def test_alt_text_of_an_output_reaches_its_image(tmp_path):
    png = (REPO / "data" / "reduced_mnist" / "test" / "3").glob("*.png").__next__().read_bytes()
    encoded = __import__("base64").b64encode(png).decode()
    said = "A handwritten 3, white on black"
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "outputs": [
                    {"data": {"image/png": encoded}, "metadata": {"image/png": {"alt": said}}},
                    {"data": {"image/png": encoded[:-8] + "AAAAAAA="}, "metadata": {}},  # no alt text: left alone
                ],
            }
        ]
    }
    alts = site.alt_texts(notebook)
    name = __import__("hashlib").sha256(png).hexdigest() + ".png"
    assert alts == {name: said}
    page = tmp_path / "03.html"
    other = f'<img alt="x" src="_images/{"0" * 64}.png" />'  # an image without alt text in its output
    page.write_text(f'<p><img alt="_images/{name}" src="_images/{name}" />{other}')
    site.apply_alt_texts(tmp_path, alts)
    assert page.read_text() == f'<p><img alt="{said}" src="_images/{name}" />{other}'
