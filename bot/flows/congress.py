"""Who represents me: a ZIP code's members of Congress, a call script, a letter, and outcomes.

Screens:

* the answer for a ZIP code (:func:`answer`): every House district the ZIP code lies in with its
  member (saying so when it is split), the state's two senators (or, for DC and the territories,
  that there are none), each with the Washington phone, the nearest district office's phone and
  a link to write; the data's date, and a warning once a new Congress has taken office;
* a member (:func:`member`): the call script with the member's name, the supporter's city and
  the ask filled in, the phones as text and as buttons that copy them, where to write, and the
  outcome buttons (*I called*, *I wrote*, *No answer*), counted per member with no user id;
* a letter to the member (:func:`letter`): the comment guide's letter re-addressed, with the
  supporter's own words, or a short letter from content when there is no draft.

The ZIP code is never stored: it travels in the buttons' data, as Where I live's does.
"""

from __future__ import annotations

from html import escape

from bot.callbacks import Feature
from bot.congress import Contact, Member, Representation
from bot.congress.model import AT_LARGE, DELEGATE_STATES
from bot.content import Content
from bot.content.ui_keys import CONGRESS_OUTCOMES
from bot.flows import guide
from bot.flows.menu import menu_button
from bot.letters import DraftChoices, letter_parts
from bot.render import format_date, split_letter
from bot.screens import Button, Row, Screen, Text, say

CONGRESS = Feature("congress", 1)
ASK = CONGRESS.action("ask")  # ask for a ZIP code
ZIP = CONGRESS.action("zip", argument=True)  # the answer for a ZIP code ("77002")
MEMBER = CONGRESS.action("member", argument=True)  # a member's screen ("77002-c001056")
WRITE = CONGRESS.action("write", argument=True)  # a letter to a member ("77002-c001056")
OUTCOME = CONGRESS.action("outcome", argument=True)  # "called-77002-c001056"

STEP_ZIP = "congress_zip"  # waiting for a ZIP code
OUTCOMES = CONGRESS_OUTCOMES


def member_argument(zip_code: str, member: Member) -> str:
    """A member seen from a ZIP code, inside a button's data: "77002-c001056"."""
    return f"{zip_code}-{member.id.lower()}"


def parse_member_argument(arg: str) -> tuple[str, str] | None:
    """(ZIP code, Bioguide id) of :func:`member_argument`; None for anything else."""
    zip_code, dash, member_id = arg.partition("-")
    if not dash or len(zip_code) != 5 or not zip_code.isdigit() or not member_id:
        return None
    return zip_code, member_id.upper()


def outcome_argument(outcome: str, zip_code: str, member: Member) -> str:
    return f"{outcome}-{member_argument(zip_code, member)}"


def parse_outcome_argument(arg: str) -> tuple[str, str, str] | None:
    """(outcome, ZIP code, Bioguide id); None for an outcome the bot does not count."""
    outcome, _, rest = arg.partition("-")
    found = parse_member_argument(rest)
    if outcome not in OUTCOMES or found is None:
        return None
    return outcome, *found


def contacts(rep: Representation) -> list[Contact]:
    """The ZIP code's members in the order the answer lists them: House, then Senate."""
    house = [seat.contact for seat in rep.house if seat.contact is not None]
    return [*house, *rep.senators]


def find_contact(rep: Representation, member_id: str) -> Contact | None:
    """The contact of one of the ZIP code's members; None for any other id."""
    return next((c for c in contacts(rep) if c.member.id == member_id), None)


# -- texts --------------------------------------------------------------------------------------


def _state_name(content: Content, code: str, lang: str) -> str:
    state = content.states.get(code)
    return state.name.get(lang) if state is not None else code


def seat_label(content: Content, member: Member, lang: str) -> str:
    """ "FL-14", "Alaska, at large", "Florida" (a senator's, a delegate's)."""
    state = _state_name(content, member.state, lang)
    if member.district is None or member.state in DELEGATE_STATES:
        return state
    if member.district == AT_LARGE:
        return content.text("congress.at_large", lang, state=state)
    return f"{member.state}-{member.district}"


def _title(content: Content, member: Member, lang: str) -> str:
    return content.text(f"congress.title_{member.role}", lang)


def member_line(content: Content, member: Member, lang: str) -> str:
    """ "Representative <b>Kathy Castor</b> (FL-14)", escaped."""
    return content.text(
        f"congress.member_{member.role}",
        lang,
        name=escape(member.name),
        seat=escape(seat_label(content, member, lang)),
    )


def _contact_lines(content: Content, contact: Contact, lang: str) -> list[str]:
    t, member = content.text, contact.member
    lines = [member_line(content, member, lang)]
    if member.phone:
        lines.append(t("congress.phone_dc", lang, phone=member.phone))
    if contact.office is not None:
        city = escape(contact.office.city)
        lines.append(t("congress.phone_office", lang, city=city, phone=contact.office.phone))
    if not member.phone and contact.office is None:
        lines.append(t("congress.no_phone", lang))
    if contact.write_url:
        lines.append(t("congress.write_link", lang, url=escape(contact.write_url)))
    if contact.term_ended:
        lines.append(t("congress.term_ended", lang, date=format_date(member.term_end, lang)))
    return lines


def freshness(content: Content, rep: Representation, lang: str) -> str:
    """The data's date, and the warning once a new Congress has taken office."""
    from bot.congress.model import congress_end

    text = content.text("congress.as_of", lang, date=format_date(rep.as_of, lang))
    if rep.outdated:
        ends = congress_end(rep.congress).isoformat()
        text += "\n" + content.text("congress.outdated", lang, date=format_date(ends, lang))
    return text


def _place(content: Content, rep: Representation, lang: str) -> str:
    if rep.city:
        return f"{escape(rep.city)}, {' / '.join(rep.states)}"
    return " / ".join(_state_name(content, s, lang) for s in rep.states)


# -- screens ------------------------------------------------------------------------------------


def ask(lang: str) -> Screen:
    """Ask for a ZIP code."""
    return Screen(lang, (say("congress.ask"),), ((menu_button(),),))


def not_zip(lang: str) -> Screen:
    """Typed text that is not a ZIP code: ask again."""
    return Screen(lang, (say("congress.not_zip"),), ((menu_button(),),))


def unknown_zip(lang: str, zip_code: str) -> Screen:
    """A well-formed ZIP code neither the district table nor the place data knows."""
    return Screen(
        lang,
        (say("congress.unknown_zip", zip=escape(zip_code)),),
        ((Button(say("button.congress_again"), press=ASK.press()),), (menu_button(),)),
    )


def unavailable(lang: str) -> Screen:
    """The Congress data cannot be read (a broken import): say so plainly."""
    return Screen(lang, (say("congress.unavailable"),), ((menu_button(),),))


def answer(content: Content, rep: Representation, lang: str) -> Screen:
    """The members of Congress for one ZIP code, on one screen, and a button for each."""
    t = content.text
    blocks = [t("congress.header", lang, zip=rep.zip, place=_place(content, rep, lang))]
    if rep.split:
        districts = ", ".join(str(seat.district) for seat in rep.house)
        blocks.append(t("congress.split", lang, districts=districts))
    if not rep.district_known:
        blocks.append(t("congress.district_unknown", lang))
    for seat in rep.house:
        if seat.contact is None:
            blocks.append(t("congress.vacant", lang, district=str(seat.district)))
        else:
            blocks.append("\n".join(_contact_lines(content, seat.contact, lang)))
    if not rep.has_senators:
        places = ", ".join(_state_name(content, s, lang) for s in rep.states)
        blocks.append(t("congress.no_senators", lang, place=escape(places)))
    for contact in rep.senators:
        blocks.append("\n".join(_contact_lines(content, contact, lang)))
    blocks.append(t("congress.pick", lang))
    blocks.append(freshness(content, rep, lang))
    rows: list[Row] = [
        (
            Button(
                say("button.congress_member", name=c.member.name),
                press=MEMBER.press(member_argument(rep.zip, c.member)),
            ),
        )
        for c in contacts(rep)
    ]
    rows.append((Button(say("button.congress_again"), press=ASK.press()),))
    rows.append((menu_button(),))
    return Screen(lang, ("\n\n".join(blocks),), tuple(rows))


def script(content: Content, rep: Representation, member: Member, lang: str) -> str:
    """The call script, plain text: the member's name, the supporter's city and the ask."""
    values = {
        "title": _title(content, member, lang),
        "name": member.name,
        "ask": content.text("congress.the_ask", lang),
    }
    if rep.city:
        return content.text("congress.script", lang, city=rep.city, **values)
    return content.text("congress.script_no_city", lang, **values)


def member(
    content: Content, rep: Representation, contact: Contact, lang: str, notice: Text | None = None
) -> Screen:
    """One member: the call script, phones (text and copy buttons), where to write, outcomes."""
    m = contact.member
    blocks = [
        "\n".join(_contact_lines(content, contact, lang)),
        content.text("congress.what_to_say", lang)
        + "\n<i>"
        + escape(script(content, rep, m, lang), quote=False)
        + "</i>",
        content.text("congress.outcome_ask", lang),
        freshness(content, rep, lang),
    ]
    rows: list[Row] = []
    if m.phone:
        rows.append((Button(say("button.congress_copy_dc"), copy=m.phone),))
    if contact.office is not None:
        label = say("button.congress_copy_office", city=contact.office.city)
        rows.append((Button(label, copy=contact.office.phone),))
    if contact.write_url:
        rows.append((Button(say("button.congress_write_online"), url=contact.write_url),))
    arg = member_argument(rep.zip, m)
    rows.append((Button(say("button.congress_letter"), press=WRITE.press(arg)),))
    rows.append(
        tuple(
            Button(
                say(f"button.congress_{outcome}"),
                press=OUTCOME.press(outcome_argument(outcome, rep.zip, m)),
            )
            for outcome in OUTCOMES
        )
    )
    rows.append((Button(say("button.congress_back"), press=ZIP.press(rep.zip)),))
    rows.append((menu_button(),))
    return Screen(lang, ("\n\n".join(blocks),), tuple(rows), notice=notice)


def counted(
    content: Content, rep: Representation, contact: Contact, outcome: str, lang: str
) -> Screen:
    """After an outcome: thanks, and the member's screen again."""
    return member(content, rep, contact, lang, notice=say(f"congress.counted_{outcome}"))


def letter_text(content: Content, member: Member, choices: DraftChoices | None, lang: str) -> str:
    """A letter to ``member``: the comment guide's letter re-addressed (its reasons, county
    sentence, the sender's own words and signature carry over; salutation, ask and closing
    come from content), or, with no ``choices``, the short letter from content."""
    t = content.text
    title = _title(content, member, lang)
    salutation = t("letter.congress_salutation", lang, title=title, name=member.name)
    ask_text = t("letter.congress_ask", lang)
    closing = t("letter.congress_closing", lang)
    if choices is None:
        body = t("letter.congress_short", lang)
        signoff = t("letter.congress_signoff", lang)
        return "\n\n".join((salutation, ask_text, body, closing, signoff))
    parts = letter_parts(content.letter, choices, lang)
    pieces = [salutation, ask_text, *parts.reasons, parts.local, parts.story, closing]
    pieces.append(parts.signature)
    return "\n\n".join(p for p in pieces if p)


def letter(
    content: Content,
    rep: Representation,
    contact: Contact,
    choices: DraftChoices | None,
    lang: str,
) -> Screen:
    """The letter to the member, to copy into their contact form; with no draft, a short
    letter and the comment guide offered to write one in the supporter's own words."""
    m = contact.member
    intro_key = "congress.letter_intro" if choices is not None else "congress.letter_short_intro"
    header = content.text(intro_key, lang, name=escape(m.name))
    texts = split_letter(header, letter_text(content, m, choices, lang), _pre)
    rows: list[Row] = []
    if contact.write_url:
        rows.append((Button(say("button.congress_write_online"), url=contact.write_url),))
    if choices is None:
        rows.append((Button(say("button.congress_start_guide"), press=guide.OPEN.press()),))
    rows.append(
        (
            Button(
                say("button.congress_wrote"),
                press=OUTCOME.press(outcome_argument("wrote", rep.zip, m)),
            ),
        )
    )
    arg = member_argument(rep.zip, m)
    rows.append((Button(say("button.congress_back_member"), press=MEMBER.press(arg)),))
    rows.append((menu_button(),))
    return Screen(lang, tuple(texts), tuple(rows))


def _pre(escaped: str) -> str:
    return f"<pre>{escaped}</pre>"
