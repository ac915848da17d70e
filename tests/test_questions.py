"""The question set: questions as supporters type them get the card or journey they ask for.

The questions (``tests/data/questions.yaml``) were written before the matcher was tuned, from how
people write in chats, not from the cards' wording. These are quality floors over the whole set,
not per-question expectations: ``python -m tests.question_set --misses`` shows the table and the
questions it gets wrong.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.content import Content
from tests.question_set import (
    NONE,
    Outcome,
    Question,
    accuracy,
    ask,
    load_questions,
    wrongly_answered,
)

ACCURACY_FLOOR = 0.90
LANGUAGE_FLOOR = 0.85


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_questions()


@pytest.fixture(scope="module")
def outcomes(content: Content, questions: list[Question]) -> list[Outcome]:
    return ask(content, questions)


def test_the_set_is_as_large_and_varied_as_promised(questions: list[Question]) -> None:
    """At least 150 distinct questions: half Spanish, a third with typos, 20 with no answer."""
    assert len(questions) >= 150
    assert len({(q.text, q.lang) for q in questions}) == len(questions), "duplicate questions"
    langs = Counter(q.lang for q in questions)
    assert set(langs) == {"en", "es"}
    assert 0.45 <= langs["es"] / len(questions) <= 0.55
    assert sum(q.typo for q in questions) * 3 >= len(questions)
    assert sum(q.expect == NONE for q in questions) >= 20
    kinds = Counter(q.expect.split(":")[0] for q in questions)
    assert kinds["answer"] >= 50 and kinds["fact"] >= 50


def test_every_expected_card_and_answer_exists(content: Content, questions: list[Question]) -> None:
    """Each question names a fact card or an answer of the shipped content, or none."""
    unknown = []
    for q in questions:
        kind, _, name = q.expect.partition(":")
        known = {"fact": content.facts, "answer": content.answers}.get(kind)
        if q.expect != NONE and (known is None or name not in known):
            unknown.append(q.expect)
    assert not unknown, f"unknown expectations: {sorted(set(unknown))}"


def test_every_answer_is_asked_for_in_both_languages(
    content: Content, questions: list[Question]
) -> None:
    """Every journey answer of the content is expected by an English and a Spanish question."""
    asked = {(q.expect, q.lang) for q in questions}
    for answer_id in content.answers:
        for lang in ("en", "es"):
            assert (f"answer:{answer_id}", lang) in asked, (answer_id, lang)


def test_top_answer_is_right_for_nine_questions_in_ten(outcomes: list[Outcome]) -> None:
    """Top-1 accuracy over the whole set is at least 90%."""
    misses = [f"{o.question.text!r} -> {o.got}" for o in outcomes if not o.correct]
    assert accuracy(outcomes) >= ACCURACY_FLOOR, misses


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_language_holds_up(outcomes: list[Outcome], lang: str) -> None:
    """Neither language falls behind: each has at least 85% top-1 accuracy."""
    group = [o for o in outcomes if o.question.lang == lang]
    assert accuracy(group) >= LANGUAGE_FLOOR


def test_questions_with_typos_hold_up(outcomes: list[Outcome]) -> None:
    """Questions with typos and chat spellings have at least 85% top-1 accuracy."""
    assert accuracy([o for o in outcomes if o.question.typo]) >= LANGUAGE_FLOOR


def test_unanswerable_questions_get_no_answer(outcomes: list[Outcome]) -> None:
    """Not one question outside the bot's knowledge is answered with a card or a journey."""
    wrong = [f"{o.question.text!r} -> {o.got}" for o in wrongly_answered(outcomes)]
    assert wrong == []
