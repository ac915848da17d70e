"""Unit tests of ``bot.content.sources``: which numbers are figures, which links are index pages."""

from __future__ import annotations

import pytest

from bot.content.sources import IndexPage, figures_in, index_page_problem, valid_index_page


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("There were 1,934 agreements in 40 states.", ["1,934", "40"]),
        ("44% said so; among undocumented respondents, 70%.", ["44", "70"]),
        ("projected to reach $352 million by mid-2026", ["352"]),
        ("4 to 9 times more likely", ["4", "9"]),
        ("Four of the 29 agencies", ["29"]),
        ("35–36 agreements", ["35", "36"]),
        ("from 36 to 76 in 14 months", ["36", "76", "14"]),
        ("una encuesta a 2,004 latinos; el 44% dijo", ["2,004", "44"]),
        ("1.5 million", ["1.5"]),
    ],
)
def test_counts_amounts_and_percentages_are_figures(text: str, figures: list[str]) -> None:
    """Counts, amounts, percentages and ranges are figures a card must date."""
    assert figures_in(text) == figures


@pytest.mark.parametrize(
    "text",
    [
        "Section 287(g), added in 1996, lets ICE sign 287g agreements.",
        "On December 15, 2011, and on May 24, 2013",
        "El 15 de diciembre de 2011 y el 9 de junio de 2026",
        "U.S. Department of Homeland Security, Washington, DC 20528",
        "Executive Order 14159 (section 11) and §11",
        "DHS's Inspector General (OIG-18-77) and GAO-09-109",
        "2009–2017, by mid-2026",
        "the court's document No. 579",
    ],
)
def test_years_dates_names_and_codes_are_not_figures(text: str) -> None:
    """Years, days of dates, the program's name, codes and section numbers date nothing."""
    assert figures_in(text) == []


RULES = (
    IndexPage(page="justice.gov/crt", what="the Civil Rights Division's front page"),
    IndexPage(page="github.com/*/*", what="a repository's front page"),
)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://www.wral.com", "home page"),
        ("https://www.wral.com/", "home page"),
        ("https://wral.com/#top", "home page"),
        ("https://www.justice.gov/crt", "Civil Rights Division"),
        ("https://justice.gov/crt/", "Civil Rights Division"),
        ("https://WWW.JUSTICE.GOV/CRT?x=1#y", "Civil Rights Division"),
        ("https://github.com/appelson/Tracking_287g", "repository"),
        ("https://github.com/appelson/Tracking_287g#statewide-breakdown", "repository"),
    ],
)
def test_home_and_index_pages_are_refused(url: str, reason: str) -> None:
    """Home pages (always) and the listed index pages (however written) are refused."""
    problem = index_page_problem(url, RULES)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "url",
    [
        "https://www.wral.com/news/local/story/4560847/",
        "https://www.justice.gov/crt/case-document/file/123/download",
        "https://github.com/appelson/Tracking_287g/blob/0059543/README.md",
        "https://www.phoenixnewtimes.com/?p=40636041",
    ],
)
def test_documents_are_accepted(url: str) -> None:
    """A document's own address passes, even under a listed index page."""
    assert index_page_problem(url, RULES) is None


@pytest.mark.parametrize(
    ("page", "valid"),
    [
        ("justice.gov/crt", True),
        ("www.dhs.gov/news-releases/press-releases/", True),
        ("github.com/*/*", True),
        ("https://justice.gov/crt", False),
        ("justice", False),
        ("github.com/a*/b", False),
        ("justice.gov//crt", False),
        ("", False),
    ],
)
def test_rule_pages_must_be_a_host_and_path(page: str, valid: bool) -> None:
    """An editor's rule is a host with a dot and whole path segments, without a scheme."""
    assert valid_index_page(page) is valid
