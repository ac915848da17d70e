"""Shared fixtures: the shipped content, and a running bot over the in-memory Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Content, load_content
from tests.harness import CONTENT_DIR, Harness, make_config, start_harness, stop_harness


# Telegram answers these for a double tap or an old message; the bot handles them by design
# (nothing to change, or a new message instead of an edit). Anything else is an invalid request.
STALE_STATE_ERRORS = (
    "message to edit not found",
    "specified new message content and reply markup are exactly the same as a current "
    "content and reply markup of the message",
)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(CONTENT_DIR)


@pytest.fixture
async def bot(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    harness = await start_harness(make_config(tmp_path), content)
    try:
        yield harness
    finally:
        await stop_harness(harness)
    invalid = [r for r in harness.api.rejected if not r[2].endswith(STALE_STATE_ERRORS)]
    assert not invalid, f"Telegram would have rejected: {invalid}"
