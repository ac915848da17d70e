"""Content validation: the shipped content is valid, and each rule catches its broken fixture."""

from __future__ import annotations

import html
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
from bot.content.sources import IndexPage, figures_in, index_page_problem
from bot.content.ui_keys import UI_KEYS
from bot.datafiles import parse_cache
from bot.render import check_rendered
from bot.telegram.context import Services
from tests.harness import CONTENT_DIR, make_config

TODAY = date(2026, 11, 30)


def test_shipped_content_is_valid(content: Content) -> None:
    """The bundled content loads with no error, and has enough topics and facts."""
    _, problems = check_content(CONTENT_DIR, TODAY, render_check=check_rendered)
    assert [p for p in problems if p.severity == "error"] == []
    assert len(content.topics) >= 5
    assert len(content.facts) >= 20


def test_every_fact_is_cited_dated_and_bilingual(content: Content) -> None:
    """Each fact has https citations with title, publisher and date, both dates, en and es."""
    for fact in content.facts.values():
        assert fact.sources, fact.id
        for source in fact.sources:
            assert source.url.startswith("https://")
            assert source.title and source.publisher and source.date
        assert date.fromisoformat(fact.checked) <= TODAY
        states_figures = any(
            figures_in(part.get(lang))
            for part in (fact.title, fact.text, fact.why)
            for lang in LANGS
        )
        if states_figures:
            assert fact.data_as_of is not None, fact.id
        if fact.data_as_of is not None:
            assert fact.data_as_of <= fact.checked, fact.id
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
    # corrected by the November 2026 audit
    r"\bonly DHS\b|\bsolo el DHS\b",  # Congress can repeal 287(g); DHS can end them without it
    r"\b314 (million|millones)",  # superseded: $352 million projected by mid-2026
    r"\bbonus|\bbonos\b",  # the awards go to agencies, not officers
    r"without planning(?! for)|sin planificación",  # OIG-18-77's phrase is longer
    r"(Executive Order|Orden Ejecutiva) 14159,?\s+(revived|brought|lo revivió|los trajo)",
    r"advisory board|junta asesora",  # not confirmed
    r"\b33 (recommendations|recomendaciones)",  # not confirmed
    r"\blo identifica\b",  # one form of address: le identifica
]


def shown_texts(content: Content) -> list[str]:
    """Every text a supporter can read: campaign, UI strings, fact cards and letter pieces."""
    shown = [content.campaign.name, content.campaign.description, *content.ui.values()]
    for fact in content.facts.values():
        shown += [fact.title, fact.text, fact.why]
    letter = content.letter
    texts = [value.get(lang) for value in shown for lang in LANGS]
    texts += [letter.why.en, letter.why.es]
    for variants in (
        *(role.openings for role in letter.roles.values()),
        *(point.paragraphs for point in letter.talking_points.values()),
        letter.closings,
    ):
        texts += [*variants.en, *variants.es]
    return texts


def test_unsupported_campaign_claims_are_not_shipped(content: Content) -> None:
    """No text the bot shows, cards and letters alike, repeats an unsupported or corrected claim.

    Keywords may contain them (someone asking about "500 percent" should find the real figure).
    """
    for text in shown_texts(content):
        for pattern in UNSUPPORTED_CLAIMS:
            assert not re.search(pattern, text, re.IGNORECASE), f"{pattern}: {text}"


def test_translated_quotations_are_marked(content: Content) -> None:
    """A quotation rendered in Spanish says it is our translation; English originals stay as is."""
    spanish = [fact.text.es for fact in content.facts.values()]
    spanish += [fact.why.es for fact in content.facts.values()]
    spanish += [p for point in content.letter.talking_points.values() for p in point.paragraphs.es]
    for text in spanish:
        for quote in re.finditer(r"“([^”]+)”", text):
            if re.search(r"\b(la|el|de|que|y|los|las|del)\b", quote.group(1)):
                after = text[quote.end() : quote.end() + 24]
                assert after.startswith(" (traducción nuestra)"), f"unmarked: {quote.group(0)}"


def test_corrected_figures_are_the_audited_ones(content: Content) -> None:
    """The costs, reimbursement and program size read as the audit corrected them."""
    costs = content.facts["maricopa-costs"].text
    assert "$352 million by mid-2026" in costs.en and "72% of the $226 million" in costs.en
    assert "352 millones" in costs.es and "72%" in costs.es
    pays = content.facts["who-pays"].text
    assert "announced" in pays.en and "participating agencies" in pays.en
    assert "not confirmed" in pays.en and "no está confirmado" in pays.es
    size = content.facts["agreements-2026"]
    assert "1,934" in size.text.en and size.data_as_of == "2026-06-09"
    for needle in ("1,248 task force", "506 warrant service", "180 jail", "Texas had 416"):
        assert needle in size.text.en
    costs_letter = " ".join(content.letter.talking_points["costs"].paragraphs.en)
    assert "$352 million by mid-2026" in costs_letter and "announced" in costs_letter


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
    content, problems = check_content(directory, TODAY, render_check=check_rendered)
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


def many_long_sources(data: Any) -> None:
    """Fourteen sources with long titles: a card too long for one Telegram message."""
    source = first_fact(data)["sources"][0]
    first_fact(data)["sources"] = [dict(source, title="T" * 290) for _ in range(14)]


def test_rendered_card_over_telegram_limit(content_copy: Path) -> None:
    """A fact whose rendered card exceeds 4,096 characters is an error."""
    edit_yaml(content_copy, "facts.yaml", many_long_sources)
    assert any("over Telegram's 4096" in p.message for p in errors_of(content_copy))


def test_check_content_and_reload_check_the_rendered_cards(
    content_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line and the bot's reload each hand the loader the render check: a card
    too long for Telegram is refused by both."""
    edit_yaml(content_copy, "facts.yaml", many_long_sources)
    assert cli_main(["check-content", str(content_copy)]) == 1
    assert "over Telegram's 4096" in capsys.readouterr().out
    services = Services()
    services.config = make_config(tmp_path, content_dir=content_copy)
    ok, problems = services.reload_content()
    assert not ok
    assert any("over Telegram's 4096" in problem for problem in problems)


def test_field_over_length_limit(content_copy: Path) -> None:
    """A fact text longer than a card allows is an error naming the key."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d)["text"].update(en="x" * 700))
    problem = next(p for p in errors_of(content_copy) if "too long" in p.message)
    assert problem.key == "facts[0].text.en"


def test_past_review_date_is_only_a_warning(content_copy: Path) -> None:
    """A review date in the past is a warning: the content still loads."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(review_by="2020-01-01"))
    content, problems = check_content(content_copy, TODAY, render_check=check_rendered)
    assert content is not None
    assert [p.severity for p in problems if "review date" in p.message] == ["warning"]


# -- sources land on the claim ------------------------------------------------------------------


def set_first_url(url: str) -> Callable[[Any], None]:
    return lambda d: first_fact(d)["sources"][0].update(url=url)


@pytest.mark.parametrize(
    "url", ["https://www.latimes.com", "https://www.latimes.com/", "https://apnews.com/#top"]
)
def test_source_on_a_home_page_is_an_error(content_copy: Path, url: str) -> None:
    """A citation linking a site's home page, however written, is an error naming the key."""
    edit_yaml(content_copy, "facts.yaml", set_first_url(url))
    problem = next(p for p in errors_of(content_copy) if "home page" in p.message)
    assert problem.key == "facts[0].sources[0].url"
    assert problem.line == line_of(content_copy, "facts.yaml", url, after="facts:")


def test_home_page_with_a_document_query_is_accepted(content_copy: Path) -> None:
    """'site/?p=40636041' is a document's permanent address, not the home page."""
    edit_yaml(
        content_copy, "facts.yaml", set_first_url("https://www.phoenixnewtimes.com/?p=40636041")
    )
    content, problems = check_content(content_copy, TODAY, render_check=check_rendered)
    assert content is not None, [str(p) for p in problems if p.severity == "error"]


def index_page_rules() -> list[dict[str, str]]:
    data = yaml.safe_load((CONTENT_DIR / "facts.yaml").read_text("utf-8"))
    rules: list[dict[str, str]] = data["source_rules"]["index_pages"]
    return rules


@pytest.mark.parametrize("rule", index_page_rules(), ids=lambda rule: rule["page"])
def test_each_index_page_of_the_rules_is_refused(rule: dict[str, str]) -> None:
    """Every section page the shipped content lists is refused, with the rule's explanation."""
    rules = tuple(IndexPage(page=r["page"], what=r["what"]) for r in index_page_rules())
    url = "https://www." + rule["page"].replace("*", "Some-Segment") + "/?page=2#list"
    problem = index_page_problem(url, rules)
    assert problem is not None and rule["what"] in problem
    assert index_page_problem(url.replace("?page=2#list", "2021/05/a-document"), rules) is None


def test_source_on_an_index_page_is_an_error(content_copy: Path) -> None:
    """A citation linking a listed section page is an error naming the key and the rule."""
    url = "https://www.dhs.gov/news-releases/press-releases"
    edit_yaml(content_copy, "facts.yaml", set_first_url(url))
    problem = next(
        p for p in errors_of(content_copy) if "DHS's list of press releases" in p.message
    )
    assert problem.key == "facts[0].sources[0].url"


def test_a_document_under_an_index_page_is_accepted(content_copy: Path) -> None:
    """Only the listing page itself is refused: a release under it is the document."""
    edit_yaml(
        content_copy,
        "facts.yaml",
        set_first_url("https://www.dhs.gov/news/2021/05/20/ice-close-two-detention-centers"),
    )
    content, _ = check_content(content_copy, TODAY, render_check=check_rendered)
    assert content is not None


def test_editors_extend_the_index_pages_in_content(content_copy: Path) -> None:
    """A page an editor adds to source_rules is refused from then on."""

    def add_rule(data: Any) -> None:
        data["source_rules"]["index_pages"].append(
            {"page": "example.org/reports", "what": "the example list of reports"}
        )
        first_fact(data)["sources"][0]["url"] = "https://example.org/reports/"

    edit_yaml(content_copy, "facts.yaml", add_rule)
    assert any("the example list of reports" in p.message for p in errors_of(content_copy))


@pytest.mark.parametrize("page", ["https://justice.gov/crt", "justice", "github.com/*x/y", ""])
def test_malformed_index_page_rule(content_copy: Path, page: str) -> None:
    """A rule that is not a host and path is an error naming it."""
    edit_yaml(
        content_copy,
        "facts.yaml",
        lambda d: d["source_rules"]["index_pages"][0].update(page=page),
    )
    assert any(p.key == "source_rules.index_pages[0].page" for p in errors_of(content_copy))


def test_link_in_a_ui_string_is_checked_too(content_copy: Path) -> None:
    """A UI string linking a section page is refused like a citation."""
    edit_yaml(
        content_copy,
        "ui.yaml",
        lambda d: d["strings"]["help.text"].update(
            es='Ayuda: <a href="https://www.justice.gov/crt/">DOJ</a>'
        ),
    )
    problem = next(p for p in errors_of(content_copy) if "Civil Rights Division" in p.message)
    assert problem.file == "ui.yaml" and problem.key == "strings.help.text.es"


def test_reference_is_shown_after_the_source(content: Content) -> None:
    """A citation's reference (docket, report number) is shown with it on the card."""
    from bot.render import fact_card

    fact = next(f for f in content.facts.values() if any(s.reference for s in f.sources))
    source = next(s for s in fact.sources if s.reference)
    card = fact_card(content, fact, "en")
    line = next(line for line in card.splitlines() if source.url in line)
    assert line.endswith(f"({source.reference})") or html.escape(source.reference) in line


# -- two dates per card ------------------------------------------------------------------------


def fact_with_figures(data: Any) -> dict[str, Any]:
    fact: dict[str, Any] = next(f for f in data["facts"] if "data_as_of" in f)
    return fact


def test_card_with_figures_needs_its_data_date(content_copy: Path) -> None:
    """A card that states a figure without data_as_of is an error naming the figures."""
    edit_yaml(content_copy, "facts.yaml", lambda d: fact_with_figures(d).pop("data_as_of"))
    problem = next(p for p in errors_of(content_copy) if "data_as_of" in p.message)
    assert "states figures (" in problem.message and problem.key.startswith("facts[")


def test_card_without_figures_needs_no_data_date(content: Content) -> None:
    """A card whose only numbers are years and names loads without data_as_of."""
    fact = content.facts["what-is-287g"]
    assert "1996" in fact.text.en and "287(g)" in fact.text.en
    assert fact.data_as_of is None


def test_old_as_of_is_refused_with_an_explanation(content_copy: Path) -> None:
    """`as_of` is not silently kept: the error says which two dates replace it."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(as_of="2026-01-01"))
    problem = next(p for p in errors_of(content_copy) if p.key == "facts[0].as_of")
    assert "checked" in problem.message and "data_as_of" in problem.message


def test_checked_in_the_future_is_an_error(content_copy: Path) -> None:
    """Nobody verified a card tomorrow."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(checked="2026-12-01"))
    assert any(p.key == "facts[0].checked" for p in errors_of(content_copy))


def test_checked_is_required(content_copy: Path) -> None:
    """A card must say when a person last verified it."""
    edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).pop("checked"))
    assert any(p.key == "facts[0].checked" for p in errors_of(content_copy))


def test_data_date_after_checked_is_an_error(content_copy: Path) -> None:
    """Figures cannot have been checked before the date they describe."""
    edit_yaml(
        content_copy, "facts.yaml", lambda d: fact_with_figures(d).update(data_as_of="2026-12")
    )
    assert any("is after `checked`" in p.message for p in errors_of(content_copy))


def test_card_with_figures_past_its_review_interval_warns(content_copy: Path) -> None:
    """Figures checked more than figures_days ago are a warning; other cards wait longer."""

    def age(data: Any) -> None:
        fact_with_figures(data)["checked"] = "2026-08-01"  # 121 days before TODAY
        first_fact(data)["checked"] = "2026-08-01"  # no figures: reviewed after 365 days

    edit_yaml(content_copy, "facts.yaml", age)
    content, problems = check_content(content_copy, TODAY, render_check=check_rendered)
    assert content is not None
    stale = [p for p in problems if "days ago" in p.message]
    assert [p.severity for p in stale] == ["warning"]
    assert "cards with figures are reviewed every 90 days" in stale[0].message
    assert stale[0].key.endswith(".checked") and stale[0].key != "facts[0].checked"


def test_review_interval_is_a_content_setting(content_copy: Path) -> None:
    """The interval comes from content: 200 days silences a 121-day-old check."""

    def settings(data: Any) -> None:
        fact_with_figures(data)["checked"] = "2026-08-01"
        data["review"]["figures_days"] = 200

    edit_yaml(content_copy, "facts.yaml", settings)
    _, problems = check_content(content_copy, TODAY, render_check=check_rendered)
    assert not [p for p in problems if "days ago" in p.message]


@pytest.mark.parametrize("days", [0, -5, "ninety", True, 100000])
def test_bad_review_interval(content_copy: Path, days: object) -> None:
    """A review interval that is not a sensible whole number of days is an error."""
    edit_yaml(content_copy, "facts.yaml", lambda d: d["review"].update(figures_days=days))
    assert any(p.key == "review.figures_days" for p in errors_of(content_copy))


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
        load_content(content_copy, render_check=check_rendered)


def test_content_read_from_the_parse_cache_is_still_checked(
    content_copy: Path, tmp_path: Path
) -> None:
    """With parsed files kept (as the bot keeps them), content loads the same, and a file
    broken afterwards is refused at the next load: what is kept is the parse, not the verdict.
    An agreement with an unknown model in the importer's file is refused too."""
    cache = tmp_path / "cache"
    with parse_cache(cache):
        first = load_content(content_copy, render_check=check_rendered)
    assert (cache / "agreements.yaml.pickle").exists()
    with parse_cache(cache):
        again = load_content(content_copy, render_check=check_rendered)
        assert again.facts == first.facts and again.agreements == first.agreements
        edit_yaml(content_copy, "facts.yaml", lambda d: first_fact(d).update(sources=[]))
        with pytest.raises(ContentError, match="at least one citation"):
            load_content(content_copy, render_check=check_rendered)
        agreements = content_copy / "agreements.yaml"
        text = agreements.read_text(encoding="utf-8")
        agreements.write_text(text.replace("model: jail", "model: jial", 1), encoding="utf-8")
        with pytest.raises(ContentError, match=r"model: 'jial' is not one of"):
            load_content(content_copy, render_check=check_rendered)


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
    content = load_content(content_copy, TODAY, render_check=check_rendered)
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


@pytest.mark.parametrize("word", ["in*documented", "*", "ab*", "  *"])
def test_malformed_sensitive_word(content_copy: Path, word: str) -> None:
    """A sensitive word may end in '*' (any ending), after at least 3 letters; nothing else."""
    edit_yaml(content_copy, "letter.yaml", lambda d: d["sensitive_words"]["es"].append(word))
    problem = next(p for p in errors_of(content_copy) if "sensitive_words" in p.key)
    assert problem.file == "letter.yaml" and problem.key.startswith("sensitive_words.es[")


def test_role_missing_spanish_label(content_copy: Path) -> None:
    """A role label without Spanish is an error."""
    edit_yaml(content_copy, "letter.yaml", lambda d: d["roles"][0]["label"].pop("es"))
    assert any(p.key == "roles[0].label" for p in errors_of(content_copy))


def test_no_email_address_is_a_warning(content: Content) -> None:
    """Without a recipient address the e-mail channel is hidden and check-content warns."""
    _, problems = check_content(CONTENT_DIR, TODAY, render_check=check_rendered)
    warning = next(p for p in problems if p.key == "channels.email.address")
    assert warning.severity == "warning" and "never guess" in warning.message
    assert content.letter.channels.email == ""


def test_configured_email_is_used(content_copy: Path) -> None:
    """OUTREACH_RECIPIENT_EMAIL fills in the e-mail channel; a malformed one is an error."""
    content = load_content(
        content_copy, TODAY, recipient_email="comments@example.org", render_check=check_rendered
    )
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


# -- the channels: what each takes, and the campaign delivering letters -------------------------


def test_shipped_channels_tell_what_each_takes(content: Content) -> None:
    """The shipped content lets the campaign deliver letters, says to whom and how in both
    languages without promising a date, and has a one-line summary for every channel."""
    channels = content.letter.channels
    assert channels.offered() == ("campaign", "postal")  # no public e-mail address, no form
    campaign = channels.campaign
    assert campaign is not None
    for lang in LANGS:
        assert "20528" in campaign.to.get(lang)
        assert set(channels.summaries) == {"campaign", "email", "postal", "webform"}
        assert all(summary.get(lang) for summary in channels.summaries.values())
        assert channels.short_label.get(lang)
    assert "can't promise a date" in campaign.how.en
    assert "No podemos prometer una fecha" in campaign.how.es


def test_campaign_delivery_without_spanish_how(content_copy: Path) -> None:
    """channels.campaign.how without Spanish is an error naming the file, line and key."""
    edit_yaml(content_copy, "letter.yaml", lambda d: d["channels"]["campaign"]["how"].pop("es"))
    problem = next(p for p in errors_of(content_copy) if p.key == "channels.campaign.how")
    assert problem.file == "letter.yaml" and "missing language 'es'" in problem.message
    assert problem.line == line_of(content_copy, "letter.yaml", "how:", after="campaign:")


def test_cover_page_placeholders_are_checked(content_copy: Path) -> None:
    """The batch cover may use {count}, {first}, {last}, {campaign} and {office}; nothing else,
    and the other campaign texts none at all."""
    edit_yaml(
        content_copy,
        "letter.yaml",
        lambda d: d["channels"]["campaign"]["cover"].update(en="{count} letters for {secretary}"),
    )
    problem = next(p for p in errors_of(content_copy) if "{secretary}" in p.message)
    assert problem.key == "channels.campaign.cover.en"
    assert "count, first, last" in problem.message
    edit_yaml(
        content_copy,
        "letter.yaml",
        lambda d: d["channels"]["campaign"].update(
            cover={"en": "{count} letters", "es": "{count} cartas"},
            summary={"en": "We deliver {count}", "es": "Entregamos"},
        ),
    )
    problem = next(p for p in errors_of(content_copy) if "{count}" in p.message)
    assert problem.key == "channels.campaign.summary.en" and "allowed: none" in problem.message


def test_campaign_delivery_can_be_switched_off(content_copy: Path) -> None:
    """enabled: false (or no campaign block) stops offering the campaign's delivery; a
    non-boolean is an error."""
    edit_yaml(
        content_copy, "letter.yaml", lambda d: d["channels"]["campaign"].update(enabled=False)
    )
    content = load_content(content_copy, TODAY, render_check=check_rendered)
    assert content.letter.channels.campaign is None
    assert content.letter.channels.offered() == ("postal",)
    edit_yaml(content_copy, "letter.yaml", lambda d: d["channels"]["campaign"].update(enabled="no"))
    problem = next(p for p in errors_of(content_copy) if p.key == "channels.campaign.enabled")
    assert problem.message == "expected true or false"


def test_campaign_delivery_alone_is_a_channel(content_copy: Path) -> None:
    """A campaign that only delivers letters itself (no e-mail, post or form) is valid."""

    def campaign_only(data: Any) -> None:
        data["channels"].pop("postal")
        data["channels"]["webform"] = {"url": ""}

    edit_yaml(content_copy, "letter.yaml", campaign_only)
    content = load_content(content_copy, TODAY, render_check=check_rendered)
    assert content.letter.channels.offered() == ("campaign",)


def test_an_offered_channel_needs_its_summary(content_copy: Path) -> None:
    """A channel the guide offers must say what it takes; one not offered need not."""
    edit_yaml(content_copy, "letter.yaml", lambda d: d["channels"]["postal"].pop("summary"))
    problem = next(p for p in errors_of(content_copy) if "missing 'summary'" in p.message)
    assert problem.key == "channels.postal"
    assert problem.line == line_of(content_copy, "letter.yaml", "postal:", after="channels:")
    edit_yaml(content_copy, "letter.yaml", lambda d: d["channels"]["postal"].update(address=[]))
    edit_yaml(content_copy, "letter.yaml", lambda d: d["channels"]["webform"].pop("summary"))
    content = load_content(content_copy, TODAY, render_check=check_rendered)
    assert content.letter.channels.summaries.keys() == {"campaign", "email"}


def test_configured_email_needs_the_short_label(content_copy: Path) -> None:
    """With an e-mail address, the label of a link carrying the short letter is required."""
    edit_yaml(content_copy, "letter.yaml", lambda d: d["channels"]["email"].pop("short_label"))
    loaded = load_content(content_copy, TODAY, render_check=check_rendered)
    assert loaded.letter.channels.short_label.en == ""
    content, problems = check_content(
        content_copy, TODAY, recipient_email="c@example.org", render_check=check_rendered
    )
    assert content is None
    problem = next(p for p in problems if "short_label" in p.message)
    assert problem.key == "channels.email" and problem.severity == "error"
