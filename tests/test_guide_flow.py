"""The comment guide's flow as plain data (``bot/flows/guide.py``): steps, transitions, what
each screen says and offers — no Telegram, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.callbacks import MAX_CALLBACK_BYTES, Press
from bot.content import Content, load_content
from bot.content.ui_keys import UI_KEYS
from bot.flows import guide
from bot.flows.guide import ENTRY, Check, Move
from bot.letters import STORY_MAX
from bot.mydata import STEPS as LABELLED_IN_MYDATA
from bot.render import check_rendered
from bot.screens import Button, Screen, say, says
from bot.storage import Draft
from tests.harness import CONTENT_DIR

TODAY = date(2026, 3, 1)
BASE = Draft(
    user_id=1,
    step="intro",
    language="en",
    seed=7,
    role=None,
    reasons=(),
    story=None,
    sign_name=None,
    sign_place=None,
    editing=False,
    reached=frozenset({"started"}),
    started_at=0,
    updated_at=0,
    completed_at=None,
    outcome=None,
)


@pytest.fixture(scope="module")
def mail_content() -> Content:
    """The shipped content with a recipient e-mail address, so every send channel shows."""
    return load_content(
        CONTENT_DIR, recipient_email="comments@example.org", render_check=check_rendered
    )


def draft(step: str = "intro", **changes: object) -> Draft:
    return replace(BASE, step=step, **changes)  # type: ignore[arg-type]


def complete(content: Content, step: str, **changes: object) -> Draft:
    """A draft at ``step`` with every part of the letter chosen."""
    role = next(iter(content.letter.roles))
    reasons = tuple(list(content.letter.talking_points)[:2])
    return draft(step, role=role, reasons=reasons, story="We live here.", **changes)


def presses(screen: Screen) -> list[Press]:
    return [b.press for row in screen.rows for b in row if b.press is not None]


def actions(screen: Screen) -> list[str]:
    return [p.data() for p in presses(screen)]


def test_the_steps_in_order() -> None:
    """Nine steps; five numbered; three await typed text, each with its conversation step."""
    assert [s.name for s in guide.STEPS] == [
        "intro",
        "role",
        "reasons",
        "story",
        "sign_name",
        "sign_place",
        "preview",
        "safety",
        "send",
    ]
    assert guide.NUMBERED == ("role", "reasons", "story", "sign_name", "sign_place")
    assert guide.TYPED == {
        "comment_story": "story",
        "comment_name": "sign_name",
        "comment_place": "sign_place",
    }
    assert guide.EDITS == {
        "role": "role",
        "reasons": "reasons",
        "story": "story",
        "sign": "sign_name",
    }


@pytest.mark.parametrize("step", ["role", "reasons", "story", "sign_name", "sign_place"])
def test_numbered_steps_say_step_n_of_5(content: Content, step: str) -> None:
    """Each numbered step's text says which of the five it is, with Back and Leave below."""
    (screen,) = guide.screens(content, complete(content, step), TODAY)
    text = screen.texts[0]
    assert not isinstance(text, str)
    assert text.key == f"guide.{step}"
    assert text.values["step"] == str(guide.NUMBERED.index(step) + 1)
    assert text.values["total"] == "5"
    assert actions(screen)[-2:] == ["guide1:back", "guide1:leave"]


def test_steps_and_funnel_events_are_named_for_people(content: Content) -> None:
    """Every step and every funnel event the flow counts has its label in /mydata (a new step
    without one fails here); the flow's events are the funnel's, in its order."""
    role = next(iter(content.letter.roles))
    reasons = draft("reasons", reasons=(next(iter(content.letter.talking_points)),))
    counted = [
        guide.choose_role(content, draft("role"), role),
        guide.reasons_done(reasons),
    ]
    events = [m.reached for m in counted if isinstance(m, Move)]
    events += [s.reaches for s in guide.STEPS if s.reaches]
    assert set(events) <= set(guide.FUNNEL) and len(events) == 4
    for name in (*(s.name for s in guide.STEPS), *guide.FUNNEL):
        assert name in LABELLED_IN_MYDATA and f"mydata.step.{name}" in UI_KEYS, name


def test_intro_has_no_back(content: Content) -> None:
    """The introduction offers Start and Leave, nothing to go back to."""
    (screen,) = guide.screens(content, draft(), TODAY)
    assert actions(screen) == ["guide1:start", "guide1:leave"]


def test_role_screen_ticks_the_chosen_role(content: Content) -> None:
    """One button per role, in content order; the chosen one ticked."""
    roles = list(content.letter.roles.values())
    (screen,) = guide.screens(content, draft("role", role=roles[1].id), TODAY)
    labels = [row[0].label for row in screen.rows[:-1]]
    assert labels == [("✅ " if r is roles[1] else "") + r.label.en for r in roles]
    assert actions(screen)[: len(roles)] == [f"guide1:role:{r.id}" for r in roles]


@pytest.mark.parametrize("chosen", [0, 1, 3])
def test_next_is_offered_only_with_one_to_three_reasons(content: Content, chosen: int) -> None:
    """*Next* appears with one to three reasons, not with none."""
    reasons = tuple(list(content.letter.talking_points)[:chosen])
    (screen,) = guide.screens(content, draft("reasons", reasons=reasons), TODAY)
    assert ("guide1:next" in actions(screen)) == (chosen > 0)


def test_a_fourth_reason_is_refused_with_a_notice(content: Content) -> None:
    """Three reasons chosen: a fourth changes nothing but says why; a chosen one is removed."""
    ids = list(content.letter.talking_points)
    three = draft("reasons", reasons=tuple(ids[:3]))
    assert guide.toggle_reason(content, three, ids[3]) == Move(
        "reasons", {"reasons": tuple(ids[:3])}, say("guide.reasons_limit")
    )
    assert guide.toggle_reason(content, three, ids[1]) == Move(
        "reasons", {"reasons": (ids[0], ids[2])}
    )


def test_forward_through_the_steps(content: Content) -> None:
    """Each answer moves on to the next step and counts its funnel event."""
    role = next(iter(content.letter.roles))
    assert guide.begin(draft()) == Move("role")
    assert guide.choose_role(content, draft("role"), role) == Move(
        "reasons", {"role": role}, reached="role"
    )
    reasons = draft("reasons", reasons=(next(iter(content.letter.talking_points)),))
    assert guide.reasons_done(reasons) == Move("story", reached="reasons")
    assert guide.reasons_done(draft("reasons")) == Move("reasons")  # none chosen: stay
    assert guide.answer(content, draft("story"), "comment_story", "Hi") == Move(
        "sign_name", {"story": "Hi"}
    )
    assert guide.answer(content, draft("sign_name"), "comment_name", " Ana ") == Move(
        "sign_place", {"sign_name": "Ana"}
    )
    assert guide.answer(content, draft("sign_place"), "comment_place", "Austin") == Move(
        "preview", {"sign_place": "Austin", "editing": 0}
    )
    assert guide.to_safety(draft("preview")) == Move("safety")
    assert guide.to_send(draft("safety")) == Move("send")


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("story", Move("sign_name", {"story": None})),
        ("name", Move("sign_place", {"sign_name": None})),
        ("place", Move("preview", {"sign_place": None, "editing": 0})),
    ],
)
def test_skipping_an_optional_step(what: str, expected: Move) -> None:
    """*Skip* clears the part and moves on; its press keeps the typed step it answers."""
    assert guide.skip(draft(), what) == expected
    assert guide.SKIP.keeps_step and guide.KEEP.keeps_step
    assert guide.skip(draft(), "role") is None


@pytest.mark.parametrize(
    ("part", "target"), [("role", "role"), ("reasons", "reasons"), ("story", "story")]
)
def test_a_change_from_the_preview_comes_back_to_it(
    content: Content, part: str, target: str
) -> None:
    """*Change* goes to the part's step, marked as editing; once done, back to the preview."""
    preview = complete(content, "preview")
    assert guide.edit(preview, part) == Move(target, {"editing": 1})
    editing = replace(preview, step=target, editing=True)
    role = next(iter(content.letter.roles))
    done = {
        "role": guide.choose_role(content, editing, role),
        "reasons": guide.reasons_done(editing),
        "story": guide.skip(editing, "story"),
    }[part]
    assert isinstance(done, Move) and done.step == "preview" and done.changes["editing"] == 0


def test_changing_the_signature_asks_name_then_place(content: Content) -> None:
    """The signature is two steps: editing the name goes on to the place, then the preview."""
    preview = complete(content, "preview")
    assert guide.edit(preview, "sign") == Move("sign_name", {"editing": 1})
    name = replace(preview, step="sign_name", editing=True)
    assert guide.skip(name, "name") == Move("sign_place", {"sign_name": None})


def test_writing_the_story_again_from_its_check(content: Content) -> None:
    """*My words* on the check (the draft already at the story) is not an edit from the
    preview: afterwards the guide goes on to the signature."""
    assert guide.edit(draft("story"), "story") == Move("story")


@pytest.mark.parametrize(
    ("step", "previous"),
    [
        ("intro", "intro"),
        ("role", "intro"),
        ("reasons", "role"),
        ("story", "reasons"),
        ("sign_name", "story"),
        ("sign_place", "sign_name"),
        ("preview", "sign_place"),
        ("safety", "preview"),
        ("send", "safety"),
        ("no-such-step", "intro"),
    ],
)
def test_back_goes_one_step_back(step: str, previous: str) -> None:
    """*Back* goes to the step before and ends any change from the preview."""
    assert guide.back(draft(step, editing=True)) == Move(previous, {"editing": 0})


def test_without_an_open_draft_presses_open_the_entry(content: Content) -> None:
    """No draft, or a sent one: a press opens the guide's entry — but a press the bot could
    not have made (an unknown role, reason or part) is stale first."""
    sent = complete(content, "send", completed_at=5)
    role = next(iter(content.letter.roles))
    reason = next(iter(content.letter.talking_points))
    for missing in (None, sent):
        assert guide.begin(missing) is ENTRY
        assert guide.choose_role(content, missing, role) is ENTRY
        assert guide.toggle_reason(content, missing, reason) is ENTRY
        assert guide.back(missing) is ENTRY
        assert guide.edit(missing, "story") is ENTRY
        assert guide.choose_role(content, missing, "no-such-role") is None
        assert guide.toggle_reason(content, missing, "no-such-reason") is None
        assert guide.edit(missing, "nothing") is None


def test_a_story_too_long_is_refused_with_its_length(content: Content) -> None:
    """Over 1,000 characters: the reason, with the length and the limit, and *Skip*."""
    refused = guide.story_typed(content, draft("story"), "a" * (STORY_MAX + 1))
    assert isinstance(refused, Screen)
    assert refused.texts == (say("guide.story_too_long", length="1,001", max="1,000"),)
    assert actions(refused) == ["guide1:skip:story"]


def test_a_story_naming_status_gets_the_gentle_check(content: Content) -> None:
    """A sensitive story is shown back, escaped, to keep or to write again; nothing moves."""
    checked = guide.story_typed(content, draft("story"), "I am <undocumented> & afraid")
    assert isinstance(checked, Check)
    (text,) = checked.screen.texts
    assert isinstance(text, str)
    assert "<blockquote>I am &lt;undocumented&gt; &amp; afraid</blockquote>" in text
    assert actions(checked.screen)[:2] == ["guide1:keep", "guide1:edit:story"]
    assert guide.check_step(42) == "comment_story:42" and guide.awaits_text("comment_story:42")
    assert guide.keep_story(draft("story"), "I am undocumented") == Move(
        "sign_name", {"story": "I am undocumented"}
    )
    assert guide.keep_story(draft("story"), None) == Move("story", notice=say("guide.story_gone"))


def test_the_preview_reaches_previewed_and_offers_every_change(mail_content: Content) -> None:
    """The preview counts "previewed"; it offers each change, other wording, continue, and
    the county sentence's removal only when the draft names a county."""
    assert guide.STEP["preview"].reaches == "previewed"
    (screen,) = guide.screens(mail_content, complete(mail_content, "preview"), TODAY)
    assert actions(screen) == [
        "guide1:edit:role",
        "guide1:edit:reasons",
        "guide1:edit:story",
        "guide1:edit:sign",
        "guide1:wording",
        "guide1:continue",
        "guide1:discard",
        "guide1:leave",
    ]
    assert "We live here." in str(screen.texts)
    local = complete(mail_content, "preview", local_state="TX", local_county="Harris County")
    (screen,) = guide.screens(mail_content, local, TODAY)
    assert "guide1:no-county" in actions(screen)


def test_the_send_step_is_the_letter_then_how_to_send(mail_content: Content) -> None:
    """Two screens: the letter to copy, then — in a new message — the e-mail links, the copy
    buttons, the printable letter, and the three outcomes; it counts "send_shown"."""
    assert guide.STEP["send"].reaches == "send_shown"
    sending = complete(mail_content, "send")
    letter, how = guide.screens(mail_content, sending, TODAY)
    assert not letter.rows and not letter.fresh
    assert "<pre>" in str(letter.texts[0])
    assert how.fresh
    buttons = [b for row in how.rows for b in row]
    assert [b.label for b in buttons if b.url] == [say("button.gmail"), say("button.outlook")]
    subject = guide.letter_for(mail_content, sending).subject
    assert [b.copy for b in buttons if b.copy] == ["comments@example.org", subject]
    assert actions(how) == [
        "guide1:postal",
        "guide1:outcome:sent",
        "guide1:outcome:couldnt",
        "guide1:outcome:later",
    ]


def test_the_send_step_by_post_prints_the_date(content: Content) -> None:
    """Without an e-mail address the letter is the printable postal one, dated today."""
    letter, how = guide.screens(content, complete(content, "send"), TODAY)
    assert "March 1, 2026" in str(letter.texts)
    assert actions(how) == [
        "guide1:outcome:sent",
        "guide1:outcome:couldnt",
        "guide1:outcome:later",
    ]


def test_a_notice_goes_above_the_first_screen(content: Content) -> None:
    """A notice (the resume note, the reasons limit) sits on the first screen only."""
    shown = guide.screens(content, complete(content, "send"), TODAY, notice=say("guide.resume"))
    assert shown[0].notice == say("guide.resume") and shown[1].notice is None


def test_the_outcome_counts_only_after_the_preview(content: Content) -> None:
    """The outcome buttons count on the send screen of a previewed draft only."""
    previewed = frozenset({"started", "previewed"})
    assert guide.may_record_outcome(draft("send", reached=previewed))
    assert not guide.may_record_outcome(draft("send"))
    assert not guide.may_record_outcome(draft("safety", reached=previewed))
    assert not guide.may_record_outcome(None)
    assert guide.may_start_new(draft("send", completed_at=1))
    assert not guide.may_start_new(draft("send")) and not guide.may_start_new(None)


def test_thanks_offers_what_was_not_given_yet(content: Content) -> None:
    """After "I sent it": share, then the pledge and updates only if not given, then menu."""
    link = "https://t.me/outreach_test_bot?start=share"
    neither = guide.thanks(content, "en", link, pledged=False, subscribed=False)
    assert actions(neither) == ["pledge1:show", "updates1:subscribe", "menu1:main"]
    both = guide.thanks(content, "en", link, pledged=True, subscribed=True)
    assert actions(both) == ["menu1:main"]
    assert both.rows[0][0].url is not None and "outreach_test_bot" in both.rows[0][0].url


def every_screen(content: Content) -> list[Screen]:
    link = "https://t.me/outreach_test_bot?start=share"
    shown: list[Screen] = []
    for step in guide.STEPS:
        for lang in ("en", "es"):
            shown += guide.screens(content, complete(content, step.name, language=lang), TODAY)
    sensitive = guide.story_typed(content, draft("story"), "Tengo DACA")
    assert isinstance(sensitive, Check)
    shown += [
        sensitive.screen,
        guide.printable(content, complete(content, "send"), TODAY),
        guide.finished_before("en"),
        guide.left("en"),
        guide.discarded("en"),
        guide.couldnt("en"),
        guide.later("en", 24),
        guide.reminder("es"),
        guide.thanks(content, "en", link, pledged=False, subscribed=False),
    ]
    for text in ("", "a" * 2000, "\u202e"):
        for outcome in (
            guide.story_typed(content, draft("story"), text),
            guide.answer(content, draft("sign_name"), "comment_name", text),
        ):
            assert isinstance(outcome, Screen)
            shown.append(outcome)
    return shown


def test_every_string_is_in_content_with_its_values(mail_content: Content) -> None:
    """Every content string a guide screen uses exists, and gets every value it may show."""
    for screen in every_screen(mail_content):
        for text in says(screen):
            assert text.key in UI_KEYS, text.key
            assert UI_KEYS[text.key] <= set(text.values), text


def test_every_button_does_one_thing_and_fits(mail_content: Content) -> None:
    """Every press's data is recognised by its own action's pattern and fits 64 bytes; links
    are https."""
    for screen in every_screen(mail_content):
        for button in (b for row in screen.rows for b in row):
            assert isinstance(button, Button)
            if button.press is not None:
                data = button.press.data()
                assert button.press.action.pattern.match(data), data
                assert len(data.encode()) <= MAX_CALLBACK_BYTES
            if button.url is not None:
                assert button.url.startswith("https://"), button.url
