"""The command line, in-process: where import-agreements writes.

``bot.cli.main`` runs as ``outreach-bot`` would, with the environment given here; the commands
that start the bot are tested against the real process in ``tests/test_e2e.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from tests.data import ICE_SAMPLE
from tests.harness import CONTENT_DIR


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment with the database in ``tmp_path``; returns the database's path."""
    for name in list(os.environ):
        if name.startswith(("OUTREACH_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    db = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("OUTREACH_DB", str(db))
    return db


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
