"""Take the pledge: its steps, its buttons and what each screen says.

Steps: the pledge (*I pledge*) → an optional first name (typed) → an optional state (a grid of
codes, or typed) → "send me updates?" (asked separately, never pre-ticked) → thanks with the
supporter's number. The pledge row is written first, then each optional field as it comes, then
the subscription; the typed answers are awaited through a stored conversation step
(:data:`STEP_NAME`, :data:`STEP_STATE`), so a restart between two steps loses nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from bot.callbacks import Feature
from bot.content import Content
from bot.flows.menu import MAIN, menu_button
from bot.freetext import TextCheck
from bot.pledges import NAME_MAX
from bot.render import format_date, share_bot_url
from bot.screens import Button, Row, Screen, say
from bot.storage import Pledge

PLEDGE = Feature("pledge", 1)
SHOW = PLEDGE.action("show")  # the pledge screen (or "you already pledged")
TAKE = PLEDGE.action("take")  # take the pledge
SKIP = PLEDGE.action("skip", argument=True, keeps_step=True)  # skip an optional step: name | state
STATE = PLEDGE.action("state", argument=True, keeps_step=True)  # a state (lowercase USPS code)
UPDATES = PLEDGE.action("updates", argument=True)  # answer "send me updates?": yes | no
EDIT = PLEDGE.action("edit")  # change the optional name and state
WITHDRAW = PLEDGE.action("withdraw")  # ask before withdrawing the pledge
WITHDRAW_YES = PLEDGE.action("withdraw-yes")  # withdraw it

# Conversation steps: which typed answer the pledge waits for.
STEP_NAME = "pledge_name"
STEP_STATE = "pledge_state"
ANSWERS = ("yes", "no")
STATES_PER_ROW = 6


def intro(content: Content, lang: str, count: int) -> Screen:
    """The pledge, how many have taken it, and *I pledge* or *Not now*."""
    text = say("pledge.intro", pledge=escape(content.campaign.pledge.get(lang)), count=f"{count:,}")
    return Screen(
        lang,
        (text,),
        (
            (Button(say("button.pledge_yes"), press=TAKE.press()),),
            (Button(say("button.not_now"), press=MAIN.press()),),
        ),
    )


def already(content: Content, pledge: Pledge, lang: str, link: str) -> Screen:
    """Someone who pledged before: their number and the day."""
    when = format_date(_iso_day(pledge.pledged_at), lang)
    text = say("pledge.already", number=f"{pledge.number:,}", date=when)
    return Screen(lang, (text,), _pledged_rows(content, lang, link))


def ask_name(lang: str) -> Screen:
    """The optional first name, typed."""
    return Screen(lang, (say("pledge.ask_name", max=str(NAME_MAX)),), (_skip("name"),))


def name_refused(lang: str, check: TextCheck) -> Screen:
    """Why a typed first name cannot be used (nothing is stored); the question stays open."""
    text = say(f"pledge.name_{check.problem}", length=f"{check.length:,}", max=str(NAME_MAX))
    return Screen(lang, (text,), (_skip("name"),))


def ask_state(content: Content, lang: str) -> Screen:
    """The optional state: a grid of codes, or a typed name."""
    codes = list(content.states)
    grid = tuple(
        tuple(
            Button(code, press=STATE.press(code.lower())) for code in codes[i : i + STATES_PER_ROW]
        )
        for i in range(0, len(codes), STATES_PER_ROW)
    )
    return Screen(lang, (say("pledge.ask_state"),), (*grid, _skip("state")))


def state_unknown(lang: str, typed: str) -> Screen:
    """A typed state the bot does not know, quoted back; the question stays open."""
    shown = escape(" ".join(typed.split())[:40])
    return Screen(lang, (say("pledge.state_unknown", text=shown),), (_skip("state"),))


def ask_updates(lang: str) -> Screen:
    """Whether to send updates, asked on its own and never pre-ticked."""
    return Screen(
        lang,
        (say("pledge.ask_updates"),),
        (
            (Button(say("button.updates_yes"), press=UPDATES.press("yes")),),
            (Button(say("button.updates_no"), press=UPDATES.press("no")),),
        ),
    )


def done(content: Content, pledge: Pledge, lang: str, link: str) -> Screen:
    """Thanks, with the supporter's number and what they gave."""
    text = say("pledge.done", number=f"{pledge.number:,}", details=_details(content, pledge, lang))
    return Screen(lang, (text,), _pledged_rows(content, lang, link))


def confirm_withdraw(lang: str) -> Screen:
    """Asked before the pledge is withdrawn."""
    return Screen(
        lang,
        (say("pledge.unpledge_confirm"),),
        (
            (Button(say("button.unpledge_yes"), press=WITHDRAW_YES.press()),),
            (Button(say("button.keep_pledge"), press=SHOW.press()),),
        ),
    )


def withdrawn(lang: str) -> Screen:
    return Screen(lang, (say("pledge.withdrawn"),), ((menu_button(),),))


def no_pledge(lang: str) -> Screen:
    """A step of a pledge that does not exist (withdrawn, or forgotten) offers the pledge."""
    return Screen(
        lang,
        (say("pledge.none"),),
        ((Button(say("button.pledge"), press=SHOW.press()),), (menu_button(),)),
    )


def _skip(what: str) -> Row:
    return (Button(say("button.skip"), press=SKIP.press(what)),)


def _pledged_rows(content: Content, lang: str, link: str) -> tuple[Row, ...]:
    return (
        (Button(say("button.share"), url=share_bot_url(content, lang, link)),),
        (Button(say("button.pledge_edit"), press=EDIT.press()),),
        (Button(say("button.unpledge"), press=WITHDRAW.press()), menu_button()),
    )


def _details(content: Content, pledge: Pledge, lang: str) -> str:
    state = content.states.get(pledge.state or "")
    return content.text(
        "pledge.details",
        lang,
        name=escape(pledge.first_name) if pledge.first_name else "—",
        state=escape(state.name.get(lang)) if state else "—",
    )


def _iso_day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()
