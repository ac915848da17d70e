"""Content validation: the shipped content is valid, and each rule catches its broken fixture."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main as cli_main
from bot.content import Content, check_content, load_content
from bot.content.loader import ContentError, Problem
from bot.content.models import LANGS
from bot.content.ui_keys import UI_KEYS
from tests.harness import CONTENT_DIR

TODAY = date(2026, 11, 27)


def test_shipped_content_is_valid(content: Content) -> None:
    """The bundled content loads with no error, and has enough topics and facts."""
    _, problems = check_content(CONTENT_DIR, TODAY)
    assert [p for p in problems if p.severity == "error"] == []
    assert len(content.topics) >= 5
    assert len(content.facts) >= 20


def test_every_fact_is_cited_dated_and_bilingual(content: Content) -> None:
    """Each fact has https citations with title, publisher and date, an as-of date, en and es."""
    for fact in content.facts.values():
        assert fact.sources, fact.id
        for source in fact.sources:
            assert source.url.startswith("https://")
            assert source.title and source.publisher and source.date
        assert date.fromisoformat(fact.as_of) <= TODAY
        for lang in LANGS:
            assert fact.title.get(lang) and fact.text.get(lang) and fact.why.get(lang)
        assert fact.title.en != fact.title.es, f"{fact.id}: Spanish title not translated"


def test_every_ui_string_exists_in_both_languages(content: Content) -> None:
    """Every string the code uses is in the shipped content, in English and Spanish."""
    assert set(content.ui) == set(UI_KEYS)
    for key, value in content.ui.items():
        assert value.en.strip() and value.es.strip(), key


UNSUPPORTED_CLAIMS = [
    r"500\s*(percent|por ciento|%)",
    r"2019.{0,40}(Major Cities|MCCA)|(Major Cities|MCCA).{0,80}2019",
    r"hard-won trust",
    r"160\s*(\+|or more|immigration|groups|grupos|organizaciones)",
    r"Secretar[a-z]*\s+(Alejandro\s+)?Mayorkas",  # he left office in January 2025
    r"120 law enforcement",
]


def test_unsupported_campaign_claims_are_not_shipped(content: Content) -> None:
    """No text the bot shows repeats the 2023 text's unsupported claims.

    Keywords may contain them (someone asking about "500 percent" should find the real figure).
    """
    shown = [content.campaign.name, content.campaign.description, *content.ui.values()]
    for fact in content.facts.values():
        shown += [fact.title, fact.text, fact.why]
    for text in (value.get(lang) for value in shown for lang in LANGS):
        for pattern in UNSUPPORTED_CLAIMS:
            assert not re.search(pattern, text, re.IGNORECASE), f"{pattern}: {text}"


def test_alamance_is_only_an_allegation(content: Content) -> None:
    """Alamance County appears only as what DOJ alleged, with the court's outcome."""
    for fact in content.facts.values():
        for lang in LANGS:
            text = f"{fact.text.get(lang)} {fact.why.get(lang)}"
            if "Alamance" in text:
                assert re.search(r"alleg|aleg", text, re.IGNORECASE), fact.id
                assert "2015" in text, fact.id


# -- broken fixtures, one per rule ---------------------------------------------------------------


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def edit_yaml(directory: Path, name: str, change: Callable[[Any], None]) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def errors_of(directory: Path) -> list[Problem]:
    content, problems = check_content(directory, TODAY)
    errors = [p for p in problems if p.severity == "error"]
    assert content is None and errors, "the broken content was accepted"
    return errors


def line_of(directory: Path, name: str, needle: str, after: str = "") -> int:
    """The line number of the first line containing ``needle`` after a line containing ``after``."""
    seen_after = not after
    for number, line in enumerate((directory / name).read_text("utf-8").splitlines(), start=1):
        seen_after = seen_after or after in line
        if seen_after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {name}")


def first_fact(data: Any) -> dict[str, Any]:
    fact: dict[str, Any] = data["facts"][0]
    return fact


def test_missing_language_is_reported_with_line_and_key(content_copy: Path) -> None:
    """A fact title without Spanish names the file, the line and the key path."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d)["title"].pop("es"))
    errors = errors_of(content_copy)
    problem = next(p for p in errors if "missing language 'es'" in p.message)
    assert problem.file == "facts.yaml"
    assert problem.key == "facts[0].title"
    assert problem.line == line_of(content_copy, "facts.yaml", "title:", after="facts:")


def test_missing_citation(content_copy: Path) -> None:
    """A fact with an empty source list is an error."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(sources=[]))
    assert any("at least one citation" in p.message for p in errors_of(content_copy))


def test_citation_without_publisher(content_copy: Path) -> None:
    """A citation must name its publisher."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d)["sources"][0].pop("publisher"))
    errors = errors_of(content_copy)
    assert any(p.key == "facts[0].sources[0].publisher" for p in errors)


def test_non_https_link(content_copy: Path) -> None:
    """A citation URL that is not https is an error naming the key."""
    edit_yaml(
        content_copy,
        "facts.yaml",
        lambda d: first_fact(d)["sources"][0].update(url="http://example.org/report"),
    )
    problem = next(p for p in errors_of(content_copy) if "https" in p.message)
    assert problem.key == "facts[0].sources[0].url"


def test_unknown_topic_reference(content_copy: Path) -> None:
    """A fact pointing at a topic that does not exist is an error."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(topic="no-such-topic"))
    assert any("unknown topic 'no-such-topic'" in p.message for p in errors_of(content_copy))


def test_unknown_related_reference(content_copy: Path) -> None:
    """A related fact id that does not exist is an error."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(related=["ghost-fact"]))
    problem = next(p for p in errors_of(content_copy) if "ghost-fact" in p.message)
    assert problem.key == "facts[0].related[0]"


def test_duplicate_fact_id(content_copy: Path) -> None:
    """Two facts with one id is an error."""
    edit_yaml(
        content_copy,
        "facts.yaml",
        lambda d: d["facts"][1].update(id=d["facts"][0]["id"]),
    )
    assert any("duplicate fact id" in p.message for p in errors_of(content_copy))


def test_id_too_long_for_callback_data(content_copy: Path) -> None:
    """An id that would not fit in 64 bytes of callback data is refused."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(id="x" * 40))
    assert any("is not an id" in p.message for p in errors_of(content_copy))


def test_unknown_placeholder_in_ui_string(content_copy: Path) -> None:
    """A UI string using a placeholder the code does not fill in is an error."""
    edit_yaml(
        content_copy,
        "ui.yaml",
        lambda d: d["strings"]["menu.title"].update(en="Hello {nickname}"),
    )
    problem = next(p for p in errors_of(content_copy) if "{nickname}" in p.message)
    assert problem.file == "ui.yaml" and problem.key == "strings.menu.title.en"


def test_missing_ui_string(content_copy: Path) -> None:
    """A UI string the code needs but the content lacks is an error."""
    edit_yaml(content_copy, "ui.yaml", lambda d: d["strings"].pop("help.text"))
    assert any("missing string 'help.text'" in p.message for p in errors_of(content_copy))


def test_invalid_html_in_ui_string(content_copy: Path) -> None:
    """A UI string with HTML Telegram would reject is an error."""
    edit_yaml(
        content_copy, "ui.yaml", lambda d: d["strings"]["menu.title"].update(es="<div>hola</div>")
    )
    assert any("HTML" in p.message for p in errors_of(content_copy))


def test_html_in_button_text(content_copy: Path) -> None:
    """Buttons are plain text: markup in a button label is an error."""
    edit_yaml(
        content_copy, "ui.yaml", lambda d: d["strings"]["button.next"].update(en="<b>Next</b>")
    )
    assert any("without formatting" in p.message for p in errors_of(content_copy))


def test_rendered_card_over_telegram_limit(content_copy: Path) -> None:
    """A fact whose rendered card exceeds 4,096 characters is an error."""

    def many_sources(data: Any) -> None:
        source = first_fact(data)["sources"][0]
        first_fact(data)["sources"] = [dict(source, title="T" * 290) for _ in range(14)]

    edit_yaml(content_copy, "facts.yaml", many_sources)
    assert any("over Telegram's 4096" in p.message for p in errors_of(content_copy))


def test_field_over_length_limit(content_copy: Path) -> None:
    """A fact text longer than a card allows is an error naming the key."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d)["text"].update(en="x" * 700))
    problem = next(p for p in errors_of(content_copy) if "too long" in p.message)
    assert problem.key == "facts[0].text.en"


def test_past_review_date_is_only_a_warning(content_copy: Path) -> None:
    """A review date in the past is a warning: the content still loads."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(review_by="2020-01-01"))
    content, problems = check_content(content_copy, TODAY)
    assert content is not None
    assert [p.severity for p in problems if "review date" in p.message] == ["warning"]


def test_invalid_yaml_names_the_line(content_copy: Path) -> None:
    """Broken YAML is reported with its file and line."""
    path = content_copy / "campaign.yaml"
    lines = path.read_text("utf-8").splitlines()
    lines.insert(2, "  name: [unclosed")
    path.write_text("\n".join(lines), "utf-8")
    problem = next(p for p in errors_of(content_copy) if "invalid YAML" in p.message)
    assert problem.file == "campaign.yaml" and problem.line is not None


def test_missing_file(content_copy: Path) -> None:
    """A missing content file is an error."""
    (content_copy / "ui.yaml").unlink()
    assert any(p.file == "ui.yaml" and "missing" in p.message for p in errors_of(content_copy))


def test_load_content_refuses_invalid_content(content_copy: Path) -> None:
    """load_content raises with every error listed."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(sources=[]))
    with pytest.raises(ContentError, match="at least one citation"):
        load_content(content_copy)


def test_check_content_command_exit_codes(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """check-content exits 0 on valid content (warnings allowed) and 1 on any error."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(review_by="2020-01-01"))
    assert cli_main(["check-content", str(content_copy)]) == 0
    assert "warning: facts.yaml:" in capsys.readouterr().out
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(topic="nope"))
    assert cli_main(["check-content", str(content_copy)]) == 1
    out = capsys.readouterr().out
    assert "error: facts.yaml:" in out and "facts[0].topic" in out


# -- the places file ---------------------------------------------------------------------------


def test_missing_or_foreign_places_file_is_an_error(content_copy: Path) -> None:
    """Without places.tsv, or with a file of another format, the content is refused with a
    message that says how to make the file."""
    places = content_copy / "places.tsv"
    text = places.read_text(encoding="utf-8")
    places.unlink()
    (error,) = errors_of(content_copy)
    assert error.file == "places.tsv" and "outreach-bot import-places" in error.message
    places.write_text(text.replace("format 1", "format 0", 1), encoding="utf-8")
    (error,) = errors_of(content_copy)
    assert (error.file, error.line) == ("places.tsv", 1)
    assert "outreach-bot import-places" in error.message


def test_places_file_is_read_on_first_use_and_checked_in_full_by_the_command(
    content_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Loading the content reads only the places file's first line, so a broken line further
    down surfaces at the first lookup; `check-content` reads every line and names it."""
    from bot.places import PlacesError

    places = content_copy / "places.tsv"
    lines = places.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines, 1) if line.startswith("77002\t"))
    lines[number - 1] = "77002\tTX"
    places.write_text("\n".join(lines), encoding="utf-8")
    content = load_content(content_copy, TODAY)
    with pytest.raises(PlacesError, match=f"line {number}: expected ZIP code, state"):
        content.places.places_for_zip("77002")
    assert cli_main(["check-content", str(content_copy)]) == 1
    assert f"error: places.tsv:{number}: expected ZIP code, state" in capsys.readouterr().out


# -- the letter ---------------------------------------------------------------------------------


def test_unknown_placeholder_in_letter(content_copy: Path) -> None:
    """A letter template with a placeholder other than {office} is an error naming the key."""
    edit_yaml(
        content_copy,
        "letter.yaml",
        lambda d: d["closings"]["en"].append("Please act, {secretary_name}."),
    )
    problem = next(p for p in errors_of(content_copy) if "{secretary_name}" in p.message)
    assert problem.file == "letter.yaml" and problem.key.startswith("closings.en[")


def test_talking_point_needs_two_wordings(content_copy: Path) -> None:
    """A reason with a single paragraph wording in one language is an error."""
    edit_yaml(
        content_copy,
        "letter.yaml",
        lambda d: d["talking_points"][0]["paragraphs"].update(es=["Solo una."]),
    )
    problem = next(p for p in errors_of(content_copy) if "at least 2 variants" in p.message)
    assert problem.key == "talking_points[0].paragraphs.es"


def test_role_missing_spanish_label(content_copy: Path) -> None:
    """A role label without Spanish is an error."""
    edit_yaml(content_copy, "letter.yaml", lambda d: d["roles"][0]["label"].pop("es"))
    assert any(p.key == "roles[0].label" for p in errors_of(content_copy))


def test_no_email_address_is_a_warning(content: Content) -> None:
    """Without a recipient address the e-mail channel is hidden and check-content warns."""
    _, problems = check_content(CONTENT_DIR, TODAY)
    warning = next(p for p in problems if p.key == "channels.email.address")
    assert warning.severity == "warning" and "never guess" in warning.message
    assert content.letter.channels.email == ""


def test_configured_email_is_used(content_copy: Path) -> None:
    """OUTREACH_RECIPIENT_EMAIL fills in the e-mail channel; a malformed one is an error."""
    content = load_content(content_copy, TODAY, recipient_email="comments@example.org")
    assert content.letter.channels.email == "comments@example.org"
    edit_yaml(
        content_copy,
        "letter.yaml",
        lambda d: d["channels"]["email"].update(address="not-an-address"),
    )
    assert any("not an e-mail address" in p.message for p in errors_of(content_copy))


def test_webform_must_be_https(content_copy: Path) -> None:
    """A web form channel must be an https link."""
    edit_yaml(
        content_copy,
        "letter.yaml",
        lambda d: d["channels"]["webform"].update(url="http://example.org/form"),
    )
    assert any(p.key == "channels.webform.url" for p in errors_of(content_copy))


def test_no_channel_at_all_is_an_error(content_copy: Path) -> None:
    """A letter with no e-mail, no postal address and no web form cannot be sent: an error."""

    def no_channels(data: Any) -> None:
        data["channels"] = {"email": {"address": ""}, "webform": {"url": ""}}

    edit_yaml(content_copy, "letter.yaml", no_channels)
    assert any("no channel" in p.message for p in errors_of(content_copy))
