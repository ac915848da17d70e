"""Where I live: is there a 287(g) agreement in my county?

A supporter sends a ZIP code, or picks a state and types a county or city. The answer comes from
ICE's published list as imported into ``content/agreements.yaml``, always with its date. The ZIP
and county are used for the answer and — only if the supporter asks — for their letter draft;
they are not stored anywhere else. Organizers see lookups per state as aggregate counts.
"""

from __future__ import annotations

from html import escape

from telegram import Update

from bot.agreements import AgreementList
from bot.callbacks import Press
from bot.content import Content
from bot.content.models import LocalTarget
from bot.content.ui_keys import BUTTON_TEXT_MAX
from bot.flows import congress, local
from bot.flows.menu import MAIN
from bot.local_lists import View, list_argument, parse_list_argument
from bot.local_targets import targets_for_place
from bot.places import PlaceIndex
from bot.pledges import find_state
from bot.render import (
    MAX_MESSAGE,
    format_date,
    local_answer,
    local_list_pages,
    local_lists,
    visible_length,
)
from bot.storage import User
from bot.telegram.common import current_user, show
from bot.telegram.context import Ctx
from bot.telegram.handlers import comment
from bot.telegram.handlers.buttons import Presses
from bot.telegram.markup import Button, button, copy_button, keyboard, url_button

STEP_WHERE = "local_where"  # waiting for a ZIP code or a state name
STEP_COUNTY = "local_county:"  # + USPS code: waiting for a county or city in that state
STATES_PER_ROW = 6


def _agreements(ctx: Ctx) -> AgreementList:
    return ctx.services.content.agreements


def _places(ctx: Ctx) -> PlaceIndex:
    return ctx.services.content.places


async def ask_where(update: Update, ctx: Ctx) -> None:
    """Ask for a ZIP code, or a state."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await ctx.services.storage.set_step(user.user_id, STEP_WHERE)
    codes = list(content.states)
    rows = [
        [button(c, local.STATE.press(c.lower())) for c in codes[i : i + STATES_PER_ROW]]
        for i in range(0, len(codes), STATES_PER_ROW)
    ]
    rows.append([button(content.text("button.menu", lang), MAIN.press())])
    text = content.text("local.ask", lang, date=format_date(_agreements(ctx).as_of, lang))
    await show(update, ctx, text, keyboard(*rows))


async def where_typed(update: Update, ctx: Ctx, text: str) -> None:
    """A ZIP code (or a state's name) typed by the supporter."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    places = _places(ctx).places_for_zip(text)
    if places is None:
        state = find_state(text, content.states)
        if state is not None:
            await state_chosen(update, ctx, state.code)
            return
        await _reply_with_retry(update, ctx, user, content.text("local.not_zip", lang))
        return
    zip_code = text.strip()[:5]
    if not places:
        await _reply_with_retry(
            update, ctx, user, content.text("local.unknown_zip", lang, zip=escape(zip_code))
        )
        return
    if len(places) > 1:
        rows = [
            [button(f"{p.county}, {p.state}", local.ZIP_COUNTY.press(f"{zip_code}-{n}"))]
            for n, p in enumerate(places)
        ]
        await ctx.services.storage.clear_step(user.user_id)
        text = content.text("local.which_county", lang, zip=escape(zip_code))
        await show(update, ctx, text, keyboard(*rows))
        return
    place = places[0]
    await answer(update, ctx, place.state, place.county, zip_code=zip_code, city=place.city)


async def zip_county_chosen(update: Update, ctx: Ctx, arg: str) -> bool:
    """One of the counties a ZIP spans, chosen by button ("77002-1")."""
    zip_code, _, index = arg.partition("-")
    places = _places(ctx).places_for_zip(zip_code) or []
    if not index.isdigit() or int(index) >= len(places):
        return False
    place = places[int(index)]
    await answer(update, ctx, place.state, place.county, zip_code=zip_code, city=place.city)
    return True


async def state_chosen(update: Update, ctx: Ctx, code: str) -> bool:
    """A state: ask for the county or city."""
    content = ctx.services.content
    state = content.states.get(code.upper())
    if state is None:
        return False
    user = await current_user(update, ctx)
    lang = user.language
    await ctx.services.storage.set_step(user.user_id, STEP_COUNTY + state.code)
    text = content.text("local.ask_county", lang, state=escape(state.name.get(lang)))
    await show(update, ctx, text, keyboard(_back_row(content, lang)))
    return True


async def county_typed(update: Update, ctx: Ctx, state_code: str, text: str) -> None:
    """A county or city name in the chosen state; case, accents and typos are tolerated."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    state = content.states.get(state_code)
    if state is None:
        await ask_where(update, ctx)
        return
    matches = _places(ctx).find_county(
        state.code, text[:100], _agreements(ctx).counties(state.code)
    )
    if not matches:
        shown = escape(" ".join(text.split())[:60])
        message = content.text(
            "local.no_county", lang, text=shown, state=escape(state.name.get(lang))
        )
        await show(update, ctx, message, keyboard(_back_row(content, lang)))
        return
    await answer(update, ctx, state.code, matches[0], also=matches[1:4])


async def answer(
    update: Update,
    ctx: Ctx,
    state_code: str,
    county: str,
    also: list[str] | None = None,
    *,
    counted: bool = True,
    zip_code: str | None = None,
    city: str | None = None,
) -> None:
    """The agreements in the county, statewide ones, the state's totals — with the lists'
    dates, and buttons to the full lists. ``counted``: a lookup for /stats (not a return to
    the answer from a list). ``zip_code``: the ZIP code asked about, for the button to its
    members of Congress (without one, that button asks for a ZIP code). ``city``: the ZIP
    code's city, for the local targets organizers added for it (besides the county's)."""
    user = await current_user(update, ctx)
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    await storage.clear_step(user.user_id)
    if counted:
        await storage.count_event(f"lookup:{state_code}", lang, None)
    text = local_answer(content, _agreements(ctx), state_code, county, lang)
    if also:
        text += "\n\n" + content.text("local.also", lang, counties=escape(", ".join(also)))
    targets = targets_for_place(content.targets, state_code, county, city)[: local.TARGETS_SHOWN]
    if targets:
        text = _with_targets(content, text, targets, lang)
    t = content.text
    lists = local_lists(content, _agreements(ctx), state_code, county, lang)
    rows = []
    if lists.county_agencies is not None:
        label = t("button.local_county_list", lang, count=str(lists.county_agencies))
        rows.append([button(label, _list("county", state_code, county))])
    if lists.state_agreements:
        label = t(
            "button.local_state_list",
            lang,
            state=_state_label(content, state_code, lang),
            count=f"{lists.state_agreements:,}",
        )
        rows.append([button(label, _list("state", state_code, county))])
    for target in targets:
        label = t("button.local_target", lang, name=target.name.get(lang))[:BUTTON_TEXT_MAX]
        rows.append([button(label, local.TARGET.press(target.id))])
    await show(
        update,
        ctx,
        text,
        keyboard(
            *rows,
            [button(t("button.local_letter", lang), _letter(state_code, county))],
            [button(t("button.local_congress", lang), _congress(zip_code))],
            [button(t("button.local_again", lang), local.ASK.press())],
            [button(t("button.menu", lang), MAIN.press())],
        ),
    )


def _with_targets(content: Content, text: str, targets: list[LocalTarget], lang: str) -> str:
    """The answer followed by the local targets organizers added for this place: name, ask,
    phone and link; when that would not fit one message, their names only (each target's
    button opens its whole screen)."""
    full = text + "\n\n" + _targets_text(content, targets, lang, whole=True)
    if visible_length(full) <= MAX_MESSAGE:
        return full
    short = text + "\n\n" + _targets_text(content, targets, lang, whole=False)
    return short if visible_length(short) <= MAX_MESSAGE else text


def _targets_text(content: Content, targets: list[LocalTarget], lang: str, *, whole: bool) -> str:
    blocks = [content.text("local.targets", lang)]
    for target in targets:
        lines = [f"<b>{escape(target.name.get(lang))}</b>"]
        if whole:
            lines.append(escape(target.ask.get(lang)))
            if target.phone:
                lines.append(f"☎️ {escape(target.phone)}")
            if target.url:
                lines.append(f'🔗 <a href="{escape(target.url)}">{escape(target.url)}</a>')
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def show_target(update: Update, ctx: Ctx, target_id: str) -> bool:
    """A local target: its ask and call script, its phone to copy, its address."""
    content = ctx.services.content
    target = next((x for x in content.targets if x.id == target_id), None)
    if target is None:
        return False
    user = await current_user(update, ctx)
    t, lang = content.text, user.language
    text = t(
        "local.target",
        lang,
        name=escape(target.name.get(lang)),
        ask=escape(target.ask.get(lang)),
        script=escape(target.script.get(lang)),
        checked=format_date(target.checked, lang),
    )
    rows = []
    if target.phone:
        text += f"\n☎️ {escape(target.phone)}"
        label = t("button.local_copy_phone", lang)
        rows.append([copy_button(label, target.phone)])
    if target.url:
        rows.append([url_button(t("button.local_target_site", lang), target.url)])
    await show(
        update,
        ctx,
        text,
        keyboard(
            *rows,
            [button(t("button.local_again", lang), local.ASK.press())],
            [button(t("button.menu", lang), MAIN.press())],
        ),
    )
    return True


def _congress(zip_code: str | None) -> Press:
    """The members of Congress of the ZIP code asked about, else the question for one."""
    return congress.ZIP.press(zip_code) if zip_code else congress.ASK.press()


async def show_list(update: Update, ctx: Ctx, arg: str) -> bool:
    """A page of a full list behind an answer (the county's, or the state's), or the answer
    again; pages beyond the last show the last (the list may have shrunk since)."""
    content = ctx.services.content
    view = parse_list_argument(arg, _agreements(ctx), _places(ctx), set(content.states))
    if view is None:
        return False
    if view.view == "answer":
        assert view.county is not None  # an answer's argument always names its county
        await answer(update, ctx, view.state, view.county, counted=False)
        return True
    user = await current_user(update, ctx)
    t, lang = content.text, user.language
    county = view.county if view.view == "county" else None
    pages = local_list_pages(content, _agreements(ctx), view.state, county, lang)
    n = min(view.page, len(pages))
    turn = []
    if n > 1:
        turn.append(
            button(t("button.local_prev", lang), _list(view.view, view.state, view.county, n - 1))
        )
    if n < len(pages):
        turn.append(
            button(t("button.local_next", lang), _list(view.view, view.state, view.county, n + 1))
        )
    back = []
    if view.county is not None:
        label = t("button.local_back_county", lang, county=view.county)[:BUTTON_TEXT_MAX]
        back.append(button(label, _list("answer", view.state, view.county)))
    await show(
        update,
        ctx,
        pages[n - 1],
        keyboard(
            turn,
            back,
            [button(t("button.local_again", lang), local.ASK.press())],
            [button(t("button.menu", lang), MAIN.press())],
        ),
    )
    return True


def _list(view: View, state_code: str, county: str | None, page: int = 1) -> Press:
    return local.LIST.press(list_argument(view, state_code, county, page))


def _state_label(content: Content, state_code: str, lang: str) -> str:
    state = content.states.get(state_code)
    return state.name.get(lang) if state else state_code


def _letter(state_code: str, county: str) -> Press:
    return local.LETTER.press(local.county_argument(state_code, county))


async def use_in_letter(update: Update, ctx: Ctx, key: str) -> bool:
    """Put the county into the letter draft (starting one if needed), then open the guide."""
    content = ctx.services.content
    found = local.county_from_argument(content.agreements, content.places, key, set(content.states))
    if found is None:
        return False
    state, county = found
    user = await current_user(update, ctx)
    storage = ctx.services.storage
    draft = await storage.get_draft(user.user_id)
    if draft is None or draft.completed_at is not None:
        await comment.start_new(update, ctx, local=(state, county))
        return True
    await storage.update_draft(user.user_id, local_state=state, local_county=county)
    await comment.entry(update, ctx)
    return True


async def _reply_with_retry(update: Update, ctx: Ctx, user: User, text: str) -> None:
    content, lang = ctx.services.content, user.language
    await ctx.services.storage.set_step(user.user_id, STEP_WHERE)
    await show(update, ctx, text, keyboard(_back_row(content, lang)))


def _back_row(content: Content, lang: str) -> list[Button]:
    return [
        button(content.text("button.local_again", lang), local.ASK.press()),
        button(content.text("button.menu", lang), MAIN.press()),
    ]


PRESSES: Presses = (
    (local.ASK, ask_where),
    (local.STATE, state_chosen),
    (local.ZIP_COUNTY, zip_county_chosen),
    (local.LETTER, use_in_letter),
    (local.LIST, show_list),
    (local.TARGET, show_target),
)
