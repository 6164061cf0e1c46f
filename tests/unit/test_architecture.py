"""The shape of the house (docs/architecture.md), checked from the source: no import circle under app/, no
package importing another's private names or unlisted submodules, no folder holding more than a quarter of
the application, and the domain free of the outside world."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
SERVICES = "app.services"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(path): path for path in APP.rglob("*.py")}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imports_of(name: str) -> list[tuple[str, tuple[str, ...], int]]:
    """(module imported, names taken from it, line) for every import in the module, at any depth (lazy too)."""
    path = MODULES[name]
    package = name if is_package(name) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, tuple(alias.name for alias in node.names), node.lineno))
    return found


def targets(name: str) -> set[str]:
    """The app modules this module makes Python import: each module named, and submodules taken with `from`."""
    result = set()
    for base, names, _ in imports_of(name):
        if base in MODULES:
            result.add(base)
        result |= {f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES}
    # Importing a submodule first runs the packages above it; a module's own packages are already running.
    result = {t for t in result if not name.startswith(t + ".")}
    result.discard(name)
    return result


def feature_package(name: str) -> str | None:
    """`app.services.dispatch` for anything in it; None outside the feature packages."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[:2] == ["app", "services"] and f"{SERVICES}.{parts[2]}" in MODULES:
        if is_package(f"{SERVICES}.{parts[2]}"):
            return f"{SERVICES}.{parts[2]}"
    return None


def public_names(package: str) -> set[str]:
    """What a feature package's `__init__` lists in `__all__`."""
    tree = ast.parse(MODULES[package].read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return {element.value for element in node.value.elts}  # type: ignore[attr-defined]
    return set()


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_circle_between_modules_under_app() -> None:
    graph = {name: targets(name) for name in MODULES}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_no_import_circle_between_feature_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for name in MODULES:
        own = feature_package(name)
        if own is None:
            continue
        for target in targets(name):
            other = feature_package(target)
            if other is not None and other != own:
                graph[own].add(other)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def cross_package_imports() -> list[tuple[str, str, str, int]]:
    """(importer, package, what it takes, line) for every import reaching into another feature package."""
    found = []
    for name in MODULES:
        own = feature_package(name)
        for base, names, line in imports_of(name):
            other = feature_package(base) if base.startswith(SERVICES + ".") else None
            if base == SERVICES:  # `from app.services import dispatch`: the package itself
                found += [(name, f"{SERVICES}.{n}", "", line) for n in names if feature_package(f"{SERVICES}.{n}")]
                continue
            if other is None or other == own:
                continue
            if base == other:
                found += [(name, other, n, line) for n in names]
            else:
                found.append((name, other, base[len(other) + 1 :].split(".")[0], line))
    return found


def test_other_packages_use_only_what_a_feature_package_lists_in_its_init() -> None:
    wrong = [
        f"{importer}:{line} takes {taken!r} from {package}"
        for importer, package, taken, line in cross_package_imports()
        if taken and taken not in public_names(package)
    ]
    assert wrong == []


def test_nobody_imports_a_private_name_from_another_package() -> None:
    wrong = []
    for name in MODULES:
        own_package = name.rpartition(".")[0] if not is_package(name) else name
        for base, names, line in imports_of(name):
            if not base.startswith("app.") or base == own_package or base.startswith(own_package + "."):
                continue
            if base.rpartition(".")[0] == own_package:  # a sibling module of the same package
                continue
            wrong += [f"{name}:{line} imports {n} from {base}" for n in names if n.startswith("_")]
    assert wrong == []


def test_every_feature_package_names_its_public_interface() -> None:
    packages = sorted(p for p in MODULES if p.startswith(SERVICES + ".") and is_package(p))
    assert len(packages) >= 10
    for package in packages:
        assert MODULES[package].read_text().startswith('"""'), f"{package} says what it owns"
        listed = public_names(package)
        assert listed, f"{package}/__init__.py lists its public names in __all__"


def lines_of(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def test_no_folder_holds_more_than_a_quarter_of_the_application() -> None:
    """Each folder's own modules (a feature package counts on its own, not inside app/services)."""
    per_folder: dict[Path, int] = defaultdict(int)
    for path in MODULES.values():
        per_folder[path.parent] += lines_of(path)
    total = sum(per_folder.values())
    too_big = {str(folder.relative_to(ROOT)): n / total for folder, n in per_folder.items() if n > total / 4}
    assert too_big == {}


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if n.startswith("app.domain")), ids=lambda n: n.rpartition(".")[2]
)
def test_the_domain_knows_nothing_of_the_outside(name: str) -> None:
    outside = ("flask", "sqlalchemy", "twilio", "requests", "psycopg", "app.models", "app.services", "app.web")
    bad = [base for base, _, _ in imports_of(name) if base.split(".")[0] in outside or base.startswith(outside)]
    assert bad == []


def documented_calls() -> dict[str, set[str]]:
    """The 'may call' column of docs/architecture.md's package table."""
    allowed: dict[str, set[str]] = {}
    order: list[str] = []
    for line in (ROOT / "docs" / "architecture.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`") or "/" in cells[0]:
            continue
        package = cells[0].strip("`")
        order.append(package)
        if cells[2] == "any of the above":
            allowed[package] = set(order[:-1])
        else:
            allowed[package] = set(re.findall(r"`([a-z_]+)`", cells[2]))
    return allowed


def test_packages_call_only_what_docs_architecture_says() -> None:
    allowed = documented_calls()
    packages = {p.rpartition(".")[2] for p in MODULES if p.startswith(SERVICES + ".") and is_package(p)}
    assert set(allowed) == packages, "every feature package has its row in docs/architecture.md"
    undocumented = set()
    for name in MODULES:
        own = feature_package(name)
        for target in targets(name) if own else ():
            other = feature_package(target)
            if other and other != own and other.rpartition(".")[2] not in allowed[own.rpartition(".")[2]]:
                undocumented.add(f"{own} -> {other} ({name})")
    assert undocumented == set()


def test_tests_share_builders_through_factories_never_through_another_test_module() -> None:
    """Builders live in tests/factories (or tests/fakes, a conftest): importing a test module runs its fixtures' imports
    twice and ties unrelated tests together."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_") for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


#: Edges that do one thing call the one service function for it, and none of the steps it is made of.
ONE_SERVICE_CALL = {
    "app/web/submit.py": ("submit_discharge_list", ("import_discharge_list", "record_rejected", "record_dry_run")),
    "app/web/api.py": ("submit_discharge_list", ("import_discharge_list", "record_rejected", "record_dry_run")),
    "app/cli/intake.py": ("submit_discharge_list", ("import_discharge_list", "record_rejected", "record_dry_run")),
    "app/cli/reports.py": ("produce_report", ("build_monthly_report", "send_monthly_report", "write_files")),
}


def _called_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


@pytest.mark.parametrize("edge", sorted(ONE_SERVICE_CALL))
def test_edges_call_one_service_function_for_one_capability(edge: str) -> None:
    """Issue 13: the page, the API and the command import a list through one call that also keeps the history;
    the reports command makes a report through the same function as the scheduler."""
    wanted, steps = ONE_SERVICE_CALL[edge]
    called = _called_names(ROOT / edge)
    assert wanted in called, f"{edge} should call {wanted}"
    assert not called & set(steps), f"{edge} calls {sorted(called & set(steps))} itself instead of {wanted}"
