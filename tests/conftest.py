"""Shared fixtures: the shipped content, and a running bot over the in-memory Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Content, load_content
from tests.harness import (
    CONTENT_DIR,
    Harness,
    invalid_requests,
    make_config,
    start_harness,
    stop_harness,
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
    invalid = invalid_requests(harness.api)
    assert not invalid, f"Telegram would have rejected: {invalid}"
