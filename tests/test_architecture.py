"""The shape of the package: dependencies flow one way, no import circle, small modules.

widgets -> batch -> client -> wire/transport -> signing/errors/model (design.md). Read from the
source with ``ast`` (module-level imports, the ones that decide import order), so a violation
fails here before it becomes an import-time surprise.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vpnroute_widgets"
MAX_LINES = 400

#: module prefix -> prefixes it must never import (the arrows of the data flow, reversed)
FORBIDDEN = {
    "model": ("client", "operations", "batch", "widgets", "log", "cli", "sandbox", "transport"),
    "reference": ("model", "client", "batch", "widgets", "log", "cli", "sandbox", "errors"),
    "errors": ("client", "batch", "widgets", "log", "cli", "sandbox", "model"),
    "signing": ("client", "batch", "widgets", "log", "cli", "sandbox", "model", "errors"),
    "wire": ("client", "batch", "widgets", "log", "cli", "sandbox", "transport"),
    "transport": ("client", "batch", "widgets", "log", "cli", "sandbox"),
    "retry": ("client", "batch", "widgets", "log", "cli", "sandbox"),
    "client": ("batch", "widgets", "cli", "sandbox"),
    "operations": ("batch", "widgets", "cli", "sandbox"),
    "lifecycle": ("batch", "widgets", "cli", "sandbox"),
    "log": ("client", "batch", "widgets", "cli", "sandbox"),
    "batch": ("widgets", "cli"),
    "sandbox": ("client", "operations", "transport", "batch", "widgets", "cli", "log.response_log"),
}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        found[name.removesuffix(".__init__") if name != "__init__" else ""] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules ``name`` imports at module level (relative imports, as the package uses)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if not (isinstance(node, ast.ImportFrom) and node.level):
            continue
        parts = package.split(".") if package else []
        base = ".".join(parts[: len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
        subs = {f"{base}.{alias.name}".lstrip(".") for alias in node.names} & set(known)
        found |= subs
        if len(subs) < len(node.names) and base in known:
            found.add(base)
    return found - {name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_no_import_circle():
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in edges:
        if node not in index:
            visit(node)
    assert circles == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_dependencies_flow_one_way(layer):
    wrong = defaultdict(list)
    for name, targets in graph().items():
        if name != layer and not name.startswith(layer + "."):
            continue
        for target in targets:
            if any(target == bad or target.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                wrong[name].append(target)
    assert dict(wrong) == {}


def test_every_module_is_small():
    big = {str(path.relative_to(PACKAGE)): n for path in PACKAGE.rglob("*.py")
           if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert big == {}, f"split these by what they own: {big}"
