"""The terminal chat: same application, readable output, numbered buttons, no network."""

from __future__ import annotations

import io
import logging
import os
import pty
import select
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, InvalidToken

from bot.cli import main
from bot.content import Content
from bot.telegram.terminal import (
    TERMINAL_USER_ID,
    TerminalChat,
    run_terminal_chat,
    terminal_bot_api,
)
from bot.telegram.terminal_api import TerminalBotApi
from tests.fakes.local_api import LocalBotApi
from tests.harness import bot_environment, clear_bot_settings, make_config, outreach_bot_command


async def test_chat_walks_menu_buttons_and_questions(tmp_path: Path, content: Content) -> None:
    """Numbers press buttons, text asks questions, links are shown, and the DB is used."""
    config = make_config(tmp_path)
    typed = "1\n1\n1\nracial profiling\n/press 99\n/quit\n"
    out = io.StringIO()
    code = await run_terminal_chat(config, content, io.StringIO(typed), out, language_code="en")
    text = out.getvalue()
    assert code == 0
    assert "Hi You!" in text
    assert "[1] 📚 Learn the facts" in text
    topic = next(iter(content.topics.values()))
    fact = content.topic_facts(topic.id)[0]
    assert f"[1] {topic.title.en}" in text
    assert fact.title.en in text and "Why it matters:" in text
    assert fact.sources[0].url in text  # links are shown, not hidden behind markup
    assert "<b>" not in text and "&amp;" not in text
    assert "Here is what I found" in text
    assert "there is no button 99" in text
    assert text.rstrip().endswith("Bye.")
    assert config.db_path.exists()


async def test_chat_in_spanish(tmp_path: Path, content: Content) -> None:
    """The terminal user can chat in Spanish."""
    out = io.StringIO()
    await run_terminal_chat(
        make_config(tmp_path), content, io.StringIO("¿qué es 287g?\n"), out, language_code="es"
    )
    assert "¡Hola, You!" in out.getvalue()
    assert "Esto es lo que encontré" in out.getvalue()


def test_run_without_token_on_a_terminal_opens_the_chat(tmp_path: Path) -> None:
    """`outreach-bot run` with no token on an interactive terminal says so and opens the chat."""
    env = bot_environment()
    env["OUTREACH_DB"] = str(tmp_path / "tty.sqlite3")
    env["TELEGRAM_API_URL"] = "http://127.0.0.1:9"  # never used: the chat has no network
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [*outreach_bot_command(), "run"],
        env=env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    sent_quit = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    break  # the process closed the terminal
                if not chunk:
                    break
                output += chunk
            if not sent_quit and b"> " in output:
                os.write(controller, b"/quit\n")
                sent_quit = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    text = output.decode("utf-8", errors="replace")
    assert code == 0, text
    first = text.strip().splitlines()[0]
    assert "TELEGRAM_BOT_TOKEN is not set" in first
    assert "Hi " in text and "Bye." in text
    # The libraries' logs (the scheduler's, python-telegram-bot's) are in a file, not here.
    assert text.count(f"(the bot's log goes to {tmp_path / 'tty.chat.log'})") == 1
    assert " INFO " not in text and " WARNING " not in text
    assert "Application started" in (tmp_path / "tty.chat.log").read_text(encoding="utf-8")


async def test_chat_walks_the_comment_guide(tmp_path: Path, content: Content) -> None:
    """The whole comment guide works in the terminal: numbers for buttons, text for answers."""
    reasons = len(content.letter.talking_points)
    typed = "\n".join(
        [
            "2",  # ✉️ Send your comment
            "1",  # Start
            "1",  # the first role
            "1",  # the first reason
            str(reasons + 1),  # Next ▶
            "We are neighbors.",
            "Ana",
            "Austin, TX",
            "6",  # Continue ▶ (after four edit buttons and "other wording")
            "1",  # I understand
            "1",  # I sent it
            "/quit",
        ]
    )
    out = io.StringIO()
    await run_terminal_chat(make_config(tmp_path), content, io.StringIO(typed + "\n"), out, "en")
    text = out.getvalue()
    assert "Step 1 of 5" in text and "Step 5 of 5" in text
    assert "We are neighbors." in text and "Washington, DC 20528" in text
    assert "identifies you to DHS" in text
    assert "Thank you for speaking up" in text


def keyboard(*labels: str) -> dict[str, object]:
    return {"inline_keyboard": [[{"text": label, "callback_data": label} for label in labels]]}


def bot_says(
    api: TerminalBotApi | LocalBotApi, text: str, markup: dict[str, object] | None = None
) -> int:
    params: dict[str, object] = {"chat_id": TERMINAL_USER_ID, "text": text}
    if markup is not None:
        params["reply_markup"] = markup
    status, body = api.call("sendMessage", params)
    assert status == 200, body
    return int(body["result"]["message_id"])


def test_numbers_press_buttons_only_up_to_the_count_of_buttons() -> None:
    """1 to the count of buttons on the last message presses; 0, "05", a number past the last
    button and a 5-digit ZIP are text; /press N presses too."""
    api = terminal_bot_api()
    chat = TerminalChat(api, io.StringIO(), "en")
    bot_says(api, "Choose", keyboard("a", "b", "c"))
    chat.show_new_actions()
    assert [chat.is_button_number(n) for n in ("1", "3")] == [True, True]
    for text in ("0", "4", "05", "12345", "33602", "1.5", "²", " 1 2"):
        assert not chat.is_button_number(text), text
    pressed = chat.update_for("2")
    assert pressed is not None and pressed["callback_query"]["data"] == "b"
    pressed = chat.update_for("/press 3")
    assert pressed is not None and pressed["callback_query"]["data"] == "c"
    typed = chat.update_for("4")
    assert typed is not None and typed["message"]["text"] == "4"
    zip_code = chat.update_for("33602")
    assert zip_code is not None and zip_code["message"]["text"] == "33602"


def test_a_message_without_buttons_takes_the_numbers_back() -> None:
    """Once the bot's last message has no buttons (a new message, or an edit that removed
    them), every number is text and /press says there is nothing to press."""
    api = terminal_bot_api()
    out = io.StringIO()
    chat = TerminalChat(api, out, "en")
    first = bot_says(api, "Choose", keyboard("a", "b"))
    chat.show_new_actions()
    assert chat.is_button_number("2")
    status, _ = api.call(
        "editMessageText", {"chat_id": TERMINAL_USER_ID, "message_id": first, "text": "Chosen"}
    )
    assert status == 200
    chat.show_new_actions()
    assert not chat.is_button_number("1")
    bot_says(api, "Again", keyboard("x"))
    bot_says(api, "Type your name")
    chat.show_new_actions()
    typed = chat.update_for("1")
    assert typed is not None and typed["message"]["text"] == "1"
    assert chat.update_for("/press 1") is None
    assert "(there is no button to press on the bot's last message)" in out.getvalue()


async def test_typed_zip_code_answers_where_i_live(tmp_path: Path, content: Content) -> None:
    """At "Where I live", whose state grid has dozens of buttons, a typed ZIP code is sent as
    text and answered with its county."""
    out = io.StringIO()
    typed = "4\n33602\n/quit\n"  # 📍 Where I live, then a ZIP code in Tampa
    await run_terminal_chat(make_config(tmp_path), content, io.StringIO(typed), out, "en")
    text = out.getvalue()
    assert "[57]" in text  # the state grid: more buttons than any menu
    assert "Hillsborough County, Florida" in text
    assert "there is no button" not in text


async def test_reopened_chat_takes_typed_answers(tmp_path: Path, content: Content) -> None:
    """A second chat on the same database numbers its messages after the first's, so a typed
    answer is taken (the stored "last answer" of the first chat does not swallow it)."""
    config = make_config(tmp_path)

    async def chat(typed: str) -> str:
        out = io.StringIO()
        await run_terminal_chat(config, content, io.StringIO(typed), out, "en")
        return out.getvalue()

    await chat("/pledge\n1\nAna\n/quit\n")  # I pledge, then the first name
    with sqlite3.connect(config.db_path) as conn:
        assert conn.execute("SELECT first_name FROM pledges").fetchall() == [("Ana",)]
        (last_answer,) = conn.execute("SELECT last_answer_id FROM users").fetchone()
    assert last_answer > 1
    second = await chat("/pledge\n2\nBea\n/quit\n")  # ✏️ Change name or state, the name
    with sqlite3.connect(config.db_path) as conn:
        assert conn.execute("SELECT first_name FROM pledges").fetchall() == [("Bea",)]
    assert "Which US state or territory" in second  # the name was taken: the next question


async def test_warnings_and_log_file_are_said_once_before_the_greeting(
    tmp_path: Path, content: Content
) -> None:
    """The content's warnings and where the log goes appear once, before the bot's greeting."""
    assert content.warnings, "the shipped content has warnings (no e-mail address)"
    out = io.StringIO()
    log_file = tmp_path / "bot.chat.log"
    await run_terminal_chat(
        make_config(tmp_path), content, io.StringIO("/quit\n"), out, "en", log_file=log_file
    )
    text = out.getvalue()
    greeting = text.index("Hi You!")
    assert text.count(f"(the bot's log goes to {log_file})") == 1
    for warning in content.warnings:
        line = f"(content {warning})"
        assert text.count(line) == 1 and text.index(line) < greeting


def test_chat_command_sends_the_logs_to_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`outreach-bot chat` writes the bot's and the libraries' logs to a private file beside
    the database; the conversation shows none of them."""
    clear_bot_settings(monkeypatch)
    monkeypatch.setenv("OUTREACH_DB", str(tmp_path / "chat.sqlite3"))
    monkeypatch.setattr("sys.stdin", io.StringIO("What is 287g?\n/quit\n"))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert main(["chat", "--lang", "en"]) == 0
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = handlers, level
    captured = capsys.readouterr()
    log_file = tmp_path / "chat.chat.log"
    assert captured.out.count(f"(the bot's log goes to {log_file})") == 1
    assert "Here is what I found" in captured.out
    assert " INFO " not in captured.out + captured.err
    assert " WARNING " not in captured.out + captured.err
    logged = log_file.read_text(encoding="utf-8")
    assert "Application started" in logged and "content: warning" in logged
    assert "287g" not in logged, "a message text was logged"
    assert stat.S_IMODE(os.stat(log_file).st_mode) == 0o600


# --- the terminal's Bot API -------------------------------------------------------------------

REFUSED = [
    pytest.param("sendMessage", {"text": "x" * 4097}, id="text-over-4096"),
    pytest.param("sendMessage", {"text": "😀" * 2049}, id="text-over-4096-utf16"),
    pytest.param("sendMessage", {"text": "<b>bold", "parse_mode": "HTML"}, id="broken-html"),
    pytest.param("sendMessage", {"text": " \n"}, id="empty-text"),
    pytest.param(
        "sendMessage", {"text": "Go", "reply_markup": keyboard("x" * 65)}, id="data-over-64"
    ),
    pytest.param("sendPhoto", {"photo": "f1", "caption": "x" * 1025}, id="caption-over-1024"),
    pytest.param(
        "editMessageText",
        {"message_id": 1, "text": "Choose", "reply_markup": keyboard("a")},
        id="edit-not-modified",
    ),
    pytest.param(
        "editMessageReplyMarkup",
        {"message_id": 1, "reply_markup": keyboard("a")},
        id="markup-not-modified",
    ),
    pytest.param("editMessageText", {"message_id": 99, "text": "x"}, id="edit-not-found"),
    pytest.param("deleteMessage", {"message_id": 99}, id="delete-not-found"),
    pytest.param(
        "answerCallbackQuery", {"callback_query_id": "1", "text": "x" * 201}, id="notice-too-long"
    ),
]


@pytest.mark.parametrize(("method", "params"), REFUSED)
def test_terminal_refuses_what_telegram_refuses(method: str, params: dict[str, object]) -> None:
    """What the chat would otherwise show wrongly — text over 4,096 characters, broken HTML,
    callback data over 64 bytes, an edit that changes nothing — is refused in Telegram's words,
    the same as the tests' full simulator refuses it, so the bot reacts as on Telegram."""
    answers = []
    for api in (terminal_bot_api(), LocalBotApi()):
        bot_says(api, "Choose", keyboard("a"))
        answers.append(api.call(method, {"chat_id": TERMINAL_USER_ID, **params}))
    terminal, simulator = answers
    assert terminal[0] == 400 and terminal[1]["ok"] is False
    assert terminal == simulator


def test_terminal_accepts_what_telegram_accepts() -> None:
    """Text of exactly 4,096 UTF-16 units, valid HTML and 64-byte callback data pass."""
    api = terminal_bot_api()
    bot_says(api, "x" * 4096)
    bot_says(api, "😀" * 2048)
    bot_says(api, '<b>Hi</b> <a href="https://example.org">there</a> &amp; you')
    bot_says(api, "Go", keyboard("é" * 32))


async def test_a_real_bot_gets_telegram_objects_back() -> None:
    """Every call the terminal chat needs — messages, edits, presses, photos, documents,
    copies, deletions, commands and descriptions — answers what Telegram would."""
    api = terminal_bot_api()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    async with Bot("1:terminal-chat", request=api, get_updates_request=api) as bot:
        assert bot.username == "outreach_bot"
        sent = await bot.send_message(1, "<b>Hi</b>", parse_mode="HTML", reply_markup=markup)
        assert (sent.text, sent.text_html, sent.reply_markup) == ("Hi", "<b>Hi</b>", markup)
        press = api.user_press(1, sent.message_id, "go", first_name="You", language_code="en")
        shown = press["callback_query"]["message"]
        assert shown["text"] == "Hi" and shown["entities"][0]["type"] == "bold"
        assert await bot.answer_callback_query(press["callback_query"]["id"], "Noted")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(press["callback_query"]["id"])
        edited = await bot.edit_message_text("Bye", 1, sent.message_id)
        assert isinstance(edited, Message) and edited.text == "Bye" and not edited.reply_markup
        photo = await bot.send_photo(1, b"\x89PNG", caption="Chart")
        assert photo.photo and photo.caption == "Chart"
        document = await bot.send_document(1, b"a,b\n", filename="pledges.csv")
        assert document.document is not None and document.document.file_name == "pledges.csv"
        copied = await bot.copy_message(2, 1, sent.message_id)
        assert copied.message_id == 1  # the first message in chat 2
        assert await bot.delete_message(1, photo.message_id)
        await bot.set_my_commands([BotCommand("start", "Start")], language_code="es")
        assert [c.command for c in await bot.get_my_commands(language_code="es")] == ["start"]
        assert await bot.get_my_commands() == ()
        await bot.set_my_short_description("Facts", language_code="es")
        assert (await bot.get_my_short_description("es")).short_description == "Facts"
        with pytest.raises(InvalidToken, match="Not Found"):  # Telegram's 404, as PTB reads it
            await bot.send_chat_action(1, "typing")  # nothing the chat needs
    actions = [(a.method, a.chat_id, a.text) for a in api.take_actions()]
    assert actions == [
        ("sendMessage", 1, "<b>Hi</b>"),
        ("answerCallbackQuery", None, "Noted"),
        ("editMessageText", 1, "Bye"),
        ("sendPhoto", 1, "Chart"),
        ("sendDocument", 1, None),
        ("copyMessage", 2, "Bye"),  # the message as it reads now
        ("deleteMessage", 1, None),
    ]
    assert api.take_actions() == []


async def test_organizer_gets_the_chart_and_the_csv(tmp_path: Path, content: Content) -> None:
    """An organizer chatting in the terminal gets /stats with its chart and /export's CSV."""
    config = make_config(tmp_path, organizers=frozenset({TERMINAL_USER_ID}))
    out = io.StringIO()
    await run_terminal_chat(config, content, io.StringIO("/stats\n/export\n/quit\n"), out, "en")
    text = out.getvalue()
    assert "Supporters: 1" in text
    assert "[image]\nPledges and comments sent, last 30 days (UTC)" in text
    assert "[file]\nPledges: 0 rows." in text
    assert "something went wrong" not in text


def test_copies_are_shown_and_other_chats_are_not() -> None:
    """A copied message (a broadcast's preview, or its delivery) shows like any message of the
    bot; what the bot sends other supporters of the same database does not show."""
    api = terminal_bot_api()
    out = io.StringIO()
    chat = TerminalChat(api, out, "en")
    typed = chat.update_for("Big news")
    assert typed is not None
    original = {"from_chat_id": TERMINAL_USER_ID, "message_id": typed["message"]["message_id"]}
    bot_says(api, "Choose", keyboard("a"))
    assert api.call("copyMessage", {"chat_id": TERMINAL_USER_ID, **original})[0] == 200
    assert api.call("copyMessage", {"chat_id": 2, **original})[0] == 200
    assert api.call("sendMessage", {"chat_id": 2, "text": "Not for you"})[0] == 200
    chat.show_new_actions()
    printed = out.getvalue()
    assert printed.endswith("── bot ──\nBig news\n")
    assert printed.count("Big news") == 1 and "Not for you" not in printed
    assert not chat.is_button_number("1"), "the copy is the bot's last message now"


async def test_organizer_sees_the_broadcast_preview(tmp_path: Path, content: Content) -> None:
    """An organizer composing a broadcast in the terminal sees its preview (a copy of their
    message) above the question what to do with it."""
    config = make_config(tmp_path, organizers=frozenset({TERMINAL_USER_ID}))
    typed = "5\n1\n/broadcast\nHello supporters\n1\n/quit\n"  # subscribe; compose; everyone
    out = io.StringIO()
    await run_terminal_chat(config, content, io.StringIO(typed), out, "en")
    text = out.getvalue()
    preview = text.index("── bot ──\nHello supporters\n")
    assert preview < text.index("Preview above. Audience: Everyone subscribed — 1 recipients")
