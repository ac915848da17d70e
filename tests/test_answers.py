"""Answers that open a journey (content/answers.yaml): validation, rendering, and which reply a
question gets — an answer, a card with related cards, or none."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.answers import NO_REPLY, answer_question, build_index
from bot.content import Content, check_content
from bot.content.loader import Problem
from bot.content.models import ANSWER_JOURNEYS, LANGS, Answer, Link, Localized, LocalizedList
from bot.render import check_rendered, journey_answer
from bot.search import KnowledgeIndex
from bot.telegram.keyboards import JOURNEY_BUTTONS
from bot.telegram_html import check_html
from tests.harness import CONTENT_DIR

TODAY = date(2026, 11, 30)

# -- the shipped answers ----------------------------------------------------------------------


def test_shipped_answers_cover_the_journeys(content: Content) -> None:
    """The content answers the questions of the brief: act, where I live, the guide, hello,
    help and thanks, know your rights."""
    journeys = {aid: answer.journeys for aid, answer in content.answers.items()}
    assert journeys["take-action"] == ("comment", "pledge", "share")
    assert journeys["where-i-live"] == ("local",)
    assert journeys["send-comment"] == ("comment",)
    for aid in ("hello", "help", "thanks"):
        assert journeys[aid] == ("menu",)
    assert "know-your-rights" in journeys


def test_every_answer_is_bilingual_and_findable(content: Content) -> None:
    """Each answer has a reply and keywords in English and Spanish, and known journeys."""
    for answer in content.answers.values():
        for lang in LANGS:
            assert answer.reply.get(lang).strip() and answer.keywords.get(lang), answer.id
        assert answer.reply.en != answer.reply.es, f"{answer.id}: Spanish not translated"
        assert answer.journeys and set(answer.journeys) <= set(ANSWER_JOURNEYS)


def test_know_your_rights_refers_and_gives_no_legal_advice(content: Content) -> None:
    """The rights answer says it gives no legal advice, in both languages, and refers to at
    least two trusted organizations' own pages."""
    rights = content.answers["know-your-rights"]
    assert "can't give legal advice" in rights.reply.en
    assert "No puedo dar asesoría legal" in rights.reply.es
    assert len(rights.links) >= 2
    assert len({link.publisher for link in rights.links}) == len(rights.links)
    for link in rights.links:
        assert link.url.startswith("https://")
        assert urlpath(link.url), f"{link.url} is a home page"


def urlpath(url: str) -> str:
    return re.sub(r"^https://[^/]+/?", "", url)


def test_every_journey_has_a_button() -> None:
    """Each journey name content may use maps to a button (or, for menu, the main menu)."""
    assert set(JOURNEY_BUTTONS) | {"menu"} == set(ANSWER_JOURNEYS)


# -- rendering ----------------------------------------------------------------------------------


def test_answer_renders_its_reply_and_links_escaped() -> None:
    """The reply is plain text (escaped) and each link shows its title and publisher."""
    answer = Answer(
        id="x",
        keywords=LocalizedList(en=("x",), es=("x",)),
        reply=Localized(en="Rights & <wrongs>", es="Derechos"),
        journeys=("menu",),
        links=(
            Link(
                title=Localized(en="A & B", es="A y B"),
                publisher="Org <1>",
                url="https://example.org/a?b=1&c=2",
            ),
        ),
    )
    text = journey_answer(answer, "en")
    assert text.startswith("Rights &amp; &lt;wrongs&gt;\n\n")
    assert '<a href="https://example.org/a?b=1&amp;c=2">A &amp; B</a> — Org &lt;1&gt;' in text
    assert check_html(text) is None
    assert "A y B" in journey_answer(answer, "es")


def test_shipped_answers_render_within_limits(content: Content) -> None:
    """Every shipped answer renders as valid Telegram HTML in both languages."""
    for answer in content.answers.values():
        for lang in LANGS:
            assert check_html(journey_answer(answer, lang)) is None


# -- which reply a question gets ------------------------------------------------------------------


def test_a_journey_question_gets_the_answer(content: Content) -> None:
    """ "what can i do" gets the take-action answer, with no card."""
    reply = answer_question(content, build_index(content), "what can i do", "en")
    assert reply.answer is not None and reply.answer.id == "take-action"
    assert reply.fact is None and reply.related == ()


def test_a_fact_question_gets_a_card_and_related_cards_only(content: Content) -> None:
    """A fact question gets its card; related replies are cards, never answers."""
    reply = answer_question(content, build_index(content), "racial profiling lawsuit", "en")
    assert reply.fact is not None and reply.answer is None
    assert reply.related and all(fact.id in content.facts for fact in reply.related)
    assert reply.fact not in reply.related and len(reply.related) <= 3


def test_an_unrelated_question_gets_nothing(content: Content) -> None:
    """An unrelated question gets no reply at all."""
    assert answer_question(content, build_index(content), "best tacos in houston", "en") == NO_REPLY
    assert not NO_REPLY.found


def test_a_stale_index_cannot_break_the_reply(content: Content) -> None:
    """Hits the content no longer holds (an answer removed since the index was built) are
    skipped."""
    index = build_index(content)
    without = replace(content, answers={k: v for k, v in content.answers.items() if k != "hello"})
    assert answer_question(without, index, "hello", "en") == NO_REPLY


def test_inline_search_never_offers_an_answer(content: Content) -> None:
    """facts_only keeps the answers out, even for a question an answer owns."""
    index = build_index(content)
    assert index.search("what can i do", "en")[0].kind == "answer"
    assert all(hit.kind == "fact" for hit in index.search("what can i do", "en", facts_only=True))
    assert index.search("hola", "es", facts_only=True) == []


def test_answers_compete_with_cards(content: Content) -> None:
    """A question a card answers better than any answer still gets the card."""
    index = build_index(content)
    assert index.search("what is 287g", "en")[0].id == "what-is-287g"
    assert index.search("does my county have 287g", "en")[0].id == "where-i-live"


def test_synonyms_from_content_reach_the_search() -> None:
    """A synonym in content lets a word the cards do not use find what its synonym finds."""
    answer = Answer(
        id="rights",
        keywords=LocalizedList(en=("police questions",), es=("preguntas de la policia",)),
        reply=Localized(en="x", es="x"),
        journeys=("menu",),
    )
    plain = KnowledgeIndex([], [answer])
    assert plain.search("cops", "en") == []
    with_synonym = KnowledgeIndex([], [answer], {"cops": "police"})
    assert [hit.id for hit in with_synonym.search("cops", "en")] == ["rights"]


# -- broken fixtures, one per rule -----------------------------------------------------------------


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def edit_answers(directory: Path, change: Callable[[Any], None]) -> None:
    path = directory / "answers.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems_of(directory: Path, accepted: bool = True) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) that check-content reports for ``answers.yaml``; ``accepted`` says
    whether the content as a whole must be usable."""
    content, problems = check_content(directory, TODAY, render_check=check_rendered)
    assert (content is not None) == accepted, problems
    mine = [p for p in problems if p.file == "answers.yaml"]
    return [p for p in mine if p.severity == "error"], [p for p in mine if p.severity == "warning"]


def only_error(directory: Path) -> Problem:
    """The one error check-content reports for ``answers.yaml``; the content is refused."""
    errors, _ = problems_of(directory, accepted=False)
    assert len(errors) == 1, errors
    return errors[0]


def first(data: Any) -> dict[str, Any]:
    answer: dict[str, Any] = data["answers"][0]
    return answer


def line_of(directory: Path, needle: str) -> int:
    for number, line in enumerate((directory / "answers.yaml").read_text("utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_shipped_answers_have_no_problem() -> None:
    """The shipped answers.yaml has no error and no warning."""
    assert problems_of(CONTENT_DIR) == ([], [])


def test_unknown_journey_names_file_line_and_key(content_copy: Path) -> None:
    """A journey outside the closed set is an error naming the file, line, key and the set."""
    edit_answers(content_copy, lambda d: first(d).update(journeys=["comment", "donate"]))
    problem = only_error(content_copy)
    assert problem.key == "answers[0].journeys[1]"
    assert "unknown journey 'donate'" in problem.message and "comment" in problem.message
    assert problem.line == line_of(content_copy, "- donate")


@pytest.mark.parametrize(
    ("journeys", "message"),
    [([], "at least one journey"), (["pledge", "pledge"], "listed twice"), ("pledge", "a list")],
)
def test_bad_journey_lists(content_copy: Path, journeys: Any, message: str) -> None:
    """An empty list, a journey twice or a plain text instead of a list are errors."""
    edit_answers(content_copy, lambda d: first(d).update(journeys=journeys))
    assert message in only_error(content_copy).message


def test_reply_needs_both_languages(content_copy: Path) -> None:
    """A reply without Spanish is an error."""
    edit_answers(content_copy, lambda d: first(d)["reply"].pop("es"))
    problem = only_error(content_copy)
    assert problem.key == "answers[0].reply" and "missing language 'es'" in problem.message


def test_reply_length_is_limited(content_copy: Path) -> None:
    """A reply over 600 characters is an error."""
    edit_answers(content_copy, lambda d: first(d)["reply"].update(en="x" * 601))
    assert "too long" in only_error(content_copy).message


def test_keywords_are_needed_in_each_language(content_copy: Path) -> None:
    """An answer nobody can find (no keyword in a language) is an error."""
    edit_answers(content_copy, lambda d: first(d)["keywords"].update(es=[]))
    problem = only_error(content_copy)
    assert problem.key == "answers[0].keywords.es" and "at least one keyword" in problem.message


def test_keyword_without_words(content_copy: Path) -> None:
    """A keyword of punctuation alone can never be typed as a word: an error."""
    edit_answers(content_copy, lambda d: first(d)["keywords"]["en"].append("¿?!"))
    assert "has no word to find" in only_error(content_copy).message


def test_duplicate_answer_id(content_copy: Path) -> None:
    """Two answers with one id is an error."""
    edit_answers(content_copy, lambda d: d["answers"][1].update(id=first(d)["id"]))
    assert "duplicate answer id" in only_error(content_copy).message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://www.aclu.org/know-your-rights/immigrants-rights", "not an https link"),
        ("https://www.aclu.org/", "home page"),
        ("https://www.aclu.org/news", "the ACLU's list of news"),
    ],
)
def test_link_must_be_the_page_itself(content_copy: Path, url: str, message: str) -> None:
    """A referral link is https and never a home page or a section page in source_rules."""

    def change(data: Any) -> None:
        rights = next(a for a in data["answers"] if a["id"] == "know-your-rights")
        rights["links"][0]["url"] = url

    edit_answers(content_copy, change)
    problem = only_error(content_copy)
    assert problem.key.endswith(".links[0].url") and message in problem.message


def test_link_needs_a_publisher(content_copy: Path) -> None:
    """A referral link names who publishes the page."""

    def change(data: Any) -> None:
        rights = next(a for a in data["answers"] if a["id"] == "know-your-rights")
        rights["links"][0].pop("publisher")

    edit_answers(content_copy, change)
    assert only_error(content_copy).key.endswith(".links[0].publisher")


@pytest.mark.parametrize(
    ("synonyms", "message"),
    [
        ({"la migra": "ice"}, "not one word"),
        ({"cops": "the"}, "stop word"),
        ({"police": "police"}, "same word"),
        ({"cops": ["police"]}, "non-empty text"),
    ],
)
def test_bad_synonyms(content_copy: Path, synonyms: dict[str, Any], message: str) -> None:
    """A synonym maps one word (not a stop word) to another word."""
    edit_answers(content_copy, lambda d: d.update(synonyms=synonyms))
    problem = only_error(content_copy)
    assert problem.key.startswith("synonyms.") and message in problem.message


def test_synonym_for_an_unused_word_warns(content_copy: Path) -> None:
    """A synonym for a word no card or answer uses finds nothing: a warning."""
    edit_answers(content_copy, lambda d: d["synonyms"].update(moto="motorcycle"))
    errors, warnings = problems_of(content_copy)
    assert errors == []
    assert [w.key for w in warnings] == ["synonyms.moto"]


def test_keyword_shared_with_a_card_warns(content_copy: Path) -> None:
    """A keyword that is also a fact card's keyword is a warning naming the card."""
    edit_answers(content_copy, lambda d: first(d)["keywords"]["en"].append("Racial profiling"))
    errors, warnings = problems_of(content_copy)
    assert errors == []
    assert len(warnings) == 1 and "'maricopa-profiling'" in warnings[0].message


def test_missing_answers_file(content_copy: Path) -> None:
    """Without answers.yaml the content is refused, naming the file."""
    (content_copy / "answers.yaml").unlink()
    problem = only_error(content_copy)
    assert problem.message == "file is missing"


def test_unknown_key_is_a_warning(content_copy: Path) -> None:
    """An unknown key in an answer is reported and ignored."""
    edit_answers(content_copy, lambda d: first(d).update(colour="red"))
    errors, warnings = problems_of(content_copy)
    assert errors == [] and [w.key for w in warnings] == ["answers[0].colour"]
