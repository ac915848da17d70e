"""Helpers for the imported data files (``bot.datafiles``): atomic writes, where problems are."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.datafiles import (
    KeyLines,
    check_keys,
    format_key,
    iso_date,
    load_yaml,
    problems_message,
    read_text,
    write_atomically,
)


def test_several_files_are_written_together(tmp_path: Path) -> None:
    """Both files get their new text; an existing file keeps its permissions."""
    first, second = tmp_path / "a.yaml", tmp_path / "b.txt"
    first.write_text("old\n", encoding="utf-8")
    first.chmod(0o600)
    write_atomically({first: "new a\n", second: "new b\n"})
    assert first.read_text(encoding="utf-8") == "new a\n"
    assert second.read_text(encoding="utf-8") == "new b\n"
    assert first.stat().st_mode & 0o777 == 0o600
    assert second.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.txt"]


def test_a_failure_on_one_file_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    """When the second file cannot be written, the first is not replaced and no temporary
    file is left behind."""
    first = tmp_path / "a.yaml"
    first.write_text("old\n", encoding="utf-8")
    with pytest.raises(OSError, match="no such directory"):
        write_atomically({first: "new\n", tmp_path / "missing" / "b.txt": "b\n"})
    assert first.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.yaml"]


def test_problems_name_the_line_and_the_key() -> None:
    """A problem's key path is written as in the file and found on its line."""
    raw = "as_of: 2026-06-15\nmembers:\n- id: A1\n  phone: nope\n- id: B2\n"
    assert format_key(("members", 0, "phone")) == "members[0].phone"
    assert KeyLines(raw).line(("members", 0, "phone")) == 4
    assert KeyLines(raw).line(("members", 1, "missing")) == 5  # the closest parent
    message = problems_message(raw, "c.yaml", "file", [(("members", 0, "phone"), "bad")] * 25)
    assert message.startswith("c.yaml: not a valid file (25 problem(s)):\nc.yaml:4: members[0]")
    assert message.endswith("... and 5 more")


def test_keys_dates_and_reading_errors(tmp_path: Path) -> None:
    """Unknown and missing keys are problems at their path; dates are read as ISO text; a
    missing, unreadable or non-YAML file raises the caller's error naming it."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    assert not check_keys(["a"], ("x", 0), ("id", "name"), problems)
    assert check_keys({"id": 1, "nmae": 2}, ("x", 1), ("id", "name"), problems)
    assert problems == [
        (("x", 0), "expected a mapping of id, name"),
        (("x", 1, "nmae"), "unknown key"),
        (("x", 1, "name"), "missing (write null for none)"),
    ]
    assert iso_date(date(2026, 6, 15)) == iso_date(" 2026-06-15 ") == "2026-06-15"
    assert iso_date("June 15") is None and iso_date(20260615) is None
    with pytest.raises(ValueError, match=r"^data\.yaml: file is missing$"):
        read_text(tmp_path / "data.yaml", ValueError, "file is missing", "data.yaml")
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match=r"bad\.yaml: cannot read the file"):
        read_text(tmp_path / "bad.yaml", ValueError)
    with pytest.raises(ValueError, match=r"^d\.yaml:2: invalid YAML"):
        load_yaml("a: 1\n b: [\n", "d.yaml", ValueError)
