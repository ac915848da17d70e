"""The Bot API connection pools share one TLS context: the CA bundle is read once at start-up,
not once per pool (about 50 ms each)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.telegram import http
from bot.telegram.app import build_application
from bot.telegram.sender import build_sender_bot
from tests.harness import make_config


def test_every_pool_shares_one_tls_context(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: Content
) -> None:
    loaded: list[Any] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loaded.append(args or kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    http._tls.cache_clear()
    config = make_config(tmp_path)
    build_application(config, content)  # the calls' pool and the polling pool
    build_sender_bot(config)  # the broadcast sender's
    assert len(loaded) == 1
    http.telegram_request(1)
    assert len(loaded) == 1  # another pool later: still the same context
