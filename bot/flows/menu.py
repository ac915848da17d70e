"""The buttons of the one-screen journeys the main menu opens: the menu itself, the facts,
updates and privacy. Other journeys' screens offer them too (*Menu*, *Subscribe*)."""

from __future__ import annotations

from bot.callbacks import Feature
from bot.screens import Button, say

MENU = Feature("menu", 1)
MAIN = MENU.action("main")  # the main menu
LANGUAGE = MENU.action("language")  # the language menu
SET_LANGUAGE = MENU.action("set-language", argument=True)  # en | es
HELP = MENU.action("help")
SHARE = MENU.action("share")  # the share screen

FACTS = Feature("facts", 1)
TOPICS = FACTS.action("topics")  # the list of topics
TOPIC = FACTS.action("topic", argument=True)  # the facts of one topic (topic id)
FACT = FACTS.action("fact", argument=True)  # one fact card (fact id)

UPDATES = Feature("updates", 1)
STATUS = UPDATES.action("status")  # whether the user gets updates
SUBSCRIBE = UPDATES.action("subscribe")
UNSUBSCRIBE = UPDATES.action("unsubscribe")

PRIVACY = Feature("privacy", 1)
POLICY = PRIVACY.action("policy")  # what is stored, why, for how long
MY_DATA = PRIVACY.action("my-data")
FORGET = PRIVACY.action("forget")  # ask before deleting everything
FORGET_YES = PRIVACY.action("forget-yes")  # delete everything
FORGET_NO = PRIVACY.action("forget-no")  # keep everything


def menu_button() -> Button:
    """*Menu*: back to the main menu."""
    return Button(say("button.menu"), press=MAIN.press())
