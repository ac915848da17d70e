"""Local targets organizers add (``content/targets.yaml``): checked by the content loader with
file, line and key, and matched to a supporter's place (``bot.local_targets``).

``tests/data/targets.yaml`` lists made-up offices in real places: a county commission and a
city council in Harris County, a statewide office in Texas, a city council in Saint Paul and a
sheriff in Hillsborough County, Florida.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import check_content, load_content
from bot.content.loader import Problem
from bot.content.targets import phone_problem
from bot.local_targets import targets_for_place
from bot.render import check_rendered
from tests.harness import CONTENT_DIR

FIXTURE = Path(__file__).resolve().parent / "data" / "targets.yaml"
TODAY = date(2026, 12, 1)  # a day the shipped content is valid (its cards were checked before)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """The shipped content with the fixture targets."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    shutil.copy(FIXTURE, target / "targets.yaml")
    return target


def edit_targets(directory: Path, change: Callable[[list[dict[str, Any]]], None]) -> None:
    path = directory / "targets.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["targets"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def target_problems(directory: Path, severity: str = "error", deep: bool = False) -> list[str]:
    _, problems = check_content(directory, TODAY, deep=deep, render_check=check_rendered)
    return [str(p) for p in problems if p.file == "targets.yaml" and p.severity == severity]


def line_of(directory: Path, needle: str) -> int:
    lines = (directory / "targets.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def test_the_shipped_file_is_empty_and_documented() -> None:
    """targets.yaml ships with no target, and a commented example of every key."""
    assert load_content(CONTENT_DIR, TODAY, render_check=check_rendered).targets == ()
    text = (CONTENT_DIR / "targets.yaml").read_text(encoding="utf-8")
    example = text.split("replace every value:", 1)[1]
    keys = ("id", "kind", "name", "state", "county", "phone", "url", "ask", "script", "checked")
    for key in keys:
        assert re.search(rf"^#\s+(- )?{key}:", example, re.MULTILINE), key
        assert re.search(rf"^#   {key} ", text, re.MULTILINE), key  # documented
    assert re.search(r"^#   city ", text, re.MULTILINE)


def test_the_commented_example_cannot_go_live(tmp_path: Path) -> None:
    """Uncommented as is, the example is refused: its number is fictional and its address an
    example one; nothing invented reaches a supporter."""
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    path = directory / "targets.yaml"
    text = path.read_text(encoding="utf-8")
    block = text.split("replace every value:\n#\n", 1)[1].split("\n\n", 1)[0]
    example = "\n".join(line[1:] for line in block.splitlines())
    path.write_text(text.replace("targets: []", "targets:\n" + example), encoding="utf-8")
    errors = target_problems(directory)
    assert any("phone: '713-555-0100' is a fictional number" in e for e in errors), errors
    assert any("url: 'https://www.example.org/commissioners' is an example" in e for e in errors)
    assert len(errors) == 2


def test_fixture_targets_load(content_dir: Path) -> None:
    """Every field is read; city, county and statewide targets keep their file order."""
    targets = load_content(content_dir, TODAY, render_check=check_rendered).targets
    assert [t.id for t in targets] == [
        "harris-commissioners",
        "houston-council",
        "texas-governor",
        "st-paul-council",
        "hillsborough-sheriff",
    ]
    council = targets[1]
    assert (council.kind, council.state, council.county, council.city) == (
        "city_council",
        "TX",
        "Harris County",
        "Houston",
    )
    assert (council.phone, council.url, council.checked) == (
        "(713) 555-2001 ext. 4",
        None,
        "2026-06-01",
    )
    assert council.name.get("es") == "Concejo Municipal de Houston"
    assert council.script.get("en") == "Hello, I live in Houston."


def test_targets_match_by_city_county_or_state(content_dir: Path) -> None:
    """A city's targets first, then its county's, then the state's; names match whatever
    their case, "County" suffix or "Saint"/"St." spelling; other states never match."""
    targets = load_content(content_dir, TODAY, render_check=check_rendered).targets

    def ids(state: str, county: str | None = None, city: str | None = None) -> list[str]:
        return [t.id for t in targets_for_place(targets, state, county, city)]

    assert ids("TX", "Harris County", "Houston") == [
        "houston-council",
        "harris-commissioners",
        "texas-governor",
    ]
    assert ids("tx", "harris", "Pasadena") == ["harris-commissioners", "texas-governor"]
    assert ids("TX", None, "HOUSTON") == ["houston-council", "texas-governor"]
    assert ids("TX", "Fort Bend County", "Houston") == ["texas-governor"]  # another county
    assert ids("TX", "Travis County", "Austin") == ["texas-governor"]
    assert ids("MN", "Ramsey County", "St. Paul") == ["st-paul-council"]
    assert ids("FL", "Hillsborough County", "Tampa") == ["hillsborough-sheriff"]
    assert ids("NH", "Hillsborough County") == []  # the same county name in another state
    assert ids("CA", "Los Angeles County", "Los Angeles") == []


def broken(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[Path], None]:
    return lambda directory: edit_targets(directory, change)


@pytest.mark.parametrize(
    ("breakage", "key", "message"),
    [
        (broken(lambda t: t[0].update(conty="Harris")), "targets[0].conty", "unknown key 'conty'"),
        (broken(lambda t: t[2].pop("url")), "targets[2]", "give a phone, a url or both"),
        (broken(lambda t: t[0].update(phone="713-555-0142")), "targets[0].phone", "fictional"),
        (broken(lambda t: t[0].update(phone="call us")), "targets[0].phone", "not a phone"),
        (broken(lambda t: t[0].update(phone="713-55-2000")), "targets[0].phone", "10 digits"),
        (broken(lambda t: t[0].update(url="http://x.gov/a")), "targets[0].url", "not an https"),
        (
            broken(lambda t: t[0].update(url="https://www.example.com/x")),
            "targets[0].url",
            "an example address",
        ),
        (broken(lambda t: t[0].update(state="XX")), "targets[0].state", "not a state code"),
        (broken(lambda t: t[1].update(id="harris-commissioners")), "targets[1].id", "duplicate"),
        (broken(lambda t: t[0].update(id="Harris Court")), "targets[0].id", "is not an id"),
        (broken(lambda t: t[0].update(kind="judge")), "targets[0].kind", "is not one of"),
        (broken(lambda t: t[0]["name"].pop("es")), "targets[0].name", "missing language 'es'"),
        (
            broken(lambda t: t[0]["ask"].update(en="Ask {name} to act.")),
            "targets[0].ask.en",
            "no {placeholders}",
        ),
        (
            broken(lambda t: t[0]["script"].update(es="<b>Hola</b>")),
            "targets[0].script.es",
            "remove the HTML",
        ),
        (
            broken(lambda t: t[0]["script"].update(en="x" * 1501)),
            "targets[0].script.en",
            "too long",
        ),
        (broken(lambda t: t[0].update(checked="2030-01-01")), "targets[0].checked", "future"),
        (broken(lambda t: t[0].update(checked="June 1")), "targets[0].checked", "not a date"),
        (broken(lambda t: t[0].update(county=["Harris"])), "targets[0].county", "non-empty"),
    ],
)
def test_each_broken_target_names_file_line_and_key(
    content_dir: Path, breakage: Callable[[Path], None], key: str, message: str
) -> None:
    """Every problem is an error naming targets.yaml, the line and the key path."""
    breakage(content_dir)
    content, problems = check_content(content_dir, TODAY, render_check=check_rendered)
    assert content is None
    found = [p for p in problems if p.file == "targets.yaml" and p.key == key]
    assert found, [str(p) for p in problems]
    problem: Problem = found[0]
    assert problem.severity == "error" and message in problem.message
    assert problem.line is not None and problem.line > 1


def test_broken_files_are_errors(content_dir: Path) -> None:
    """Invalid YAML, a list where a mapping belongs, an unknown top key, a missing file."""
    path = content_dir / "targets.yaml"
    path.write_text("targets: [\n", encoding="utf-8")
    assert any("invalid YAML" in e for e in target_problems(content_dir))
    path.write_text("- a\n- b\n", encoding="utf-8")
    assert any("expected a mapping" in e for e in target_problems(content_dir))
    path.write_text("targets: []\ntarget: []\n", encoding="utf-8")
    assert target_problems(content_dir) == [
        "error: targets.yaml:2: target: unknown key 'target' (the file holds one list: targets)"
    ]
    path.write_text("targets:\n", encoding="utf-8")
    assert load_content(content_dir, TODAY, render_check=check_rendered).targets == ()
    path.unlink()
    assert target_problems(content_dir) == ["error: targets.yaml: file is missing"]


def test_old_contact_data_is_a_warning(content_dir: Path) -> None:
    """A target checked more than a year ago still serves, with a warning to re-check."""
    edit_targets(content_dir, lambda t: t[0].update(checked="2025-06-01"))
    line = line_of(content_dir, "checked: '2025-06-01'")
    assert target_problems(content_dir, "warning") == [
        f"warning: targets.yaml:{line}: targets[0].checked: checked 548 days ago: check the "
        "phone and address"
    ]
    assert len(load_content(content_dir, TODAY, render_check=check_rendered).targets) == 5


def test_check_content_warns_about_a_county_the_place_data_lacks(content_dir: Path) -> None:
    """`check-content` (deep) warns when a county would never match, suggesting the spelling
    the place data has; the bot's own loading does not read the place data for this."""
    edit_targets(content_dir, lambda t: t[0].update(county="Haris County"))
    edit_targets(content_dir, lambda t: t[4].update(county="Nowhere County"))
    assert target_problems(content_dir, "warning") == []
    warnings = target_problems(content_dir, "warning", deep=True)
    assert warnings == [
        f"warning: targets.yaml:{line_of(content_dir, 'Haris County')}: targets[0].county: "
        "no county 'Haris County' in TX: did you mean Harris County?",
        f"warning: targets.yaml:{line_of(content_dir, 'Nowhere County')}: targets[4].county: "
        "no county 'Nowhere County' in FL: it will match no one",
    ]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("713-555-2000", True),
        ("(713) 555-2000", True),
        ("+1 713 555 2000", True),
        ("713.555.2000 x12", True),
        ("713-555-2000 extension 7", True),
        ("713-555-0199", False),
        ("555-2000", False),
        ("013-555-2000", False),
        ("713-055-2000", False),
        ("713-555-2000 ext", False),
        ("tel:7135552000", False),
    ],
)
def test_phone_numbers(text: str, ok: bool) -> None:
    """US numbers of 10 digits in the usual ways, an extension allowed; no fictional ones."""
    assert (phone_problem(text) is None) is ok
