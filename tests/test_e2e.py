"""End to end: the real ``outreach-bot run`` process against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content import Content
from bot.telegram.local_api import LocalBotApi, StoredMessage
from tests.data import ICE_SAMPLE
from tests.fakes.botapi_server import FakeBotApiServer
from tests.harness import CONTENT_DIR, TOKEN, invalid_requests

USER = 5550001


def outreach_bot_command() -> list[str]:
    """The installed console script, as a user would run it."""
    script = Path(sys.executable).with_name("outreach-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


@pytest.fixture
def server() -> Iterator[FakeBotApiServer]:
    with FakeBotApiServer() as fake:
        yield fake


class BotProcess:
    def __init__(self, server: FakeBotApiServer, tmp_path: Path, **env: str) -> None:
        self.log_path = tmp_path / "bot.log"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("OUTREACH_", "TELEGRAM_"))},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": server.url,
            "OUTREACH_DB": str(tmp_path / "e2e.sqlite3"),
            "OUTREACH_CONTENT": str(CONTENT_DIR),
            "OUTREACH_LOG_LEVEL": "DEBUG",
            **env,
        }
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [*outreach_bot_command(), "run"],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a crash."""
        self.proc.kill()
        self.proc.wait(timeout=20)
        self._log.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def press(api: LocalBotApi, message: StoredMessage, label_part: str) -> None:
    buttons = [b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]
    data = next(b["callback_data"] for b in buttons if label_part in b["text"])
    api.user_press(USER, message.message_id, data)


def test_start_topic_fact_and_question(
    server: FakeBotApiServer, tmp_path: Path, content: Content
) -> None:
    """/start → topic → fact card → free-text question, through real HTTP and a real process."""
    bot = BotProcess(server, tmp_path)
    try:
        api = server.api
        api.user_message(USER, "/start flyer-e2e")
        menu = server.wait_for_message(USER, "Hi Ana!", timeout=30)
        press(api, menu, "Learn the facts")
        topic = next(iter(content.topics.values()))
        topics = server.wait_for_message(USER, "Choose a topic")
        press(api, topics, topic.title.en)
        page = server.wait_for_message(USER, "Choose a fact")
        fact = content.topic_facts(topic.id)[0]
        press(api, page, fact.title.en)
        card = server.wait_for_message(USER, "Why it matters")
        assert fact.title.en in (card.text or "")
        assert fact.sources[0].url in (card.text or "")
        api.user_message(USER, "raciel profilng")
        answer = server.wait_for_message(USER, "Here is what I found")
        assert answer.message_id != card.message_id
        assert invalid_requests(api) == []
        commands = [a for a in api.sent if a.method == "setMyCommands"]
        assert {a.params.get("language_code") for a in commands} >= {"en", "es"}
    finally:
        code = bot.stop()
    output = bot.output()
    assert code == 0, output
    assert TOKEN not in output
    assert "raciel profilng" not in output, "a message text was logged"
    assert server.token_seen == {TOKEN}


def test_run_without_token_and_terminal_exits_2(tmp_path: Path) -> None:
    """Without a token and without a terminal, `run` exits 2 and says what to do in three
    lines: set the token, or try the terminal chat."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTREACH_", "TELEGRAM_"))}
    env["OUTREACH_DB"] = str(tmp_path / "x.sqlite3")
    result = subprocess.run(
        [*outreach_bot_command(), "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, result.stderr
    assert "TELEGRAM_BOT_TOKEN is not set" in lines[0]
    assert "@BotFather" in lines[1] and "TELEGRAM_BOT_TOKEN=" in lines[1]
    assert "outreach-bot chat" in lines[2]
    assert result.stdout == ""
    assert not (tmp_path / "x.sqlite3").exists()


@pytest.mark.parametrize(("status", "description"), [(401, "Unauthorized"), (404, "Not Found")])
def test_token_telegram_refuses_is_one_line(
    server: FakeBotApiServer, tmp_path: Path, status: int, description: str
) -> None:
    """A token Telegram refuses at start-up stops the bot with exit 1 and one line that names
    the problem and Telegram's answer: no traceback."""
    server.api.fail_next("getMe", status, description)
    bot = BotProcess(server, tmp_path, OUTREACH_LOG_LEVEL="INFO")
    code = bot.proc.wait(timeout=60)
    bot.stop()
    output = bot.output()
    assert code == 1, output
    problems = [line for line in output.splitlines() if " ERROR " in line]
    assert len(problems) == 1, output
    assert f'Telegram refused the bot token (TELEGRAM_BOT_TOKEN) ("{description}")' in problems[0]
    assert "@BotFather" in problems[0]
    assert "Traceback" not in output and TOKEN not in output


def test_bad_configuration_exits_2_naming_the_variable(tmp_path: Path) -> None:
    """A bad configuration value exits 2 and names the variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTREACH_", "TELEGRAM_"))}
    env["OUTREACH_DEFAULT_LANGUAGE"] = "klingon"
    result = subprocess.run(
        [*outreach_bot_command(), "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "OUTREACH_DEFAULT_LANGUAGE" in result.stderr


def test_invalid_content_refuses_to_start(tmp_path: Path) -> None:
    """With invalid content the bot does not start and says which problem to fix."""
    broken = tmp_path / "content"
    broken.mkdir()
    for path in CONTENT_DIR.glob("*.yaml"):
        (broken / path.name).write_text(path.read_text("utf-8"), "utf-8")
    (broken / "ui.yaml").write_text("strings: {}\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTREACH_", "TELEGRAM_"))}
    env.update(
        OUTREACH_CONTENT=str(broken),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL="http://127.0.0.1:9",
    )
    result = subprocess.run(
        [*outreach_bot_command(), "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "ui.yaml" in result.stderr and "missing string" in result.stderr
    assert TOKEN not in result.stderr


def test_pledge_mydata_stop_forget(server: FakeBotApiServer, tmp_path: Path) -> None:
    """Pledge with consent → /mydata → /stop → /forget, checking replies and the database."""
    bot = BotProcess(server, tmp_path)
    db = tmp_path / "e2e.sqlite3"
    try:
        api = server.api
        api.user_message(USER, "/pledge", language_code="es")
        intro = server.wait_for_message(USER, "El compromiso", timeout=30)
        press(api, intro, "Me comprometo")
        server.wait_for_message(USER, "nombre de pila")
        api.user_message(USER, "Ana", language_code="es")
        states = server.wait_for_message(USER, "estado o territorio")
        press(api, states, "TX")
        consent = server.wait_for_message(USER, "novedades de la campaña")
        press(api, consent, "Sí, envíenme novedades")
        server.wait_for_message(USER, "Usted es la persona #1")
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT first_name, state FROM pledges").fetchall() == [
                ("Ana", "TX")
            ]
            assert conn.execute("SELECT COUNT(*) FROM subscriptions").fetchone() == (1,)
        api.user_message(USER, "/mydata", language_code="es")
        mydata = server.wait_for_message(USER, "Todo lo que este bot guarda")
        assert "Ana" in (mydata.text or "") and "TX" in (mydata.text or "")
        api.user_message(USER, "/stop", language_code="es")
        server.wait_for_message(USER, "ya no recibirá novedades")
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM subscriptions").fetchone() == (0,)
        api.user_message(USER, "/forget", language_code="es")
        confirm = server.wait_for_message(USER, "No se puede deshacer")
        press(api, confirm, "Sí, borrar todo")
        server.wait_for_message(USER, "se borró todo lo suyo")
        with sqlite3.connect(db) as conn:
            for table in ("users", "pledges", "subscriptions", "conversations"):
                count = conn.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE user_id = ?",  # noqa: S608
                    (USER,),
                ).fetchone()
                assert count == (0,), table
        assert invalid_requests(api) == []
    finally:
        code = bot.stop()
    output = bot.output()
    assert code == 0, output
    assert "Ana" not in output, "a supporter's name was logged"


@pytest.mark.slow
def test_comment_guide_survives_sigkill(
    server: FakeBotApiServer, tmp_path: Path, content: Content
) -> None:
    """Walk the guide, SIGKILL the bot mid-way, restart it, finish: the draft survived."""
    env = {"OUTREACH_RECIPIENT_EMAIL": "comments@example.org"}
    api = server.api
    first = BotProcess(server, tmp_path, **env)
    try:
        api.user_message(USER, "/comment")
        intro = server.wait_for_message(USER, "Send your comment to", timeout=30)
        press(api, intro, "Start")
        roles = server.wait_for_message(USER, "Step 1 of 5")
        role = next(iter(content.letter.roles.values()))
        press(api, roles, role.label.en)
        reasons = server.wait_for_message(USER, "Step 2 of 5")
        point = next(iter(content.letter.talking_points.values()))
        press(api, reasons, point.label.en)
        chosen = server.wait_for_message(USER, "chosen: 1")
        press(api, chosen, "Next")
        server.wait_for_message(USER, "Step 3 of 5")
        api.user_message(USER, "Our town needs trust & safety.")
        server.wait_for_message(USER, "Step 4 of 5")
    finally:
        first.kill()
    with sqlite3.connect(tmp_path / "e2e.sqlite3") as conn:
        assert conn.execute("SELECT step, story FROM drafts").fetchall() == [
            ("sign_name", "Our town needs trust & safety.")
        ]
    second = BotProcess(server, tmp_path, **env)
    try:
        api.user_message(USER, "Ana")
        server.wait_for_message(USER, "Step 5 of 5", timeout=30)
        api.user_message(USER, "Austin, TX")
        preview = server.wait_for_message(USER, "Your letter")
        assert "Our town needs trust &amp; safety." in (preview.text or "")
        press(api, preview, "Continue")
        safety = server.wait_for_message(USER, "identifies you to DHS")
        press(api, safety, "I understand")
        send = server.wait_for_message(USER, "Send it by e-mail")
        buttons = {b["text"]: b for row in send.reply_markup["inline_keyboard"] for b in row}
        gmail = buttons["Open in Gmail"]["url"]
        assert gmail.startswith(
            "https://mail.google.com/mail/?view=cm&fs=1&to=comments%40example.org"
        )
        assert "Our%20town%20needs%20trust%20%26%20safety." in gmail
        assert buttons["📋 Copy address"]["copy_text"]["text"] == "comments@example.org"
        letter = api.messages(USER)[-2]
        assert "<pre>" in (letter.text or "") and "Ana\nAustin, TX" in (letter.text or "")
        press(api, send, "I sent it")
        server.wait_for_message(USER, "Thank you for speaking up")
        assert invalid_requests(api) == []
    finally:
        code = second.stop()
    assert code == 0, second.output()
    with sqlite3.connect(tmp_path / "e2e.sqlite3") as conn:
        assert conn.execute("SELECT outcome FROM drafts").fetchall() == [("sent",)]
        sent = conn.execute("SELECT SUM(count) FROM daily_counts WHERE event = 'comment_sent'")
        assert sent.fetchone() == (1,)
    assert "trust & safety" not in second.output(), "a story was logged"


def test_organizer_broadcast_to_fifty(server: FakeBotApiServer, tmp_path: Path) -> None:
    """An organizer broadcasts to 50 subscribers, 10 of whom blocked the bot: the report matches."""
    import asyncio

    from bot.storage import Storage

    organizer = 777000
    db = tmp_path / "e2e.sqlite3"

    async def seed() -> None:
        storage = await Storage.open(db)
        for user_id in range(1, 51):
            await storage.touch_user(user_id, "en")
            await storage.subscribe(user_id)
        await storage.touch_user(99, "en")  # not subscribed: never sent anything
        await storage.close()

    asyncio.run(seed())
    api = server.api
    for user_id in range(41, 51):
        api.block_chat(user_id)
    bot = BotProcess(server, tmp_path, OUTREACH_ORGANIZERS=str(organizer))
    try:
        api.user_message(organizer, "/broadcast")
        server.wait_for_message(organizer, "Send me the message", timeout=30)
        api.user_message(organizer, "Hearing moved to <b>Thursday</b> & please come")
        audience = server.wait_for_message(organizer, "Who should get it?")
        press_as(api, organizer, audience, "Everyone subscribed")
        preview = server.wait_for_message(organizer, "recipients right now")
        assert "<b>50</b>" in (preview.text or "")
        press_as(api, organizer, preview, "Send now")
        report = server.wait_for_message(organizer, "Broadcast finished", timeout=60)
        text = report.text or ""
        assert "Recipients: 50" in text and "Delivered: 40" in text
        assert "Blocked the bot: 10" in text and "Unknown (no answer" in text
        delivered = [
            a.chat_id
            for a in api.sent
            if a.method == "copyMessage" and a.chat_id is not None and a.chat_id != organizer
        ]
        assert sorted(delivered) == list(range(1, 41))
        assert invalid_requests(api) == []
    finally:
        code = bot.stop()
    assert code == 0, bot.output()
    with sqlite3.connect(db) as conn:
        unreachable = conn.execute("SELECT COUNT(*) FROM users WHERE reachable = 0").fetchone()
    assert unreachable == (10,)


def press_as(api: LocalBotApi, user_id: int, message: StoredMessage, label_part: str) -> None:
    buttons = [b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]
    data = next(b["callback_data"] for b in buttons if label_part in b["text"])
    api.user_press(user_id, message.message_id, data)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post_update(port: int, path: str, update: dict[str, object], secret: str | None) -> int:
    """POST an update to the bot's webhook as Telegram (behind a TLS proxy) would."""
    import json
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/{path}",
        data=json.dumps(update).encode(),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_webhook_mode_checks_the_secret(server: FakeBotApiServer, tmp_path: Path) -> None:
    """`run --webhook` registers its URL with a secret, answers updates posted with it, and
    refuses updates without it."""
    port, secret = free_port(), "s3cret_token-123"
    env = {
        "OUTREACH_WEBHOOK_URL": "https://bot.example.test/hook/abc",
        "OUTREACH_WEBHOOK_PORT": str(port),
        "OUTREACH_WEBHOOK_SECRET": secret,
    }
    bot = BotProcess(server, tmp_path, **env)
    api = server.api
    try:
        server.wait_for(
            lambda a: a.webhook_url == "https://bot.example.test/hook/abc",
            timeout=30,
            what="setWebhook",
        )
        assert api.webhook_secret_token == secret
        start = api.user_message(USER, "/start")
        status = 0
        for _ in range(200):  # the server may still be binding its port: bounded retries
            try:
                status = post_update(port, "hook/abc", start, secret)
                break
            except OSError:
                time.sleep(0.05)
        assert status == 200
        server.wait_for_message(USER, "Hi Ana!")
        before = len(api.sent)
        forged = api.user_message(USER, "/help")
        assert post_update(port, "hook/abc", forged, "wrong") == 403
        assert post_update(port, "hook/abc", forged, None) == 403
        assert post_update(port, "hook/other", forged, secret) == 404
        genuine = api.user_message(USER, "/language")
        assert post_update(port, "hook/abc", genuine, secret) == 200
        server.wait_for_message(USER, "Choose your language")
        # The refused /help was never answered.
        assert not any("how to use this bot" in (a.text or "") for a in api.sent[before:])
    finally:
        code = bot.stop()
    output = bot.output()
    assert code == 0, output
    assert secret not in output and TOKEN not in output


def test_where_i_live_by_zip(server: FakeBotApiServer, tmp_path: Path) -> None:
    """A supporter types a ZIP code and learns, in one message, what ICE's list shows."""
    bot = BotProcess(server, tmp_path)
    try:
        api = server.api
        api.user_message(USER, "/local", language_code="es")
        server.wait_for_message(USER, "código postal", timeout=30)
        api.user_message(USER, "77002", language_code="es")
        answer = server.wait_for_message(USER, "Harris County, Texas")
        text = answer.text or ""
        assert "no muestra acuerdos" in text and "18 de julio de 2025" in text
        assert "ice.gov/287g" in text
        assert invalid_requests(api) == []
    finally:
        code = bot.stop()
    output = bot.output()
    assert code == 0, output
    assert "77002" not in output, "a ZIP code was logged"
    with sqlite3.connect(tmp_path / "e2e.sqlite3") as conn:
        stored = " ".join(
            str(value)
            for table in ("users", "drafts", "conversations")
            for row in conn.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            for value in row
        )
    assert "77002" not in stored and "Harris" not in stored


def test_import_agreements_command(tmp_path: Path) -> None:
    """`outreach-bot import-agreements` imports a spreadsheet like ICE's into the content
    directory in use, says which, and refuses a broken file without touching the data there."""
    import shutil

    xlsx = ICE_SAMPLE
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTREACH_", "TELEGRAM_"))}
    env["OUTREACH_CONTENT"] = str(content)
    result = subprocess.run(
        [*outreach_bot_command(), "import-agreements", str(xlsx)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote 40 agreements as of 2025-07-18 to {content / 'agreements.yaml'}" in (
        result.stdout
    )
    florida = next(line for line in result.stdout.splitlines() if line.startswith("FL "))
    assert florida.split()[2] == "15"
    before = (content / "agreements.yaml").read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a spreadsheet")
    result = subprocess.run(
        [*outreach_bot_command(), "import-agreements", str(broken), "--as-of", "2026-01-01"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "was not changed" in result.stderr
    assert (content / "agreements.yaml").read_bytes() == before


def test_reload_command_signals_the_running_bot(server: FakeBotApiServer, tmp_path: Path) -> None:
    """`outreach-bot reload` checks the content and makes the running bot serve the new text;
    broken content is refused and the running bot keeps the old."""
    import shutil

    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    bot = BotProcess(server, tmp_path, OUTREACH_CONTENT=str(content))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTREACH_", "TELEGRAM_"))}
    env.update(OUTREACH_CONTENT=str(content), OUTREACH_DB=str(tmp_path / "e2e.sqlite3"))
    api = server.api

    def reload() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*outreach_bot_command(), "reload"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    try:
        api.user_message(USER, "/help")
        server.wait_for_message(USER, "how to use this bot", timeout=30)
        ui = content / "ui.yaml"
        ui.write_text(
            ui.read_text("utf-8").replace("how to use this bot", "how to use this reloaded bot"),
            "utf-8",
        )
        done = reload()
        assert done.returncode == 0, done.stderr
        api.user_message(USER, "/help")
        server.wait_for_message(USER, "how to use this reloaded bot")
        ui.write_text("strings: [broken", "utf-8")
        refused = reload()
        assert refused.returncode == 1 and "keeps its current content" in refused.stderr
        api.user_message(USER, "/help")
        server.wait_for(
            lambda a: sum("reloaded bot" in (m.text or "") for m in a.messages(USER)) == 2,
            what="a second /help answered with the reloaded content",
        )
    finally:
        code = bot.stop()
    assert code == 0, bot.output()
