"""Shared fixtures: the shipped content; a running bot over the in-memory Bot API (with or
without an organizer); the fake Bot API server; a database with a settable clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.render import check_rendered
from bot.storage import Storage
from tests.data import ICE_LIST_TESTS, ICE_LIST_VARIABLE
from tests.fakes.botapi_server import FakeBotApiServer
from tests.harness import (
    CONTENT_DIR,
    ORGANIZER,
    Clock,
    Harness,
    make_config,
    running_bot,
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
    """The bot, started on a fresh database; it must send nothing Telegram would reject."""
    async with running_bot(make_config(tmp_path), content) as harness:
        yield harness


@pytest.fixture
async def org_bot(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    """The same, with one organizer: :data:`tests.harness.ORGANIZER`."""
    config = make_config(tmp_path, organizers=frozenset({ORGANIZER}))
    async with running_bot(config, content) as harness:
        yield harness


@pytest.fixture
def server() -> Iterator[FakeBotApiServer]:
    """The fake Bot API server on 127.0.0.1, for the real process (``BotProcess``)."""
    with FakeBotApiServer() as fake:
        yield fake


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
