"""The Congress data as part of the content: dated at load, read on first use, checked in
full by ``check-content``, with a warning once a new Congress has taken office."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.congress import MEMBERS_FILE, ZIPS_FILE, CongressFileError
from bot.content import check_content, load_content
from bot.render import check_rendered
from tests.harness import CONTENT_DIR

LOADED_ON = date(2026, 12, 1)  # a day the shipped content is valid (its cards were checked before)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def congress_problems(directory: Path, today: date, deep: bool = False) -> list[str]:
    _, problems = check_content(directory, today, deep=deep, render_check=check_rendered)
    return [str(p) for p in problems if p.file in (MEMBERS_FILE, ZIPS_FILE)]


def test_loading_the_content_does_not_read_the_members_or_zip_codes() -> None:
    """The bot's start reads only the data's date; the first lookup reads the rest."""
    content = load_content(CONTENT_DIR, LOADED_ON, render_check=check_rendered)
    assert (content.congress.as_of, content.congress.congress) == ("2026-06-15", 119)
    assert not content.congress.loaded
    assert len(content.congress.load().members) == 537
    assert content.congress.loaded


def test_a_new_congress_is_a_warning_until_reimported() -> None:
    """From January 3, 2027 check-content warns that the members may be out of date."""
    assert congress_problems(CONTENT_DIR, date(2027, 1, 2)) == []
    assert congress_problems(CONTENT_DIR, date(2027, 1, 3)) == [
        "warning: congress.yaml: congress: a new Congress took office on January 3, 2027: these "
        "members of the 119th Congress (as of 2026-06-15) may be out of date; import the "
        "dataset's newer files with `outreach-bot import-congress`"
    ]
    content = load_content(CONTENT_DIR, date(2027, 3, 1), render_check=check_rendered)
    assert any("a new Congress took office" in str(w) for w in content.warnings)


def test_check_content_names_members_whose_term_ended() -> None:
    """Read in full, the data shows the appointed senators whose term ended on November 3,
    2026; the bot's own loading does not read that far."""
    assert congress_problems(CONTENT_DIR, date(2026, 11, 27)) == []
    assert congress_problems(CONTENT_DIR, date(2026, 11, 27), deep=True) == [
        "warning: congress.yaml: members: the term of 2 member(s) has ended: Ashley Moody (FL, "
        "2026-11-03), Jon Husted (OH, 2026-11-03); import the dataset's newer files with "
        "`outreach-bot import-congress`"
    ]
    assert congress_problems(CONTENT_DIR, date(2026, 11, 2), deep=True) == []


@pytest.mark.parametrize("name", [MEMBERS_FILE, ZIPS_FILE])
def test_a_missing_file_is_an_error(content_dir: Path, name: str) -> None:
    """Without either file the content is refused, saying how to create it."""
    (content_dir / name).unlink()
    content, problems = check_content(content_dir, LOADED_ON, render_check=check_rendered)
    assert content is None
    assert [(p.file, p.message) for p in problems if p.severity == "error"] == [
        (name, f"{name}: file is missing: create it with `outreach-bot import-congress`")
    ]


def test_a_broken_zip_file_is_found_by_check_content(
    content_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ZIP file broken below its header: the bot's loading does not see it (its first lookup
    will, with a clear error); check-content does, and exits 1."""
    zips = content_dir / ZIPS_FILE
    zips.write_text(zips.read_text("utf-8") + "77002 TX-7 nonsense\n", "utf-8")
    content = load_content(content_dir, LOADED_ON, render_check=check_rendered)
    with pytest.raises(CongressFileError, match=r"congress-zips\.txt:33786: expected a ZIP code"):
        content.congress.load()
    errors = congress_problems(content_dir, LOADED_ON, deep=True)
    assert len(errors) == 1 and errors[0].startswith("error: congress-zips.txt: congress-zips")
    assert "congress-zips.txt:33786" in errors[0]
    assert cli_main(["check-content", str(content_dir)]) == 1
    assert "congress-zips.txt:33786" in capsys.readouterr().out


def test_a_members_file_broken_at_the_top_stops_the_content(content_dir: Path) -> None:
    """A members file whose date cannot be read is refused at once."""
    members = content_dir / MEMBERS_FILE
    members.write_text(members.read_text("utf-8").replace("as_of: '2026-06-15'", "as_of: x"))
    errors = congress_problems(content_dir, LOADED_ON)
    assert errors and "expected as_of (YYYY-MM-DD), congress and source" in errors[0]
