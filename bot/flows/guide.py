"""The comment guide's flow: its steps, how a draft moves between them, and what each screen
says and offers — plain data, no Telegram.

The steps, in order (:data:`STEPS`)::

    intro → role → reasons → story → sign_name → sign_place → preview → safety → send

- *Back* goes to the step before; *Leave* keeps the draft for ``/comment``, which resumes it.
- The five numbered steps ("Step n of 5") each ask for one part of the letter; the preview can
  change any part (``edit``), and the guide comes back to the preview once that part is done.
- ``story``, ``sign_name`` and ``sign_place`` await typed text: showing them sets the stored
  conversation step (:attr:`Step.awaits`), and their *Skip* keeps it (``keeps_step``) — any
  other button or command ends it.
- The funnel: a draft counts ``started``, ``role``, ``reasons``, ``previewed`` (when the preview
  is shown), ``send_shown`` (when the letter to send is), then ``sent`` or ``couldnt``, each once.
  The outcome buttons count only on the send screen, after the preview.

Adding a step is one entry in :data:`STEPS` and its screen function. A press or a typed answer
is a function here that returns what happens: a :class:`Move` (the step the draft goes to and
the fields written with it), a :class:`~bot.screens.Screen` to show with nothing changed,
:data:`ENTRY` (there is no open draft: open the guide's entry), or None (a press the bot did not
make, or no longer offers: "this button is no longer active").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from html import escape

from bot.callbacks import Feature
from bot.content import Content
from bot.flows import menu, pledge
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
from bot.render import local_letter_sentence, share_bot_url, split_letter
from bot.screens import Button, Row, Screen, Text, say
from bot.storage import Draft

GUIDE = Feature("guide", 1)
OPEN = GUIDE.action("open")  # open the guide: resume the draft, or start one
NEW = GUIDE.action("new")  # a new letter, offered after a finished one
START = GUIDE.action("start")  # from the introduction to the first step
ROLE = GUIDE.action("role", argument=True)  # choose a role (role id)
REASON = GUIDE.action("reason", argument=True)  # toggle a reason (talking point id)
NEXT = GUIDE.action("next")  # reasons chosen: the next step
SKIP = GUIDE.action("skip", argument=True, keeps_step=True)  # story | name | place
KEEP = GUIDE.action("keep", keeps_step=True)  # keep a story that mentions sensitive words
EDIT = GUIDE.action("edit", argument=True)  # change a part: role | reasons | story | sign
BACK = GUIDE.action("back")  # the step before
WORDING = GUIDE.action("wording")  # another wording of the same letter
CONTINUE = GUIDE.action("continue")  # the preview is right: the safety note
UNDERSTOOD = GUIDE.action("understood")  # the safety note is read: how to send
POSTAL = GUIDE.action("postal")  # the printable postal letter
OUTCOME = GUIDE.action("outcome", argument=True)  # sent | couldnt | later
LEAVE = GUIDE.action("leave")  # leave the guide, keeping the draft
DISCARD = GUIDE.action("discard")  # delete the draft
NO_COUNTY = GUIDE.action("no-county")  # leave the county sentence out of the letter

MAX_REASONS = 3
OUTCOMES = ("sent", "couldnt", "later")
# The funnel, in order: each event a draft reaches is counted once, with no user id
# (``funnel:<event>``); /stats shows them in this order, /mydata names them.
FUNNEL = ("started", "role", "reasons", "previewed", "send_shown", "sent", "couldnt")
SKIPS = {"story": "story", "name": "sign_name", "place": "sign_place"}  # *Skip* → its field


@dataclass(frozen=True, slots=True)
class Move:
    """Where a press or a typed answer takes the draft: the step, the fields written with it,
    a notice above the step's screen, and the funnel event it reaches (counted once)."""

    step: str
    changes: Mapping[str, object] = field(default_factory=dict)
    notice: Text | None = None
    reached: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """There is no open draft: the press opens the guide's entry (resume, or start)."""


ENTRY = Entry()


@dataclass(frozen=True, slots=True)
class Check:
    """The gentle check of a story that mentions immigration status: the story shown back,
    to keep or to write again. Nothing of it is stored: the stored step names the message that
    shows it (:func:`check_step`)."""

    screen: Screen


Outcome = Move | Screen | Check | Entry | None


# -- the steps -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the guide.

    ``screens`` shows it (several screens: the letter to send, then how to send it);
    ``part`` is the part of the letter a numbered step asks for (the preview's *Change* buttons
    name it); ``awaits`` is the conversation step while it waits for typed text, and ``answer``
    what the text does; ``reaches`` is the funnel event counted when the step is shown.
    """

    name: str
    screens: Callable[[Content, Draft, date], tuple[Screen, ...]]
    part: str | None = None
    awaits: str | None = None
    answer: Callable[[Content, Draft | None, str], Outcome] | None = None
    reaches: str | None = None


def _one(
    screen: Callable[[Content, Draft], Screen],
) -> Callable[[Content, Draft, date], tuple[Screen, ...]]:
    def screens(content: Content, draft: Draft, today: date) -> tuple[Screen, ...]:
        return (screen(content, draft),)

    screens.__doc__ = screen.__doc__
    return screens


def _intro(content: Content, draft: Draft) -> Screen:
    """Who receives the letter, and why it matters."""
    lang = draft.language
    text = say(
        "guide.intro",
        office=escape(content.letter.office.get(lang)),
        why=escape(content.letter.why.get(lang)),
    )
    return Screen(lang, (text,), ((Button(say("button.start_guide"), START.press()),), _nav(False)))


def _role(content: Content, draft: Draft) -> Screen:
    """Who the sender is: one button per role, the chosen one ticked."""
    lang = draft.language
    rows = tuple(
        (
            Button(
                ("✅ " if role.id == draft.role else "") + role.label.get(lang), ROLE.press(role.id)
            ),
        )
        for role in content.letter.roles.values()
    )
    return Screen(lang, (say("guide.role", **_numbered("role")),), (*rows, _nav()))


def _reasons(content: Content, draft: Draft) -> Screen:
    """One to three reasons, toggled; *Next* only with one to three chosen."""
    lang = draft.language
    rows: list[Row] = []
    for point in content.letter.talking_points.values():
        mark = "✅ " if point.id in draft.reasons else "▫️ "
        rows.append((Button(mark + point.label.get(lang), REASON.press(point.id)),))
    if 1 <= len(draft.reasons) <= MAX_REASONS:
        rows.append((Button(say("button.next_step"), NEXT.press()),))
    text = say("guide.reasons", chosen=str(len(draft.reasons)), **_numbered("reasons"))
    return Screen(lang, (text,), (*rows, _nav()))


def _story(content: Content, draft: Draft) -> Screen:
    """The sender's own words, typed (optional)."""
    text = say("guide.story", max=f"{STORY_MAX:,}", **_numbered("story"))
    return Screen(draft.language, (text,), (_skip("story"), _nav()))


def _sign_name(content: Content, draft: Draft) -> Screen:
    """The name to sign with, typed (optional)."""
    text = say("guide.sign_name", max=str(NAME_MAX), **_numbered("sign_name"))
    return Screen(draft.language, (text,), (_skip("name"), _nav()))


def _sign_place(content: Content, draft: Draft) -> Screen:
    """Where the sender writes from, typed (optional)."""
    text = say("guide.sign_place", max=str(NAME_MAX), **_numbered("sign_place"))
    return Screen(draft.language, (text,), (_skip("place"), _nav()))


def _preview(content: Content, draft: Draft) -> Screen:
    """The letter as it stands (split if long), and every way to change it."""
    lang = draft.language
    letter = letter_for(content, draft)
    header = content.text("guide.preview", lang, subject=escape(letter.subject))
    texts = split_letter(header, letter.body, lambda body: body)
    county = ((Button(say("button.no_county_sentence"), NO_COUNTY.press()),),)
    return Screen(
        lang,
        tuple(texts),
        (
            (
                Button(say("button.edit_role"), EDIT.press("role")),
                Button(say("button.edit_reasons"), EDIT.press("reasons")),
            ),
            (
                Button(say("button.edit_story"), EDIT.press("story")),
                Button(say("button.edit_signature"), EDIT.press("sign")),
            ),
            (Button(say("button.another_wording"), WORDING.press()),),
            *(county if draft.local_county else ()),
            (Button(say("button.continue"), CONTINUE.press()),),
            (
                Button(say("button.discard"), DISCARD.press()),
                Button(say("button.leave"), LEAVE.press()),
            ),
        ),
    )


def _safety(content: Content, draft: Draft) -> Screen:
    """Writing to DHS identifies the sender to DHS."""
    return Screen(
        draft.language,
        (say("guide.safety"),),
        ((Button(say("button.understood"), UNDERSTOOD.press()),), _nav()),
    )


def _send(content: Content, draft: Draft, today: date) -> tuple[Screen, ...]:
    """The letter itself, ready to copy (or to print when there is no e-mail channel); then,
    in a new message, how to send it and the outcome buttons."""
    lang = draft.language
    letter = letter_for(content, draft)
    if content.letter.channels.email:
        header = content.text("guide.letter", lang, subject=escape(letter.subject))
        texts = split_letter(header, letter.body, _pre)
    else:
        texts = split_letter("", postal_letter(content.letter, letter, lang, today), _pre)
    return Screen(lang, tuple(texts)), _how_to_send(content, draft, letter)


def _how_to_send(content: Content, draft: Draft, letter: Letter) -> Screen:
    lang = draft.language
    channels = content.letter.channels
    t = content.text
    parts: list[str] = []
    rows: list[Row] = []
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
            (
                Button(say("button.gmail"), url=links.gmail),
                Button(say("button.outlook"), url=links.outlook),
            )
        )
        rows.append(
            (
                Button(say("button.copy_address"), copy=channels.email),
                Button(say("button.copy_subject"), copy=letter.subject),
            )
        )
    if channels.postal_address:
        address = "\n".join(escape(line) for line in channels.postal_address)
        note = escape(channels.postal_note.get(lang))
        parts.append(t("guide.send_postal", lang, address=address, note=note))
        if channels.email:
            rows.append((Button(say("button.postal"), POSTAL.press()),))
    if channels.webform_url:
        parts.append(t("guide.send_webform", lang))
        rows.append((Button(say("button.webform"), url=channels.webform_url),))
    parts.append(t("guide.outcome", lang))
    rows += [
        (Button(say("button.sent"), OUTCOME.press("sent")),),
        (Button(say("button.couldnt"), OUTCOME.press("couldnt")),),
        (Button(say("button.later"), OUTCOME.press("later")),),
    ]
    return Screen(lang, ("\n\n".join(parts),), tuple(rows), fresh=True)


# -- typed answers ---------------------------------------------------------------------------------


def story_typed(content: Content, draft: Draft | None, text: str) -> Outcome:
    """The sender's own words: stored unchanged and on; or why they cannot be used (the step
    stays open); or, when they mention immigration status, the gentle check."""
    if draft is None or not is_open(draft):
        return ENTRY
    lang = draft.language
    check = check_free_text(text, STORY_MAX, multiline=True)
    if check.text is None:
        problem = say(
            f"guide.story_{check.problem}", length=f"{check.length:,}", max=f"{STORY_MAX:,}"
        )
        return Screen(lang, (problem,), (_skip("story"),))
    words = sensitive_mentions(check.text, content.letter.sensitive_words.all())
    if words:
        note = content.text("guide.story_sensitive", lang, words=escape(", ".join(words)))
        shown = f"{note}\n\n<blockquote>{escape(check.text)}</blockquote>"
        keep = (Button(say("button.keep_story"), KEEP.press()),)
        again = (Button(say("button.edit_story"), EDIT.press("story")),)
        return Check(Screen(lang, (shown,), (keep, again, _nav())))
    return forward(draft, "story", story=check.text)


def sign_name_typed(content: Content, draft: Draft | None, text: str) -> Outcome:
    """The name to sign with: stored and on, or why it cannot be used (the step stays open)."""
    return _signature(draft, text, "sign_name")


def sign_place_typed(content: Content, draft: Draft | None, text: str) -> Outcome:
    """The place to sign with: stored and on, or why it cannot be used (the step stays open)."""
    return _signature(draft, text, "sign_place")


def _signature(draft: Draft | None, text: str, step: str) -> Outcome:
    if draft is None or not is_open(draft):
        return ENTRY
    check = check_free_text(text, NAME_MAX)
    if check.text is None:
        problem = say(f"guide.sign_{check.problem}", length=f"{check.length:,}", max=str(NAME_MAX))
        skip_what = "name" if step == "sign_name" else "place"
        return Screen(draft.language, (problem,), (_skip(skip_what),))
    return forward(draft, step, **{step: check.text})


STEPS: tuple[Step, ...] = (
    Step("intro", _one(_intro)),
    Step("role", _one(_role), part="role"),
    Step("reasons", _one(_reasons), part="reasons"),
    Step("story", _one(_story), part="story", awaits="comment_story", answer=story_typed),
    Step("sign_name", _one(_sign_name), part="sign", awaits="comment_name", answer=sign_name_typed),
    Step(
        "sign_place",
        _one(_sign_place),
        part="sign",
        awaits="comment_place",
        answer=sign_place_typed,
    ),
    Step("preview", _one(_preview), reaches="previewed"),
    Step("safety", _one(_safety)),
    Step("send", _send, reaches="send_shown"),
)
STEP = {step.name: step for step in STEPS}
NUMBERED = tuple(step.name for step in STEPS if step.part)
# The first step of each part the preview can change: where its *Change* button goes.
EDITS = {step.part: step.name for step in reversed(STEPS) if step.part}
# Conversation steps of the steps that await typed text.
TYPED = {step.awaits: step.name for step in STEPS if step.awaits}
STORY_STEP = STEP["story"].awaits or ""
STORY_CHECK = STORY_STEP + ":"  # + the id of the message that shows the story being checked


def awaits_text(step: str | None) -> bool:
    """Whether typed text answers the conversation step ``step`` (a guide step's)."""
    return step is not None and (step in TYPED or awaits_story(step))


def answer(content: Content, draft: Draft | None, awaited: str, text: str) -> Outcome:
    """Typed ``text`` for the step that awaits it (``awaited``: the conversation step)."""
    name = STEP["story"].name if awaits_story(awaited) else TYPED[awaited]
    answering = STEP[name].answer
    assert answering is not None
    return answering(content, draft, text)


def step_of(draft: Draft) -> Step:
    """The draft's step (the preview for a step this version does not know)."""
    return STEP.get(draft.step, STEP["preview"])


def screens(
    content: Content, draft: Draft, today: date, notice: Text | None = None
) -> tuple[Screen, ...]:
    """What the draft's step shows, with ``notice`` above it."""
    shown = step_of(draft).screens(content, draft, today)
    if notice is None:
        return shown
    first = shown[0]
    noticed = Screen(first.lang, first.texts, first.rows, notice, first.fresh)
    return (noticed, *shown[1:])


def previous(step: str) -> str:
    """The step *Back* goes to (the introduction from the first step, or an unknown one)."""
    names = [s.name for s in STEPS]
    return names[names.index(step) - 1] if step in names[1:] else names[0]


def _numbered(step: str) -> dict[str, str]:
    return {"step": str(NUMBERED.index(step) + 1), "total": str(len(NUMBERED))}


def _nav(back: bool = True) -> Row:
    leave = Button(say("button.leave"), LEAVE.press())
    return (Button(say("button.back"), BACK.press()), leave) if back else (leave,)


def _skip(what: str) -> Row:
    return (Button(say("button.skip"), SKIP.press(what)),)


def _pre(escaped: str) -> str:
    return f"<pre>{escaped}</pre>"


# -- the letter ------------------------------------------------------------------------------------


def choices(content: Content, draft: Draft) -> DraftChoices:
    """What the sender chose, as the letter composer takes it."""
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


def printable(content: Content, draft: Draft, today: date) -> Screen:
    """The ready-to-print postal letter, in new messages."""
    text = postal_letter(content.letter, letter_for(content, draft), draft.language, today)
    return Screen(draft.language, tuple(split_letter("", text, _pre)), fresh=True)


# -- moving between steps --------------------------------------------------------------------------


def is_open(draft: Draft | None) -> bool:
    """Whether the draft is one to continue (it exists and was not sent)."""
    return draft is not None and draft.completed_at is None


def forward(draft: Draft, after: str, reached: str | None = None, **changes: object) -> Move:
    """On from step ``after``: to the next step, or back to the preview when the sender came
    from there to change one part and that part is done."""
    names = [s.name for s in STEPS]
    following = names[names.index(after) + 1]
    if following == "preview" or (draft.editing and STEP[following].part != STEP[after].part):
        return Move("preview", {**changes, "editing": 0}, reached=reached)
    return Move(following, changes, reached=reached)


def begin(draft: Draft | None) -> Move | Entry:
    """From the introduction to the first step."""
    return Move("role") if is_open(draft) else ENTRY


def choose_role(content: Content, draft: Draft | None, role_id: str) -> Outcome:
    """Store the role; None for a role content no longer has."""
    if role_id not in content.letter.roles:
        return None
    if draft is None or not is_open(draft):
        return ENTRY
    return forward(draft, "role", reached="role", role=role_id)


def toggle_reason(content: Content, draft: Draft | None, reason_id: str) -> Outcome:
    """Add or remove a reason; a fourth is refused with a notice."""
    if reason_id not in content.letter.talking_points:
        return None
    if draft is None or not is_open(draft):
        return ENTRY
    reasons = list(draft.reasons)
    notice = None
    if reason_id in reasons:
        reasons.remove(reason_id)
    elif len(reasons) >= MAX_REASONS:
        notice = say("guide.reasons_limit")
    else:
        reasons.append(reason_id)
    return Move("reasons", {"reasons": tuple(reasons)}, notice)


def reasons_done(draft: Draft | None) -> Outcome:
    """On once one to three reasons are chosen (else the reasons again)."""
    if draft is None or not is_open(draft):
        return ENTRY
    if not 1 <= len(draft.reasons) <= MAX_REASONS:
        return Move("reasons")
    return forward(draft, "reasons", reached="reasons")


def check_step(message_id: int | None) -> str:
    """The conversation step while the check shown in ``message_id`` waits for a decision."""
    return STORY_STEP if message_id is None else f"{STORY_CHECK}{message_id}"


def awaits_story(step: str | None) -> bool:
    """Whether typed text answers the story step (a new story also replaces one being checked)."""
    return step is not None and (step == STORY_STEP or step.startswith(STORY_CHECK))


def keep_story(draft: Draft | None, story: str | None) -> Outcome:
    """Keep the story the check shows (``story``: its text as Telegram sent it back, None if
    Telegram no longer shows it — then the story is asked for again)."""
    if draft is None or not is_open(draft):
        return ENTRY
    check = check_free_text(story or "", STORY_MAX, multiline=True)
    if check.text is None:
        return Move("story", notice=say("guide.story_gone"))
    return forward(draft, "story", story=check.text)


def skip(draft: Draft | None, what: str) -> Outcome:
    """Skip the story, the name or the place to sign with."""
    if draft is None or not is_open(draft):
        return ENTRY
    if what not in SKIPS:
        return None
    return forward(draft, SKIPS[what], **{SKIPS[what]: None})


def edit(draft: Draft | None, part: str) -> Outcome:
    """From the preview (or the story check), change one part; then back to the preview."""
    if part not in EDITS:
        return None
    if draft is None or not is_open(draft):
        return ENTRY
    target = EDITS[part]
    if draft.step == target:
        return Move(target)  # writing the story again from its check
    return Move(target, {"editing": 1})


def back(draft: Draft | None) -> Outcome:
    """One step back."""
    if draft is None or not is_open(draft):
        return ENTRY
    return Move(previous(draft.step), {"editing": 0})


def another_wording(draft: Draft | None, seed: int) -> Outcome:
    """The same choices in other words: a new wording seed."""
    return Move("preview", {"seed": seed}) if is_open(draft) else ENTRY


def without_county(draft: Draft | None) -> Outcome:
    """The letter without the county sentence (and the draft without the county)."""
    if not is_open(draft):
        return ENTRY
    return Move("preview", {"local_state": None, "local_county": None})


def to_safety(draft: Draft | None) -> Outcome:
    """The preview is right: the safety note."""
    return Move("safety") if is_open(draft) else ENTRY


def to_send(draft: Draft | None) -> Outcome:
    """The safety note is read: the letter and how to send it."""
    return Move("send") if is_open(draft) else ENTRY


def may_record_outcome(draft: Draft | None) -> bool:
    """The outcome buttons follow the letter, after its preview: from anywhere else a press is
    stale or forged, and counting it would show more "sent" than "previewed"."""
    return draft is not None and draft.step == "send" and "previewed" in draft.reached


def may_start_new(draft: Draft | None) -> bool:
    """*Write a new letter* is offered once a letter is sent; anywhere else (a forged or stale
    press) it would restart a draft to count "sent" again."""
    return draft is not None and draft.completed_at is not None


# -- screens outside the steps ---------------------------------------------------------------------


def finished_before(lang: str) -> Screen:
    """``/comment`` after a sent letter: write a new one?"""
    return Screen(
        lang,
        (say("guide.finished_before"),),
        ((Button(say("button.new_comment"), NEW.press()),), (menu.menu_button(),)),
    )


def left(lang: str) -> Screen:
    return Screen(lang, (say("guide.left"),), ((menu.menu_button(),),))


def discarded(lang: str) -> Screen:
    return Screen(lang, (say("guide.discarded"),), ((menu.menu_button(),),))


def couldnt(lang: str) -> Screen:
    return Screen(lang, (say("guide.couldnt"),), ((menu.menu_button(),),))


def later(lang: str, hours: int) -> Screen:
    return Screen(lang, (say("guide.later", hours=str(hours)),), ((menu.menu_button(),),))


def thanks(content: Content, lang: str, link: str, pledged: bool, subscribed: bool) -> Screen:
    """Thanks, sharing, and the pledge and updates if not given yet."""
    parts = [content.text("guide.sent", lang)]
    rows: list[Row] = [(Button(say("button.share"), url=share_bot_url(content, lang, link)),)]
    if not pledged:
        parts.append(content.text("guide.sent_pledge", lang))
        rows.append((Button(say("button.pledge"), pledge.SHOW.press()),))
    if not subscribed:
        parts.append(content.text("guide.sent_updates", lang))
        rows.append((Button(say("button.subscribe"), menu.SUBSCRIBE.press()),))
    rows.append((menu.menu_button(),))
    return Screen(lang, ("\n\n".join(parts),), tuple(rows))


def reminder(lang: str) -> Screen:
    """The one reminder after "Remind me later"."""
    return Screen(
        lang,
        (say("guide.reminder"),),
        ((Button(say("button.continue_comment"), OPEN.press()),),),
        fresh=True,
    )
