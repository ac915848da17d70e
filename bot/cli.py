"""The ``outreach-bot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlparse

from bot.config import (
    Config,
    ConfigError,
    RedactSecrets,
    Secret,
    configure_logging,
    load_config,
)
from bot.content import Content, ContentError, check_content, load_content
from bot.storage import Storage, StorageError

log = logging.getLogger("bot")

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outreach-bot",
        description="Telegram outreach bot: cited facts in English and Spanish.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="serve Telegram by long polling (opens the terminal chat when no token is set)",
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="serve a webhook at OUTREACH_WEBHOOK_URL instead of long polling",
    )
    chat = sub.add_parser("chat", help="chat with the bot in this terminal, with no network")
    chat.add_argument(
        "--lang",
        choices=("en", "es"),
        help="the Telegram language of the terminal user (default: from $LANG)",
    )
    check = sub.add_parser("check-content", help="validate the content files")
    check.add_argument("directory", nargs="?", type=Path, help="content directory to check")
    sub.add_parser("stats", help="print the organizer statistics from the database")
    export = sub.add_parser("export", help="write the pledges as a CSV file")
    export.add_argument("file", type=Path, help="where to write the CSV ('-' for standard output)")
    link = sub.add_parser("link", help="print a deep link for a flyer and write its QR code")
    link.add_argument("source", help="source code: which flyer or post (A-Z a-z 0-9 _ -)")
    link.add_argument("journey", nargs="?", help="facts, pledge, comment or fact-<id>")
    link.add_argument(
        "--bot",
        default=os.environ.get("OUTREACH_BOT_USERNAME", ""),
        help="the bot's username (default: $OUTREACH_BOT_USERNAME)",
    )
    link.add_argument(
        "--png", type=Path, help="where to write the QR code (default: qr-SOURCE.png)"
    )
    agreements = sub.add_parser(
        "import-agreements",
        help="import ICE's participating-agencies spreadsheet into content/agreements.yaml",
    )
    agreements.add_argument("file", type=Path, help="ICE's spreadsheet (.xlsx)")
    agreements.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="the list's date, YYYY-MM-DD (default: from the file name)",
    )
    sub.add_parser(
        "reload",
        help="validate the content, then make the running bot re-read it (SIGHUP)",
    )
    letters = sub.add_parser(
        "letters", help="the letters the campaign delivers: counts, export, delivered"
    )
    actions = letters.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("status", help="letters by week and language, and batches to deliver")
    export_letters = actions.add_parser(
        "export",
        help="write the waiting letters as one batch: a PDF to print and a CSV manifest",
    )
    export_letters.add_argument(
        "--since",
        type=date.fromisoformat,
        help="letters confirmed on or after this day, YYYY-MM-DD (UTC)",
    )
    export_letters.add_argument(
        "--batch", type=int, help="write the files of batch N again instead of a new batch"
    )
    export_letters.add_argument(
        "--out", type=Path, required=True, help="directory to write the files in"
    )
    export_letters.add_argument(
        "--paper", choices=("letter", "a4"), default="letter", help="page size (default: letter)"
    )
    delivered = actions.add_parser("delivered", help="record that a batch went to the office")
    delivered.add_argument("--how", required=True, help='"by hand" or "by mail"')
    delivered.add_argument(
        "--date",
        type=date.fromisoformat,
        help="the day it was delivered, YYYY-MM-DD (default: today)",
    )
    delivered.add_argument(
        "--batch", type=int, help="which batch (needed when more than one waits)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "check-content":
        return _check_content(args.directory or config.content_dir, config.recipient_email)
    if args.command == "stats":
        return asyncio.run(_stats(config))
    if args.command == "export":
        return asyncio.run(_export(config, args.file))
    if args.command == "reload":
        return _reload(config)
    if args.command == "letters":
        return _letters(config, args)
    if args.command == "import-agreements":
        return _import_agreements(config, args.file, args.as_of)
    if args.command == "link":
        return _link(config, args.bot, args.source, args.journey, args.png)
    configure_logging(config.log_level, secrets=(config.token, config.webhook_secret))
    command, lang = args.command, getattr(args, "lang", None)
    webhook = bool(getattr(args, "webhook", False) or config.webhook_url)
    if command == "run" and webhook and not config.webhook_url:
        print("outreach-bot: --webhook needs OUTREACH_WEBHOOK_URL", file=sys.stderr)
        return EXIT_USAGE
    if command == "run" and not config.token:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            print(
                "outreach-bot: TELEGRAM_BOT_TOKEN is not set "
                "(use `outreach-bot chat` to try the bot)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        print("TELEGRAM_BOT_TOKEN is not set: opening the terminal chat instead (no network).")
        command = "chat"
    content = _load_content_or_explain(config)
    if content is None:
        return EXIT_USAGE
    try:
        if command == "chat":
            return _chat(config, content, lang)
        return _run(config, content, webhook)
    except StorageError as exc:
        print(f"outreach-bot: database problem: {exc}", file=sys.stderr)
        return 1


def _check_content(directory: Path, recipient_email: str) -> int:
    """Print every problem; exit 1 on any error, 0 with warnings only."""
    content, problems = check_content(directory, date.today(), recipient_email)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if content is None or errors:
        print(f"{errors} error(s), {warnings} warning(s) in {directory}")
        return 1
    print(
        f"content OK: {len(content.topics)} topics, {len(content.facts)} facts, "
        f"{warnings} warning(s) in {directory}"
    )
    return 0


async def _stats(config: Config) -> int:
    from bot.stats import collect_stats, format_stats_cli

    storage = await _open_existing(config)
    if storage is None:
        return 1
    try:
        print(format_stats_cli(await collect_stats(storage, datetime.now(UTC).date())))
    finally:
        await storage.close()
    return 0


async def _export(config: Config, target: Path) -> int:
    """Write the CSV next to its destination first, then move it: no half-written file, and
    the file is readable by its owner only."""
    from bot.export import export_pledges_csv

    storage = await _open_existing(config)
    if storage is None:
        return 1
    try:
        if str(target) == "-":
            rows = await export_pledges_csv(storage, sys.stdout, bom=False)
        else:
            partial = target.with_name(target.name + ".partial")
            try:
                # The names of supporters: readable by the file's owner only (mode 0600), like
                # the database, from the moment the file exists.
                partial.unlink(missing_ok=True)
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                    rows = await export_pledges_csv(storage, out)
                partial.replace(target)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                print(f"outreach-bot: cannot write {target}: {exc.strerror}", file=sys.stderr)
                return 1
            print(f"wrote {rows:,} pledge(s) to {target}", file=sys.stderr)
    finally:
        await storage.close()
    return 0


def _letters(config: Config, args: argparse.Namespace) -> int:
    """``outreach-bot letters status|export|delivered``."""
    from bot.cli_letters import delivered, export, status

    if args.action == "status":
        return asyncio.run(_with_storage(config, status))
    if args.action == "delivered":
        how, day, batch = args.how, args.date or datetime.now(UTC).date(), args.batch
        return asyncio.run(_with_storage(config, lambda s: delivered(s, how, day, batch)))
    if (args.since is None) == (args.batch is None):
        print("outreach-bot: give --since DATE (a new batch) or --batch N", file=sys.stderr)
        return EXIT_USAGE
    content = _load_content_or_explain(config)
    if content is None:
        return EXIT_USAGE
    since, batch, out, paper = args.since, args.batch, args.out, args.paper
    return asyncio.run(
        _with_storage(config, lambda s: export(s, content, since, batch, out, paper))
    )


async def _with_storage(config: Config, run: Callable[[Storage], Awaitable[int]]) -> int:
    """Run ``run`` on the existing database, closing it afterwards; 1 if there is none."""
    storage = await _open_existing(config)
    if storage is None:
        return 1
    try:
        return await run(storage)
    except StorageError as exc:
        print(f"outreach-bot: database problem: {exc}", file=sys.stderr)
        return 1
    finally:
        await storage.close()


async def _open_existing(config: Config) -> Storage | None:
    if not config.db_path.exists():
        print(f"outreach-bot: no database at {config.db_path} (OUTREACH_DB)", file=sys.stderr)
        return None
    try:
        return await Storage.open(config.db_path)
    except StorageError as exc:
        print(f"outreach-bot: database problem: {exc}", file=sys.stderr)
        return None


def _link(config: Config, bot: str, source: str, journey: str | None, png: Path | None) -> int:
    """The deep link and a printable QR code, for a flyer or a post."""
    from bot.deeplinks import link_for
    from bot.qr import qr_png

    content = _load_content_or_explain(config)
    if content is None:
        return EXIT_USAGE
    if not bot:
        print(
            "outreach-bot: give the bot's username with --bot (or OUTREACH_BOT_USERNAME)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        url = link_for(bot.removeprefix("@"), source, journey, content.facts)
    except ValueError as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    target = png or Path(f"qr-{source}.png")
    try:
        target.write_bytes(qr_png(url))
    except OSError as exc:
        print(f"outreach-bot: cannot write {target}: {exc.strerror}", file=sys.stderr)
        return 1
    print(url)
    print(f"QR code written to {target}", file=sys.stderr)
    return 0


def _import_agreements(config: Config, xlsx: Path, as_of: date | None) -> int:
    """Import ICE's spreadsheet into the content directory; on any error nothing is written."""
    from bot.agreements import ImportProblem, import_agreements, summary
    from bot.content.loader import AGREEMENTS_FILE

    target = config.content_dir / AGREEMENTS_FILE
    try:
        imported = import_agreements(xlsx, target, as_of)
    except ImportProblem as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        print(f"outreach-bot: {target} was not changed", file=sys.stderr)
        return 1
    print(summary(imported))
    print(f"wrote {len(imported.agreements):,} agreements as of {imported.as_of} to {target}")
    print("run `outreach-bot reload` to serve them from a running bot")
    return 0


def pid_file(config: Config) -> Path:
    """Where a running bot writes its process id, next to its database."""
    return config.db_path.with_name(config.db_path.name + ".pid")


def _reload(config: Config) -> int:
    """Check the content first; then signal the running bot, which re-reads it itself."""
    status = _check_content(config.content_dir, config.recipient_email)
    if status != 0:
        print("outreach-bot: the running bot keeps its current content", file=sys.stderr)
        return status
    path = pid_file(config)
    try:
        pid = int(path.read_text(encoding="ascii").strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        print(f"outreach-bot: no running bot found ({path})", file=sys.stderr)
        return 1
    print(f"asked the bot (process {pid}) to reload its content")
    return 0


def _load_content_or_explain(config: Config) -> Content | None:
    try:
        content = load_content(config.content_dir, recipient_email=config.recipient_email)
    except ContentError as exc:
        print(
            f"outreach-bot: invalid content in {config.content_dir}; fix it and start again:",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None
    for warning in content.warnings:
        log.warning("content: %s", warning)
    return content


def _chat(config: Config, content: Content, lang: str | None = None) -> int:
    from bot.telegram.terminal import run_terminal_chat

    return asyncio.run(run_terminal_chat(config, content, language_code=lang))


def _run(config: Config, content: Content, webhook: bool) -> int:
    from telegram import Update
    from telegram.error import InvalidToken

    from bot.telegram.app import build_application

    app = build_application(config, content, reload_on_sighup=True)
    pid = pid_file(config)
    pid.write_text(str(os.getpid()), encoding="ascii")
    try:
        if webhook:
            # A secret per start is enough: the webhook is registered again at every start.
            secret = config.webhook_secret.value or secrets.token_urlsafe(32)
            _redact_too(Secret(secret))
            path = urlparse(config.webhook_url).path.lstrip("/")
            log.info(
                "serving a webhook on %s:%d/%s",
                config.webhook_listen,
                config.webhook_port,
                path,
            )
            app.run_webhook(
                listen=config.webhook_listen,
                port=config.webhook_port,
                url_path=path,
                webhook_url=config.webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            log.info("serving Telegram by long polling via %s", config.api_url)
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        log.error("Telegram refused the bot token (revoked?): stopped")
        return 1
    finally:
        pid.unlink(missing_ok=True)
        # When polling ended with an error (a refused token), python-telegram-bot skips its
        # shutdown: close the database here, or its worker thread keeps the process alive.
        storage = getattr(app.bot_data, "storage", None)
        if storage is not None:
            asyncio.run(storage.close())  # closing an already closed database does nothing
    return 0


def _redact_too(secret: Secret) -> None:
    """Add a secret created at run time to the log filter."""
    for handler in logging.getLogger().handlers:
        for log_filter in handler.filters:
            if isinstance(log_filter, RedactSecrets):
                log_filter.add(secret)


if __name__ == "__main__":
    raise SystemExit(main())
