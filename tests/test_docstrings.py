"""The examples in the docstrings of ``helpers`` and ``benchmarks`` (``>>> ...``) are run, so they cannot go
stale; every public function has a docstring."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import benchmarks
import helpers

MODULES = sorted(
    info.name
    for package in (helpers, benchmarks)
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")
    if not info.name.endswith(".__main__") and info.name not in ("benchmarks.holdout", "benchmarks.spread")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples failed in {name}"


def test_examples_exist():
    """Guard against the collection above silently finding nothing."""
    finder = doctest.DocTestFinder()
    examples = sum(len(test.examples) for name in MODULES for test in finder.find(importlib.import_module(name)))
    assert len(MODULES) >= 15 and examples >= 30, (len(MODULES), examples)


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_have_docstrings(name):
    import inspect

    module = importlib.import_module(name)
    missing = [
        function
        for function, value in vars(module).items()
        if inspect.isfunction(value)
        and value.__module__ == name
        and not function.startswith("_")
        and not (value.__doc__ or "").strip()
    ]
    assert not missing, f"{name}: no docstring on {missing}"
