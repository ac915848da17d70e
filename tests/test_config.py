"""Configuration: defaults, validation errors that name the variable, a token that never shows."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import (
    SETTINGS,
    ConfigError,
    RedactSecrets,
    Secret,
    bundled_content,
    installed_location,
    load_config,
)

TOKEN = "123456:SECRET-token-value"


def test_defaults() -> None:
    """With an empty environment every setting has its documented default."""
    config = load_config({})
    assert not config.token
    assert config.db_path == Path("outreach.sqlite3")
    assert config.content_dir == bundled_content()
    assert config.organizers == frozenset()
    assert config.default_language == "en"
    assert config.api_url == "https://api.telegram.org"
    assert config.base_url == "https://api.telegram.org/bot"
    assert config.base_file_url == "https://api.telegram.org/file/bot"
    assert config.log_level == "INFO"
    assert (config.draft_retention_days, config.delivery_retention_days) == (30, 90)
    assert (config.broadcast_rate, config.send_limit) == (25.0, 30.0)


def test_values_are_read(tmp_path: Path) -> None:
    """Each variable is read and normalised."""
    config = load_config(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "OUTREACH_DB": str(tmp_path / "x.db"),
            "OUTREACH_CONTENT": str(tmp_path),
            "OUTREACH_ORGANIZERS": " 42, 7 ,",
            "OUTREACH_DEFAULT_LANGUAGE": "ES",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "OUTREACH_LOG_LEVEL": "debug",
            "OUTREACH_DELIVERY_RETENTION_DAYS": " 365 ",
            "OUTREACH_LETTER_RETENTION_DAYS": "7",
            "OUTREACH_SEND_LIMIT": " 100 ",
        }
    )
    assert config.send_limit == 100.0
    assert config.delivery_retention_days == 365
    assert config.letter_retention_days == 7
    assert load_config({}).letter_retention_days == 30
    assert config.token.value == TOKEN
    assert config.organizers == frozenset({42, 7})
    assert config.is_organizer(42) and not config.is_organizer(8) and not config.is_organizer(None)
    assert config.default_language == "es"
    assert config.base_url == "http://127.0.0.1:8081/bot"
    assert config.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OUTREACH_ORGANIZERS", "12,abc"),
        ("OUTREACH_ORGANIZERS", "-5"),
        ("OUTREACH_DEFAULT_LANGUAGE", "fr"),
        ("TELEGRAM_API_URL", "ftp://example"),
        ("TELEGRAM_API_URL", "not a url"),
        ("OUTREACH_LOG_LEVEL", "LOUD"),
        ("OUTREACH_CONTENT", "/nonexistent/content"),
        ("TELEGRAM_BOT_TOKEN", "has space:abc"),
        ("TELEGRAM_BOT_TOKEN", "no-colon"),
        ("OUTREACH_DELIVERY_RETENTION_DAYS", "0"),
        ("OUTREACH_DELIVERY_RETENTION_DAYS", "forever"),
        ("OUTREACH_DELIVERY_RETENTION_DAYS", "3651"),
        ("OUTREACH_LETTER_RETENTION_DAYS", "0"),
        ("OUTREACH_LETTER_RETENTION_DAYS", "-5"),
        ("OUTREACH_LETTER_RETENTION_DAYS", "a month"),
        ("OUTREACH_SEND_LIMIT", "0.5"),
        ("OUTREACH_SEND_LIMIT", "1001"),
        ("OUTREACH_SEND_LIMIT", "fast"),
    ],
)
def test_bad_value_names_the_variable(name: str, value: str) -> None:
    """A value the bot cannot use raises an error naming the variable."""
    with pytest.raises(ConfigError, match=name):
        load_config({name: value})


def test_db_path_that_is_a_directory(tmp_path: Path) -> None:
    """OUTREACH_DB pointing at a directory is refused with the variable's name."""
    with pytest.raises(ConfigError, match="OUTREACH_DB"):
        load_config({"OUTREACH_DB": str(tmp_path)})


def test_bad_token_error_does_not_show_the_token() -> None:
    """The error for a malformed token never contains the token itself."""
    with pytest.raises(ConfigError) as info:
        load_config({"TELEGRAM_BOT_TOKEN": "secret value/with slash"})
    assert "secret value" not in str(info.value)


def test_token_is_hidden_in_repr() -> None:
    """Printing the configuration never prints the token."""
    config = load_config({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert TOKEN not in repr(config)
    assert TOKEN not in str(config.token)
    assert "SECRET" not in repr(Secret(TOKEN))


def test_log_filter_redacts_token_in_messages_and_tracebacks() -> None:
    """A log line or traceback that contains the token is written with the token replaced."""
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "url %s", (f"/bot{TOKEN}/getMe",), None
    )
    RedactSecrets((Secret(TOKEN),)).filter(record)
    assert TOKEN not in record.getMessage()
    try:
        raise RuntimeError(f"failed https://api/bot{TOKEN}/x")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "boom", None, (type(exc), exc, exc.__traceback__)
        )
    RedactSecrets((Secret(TOKEN),)).filter(record)
    formatted = logging.Formatter().format(record)
    assert "boom" in formatted and "RuntimeError" in formatted
    assert TOKEN not in formatted


def test_settings_are_documented_in_readme() -> None:
    """Every configuration variable appears in the README's configuration table."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.name}`" in readme, setting.name


def test_bundled_content_is_the_repositorys_content_directory() -> None:
    """In a source checkout (an editable install) the shipped content is content/ itself,
    found through the installed package, and it is not an installed location."""
    repository_content = Path(__file__).resolve().parents[1] / "content"
    assert bundled_content().resolve() == repository_content
    assert installed_location(bundled_content()) is None


def test_installed_location_knows_site_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory inside site-packages is part of an installation; anything else is not."""
    site_packages = tmp_path / "lib" / "site-packages"
    inside = site_packages / "bot" / "bundled_content"
    inside.mkdir(parents=True)
    paths = {"purelib": str(site_packages), "platlib": str(site_packages)}
    monkeypatch.setattr("bot.config.sysconfig.get_paths", lambda: paths)
    assert installed_location(inside) == site_packages
    assert installed_location(tmp_path / "content") is None
