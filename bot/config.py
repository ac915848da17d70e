"""Configuration read once from environment variables into a frozen object.

Every setting is declared here as data, with its default and help text, so the README table and
the code cannot drift apart (a test compares them). The bot token is held in a ``Secret`` whose
``repr`` hides it, so it cannot leak through logs or tracebacks.
"""

from __future__ import annotations

import logging
import os
import re
import site
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse

# The repository's top-level content/ directory, installed as this package's data
# (pyproject.toml maps it to bot/bundled_content): in a wheel, in site-packages; in an
# editable install, the repository's own directory.
BUNDLED_CONTENT_PACKAGE = "bot.bundled_content"


class ConfigError(ValueError):
    """A configuration variable has a value the bot cannot use; the message names it."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that must never be printed or logged."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('***')" if self.value else "Secret('')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment variable: its name, default (as written in the README) and meaning."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TELEGRAM_BOT_TOKEN",
        "(none)",
        "Bot token from @BotFather. Without it, `outreach-bot run` opens the terminal chat "
        "(on an interactive terminal) or exits with status 2.",
    ),
    Setting(
        "OUTREACH_DB",
        "outreach.sqlite3",
        "SQLite database file, created (mode 0600) if missing; relative to the working directory.",
    ),
    Setting(
        "OUTREACH_CONTENT",
        "the `content/` shipped in the package",
        "Directory of the content files. The shipped one is read-only once installed: to edit "
        "it or import ICE's list, copy it and point this variable at the copy.",
    ),
    Setting("OUTREACH_ORGANIZERS", "(none)", "Comma-separated Telegram user ids of organizers."),
    Setting(
        "OUTREACH_DEFAULT_LANGUAGE",
        "en",
        "Language for users whose Telegram language is neither English nor Spanish: `en` or `es`.",
    ),
    Setting(
        "TELEGRAM_API_URL",
        "https://api.telegram.org",
        "Bot API server root; the bot calls `{root}/bot{token}/{method}` and downloads files "
        "from `{root}/file/bot{token}/…` (a local Bot API server, or a fake one in tests).",
    ),
    Setting(
        "OUTREACH_RECIPIENT_EMAIL",
        "(none)",
        "E-mail address comments are sent to; overrides `channels.email.address` in "
        "`content/letter.yaml`. With neither, the e-mail channel is hidden (never guessed).",
    ),
    Setting(
        "OUTREACH_DRAFT_RETENTION_DAYS",
        "30",
        "Days a comment draft is kept after it is completed (or last touched), then deleted.",
    ),
    Setting(
        "OUTREACH_DELIVERY_RETENTION_DAYS",
        "90",
        "Days a finished broadcast keeps its list of recipients (one row per person, for its "
        "report); then the rows become counts per outcome, with no user id.",
    ),
    Setting(
        "OUTREACH_LETTER_RETENTION_DAYS",
        "30",
        "Days the campaign keeps a letter it delivered for a supporter (its text, name and "
        "place) after the batch is marked delivered; then only a count is left, with no user id.",
    ),
    Setting(
        "OUTREACH_BROADCAST_RATE",
        "25",
        "Broadcast messages per second at most, for all recipients together. A broadcast gets "
        "what replies to users leave of `OUTREACH_SEND_LIMIT`, and slows down by itself when "
        "Telegram answers 429. At most 1 message per second goes to one chat.",
    ),
    Setting(
        "OUTREACH_SEND_LIMIT",
        "30",
        "Messages per second Telegram lets the bot send, replies and broadcasts together "
        "(about 30; more only with paid broadcasts). Replies take what they need first.",
    ),
    Setting(
        "OUTREACH_WEBHOOK_URL",
        "(none: long polling)",
        "Public https URL Telegram posts updates to; setting it (or `run --webhook`) serves a "
        "webhook instead of long polling. Its path is the path the bot listens on.",
    ),
    Setting(
        "OUTREACH_WEBHOOK_LISTEN",
        "127.0.0.1",
        "Address the webhook server listens on (behind a TLS reverse proxy); `0.0.0.0` for all.",
    ),
    Setting("OUTREACH_WEBHOOK_PORT", "8443", "Port the webhook server listens on."),
    Setting(
        "OUTREACH_WEBHOOK_SECRET",
        "(random at each start)",
        "Secret token Telegram sends in `X-Telegram-Bot-Api-Secret-Token`; requests without it "
        "are refused. 1-256 characters of `A-Z a-z 0-9 _ -`.",
    ),
    Setting(
        "OUTREACH_LOG_LEVEL",
        "INFO",
        "DEBUG, INFO, WARNING, ERROR or CRITICAL. Message texts are never logged at any level.",
    ),
)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the bot needs from its environment, validated."""

    token: Secret
    db_path: Path
    content_dir: Path
    organizers: frozenset[int]
    default_language: str
    api_url: str
    log_level: str
    recipient_email: str = ""
    draft_retention_days: int = 30
    delivery_retention_days: int = 90
    letter_retention_days: int = 30
    broadcast_rate: float = 25.0
    send_limit: float = 30.0
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: Secret = field(default_factory=lambda: Secret(""))

    @property
    def base_url(self) -> str:
        """The prefix python-telegram-bot puts before ``{token}/{method}``."""
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url}/file/bot"

    def is_organizer(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.organizers


def bundled_content() -> Path:
    """The content shipped with the bot, found with ``importlib.resources``."""
    try:
        found = resources.files(BUNDLED_CONTENT_PACKAGE)
    except ModuleNotFoundError as exc:  # an editable install made before the content moved in
        raise ConfigError(
            "OUTREACH_CONTENT: not set, and this installation has no bundled content "
            "(reinstall outreach-bot, or set OUTREACH_CONTENT to a content directory)"
        ) from exc
    if not isinstance(found, Path):  # e.g. imported from a zip archive
        raise ConfigError(
            f"OUTREACH_CONTENT: the bundled content is not a directory ({found}); "
            "set OUTREACH_CONTENT to a content directory"
        )
    return found


def installed_location(path: Path) -> Path | None:
    """The site-packages directory ``path`` lies in, if it is part of an installed package.

    Files there belong to the installer: an upgrade or a reinstall replaces them.
    """
    roots = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    roots.update(getattr(site, "getsitepackages", list)())
    if site.ENABLE_USER_SITE:
        roots.add(site.getusersitepackages())
    resolved = path.resolve()
    for root in sorted(roots):
        if resolved.is_relative_to(Path(root).resolve()):
            return Path(root)
    return None


def _organizers(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isascii() or not part.isdigit() or int(part) <= 0:
            raise ConfigError(
                f"OUTREACH_ORGANIZERS: {part!r} is not a Telegram user id "
                "(expected comma-separated positive integers)"
            )
        ids.add(int(part))
    return frozenset(ids)


def _api_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"TELEGRAM_API_URL: {raw!r} is not an http(s) URL")
    if parsed.query or parsed.fragment:
        raise ConfigError("TELEGRAM_API_URL: must not contain a query or fragment")
    return url


def _token(raw: str) -> Secret:
    token = raw.strip()
    # Telegram tokens look like "123456:ABC-def_..."; reject anything with spaces or slashes,
    # which would corrupt request URLs. The message never includes the value.
    if token and (any(c.isspace() for c in token) or "/" in token or ":" not in token):
        raise ConfigError("TELEGRAM_BOT_TOKEN: not a bot token (expected digits:characters)")
    return Secret(token)


def _messages_per_second(env: Mapping[str, str], name: str, default: str, least: float) -> float:
    """The setting ``name``: a rate from ``least`` to 1000 messages per second."""
    raw = env.get(name, default).strip() or default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not least <= value <= 1000:
        raise ConfigError(f"{name}: {raw!r} is not a rate from {least:g} to 1000 messages/s")
    return value


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ

    language = env.get("OUTREACH_DEFAULT_LANGUAGE", "en").strip().lower() or "en"
    if language not in ("en", "es"):
        raise ConfigError(f"OUTREACH_DEFAULT_LANGUAGE: {language!r} is not 'en' or 'es'")

    level = env.get("OUTREACH_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ConfigError(f"OUTREACH_LOG_LEVEL: {level!r} is not one of {', '.join(LOG_LEVELS)}")

    db_raw = env.get("OUTREACH_DB", "outreach.sqlite3").strip() or "outreach.sqlite3"
    db_path = Path(db_raw)
    if db_path.exists() and db_path.is_dir():
        raise ConfigError(f"OUTREACH_DB: {db_raw!r} is a directory, not a database file")

    content_raw = env.get("OUTREACH_CONTENT", "").strip()
    content_dir = Path(content_raw) if content_raw else bundled_content()
    if not content_dir.is_dir():
        raise ConfigError(f"OUTREACH_CONTENT: {str(content_dir)!r} is not a directory")

    retention_raw = env.get("OUTREACH_DRAFT_RETENTION_DAYS", "30").strip() or "30"
    if not retention_raw.isdigit() or not 1 <= int(retention_raw) <= 3650:
        raise ConfigError(
            f"OUTREACH_DRAFT_RETENTION_DAYS: {retention_raw!r} is not a number of days (1-3650)"
        )
    delivery_raw = env.get("OUTREACH_DELIVERY_RETENTION_DAYS", "90").strip() or "90"
    if not delivery_raw.isdigit() or not 1 <= int(delivery_raw) <= 3650:
        raise ConfigError(
            f"OUTREACH_DELIVERY_RETENTION_DAYS: {delivery_raw!r} is not a number of days (1-3650)"
        )
    letter_raw = env.get("OUTREACH_LETTER_RETENTION_DAYS", "30").strip() or "30"
    if not letter_raw.isdigit() or not 1 <= int(letter_raw) <= 3650:
        raise ConfigError(
            f"OUTREACH_LETTER_RETENTION_DAYS: {letter_raw!r} is not a number of days (1-3650)"
        )
    email = env.get("OUTREACH_RECIPIENT_EMAIL", "").strip()
    if email and not re.fullmatch(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}", email):
        raise ConfigError(f"OUTREACH_RECIPIENT_EMAIL: {email!r} is not an e-mail address")

    rate = _messages_per_second(env, "OUTREACH_BROADCAST_RATE", "25", 0.1)
    send_limit = _messages_per_second(env, "OUTREACH_SEND_LIMIT", "30", 1)

    webhook_url = env.get("OUTREACH_WEBHOOK_URL", "").strip()
    if webhook_url:
        parsed = urlparse(webhook_url)
        loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
            raise ConfigError(
                "OUTREACH_WEBHOOK_URL: Telegram only posts to https URLs "
                "(plain http is accepted for 127.0.0.1, for tests)"
            )
        if not parsed.hostname or parsed.query or parsed.fragment:
            raise ConfigError(f"OUTREACH_WEBHOOK_URL: {webhook_url!r} is not a plain URL")
    port_raw = env.get("OUTREACH_WEBHOOK_PORT", "8443").strip() or "8443"
    if not port_raw.isdigit() or not 1 <= int(port_raw) <= 65535:
        raise ConfigError(f"OUTREACH_WEBHOOK_PORT: {port_raw!r} is not a port number")
    secret = env.get("OUTREACH_WEBHOOK_SECRET", "").strip()
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError("OUTREACH_WEBHOOK_SECRET: use 1-256 characters of A-Z a-z 0-9 _ -")

    return Config(
        token=_token(env.get("TELEGRAM_BOT_TOKEN", "")),
        db_path=db_path,
        content_dir=content_dir,
        organizers=_organizers(env.get("OUTREACH_ORGANIZERS", "")),
        default_language=language,
        api_url=_api_url(env.get("TELEGRAM_API_URL", "https://api.telegram.org")),
        log_level=level,
        recipient_email=email,
        draft_retention_days=int(retention_raw),
        delivery_retention_days=int(delivery_raw),
        letter_retention_days=int(letter_raw),
        broadcast_rate=rate,
        send_limit=send_limit,
        webhook_url=webhook_url,
        webhook_listen=env.get("OUTREACH_WEBHOOK_LISTEN", "127.0.0.1").strip() or "127.0.0.1",
        webhook_port=int(port_raw),
        webhook_secret=Secret(secret),
    )


class RedactSecrets(logging.Filter):
    """Replace secret values in every log record, whatever library produced it."""

    def __init__(self, secrets: tuple[Secret, ...]) -> None:
        super().__init__()
        self._values: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret) -> None:
        # A bot token's secret part ("123:SECRET") also appears without the rest, e.g. when the
        # token is percent-encoded in a file URL ("123%3ASECRET"): redact it on its own too.
        _, colon, secret_part = secret.value.partition(":")
        for value in (secret.value, secret_part if colon else ""):
            if value and value not in self._values:
                self._values += (value,)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._values:
            return True
        message = record.getMessage()
        text = message
        for value in self._values:
            text = text.replace(value, "***")
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so handlers never format the raw one.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            for value in self._values:
                record.exc_text = record.exc_text.replace(value, "***")
            record.exc_info = None
        if text != message or record.args:
            record.msg, record.args = text, None
        return True


def configure_logging(
    level: str, secrets: tuple[Secret, ...] = (), log_file: Path | None = None
) -> None:
    """Log to stderr (or to ``log_file``, created readable only by its owner), with secrets
    redacted. Raises OSError if ``log_file`` cannot be written.

    httpx is kept at WARNING because its INFO lines contain request URLs, which contain the token.
    """
    handler: logging.Handler
    if log_file is None:
        handler = logging.StreamHandler()
    else:
        os.close(os.open(log_file, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Only the bot's own loggers go below INFO: libraries log whole updates (python-telegram-bot)
    # and SQL parameters (aiosqlite) at DEBUG, which would put supporters' texts in the log.
    root.setLevel(max(logging.INFO, getattr(logging, level)))
    logging.getLogger("bot").setLevel(getattr(logging, level))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
