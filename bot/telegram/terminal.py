"""``outreach-bot chat``: the real application, handlers and database, in a terminal.

Every transport the application has (replies, updates, the broadcast sender) is one
:class:`~bot.telegram.terminal_api.TerminalBotApi`, an in-memory Bot API, so nothing leaves the
machine. The terminal plays the Telegram user: a line of text is a message; a
number from 1 to the count of buttons on the bot's last message (shown as ``[1]``, ``[2]``, …)
presses that button, and so does ``/press N``; any other number, a ZIP code for one, is text.
Message ids continue after the highest one the database remembers for the chat, as Telegram's
do, so a chat reopened on the same database goes on where it was. There is one copy of the
conversation logic: the same ``build_application`` serves Telegram.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.config import Config, Secret
from bot.content import Content
from bot.telegram.app import build_application, process, start_in_process, stop_in_process
from bot.telegram.terminal_api import BotAction, TerminalBotApi
from bot.telegram_html import html_to_terminal

TERMINAL_USER_ID = 1
TERMINAL_USER_NAME = "You"
TERMINAL_BOT_ID = 100000  # the bot's own Telegram user, as getMe describes it
TERMINAL_BOT_USERNAME = "outreach_bot"
TERMINAL_BOT_NAME = "Outreach Bot"
TERMINAL_TOKEN = "1:terminal-chat"  # noqa: S105 - not a secret: it never leaves the process
QUIT_WORDS = {"/quit", "/exit"}
PRESS_COMMAND = "/press"
ZIP_LENGTH = 5  # a 5-digit number is a ZIP code, never a button
MESSAGE_METHODS = ("sendMessage", "editMessageText", "sendPhoto", "sendDocument", "copyMessage")


@dataclass(frozen=True, slots=True)
class Pressable:
    """A button of the latest keyboard, as the terminal numbers it."""

    label: str
    message_id: int
    callback_data: str | None = None
    url: str | None = None
    copy_text: str | None = None


class TerminalChat:
    """Prints what the bot sends and turns typed lines into Telegram updates."""

    def __init__(self, api: TerminalBotApi, out: TextIO, language_code: str) -> None:
        self.api = api
        self.out = out
        self.language_code = language_code
        self.buttons: list[Pressable] = []  # the buttons of the bot's last message
        self._keyboard_message: int | None = None

    def update_for(self, line: str) -> dict[str, Any] | None:
        """The update a typed line stands for; None if it was handled here (a link button,
        a ``/press`` without a button to press)."""
        stripped = line.strip()
        command, _, argument = stripped.partition(" ")
        if command == PRESS_COMMAND:
            number = argument.strip()
            if not self.buttons:
                self._print("(there is no button to press on the bot's last message)")
            elif not (number.isascii() and number.isdigit()):
                self._print(f"(press a button by its number: /press 1–{len(self.buttons)})")
            elif not 1 <= int(number) <= len(self.buttons):
                self._print(f"(there is no button {number}; choose 1–{len(self.buttons)})")
            else:
                return self._press(self.buttons[int(number) - 1])
            return None
        if self.is_button_number(stripped):
            return self._press(self.buttons[int(stripped) - 1])
        return self.api.user_message(
            TERMINAL_USER_ID, line, first_name=TERMINAL_USER_NAME, language_code=self.language_code
        )

    def is_button_number(self, text: str) -> bool:
        """Whether ``text`` presses a button: a plain number from 1 to the count of buttons.

        "05", "12345" (a ZIP code) or a number past the last button are typed text.
        """
        return (
            text.isascii()
            and text.isdigit()
            and len(text) < ZIP_LENGTH
            and text == str(int(text))
            and 1 <= int(text) <= len(self.buttons)
        )

    def _press(self, pressed: Pressable) -> dict[str, Any] | None:
        if pressed.callback_data is not None:
            return self.api.user_press(
                TERMINAL_USER_ID,
                pressed.message_id,
                pressed.callback_data,
                first_name=TERMINAL_USER_NAME,
                language_code=self.language_code,
            )
        if pressed.url is not None:
            self._print(f"(this button opens a link: {pressed.url})")
        elif pressed.copy_text is not None:
            self._print(f"(copied to the clipboard: {pressed.copy_text})")
        return None

    def show_new_actions(self) -> None:
        """Print what the bot did in this chat since the last call (a broadcast may also have
        gone to other supporters in the database: not shown here)."""
        for action in self.api.take_actions():
            if action.chat_id in (None, TERMINAL_USER_ID):
                self._show(action)

    def _show(self, action: BotAction) -> None:
        if action.method in MESSAGE_METHODS:
            edited = action.method == "editMessageText"
            header = "── bot (updated) ──" if edited else "── bot ──"
            body = action.text or ""
            text = html_to_terminal(body) if action.parse_mode == "HTML" else body
            if action.method == "sendPhoto":
                text = f"[image]\n{text}".rstrip()
            elif action.method == "sendDocument":
                text = f"[file]\n{text}".rstrip()
            self._print(f"{header}\n{text}")
            if action.reply_markup and action.message_id is not None:
                self._number_buttons(action.reply_markup, action.message_id)
            elif not edited or action.message_id == self._keyboard_message:
                # A new message without buttons is the last message now; an edit that removes
                # the buttons takes them away.
                self.buttons, self._keyboard_message = [], None
        elif action.method == "answerCallbackQuery" and action.text:
            self._print(f"(notice: {action.text})")

    def _number_buttons(self, markup: dict[str, Any], message_id: int) -> None:
        self.buttons = []
        self._keyboard_message = message_id
        lines = []
        for row in markup.get("inline_keyboard", []):
            cells = []
            for raw in row:
                copy = raw.get("copy_text")
                pressable = Pressable(
                    label=raw.get("text", ""),
                    message_id=message_id,
                    callback_data=raw.get("callback_data"),
                    url=raw.get("url"),
                    copy_text=copy.get("text") if isinstance(copy, dict) else None,
                )
                self.buttons.append(pressable)
                suffix = " ↗" if pressable.url else ""
                cells.append(f"[{len(self.buttons)}] {pressable.label}{suffix}")
            lines.append("   ".join(cells))
        if lines:
            self._print("\n".join(lines))

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def terminal_bot_api() -> TerminalBotApi:
    """The in-memory Bot API of one terminal chat."""
    return TerminalBotApi(TERMINAL_BOT_USERNAME, TERMINAL_BOT_NAME, TERMINAL_BOT_ID)


def terminal_language(explicit: str | None = None) -> str:
    """The Telegram language code the terminal user has: ``--lang``, else ``$LANG``."""
    if explicit:
        return explicit
    env = os.environ.get("LANG", "") or os.environ.get("LC_ALL", "")
    return "es" if env.lower().startswith("es") else "en"


async def run_terminal_chat(
    config: Config,
    content: Content,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    language_code: str | None = None,
    log_file: Path | None = None,
) -> int:
    """Chat until end of input or /quit. Returns the exit status.

    ``log_file`` is where the caller sends the bot's log, to say so once; the content's
    warnings are shown here, before the greeting.
    """
    out = stdout or sys.stdout
    source = stdin or sys.stdin
    api = terminal_bot_api()
    if not config.token:
        config = _with_token(config, TERMINAL_TOKEN)
    app = build_application(
        config, content, request=api, updates_request=api, broadcast_request=api
    )
    chat = TerminalChat(api, out, terminal_language(language_code))
    await start_in_process(app)
    try:
        # Telegram numbers a chat's messages on and on: so does this chat, after the highest
        # message id the database remembers (an answer already taken is never taken again).
        known = await app.bot_data.storage.last_message_id(TERMINAL_USER_ID)
        api.number_messages_after(TERMINAL_USER_ID, known)
        print(
            "Terminal chat with the bot (no network). Type a message to send it; /quit leaves.\n"
            "A number shown in [brackets] presses that button (so does /press N); any other "
            "number, a ZIP code for one, is sent as text.",
            file=out,
        )
        if log_file is not None:
            print(f"(the bot's log goes to {log_file})", file=out)
        for warning in content.warnings:
            print(f"(content {warning})", file=out)
        # Start as a Telegram user would: by pressing Start.
        await process(
            app,
            api.user_message(
                TERMINAL_USER_ID,
                "/start",
                first_name=TERMINAL_USER_NAME,
                language_code=chat.language_code,
            ),
        )
        chat.show_new_actions()
        while True:
            print("> ", end="", file=out, flush=True)
            line = await asyncio.to_thread(source.readline)
            if not line or line.strip() in QUIT_WORDS:
                break
            line = line.rstrip("\n")
            if not line.strip():
                continue
            update = chat.update_for(line)
            if update is not None:
                await process(app, update)
            chat.show_new_actions()
    finally:
        await stop_in_process(app)
    print("Bye.", file=out)
    return 0


def _with_token(config: Config, token: str) -> Config:
    from dataclasses import replace

    return replace(config, token=Secret(token))
