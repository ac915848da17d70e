"""ICE's newer per-state totals (``bot.agreements.totals``): the table read and checked, the
file written and read back, the content that holds it, and ``outreach-bot import-agreements``
given a table instead of ICE's spreadsheet."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.agreements import ImportProblem
from bot.agreements.totals import (
    TOTALS_FILE,
    StateTotals,
    dump_totals,
    import_totals,
    load_totals,
    parse_totals,
    read_totals_csv,
    source_name,
)
from bot.cli import main
from bot.content import check_content
from bot.render import check_rendered
from tests.data import STATE_COUNTS, STATE_COUNTS_URL
from tests.harness import CONTENT_DIR

HEADER = "state,task_force,warrant_service,jail,total\n"
GOOD = HEADER + "Texas,220,144,52,416\nFlorida,274,65,10,349\nGuam,1,0,0,1\n"


def write(tmp_path: Path, text: str, name: str = "counts-2026-06-09.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the table -------------------------------------------------------------------------------


def test_the_table_of_june_9_2026() -> None:
    """The fixture (appelson/Tracking_287g's table of ICE's list of June 9, 2026): 40 states
    and territories, 1,934 agreements, Florida 349 of them; Maryland and California none."""
    counts = read_totals_csv(STATE_COUNTS)
    assert len(counts) == 40
    assert sum(sum(c.values()) for c in counts.values()) == 1934
    assert counts["FL"] == {"task_force": 274, "warrant_service": 65, "jail": 10}
    assert counts["GU"] == {"task_force": 1, "warrant_service": 0, "jail": 0}
    assert "MD" not in counts and "CA" not in counts
    by_model = {m: sum(c[m] for c in counts.values()) for m in counts["FL"]}
    assert by_model == {"task_force": 1248, "warrant_service": 506, "jail": 180}


def test_the_table_tolerates_what_editors_and_spreadsheets_write(tmp_path: Path) -> None:
    """A byte-order mark, capitals and spaces in the header, USPS codes, thousands separators,
    blank lines, a grand-total row that adds up, and a state with 0 (none)."""
    text = (
        "\ufeff State , TASK_FORCE,warrant_service,jail , Total\n\n"
        'TX,220,144,52,416\n"Florida", 274 ,65,10,349\nmaine,0,0,0,0\n'
        "All states,494,209,62,765\n\n"
    )
    counts = read_totals_csv(write(tmp_path, text))
    assert set(counts) == {"TX", "FL"}  # Maine: none, as if absent


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("state,total\nTexas,416\n", "missing column(s) task_force, warrant_service, jail"),
        (HEADER, "no state below the header"),
        (HEADER + "Narnia,1,0,0,1\n", ":2: unknown state 'Narnia'"),
        (HEADER + "Texas,220,many,52,416\n", ":2: warrant_service 'many' is not a whole number"),
        (HEADER + "Texas,220,144,52,\n", ":2: total '' is not a whole number"),
        (HEADER + "Texas,-1,144,52,195\n", ":2: task_force '-1' is not a whole number"),
        (HEADER + "Texas,2.5,144,52,416\n", "task_force '2.5' is not a whole number"),
        (HEADER + "Texas,220,144,52,417\n", ":2: Texas's total 417 is not 220 + 144 + 52 = 416"),
        (HEADER + "Texas,220,144,52,416\nTX,1,0,0,1\n", ":3: Texas is listed twice"),
        (HEADER + "Texas,220,144,52,416\nTotal,1,1,1,3\n", ":3: the grand total 3 is not 416"),
        (HEADER + "Texas,220,144\n", "jail '' is not a whole number"),
    ],
)
def test_a_broken_table_is_refused_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    """Unknown states, cells that are not whole numbers, totals that do not add up, a state
    twice, a missing column: a clear message naming the line."""
    with pytest.raises(ImportProblem, match=rf".*{re.escape(message)}"):
        read_totals_csv(write(tmp_path, text))


def test_every_problem_of_a_table_is_reported_at_once(tmp_path: Path) -> None:
    """Two bad rows: both named in one message."""
    text = HEADER + "Narnia,1,0,0,1\nTexas,x,144,52,416\n"
    with pytest.raises(ImportProblem) as caught:
        read_totals_csv(write(tmp_path, text))
    assert "(2 problem(s))" in str(caught.value)


@pytest.mark.parametrize("raw", [b"\xff\xfe s\x00t\x00", b"state,task_force\n" + b"x" * 1_000_001])
def test_a_file_that_is_no_table_is_refused(tmp_path: Path, raw: bytes) -> None:
    """Not UTF-8, or far too large for a table of states."""
    path = tmp_path / "counts-2026-06-09.csv"
    path.write_bytes(raw)
    with pytest.raises(ImportProblem):
        read_totals_csv(path)


# -- the file --------------------------------------------------------------------------------


def test_the_file_round_trips_and_documents_itself() -> None:
    """The written file explains itself, lists states most first, and reads back equal."""
    totals = StateTotals(
        "2026-06-09",
        "appelson/Tracking_287g",
        STATE_COUNTS_URL,
        read_totals_csv(STATE_COUNTS),
    )
    text = dump_totals(totals)
    assert text.startswith("# ICE's newer per-state totals")
    assert (
        "\nstates:\n  TX: {task_force: 220, warrant_service: 144, jail: 52, total: 416}\n" in text
    )
    assert parse_totals(text) == totals
    assert totals.total("fl") == 349 and totals.total("CA") == 0
    assert totals.grand_total() == 1934


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"as_of": "June 2026"}, "as_of: expected the date"),
        ({"url": "http://example.com/x"}, "url: expected an https link"),
        ({"source": ""}, "source: expected a non-empty text"),
        ({"states": {"XX": {}}}, "'XX' is not a USPS state code"),
        (
            {"states": {"TX": {"task_force": 1, "warrant_service": 0, "jail": 0, "total": 2}}},
            "total: 2 is not the sum of the models",
        ),
        (
            {"states": {"TX": {"task_force": "1", "warrant_service": 0, "jail": 0, "total": 1}}},
            "task_force: expected a whole number",
        ),
        ({"states": {"TX": {"task_force": 1, "total": 1}}}, "warrant_service: missing"),
        ({"extra": 1}, "extra: unknown key"),
    ],
)
def test_a_broken_file_is_refused_with_line_and_key(
    change: dict[str, object], message: str
) -> None:
    """Each problem names the file, the line and the key."""
    data = yaml.safe_load(dump_totals(StateTotals("2026-06-09", "x", STATE_COUNTS_URL, {})))
    data.update(change)
    with pytest.raises(ImportProblem, match=f"agreement-totals.yaml:\\d+: .*{re.escape(message)}"):
        parse_totals(yaml.safe_dump(data))


# -- the import ------------------------------------------------------------------------------


def test_import_writes_the_totals_dated_by_the_file_name(tmp_path: Path) -> None:
    """The date comes from --as-of, else the file's name; the source is named after the URL."""
    out = tmp_path / TOTALS_FILE
    totals = import_totals(write(tmp_path, GOOD), out, None, STATE_COUNTS_URL)
    assert (totals.as_of, totals.source) == ("2026-06-09", "appelson/Tracking_287g")
    assert load_totals(out) == totals
    dated = import_totals(write(tmp_path, GOOD, "x.csv"), out, date(2026, 7, 1), STATE_COUNTS_URL)
    assert dated.as_of == "2026-07-01"


@pytest.mark.parametrize(
    ("name", "url", "check", "message"),
    [
        ("counts.csv", STATE_COUNTS_URL, None, "no date (YYYY-MM-DD) in the file name"),
        ("counts-2026-06-09.csv", "http://github.com/x/y/z", None, "expected an https link"),
        ("counts-2026-06-09.csv", STATE_COUNTS_URL, "a repository's front page", "front page"),
    ],
)
def test_import_refuses_and_leaves_the_old_file(
    tmp_path: Path, name: str, url: str, check: str | None, message: str
) -> None:
    """No date, a URL that is not https or that a content rule refuses, a broken table: the
    old file is left exactly as it was."""
    out = tmp_path / TOTALS_FILE
    out.write_text("old", encoding="utf-8")
    with pytest.raises(ImportProblem, match=re.escape(message)):
        import_totals(write(tmp_path, GOOD, name), out, None, url, None, lambda _: check)
    with pytest.raises(ImportProblem):
        import_totals(write(tmp_path, HEADER + "Narnia,1,0,0,1\n"), out, None, url)
    assert out.read_text(encoding="utf-8") == "old"


def test_source_name() -> None:
    assert source_name(STATE_COUNTS_URL) == "appelson/Tracking_287g"
    assert source_name("https://www.example.org/a/b") == "example.org"


# -- the content -----------------------------------------------------------------------------


def test_the_shipped_totals_are_the_table_imported(tmp_path: Path) -> None:
    """content/agreement-totals.yaml is exactly the fixture table imported, citing the README
    of appelson/Tracking_287g at a commit."""
    fresh = import_totals(STATE_COUNTS, tmp_path / TOTALS_FILE, None, STATE_COUNTS_URL)
    assert load_totals(CONTENT_DIR / TOTALS_FILE) == fresh
    assert (CONTENT_DIR / TOTALS_FILE).read_text(encoding="utf-8") == (
        tmp_path / TOTALS_FILE
    ).read_text(encoding="utf-8")


def copy_content(tmp_path: Path) -> Path:
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    return directory


def test_content_without_totals_still_loads(tmp_path: Path) -> None:
    """The totals are optional: without the file the answers give the county list's only."""
    directory = copy_content(tmp_path)
    (directory / TOTALS_FILE).unlink()
    content, problems = check_content(directory, render_check=check_rendered)
    assert content is not None and content.totals is None
    assert not [p for p in problems if p.severity == "error"]


def test_content_refuses_totals_that_cite_a_home_page(tmp_path: Path) -> None:
    """The totals' link obeys the content's rules for sources: a repository's front page is
    refused, as it is for a card."""
    directory = copy_content(tmp_path)
    path = directory / TOTALS_FILE
    text = path.read_text(encoding="utf-8").replace(
        STATE_COUNTS_URL, "https://github.com/appelson/Tracking_287g"
    )
    path.write_text(text, encoding="utf-8")
    content, problems = check_content(directory, render_check=check_rendered)
    assert content is None
    assert any(p.file == TOTALS_FILE and "front page" in p.message for p in problems)


def test_content_warns_of_totals_not_newer_than_the_county_list(tmp_path: Path) -> None:
    """Totals as old as the county list are not shown, and check-content says so."""
    directory = copy_content(tmp_path)
    path = directory / TOTALS_FILE
    path.write_text(
        path.read_text(encoding="utf-8").replace("2026-06-09", "2025-07-18"), encoding="utf-8"
    )
    content, problems = check_content(directory, render_check=check_rendered)
    assert content is not None
    assert any("not newer than the county list" in p.message for p in problems)


# -- the command -----------------------------------------------------------------------------


@pytest.fixture
def content_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = copy_content(tmp_path)
    monkeypatch.setenv("OUTREACH_CONTENT", str(directory))
    monkeypatch.setenv("OUTREACH_DB", str(tmp_path / "db.sqlite3"))
    return directory


def test_cli_imports_a_table_of_totals(
    content_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`import-agreements TABLE.csv --source-url URL` writes the totals and lists them."""
    table = write(tmp_path, GOOD, "counts-2026-07-01.csv")
    assert main(["import-agreements", str(table), "--source-url", STATE_COUNTS_URL]) == 0
    out = capsys.readouterr().out
    assert "TX  Texas" in out and "416" in out
    assert (
        f"wrote 766 agreements in 3 states and territories as of 2026-07-01 (source: "
        f"appelson/Tracking_287g) to {content_env / TOTALS_FILE}" in out
    )
    assert load_totals(content_env / TOTALS_FILE).as_of == "2026-07-01"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([], 2, "give --source-url URL"),
        (["--source-url", "https://github.com/appelson/Tracking_287g"], 1, "front page"),
    ],
)
def test_cli_refuses_a_table_without_a_citable_source(
    content_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    """Every answer cites the totals: no source, or a home page, and nothing is written."""
    before = (content_env / TOTALS_FILE).read_bytes()
    assert main(["import-agreements", str(write(tmp_path, GOOD)), *args]) == code
    assert message in capsys.readouterr().err
    assert (content_env / TOTALS_FILE).read_bytes() == before


def test_cli_refuses_a_broken_table(
    content_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table that does not add up: the message names the line; the file is unchanged."""
    before = (content_env / TOTALS_FILE).read_bytes()
    table = write(tmp_path, HEADER + "Texas,220,144,52,999\n")
    assert main(["import-agreements", str(table), "--source-url", STATE_COUNTS_URL]) == 1
    err = capsys.readouterr().err
    assert "counts-2026-06-09.csv:2: Texas's total 999 is not 220 + 144 + 52 = 416" in err
    assert "was not changed" in err
    assert (content_env / TOTALS_FILE).read_bytes() == before
