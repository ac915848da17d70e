"""The ``outreach-bot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from bot.config import Config, ConfigError, configure_logging, load_config
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
    sub.add_parser(
        "run",
        help="serve Telegram by long polling (opens the terminal chat when no token is set)",
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
    sub.add_parser(
        "reload",
        help="validate the content, then make the running bot re-read it (SIGHUP)",
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
    configure_logging(config.log_level, secrets=(config.token,))
    command, lang = args.command, getattr(args, "lang", None)
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
        return _run(config, content)
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
    """Write the CSV next to its destination first, then move it: no half-written file."""
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
                with partial.open("w", encoding="utf-8", newline="") as out:
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


async def _open_existing(config: Config) -> Storage | None:
    if not config.db_path.exists():
        print(f"outreach-bot: no database at {config.db_path} (OUTREACH_DB)", file=sys.stderr)
        return None
    try:
        return await Storage.open(config.db_path)
    except StorageError as exc:
        print(f"outreach-bot: database problem: {exc}", file=sys.stderr)
        return None


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


def _run(config: Config, content: Content) -> int:
    from telegram import Update

    from bot.telegram.app import build_application

    app = build_application(config, content, reload_on_sighup=True)
    log.info("serving Telegram by long polling via %s", config.api_url)
    pid = pid_file(config)
    pid.write_text(str(os.getpid()), encoding="ascii")
    try:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    finally:
        pid.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
