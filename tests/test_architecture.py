"""The layering of ``bot/``, read from the source: no import circles, the domain knows no Telegram.

Every import counts wherever it is written — at the top of a module, inside a function (the
lazy imports that keep start-up light), or under ``TYPE_CHECKING`` — because each is an arrow a
reader has to follow. Importing ``bot.a.b`` also runs the package ``bot.a`` first, so that is an
arrow too (unless the importer lives in ``bot.a`` itself).

The rules:

* no circles among the modules of ``bot``;
* outside ``bot/telegram/``, no module imports ``telegram`` (python-telegram-bot) or
  ``bot.telegram``; the one exception is ``bot.cli``, the command line, which starts the
  Telegram application (``run``, ``chat``) and so stands above both layers;
* no module imports another module's private names (``_name``): what is shared is public.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENTRY_POINTS = frozenset({"bot.cli"})  # above the domain and the Telegram layer alike


@dataclass(frozen=True)
class Import:
    """One arrow: ``source`` imports ``target`` (a module of the tree, or ``telegram``)."""

    source: str
    target: str
    line: int
    names: tuple[str, ...] = ()  # the names taken with ``from target import ...``


def modules(root: Path, package: str = "bot") -> dict[str, Path]:
    """Module name -> file, for every module of ``package`` under ``root``."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(name: str, known: Mapping[str, Path]) -> str | None:
    """The module ``name`` is, or is in (``bot.render.fit_message`` -> ``bot.render``)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _ancestors(name: str) -> Iterator[str]:
    while "." in name:
        name = name.rpartition(".")[0]
        yield name


def imports(root: Path, package: str = "bot") -> list[Import]:
    """Every import between the modules of ``package`` and of ``telegram``, with its line."""
    known = modules(root, package)
    arrows: list[Import] = []
    for source, path in known.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            wanted: list[tuple[str, tuple[str, ...]]] = []
            if isinstance(node, ast.Import):
                wanted = [(alias.name, ()) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the importer's package
                    here = source.split(".") if is_package else source.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join([*here, base] if base else here)
                names = tuple(alias.name for alias in node.names)
                # "from bot.telegram import handlers" imports the module bot.telegram.handlers
                wanted = [(base, names)]
                wanted += [(f"{base}.{n}", ()) for n in names if f"{base}.{n}" in known]
            for name, names in wanted:
                if name == "telegram" or name.startswith("telegram."):
                    arrows.append(Import(source, "telegram", node.lineno))
                    continue
                target = _resolve(name, known)
                if target is None or target == source:
                    continue
                if names and target != name:  # "from bot.x import y" where y is a module
                    names = ()
                arrows.append(Import(source, target, node.lineno, names))
                for parent in _ancestors(target):
                    if parent in known and parent not in _ancestors(source) and parent != source:
                        arrows.append(Import(source, parent, node.lineno))
    return arrows


def circles(arrows: list[Import]) -> list[list[str]]:
    """The groups of modules that reach each other (strongly connected, more than one)."""
    graph: dict[str, set[str]] = {}
    for arrow in arrows:
        graph.setdefault(arrow.source, set()).add(arrow.target)
        graph.setdefault(arrow.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the module graph is shallow
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _describe(group: list[str], arrows: list[Import]) -> str:
    inside = set(group)
    return "\n".join(
        f"  {a.source} -> {a.target} (line {a.line})"
        for a in arrows
        if a.source in inside and a.target in inside
    )


def _is_telegram_layer(module: str) -> bool:
    return module == "bot.telegram" or module.startswith("bot.telegram.")


# -- the rules, on bot/ ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bot_imports() -> list[Import]:
    return imports(REPO)


def test_the_reader_sees_the_whole_tree(bot_imports: list[Import]) -> None:
    """The graph holds the modules a reader knows are there, with their known arrows."""
    arrows = {(a.source, a.target) for a in bot_imports}
    assert ("bot.telegram.app", "bot.telegram.context") in arrows
    assert ("bot.telegram.app", "telegram") in arrows
    assert ("bot.render", "bot.telegram_html") in arrows
    assert ("bot.cli", "bot.telegram.app") in arrows  # imported inside a function
    assert ("bot.render", "bot.content") in arrows  # the package runs before its module


def test_no_import_circles(bot_imports: list[Import]) -> None:
    """No two modules of bot/ import each other, directly or through others."""
    found = circles(bot_imports)
    assert not found, "import circles:\n" + "\n\n".join(_describe(g, bot_imports) for g in found)


def test_the_domain_never_imports_telegram(bot_imports: list[Import]) -> None:
    """Outside bot/telegram/ nothing imports python-telegram-bot or bot.telegram, except the
    command line that starts the Telegram application."""
    upward = [
        f"{a.source} -> {a.target} (line {a.line})"
        for a in bot_imports
        if not _is_telegram_layer(a.source)
        and a.source not in ENTRY_POINTS
        and (a.target == "telegram" or _is_telegram_layer(a.target))
    ]
    assert not upward, "the domain reaches into Telegram:\n" + "\n".join(upward)


def test_no_module_imports_anothers_private_names(bot_imports: list[Import]) -> None:
    """What one module of bot/ takes from another is public (no leading underscore)."""
    private = [
        f"{a.source}: {name} from {a.target} (line {a.line})"
        for a in bot_imports
        for name in a.names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private, "private names imported:\n" + "\n".join(private)


# -- the reader itself, on made-up trees ------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_circles_through_lazy_and_type_only_imports_are_found(tmp_path: Path) -> None:
    """An import inside a function or under TYPE_CHECKING closes a circle as any other."""
    root = _tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/a.py": "from bot.b import thing\n",
            "bot/b.py": "def f():\n    from bot.c import other\n",
            "bot/c.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot import a\n"
            ),
            "bot/d.py": "import bot.a\n",
        },
    )
    assert circles(imports(root)) == [["bot.a", "bot.b", "bot.c"]]


def test_a_package_that_imports_its_importer_is_a_circle(tmp_path: Path) -> None:
    """``from bot.pkg.mod import x`` runs bot/pkg/__init__.py first: if that imports the
    importer back, it is a circle; a module importing its own package's siblings is not."""
    root = _tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/pkg/__init__.py": "from bot.pkg.mod import x\nfrom bot.user import y\n",
            "bot/pkg/mod.py": "from bot.pkg.other import z\nx = 1\n",
            "bot/pkg/other.py": "z = 1\n",
            "bot/user.py": "from bot.pkg.mod import x\ny = 2\n",
        },
    )
    assert circles(imports(root)) == [["bot.pkg", "bot.user"]]


def test_telegram_and_private_names_are_seen(tmp_path: Path) -> None:
    """Relative imports, python-telegram-bot and private names are all read."""
    root = _tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/domain.py": "from .helpers import _secret\nimport telegram.error\n",
            "bot/helpers.py": "_secret = 1\n",
        },
    )
    arrows = imports(root)
    assert {(a.source, a.target, a.names) for a in arrows} == {
        ("bot.domain", "bot.helpers", ("_secret",)),
        ("bot.domain", "telegram", ()),
    }
