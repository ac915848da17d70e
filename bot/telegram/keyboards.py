"""Inline keyboards, built from content strings and callback actions."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Callback
from bot.content import Content, Fact
from bot.content.models import Answer
from bot.render import share_bot_url, share_fact_url
from bot.telegram.common import button, keyboard


def main_menu(content: Content, lang: str) -> InlineKeyboardMarkup:
    """The main menu: only entries whose feature exists."""
    t = content.text
    return keyboard(
        [button(t("menu.facts", lang), Callback("topics").data())],
        [button(t("menu.comment", lang), Callback("cmt").data())],
        [
            button(t("menu.pledge", lang), Callback("pledge").data()),
            button(t("menu.local", lang), Callback("local").data()),
        ],
        [
            button(t("menu.updates", lang), Callback("updates").data()),
            button(t("menu.share", lang), Callback("share").data()),
        ],
        [
            button(t("menu.privacy", lang), Callback("privacy").data()),
            button(t("menu.language", lang), Callback("lang").data()),
        ],
        [button(t("menu.help", lang), Callback("help").data())],
    )


def topics(content: Content, lang: str) -> InlineKeyboardMarkup:
    rows = [
        [button(topic.title.get(lang), Callback("topic", topic.id).data())]
        for topic in content.topics.values()
    ]
    rows.append([button(content.text("button.menu", lang), Callback("menu").data())])
    return keyboard(*rows)


def topic_facts(content: Content, topic_id: str, lang: str) -> InlineKeyboardMarkup:
    rows = [
        [button(fact.title.get(lang), Callback("fact", fact.id).data())]
        for fact in content.topic_facts(topic_id)
    ]
    rows.append([button(content.text("button.topics", lang), Callback("topics").data())])
    return keyboard(*rows)


def fact_card(
    content: Content, fact: Fact, next_id: str, lang: str, bot_link: str
) -> InlineKeyboardMarkup:
    """Buttons under a fact card: next, share, back to the topic, menu."""
    t = content.text
    return keyboard(
        [button(t("button.next", lang), Callback("fact", next_id).data())],
        [
            InlineKeyboardButton(
                t("button.share", lang), url=share_fact_url(content, fact, lang, bot_link)
            )
        ],
        [
            button(t("button.topics", lang), Callback("topic", fact.topic).data()),
            button(t("button.menu", lang), Callback("menu").data()),
        ],
    )


def search_answer(
    content: Content, best: Fact, related: list[Fact], lang: str, bot_link: str
) -> InlineKeyboardMarkup:
    """Buttons under a search answer: each related fact, share the answer, topics."""
    t = content.text
    rows = [
        [button(f"🔎 {fact.title.get(lang)}", Callback("fact", fact.id).data())] for fact in related
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t("button.share", lang), url=share_fact_url(content, best, lang, bot_link)
            )
        ]
    )
    rows.append(
        [
            button(t("button.topics", lang), Callback("topics").data()),
            button(t("button.menu", lang), Callback("menu").data()),
        ]
    )
    return keyboard(*rows)


def languages(content: Content, lang: str) -> InlineKeyboardMarkup:
    return keyboard(
        [
            button("English", Callback("setlang", "en").data()),
            button("Español", Callback("setlang", "es").data()),
        ],
        [button(content.text("button.menu", lang), Callback("menu").data())],
    )


def share(content: Content, lang: str, bot_link: str) -> InlineKeyboardMarkup:
    """Share the bot (a ready message with its link), or a fact card through inline mode."""
    t = content.text
    return keyboard(
        [
            InlineKeyboardButton(
                t("button.share_bot", lang), url=share_bot_url(content, lang, bot_link)
            )
        ],
        [InlineKeyboardButton(t("button.share_fact_inline", lang), switch_inline_query="")],
        [button(t("button.menu", lang), Callback("menu").data())],
    )


def back_to_menu(content: Content, lang: str) -> InlineKeyboardMarkup:
    return keyboard([button(content.text("button.menu", lang), Callback("menu").data())])


# The button of each journey an answer can open: its label (a main-menu string) and action.
# "menu" is the whole main menu. Every name in content.models.ANSWER_JOURNEYS is here.
JOURNEY_BUTTONS: dict[str, tuple[str, str]] = {
    "facts": ("menu.facts", "topics"),
    "comment": ("menu.comment", "cmt"),
    "pledge": ("menu.pledge", "pledge"),
    "local": ("menu.local", "local"),
    "share": ("menu.share", "share"),
    "updates": ("menu.updates", "updates"),
    "privacy": ("menu.privacy", "privacy"),
    "help": ("menu.help", "help"),
}


def journey_answer(content: Content, answer: Answer, lang: str) -> InlineKeyboardMarkup:
    """Buttons under an answer: one per journey it opens, then the menu (or the whole menu)."""
    if "menu" in answer.journeys:
        return main_menu(content, lang)
    rows = []
    for journey in answer.journeys:
        label, action = JOURNEY_BUTTONS[journey]
        rows.append([button(content.text(label, lang), Callback(action).data())])
    rows.append([button(content.text("button.menu", lang), Callback("menu").data())])
    return keyboard(*rows)
