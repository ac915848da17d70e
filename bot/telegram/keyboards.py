"""Inline keyboards of the menu and the facts, built from content strings and callback actions."""

from __future__ import annotations

from bot.callbacks import Action
from bot.content import Content, Fact
from bot.content.models import Answer
from bot.flows import congress, guide, local, pledge
from bot.flows.menu import (
    FACT,
    HELP,
    LANGUAGE,
    MAIN,
    POLICY,
    SET_LANGUAGE,
    SHARE,
    STATUS,
    TOPIC,
    TOPICS,
)
from bot.render import share_bot_url, share_fact_url
from bot.telegram.markup import Keyboard, button, inline_query_button, keyboard, url_button


def main_menu(content: Content, lang: str) -> Keyboard:
    """The main menu: only entries whose feature exists."""
    t = content.text
    return keyboard(
        [button(t("menu.facts", lang), TOPICS.press())],
        [button(t("menu.comment", lang), guide.OPEN.press())],
        [
            button(t("menu.pledge", lang), pledge.SHOW.press()),
            button(t("menu.local", lang), local.ASK.press()),
        ],
        [button(t("menu.congress", lang), congress.ASK.press())],
        [
            button(t("menu.updates", lang), STATUS.press()),
            button(t("menu.share", lang), SHARE.press()),
        ],
        [
            button(t("menu.privacy", lang), POLICY.press()),
            button(t("menu.language", lang), LANGUAGE.press()),
        ],
        [button(t("menu.help", lang), HELP.press())],
    )


def topics(content: Content, lang: str) -> Keyboard:
    rows = [
        [button(topic.title.get(lang), TOPIC.press(topic.id))] for topic in content.topics.values()
    ]
    rows.append([button(content.text("button.menu", lang), MAIN.press())])
    return keyboard(*rows)


def topic_facts(content: Content, topic_id: str, lang: str) -> Keyboard:
    rows = [
        [button(fact.title.get(lang), FACT.press(fact.id))]
        for fact in content.topic_facts(topic_id)
    ]
    rows.append([button(content.text("button.topics", lang), TOPICS.press())])
    return keyboard(*rows)


def fact_card(content: Content, fact: Fact, next_id: str, lang: str, bot_link: str) -> Keyboard:
    """Buttons under a fact card: next, share, back to the topic, menu."""
    t = content.text
    return keyboard(
        [button(t("button.next", lang), FACT.press(next_id))],
        [url_button(t("button.share", lang), share_fact_url(content, fact, lang, bot_link))],
        [
            button(t("button.topics", lang), TOPIC.press(fact.topic)),
            button(t("button.menu", lang), MAIN.press()),
        ],
    )


def search_answer(
    content: Content, best: Fact, related: list[Fact], lang: str, bot_link: str
) -> Keyboard:
    """Buttons under a search answer: each related fact, share the answer, topics."""
    t = content.text
    rows = [[button(f"🔎 {fact.title.get(lang)}", FACT.press(fact.id))] for fact in related]
    rows.append(
        [url_button(t("button.share", lang), share_fact_url(content, best, lang, bot_link))]
    )
    rows.append(
        [
            button(t("button.topics", lang), TOPICS.press()),
            button(t("button.menu", lang), MAIN.press()),
        ]
    )
    return keyboard(*rows)


def languages(content: Content, lang: str) -> Keyboard:
    return keyboard(
        [
            button("English", SET_LANGUAGE.press("en")),
            button("Español", SET_LANGUAGE.press("es")),
        ],
        [button(content.text("button.menu", lang), MAIN.press())],
    )


def share(content: Content, lang: str, bot_link: str) -> Keyboard:
    """Share the bot (a ready message with its link), or a fact card through inline mode."""
    t = content.text
    return keyboard(
        [url_button(t("button.share_bot", lang), share_bot_url(content, lang, bot_link))],
        [inline_query_button(t("button.share_fact_inline", lang))],
        [button(t("button.menu", lang), MAIN.press())],
    )


def back_to_menu(content: Content, lang: str) -> Keyboard:
    return keyboard([button(content.text("button.menu", lang), MAIN.press())])


# The button of each journey an answer can open: its label (a main-menu string) and action.
# "menu" is the whole main menu. Every name in content.models.ANSWER_JOURNEYS is here.
JOURNEY_BUTTONS: dict[str, tuple[str, Action]] = {
    "facts": ("menu.facts", TOPICS),
    "comment": ("menu.comment", guide.OPEN),
    "pledge": ("menu.pledge", pledge.SHOW),
    "local": ("menu.local", local.ASK),
    "share": ("menu.share", SHARE),
    "updates": ("menu.updates", STATUS),
    "privacy": ("menu.privacy", POLICY),
    "help": ("menu.help", HELP),
}


def journey_answer(content: Content, answer: Answer, lang: str) -> Keyboard:
    """Buttons under an answer: one per journey it opens, then the menu (or the whole menu)."""
    if "menu" in answer.journeys:
        return main_menu(content, lang)
    rows = []
    for journey in answer.journeys:
        label, action = JOURNEY_BUTTONS[journey]
        rows.append([button(content.text(label, lang), action.press())])
    rows.append([button(content.text("button.menu", lang), MAIN.press())])
    return keyboard(*rows)
