"""Who may import what.

* The product (bot/) imports python-telegram-bot's public API only, and never the tests:
  python-telegram-bot's private modules (``telegram._utils``, ``telegram._bot``, …) change
  without notice between releases; the tests, their fakes and the benchmarks are not installed
  with the package.
* No test or benchmark imports a test module: what two of them share lives in
  ``tests/harness.py``, ``tests/conftest.py`` or ``tests/fakes/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOT_SOURCES = sorted((REPO / "bot").rglob("*.py"))
TEST_AND_BENCHMARK_SOURCES = sorted(
    [*(REPO / "tests").rglob("*.py"), *(REPO / "benchmarks").rglob("*.py")]
)
NOT_INSTALLED = ("tests", "benchmarks")


def imports(path: Path) -> list[str]:
    """Every module (and ``module.name``) a source file imports, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def is_private_telegram(name: str) -> bool:
    top, *rest = name.split(".")
    return top == "telegram" and any(part.startswith("_") for part in rest)


def test_the_product_imports_public_telegram_and_no_test_code() -> None:
    """No module under bot/ imports a private python-telegram-bot module or name, or anything
    from tests/ or benchmarks/."""
    assert len(BOT_SOURCES) > 40, "the product's sources were not found"
    wrong = [
        f"{path.relative_to(REPO)}: {name}"
        for path in BOT_SOURCES
        for name in imports(path)
        if is_private_telegram(name) or name.split(".")[0] in NOT_INSTALLED
    ]
    assert wrong == []


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and any(part.startswith("test_") for part in parts[1:])


def test_no_test_or_benchmark_imports_a_test_module() -> None:
    """Shared helpers live in the harness, the conftest or the fakes, not in a test module."""
    assert any(p.name == "test_boundaries.py" for p in TEST_AND_BENCHMARK_SOURCES)
    wrong = [
        f"{path.relative_to(REPO)}: {name}"
        for path in TEST_AND_BENCHMARK_SOURCES
        for name in imports(path)
        if is_test_module(name)
    ]
    assert wrong == []


def test_the_check_sees_private_and_test_imports(tmp_path: Path) -> None:
    """The scan finds what it must refuse, however it is written (nested, aliased)."""
    source = tmp_path / "sample.py"
    source.write_text(
        "import telegram\n"
        "from telegram import Bot\n"
        "from telegram.request import BaseRequest\n"
        "def f():\n"
        "    from telegram._utils.types import ODVInput\n"
        "    import telegram._bot as private_bot\n"
        "    from tests.fakes import local_api\n"
        "    from tests.test_e2e import BotProcess\n"
        "    import tests.test_deploy\n",
        "utf-8",
    )
    names = imports(source)
    assert [n for n in names if is_private_telegram(n)] == [
        "telegram._utils.types.ODVInput",
        "telegram._bot",
    ]
    assert [n for n in names if n.split(".")[0] in NOT_INSTALLED] == [
        "tests.fakes.local_api",
        "tests.test_e2e.BotProcess",
        "tests.test_deploy",
    ]
    assert [n for n in names if is_test_module(n)] == [
        "tests.test_e2e.BotProcess",
        "tests.test_deploy",
    ]
