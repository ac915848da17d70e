"""The README documents every CLI command and the test command CI runs."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bot.cli import _parser

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def subcommands() -> list[str]:
    parser = _parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    raise AssertionError("no subcommands")


def test_every_cli_command_is_in_the_readme() -> None:
    """Each `outreach-bot` subcommand appears in the README with an example."""
    for name in subcommands():
        assert re.search(rf"outreach-bot {re.escape(name)}\b", README), name


def test_ci_runs_the_readme_test_line() -> None:
    """.ci/run calls exactly the test command the README's quickstart gives."""
    quickstart = README.split("## Quickstart", 1)[1]
    lines = [line for line in quickstart.splitlines() if line.startswith(("python", "pip", "."))]
    install_and_run, test_line = lines[0], lines[1]
    assert "outreach-bot run" in install_and_run
    assert "pytest" in test_line
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_line in ci.splitlines()
