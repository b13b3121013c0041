"""The layers of docs/architecture.md hold: imports go one way, function-level imports included.

Read from the source with ``ast`` (nothing is imported): every ``import speakerid...`` and
``from speakerid... import`` anywhere in a module counts, except under ``if TYPE_CHECKING:``
(annotations only, never run). Two rules:

- no import cycle between modules;
- a package (or a top-level module with a layer) imports only packages of lower layers, its own
  package, and the base modules (top-level modules without a layer, which import only each other).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "speakerid"

# Lowest first. decode -> faces -> identity -> timeline -> labels, with video, train, explain and
# review beside them, the pipeline and the engines above, the plugin and the CLI on top.
LAYERS: list[set[str]] = [
    {"io"},
    {"faces", "asd", "video", "labels"},
    {"identity", "settings"},
    {"timeline", "train"},
    {"pipeline", "explain"},
    {"batch", "review", "delegated_worker"},
    {"cli", "fiftyone_plugin"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """``speakerid.x.y`` -> its file, for every module of the package."""
    out = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(child) for child in ast.walk(node))
    return skip


def imports_of(source: str, modules: set[str]) -> set[str]:
    """The speakerid modules ``source`` imports at run time (``from pkg import submodule`` is the
    submodule, ``from module import name`` the module)."""
    tree = ast.parse(source)
    skip = _type_checking_nodes(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("speakerid"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in modules else node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("speakerid"))
    return out & modules


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_names(root)
    names = set(modules)
    return {m: imports_of(p.read_text(), names) - {m} for m, p in modules.items()}


def unit(module: str) -> str:
    """The layered unit a module belongs to: its package under speakerid, or its own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "speakerid"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Each import that goes sideways or up, as ``importer -> imported``."""
    bad = []
    for module, targets in sorted(graph.items()):
        here = RANK.get(unit(module))
        for target in sorted(targets):
            there = RANK.get(unit(target))
            if unit(target) == unit(module) or (there is None and here is None):
                continue
            if there is None:  # base modules may be imported by anyone
                continue
            if here is None or there >= here:
                bad.append(f"{module} -> {target}")
    return bad


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_imports_go_down_the_layers():
    assert layer_violations(import_graph()) == []


def test_every_package_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(RANK), packages - set(RANK)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set(), "c": {"b"}}, []),
    ],
)
def test_cycles_finds_a_circle(graph, expected):
    assert cycles(graph) == expected


def test_a_function_level_import_up_the_layers_is_caught():
    """Today's old circles, put back as the function-level imports they were, are found."""
    names = {"speakerid.identity.tracks", "speakerid.train.classifier", "speakerid.faces.face"}
    source = "def f():\n    from speakerid.train.classifier import load_classifier\n"
    found = imports_of(source, names)
    assert found == {"speakerid.train.classifier"}
    graph = {"speakerid.identity.tracks": found, "speakerid.train.classifier": {"speakerid.faces.face"}}
    assert layer_violations(graph) == ["speakerid.identity.tracks -> speakerid.train.classifier"]
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from speakerid.train.classifier import X\n"
    assert imports_of(guarded, names) == set()
