"""Helpers for the imported data files (``bot.datafiles``): atomic writes, where problems are."""

from __future__ import annotations

import pickle
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.datafiles import (
    KeyLines,
    ParseCache,
    check_keys,
    format_key,
    iso_date,
    load_yaml,
    parse_cache,
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


# -- the parse cache ---------------------------------------------------------------------------

TEXT = "as_of: 2025-07-18\nitems:\n- name: Ana\n  count: 3\n- name: Luis\n  tags: [a, b]\n"
PARSED = {
    "as_of": date(2025, 7, 18),
    "items": [{"name": "Ana", "count": 3}, {"name": "Luis", "tags": ["a", "b"]}],
}


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(yaml, "load", refuse)


def test_parse_cache_gives_back_what_was_parsed_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second read of the same text comes from the cache (even in a new process: a new
    cache object on the same directory), equal to what parsing gives."""
    assert ParseCache(tmp_path / "cache").parse(TEXT, "list.yaml") == PARSED
    _no_parsing(monkeypatch)
    assert ParseCache(tmp_path / "cache").parse(TEXT, "list.yaml") == PARSED


def test_parse_cache_parses_an_edited_text_again(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    cache.parse(TEXT, "list.yaml")
    edited = TEXT.replace("Ana", "Ana María")
    assert cache.parse(edited, "list.yaml")["items"][0]["name"] == "Ana María"
    assert ParseCache(tmp_path / "cache").parse(TEXT, "list.yaml") == PARSED


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a pickle at all",
        pickle.dumps(("format", "digest")),
        # a tampered file that would run a command if unpickled naively
        b"cos\nsystem\n(S'touch /tmp/never'\ntR.",
    ],
)
def test_parse_cache_ignores_a_damaged_or_tampered_file(tmp_path: Path, damage: bytes) -> None:
    """A cache file that is not what the cache wrote is parsed over (and nothing in it runs)."""
    cache = ParseCache(tmp_path)
    cache.parse(TEXT, "list.yaml")
    (tmp_path / "list.yaml.pickle").write_bytes(damage)
    assert ParseCache(tmp_path).parse(TEXT, "list.yaml") == PARSED
    assert ParseCache(tmp_path)._read(tmp_path / "list.yaml.pickle") is not None  # rewritten


def test_parse_cache_in_a_place_that_cannot_be_written_only_parses(tmp_path: Path) -> None:
    """A cache directory that cannot be made (here under a file; a read-only disk alike)
    changes nothing but the speed."""
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    cache = ParseCache(blocker / "cache")
    assert cache.parse(TEXT, "list.yaml") == PARSED
    assert cache.parse(TEXT, "list.yaml") == PARSED


def test_invalid_yaml_is_never_kept(tmp_path: Path) -> None:
    """Broken YAML is reported by parsing, every time, with its line: nothing is kept."""
    with parse_cache(tmp_path):
        for _ in range(2):
            with pytest.raises(ValueError, match=r"^list\.yaml:\d+: invalid YAML"):
                load_yaml("a: 1\nb: [unclosed\n", "list.yaml", ValueError)
    assert list(tmp_path.iterdir()) == []


def test_the_parse_cache_is_used_only_within_its_block(tmp_path: Path) -> None:
    with parse_cache(tmp_path / "kept"):
        load_yaml(TEXT, "list.yaml", ValueError)
    load_yaml(TEXT, "other.yaml", ValueError)
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["list.yaml.pickle"]
