"""The command line, in-process: --version, health, backup, and where import-agreements writes.

``bot.cli.main`` runs as ``outreach-bot`` would, with the environment given here; the commands
that start the bot are tested against the real process in ``tests/test_e2e.py``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Storage
from tests.data import ICE_SAMPLE
from tests.harness import CONTENT_DIR, clear_bot_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment with the database in ``tmp_path``; returns the database's path."""
    clear_bot_settings(monkeypatch)
    db = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("OUTREACH_DB", str(db))
    return db


def make_database(path: Path, users: int) -> None:
    async def fill() -> None:
        storage = await Storage.open(path)
        for user_id in range(1, users + 1):
            await storage.touch_user(user_id, "en")
        await storage.close()

    asyncio.run(fill())


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`outreach-bot --version` prints the installed version."""
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"outreach-bot {version('outreach-bot')}"


def test_version_is_looked_up_only_when_asked(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding the installed version reads every installed package's metadata: a command
    other than --version (here `health`, as `run` would) never does it."""
    looked_up: list[str] = []

    def counted() -> str:
        looked_up.append("version")
        return "9.9"

    monkeypatch.setattr("bot.cli._version", counted)
    make_database(env, 1)
    assert main(["health"]) == 0
    assert looked_up == []
    with pytest.raises(SystemExit):
        main(["--version"])
    assert looked_up == ["version"]
    assert capsys.readouterr().out.splitlines()[-1] == "outreach-bot 9.9"


IMPORTS_OF_POLLING = """
import sys
from bot.cli import skip_webhook_server
if sys.argv[1] == "polling":
    skip_webhook_server()
import telegram.ext
from telegram.ext._updater import WEBHOOKS_AVAILABLE
import bot.telegram.app
print(WEBHOOKS_AVAILABLE, "tornado" in sys.modules)
"""


@pytest.mark.parametrize(("mode", "loaded"), [("polling", "False False"), ("webhook", "True True")])
def test_long_polling_never_imports_the_webhook_server(mode: str, loaded: str) -> None:
    """`run` by long polling keeps python-telegram-bot's webhook server and tornado unloaded
    (they cost every start about 30 ms); with a webhook they load as usual. The second case
    also fails if python-telegram-bot renames the module, so that the saving is not lost
    unnoticed."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS_OF_POLLING, mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split("\n")[0] == loaded


def test_health_of_a_working_installation(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a database and valid content the health check passes, naming both."""
    make_database(env, 3)
    assert main(["health"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"database OK: {env} (3 user(s);")
    assert lines[1].startswith("content OK:") and str(CONTENT_DIR) in lines[1]
    assert lines[-1] == "healthy"


def test_health_fails_without_database_or_with_broken_content(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No database yet, or content that no longer loads: the check fails and says why."""
    assert main(["health"]) == 1
    out = capsys.readouterr().out
    assert f"unhealthy: no database at {env}" in out
    assert not env.exists(), "the health check created a database"
    make_database(env, 1)
    broken = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, broken)
    (broken / "ui.yaml").write_text("strings: [broken", encoding="utf-8")
    monkeypatch.setenv("OUTREACH_CONTENT", str(broken))
    assert main(["health"]) == 1
    out = capsys.readouterr().out
    assert f"unhealthy: 1 content error(s) in {broken}" in out
    assert "ui.yaml" in out and out.rstrip().endswith("not healthy")


def test_backup_command(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`outreach-bot backup DEST` writes a private, checked copy and says where."""
    make_database(env, 5)
    target = tmp_path / "copy.sqlite3"
    assert main(["backup", str(target)]) == 0
    assert f"backed up {env} to {target} (" in capsys.readouterr().out
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 5


def test_backup_without_database(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a database the backup fails with the reason and writes nothing."""
    assert main(["backup", str(tmp_path / "copy.sqlite3")]) == 1
    assert f"no database at {env}" in capsys.readouterr().err
    assert not (tmp_path / "copy.sqlite3").exists()


def test_import_agreements_says_where_it_writes(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The import names the content directory in use before writing into it."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    monkeypatch.setenv("OUTREACH_CONTENT", str(content))
    assert main(["import-agreements", str(ICE_SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"importing into the content directory in use: {content}\n")
    assert f"to {content / 'agreements.yaml'}" in out


def test_import_agreements_refuses_to_write_into_site_packages(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Content installed with the bot is not written to: the refusal explains OUTREACH_CONTENT
    and leaves the file as it was."""
    site_packages = tmp_path / "site-packages"
    installed = site_packages / "bot" / "bundled_content"
    shutil.copytree(CONTENT_DIR, installed)
    paths = {"purelib": str(site_packages), "platlib": str(site_packages)}
    monkeypatch.setattr("bot.config.sysconfig.get_paths", lambda: paths)
    monkeypatch.setenv("OUTREACH_CONTENT", str(installed))
    before = (installed / "agreements.yaml").read_bytes()
    assert main(["import-agreements", str(ICE_SAMPLE)]) == 2
    err = capsys.readouterr().err
    assert f"the content in use, {installed}, was installed with the bot" in err
    assert "OUTREACH_CONTENT" in err and f'cp -r "{installed}" content' in err
    assert (installed / "agreements.yaml").read_bytes() == before
