"""Security properties as tests: secrets, SQL, HTML escaping, organizer-only paths, the
database file's mode and safe YAML loading.

* The bot token never appears in the real process's output, whatever fails (HTTP 500, a
  dropped connection, 401 Unauthorized), nor in an in-process log of an exception that carries
  it (``bot.config.RedactSecrets``).
* All SQL is parameterized: an AST scan lists every SQL call whose statement is not a literal;
  each must be in :data:`DYNAMIC_SQL` with the reason it is safe. Injection-shaped text is
  stored verbatim and changes nothing else.
* Every user-provided text sent as Telegram HTML is escaped, on every surface that shows one.
* Organizer commands and buttons from anyone else change nothing and look like unknown ones.
* The database file and its -wal/-shm files are readable by their owner only (an existing one
  is tightened at start), and so is the CSV `outreach-bot export` writes.
* Content is read with the safe YAML loader: an AST scan, and a ``!!python/object/apply`` tag
  that is refused without running anything.
"""

from __future__ import annotations

import ast
import contextlib
import io
import itertools
import logging
import os
import shutil
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest

from bot.agreements import ImportProblem, parse_agreements
from bot.config import RedactSecrets, Secret
from bot.content import Content, ContentError, load_content
from bot.outbox import preview_check
from bot.render import check_rendered
from bot.storage import Storage
from bot.telegram.app import BUTTONS, ORGANIZER_COMMANDS
from bot.telegram_html import visible_text
from tests.fakes import botapi_server
from tests.fakes.botapi_server import FakeBotApiServer
from tests.fakes.local_api import StoredMessage
from tests.harness import CONTENT_DIR, ORGANIZER, BotProcess, Harness, invalid_requests

REPO = Path(__file__).resolve().parents[1]
BOT_SOURCES = sorted((REPO / "bot").rglob("*.py"))
SECRET_PART = "AAHsecret-Part_0123456789abcdefXYZ"
PROCESS_TOKEN = f"7654321:{SECRET_PART}"
USER = 5550042
ORG = ORGANIZER  # org_bot's organizer
OTHER = 5550043


# -- the token never leaks ----------------------------------------------------------------------


class _HangUp(Exception):
    """Raised inside the fake server to close the connection without answering."""


class _HangingUpHandler(botapi_server._Handler):
    def _route(self, fake: FakeBotApiServer) -> None:
        try:
            super()._route(fake)
        except _HangUp:
            self.close_connection = True  # nothing written: the client sees the socket close


class HangingUpServer(FakeBotApiServer):
    """The fake Bot API server, which can also drop the connection of a request (a network
    failure: the bot gets no answer at all)."""

    def __init__(self) -> None:
        super().__init__()
        self._drops: dict[str, int] = {}
        self._drops_lock = threading.Lock()

    def hang_up_next(self, method: str) -> None:
        with self._drops_lock:
            self._drops[method.lower()] = self._drops.get(method.lower(), 0) + 1

    def dropped_all(self) -> bool:
        with self._drops_lock:
            return not any(self._drops.values())

    def handle_api(
        self, token: str, method: str, params: dict[str, Any], files: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        with self._drops_lock:
            drop = self._drops.get(method.lower(), 0) > 0
            if drop:
                self._drops[method.lower()] -= 1
        if drop:
            self.token_seen.add(token)
            self.calls.append(method)
            raise _HangUp
        return super().handle_api(token, method, params, files)

    def start(self) -> HangingUpServer:
        with mock.patch.object(botapi_server, "_Handler", _HangingUpHandler):
            super().start()
        return self


def _failed(server: FakeBotApiServer, method: str, status: int) -> int:
    return sum(1 for f in server.api.failed if f[0] == method and f[2] == status)


@pytest.mark.slow
def test_token_never_appears_in_the_process_output(tmp_path: Path) -> None:
    """Through 500s, dropped connections and a 401, the process never prints the token."""
    server = HangingUpServer()
    with server:
        api = server.api
        bot = BotProcess(
            server, tmp_path, TELEGRAM_BOT_TOKEN=PROCESS_TOKEN, OUTREACH_LOG_LEVEL="DEBUG"
        )
        try:
            api.user_message(USER, "/start")
            server.wait_for_message(USER, "Hi Ana!", timeout=30)
            sorry = "something went wrong"
            # A reply refused with 500 four times (then given up, and the user gets an
            # apology), then a reply whose connection is dropped (its outcome is unknown: it is
            # logged, and neither sent again nor apologized for).
            api.fail_next("sendMessage", 500, "Internal Server Error", count=4)
            api.user_message(USER, "/help")
            server.wait_for_message(USER, sorry)
            server.hang_up_next("sendMessage")
            api.user_message(USER, "/privacy")
            server.wait_for(
                lambda a: "not sent again" in bot.output(), what="the dropped reply logged"
            )
            # Polling itself fails (500, then a dropped connection) and recovers.
            api.fail_next("getUpdates", 500, "Internal Server Error")
            server.wait_for(lambda a: _failed(server, "getUpdates", 500) == 1, what="a 500")
            server.hang_up_next("getUpdates")
            server.wait_for(lambda a: server.dropped_all(), what="a dropped getUpdates")
            api.user_message(USER, "/language")
            server.wait_for_message(USER, "Choose your language", timeout=30)
            # 401: the token was revoked; python-telegram-bot stops polling.
            api.fail_next("getUpdates", 401, "Unauthorized")
            server.wait_for(lambda a: _failed(server, "getUpdates", 401) == 1, what="a 401")
            # Stop only once python-telegram-bot has handled the 401 (the bot logs it), so that
            # the signal does not race the error on its way out of run_polling.
            server.wait_for(
                lambda a: "Telegram refused the bot token" in bot.output(),
                what="the 401 handled by the bot",
            )
            assert invalid_requests(api) == []
        finally:
            code = bot.stop()
    output = bot.output()
    assert code == 1 and "Telegram refused the bot token" in output, (code, output[-2000:])
    assert server.token_seen == {PROCESS_TOKEN}, "the bot did not use the token under test"
    for evidence in ("NetworkError", "Internal Server Error", "Unauthorized"):
        assert evidence in output, f"the failures were not logged ({evidence}):\n{output}"
    assert PROCESS_TOKEN not in output
    assert SECRET_PART not in output
    assert quote(PROCESS_TOKEN, safe="") not in output


def _redacting_logger(secret: Secret) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets((secret,)))
    logger = logging.getLogger("tests.security.redaction")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_a_logged_exception_carrying_the_token_is_redacted() -> None:
    """A logged exception carrying the token, in any form, is written with it redacted."""
    logger, stream = _redacting_logger(Secret(PROCESS_TOKEN))
    encoded = quote(PROCESS_TOKEN, safe="")
    try:
        raise RuntimeError(f"GET https://api.telegram.org/file/bot{encoded}/photos/1.jpg failed")
    except RuntimeError:
        logger.exception("download failed for bot%s", PROCESS_TOKEN)
    try:
        raise ValueError(f"bad token {PROCESS_TOKEN} (secret {SECRET_PART})")
    except ValueError as exc:
        logger.error("config: %s", exc, exc_info=exc)
    logger.warning("url https://api.telegram.org/bot%s/getMe", PROCESS_TOKEN)
    output = stream.getvalue()
    assert "download failed" in output and "RuntimeError" in output and "ValueError" in output
    assert output.count("***") >= 5
    assert PROCESS_TOKEN not in output
    assert SECRET_PART not in output


# -- all SQL is parameterized --------------------------------------------------------------------

# Methods whose first argument (or ``sql=``) is an SQL statement. ``.write(`` is also how files
# are written; a file write with a non-literal argument has to be listed below like SQL.
SQL_SINKS = frozenset(
    {"execute", "executemany", "fetchall", "fetchone", "write", "_write", "_fetchall"}
    | {"_fetchone", "_one", "_rows", "execute_fetchall"}
    | {"_here", "_many_here", "_in_thread", "_many_in_thread"}  # bot/database.py
)

# Every SQL call whose statement is not a literal, and why it is safe: (file, function, call).
DYNAMIC_SQL: dict[tuple[str, str, str], str] = {
    ("bot/storage.py", "Storage.fetchall", "_fetchall"): (
        "pass-through: Storage.fetchall is itself a sink, so its callers are checked"
    ),
    ("bot/storage.py", "Storage.fetchone", "_fetchone"): (
        "pass-through: Storage.fetchone is itself a sink, so its callers are checked"
    ),
    ("bot/storage.py", "Storage.write", "_write"): (
        "pass-through: Storage.write is itself a sink, so its callers are checked"
    ),
    ("bot/storage.py", "Storage._write", "execute"): (
        "pass-through: Storage._write is itself a sink, so its callers are checked"
    ),
    ("bot/storage.py", "Storage._fetchone", "_fetchall"): (
        "pass-through: Storage._fetchone is itself a sink, so its callers are checked"
    ),
    ("bot/storage.py", "Storage._fetchall", "execute_fetchall"): (
        "pass-through: Storage._fetchall is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection.execute", "_here"): (
        "pass-through: Connection.execute is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection.execute", "_in_thread"): (
        "pass-through: Connection.execute is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection.executemany", "_many_here"): (
        "pass-through: Connection.executemany is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection.executemany", "_many_in_thread"): (
        "pass-through: Connection.executemany is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection.execute_fetchall", "execute"): (
        "pass-through: Connection.execute_fetchall is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection._here", "execute"): (
        "pass-through: Connection._here is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection._in_thread", "execute"): (
        "pass-through: Connection._in_thread is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection._many_here", "executemany"): (
        "pass-through: Connection._many_here is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection._many_in_thread", "executemany"): (
        "pass-through: Connection._many_in_thread is itself a sink, so its callers are checked"
    ),
    ("bot/database.py", "Connection.checkpoint", "execute"): (
        "PRAGMA wal_checkpoint with a mode checked against SQLite's four fixed names first"
    ),
    ("bot/storage.py", "Storage._migrate", "execute"): (
        "runs the fixed statements of the MIGRATIONS constant, nothing else"
    ),
    ("bot/storage.py", "Storage.update_draft", "_write"): (
        "column names only from the fixed DRAFT_FIELDS tuple (others raise); values are ?"
    ),
    ("bot/storage.py", "Storage.user_data", "_fetchall"): (
        "table names read from sqlite_master, never from users; the user id is a ?"
    ),
    ("bot/storage.py", "Storage.forget_user", "execute"): (
        "table names read from sqlite_master, never from users, and the fixed statements of"
        " FORGET_FIRST and FORGET_ORGANIZER; the user id is a ?"
    ),
    ("bot/cli_letters.py", "_write_private", "write"): (
        "not SQL: a file's write() of the batch's PDF or CSV bytes (sinks are known by name)"
    ),
    ("bot/deliveries.py", "queue_letter", "execute"): (
        "COUNT_EVENT, the fixed statement of bot/storage.py, in the same transaction; values are ?"
    ),
    ("bot/deliveries.py", "mark_delivered", "execute"): (
        "COUNT_EVENT, the fixed statement of bot/storage.py, in the same transaction; values are ?"
    ),
    ("bot/outbox.py", "_one", "execute"): (
        "pass-through: _one is itself a sink, so its callers are checked"
    ),
    ("bot/outbox.py", "Outbox.count_audience", "fetchone"): (
        "fixed fragments from _recipients_sql (_RECIPIENTS + _FILTERS); the value is a ?"
    ),
    ("bot/outbox.py", "_materialise", "execute"): (
        "fixed fragments from _recipients_sql (_RECIPIENTS + _FILTERS); the values are ?"
    ),
    ("bot/datafiles.py", "ParseCache._keep", "write"): (
        "a file write (the parse cache's pickled data), not SQL"
    ),
    ("bot/datafiles.py", "write_atomically", "write"): (
        "a file write (the data files importers write), not SQL"
    ),
}


def _is_literal_text(node: ast.expr, constants: set[str]) -> bool:
    """A string literal, or text built only from literals and literal module constants."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_literal_text(node.left, constants) and _is_literal_text(node.right, constants)
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(part, ast.Constant)
            or (
                isinstance(part, ast.FormattedValue)
                and part.format_spec is None
                and _is_literal_text(part.value, constants)
            )
            for part in node.values
        )
    return False


def _literal_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound once to text made only of literals (and earlier such names)."""
    constants: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if isinstance(target, ast.Name) and _is_literal_text(value, constants):
            constants.add(target.id)
    return constants


def _sink_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute) and call.func.attr in SQL_SINKS:
        return call.func.attr
    if isinstance(call.func, ast.Name) and call.func.id in SQL_SINKS:
        return call.func.id
    return None


def _statement_argument(call: ast.Call, sink: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "sql":
            return keyword.value
    if sink in ("_one", "_rows"):  # _one(conn, sql, params), _rows(conn, sql, params)
        return call.args[1] if len(call.args) > 1 else None
    return call.args[0] if call.args else None


def dynamic_sql_calls(source: str, path: str) -> dict[tuple[str, str, str], int]:
    """Every sink call in ``source`` whose statement is not literal text, by (file, function,
    sink), with the line of the first one."""
    tree = ast.parse(source)
    constants = _literal_constants(tree)
    found: dict[tuple[str, str, str], int] = {}

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, [*scope, child.name])
                continue
            if isinstance(child, ast.Call):
                sink = _sink_name(child)
                statement = _statement_argument(child, sink) if sink else None
                if sink and statement is not None and not _is_literal_text(statement, constants):
                    found.setdefault((path, ".".join(scope) or "<module>", sink), child.lineno)
            visit(child, scope)

    visit(tree, [])
    return found


def test_sql_scanner_flags_dynamic_sql() -> None:
    """The SQL scanner accepts literal statements and flags statements built at run time."""
    source = """
COLUMNS = "a, b"
QUERY = "SELECT " + COLUMNS + " FROM t WHERE id = ?"
async def fine(db, x):
    await db.execute("SELECT 1 WHERE x = ?", (x,))
    await db.fetchall(QUERY, (x,))
    await db.write(f"SELECT {COLUMNS} FROM t")
async def risky(db, name, sql):
    await db.execute(f"SELECT * FROM {name}")
    await db.fetchone("SELECT * FROM t WHERE n = '" + name + "'")
    await db.write(sql=sql)
    await _one(db, "SELECT %s" % name, ())
    await _rows(db, "SELECT " + name, ())
    await db.execute_fetchall(f"SELECT {name}")
"""
    found = dynamic_sql_calls(source, "x.py")
    assert set(found) == {
        ("x.py", "risky", "execute"),
        ("x.py", "risky", "fetchone"),
        ("x.py", "risky", "write"),
        ("x.py", "risky", "_one"),
        ("x.py", "risky", "_rows"),
        ("x.py", "risky", "execute_fetchall"),
    }


def test_all_sql_is_parameterized() -> None:
    """Every SQL statement in bot/ is literal, or reviewed in DYNAMIC_SQL with its reason."""
    found: dict[tuple[str, str, str], int] = {}
    for path in BOT_SOURCES:
        relative = path.relative_to(REPO).as_posix()
        found.update(dynamic_sql_calls(path.read_text(encoding="utf-8"), relative))
    unreviewed = {key: line for key, line in found.items() if key not in DYNAMIC_SQL}
    assert not unreviewed, "SQL built at run time, not reviewed in DYNAMIC_SQL: " + ", ".join(
        f"{file}:{line} in {function} ({sink})"
        for (file, function, sink), line in sorted(unreviewed.items())
    )
    stale = sorted(set(DYNAMIC_SQL) - set(found))
    assert not stale, f"DYNAMIC_SQL lists places that no longer build SQL: {stale}"


# -- a bot over the in-memory Bot API, with an organizer --------------------------------------


def dump(bot: Harness, *, ignore: frozenset[tuple[str, str]] = frozenset()) -> dict[str, Any]:
    """Every row of every table (and the schema), sorted; ``ignore`` drops (table, column)."""
    with sqlite3.connect(bot.app.bot_data.config.db_path) as conn:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        result: dict[str, Any] = {"schema": schema}
        for kind, table, _ in schema:
            if kind != "table":
                continue
            cursor = conn.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - a schema name
            columns = [d[0] for d in cursor.description]
            rows = [
                tuple((c, v) for c, v in zip(columns, row, strict=True) if (table, c) not in ignore)
                for row in cursor.fetchall()
            ]
            result[table] = sorted(rows, key=repr)
    return result


# The one thing any message changes: when the sender was last seen.
LAST_SEEN = frozenset({("users", "last_seen")})

INJECTIONS = ("'); DROP TABLE users; --", '" OR 1=1 --')


async def comment_to_story(bot: Harness, content: Content, user_id: int) -> None:
    await bot.send("/comment", user_id=user_id)
    await bot.press("Start", user_id=user_id)
    await bot.press_data(f"guide1:role:{next(iter(content.letter.roles))}", user_id=user_id)
    await bot.press_data(
        f"guide1:reason:{next(iter(content.letter.talking_points))}", user_id=user_id
    )
    await bot.press_data("guide1:next", user_id=user_id)


@pytest.mark.parametrize("text", INJECTIONS)
async def test_injection_text_is_stored_verbatim(
    org_bot: Harness, content: Content, text: str
) -> None:
    """SQL-injection text is stored exactly as typed, and nothing else changes."""
    bot = org_bot
    await bot.send("/start flyer-mn", user_id=OTHER)
    await bot.send("/pledge", user_id=OTHER)
    await bot.press("I pledge", user_id=OTHER)
    await bot.send("Bea", user_id=OTHER)
    bystander = dump(bot, ignore=LAST_SEEN)

    await bot.send(f"/start {text}")
    await bot.send("/pledge")
    await bot.press("I pledge")
    await bot.send(text)  # the first name
    await bot.send(text)  # a state nobody has: refused, the question stays
    await comment_to_story(bot, content, bot.user_id)
    await bot.send(text)  # the story
    await bot.send(text)  # the signature
    await bot.send(text)  # the place
    await bot.storage.touch_user(USER, "en", source=text)  # a source, however it might arrive
    await bot.storage.count_event("start", "en", text)

    storage = bot.storage
    pledge = await storage.get_pledge(bot.user_id)
    assert pledge is not None and pledge.first_name == text and pledge.state is None
    draft = await storage.get_draft(bot.user_id)
    assert draft is not None
    assert (draft.story, draft.sign_name, draft.sign_place) == (text, text, text)
    source_user = await storage.get_user(USER)
    assert source_user is not None and source_user.source == text
    assert (await storage.event_totals("start")).get(text) == 1
    after = dump(bot, ignore=LAST_SEEN)
    assert after["schema"] == bystander["schema"]
    for table in ("users", "pledges", "subscriptions", "conversations", "drafts"):
        others = [row for row in after[table] if dict(row)["user_id"] == OTHER]
        assert others == [r for r in bystander[table] if dict(r)["user_id"] == OTHER], table
    assert len(after["users"]) == 3  # the bystander, this user and the stored source's user
    assert len(after["pledges"]) == 2


# -- user text sent as HTML is always escaped ---------------------------------------------------

PAYLOAD = "<b>x</b>&<i>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;&amp;&lt;i&gt;"


def assert_only_escaped(bot: Harness, surface: StoredMessage | None = None) -> None:
    """No message the bot sent holds the payload as markup; ``surface`` shows it escaped."""
    for action in bot.api.sent:
        for field in ("text", "caption"):
            value = action.params.get(field)
            if isinstance(value, str):
                assert PAYLOAD not in value and "<b>x</b>" not in value, action
    if surface is not None:
        assert ESCAPED in (surface.text or ""), surface.text
        assert PAYLOAD in visible_text(surface.text or ""), "the user no longer sees their text"


async def test_greeting_escapes_the_first_name(org_bot: Harness) -> None:
    """/start greets a first name of HTML as text."""
    org_bot.first_name = PAYLOAD
    assert_only_escaped(org_bot, await org_bot.send("/start"))


async def test_pledge_and_mydata_escape_the_name(org_bot: Harness) -> None:
    """The pledge's thank-you and /mydata show a typed first name of HTML as text."""
    await org_bot.send("/pledge")
    await org_bot.press("I pledge")
    await org_bot.send(PAYLOAD)
    await org_bot.press("Skip")
    done = await org_bot.press("No, thanks")
    assert_only_escaped(org_bot, done)
    assert_only_escaped(org_bot, await org_bot.send("/mydata"))


async def test_unknown_state_is_escaped(org_bot: Harness) -> None:
    """A typed state the bot does not know is quoted back escaped."""
    await org_bot.send("/pledge")
    await org_bot.press("I pledge")
    await org_bot.press("Skip")
    assert_only_escaped(org_bot, await org_bot.send(PAYLOAD))


async def test_comment_preview_and_letter_escape_the_story(
    org_bot: Harness, content: Content
) -> None:
    """The comment preview and the letter show a story, name and place of HTML as text."""
    await comment_to_story(org_bot, content, org_bot.user_id)
    await org_bot.send(f"Story {PAYLOAD}")
    await org_bot.send(PAYLOAD)
    preview = await org_bot.send(PAYLOAD)
    assert_only_escaped(org_bot, preview)
    await org_bot.press("Continue")
    letter = [m for m in org_bot.api.messages(org_bot.user_id) if "<pre>" in (m.text or "")]
    assert letter
    assert_only_escaped(org_bot, letter[-1])


async def test_unknown_county_is_escaped(org_bot: Harness) -> None:
    """Where I live quotes an unknown county or city back escaped."""
    await org_bot.send("/local")
    await org_bot.press_data("local1:state:tx")
    assert_only_escaped(org_bot, await org_bot.send(PAYLOAD))


async def test_stats_escape_source_codes(org_bot: Harness) -> None:
    """/stats shows a stored source code of HTML (however it got there) as text."""
    await org_bot.storage.touch_user(USER, "en", source=PAYLOAD)
    await org_bot.storage.count_event("start", "en", PAYLOAD)
    await org_bot.send("/stats", user_id=ORG)
    numbers = [m for m in org_bot.api.messages(ORG) if m.kind == "text"][-1]
    assert_only_escaped(org_bot, numbers)


async def test_typed_source_of_a_broadcast_is_refused_not_echoed(org_bot: Harness) -> None:
    """An organizer typing an HTML source code for an audience gets a refusal, never markup."""
    await org_bot.storage.touch_user(USER, "en")
    await org_bot.storage.subscribe(USER)
    await org_bot.send("/broadcast", user_id=ORG)
    await org_bot.send("News", user_id=ORG)
    await org_bot.press("source code", user_id=ORG)
    await org_bot.send(PAYLOAD, user_id=ORG)
    assert_only_escaped(org_bot)


# -- organizer-only paths ---------------------------------------------------------------------

ORGANIZER_COMMAND_ARGS = {
    "broadcast": "",
    "stats": "",
    "export": "",
    "reload": "",
    "link": " flyer-mn pledge",
    "letters": "",
}
# "{id}" stands for each broadcast's id, "{check}" for its preview's check: the data the
# organizer's own screens carry.
ORGANIZER_BUTTON_ARGS: dict[str, tuple[str, ...]] = {
    "bcast1:audience": tuple(
        f"{{id}}-{c}" for c in ("all", "lang-en", "lang-es", "pns", "state", "source", "menu")
    ),
    "bcast1:state": ("{id}-tx", "{id}-ca"),
    "bcast1:send": ("{id}-{check}",),
    "bcast1:schedule": ("{id}-{check}",),
    "bcast1:discard": ("{id}",),
    "bcast1:stop": ("{id}", "1", "2", "3"),
    "letters1:download": ("new", "1"),
    "letters1:mark": ("1",),
    "letters1:how": ("1-hand", "1-mail"),
    "letters1:day": ("1-hand-2026-05-15",),
}
ORGANIZER_ACTIONS = {
    action.data_prefix
    for presses in BUTTONS
    for action, _ in presses
    if action.feature.organizers_only
}


def test_every_organizer_action_and_command_is_covered() -> None:
    """The refusal tests below cover every organizer command and callback action."""
    assert set(ORGANIZER_COMMAND_ARGS) == set(ORGANIZER_COMMANDS)
    assert set(ORGANIZER_BUTTON_ARGS) == set(ORGANIZER_ACTIONS)


async def organizer_has_broadcasts(bot: Harness) -> None:
    """A scheduled broadcast and a draft, for a supporter to try to tamper with."""
    await bot.storage.touch_user(OTHER, "en")
    await bot.storage.subscribe(OTHER)
    await bot.send("/broadcast", user_id=ORG)
    await bot.send("Scheduled news", user_id=ORG)
    await bot.press("Everyone subscribed", user_id=ORG)
    await bot.press("Schedule", user_id=ORG)
    await bot.send("2099-01-01 10:00 UTC", user_id=ORG)
    await bot.send("/broadcast", user_id=ORG)
    await bot.send("Draft news", user_id=ORG)


@pytest.mark.parametrize("chat_type", ["private", "group"])
async def test_organizer_commands_from_others_change_nothing(
    org_bot: Harness, chat_type: str
) -> None:
    """Organizer commands from a supporter look unknown and change nothing in the database."""
    bot = org_bot
    await organizer_has_broadcasts(bot)
    chat: dict[str, Any] = (
        {} if chat_type == "private" else {"chat_type": "group", "chat_id": -4242}
    )

    async def reply_to(text: str) -> tuple[str | None, Any]:
        before = len(bot.api.sent)
        await bot.feed(bot.api.user_message(bot.user_id, text, **chat))
        replies = [a for a in bot.api.sent[before:] if a.method != "answerCallbackQuery"]
        assert len(replies) == 1, replies
        return replies[0].text, replies[0].reply_markup

    unknown = await reply_to("/nosuchcommand")
    for name, args in ORGANIZER_COMMAND_ARGS.items():
        before = dump(bot, ignore=LAST_SEEN)
        assert await reply_to(f"/{name}{args}") == unknown, name
        assert dump(bot, ignore=LAST_SEEN) == before, name
    assert not any(a.method in ("sendPhoto", "sendDocument") for a in bot.api.sent)


async def test_organizer_buttons_from_others_change_nothing(org_bot: Harness) -> None:
    """Organizer buttons from a supporter look stale and change nothing in the database."""
    bot = org_bot
    await organizer_has_broadcasts(bot)
    outbox = bot.app.bot_data.outbox
    rows = await bot.storage.fetchall("SELECT id FROM broadcasts")
    broadcasts = [await outbox.get(row[0]) for row in rows]
    assert len(broadcasts) == 2
    await bot.send("/start")
    stale = await bot.press_data("zzz")
    for action, args in ORGANIZER_BUTTON_ARGS.items():
        for broadcast, arg in itertools.product(broadcasts, args):
            assert broadcast is not None
            check = preview_check(broadcast) or "0" * 12
            data = f"{action}:{arg.format(id=broadcast.id, check=check)}"
            before = dump(bot, ignore=LAST_SEEN)
            reply = await bot.press_data(data)
            assert (reply.text, reply.reply_markup) == (stale.text, stale.reply_markup), data
            assert dump(bot, ignore=LAST_SEEN) == before, data
    statuses = await bot.storage.fetchall("SELECT status FROM broadcasts ORDER BY id")
    assert [row[0] for row in statuses] == ["scheduled", "draft"]


# -- the database file -------------------------------------------------------------------------


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_database_files_are_private(tmp_path: Path) -> None:
    """The database and its -wal and -shm files are created mode 0600, whatever the umask."""
    path = tmp_path / "data" / "bot.sqlite3"
    with umask(0):
        storage = await Storage.open(path)
        try:
            await storage.touch_user(USER, "en")
            await storage.record_pledge(USER)
            wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
            assert wal.exists() and shm.exists()
            assert {p.name: mode(p) for p in (path, wal, shm)} == {
                p.name: 0o600 for p in (path, wal, shm)
            }
        finally:
            await storage.close()


async def test_a_database_readable_by_others_is_tightened_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An existing database (and its -wal and -shm files) with a wider mode is made private
    when the bot opens it, with a warning naming the file."""
    path = tmp_path / "bot.sqlite3"
    with umask(0):
        storage = await Storage.open(path)
        await storage.touch_user(USER, "en")
        wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
        for file in (path, wal, shm):
            file.chmod(0o644)
        await storage.close()
        path.chmod(0o664)
        with caplog.at_level(logging.WARNING, logger="bot.storage"):
            storage = await Storage.open(path)
        try:
            assert mode(path) == 0o600
            assert all(mode(p) == 0o600 for p in (wal, shm) if p.exists())
        finally:
            await storage.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(path) in w and "664" in w for w in warnings), warnings
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.storage"):
        await (await Storage.open(path)).close()
    assert not caplog.records, "a private database is opened without a warning"


@pytest.mark.parametrize("existing", [None, 0o644])
def test_cli_export_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: int | None
) -> None:
    """`outreach-bot export FILE` writes the CSV of names readable by its owner only, even when
    the umask allows more and when it replaces a file others could read."""
    import asyncio

    from bot.cli import main

    db = tmp_path / "bot.sqlite3"

    async def seed() -> None:
        storage = await Storage.open(db)
        await storage.touch_user(USER, "en")
        await storage.record_pledge(USER)
        await storage.set_pledge_name(USER, "Ana")
        await storage.close()

    asyncio.run(seed())
    monkeypatch.setenv("OUTREACH_DB", str(db))
    target = tmp_path / "pledges.csv"
    if existing is not None:
        target.write_text("old", encoding="utf-8")
        target.chmod(existing)
    with umask(0):
        assert main(["export", str(target)]) == 0
    assert mode(target) == 0o600
    assert "Ana" in target.read_text(encoding="utf-8-sig")
    assert not target.with_name(target.name + ".partial").exists()


# -- YAML is loaded safely -----------------------------------------------------------------------

UNSAFE_LOADERS = frozenset({"Loader", "FullLoader", "UnsafeLoader", "CLoader", "CFullLoader"})
UNSAFE_FUNCTIONS = frozenset(
    {"unsafe_load", "unsafe_load_all", "full_load", "full_load_all", "add_constructor"}
    | {"add_multi_constructor"}
)
SAFE_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})


def _yaml_attr(node: ast.expr) -> str | None:
    """``X`` for an expression ``yaml.X``."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "yaml"
    ):
        return node.attr
    return None


def _safe_loader(node: ast.expr) -> bool:
    """``yaml.SafeLoader``-like, or ``getattr(yaml, "CSafeLoader", yaml.SafeLoader)``."""
    if _yaml_attr(node) in SAFE_LOADERS:
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) == 3
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "yaml"
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value in SAFE_LOADERS
        and _safe_loader(node.args[2])
    )


def unsafe_yaml_uses(source: str, path: str) -> list[str]:
    """Every place that could build arbitrary Python objects from YAML."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute) and _yaml_attr(node) in UNSAFE_LOADERS:
            found.append(f"{where}: yaml.{node.attr}")
        if not isinstance(node, ast.Call):
            continue
        name = _yaml_attr(node.func)
        if name in UNSAFE_FUNCTIONS:
            found.append(f"{where}: yaml.{name}()")
        if name in ("load", "load_all"):
            loader = next((k.value for k in node.keywords if k.arg == "Loader"), None)
            if loader is None and len(node.args) > 1:
                loader = node.args[1]
            if loader is None or not _safe_loader(loader):
                found.append(f"{where}: yaml.{name}() without a safe Loader")
    return found


def test_yaml_scanner_flags_unsafe_loading() -> None:
    """The scanner accepts safe_load and the safe loaders, and flags everything else."""
    source = """
import yaml
yaml.safe_load(a)
yaml.load(a, Loader=yaml.SafeLoader)
yaml.load(a, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
yaml.compose(a, Loader=yaml.SafeLoader)
yaml.load(a)
yaml.load(a, yaml.Loader)
yaml.load(a, Loader=yaml.FullLoader)
yaml.unsafe_load(a)
yaml.full_load(a)
yaml.compose(a, Loader=yaml.UnsafeLoader)
"""
    found = unsafe_yaml_uses(source, "x.py")
    lines = sorted(int(line.split(":")[1]) for line in found)
    assert lines == [7, 8, 8, 9, 9, 10, 11, 12]


def test_content_is_loaded_only_with_safe_yaml() -> None:
    """No module in bot/ loads YAML in a way that can build Python objects."""
    found = []
    for path in BOT_SOURCES:
        relative = path.relative_to(REPO).as_posix()
        found += unsafe_yaml_uses(path.read_text(encoding="utf-8"), relative)
    assert found == []


def test_python_tags_in_content_are_refused_and_never_run(tmp_path: Path) -> None:
    """A `!!python/object/apply` tag in content is refused as invalid and never runs."""
    marker = tmp_path / "pwned"
    evil = f'!!python/object/apply:os.system ["touch {marker}"]'
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    campaign = directory / "campaign.yaml"
    campaign.write_text(
        campaign.read_text(encoding="utf-8") + f"\nextra: {evil}\n", encoding="utf-8"
    )
    with pytest.raises(ContentError) as refused:
        load_content(directory, render_check=check_rendered)
    problems = [str(p) for p in refused.value.problems]
    assert any("campaign.yaml" in p and "invalid YAML" in p for p in problems), problems
    with pytest.raises(ImportProblem, match="invalid YAML"):
        parse_agreements(f"as_of: 2025-07-18\nagreements: {evil}\n")
    assert not marker.exists(), "the YAML ran a command"
