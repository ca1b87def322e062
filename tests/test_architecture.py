"""The shape of ``helpers``: which module may import which (README, "Architecture"), no import cycles, no
maintainer's tool inside, and a package small enough to read.  Every import counts, also one inside a
function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import helpers

PACKAGE = Path(helpers.__file__).parent

# each module may import helpers modules of lower layers only (the README draws this)
LAYERS = [
    {"errors", "quiet", "bootstrap", "style"},
    {"paths"},
    {"data", "model_files", "recipes"},
    {"own_images", "idx", "model", "evaluation", "plots", "explain", "provenance"},
    {"training"},
    {"notebook", "playground", "drawing"},
    {"widgets", "answer_key"},
    {"cli"},
    {"__main__"},
]
LAYER = {module: level for level, modules in enumerate(LAYERS) for module in modules}
REEXPORTED = {"CourseError": "errors", "quiet_tensorflow": "quiet"}  # ``from helpers import ...``


def helpers_imports(source: str) -> set[str]:
    """The helpers modules a module's source imports (``helpers.x``, ``from helpers import x``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "helpers":
            found |= {REEXPORTED.get(alias.name, alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("helpers.")}
    return found


def import_graph() -> dict[str, set[str]]:
    return {
        path.stem: helpers_imports(path.read_text()) - {path.stem}
        for path in sorted(PACKAGE.glob("*.py"))
        if path.stem != "__init__"
    }


def test_every_module_has_a_layer():
    assert set(import_graph()) == set(LAYER), "add a new module to LAYERS here and to the README's picture"


@pytest.mark.parametrize("module", sorted(LAYER))
def test_a_module_imports_only_lower_layers(module):
    wrong = sorted(other for other in import_graph()[module] if LAYER.get(other, len(LAYERS)) >= LAYER[module])
    assert not wrong, f"helpers.{module} (layer {LAYER[module]}) must not import {wrong}"


def test_no_import_cycles():
    graph = import_graph()
    visiting, done = [], set()

    def visit(module: str) -> None:
        if module in visiting:
            raise AssertionError("import cycle: " + " -> ".join(visiting[visiting.index(module) :] + [module]))
        if module in done:
            return
        visiting.append(module)
        for other in sorted(graph.get(module, ())):
            visit(other)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_the_cycle_finder_finds_a_cycle(monkeypatch):
    monkeypatch.setitem(globals(), "import_graph", lambda: {"a": {"b"}, "b": {"c"}, "c": {"a"}})
    with pytest.raises(AssertionError, match="a -> b -> c -> a"):
        test_no_import_cycles()


def test_the_package_imports_nothing_heavy_and_no_maintainer_tool():
    init = helpers_imports((PACKAGE / "__init__.py").read_text())
    assert init <= {"errors", "quiet"}
    for path in PACKAGE.glob("*.py"):
        assert "benchmarks" not in {n.split(".")[0] for n in _all_imports(path.read_text())}, path.name


def _all_imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def statements(source: str) -> int:
    """Python statements in ``source``, docstrings not counted: what a reader must read, however it is formatted."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0])
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and isinstance(node.body[0].value.value, str)
    }
    return sum(isinstance(node, ast.stmt) and id(node) not in docstrings for node in ast.walk(tree))


def test_statements_counts_code_not_layout_or_docstrings():
    compact = "def f(x):\n    return x + 1\n"
    spread = 'def f(x):\n    """Add one.\n\n    More words.\n    """\n    return (\n        x\n        + 1\n    )\n'
    assert statements(compact) == statements(spread) == 2
    assert statements(compact + "y = f(1)\nz = f(y)\n") == 4


def test_the_package_stays_small():
    """A guard against growth that measures code, not lines: a package a maintainer reads in an afternoon
    (2,160 statements when this guard replaced the 3,100-line cap, which pushed toward compressed lines)."""
    count = sum(statements(path.read_text()) for path in PACKAGE.glob("*.py"))
    assert count <= 2600, f"helpers/ has {count} statements; what students do not use belongs elsewhere"
