"""Shared fixtures: the shipped content, a database with a settable clock, and a running bot
over the in-memory Bot API."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.render import check_rendered
from bot.storage import Storage
from tests.data import ICE_LIST_TESTS, ICE_LIST_VARIABLE
from tests.harness import (
    CONTENT_DIR,
    Clock,
    Harness,
    invalid_requests,
    make_config,
    start_harness,
    stop_harness,
)

# ICE's whole list is not part of the repository: its tests run only when it is given.
collect_ignore = [] if os.environ.get(ICE_LIST_VARIABLE) else [ICE_LIST_TESTS]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not os.environ.get(ICE_LIST_VARIABLE):
        terminalreporter.write_line(
            f"tests/{ICE_LIST_TESTS} not run: ICE's whole list is not in the repository; "
            f"set {ICE_LIST_VARIABLE} to its .xlsx file to run them"
        )


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(CONTENT_DIR, render_check=check_rendered)


@pytest.fixture
async def bot(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    harness = await start_harness(make_config(tmp_path), content)
    try:
        yield harness
    finally:
        await stop_harness(harness)
    invalid = invalid_requests(harness.api)
    assert not invalid, f"Telegram would have rejected: {invalid}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def storage(tmp_path: Path, clock: Clock) -> AsyncIterator[Storage]:
    """A fresh database file whose time is ``clock``."""
    opened = await Storage.open(tmp_path / "db.sqlite3", clock=clock)
    try:
        yield opened
    finally:
        await opened.close()
