"""The webhook server: Telegram posts each update here (behind a TLS reverse proxy), and
:func:`serve_webhook` runs the bot with it, as ``Application.run_webhook`` would.

python-telegram-bot's own webhook server reads a request's whole body before checking anything,
answers a body that is not JSON with 500, and logs an update it cannot read with its whole
content. This one, a small tornado application (tornado comes with python-telegram-bot's
``webhooks`` extra):

* refuses a request by its headers, before reading its body: 404 for another path, 403 without
  the secret token (compared in constant time), 415 for anything but JSON, 413 for a declared
  length over :data:`MAX_BODY` (1 MiB; Telegram's updates are far smaller);
* stops reading a body sent without a length once it passes :data:`MAX_BODY` (413);
* answers a body that is not a JSON object, or not an update, with 400, and logs only the
  update id and the error class — never the body, which holds what a user wrote;
* puts each update on the Application's queue, exactly as polling does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
from types import TracebackType
from typing import Any

import tornado.web
from telegram import Bot, Update
from telegram.ext import ExtBot
from tornado.httpserver import HTTPServer

from bot.telegram.context import BotApp
from bot.telegram.incoming import read_update

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes; a Telegram update is a few KiB at most
# Tornado's own cap sits a little higher, so that a body sent in chunks meets this module's
# limit (and its 413) first; tornado then stops reading and closes the connection.
SERVER_MAX_BODY = MAX_BODY + 64 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


class CannotListen(Exception):
    """The webhook's address is taken, or not one of this machine's."""


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """One POST from Telegram: checked by its headers, read up to :data:`MAX_BODY`, queued."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, bot: Bot, queue: asyncio.Queue[object], secret: str) -> None:
        self.bot = bot
        self.queue = queue
        self.secret = secret.encode()
        self.body = bytearray()
        self.answered = False

    def prepare(self) -> None:
        """Called once the headers are in, before any of the body is read."""
        token = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(token, self.secret):
            self._refuse(403)
            return
        media_type = self.request.headers.get("Content-Type", "").split(";", 1)[0]
        if media_type.strip().lower() != "application/json":
            self._refuse(415)
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            self._refuse(413 if length.isdigit() else 400)

    def data_received(self, chunk: bytes) -> None:
        if self.answered:
            return
        self.body += chunk
        if len(self.body) > MAX_BODY:
            self.body.clear()
            self._refuse(413)

    async def post(self) -> None:
        if self.answered:  # refused while the body was arriving
            return
        try:
            data = json.loads(bytes(self.body))
        except ValueError:  # not JSON, or not UTF-8
            log.info("webhook: a body that is not JSON was refused (%d bytes)", len(self.body))
            self._refuse(400)
            return
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int):
            log.info("webhook: a JSON body without an update id was refused")
            self._refuse(400)
            return
        try:
            update = read_update(data, self.bot)
        except Exception as exc:  # any shape python-telegram-bot cannot read
            log.warning(
                "webhook: update %d is not a valid update (%s)", update_id, type(exc).__name__
            )
            self._refuse(400)
            return
        if isinstance(self.bot, ExtBot):
            self.bot.insert_callback_data(update)
        await self.queue.put(update)
        self._answer(200)

    def _refuse(self, status: int) -> None:
        self._answer(status)

    def _answer(self, status: int) -> None:
        self.answered = True
        self.set_status(status)
        self.finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """No error page: the status says it all."""
        self.finish()

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Log the error class only: tornado's default would describe the request."""
        if not isinstance(value, tornado.web.HTTPError):
            log.error("webhook: request failed with %s", typ.__name__ if typ else "an error")


class _WebhookApp(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: paths and addresses are not worth keeping."""


def webhook_app(
    url_path: str, bot: Bot, queue: asyncio.Queue[object], secret: str
) -> tornado.web.Application:
    """The tornado application answering at ``/url_path`` (with or without a final slash)."""
    pattern = "/" + re.escape(url_path.strip("/")) + "/?" if url_path.strip("/") else "/"
    return _WebhookApp([(pattern, UpdateHandler, {"bot": bot, "queue": queue, "secret": secret})])


async def serve_webhook(
    app: BotApp, *, listen: str, port: int, url_path: str, webhook_url: str, secret: str
) -> None:
    """Start the bot, listen for Telegram's posts, register the webhook; run until SIGINT or
    SIGTERM (which also cut a start-up short); then stop everything in order. What
    ``Application.run_webhook`` does, with this module's server. Start-up calls are retried
    by the bot's call guard."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    servers: list[HTTPServer] = []

    async def start() -> None:
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        server = HTTPServer(
            webhook_app(url_path, app.bot, app.update_queue, secret),
            max_body_size=SERVER_MAX_BODY,
        )
        servers.append(server)
        try:
            server.listen(port, address=listen)
        except OSError as exc:
            raise CannotListen(f"cannot listen on {listen}:{port}: {exc.strerror or exc}") from exc
        await app.bot.set_webhook(
            webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        await app.start()
        log.info("webhook registered; serving updates")

    starting = asyncio.create_task(start(), name="webhook-start")
    stopping = asyncio.create_task(stop.wait(), name="webhook-stop")
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a start-up that failed ends here, with its error
            await stopping
    finally:
        for task in (starting, stopping):
            task.cancel()
        await asyncio.gather(starting, stopping, return_exceptions=True)
        for server in servers:
            server.stop()
            await server.close_all_connections()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
