"""The container files agree with the package: checked by reading them, as CI has no Docker.

The Dockerfile's entry point, health check and command must be commands the installed package
has; the database must live on the volume the README documents; the compose files may only
set variables the bot reads and run commands it knows.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import PurePosixPath

import pytest
import yaml

from bot.cli import _parser
from bot.config import SETTINGS
from tests.harness import REPO, copied_sources, dockerfile_stages

README = (REPO / "README.md").read_text(encoding="utf-8")
SETTING_NAMES = {s.name for s in SETTINGS}


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form instruction (ENTRYPOINT ["outreach-bot"])."""
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def env_of(final: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in final:
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


@pytest.fixture(scope="module")
def final() -> list[tuple[str, str]]:
    return dockerfile_stages(REPO / "Dockerfile")[-1]


def subcommand_exists(argv: list[str]) -> None:
    """``argv`` parses as an ``outreach-bot`` command line (argparse exits otherwise)."""
    _parser().parse_args(argv)


def test_image_is_slim_python_3_11_or_newer(final: list[tuple[str, str]]) -> None:
    """The image is an official slim Python, at least the version the package requires."""
    base = final[0][1].split()[0]
    match = re.fullmatch(r"python:3\.(\d+)-slim", base)
    assert match and int(match[1]) >= 11, base
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11"


def test_entry_point_health_check_and_command_are_the_packages(
    final: list[tuple[str, str]],
) -> None:
    """ENTRYPOINT is the package's console script; CMD and the HEALTHCHECK are commands it has
    (the health check needs no Telegram)."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    values = dict(final)
    entry = exec_form(values["ENTRYPOINT"])
    assert entry == ["outreach-bot"] and scripts["outreach-bot"] == "bot.cli:main"
    subcommand_exists(exec_form(values["CMD"]))
    assert exec_form(values["CMD"]) == ["run"]
    health = values["HEALTHCHECK"]
    assert "CMD " in health
    command = exec_form(health.split("CMD ", 1)[1])
    assert command == ["outreach-bot", "health"]
    subcommand_exists(command[1:])


def test_database_is_on_the_volume_the_readme_documents(final: list[tuple[str, str]]) -> None:
    """OUTREACH_DB points into the image's VOLUME, and the README gives that path."""
    database = PurePosixPath(env_of(final)["OUTREACH_DB"])
    volumes = [v for k, a in final if k == "VOLUME" for v in exec_form(a)]
    assert volumes == [str(database.parent)] == ["/data"]
    deploy = README.split("## Deploy", 1)[1].split("\n## ", 1)[0]
    assert f"`OUTREACH_DB` is `{database}`" in deploy


def test_runs_as_a_user_who_owns_only_the_data_directory(final: list[tuple[str, str]]) -> None:
    """The bot does not run as root; the user is set before the entry point and owns /data."""
    keywords = [k for k, _ in final]
    users = [a for k, a in final if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")
    run = " ".join(a for k, a in final if k == "RUN")
    assert f"chown {users[-1]}:{users[-1]} /data" in run


def test_bytecode_is_compiled_at_build(final: list[tuple[str, str]]) -> None:
    """The image holds compiled bytecode (the process runs with PYTHONDONTWRITEBYTECODE and
    could not write it anyway): pip compiles the wheels, compileall the standard library."""
    run = " ".join(a for k, a in final if k == "RUN")
    assert "pip install /wheels/*.whl" in run and "--no-compile" not in run
    assert "PIP_NO_COMPILE" not in env_of(final)
    assert re.search(r"python -m compileall .*get_path\(\"stdlib\"\)", run), run


def test_build_copies_only_what_exists_and_is_not_ignored() -> None:
    """Every path the build copies exists and is not excluded by .dockerignore (the wheel
    built from exactly these paths is tested in tests/test_install.py)."""
    copied = copied_sources()
    assert copied == ["pyproject.toml", "README.md", "bot", "content"]
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for path in copied:
        assert (REPO / path).exists(), path
        assert f"!{path}" in ignore or f"!{path}/" in ignore, path


@pytest.mark.parametrize("name", ["compose.yaml", "compose.webhook.yaml"])
def test_compose_files_set_only_known_variables(name: str) -> None:
    """The bot service is built from here, keeps its database on a volume at /data, sets only
    variables the bot reads, needs the token, and runs a command the bot has."""
    compose = yaml.safe_load((REPO / name).read_text(encoding="utf-8"))
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert "data:/data" in bot["volumes"] and "data" in compose["volumes"]
    assert set(bot["environment"]) <= SETTING_NAMES
    assert bot["environment"]["TELEGRAM_BOT_TOKEN"].startswith("${TELEGRAM_BOT_TOKEN:?")
    subcommand_exists(bot.get("command", ["run"]))


def test_webhook_compose_puts_the_proxy_in_front_of_the_bots_port() -> None:
    """In webhook mode the bot listens on every interface inside its container, on the port the
    proxy forwards to, at an https URL; it publishes no port itself."""
    compose = yaml.safe_load((REPO / "compose.webhook.yaml").read_text(encoding="utf-8"))
    bot, proxy = compose["services"]["bot"], compose["services"]["proxy"]
    env = bot["environment"]
    assert bot["command"] == ["run", "--webhook"]
    assert env["OUTREACH_WEBHOOK_LISTEN"] == "0.0.0.0"  # noqa: S104 - inside its container
    assert env["OUTREACH_WEBHOOK_URL"].startswith("https://")
    assert "ports" not in bot
    to = proxy["command"][proxy["command"].index("--to") + 1]
    assert to == f"bot:{env['OUTREACH_WEBHOOK_PORT']}"
