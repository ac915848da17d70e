"""Helpers for the data files importers write and the bot reads back (agreements, Congress).

* Messages that say where a problem is: :func:`format_key` writes a key path as
  ``members[3].phone``; :class:`KeyLines` finds the line a key path is written on, composing
  the YAML only when a problem is reported (the files are read with the C loader, which is fast
  but keeps no line numbers); :func:`problems_message` puts the two together. The content
  loader uses the same two for its own files.
* :func:`read_text` and :func:`load_yaml` read a file and its YAML (with the C loader where
  PyYAML has it), raising the caller's own error with a message that names the file;
  :func:`parse_yaml` is the parse both they and the content loader use: within
  :func:`parse_cache`, what it parsed is kept in a directory (see :class:`ParseCache`) and
  read back while the text is the same;
* :func:`as_of_from_filename` finds the date a downloaded data file is of in its name;
* :func:`write_atomically` replaces one or several files so that a failure leaves every old
  file exactly as it was.

This module imports neither ``telegram`` nor the content package.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "HTTPS_URL_RE",
    "MAX_SHOWN",
    "KeyLines",
    "KeyPath",
    "as_of_from_filename",
    "check_keys",
    "format_key",
    "iso_date",
    "load_yaml",
    "parse_cache",
    "parse_yaml",
    "problem_list",
    "problems_message",
    "read_text",
    "write_atomically",
    "yaml_error_message",
]

KeyPath = tuple[str | int, ...]
MAX_SHOWN = 20  # problems listed in one message; the rest are counted

# A link the bot may show: https, a host with a dot, no spaces (content, targets, Congress).
HTTPS_URL_RE = re.compile(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$")


def format_key(key: KeyPath) -> str:
    """``("members", 3, "phone")`` -> ``members[3].phone``."""
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class KeyLines:
    """The lines key paths are written on in a YAML text, found when first asked.

    The files are read with the C loader, which is fast but keeps no line numbers; the text is
    composed (PyYAML's node tree, which does) only on the first :meth:`line` call, that is
    when a problem is reported. The content loader and the data files share this one mapper.
    """

    def __init__(self, raw: str) -> None:
        self._raw: str | None = raw
        self._root: yaml.Node | None = None

    def _composed(self) -> yaml.Node | None:
        if self._raw is not None:
            try:
                loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                self._root = yaml.compose(self._raw, Loader=loader)
            except yaml.YAMLError:
                self._root = None
            self._raw = None
        return self._root

    def line(self, key: KeyPath) -> int | None:
        """The 1-based line ``key`` is written on, else that of its closest existing parent;
        None for a text with no YAML document.

        A mapping's key is found on the line of the key itself (where its value begins may be
        the next line); of two equal keys the last counts, as it does for the value.
        """
        node = self._composed()
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in key:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key_node, value_node in reversed(node.value):
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                        child, line = value_node, key_node.start_mark.line + 1
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line


def read_text(
    path: Path, error: type[Exception], missing: str = "no such file", name: str | None = None
) -> str:
    """The UTF-8 text of ``path``; ``error("<name>: <missing>")`` if there is no such file,
    ``error`` naming the reason if it cannot be read (``name`` defaults to the path)."""
    where = name or str(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"{where}: {missing}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{where}: cannot read the file: {exc}") from exc


def load_yaml(raw: str, name: str, error: type[Exception]) -> Any:
    """The data in YAML text ``raw`` (the safe loader, in C where PyYAML has it: several times
    faster); ``error("name:line: invalid YAML: ...")`` if it is not YAML."""
    try:
        return parse_yaml(raw, name)
    except yaml.YAMLError as exc:
        raise error(yaml_error_message(exc, name)) from exc


class _PlainData(pickle.Unpickler):
    """Unpickles what YAML's safe loader makes and nothing else: no class is looked up but
    dates and times, so a tampered cache file can run no code."""

    ALLOWED: frozenset[tuple[str, str]] = frozenset(
        {
            ("datetime", "date"),
            ("datetime", "datetime"),
            ("datetime", "timezone"),
            ("datetime", "timedelta"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"not plain data: {module}.{name}")
        return super().find_class(module, name)


class ParseCache:
    """What YAML texts parse to, kept in ``directory``: one file per content file name, holding
    the SHA-256 of the text it was parsed from and the data.

    PyYAML builds every object in Python even with libyaml (about 0.1 s for the agreements
    file); reading the kept data back takes a few milliseconds. A text that differs from the
    one kept (the file was edited or imported again) is parsed and kept anew; a cache file that
    cannot be read, is damaged or holds anything but plain data is ignored; a directory that
    cannot be written (a read-only disk) only means parsing every time. Texts that are not
    YAML are never kept: their error is reported by parsing, every time.
    """

    FORMAT = 1  # bump when what is kept changes

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._writable = True
        self._stamp = (self.FORMAT, yaml.__version__, hasattr(yaml, "CSafeLoader"))

    def parse(self, raw: str, name: str) -> Any:
        digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
        path = self.directory / (Path(name).name + ".pickle")
        kept = self._read(path)
        if kept is not None and kept[0] == self._stamp and kept[1] == digest:
            return kept[2]
        data = _parse(raw)
        self._keep(path, (self._stamp, digest, data))
        return data

    @staticmethod
    def _read(path: Path) -> tuple[Any, ...] | None:
        try:
            kept = _PlainData(io.BytesIO(path.read_bytes())).load()
        except Exception:  # missing, unreadable, damaged or not plain data: parse instead
            return None
        return kept if isinstance(kept, tuple) and len(kept) == 3 else None

    def _keep(self, path: Path, kept: tuple[Any, ...]) -> None:
        if not self._writable:
            return
        try:
            payload = pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=path.name, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(payload)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except (OSError, pickle.PicklingError):
            self._writable = False  # a read-only or full disk: parse every time, quietly


_parse_cache: ParseCache | None = None


@contextlib.contextmanager
def parse_cache(directory: Path) -> Iterator[ParseCache]:
    """Within this block, YAML parsed in this process is kept in ``directory`` (see
    :class:`ParseCache`). The bot's start does; ``check-content`` never does."""
    global _parse_cache
    previous, _parse_cache = _parse_cache, ParseCache(directory)
    try:
        yield _parse_cache
    finally:
        _parse_cache = previous


def _parse(raw: str) -> Any:
    return yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def parse_yaml(raw: str, name: str) -> Any:
    """The data in YAML text ``raw`` (file ``name``), from the parse cache when one is in use
    and it holds this very text; raises ``yaml.YAMLError`` if it is not YAML."""
    cache = _parse_cache
    return cache.parse(raw, name) if cache is not None else _parse(raw)


def yaml_error_message(exc: yaml.YAMLError, name: str) -> str:
    """``name:line: invalid YAML: reason`` for a parser error."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{name}:{mark.line + 1}" if mark is not None else name
    reason = getattr(exc, "problem", None) or str(exc)
    return f"{where}: invalid YAML: {reason}"


def problems_message(
    raw: str, name: str, what: str, problems: Sequence[tuple[KeyPath, str]]
) -> str:
    """One message listing ``problems`` (key path, message) as ``name:line: key: message``."""
    lines = KeyLines(raw)
    return problem_list(
        name,
        what,
        [
            f"{name}:{lines.line(key) or 1}: {format_key(key) + ': ' if key else ''}{message}"
            for key, message in problems
        ],
    )


def problem_list(name: str, what: str, problems: Sequence[str]) -> str:
    """``name: not a valid WHAT (N problem(s)):`` and the first :data:`MAX_SHOWN` problems."""
    more = f"\n... and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
    return (
        f"{name}: not a valid {what} ({len(problems)} problem(s)):\n"
        + "\n".join(problems[:MAX_SHOWN])
        + more
    )


def check_keys(
    item: Any, at: KeyPath, keys: Sequence[str], problems: list[tuple[KeyPath, str]]
) -> bool:
    """Whether ``item`` is a mapping; a problem for each key it has that is not in ``keys``
    and each of ``keys`` it lacks (the files importers write spell out every key)."""
    if not isinstance(item, dict):
        problems.append((at, "expected a mapping of " + ", ".join(keys)))
        return False
    for key in item:
        if key not in keys:
            problems.append(((*at, str(key)), "unknown key"))
    for key in keys:
        if key not in item:
            problems.append(((*at, key), "missing (write null for none)"))
    return True


def iso_date(value: Any) -> str | None:
    """``value`` (a date, or a text YYYY-MM-DD) as an ISO date; None for anything else."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            return None
    return None


_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def as_of_from_filename(path: Path) -> date | None:
    """The date (YYYY-MM-DD) in a file's name: "...agencies-2025-07-18.xlsx" -> 2025-07-18."""
    for m in _FILE_DATE.finditer(path.name):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
    return None


def write_atomically(texts: Mapping[Path, str]) -> None:
    """Write each text to its file, replacing the files only once every one is written.

    Each text goes to a temporary file in its target's directory (flushed to disk), and only
    then are the targets replaced, one :func:`os.replace` each: an error while writing leaves
    every target as it was. A file keeps its permissions; a new one is made readable by all.
    Raises :class:`OSError` (a missing directory, a full disk, no permission).
    """
    written: list[tuple[str, Path]] = []
    try:
        for out, text in texts.items():
            if not out.parent.is_dir():
                raise FileNotFoundError(f"{out.parent}: no such directory")
            mode = out.stat().st_mode & 0o777 if out.exists() else 0o644
            fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
            written.append((tmp, out))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)
        for tmp, out in written:
            os.replace(tmp, out)
    finally:
        for tmp, _ in written:
            Path(tmp).unlink(missing_ok=True)  # gone already once replaced
