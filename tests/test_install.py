"""A built wheel, installed in a fresh virtualenv, runs the bot with the content inside it.

The wheel is built from exactly the paths the Dockerfile copies, offline (``--no-index``, the
build backend of the test virtualenv), and installed without its dependencies into a new
virtualenv that sees this one's packages through a ``.pth`` file — but not this checkout, nor
its editable install. The installed ``outreach-bot`` then runs from an empty directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.data import ICE_SAMPLE
from tests.harness import REPO, bot_environment, copied_sources


@dataclass(frozen=True)
class Installed:
    wheel: Path
    site_packages: Path
    script: Path
    workdir: Path

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = bot_environment()
        env.pop("PYTHONPATH", None)  # the installed package alone, not this checkout
        return subprocess.run(
            [str(self.script), *args],
            cwd=self.workdir,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


def _run(*command: str | Path) -> None:
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("install")
    source = root / "src"
    source.mkdir()
    for name in copied_sources():
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    dist = root / "dist"
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, source)
    (wheel,) = dist.glob("outreach_bot-*.whl")
    venv = root / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site_packages = venv / "lib" / version / "site-packages"
    # The dependencies, from this virtualenv; a path in a .pth file is added to sys.path, but
    # .pth files inside it (this checkout's editable install) are not run.
    (site_packages / "dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    _run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel)
    workdir = root / "work"
    workdir.mkdir()
    yield Installed(wheel, site_packages, venv / "bin" / "outreach-bot", workdir)


@pytest.mark.slow
def test_the_wheel_holds_every_content_file(installed: Installed) -> None:
    """Every file of content/ is in the wheel, as bot/bundled_content/, whatever its kind."""
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    content = REPO / "content"
    expected = {
        f"bot/bundled_content/{path.relative_to(content).as_posix()}"
        for path in content.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {"bot/bundled_content/facts.yaml", "bot/bundled_content/ui.yaml"} <= expected
    assert expected <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


@pytest.mark.slow
def test_installed_bot_checks_and_serves_its_own_content(installed: Installed) -> None:
    """From an empty directory: check-content finds the installed content, the chat answers,
    `run` without a token says what to do, and the health check passes on the chat's database."""
    bundled = installed.site_packages / "bot" / "bundled_content"
    checked = installed.run("check-content")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1].startswith("content OK:")
    assert checked.stdout.rstrip().endswith(f"in {bundled}")

    chat = installed.run("chat", "--lang", "en", stdin="What is 287(g)?\n/quit\n")
    assert chat.returncode == 0, chat.stdout + chat.stderr
    assert "Hi You!" in chat.stdout and "Here is what I found" in chat.stdout

    served = installed.run("run")
    assert served.returncode == 2
    assert len(served.stderr.strip().splitlines()) == 3
    assert "TELEGRAM_BOT_TOKEN is not set" in served.stderr

    health = installed.run("health")
    assert health.returncode == 0, health.stdout
    assert health.stdout.splitlines()[-1] == "healthy"
    assert f"in {bundled}" in health.stdout

    version = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert installed.run("--version").stdout.strip() == f"outreach-bot {version}"


@pytest.mark.slow
def test_installed_content_is_not_written_to(installed: Installed) -> None:
    """import-agreements refuses to write into site-packages and explains OUTREACH_CONTENT."""
    bundled = installed.site_packages / "bot" / "bundled_content"
    before = (bundled / "agreements.yaml").read_bytes()
    refused = installed.run("import-agreements", str(ICE_SAMPLE))
    assert refused.returncode == 2
    assert f"the content in use, {bundled}, was installed with the bot" in refused.stderr
    assert "OUTREACH_CONTENT" in refused.stderr
    assert (bundled / "agreements.yaml").read_bytes() == before


def test_every_package_is_listed_for_the_wheel() -> None:
    """pyproject.toml lists the packages one by one (content/ is mapped into bot/): each
    directory of bot/ with an __init__.py must be there, or a wheel would leave it out."""
    listed = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
        "packages"
    ]
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "bot").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert set(listed) == on_disk | {"bot.bundled_content"}
