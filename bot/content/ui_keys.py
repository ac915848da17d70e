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
    "menu.pledge": frozenset(),
    "menu.updates": frozenset(),
    "menu.privacy": frozenset(),
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
    # the pledge
    "pledge.intro": frozenset({"pledge", "count"}),
    "pledge.already": frozenset({"number", "date"}),
    "pledge.ask_name": frozenset({"max"}),
    "pledge.name_empty": frozenset(),
    "pledge.name_too_long": frozenset({"length", "max"}),
    "pledge.name_invalid": frozenset(),
    "pledge.ask_state": frozenset(),
    "pledge.state_unknown": frozenset({"text"}),
    "pledge.ask_updates": frozenset(),
    "pledge.done": frozenset({"number", "details"}),
    "pledge.details": frozenset({"name", "state"}),
    "pledge.none": frozenset(),
    "pledge.unpledge_confirm": frozenset(),
    "pledge.withdrawn": frozenset(),
    "button.pledge_yes": frozenset(),
    "button.not_now": frozenset(),
    "button.skip": frozenset(),
    "button.pledge_edit": frozenset(),
    "button.unpledge": frozenset(),
    "button.unpledge_yes": frozenset(),
    "button.keep_pledge": frozenset(),
    "button.updates_yes": frozenset(),
    "button.updates_no": frozenset(),
    "button.pledge": frozenset(),
    # updates
    "updates.status_on": frozenset(),
    "updates.status_off": frozenset(),
    "updates.subscribed": frozenset(),
    "updates.unsubscribed": frozenset(),
    "updates.was_not_subscribed": frozenset(),
    "button.subscribe": frozenset(),
    "button.unsubscribe": frozenset(),
    # privacy
    "privacy.text": frozenset(),
    "mydata.header": frozenset(),
    "mydata.empty": frozenset(),
    "mydata.table.users": frozenset(),
    "mydata.table.pledges": frozenset(),
    "mydata.table.subscriptions": frozenset(),
    "mydata.table.conversations": frozenset(),
    "forget.confirm": frozenset(),
    "forget.done": frozenset(),
    "forget.nothing": frozenset(),
    "forget.cancelled": frozenset(),
    "button.forget_yes": frozenset(),
    "button.cancel": frozenset(),
    "button.mydata": frozenset(),
    "button.forget": frozenset(),
    "cancel.done": frozenset(),
    # command menu descriptions (BotCommand.description: 1-256 characters, plain text)
    "command.start": frozenset(),
    "command.facts": frozenset(),
    "command.language": frozenset(),
    "command.help": frozenset(),
    "command.pledge": frozenset(),
    "command.unpledge": frozenset(),
    "command.stop": frozenset(),
    "command.privacy": frozenset(),
    "command.mydata": frozenset(),
    "command.forget": frozenset(),
    "command.cancel": frozenset(),
}

# Strings sent as plain text where HTML is not allowed (buttons, command descriptions,
# callback-query toasts): check-content rejects markup in these.
PLAIN_PREFIXES: tuple[str, ...] = ("menu.", "button.", "command.", "share.")

# Telegram limits that apply to particular kinds of string.
BUTTON_TEXT_MAX = 64
COMMAND_DESCRIPTION_MAX = 256
