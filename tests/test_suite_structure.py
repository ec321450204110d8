"""The test suite's own shape: no module of it imports a test module.

What several test modules share lives in modules not named ``test_*``: the world of
the page-wide tests (tests/world.py), the pages' access rules (tests/access_rules.py),
the fuzzing harness (tests/fuzzing.py), factories, form readers, a package's
``conftest.py`` or helper modules (tests/visits/record_form.py …). So a test module
can be read, run, moved or deleted on its own, and pytest never collects a test, or
a fixture, a second time through an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _test_modules_imported(source: str, package: str) -> list[str]:
    """The test modules (``tests…test_*``) that ``source``, a module of ``package``,
    imports anywhere: at the top, inside functions, relatively or absolutely."""
    imported: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            imported.append(base)
            # ``from tests.visits import test_planning`` imports a module, too.
            imported += [f"{base}.{alias.name}" for alias in node.names]
    return sorted(
        {
            name
            for name in imported
            if name.split(".")[0] == "tests" and name.split(".")[-1].startswith("test_")
        }
    )


def test_no_module_of_the_suite_imports_a_test_module() -> None:
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS.parent)
        package = ".".join(relative.parent.parts)
        imported = _test_modules_imported(path.read_text(encoding="utf-8"), package)
        if imported:
            found[str(relative)] = imported
    assert found == {}


def test_the_rule_finds_every_way_of_importing_a_test_module() -> None:
    """Not vacuous: absolute, relative, deferred and ``from package import test_x``."""
    source = (
        "from tests.test_admin import build_world\n"
        "from . import test_record_form\n"
        "import tests.policy.test_policy_replan\n"
        "from tests.world import World\n"
        "\n"
        "def helper():\n"
        "    from .test_planning_batch import make_projects\n"
    )
    assert _test_modules_imported(source, "tests.visits") == [
        "tests.policy.test_policy_replan",
        "tests.test_admin",
        "tests.visits.test_planning_batch",
        "tests.visits.test_record_form",
    ]
