"""Telegram's HTML formatting (``parse_mode="HTML"``): validation, parsing and plain rendering.

This module owns the knowledge of which HTML Telegram accepts and how Telegram counts a text's
length. It knows no Telegram objects: the renderer and the content check use it to keep texts
valid and within limits, the local Bot API to reject messages the real Bot API would reject, and
the terminal chat to show messages readably. It follows the tag set and error wording of
Telegram's parser (tdlib), but is deliberately a little stricter where Telegram silently drops
the author's intent:

* a bare ``&`` that does not start ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` or a numeric entity
  is an error (Telegram keeps it literally; the Bot API docs say it must be escaped);
* attributes other than the documented ones are errors (Telegram ignores them), ``<a>`` must
  carry ``href`` and ``<code class="language-…">`` is only allowed directly inside ``<pre>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_MESSAGE = 4096  # Telegram's limit for one text message, counted by telegram_length
_ERROR_PREFIX = "Bad Request: can't parse entities: "

# Tag name -> the message entity type Telegram creates for it ("" = handled specially).
_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_SPACE = " \t\r\n"
_PLAIN_RE = re.compile(r"[^<&]+")  # text up to the next tag or character reference


class HtmlParseError(ValueError):
    """Telegram would refuse the text; ``str(error)`` is the reason without the prefix."""


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Open:
    tag: str
    attrs: dict[str, str | None]


@dataclass(frozen=True)
class _Close:
    tag: str


_Token = _Text | _Open | _Close


@dataclass(frozen=True)
class ParsedHtml:
    """What Telegram stores for an HTML message: the visible text and its entities.

    Entities are Bot API ``MessageEntity`` dicts with offsets and lengths in UTF-16 code units.
    """

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def telegram_length(s: str) -> int:
    """Length of ``s`` as Telegram counts it: UTF-16 code units (an emoji is usually 2)."""
    return len(s.encode("utf-16-le")) // 2


def check_html(text: str) -> str | None:
    """``None`` if ``text`` is valid Telegram HTML, else a Bot API style error description."""
    try:
        _tokenize(text)
    except HtmlParseError as exc:
        return html_problem(exc)
    return None


def html_problem(exc: HtmlParseError) -> str:
    """What :func:`check_html` says of the error ``exc``: a Bot API style description."""
    return _ERROR_PREFIX + str(exc)


def parse_html(text: str) -> ParsedHtml:
    """Parse Telegram HTML into visible text and entities; raises :class:`HtmlParseError`."""
    return _to_entities(_tokenize(text))


def visible_text(text: str) -> str:
    """The text a user sees: tags removed and entities decoded. Raises on invalid HTML."""
    return "".join(token.text for token in _tokenize(text) if isinstance(token, _Text))


def html_to_terminal(text: str) -> str:
    """Render Telegram HTML as plain text for a terminal.

    Links become ``label <url>`` (just the url when it is its own label), blockquote lines get a
    ``│ `` prefix and everything else is shown as its visible text. Invalid HTML is returned
    unchanged so the terminal still shows what the bot sent.
    """
    try:
        tokens = _tokenize(text)
    except HtmlParseError:
        return text
    # One buffer per open tag: links and quotes are rendered when their content is complete.
    stack: list[tuple[_Open | None, list[str]]] = [(None, [])]
    for token in tokens:
        if isinstance(token, _Text):
            stack[-1][1].append(token.text)
        elif isinstance(token, _Open):
            stack.append((token, []))
        else:
            opened, parts = stack.pop()
            stack[-1][1].append(_render_element(opened, "".join(parts)))
    return "".join(stack[0][1])


def _render_element(opened: _Open | None, content: str) -> str:
    if opened is None:
        return content
    if opened.tag == "a":
        url = opened.attrs.get("href") or ""
        return url if content.strip() in ("", url) else f"{content} <{url}>"
    if opened.tag == "blockquote":
        return "\n".join("│ " + line for line in content.split("\n"))
    return content


# --- tokenizer ------------------------------------------------------------------------------


class _Tokenizer:
    """Splits Telegram HTML into text and tag tokens, enforcing the rules in the module doc."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[_Token] = []
        self.open_tags: list[_Open] = []
        self.pending_text: list[str] = []

    def byte_offset(self, index: int) -> int:
        # Telegram reports positions in UTF-8 bytes.
        return len(self.text[:index].encode("utf-8"))

    def run(self) -> list[_Token]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "<":
                self.flush_text()
                self.read_tag()
            elif char == "&":
                self.pending_text.append(self.read_entity())
            else:
                plain = _PLAIN_RE.match(text, self.pos)
                assert plain is not None  # text[pos] is neither "<" nor "&"
                self.pending_text.append(plain.group())
                self.pos = plain.end()
        self.flush_text()
        if self.open_tags:
            tag = self.open_tags[-1].tag
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        return self.tokens

    def flush_text(self) -> None:
        if self.pending_text:
            self.tokens.append(_Text("".join(self.pending_text)))
            self.pending_text = []

    def read_entity(self) -> str:
        match = _ENTITY_RE.match(self.text, self.pos)
        decoded = _decode_entity(match) if match else None
        if match is None or decoded is None:
            raise HtmlParseError(
                f'Character "&" must be escaped as "&amp;" at byte offset '
                f"{self.byte_offset(self.pos)}"
            )
        self.pos = match.end()
        return decoded

    def read_tag(self) -> None:
        start = self.pos
        self.pos += 1
        if self.pos < len(self.text) and self.text[self.pos] == "/":
            self.read_end_tag(start)
        else:
            self.read_start_tag(start)

    def read_end_tag(self, start: int) -> None:
        close = self.text.find(">", start)
        if close == -1:
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(start)}")
        name = self.text[start + 2 : close].strip(_SPACE).lower()
        self.pos = close + 1
        if not self.open_tags:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(start)}")
        expected = self.open_tags[-1].tag
        if name != expected:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(start)}, "
                f'expected "</{expected}>", found "</{name}>"'
            )
        self.open_tags.pop()
        self.tokens.append(_Close(expected))

    def read_start_tag(self, start: int) -> None:
        text = self.text
        name_start = self.pos
        while self.pos < len(text) and text[self.pos] not in _SPACE + ">":
            self.pos += 1
        if self.pos >= len(text):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(start)}")
        name = text[name_start : self.pos].lower()
        if name not in _ENTITY_TYPES:
            raise HtmlParseError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(start)}'
            )
        attrs = self.read_attributes(name, start)
        opened = _Open(name, attrs)
        parent = self.open_tags[-1].tag if self.open_tags else None
        _check_attributes(opened, parent, self.byte_offset(start))
        self.open_tags.append(opened)
        self.tokens.append(opened)

    def read_attributes(self, tag: str, start: int) -> dict[str, str | None]:
        text = self.text
        attrs: dict[str, str | None] = {}
        while True:
            self.skip_spaces()
            if self.pos >= len(text):
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(start)}")
            if text[self.pos] == ">":
                self.pos += 1
                return attrs
            name_start = self.pos
            while self.pos < len(text) and text[self.pos] not in _SPACE + "=>":
                self.pos += 1
            name = text[name_start : self.pos].lower()
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(start)}"
                )
            self.skip_spaces()
            if self.pos < len(text) and text[self.pos] == "=":
                self.pos += 1
                self.skip_spaces()
                attrs[name] = self.read_attribute_value(start)
            else:
                attrs[name] = None  # a boolean attribute such as "expandable"

    def read_attribute_value(self, start: int) -> str:
        text = self.text
        if self.pos >= len(text):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(start)}")
        quote = text[self.pos]
        if quote not in "\"'":
            value_start = self.pos
            while self.pos < len(text) and text[self.pos] not in _SPACE + ">":
                self.pos += 1
            return text[value_start : self.pos]
        self.pos += 1
        value: list[str] = []
        while self.pos < len(text) and text[self.pos] != quote:
            if text[self.pos] == "&":
                value.append(self.read_entity())
            else:
                value.append(text[self.pos])
                self.pos += 1
        if self.pos >= len(text):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(start)}")
        self.pos += 1
        return "".join(value)

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
            self.pos += 1


def _decode_entity(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _check_attributes(opened: _Open, parent: str | None, offset: int) -> None:
    """Reject attributes Telegram does not document for the tag."""
    tag, attrs = opened.tag, opened.attrs
    where = f"at byte offset {offset}"
    allowed: set[str] = set()
    if tag == "a":
        if not attrs.get("href"):
            raise HtmlParseError(f'Tag "a" must have attribute "href" {where}')
        allowed = {"href"}
    elif tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" {where}')
        allowed = {"class"}
    elif tag == "code" and "class" in attrs:
        language = attrs["class"] or ""
        if parent != "pre" or not language.startswith("language-"):
            raise HtmlParseError(
                f'Tag "code" can have class "language-…" only inside tag "pre" {where}'
            )
        allowed = {"class"}
    elif tag == "blockquote":
        allowed = {"expandable"}
    elif tag == "tg-emoji":
        if not (attrs.get("emoji-id") or "").isdigit():
            raise HtmlParseError(f'Tag "tg-emoji" must have attribute "emoji-id" {where}')
        allowed = {"emoji-id"}
    for name in attrs:
        if name not in allowed:
            raise HtmlParseError(f'Unsupported attribute "{name}" in tag "{tag}" {where}')


def _tokenize(text: str) -> list[_Token]:
    return _Tokenizer(text).run()


# --- entities -------------------------------------------------------------------------------


def _to_entities(tokens: list[_Token]) -> ParsedHtml:
    """Turn validated tokens into visible text plus Bot API entities (UTF-16 offsets)."""
    parts: list[str] = []
    offset = 0
    # (entity or None when the tag makes no entity of its own, start offset)
    stack: list[tuple[dict[str, Any] | None, int]] = []
    entities: list[dict[str, Any]] = []
    for token in tokens:
        if isinstance(token, _Text):
            parts.append(token.text)
            offset += telegram_length(token.text)
        elif isinstance(token, _Open):
            parent = stack[-1][0] if stack else None
            stack.append((_entity_for(token, parent), offset))
        else:
            entity, start = stack.pop()
            if entity is not None and offset > start:
                entity.update(offset=start, length=offset - start)
                entities.append(entity)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedHtml("".join(parts), entities)


def _entity_for(token: _Open, parent: dict[str, Any] | None) -> dict[str, Any] | None:
    kind = _ENTITY_TYPES[token.tag]
    if kind == "code" and parent is not None and parent["type"] == "pre":
        # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
        language = (token.attrs.get("class") or "").removeprefix("language-")
        if language:
            parent["language"] = language
        return None
    entity: dict[str, Any] = {"type": kind}
    if kind == "text_link":
        entity["url"] = token.attrs["href"]
    elif kind == "blockquote" and "expandable" in token.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = token.attrs["emoji-id"]
    return entity
