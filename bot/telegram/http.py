"""The HTTP connection pools to Telegram's Bot API, sharing one TLS context.

The bot opens several pools — replies, ``getUpdates``, the broadcast sender's — and httpx makes
a TLS context for each by loading its whole CA bundle, about 50 ms apiece: a fifth of a second
of start-up before the first answer. One context, made once with httpx's own defaults (certifi's
bundle, ``SSL_CERT_FILE`` honoured), serves them all; an ``ssl.SSLContext`` may be shared.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx
from telegram.request import HTTPXRequest


@cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def telegram_request(connection_pool_size: int) -> HTTPXRequest:
    """A pool of ``connection_pool_size`` connections, with python-telegram-bot's default
    timeouts and the shared TLS context."""
    return HTTPXRequest(connection_pool_size=connection_pool_size, httpx_kwargs={"verify": _tls()})
