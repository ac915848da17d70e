"""Pledge input rules: US states and stop words (names: tests/test_freetext.py)."""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.pledges import find_state, is_stop_message


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
