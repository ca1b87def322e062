"""Numbers quoted in the notebooks' prose agree with the outputs and asserts they come from.

Each claim below names a notebook, a pattern that finds the quoted number in its markdown, and where the true
number comes from: a pattern on the text outputs (or the code) of a notebook. The committed notebooks are read,
nothing runs, so this is cheap; it fails as soon as a re-executed output drifts away from what the prose says
(then fix the prose, or say it qualitatively). A claim whose pattern no longer matches fails too: update the
table when you reword a sentence. Runtime claims ("well under a minute") are not checked here.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _cells(notebook: str) -> list[dict]:
    (path,) = NOTEBOOKS.glob(f"{notebook}_*.ipynb")
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def markdown(notebook: str) -> str:
    return "\n\n".join("".join(c["source"]) for c in _cells(notebook) if c["cell_type"] == "markdown")


def code(notebook: str) -> str:
    return "\n\n".join("".join(c["source"]) for c in _cells(notebook) if c["cell_type"] == "code")


def outputs(notebook: str) -> str:
    texts = []
    for cell in _cells(notebook):
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(texts)


def number(pattern: str, text: str, where: str) -> float:
    """The number captured by ``pattern`` in ``text``: exactly one match, else a message that says what to update."""
    found = re.findall(pattern, text)
    assert len(found) == 1, f"{where}: expected one match of {pattern!r}, found {found}; reworded? update this test"
    return float(str(found[0]).replace(",", ""))


def reference_accuracy() -> float:
    """The reference model's test accuracy in percent, as notebook 06 printed it."""
    return number(r"test accuracy: ([\d.]+)%", outputs("06"), "06 outputs")


def test_accuracy_of_the_reference_model_is_read_off_notebook_06():
    assert 90 <= reference_accuracy() <= 100


# (id, notebook of the prose, pattern of the claim, source of the truth, tolerance); the source is
# (notebook, "outputs" or "code", pattern, scale): the captured number times scale is what the claim must match.
CLAIMS = [
    (
        "00 epochs of the first model",
        "00",
        r"the training digits twice \((\d+) \*epochs\*\)",
        ("00", "code", r"first_model\.fit\(train_ds, epochs=(\d+)", 1),
        0,
    ),
    (
        "00 epochs of notebook 04",
        "00",
        r"trains this\s+CNN for (\d+) epochs",
        ("04", "outputs", r"the original project's recipe: (\d+) epochs", 1),
        0,
    ),
    (
        "03 parameters",
        "03",
        r"Parameters: ([\d,]+), \d+% of",
        ("03", "outputs", r"Total params: \S*?([\d,]{5,})", 1),
        0,
    ),
    (
        "04 parameters (the hand-written step)",
        "04",
        r"with each of the ([\d,]+) weights",
        ("04", "outputs", r"mnist_cnn: 7 layers, ([\d,]+) weights to learn", 1),
        0,
    ),
    (
        "04 final validation accuracy",
        "04",
        r"reached\s+([\d.]+) % validation accuracy in our run",
        ("04", "outputs", r"val_accuracy +epoch 1: [\d.]+ +epoch 20: ([\d.]+)", 100),
        0.05,
    ),
    (
        "05 best epoch",
        "05",
        r"overfits its 8,000 digits after a few epochs \(about (\d+) in our run\)",
        ("05", "outputs", r"lowest validation loss: [\d.]+ at epoch (\d+)", 1),
        0,
    ),
    (
        "06 images per digit",
        "06",
        r"It holds exactly (\d+) images of each\s+digit",
        ("06", "outputs", r"images per digit: \[(\d+)", 1),
        0,
    ),
    (
        "06 accuracy (loss section)",
        "06",
        r"Our accuracy is close \(about ([\d.]+) %\)",
        ("06", "outputs", r"test accuracy: ([\d.]+)%", 1),
        0.5,
    ),
    (
        "06 accuracy (summary)",
        "06",
        r"gives test loss and accuracy: about ([\d.]+) %",
        ("06", "outputs", r"test accuracy: ([\d.]+)%", 1),
        0.5,
    ),
    (
        "06 share of the loss from the mistakes",
        "06",
        r"carry (\d+) % of the loss",
        ("06", "outputs", r"share of the total loss from the mistakes: (\d+)%", 1),
        0,
    ),
    (
        "06 mistakes made with more than 99 % confidence",
        "06",
        r"(\d+) of the \d+ were made with more than 99 %",
        ("06", "outputs", r"mistakes made with more than 99 % confidence: (\d+)", 1),
        0,
    ),
    (
        "06 recall floor (prose)",
        "06",
        r"Every digit is found at least (\d+) % of the time",
        ("06", "code", r"expect\(\s*recalls\[worst\] >= ([\d.]+)", 100),
        0,
    ),
    (
        "06 recall floor (summary)",
        "06",
        r"Every digit has\s+a\s+recall\s+of at least (\d+) %",
        ("06", "code", r"expect\(\s*recalls\[worst\] >= ([\d.]+)", 100),
        0,
    ),
    (
        "06 linear baseline (summary)",
        "06",
        r"Logistic regression on the raw pixels gets about (\d+) %",
        ("06", "outputs", r"logistic regression on the pixels: ([\d.]+)%", 1),
        1.5,
    ),
    (
        "06 linear baseline (assert message)",
        "06",
        None,
        ("06", "outputs", r"logistic regression on the pixels: ([\d.]+)%", 1),
        1.5,
    ),
    ("07 error rate", "07", r"Expected: 24 × ([\d.]+) %", ("07", "outputs", r"error rate ([\d.]+)%", 1), 0),
    ("07 error rate (solution 1)", "07", r"48 × ([\d.]+) % ≈", ("07", "outputs", r"error rate ([\d.]+)%", 1), 0),
    (
        "07 expected mistakes among 48",
        "07",
        r"48 × [\d.]+ % ≈ ([\d.]+)",
        ("07", "outputs", r"expected mistakes among 48: ([\d.]+)", 1),
        0,
    ),
    (
        "07 probabilities compared",
        "07",
        r"compares all ([\d,]+) × \d+\s+probabilities",
        ("07", "outputs", r"probabilities: \((\d+), \d+\)", 1),
        0,
    ),
    (
        "09 Grad-CAM's feature maps",
        "09",
        r"from the (\d+) feature maps \(11x11\)",
        ("09", "outputs", r"conv2 maps: \(1, 11, 11, (\d+)\)", 1),
        0,
    ),
    (
        "09 accuracy of the Dense layer's classes",
        "09",
        r"one more layer reads\s+(\d+)% of the\s+test digits right",
        ("09", "outputs", r"test accuracy ([\d.]+)%", 1),
        0.5,
    ),
]


@pytest.mark.parametrize("claim", CLAIMS, ids=[claim[0] for claim in CLAIMS])
def test_a_number_in_the_prose_matches_its_output(claim):
    name, notebook, pattern, (source, kind, source_pattern, scale), tolerance = claim
    if pattern is None:  # a number quoted in an assert's message, checked against the output
        pattern, text = r"about (\d+)% is expected", code(notebook)
    else:
        text = markdown(notebook)
    quoted = number(pattern, text, f"{notebook} prose")
    truth = number(source_pattern, outputs(source) if kind == "outputs" else code(source), f"{source} {kind}")
    truth = 100 - truth if scale == -1 else truth * scale
    assert abs(quoted - truth) <= tolerance + 1e-9, (
        f"{name}: notebook {notebook} says {quoted:g}, but {source}'s {kind} give {truth:g} (tolerance {tolerance})"
    )


def test_07_error_rate_times_24_is_the_quoted_expectation():
    rate, expected = re.search(r"Expected: 24 × ([\d.]+) % ≈ ([\d.]+) mistakes", markdown("07")).groups()
    assert abs(24 * float(rate) / 100 - float(expected)) < 0.05, f"24 x {rate} % is not {expected}"


def test_07_names_the_call_predict_one_really_makes():
    from helpers.evaluation import predict_one

    calls = set(re.findall(r"model\.(\w+)\(", inspect.getsource(predict_one)))
    assert calls == {"predict_on_batch"}, f"predict_one calls {calls}: update notebook 07's prose and this test"
    prose = markdown("07")
    assert re.search(r"predict_on_batch[^\n]*predict_one|predict_one[^\n]*predict_on_batch", prose), (
        "notebook 07 should say that predict_one calls predict_on_batch"
    )
    says_direct_call = r"predict_one`?[^.\n]{0,60}\b(?:calls|uses|runs)\b[^.\n()]{0,20}`model\(x, training=False\)`"
    wrong = re.findall(says_direct_call, prose)
    assert not wrong, f"notebook 07 says predict_one calls model(x, training=False): {wrong}"


@pytest.mark.parametrize("notebook", ["07", "08"])
def test_accuracies_at_the_reference_models_level_match_it(notebook):
    """A sentence that quotes an accuracy of 98.5 % or more (the reference model's level; quick or weaker models
    score less) must be within half a point of the reference model's test accuracy (notebook 06's output).
    Tolerant of any wording: a notebook that quotes no such number passes."""
    actual = reference_accuracy()
    for sentence in re.split(r"(?<=[.!?])\s+|\n", markdown(notebook)):
        if "accura" not in sentence.lower():
            continue
        for quoted in re.findall(r"(\d{2}(?:\.\d+)?) ?%", sentence):
            if float(quoted) >= 98.5:
                assert abs(float(quoted) - actual) <= 0.5, (
                    f"notebook {notebook} quotes {quoted} % accuracy, the reference model has {actual} % "
                    f"(notebook 06): {sentence.strip()!r}"
                )
