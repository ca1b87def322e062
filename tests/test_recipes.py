"""helpers.recipes: one frozen object per recipe, the one place its numbers live, read by training, the CLI and
the metadata check."""

import dataclasses
import subprocess
import sys

import pytest

from helpers import recipes
from helpers.errors import CourseError
from helpers.provenance import mismatch
from helpers.recipes import IMPROVED, REFERENCE, get_recipe, training_settings


def test_a_recipe_cannot_be_changed_in_place():
    with pytest.raises(dataclasses.FrozenInstanceError):
        REFERENCE.epochs = 5
    assert get_recipe("reference") is REFERENCE and get_recipe("improved") is IMPROVED


def test_an_unknown_recipe_is_named_with_the_choices():
    with pytest.raises(CourseError, match="unknown recipe 'fast'; choose one of: reference, improved"):
        get_recipe("fast")


def test_recipes_and_the_cli_parser_load_without_tensorflow():
    code = (
        "import sys, helpers.recipes, helpers.cli; helpers.cli.build_parser(); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_the_cli_help_quotes_the_recipes(capsys):
    from helpers.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"{REFERENCE.epochs} for reference, {IMPROVED.epochs} for improved" in text
    assert " ".join(IMPROVED.summary.split()) in text


def test_a_model_trained_with_other_recipe_settings_is_not_the_recipes_model(monkeypatch):
    """The metadata check reads the recipe: change one number of it and the saved settings no longer match."""
    from helpers import training

    saved = training.expected_settings("improved", with_architecture=False)
    assert mismatch(saved, training.expected_settings("improved", with_architecture=False)) is None
    softer = dataclasses.replace(IMPROVED, label_smoothing=0.2)
    monkeypatch.setitem(recipes.RECIPES, "improved", softer)
    problem = mismatch(saved, training.expected_settings("improved", with_architecture=False))
    assert problem == (
        "it was trained with recipe settings {'label_smoothing': 0.1} "
        "(wanted: recipe settings {'label_smoothing': 0.2})"
    )


def test_training_settings_record_what_the_run_chose():
    assert training_settings("improved")["members"] == IMPROVED.members
    assert training_settings("improved", members=3)["members"] == 3
    assert "epochs" not in training_settings("reference")  # recorded and compared on their own
