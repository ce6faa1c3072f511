"""The package's layers, checked from the source: what each floor may import.

``analytics/`` is built in floors (README, "Layout"). A module may import its own floor and the
floors below it, never one above:

    errors, config, names   the vocabulary every floor shares
    stats/                  arrays and frames in, estimates out
    data/                   tables, the warehouse, ingest, scopes
    analyses/               one CX question each: query, then stats
    report/, demo/          how results read; the demo world
    ui/, cli/               the two ways in (the CLI may drive the served UI, e.g. ``iconic warm``)

On top of the floors: ``stats/`` touches no query engine, and only ``ui/`` imports streamlit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analytics"
BASE = {"errors", "config", "names"}
FLOOR = {"base": 0, "stats": 1, "data": 2, "analyses": 3, "report": 4, "demo": 4, "ui": 5, "cli": 5}
#: Same-floor imports across layers that are allowed (the CLI's ``warm`` opens dashboard sessions).
SIDEWAYS = {("cli", "ui")}
ENGINES = {"ibis", "duckdb", "pyspark", "deltalake", "pyarrow.dataset"}


def layer_of(module: str) -> str:
    """``analytics.data.warehouse`` -> "data"; ``analytics.config`` -> "base"."""
    parts = module.split(".")
    if parts[0] != "analytics" or len(parts) == 1:
        raise ValueError(f"{module} is not inside the analytics package")
    return "base" if parts[1] in BASE else parts[1]


def imports_of(source: str, module: str) -> list[str]:
    """Every module ``source`` imports, at any depth, with ``from analytics import x`` read as ``analytics.x``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{module} uses a relative import; the layers are read from absolute ones")
            base = node.module or ""
            if base == "analytics" or (base.startswith("analytics.") and base.count(".") == 1 and base[10:] in FLOOR):
                found += [f"{base}.{alias.name}" for alias in node.names]
            else:
                found.append(base)
    return found


def breaches(source: str, module: str) -> list[str]:
    """What ``module`` imports that its floor may not."""
    layer = layer_of(module)
    wrong = []
    for target in imports_of(source, module):
        top = target.split(".")[0]
        if top == "streamlit" and layer != "ui":
            wrong.append(f"{module} imports {target}: only analytics.ui may import streamlit")
        if layer == "stats" and any(target == e or target.startswith(e + ".") for e in ENGINES):
            wrong.append(f"{module} imports {target}: stats/ takes arrays and frames, never a query engine")
        if top != "analytics" or target == "analytics":
            continue
        other = layer_of(target)
        if other == layer or (layer, other) in SIDEWAYS:
            continue
        if FLOOR[other] >= FLOOR[layer]:
            wrong.append(f"{module} ({layer}) imports {target} ({other}), which is not below it")
    return wrong


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name != "analytics":
            found.append((name, path))
    return found


def test_every_module_sits_on_a_known_floor():
    for name, _ in modules():
        layer = layer_of(name)
        assert layer in FLOOR, f"{name} is in no layer: put it under one of {sorted(FLOOR)}"


@pytest.mark.parametrize("name, path", modules(), ids=[name for name, _ in modules()])
def test_no_module_imports_a_floor_above_its_own(name, path):
    assert breaches(path.read_text(), name) == []


@pytest.mark.parametrize(
    "module, source, rule",
    [
        ("analytics.stats.nps", "import ibis\n", "never a query engine"),
        ("analytics.stats.nps", "def f():\n    from analytics.data import warehouse\n", "not below it"),
        ("analytics.report.charts", "import streamlit as st\n", "only analytics.ui"),
        ("analytics.data.filters", "from analytics.analyses import advocacy\n", "not below it"),
        ("analytics.analyses.moments", "from analytics.report.columns import spec\n", "not below it"),
        ("analytics.demo", "from analytics import cli\n", "not below it"),
    ],
)
def test_the_checker_catches_each_kind_of_breach(module, source, rule):
    found = breaches(source, module)
    assert len(found) == 1 and rule in found[0], found


def test_the_checker_allows_what_the_layers_allow():
    allowed = "from analytics import config, names\nfrom analytics.stats import inference\nfrom analytics.data import warehouse\n"
    assert breaches(allowed, "analytics.analyses.advocacy") == []
    assert breaches("from analytics.ui.load import warm\n", "analytics.cli") == []
