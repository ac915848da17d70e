"""The UI strings the code needs from ``content/ui.yaml``, with the placeholders each may use.

Content supplies the words; this table is the contract. ``check-content`` reports a key that is
missing here or there, and a placeholder a string uses that the code does not fill in.
"""

from __future__ import annotations

UI_KEYS: dict[str, frozenset[str]] = {
    # start and menu
    "start.greeting": frozenset({"name", "campaign"}),
    "start.welcome_back": frozenset({"name", "campaign"}),
    "menu.title": frozenset(),
    "menu.facts": frozenset(),
    "menu.language": frozenset(),
    "menu.help": frozenset(),
    # learn the facts
    "topics.title": frozenset(),
    "topic.header": frozenset({"title", "description"}),
    "fact.why": frozenset(),
    "fact.sources": frozenset(),
    "fact.as_of": frozenset({"date"}),
    "fact.position": frozenset({"n", "total"}),
    "button.next": frozenset(),
    "button.topics": frozenset(),
    "button.share": frozenset(),
    "button.menu": frozenset(),
    "button.back": frozenset(),
    "share.fact": frozenset({"title", "text", "source", "link"}),
    "share.bot": frozenset({"campaign", "link"}),
    # free-text questions
    "search.answer": frozenset(),
    "search.related": frozenset(),
    "search.no_match": frozenset(),
    # language
    "language.choose": frozenset(),
    "language.set": frozenset(),
    # help and fallbacks
    "help.text": frozenset({"campaign"}),
    "error.generic": frozenset(),
    "error.storage": frozenset(),
    "error.stale_button": frozenset(),
    "unsupported.media": frozenset(),
    "unknown.command": frozenset(),
    "group.private_only": frozenset({"link"}),
    # command menu descriptions (BotCommand.description: 1-256 characters, plain text)
    "command.start": frozenset(),
    "command.facts": frozenset(),
    "command.language": frozenset(),
    "command.help": frozenset(),
}

# Strings sent as plain text where HTML is not allowed (buttons, command descriptions,
# callback-query toasts): check-content rejects markup in these.
PLAIN_PREFIXES: tuple[str, ...] = ("menu.", "button.", "command.", "share.", "error.stale_button")

# Telegram limits that apply to particular kinds of string.
BUTTON_TEXT_MAX = 64
COMMAND_DESCRIPTION_MAX = 256
CALLBACK_ANSWER_MAX = 200
