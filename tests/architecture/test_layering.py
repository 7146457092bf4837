"""The house rules of ``apps/``: imports run one way, no cycles, modules stay readable."""

from __future__ import annotations

from .imports import APPS, app_of, find_cycle, import_graph

# Lowest first; an app may import only apps listed before it (docs/architecture.md).
LAYERS = [
    "apps.core",
    "apps.sites",
    "apps.accounts",
    "apps.notifications",
    "apps.volunteers",
    "apps.orders",
    "apps.activities",
    "apps.showcase",
    "apps.points",
    "apps.reports",
    "apps.open311",
]
MAX_LINES = 600


def test_no_import_cycle_between_modules() -> None:
    assert find_cycle(import_graph()) is None


def test_no_import_cycle_between_apps() -> None:
    apps: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        apps.setdefault(app_of(module), set()).update(
            app_of(t) for t in targets if app_of(t) != app_of(module)
        )
    assert find_cycle(apps) is None


def test_apps_import_only_downward() -> None:
    upward = sorted(
        f"{module} → {target}"
        for module, targets in import_graph().items()
        for target in targets
        if app_of(module) in LAYERS
        and app_of(target) in LAYERS
        and LAYERS.index(app_of(target)) > LAYERS.index(app_of(module))
    )
    assert upward == []


def test_every_app_has_a_layer() -> None:
    found = {app_of(m) for m in import_graph()} - {"apps"}
    assert found == set(LAYERS)


def test_core_imports_no_app() -> None:
    graph = import_graph()
    outside = sorted(
        f"{m} → {t}"
        for m, ts in graph.items()
        if app_of(m) == "apps.core"
        for t in ts
        if app_of(t) != "apps.core"
    )
    assert outside == []


def test_no_module_over_the_limit() -> None:
    long = sorted(
        f"{p.relative_to(APPS)}: {n} lines"
        for p in APPS.rglob("*.py")
        if "migrations" not in p.parts
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert long == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_type_only_imports_are_not_dependencies() -> None:
    import ast

    from .imports import _runtime_nodes

    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from apps.accounts.models import User\n"
        "from apps.core.errors import NotFoundError\n"
    )
    names = [n.module for n in _runtime_nodes(tree) if isinstance(n, ast.ImportFrom)]
    assert sorted(names) == ["apps.core.errors", "typing"]
