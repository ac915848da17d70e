"""One content file being read: its YAML, the lines of its keys, the problems found in it.

:class:`ContentFile` reads a file with the safe loader (libyaml's when PyYAML has it: about ten
times faster) and offers typed readers — a mapping, a text of at most so many characters, a
text in both languages, wordings with placeholders, a date — that each report a
:class:`Problem` naming the file, the line and the key path, and return None when a value
cannot be used. Line numbers come from :class:`bot.datafiles.KeyLines`, composed only when a
problem is reported. Loading never executes anything found in a file.

The content loader (:mod:`bot.content.loader`) and the reader of the local targets
(:mod:`bot.content.targets`) read their files through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.content.models import LANGS, Localized, LocalizedList, Variants
from bot.datafiles import KeyLines, KeyPath, format_key, parse_yaml

__all__ = [
    "ID_RE",
    "PLACEHOLDER_RE",
    "ContentFile",
    "KeyPath",
    "Problem",
    "Severity",
]

Severity = Literal["error", "warning"]

# Lowercase words joined by single hyphens, at most 32 characters: fits callback data and
# deep links (where "--" separates a journey from a source code).
ID_RE = re.compile(r"^(?=.{1,32}$)[a-z0-9]+(-[a-z0-9]+)*$")
PARTIAL_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
PLACEHOLDER_RE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
MIN_VARIANTS = 2


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        return f"{self.severity}: {where}:{key} {self.message}"


def _pure_python_error(raw: str) -> yaml.YAMLError | None:
    """The error PyYAML's pure-Python safe loader reports for ``raw``, if any."""
    try:
        yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        return exc
    return None


class ContentFile:
    """One YAML file being read: its data, where its keys are and the problems found in it.

    Each typed reader reports a problem at a key path (file, line, key) and returns None when
    the value cannot be used; reading goes on, so one pass finds every problem.
    """

    def __init__(self, directory: Path, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems
        self.data: Any = None
        self._lines: KeyLines | None = None
        path = directory / name
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.error((), "file is missing")
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.error((), f"cannot read file: {exc}")
            return
        try:
            self.data = parse_yaml(raw, name)
        except yaml.YAMLError as exc:
            # libyaml words some errors less plainly and places some a line late: a file that
            # does not parse is read again by PyYAML's own safe loader, whose report is kept.
            error = _pure_python_error(raw) or exc
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            reason = getattr(error, "problem", None) or str(error)
            self.problems.append(Problem("error", name, line, "", f"invalid YAML: {reason}"))
            self.data = None
            return
        self._lines = KeyLines(raw)  # composed only if a problem is reported
        if not isinstance(self.data, dict):
            self.error((), "expected a mapping at the top of the file")
            self.data = None

    def line(self, path: KeyPath) -> int | None:
        """The line ``path`` (or its closest existing parent) is written on, if known."""
        return self._lines.line(path) if self._lines is not None else None

    def error(self, path: KeyPath, message: str) -> None:
        self.problems.append(
            Problem("error", self.name, self.line(path), format_key(path), message)
        )

    def warn(self, path: KeyPath, message: str) -> None:
        self.problems.append(
            Problem("warning", self.name, self.line(path), format_key(path), message)
        )

    # typed readers: each reports a problem and returns None when the value is unusable

    def mapping(self, value: Any, path: KeyPath) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, "expected a mapping")
            return None
        return value

    def sequence(self, value: Any, path: KeyPath) -> list[Any] | None:
        if not isinstance(value, list):
            self.error(path, "expected a list")
            return None
        return value

    def string(self, value: Any, path: KeyPath, max_len: int | None = None) -> str | None:
        if isinstance(value, date | int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.error(path, "expected a non-empty text")
            return None
        text: str = value.strip()
        if max_len is not None and len(text) > max_len:
            self.error(path, f"too long: {len(text)} characters, at most {max_len}")
        return text

    def identifier(self, value: Any, path: KeyPath) -> str | None:
        text = self.string(value, path)
        if text is not None and not ID_RE.match(text):
            self.error(
                path,
                f"{text!r} is not an id (lowercase words joined by single '-'; 1-32 characters)",
            )
            return None
        return text

    def localized(self, value: Any, path: KeyPath, max_len: int | None = None) -> Localized | None:
        texts = self._per_language(value, path, lambda v, p: self.string(v, p, max_len))
        return None if texts is None else Localized(en=texts["en"], es=texts["es"])

    def localized_list(self, value: Any, path: KeyPath) -> LocalizedList | None:
        def read(v: Any, p: KeyPath) -> tuple[str, ...] | None:
            items = self.sequence(v, p)
            if items is None:
                return None
            words = [self.string(item, (*p, i)) for i, item in enumerate(items)]
            return tuple(w for w in words if w is not None)

        lists = self._per_language(value, path, read)
        return None if lists is None else LocalizedList(en=lists["en"], es=lists["es"])

    def variants(
        self,
        value: Any,
        path: KeyPath,
        max_len: int,
        minimum: int = MIN_VARIANTS,
        placeholders: frozenset[str] = frozenset(),
    ) -> Variants | None:
        """Several wordings per language, each checked for length and placeholders."""

        def read(v: Any, p: KeyPath) -> tuple[str, ...] | None:
            items = self.sequence(v, p)
            if items is None:
                return None
            texts = []
            for i, item in enumerate(items):
                text = self.string(item, (*p, i), max_len)
                if text is None:
                    continue
                for name in PLACEHOLDER_RE.findall(text):
                    if name not in placeholders:
                        allowed = ", ".join(sorted(placeholders)) or "none"
                        self.error((*p, i), f"unknown placeholder {{{name}}} (allowed: {allowed})")
                texts.append(text)
            if len(texts) < minimum:
                self.error(p, f"at least {minimum} variants are needed, found {len(texts)}")
            return tuple(texts)

        lists = self._per_language(value, path, read)
        return None if lists is None else Variants(en=lists["en"], es=lists["es"])

    def _per_language(
        self, value: Any, path: KeyPath, read: Callable[[Any, KeyPath], Any]
    ) -> dict[str, Any] | None:
        data = self.mapping(value, path)
        if data is None:
            return None
        out: dict[str, Any] = {}
        for lang in LANGS:
            if lang not in data:
                self.error((*path,), f"missing language {lang!r}")
                continue
            item = read(data[lang], (*path, lang))
            if item is not None:
                out[lang] = item
        for extra in sorted(set(data) - set(LANGS), key=str):
            self.warn((*path, extra), f"unknown language {extra!r} is ignored")
        return out if len(out) == len(LANGS) else None

    def iso_date(self, value: Any, path: KeyPath, partial: bool = False) -> str | None:
        if isinstance(value, date):
            return value.isoformat()
        text = self.string(value, path)
        if text is None:
            return None
        if partial and PARTIAL_DATE_RE.match(text):
            parts = [int(p) for p in text.split("-")]
            try:
                date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
            except ValueError:
                self.error(path, f"{text!r} is not a real date")
                return None
            return text
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            self.error(path, f"{text!r} is not a date (YYYY-MM-DD)")
            return None
