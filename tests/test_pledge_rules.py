"""Pledge input rules: first names, US states, stop words."""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.pledges import NAME_MAX, check_first_name, find_state, is_stop_message


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Ana", "Ana"),
        ("  María José  ", "María José"),
        ("李小龙", "李小龙"),
        ("محمد", "محمد"),
        ("<b>Eve</b> & co", "<b>Eve</b> & co"),
        ("Zoë 👩‍🦱", "Zoë 👩‍🦱"),
        ("x" * NAME_MAX, "x" * NAME_MAX),
    ],
)
def test_acceptable_names(typed: str, name: str) -> None:
    """Names in any script, with HTML or emoji, up to 64 characters are accepted as typed."""
    assert check_first_name(typed).name == name


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "empty"),
        ("     ", "empty"),
        ("\n\t ", "empty"),
        ("x" * 5000, "too_long"),
        ("Ana\x00", "invalid"),
        ("Ana\x1b[31m", "invalid"),
        ("\u202eanA", "invalid"),
    ],
)
def test_refused_names(typed: str, problem: str) -> None:
    """Empty, over-long and control-character names are refused with the reason."""
    check = check_first_name(typed)
    assert check.name is None and check.problem == problem


def test_too_long_reports_length() -> None:
    """An over-long name reports its length, so the reply can show it."""
    assert check_first_name("y" * 5000).length == 5000


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Texas", "TX"),
        ("tx", "TX"),
        ("Tejas", "TX"),
        ("TEXAS!", "TX"),
        ("nuevo mexico", "NM"),
        ("Nuevo México", "NM"),
        ("New York", "NY"),
        ("carolina del norte", "NC"),
        ("D.C.", "DC"),
        ("Puerto Rico", "PR"),
        ("pr", "PR"),
        ("Hawái", "HI"),
    ],
)
def test_states_by_code_name_or_alias(content: Content, typed: str, code: str) -> None:
    """States are found by code, English or Spanish name or alias, ignoring case and accents."""
    state = find_state(typed, content.states)
    assert state is not None and state.code == code


@pytest.mark.parametrize("typed", ["Narnia", "", "   ", "T", "Texass Texas", "<b>", "ZZ"])
def test_unknown_states(content: Content, typed: str) -> None:
    """Anything that is not a state or territory is not guessed."""
    assert find_state(typed, content.states) is None


def test_all_states_and_territories(content: Content) -> None:
    """The 50 states, DC and five territories are known."""
    assert len(content.states) == 56


@pytest.mark.parametrize(
    "text", ["stop", "STOP", " Stop. ", "¡Baja!", "alto", "unsubscribe", "Parar"]
)
def test_stop_words(content: Content, text: str) -> None:
    """A message that is only a stop word, in any case and with punctuation, is a stop."""
    assert is_stop_message(text, content.campaign.stop_words.all())


@pytest.mark.parametrize(
    "text", ["stop 287g now", "please don't stop", "bajar", "", "!!!", "alto el 287g"]
)
def test_sentences_are_not_stop_words(content: Content, text: str) -> None:
    """A sentence that only contains a stop word is not a stop."""
    assert not is_stop_message(text, content.campaign.stop_words.all())
