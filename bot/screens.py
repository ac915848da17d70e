"""Screens as plain data: what a step says and which buttons it offers, with no Telegram in it.

A journey's flow (``bot/flows/``) returns a :class:`Screen`; the Telegram layer renders it
(``render`` in ``bot/telegram/common.py``): each text is looked up in content in the screen's
language, and each :class:`Button` becomes an inline button (``bot/telegram/screens.py``) —
callback data for a press, a link, or text to copy. So a flow can be read, and tested, without
Telegram::

    Screen(
        "en",
        (say("guide.story", step="3", total="5", max="1,000"),),
        rows=(
            (Button(say("button.skip"), press=SKIP.press("story")),),
            (Button(say("button.back"), press=BACK.press()),
             Button(say("button.leave"), press=LEAVE.press())),
        ),
    )
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.callbacks import Press
from bot.content import Content
from bot.render import MAX_MESSAGE, visible_length


@dataclass(frozen=True, slots=True)
class Say:
    """A UI string from content (``content/ui.yaml``): its key and the values it is filled
    with. Values go in as given: the flow escapes what comes from people or data."""

    key: str
    values: Mapping[str, str] = field(default_factory=dict)


def say(key: str, **values: str) -> Say:
    """``say("guide.role", step="1", total="5")``."""
    return Say(key, values)


Text = Say | str
"""A content string, or text already in the screen's language (Telegram HTML in a message,
plain text in a button's label)."""


@dataclass(frozen=True, slots=True)
class Button:
    """One inline button: its label, and exactly one of what it does — a press (callback
    data), a link to open, or a text to copy to the clipboard."""

    label: Text
    press: Press | None = None
    url: str | None = None
    copy: str | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.press, self.url, self.copy)) != 1:
            raise ValueError(f"a button does exactly one thing: {self!r}")


Row = tuple[Button, ...]


@dataclass(frozen=True, slots=True)
class Screen:
    """What the user sees next, in ``lang``: one or more messages (the buttons go under the
    last one), an optional notice above the first, in italics.

    ``fresh``: the messages are new ones, below the conversation; otherwise the first one
    replaces the message whose button was pressed.
    """

    lang: str
    texts: tuple[Text, ...]
    rows: tuple[Row, ...] = ()
    notice: Text | None = None
    fresh: bool = False

    def __post_init__(self) -> None:
        if not self.texts:
            raise ValueError("a screen shows at least one message")


def text_of(content: Content, lang: str, text: Text) -> str:
    """The text itself: a content string looked up and filled in, or the text as given."""
    if isinstance(text, Say):
        return content.text(text.key, lang, **text.values)
    return text


def messages(content: Content, screen: Screen) -> list[str]:
    """The screen's messages as they are sent. A notice goes in italics above the first
    message, or in a message of its own when the two would not fit in one."""
    texts = [text_of(content, screen.lang, text) for text in screen.texts]
    if screen.notice is not None:
        notice = text_of(content, screen.lang, screen.notice)  # already Telegram HTML
        noticed = f"<i>{notice}</i>\n\n{texts[0]}"
        texts[0:1] = [noticed] if visible_length(noticed) <= MAX_MESSAGE else [notice, texts[0]]
    return texts


def says(screen: Screen) -> list[Say]:
    """Every content string the screen uses, its buttons' labels included (for tests and
    checks)."""
    texts = [*screen.texts, screen.notice, *(b.label for row in screen.rows for b in row)]
    return [text for text in texts if isinstance(text, Say)]
