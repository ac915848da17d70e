"""The comment guide: from "I want to help" to "I sent it", one step per screen.

The draft and the step it is at live in SQLite and are written as each answer arrives, so the
guide survives a restart at any step and ``/comment`` resumes it. Typed answers (the story, the
signature) are awaited through the same stored conversation step the pledge uses, so any other
command or button leaves them.

Steps: intro → role → reasons → story → sign_name → sign_place → preview → safety → send →
outcome. Every step has back and leave; the preview can change any part.

A story that mentions immigration status (or another sensitive word) is *not* stored when it
arrives: the gentle check shows it back inside its message, and only *Keep it* writes it to the
draft, reading it from that message. Until then the database holds nothing of it but the id of
the message showing it, in the awaited step — which any other button or command clears, so
writing again or leaving discards it, and a restart keeps the choice open.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from html import escape

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageEntityType

from bot.callbacks import Callback
from bot.content import Content
from bot.freetext import check_free_text
from bot.letters import (
    STORY_MAX,
    DraftChoices,
    Letter,
    LetterParts,
    compose_links,
    letter_parts,
    postal_letter,
    render_letter,
    sensitive_mentions,
)
from bot.pledges import NAME_MAX
from bot.render import (
    MAX_MESSAGE,
    local_letter_sentence,
    share_bot_url,
    split_letter,
    visible_length,
)
from bot.storage import Draft, User
from bot.telegram.common import button, current_user, keyboard, show
from bot.telegram.context import Ctx
from bot.telegram.handlers.facts import bot_link

# Conversation steps: which typed answer the guide waits for.
TYPED_STEPS = {"story": "comment_story", "sign_name": "comment_name", "sign_place": "comment_place"}
# The story check awaits a decision about the story shown in one message: "comment_story:<id>".
STORY_CHECK = TYPED_STEPS["story"] + ":"
QUOTES = (MessageEntityType.BLOCKQUOTE, MessageEntityType.EXPANDABLE_BLOCKQUOTE)
# The numbered steps a sender goes through, for "Step n of 5".
NUMBERED = ("role", "reasons", "story", "sign_name", "sign_place")
BACK = {
    "role": "intro",
    "reasons": "role",
    "story": "reasons",
    "sign_name": "story",
    "sign_place": "sign_name",
    "preview": "sign_place",
    "safety": "preview",
    "send": "safety",
}
MAX_REASONS = 3
COPY_TEXT_MAX = 256  # Telegram's limit for CopyTextButton text


def choices(content: Content, draft: Draft) -> DraftChoices:
    local = None
    if draft.local_state and draft.local_county:
        local = local_letter_sentence(
            content, content.agreements, draft.local_state, draft.local_county, draft.language
        )
    return DraftChoices(
        seed=draft.seed,
        role=draft.role,
        reasons=draft.reasons,
        story=draft.story,
        sign_name=draft.sign_name,
        sign_place=draft.sign_place,
        local_sentence=local,
    )


def letter_for(content: Content, draft: Draft) -> Letter:
    return render_letter(content.letter, choices(content, draft), draft.language)


def parts_for(content: Content, draft: Draft) -> LetterParts:
    return letter_parts(content.letter, choices(content, draft), draft.language)


# -- entry ----------------------------------------------------------------------------------------


async def entry(update: Update, ctx: Ctx) -> None:
    """Open the guide: resume an unfinished draft, or start one."""
    user = await current_user(update, ctx)
    draft = await ctx.services.storage.get_draft(user.user_id)
    content, lang = ctx.services.content, user.language
    if draft is not None and draft.completed_at is None:
        await show_step(update, ctx, user, draft, content.text("guide.resume", lang))
        return
    if draft is not None:
        await show(
            update,
            ctx,
            content.text("guide.finished_before", lang),
            keyboard(
                [button(content.text("button.new_comment", lang), Callback("cnew").data())],
                [button(content.text("button.menu", lang), Callback("menu").data())],
            ),
        )
        return
    await start_new(update, ctx)


async def start_new(update: Update, ctx: Ctx, local: tuple[str, str] | None = None) -> None:
    """Start a fresh draft with its own wording seed, and show who receives it and why.

    ``local`` is the (state, county) the supporter chose to name in the letter, if any.
    """
    user = await current_user(update, ctx)
    storage = ctx.services.storage
    draft = await storage.start_draft(
        user.user_id, user.language, secrets.randbelow(2**31), "intro"
    )
    if local is not None:
        await storage.update_draft(user.user_id, local_state=local[0], local_county=local[1])
        draft = await storage.get_draft(user.user_id) or draft
    await storage.reach(user.user_id, "started", user.language, user.source)
    await show_step(update, ctx, user, draft)


async def start_after_finished(update: Update, ctx: Ctx) -> bool:
    """ "Write a new letter", offered once a letter is sent; False anywhere else (a forged or
    stale press), so a draft cannot be restarted to count "sent" again."""
    user = await current_user(update, ctx)
    draft = await ctx.services.storage.get_draft(user.user_id)
    if draft is None or draft.completed_at is None:
        return False
    await start_new(update, ctx)
    return True


# -- screens ---------------------------------------------------------------------------------------


async def show_step(update: Update, ctx: Ctx, user: User, draft: Draft, notice: str = "") -> None:
    """Show the screen of the draft's current step, and await typed input where it needs it."""
    await ctx.services.storage.set_step(user.user_id, TYPED_STEPS.get(draft.step))
    screen = SCREENS.get(draft.step, _preview_screen)
    rendered, markup = await screen(ctx, user, draft)
    texts = [rendered] if isinstance(rendered, str) else rendered
    if notice:  # a UI string from content: already Telegram HTML
        noticed = f"<i>{notice}</i>\n\n{texts[0]}"
        texts[0:1] = [noticed] if visible_length(noticed) <= MAX_MESSAGE else [notice, texts[0]]
    if draft.step == "send":  # counted with this update's other writes, before any reply
        await ctx.services.storage.reach(user.user_id, "send_shown", draft.language, user.source)
    await show_messages(update, ctx, texts, markup)
    if draft.step == "send":
        await _send_controls(update, ctx, user, draft)


async def show_messages(
    update: Update, ctx: Ctx, texts: list[str], markup: InlineKeyboardMarkup | None
) -> None:
    """Show a screen made of one or more messages; the buttons go under the last one."""
    await show(update, ctx, texts[0], markup if len(texts) == 1 else None)
    chat = update.effective_chat
    for index, text in enumerate(texts[1:], start=2):
        if chat is not None:
            last = index == len(texts)
            await ctx.bot.send_message(chat.id, text, reply_markup=markup if last else None)


def _nav(content: Content, lang: str, back: bool = True) -> list[InlineKeyboardButton]:
    row = [button(content.text("button.back", lang), Callback("cback").data())] if back else []
    row.append(button(content.text("button.leave", lang), Callback("cleave").data()))
    return row


def _numbered(draft: Draft) -> dict[str, str]:
    step = draft.step if draft.step in NUMBERED else "story"
    return {"step": str(NUMBERED.index(step) + 1), "total": str(len(NUMBERED))}


Screen = tuple[str | list[str], InlineKeyboardMarkup | None]


async def _intro_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    content, lang = ctx.services.content, draft.language
    text = content.text(
        "guide.intro",
        lang,
        office=escape(content.letter.office.get(lang)),
        why=escape(content.letter.why.get(lang)),
    )
    return text, keyboard(
        [button(content.text("button.start_guide", lang), Callback("cgo").data())],
        _nav(content, lang, back=False),
    )


async def _role_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    content, lang = ctx.services.content, draft.language
    rows = [
        [
            button(
                ("✅ " if role.id == draft.role else "") + role.label.get(lang), _role_data(role.id)
            )
        ]
        for role in content.letter.roles.values()
    ]
    return content.text("guide.role", lang, **_numbered(draft)), keyboard(
        *rows, _nav(content, lang)
    )


def _role_data(role_id: str) -> str:
    return Callback("crole", role_id).data()


async def _reasons_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    content, lang = ctx.services.content, draft.language
    rows = []
    for point in content.letter.talking_points.values():
        mark = "✅ " if point.id in draft.reasons else "▫️ "
        rows.append([button(mark + point.label.get(lang), Callback("crsn", point.id).data())])
    if 1 <= len(draft.reasons) <= MAX_REASONS:
        rows.append([button(content.text("button.next_step", lang), Callback("cnext").data())])
    text = content.text("guide.reasons", lang, chosen=str(len(draft.reasons)), **_numbered(draft))
    return text, keyboard(*rows, _nav(content, lang))


async def _story_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    content, lang = ctx.services.content, draft.language
    text = content.text("guide.story", lang, max=f"{STORY_MAX:,}", **_numbered(draft))
    return text, keyboard(
        [button(content.text("button.skip", lang), Callback("cskip", "story").data())],
        _nav(content, lang),
    )


async def _sign_name_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    content, lang = ctx.services.content, draft.language
    text = content.text("guide.sign_name", lang, max=str(NAME_MAX), **_numbered(draft))
    return text, keyboard(
        [button(content.text("button.skip", lang), Callback("cskip", "name").data())],
        _nav(content, lang),
    )


async def _sign_place_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    content, lang = ctx.services.content, draft.language
    text = content.text("guide.sign_place", lang, max=str(NAME_MAX), **_numbered(draft))
    return text, keyboard(
        [button(content.text("button.skip", lang), Callback("cskip", "place").data())],
        _nav(content, lang),
    )


async def _preview_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    content, lang = ctx.services.content, draft.language
    await ctx.services.storage.reach(user.user_id, "previewed", lang, user.source)
    letter = letter_for(content, draft)
    header = content.text("guide.preview", lang, subject=escape(letter.subject))
    texts = split_letter(header, letter.body, lambda body: body)
    t = content.text
    return texts, keyboard(
        [
            button(t("button.edit_role", lang), Callback("cedit", "role").data()),
            button(t("button.edit_reasons", lang), Callback("cedit", "reasons").data()),
        ],
        [
            button(t("button.edit_story", lang), Callback("cedit", "story").data()),
            button(t("button.edit_signature", lang), Callback("cedit", "sign").data()),
        ],
        [button(t("button.another_wording", lang), Callback("cword").data())],
        *(
            [[button(t("button.no_county_sentence", lang), Callback("cnoloc").data())]]
            if draft.local_county
            else []
        ),
        [button(t("button.continue", lang), Callback("ccont").data())],
        [
            button(t("button.discard", lang), Callback("cdel").data()),
            button(t("button.leave", lang), Callback("cleave").data()),
        ],
    )


async def _safety_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    content, lang = ctx.services.content, draft.language
    return content.text("guide.safety", lang), keyboard(
        [button(content.text("button.understood", lang), Callback("csafe").data())],
        _nav(content, lang),
    )


async def _send_screen(ctx: Ctx, user: User, draft: Draft) -> Screen:
    """The letter itself, ready to copy (or to print when there is no e-mail channel)."""
    content, lang = ctx.services.content, draft.language
    letter = letter_for(content, draft)
    if content.letter.channels.email:
        header = content.text("guide.letter", lang, subject=escape(letter.subject))
        return split_letter(header, letter.body, _pre), None
    printable = postal_letter(content.letter, letter, lang, _today())
    return split_letter("", printable, _pre), None


def _pre(escaped: str) -> str:
    return f"<pre>{escaped}</pre>"


SCREENS = {
    "intro": _intro_screen,
    "role": _role_screen,
    "reasons": _reasons_screen,
    "story": _story_screen,
    "sign_name": _sign_name_screen,
    "sign_place": _sign_place_screen,
    "preview": _preview_screen,
    "safety": _safety_screen,
    "send": _send_screen,
}


async def _send_controls(update: Update, ctx: Ctx, user: User, draft: Draft) -> None:
    """After the letter: how to send it, and the outcome buttons."""
    content, lang = ctx.services.content, draft.language
    letter = letter_for(content, draft)
    channels = content.letter.channels
    t = content.text
    parts: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []
    if channels.email:
        links = compose_links(channels.email, parts_for(content, draft))
        if links.full:
            parts.append(t("guide.send_email", lang, address=escape(channels.email)))
        else:  # never "everything filled in" when the links carry the short version
            label = escape(channels.short_label.get(lang))
            parts.append(
                t("guide.send_email_long", lang, address=escape(channels.email), label=label)
            )
        rows.append(
            [
                InlineKeyboardButton(t("button.gmail", lang), url=links.gmail),
                InlineKeyboardButton(t("button.outlook", lang), url=links.outlook),
            ]
        )
        rows.append(
            [
                _copy_button(t("button.copy_address", lang), channels.email),
                _copy_button(t("button.copy_subject", lang), letter.subject),
            ]
        )
    if channels.postal_address:
        address = "\n".join(escape(line) for line in channels.postal_address)
        parts.append(
            t(
                "guide.send_postal",
                lang,
                address=address,
                note=escape(channels.postal_note.get(lang)),
            )
        )
        if channels.email:
            rows.append([button(t("button.postal", lang), Callback("cpost").data())])
    if channels.webform_url:
        parts.append(t("guide.send_webform", lang))
        rows.append([InlineKeyboardButton(t("button.webform", lang), url=channels.webform_url)])
    parts.append(t("guide.outcome", lang))
    rows += [
        [button(t("button.sent", lang), Callback("cout", "sent").data())],
        [button(t("button.couldnt", lang), Callback("cout", "couldnt").data())],
        [button(t("button.later", lang), Callback("cout", "later").data())],
    ]
    chat = update.effective_chat
    if chat is not None:
        await ctx.bot.send_message(chat.id, "\n\n".join(parts), reply_markup=keyboard(*rows))


def _copy_button(label: str, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, copy_text=CopyTextButton(text[:COPY_TEXT_MAX]))


def _today() -> date:
    return datetime.now(UTC).date()


# -- moving between steps ----------------------------------------------------------------------


async def _draft_or_entry(update: Update, ctx: Ctx) -> tuple[User, Draft] | None:
    """The user's unfinished draft; without one, the guide's entry screen and None."""
    user = await current_user(update, ctx)
    draft = await ctx.services.storage.get_draft(user.user_id)
    if draft is None or draft.completed_at is not None:
        await entry(update, ctx)
        return None
    return user, draft


async def go(update: Update, ctx: Ctx, step: str, notice: str = "", **fields: object) -> None:
    """Move the draft to ``step`` (changing ``fields``) and show it."""
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return
    user, _ = found
    storage = ctx.services.storage
    await storage.update_draft(user.user_id, step=step, **fields)
    draft = await storage.get_draft(user.user_id)
    assert draft is not None
    await show_step(update, ctx, user, draft, notice)


async def _after(update: Update, ctx: Ctx, draft: Draft, following: str) -> None:
    """Go on to ``following``, or back to the preview when the user came from there."""
    if draft.editing:
        await go(update, ctx, "preview", editing=0)
    else:
        await go(update, ctx, following)


async def begin(update: Update, ctx: Ctx) -> None:
    """From the introduction to choosing a role."""
    await go(update, ctx, "role")


async def choose_role(update: Update, ctx: Ctx, role_id: str) -> bool:
    """Store the role; False for a role content no longer has."""
    if role_id not in ctx.services.content.letter.roles:
        return False
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return True
    user, draft = found
    await ctx.services.storage.update_draft(user.user_id, role=role_id)
    await ctx.services.storage.reach(user.user_id, "role", draft.language, user.source)
    await _after(update, ctx, draft, "reasons")
    return True


async def toggle_reason(update: Update, ctx: Ctx, reason_id: str) -> bool:
    """Add or remove a reason; at most three."""
    content = ctx.services.content
    if reason_id not in content.letter.talking_points:
        return False
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return True
    _, draft = found
    reasons = list(draft.reasons)
    notice = ""
    if reason_id in reasons:
        reasons.remove(reason_id)
    elif len(reasons) >= MAX_REASONS:
        notice = content.text("guide.reasons_limit", draft.language)
    else:
        reasons.append(reason_id)
    await go(update, ctx, "reasons", notice, reasons=tuple(reasons))
    return True


async def reasons_done(update: Update, ctx: Ctx) -> None:
    """Go on once one to three reasons are chosen."""
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return
    user, draft = found
    if not 1 <= len(draft.reasons) <= MAX_REASONS:
        await go(update, ctx, "reasons")
        return
    await ctx.services.storage.reach(user.user_id, "reasons", draft.language, user.source)
    await _after(update, ctx, draft, "story")


async def story_typed(update: Update, ctx: Ctx, text: str) -> None:
    """Store the story unchanged (after checking it), or explain why it cannot be used."""
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return
    user, draft = found
    content, lang = ctx.services.content, draft.language
    check = check_free_text(text, STORY_MAX, multiline=True)
    if check.text is None:
        key = f"guide.story_{check.problem}"
        values = {"length": f"{check.length:,}", "max": f"{STORY_MAX:,}"}
        await show(
            update,
            ctx,
            content.text(key, lang, **values),
            keyboard(
                [button(content.text("button.skip", lang), Callback("cskip", "story").data())]
            ),
        )
        return
    words = sensitive_mentions(check.text, content.letter.sensitive_words.all())
    if words:
        await _check_story(update, ctx, user, draft, check.text, words)
        return
    await ctx.services.storage.update_draft(user.user_id, story=check.text)
    await _after(update, ctx, draft, "sign_name")


def awaits_story(step: str | None) -> bool:
    """Whether typed text answers the story step (a new story also replaces one being checked)."""
    return step is not None and (step == TYPED_STEPS["story"] or step.startswith(STORY_CHECK))


async def _check_story(
    update: Update, ctx: Ctx, user: User, draft: Draft, story: str, words: list[str]
) -> None:
    """The gentle check: the story shown back, to keep or to write again; nothing stored but
    the id of the message that shows it."""
    content, lang = ctx.services.content, draft.language
    storage = ctx.services.storage
    text = content.text("guide.story_sensitive", lang, words=escape(", ".join(words)))
    shown = await show(
        update,
        ctx,
        f"{text}\n\n<blockquote>{escape(story)}</blockquote>",
        keyboard(
            [button(content.text("button.keep_story", lang), Callback("ckeep").data())],
            [button(content.text("button.edit_story", lang), Callback("cedit", "story").data())],
            _nav(content, lang),
        ),
    )
    if draft.step != "story":
        await storage.update_draft(user.user_id, step="story")
    await storage.set_step(
        user.user_id, f"{STORY_CHECK}{shown.message_id}" if shown else TYPED_STEPS["story"]
    )


async def keep_story(update: Update, ctx: Ctx) -> bool:
    """Keep the story the check on screen shows; False for any other message's button."""
    query = update.callback_query
    user = await current_user(update, ctx)
    storage = ctx.services.storage
    shown = query.message if query else None
    step = await storage.get_step(user.user_id)
    if shown is None or step != f"{STORY_CHECK}{shown.message_id}":
        return False  # an older check, or one left since: that story was discarded
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return True
    _, draft = found
    story = _quoted(shown) if isinstance(shown, Message) else None
    check = check_free_text(story or "", STORY_MAX, multiline=True)
    if check.text is None:
        # Telegram no longer shows the message's text (older than 48 hours): ask again.
        notice = ctx.services.content.text("guide.story_gone", draft.language)
        await go(update, ctx, "story", notice)
        return True
    await storage.update_draft(user.user_id, story=check.text)
    await _after(update, ctx, draft, "sign_name")
    return True


def _quoted(message: Message) -> str | None:
    """The text of the message's last quotation: the story a check shows."""
    quotes = [entity for entity in message.entities if entity.type in QUOTES]
    return message.parse_entity(quotes[-1]) if quotes else None


async def skip(update: Update, ctx: Ctx, what: str) -> bool:
    """Skip the story, the signature name or the place."""
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return True
    _, draft = found
    if what == "story":
        await ctx.services.storage.update_draft(draft.user_id, story=None)
        await _after(update, ctx, draft, "sign_name")
    elif what == "name":
        await ctx.services.storage.update_draft(draft.user_id, sign_name=None)
        await go(update, ctx, "sign_place")
    elif what == "place":
        await ctx.services.storage.update_draft(draft.user_id, sign_place=None)
        await go(update, ctx, "preview", editing=0)
    else:
        return False
    return True


async def signature_typed(update: Update, ctx: Ctx, text: str, part: str) -> None:
    """Store the name or the place to sign with, or explain why it cannot be used."""
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return
    _, draft = found
    content, lang = ctx.services.content, draft.language
    check = check_free_text(text, NAME_MAX)
    if check.text is None:
        key = f"guide.sign_{check.problem}"
        skip_to = "name" if part == "sign_name" else "place"
        await show(
            update,
            ctx,
            content.text(key, lang, length=f"{check.length:,}", max=str(NAME_MAX)),
            keyboard(
                [button(content.text("button.skip", lang), Callback("cskip", skip_to).data())]
            ),
        )
        return
    if part == "sign_name":
        await go(update, ctx, "sign_place", sign_name=check.text)
    else:
        await go(update, ctx, "preview", sign_place=check.text, editing=0)


async def edit(update: Update, ctx: Ctx, part: str) -> bool:
    """From the preview (or the story check), change one part, then come back."""
    steps = {"role": "role", "reasons": "reasons", "story": "story", "sign": "sign_name"}
    if part not in steps:
        return False
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return True
    if found[1].step == steps[part]:
        await go(update, ctx, steps[part])  # writing the story again from its check
    else:
        await go(update, ctx, steps[part], editing=1)
    return True


async def back(update: Update, ctx: Ctx) -> None:
    """One step back."""
    found = await _draft_or_entry(update, ctx)
    if found is not None:
        await go(update, ctx, BACK.get(found[1].step, "intro"), editing=0)


async def another_wording(update: Update, ctx: Ctx) -> None:
    """The same choices in other words: a new seed."""
    await go(update, ctx, "preview", seed=secrets.randbelow(2**31))


async def without_county(update: Update, ctx: Ctx) -> None:
    """Take the county sentence out of the letter (and the county out of the draft)."""
    await go(update, ctx, "preview", local_state=None, local_county=None)


async def to_safety(update: Update, ctx: Ctx) -> None:
    await go(update, ctx, "safety")


async def to_send(update: Update, ctx: Ctx) -> None:
    await go(update, ctx, "send")


async def printable(update: Update, ctx: Ctx) -> None:
    """The ready-to-print postal letter, as a new message."""
    found = await _draft_or_entry(update, ctx)
    if found is None:
        return
    _, draft = found
    content = ctx.services.content
    text = postal_letter(content.letter, letter_for(content, draft), draft.language, _today())
    chat = update.effective_chat
    if chat is not None:
        for message in split_letter("", text, _pre):
            await ctx.bot.send_message(chat.id, message)


async def outcome(update: Update, ctx: Ctx, result: str) -> bool:
    """Record "I sent it", "I couldn't" or "Remind me later"; a draft counts as sent once."""
    if result not in ("sent", "couldnt", "later"):
        return False
    user = await current_user(update, ctx)
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    draft = await storage.get_draft(user.user_id)
    if draft is None or draft.step != "send" or "previewed" not in draft.reached:
        # The outcome buttons follow the letter, after its preview: from anywhere else the
        # press is stale or forged, and counting it would show more "sent" than "previewed".
        return False
    t = content.text
    menu = button(t("button.menu", lang), Callback("menu").data())
    if result == "sent":
        if draft.completed_at is None:
            await storage.finish_draft(user.user_id, "sent")
            if await storage.reach(user.user_id, "sent", lang, user.source):
                await storage.count_event("comment_sent", lang, user.source)
        await storage.cancel_reminder(user.user_id)
        await _thank(update, ctx, user)
        return True
    if draft.completed_at is not None:
        await entry(update, ctx)  # already sent: nothing to remind or regret
        return True
    if result == "couldnt":
        await storage.finish_draft(user.user_id, "couldnt")
        await storage.reach(user.user_id, "couldnt", lang, user.source)
        await storage.cancel_reminder(user.user_id)
        await show(update, ctx, t("guide.couldnt", lang), keyboard([menu]))
        return True
    hours = content.letter.reminder_hours
    await storage.finish_draft(user.user_id, "later")
    await storage.schedule_reminder(user.user_id, storage.now() + hours * 3600)
    await show(update, ctx, t("guide.later", lang, hours=str(hours)), keyboard([menu]))
    return True


async def _thank(update: Update, ctx: Ctx, user: User) -> None:
    """Thanks, sharing, and the pledge and updates if not given yet."""
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    t = content.text
    parts = [t("guide.sent", lang)]
    rows = [
        [
            InlineKeyboardButton(
                t("button.share", lang), url=share_bot_url(content, lang, bot_link(ctx))
            )
        ]
    ]
    if await storage.get_pledge(user.user_id) is None:
        parts.append(t("guide.sent_pledge", lang))
        rows.append([button(t("button.pledge", lang), Callback("pledge").data())])
    if not await storage.is_subscribed(user.user_id):
        parts.append(t("guide.sent_updates", lang))
        rows.append([button(t("button.subscribe", lang), Callback("sub").data())])
    rows.append([button(t("button.menu", lang), Callback("menu").data())])
    await show(update, ctx, "\n\n".join(parts), keyboard(*rows))


async def leave(update: Update, ctx: Ctx) -> None:
    """Leave the guide; the draft stays for /comment."""
    user = await current_user(update, ctx)
    content, lang = ctx.services.content, user.language
    await show(
        update,
        ctx,
        content.text("guide.left", lang),
        keyboard([button(content.text("button.menu", lang), Callback("menu").data())]),
    )


async def discard(update: Update, ctx: Ctx) -> None:
    """Delete the draft (and any reminder)."""
    user = await current_user(update, ctx)
    storage, content, lang = ctx.services.storage, ctx.services.content, user.language
    await storage.delete_draft(user.user_id)
    await storage.cancel_reminder(user.user_id)
    await show(
        update,
        ctx,
        content.text("guide.discarded", lang),
        keyboard([button(content.text("button.menu", lang), Callback("menu").data())]),
    )
