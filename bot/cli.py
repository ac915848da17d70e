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
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from bot.config import (
    Config,
    ConfigError,
    RedactSecrets,
    Secret,
    configure_logging,
    installed_location,
    load_config,
)
from bot.content import Content, ContentError, check_content, load_content
from bot.datafiles import parse_cache
from bot.render import check_rendered
from bot.storage import Storage, StorageError, backup_database, check_database

if TYPE_CHECKING:
    from bot.instance import InstanceLock

log = logging.getLogger("bot")

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outreach-bot",
        description="Telegram outreach bot: cited facts in English and Spanish.",
    )
    parser.add_argument("--version", action=_PrintVersion)
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
        help="import ICE's participating-agencies spreadsheet into content/agreements.yaml, "
        "or a table of per-state totals into content/agreement-totals.yaml",
    )
    agreements.add_argument(
        "file",
        type=Path,
        help="ICE's spreadsheet (.xlsx), or a table of per-state totals (.csv: "
        "state,task_force,warrant_service,jail,total)",
    )
    agreements.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="the list's date, YYYY-MM-DD (default: from the file name)",
    )
    agreements.add_argument(
        "--source-url",
        help="for a table of totals: the page it comes from (https, the document itself)",
    )
    agreements.add_argument(
        "--source-name",
        help="for a table of totals: who tabulated it, as answers name it "
        "(default: the repository or site of --source-url)",
    )
    congress = sub.add_parser(
        "import-congress",
        help="import the members of Congress and the ZIP code table into content/",
    )
    congress.add_argument(
        "legislators",
        type=Path,
        help="legislators-current YAML (unitedstates/congress-legislators)",
    )
    congress.add_argument(
        "offices", type=Path, help="legislators-district-offices YAML (the same dataset)"
    )
    congress.add_argument(
        "zips", type=Path, help="ZIP code to district CSV (state_fips,state_abbr,zcta,cd)"
    )
    congress.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="the members' date, YYYY-MM-DD (default: from the legislators file's name)",
    )
    sub.add_parser(
        "import-places",
        help="make content/places.tsv (ZIP codes, counties, cities) from the zipcodes package",
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
    sub.add_parser(
        "health",
        help="check that the database answers and the content loads (no Telegram needed)",
    )
    backup = sub.add_parser(
        "backup",
        help="copy the database safely, even while the bot runs (SQLite's online backup)",
    )
    backup.add_argument(
        "destination", type=Path, help="the copy's file name, or a directory to put it in"
    )
    return parser


class _PrintVersion(argparse.Action):
    """``--version``, looked up only when asked for: finding the installed version reads the
    installed packages' metadata, which every other command, ``run`` included, can do without."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("outreach-bot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


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
        if args.file.suffix.lower() == ".csv":
            return _import_totals(config, args.file, args.as_of, args.source_url, args.source_name)
        return _import_agreements(config, args.file, args.as_of)
    if args.command == "import-places":
        return _import_places(config)
    if args.command == "import-congress":
        return _import_congress(config, args.legislators, args.offices, args.zips, args.as_of)
    if args.command == "link":
        return _link(config, args.bot, args.source, args.journey, args.png)
    if args.command == "health":
        return _health(config)
    if args.command == "backup":
        return _backup(config, args.destination)
    secrets = (config.token, config.webhook_secret)
    configure_logging(config.log_level, secrets=secrets)
    command, lang = args.command, getattr(args, "lang", None)
    webhook = bool(getattr(args, "webhook", False) or config.webhook_url)
    if command == "run" and webhook and not config.webhook_url:
        print("outreach-bot: --webhook needs OUTREACH_WEBHOOK_URL", file=sys.stderr)
        return EXIT_USAGE
    if command == "run" and not config.token:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            print(
                "outreach-bot: TELEGRAM_BOT_TOKEN is not set, so there is no Telegram bot to "
                "serve.\n"
                "  To serve Telegram: create a bot with @BotFather, then run "
                "TELEGRAM_BOT_TOKEN=<its token> outreach-bot run\n"
                "  To try the bot first, without Telegram: outreach-bot chat",
                file=sys.stderr,
            )
            return EXIT_USAGE
        print("TELEGRAM_BOT_TOKEN is not set: opening the terminal chat instead (no network).")
        command = "chat"
    log_file = None
    if command == "chat":
        # The chat is a conversation: the bot's and the libraries' logs go to a file instead.
        log_file = chat_log_file(config)
        try:
            configure_logging(config.log_level, secrets=secrets, log_file=log_file)
        except OSError as exc:
            logging.getLogger().handlers.clear()
            logging.getLogger().addHandler(logging.NullHandler())
            print(f"(the bot's log is off: cannot write {log_file}: {exc.strerror})")
            log_file = None
    content = _load_content_or_explain(config)
    if content is None:
        return EXIT_USAGE
    try:
        if command == "chat":
            return _chat(config, content, lang, log_file)
        return _run(config, content, webhook)
    except StorageError as exc:
        print(f"outreach-bot: database problem: {exc}", file=sys.stderr)
        return 1


def chat_log_file(config: Config) -> Path:
    """Where the terminal chat writes the bot's log: beside the database."""
    return config.db_path.with_name(config.db_path.stem + ".chat.log")


def _check_content(directory: Path, recipient_email: str) -> int:
    """Print every problem; exit 1 on any error, 0 with warnings only."""
    content, problems = check_content(
        directory, date.today(), recipient_email, render_check=check_rendered, deep=True
    )
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


def _refuse_installed_content(config: Config) -> bool:
    """Say so and return True when the content in use was installed with the bot."""
    if installed_location(config.content_dir) is None:
        return False
    print(
        f"outreach-bot: the content in use, {config.content_dir}, was installed with the "
        "bot: an upgrade replaces it, so nothing is written there.\n"
        "  Copy it to a directory of your own, point OUTREACH_CONTENT at the copy and "
        "import again:\n"
        f'    cp -r "{config.content_dir}" content && export OUTREACH_CONTENT="$PWD/content"',
        file=sys.stderr,
    )
    return True


def _import_agreements(config: Config, xlsx: Path, as_of: date | None) -> int:
    """Import ICE's spreadsheet into the content directory; on any error nothing is written."""
    from bot.agreements import ImportProblem
    from bot.agreements.importer import import_agreements, placement_lines, summary
    from bot.content.loader import AGREEMENTS_FILE

    target = config.content_dir / AGREEMENTS_FILE
    if _refuse_installed_content(config):
        return EXIT_USAGE
    print(f"importing into the content directory in use: {config.content_dir}")
    try:
        imported = import_agreements(xlsx, target, as_of)
    except ImportProblem as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        print(f"outreach-bot: {target} was not changed", file=sys.stderr)
        return 1
    print(summary(imported))
    print()
    print("\n".join(placement_lines(imported)))
    print(f"wrote {len(imported.agreements):,} agreements as of {imported.as_of} to {target}")
    print("run `outreach-bot reload` to serve them from a running bot")
    return 0


def _import_totals(
    config: Config, table: Path, as_of: date | None, url: str | None, name: str | None
) -> int:
    """Import a table of per-state totals into the content directory; on any error nothing
    is written."""
    from bot.agreements import ImportProblem, load_agreements
    from bot.agreements.totals import TOTALS_FILE, import_totals
    from bot.content.loader import AGREEMENTS_FILE, source_rules
    from bot.content.sources import index_page_problem
    from bot.placenames import STATE_NAMES

    target = config.content_dir / TOTALS_FILE
    if not url:
        print(
            "outreach-bot: give --source-url URL: the page the totals come from (the document "
            "itself, at a fixed version), which every answer cites",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if _refuse_installed_content(config):
        return EXIT_USAGE
    print(f"importing into the content directory in use: {config.content_dir}")
    rules = source_rules(config.content_dir)
    try:
        totals = import_totals(
            table, target, as_of, url, name, lambda u: index_page_problem(u, rules)
        )
    except ImportProblem as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        print(f"outreach-bot: {target} was not changed", file=sys.stderr)
        return 1
    for code in sorted(totals.counts, key=lambda c: (-totals.total(c), c)):
        print(f"{code}  {STATE_NAMES[code]:<26} {totals.total(code):>6,}")
    print(
        f"wrote {totals.grand_total():,} agreements in {len(totals.counts)} states and "
        f"territories as of {totals.as_of} (source: {totals.source}) to {target}"
    )
    try:
        county_list = load_agreements(config.content_dir / AGREEMENTS_FILE).as_of
    except ImportProblem:
        county_list = None
    if county_list is not None and not totals.newer_than(county_list):
        print(
            f"outreach-bot: these totals are not newer than the county list ({county_list}): "
            "answers will not show them",
            file=sys.stderr,
        )
    print("run `outreach-bot reload` to serve them from a running bot")
    return 0


def _import_places(config: Config) -> int:
    """Make the places file from the zipcodes package; on any error nothing is written."""
    from bot.places import PLACES_FILE, PlacesError, import_places

    target = config.content_dir / PLACES_FILE
    try:
        imported = import_places(target)
    except PlacesError as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        print(f"outreach-bot: {target} was not changed", file=sys.stderr)
        return 1
    print(
        f"read {imported.records:,} ZIP records from {imported.source}; "
        f"{imported.unresolved:,} ZIP code(s) in use have no county and are left out"
    )
    print(
        f"wrote {imported.zip_codes:,} ZIP codes, {imported.counties:,} counties and "
        f"{imported.cities:,} city names to {target}"
    )
    print("run `outreach-bot reload` to serve them from a running bot")
    return 0


def _import_congress(
    config: Config, legislators: Path, offices: Path, zips: Path, as_of: date | None
) -> int:
    """Import the Congress data into the content directory; on any error nothing is written."""
    from bot.congress.files import MEMBERS_FILE, ZIPS_FILE, CongressFileError
    from bot.congress.importer import import_congress, summary

    targets = f"{config.content_dir / MEMBERS_FILE} and {ZIPS_FILE}"
    try:
        report = import_congress(legislators, offices, zips, config.content_dir, as_of)
    except CongressFileError as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        print(f"outreach-bot: {targets} were not changed", file=sys.stderr)
        return 1
    print(summary(report))
    print(
        f"wrote {len(report.data.members)} members and {len(report.data.zips):,} ZIP codes "
        f"as of {report.data.as_of} to {targets}"
    )
    print("run `outreach-bot reload` to serve them from a running bot")
    return 0


def _reload(config: Config) -> int:
    """Check the content first; then signal the running bot, which re-reads it itself. Only
    a bot holding the database's lock, and ready for SIGHUP, is ever signalled."""
    from bot.instance import NotRunning, running_bot

    status = _check_content(config.content_dir, config.recipient_email)
    if status != 0:
        print("outreach-bot: the running bot keeps its current content", file=sys.stderr)
        return status
    try:
        pid = running_bot(config.db_path)
        os.kill(pid, signal.SIGHUP)
    except (NotRunning, OSError) as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        return 1
    print(
        f"asked the bot (process {pid}) to re-read its content directory (the one checked "
        "above, if it runs with the same OUTREACH_CONTENT)"
    )
    return 0


def _health(config: Config) -> int:
    """For a container's health check: the database answers and the content loads."""
    healthy = True
    try:
        print(check_database(config.db_path))
    except StorageError as exc:
        print(f"unhealthy: {exc}")
        healthy = False
    content, problems = check_content(
        config.content_dir, date.today(), config.recipient_email, render_check=check_rendered
    )
    if content is None:
        errors = [str(p) for p in problems if p.severity == "error"]
        print(f"unhealthy: {len(errors)} content error(s) in {config.content_dir}")
        for error in errors[:3]:
            print(f"  {error}")
        healthy = False
    else:
        print(f"content OK: {len(content.facts)} facts in {config.content_dir}")
    print("healthy" if healthy else "not healthy")
    return 0 if healthy else 1


def _backup(config: Config, destination: Path) -> int:
    """Copy the database with SQLite's online backup API; the copy is readable only by its owner."""
    try:
        written = backup_database(config.db_path, destination)
    except StorageError as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        return 1
    size = written.stat().st_size
    print(f"backed up {config.db_path} to {written} ({size:,} bytes, integrity checked)")
    return 0


def parse_cache_dir(config: Config) -> Path:
    """Where the bot keeps its parsed content files, to start faster: beside the database."""
    return config.db_path.with_name(config.db_path.stem + ".cache")


def _load_content_or_explain(config: Config) -> Content | None:
    try:
        with parse_cache(parse_cache_dir(config)):
            content = load_content(
                config.content_dir,
                recipient_email=config.recipient_email,
                render_check=check_rendered,
            )
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


def _chat(
    config: Config, content: Content, lang: str | None = None, log_file: Path | None = None
) -> int:
    from bot.telegram.terminal import run_terminal_chat

    instance = _lock_database(config)
    if instance is None:
        return 1
    try:
        return asyncio.run(
            run_terminal_chat(config, content, language_code=lang, log_file=log_file)
        )
    finally:
        instance.release()


def _lock_database(config: Config) -> InstanceLock | None:
    """One bot per database: None (and why, on stderr) when another one is running on it."""
    from bot.instance import AlreadyRunning, InstanceLock

    try:
        return InstanceLock.acquire(config.db_path)
    except AlreadyRunning as exc:
        print(f"outreach-bot: {exc}", file=sys.stderr)
        return None


# python-telegram-bot's webhook server, which its updater imports (with tornado) whenever
# tornado is installed, although long polling never uses it.
PTB_WEBHOOK_SERVER = "telegram.ext._utils.webhookhandler"


def skip_webhook_server() -> None:
    """Long polling only: keep python-telegram-bot from importing its webhook server and
    tornado (about 30 ms of every start), as if its ``webhooks`` extra were not installed. Its
    updater expects that (webhooks are then unavailable, polling unaffected). Must run before
    ``telegram.ext`` is imported; once it is, this changes nothing."""
    if "telegram.ext" not in sys.modules:
        sys.modules.setdefault(PTB_WEBHOOK_SERVER, None)  # type: ignore[arg-type]


def _run(config: Config, content: Content, webhook: bool) -> int:
    if not webhook:
        skip_webhook_server()
    from telegram import Update
    from telegram.error import InvalidToken, TelegramError

    from bot.telegram.app import build_application

    instance = _lock_database(config)
    if instance is None:
        return 1
    app = build_application(config, content, reload_on_sighup=True, instance=instance)
    refused = _RefusedToken()
    logging.getLogger("telegram.ext").addFilter(refused)
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
            from bot.telegram.webhook import CannotListen, serve_webhook

            try:
                asyncio.run(
                    serve_webhook(
                        app,
                        listen=config.webhook_listen,
                        port=config.webhook_port,
                        url_path=path,
                        webhook_url=config.webhook_url,
                        secret=secret,
                    )
                )
            except CannotListen as exc:
                log.error("%s: stopped", exc)
                return 1
        else:
            log.info("serving Telegram by long polling via %s", config.api_url)
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        if not refused.said:
            log.error(REFUSED_BY_TELEGRAM.format(why=""))
        return 1
    except TelegramError as exc:  # a start-up call kept failing for about a minute
        log.error("Telegram's Bot API could not be reached at start-up (%s): stopped", exc)
        return 1
    finally:
        instance.release()
        # When polling ended with an error (a refused token), python-telegram-bot skips its
        # shutdown: close the database here, or its worker thread keeps the process alive.
        storage = getattr(app.bot_data, "storage", None)
        if storage is not None:
            asyncio.run(storage.close())  # closing an already closed database does nothing
    return 0


REFUSED_BY_TELEGRAM = (
    "Telegram refused the bot token (TELEGRAM_BOT_TOKEN){why}: it is mistyped or was revoked; "
    "copy it again from @BotFather. Stopped."
)


class _RefusedToken(logging.Filter):
    """python-telegram-bot reports a refused token with two tracebacks: say it in one line."""

    def __init__(self) -> None:
        super().__init__()
        self.said = False

    def filter(self, record: logging.LogRecord) -> bool:
        from telegram.error import InvalidToken

        if record.exc_info is None or not isinstance(record.exc_info[1], InvalidToken):
            return True
        if self.said:
            return False
        refusal: BaseException = record.exc_info[1]
        while isinstance(refusal.__cause__, InvalidToken):  # Telegram's own words come last
            refusal = refusal.__cause__
        record.msg, record.args = REFUSED_BY_TELEGRAM.format(why=f' ("{refusal}")'), None
        record.exc_info, record.exc_text = None, None
        self.said = True
        return True


def _redact_too(secret: Secret) -> None:
    """Add a secret created at run time to the log filter."""
    for handler in logging.getLogger().handlers:
        for log_filter in handler.filters:
            if isinstance(log_filter, RedactSecrets):
                log_filter.add(secret)


if __name__ == "__main__":
    raise SystemExit(main())
