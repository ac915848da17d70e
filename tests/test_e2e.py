"""End to end: the real ``outreach-bot run`` process against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from bot.content import Content
from tests.data import ICE_SAMPLE
from tests.fakes.botapi_server import FakeBotApiServer
from tests.harness import (
    CONTENT_DIR,
    TOKEN,
    BotProcess,
    bot_environment,
    free_port,
    invalid_requests,
    outreach_bot_command,
    press_button,
)

USER = 5550001


def test_start_topic_fact_and_question(
    server: FakeBotApiServer, tmp_path: Path, content: Content
) -> None:
    """/start → topic → fact card → free-text question, through real HTTP and a real process."""
    bot = BotProcess(server, tmp_path)
    try:
        api = server.api
        api.user_message(USER, "/start flyer-e2e")
        menu = server.wait_for_message(USER, "Hi Ana!", timeout=30)
        press_button(api, USER, menu, "Learn the facts")
        topic = next(iter(content.topics.values()))
        topics = server.wait_for_message(USER, "Choose a topic")
        press_button(api, USER, topics, topic.title.en)
        page = server.wait_for_message(USER, "Choose a fact")
        fact = content.topic_facts(topic.id)[0]
        press_button(api, USER, page, fact.title.en)
        card = server.wait_for_message(USER, "Why it matters")
        assert fact.title.en in (card.text or "")
        assert fact.sources[0].url in (card.text or "")
        api.user_message(USER, "raciel profilng")
        answer = server.wait_for_message(USER, "Here is what I found")
        assert answer.message_id != card.message_id
        assert invalid_requests(api) == []
        # The menus are set in the background of the first answers.
        server.wait_for(
            lambda api: (
                {a.params.get("language_code") for a in api.sent if a.method == "setMyCommands"}
                >= {"en", "es"}
            ),
            what="command menus in both languages",
        )
        # The parsed content files are kept beside the database for the next start.
        assert (tmp_path / "e2e.cache" / "agreements.yaml.pickle").is_file()
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
    env = bot_environment()
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
    env = bot_environment()
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


@pytest.mark.parametrize(
    "db", ["/proc/outreach.sqlite3", "/proc/self/status", "/sys/outreach.sqlite3"]
)
@pytest.mark.parametrize("command", ["run", "chat"])
def test_database_under_proc_or_sys_is_a_clear_error(command: str, db: str) -> None:
    """OUTREACH_DB on a kernel file system gets one clear line and status 1, no traceback."""
    env = bot_environment()
    env.update(
        OUTREACH_DB=db,
        OUTREACH_CONTENT=str(CONTENT_DIR),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL="http://127.0.0.1:9",
    )
    result = subprocess.run(
        [*outreach_bot_command(), command],
        env=env,
        input="/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("outreach-bot:")]
    assert len(errors) == 1 and "database problem" in errors[0] and db in errors[0], errors


def test_invalid_content_refuses_to_start(tmp_path: Path) -> None:
    """With invalid content the bot does not start and says which problem to fix."""
    broken = tmp_path / "content"
    broken.mkdir()
    for path in CONTENT_DIR.glob("*.yaml"):
        (broken / path.name).write_text(path.read_text("utf-8"), "utf-8")
    (broken / "ui.yaml").write_text("strings: {}\n", "utf-8")
    env = bot_environment()
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
        press_button(api, USER, intro, "Me comprometo")
        server.wait_for_message(USER, "nombre de pila")
        api.user_message(USER, "Ana", language_code="es")
        states = server.wait_for_message(USER, "estado o territorio")
        press_button(api, USER, states, "TX")
        consent = server.wait_for_message(USER, "novedades de la campaña")
        press_button(api, USER, consent, "Sí, envíenme novedades")
        server.wait_for_message(USER, "Usted es la persona #1")
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT first_name, state FROM pledges").fetchall() == [
                ("Ana", "TX")
            ]
            assert conn.execute("SELECT COUNT(*) FROM subscriptions").fetchone() == (1,)
        api.user_message(USER, "/mydata", language_code="es")
        mydata = server.wait_for_message(USER, "Todo lo que este bot guarda")
        assert "Ana" in (mydata.text or "") and "Texas" in (mydata.text or "")
        api.user_message(USER, "/stop", language_code="es")
        server.wait_for_message(USER, "ya no recibirá novedades")
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM subscriptions").fetchone() == (0,)
        api.user_message(USER, "/forget", language_code="es")
        confirm = server.wait_for_message(USER, "No se puede deshacer")
        press_button(api, USER, confirm, "Sí, borrar todo")
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
        press_button(api, USER, intro, "Start")
        roles = server.wait_for_message(USER, "Step 1 of 5")
        role = next(iter(content.letter.roles.values()))
        press_button(api, USER, roles, role.label.en)
        reasons = server.wait_for_message(USER, "Step 2 of 5")
        point = next(iter(content.letter.talking_points.values()))
        press_button(api, USER, reasons, point.label.en)
        chosen = server.wait_for_message(USER, "chosen: 1")
        press_button(api, USER, chosen, "Next")
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
        press_button(api, USER, preview, "Continue")
        send = server.wait_for_message(USER, "Send it by e-mail")
        assert "identifies you to DHS" in (send.text or "")
        buttons = {b["text"]: b for row in send.reply_markup["inline_keyboard"] for b in row}
        gmail = buttons["Open in Gmail"]["url"]
        assert gmail.startswith(
            "https://mail.google.com/mail/?view=cm&fs=1&to=comments%40example.org"
        )
        assert "Our%20town%20needs%20trust%20%26%20safety." in gmail
        assert buttons["📋 Copy address"]["copy_text"]["text"] == "comments@example.org"
        letter = api.messages(USER)[-2]
        assert "<pre>" in (letter.text or "") and "Ana\nAustin, TX" in (letter.text or "")
        press_button(api, USER, send, "I sent it")
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
        press_button(api, organizer, audience, "Everyone subscribed")
        preview = server.wait_for_message(organizer, "recipients right now")
        assert "<b>50</b>" in (preview.text or "")
        press_button(api, organizer, preview, "Send now")
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


def start_over_webhook(server: FakeBotApiServer, port: int, secret: str) -> None:
    """Post /start to the bot's webhook as soon as it listens, and wait for the answer."""
    start = server.api.user_message(USER, "/start")
    status = 0
    for _ in range(200):  # the server may still be binding its port: bounded retries
        try:
            status = post_update(port, "hook/abc", start, secret)
            break
        except OSError:
            time.sleep(0.05)
    assert status == 200
    server.wait_for_message(USER, "Hi Ana!")


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
        start_over_webhook(server, port, secret)
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


def post_raw(port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` as it is, with ``headers``; the HTTP status of the answer."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/{path}", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def status_before_the_body(port: int, head: str, chunks: list[bytes] | None = None) -> int:
    """Send a request's headers (and, if given, body chunks, without ending the body) and read
    the status line: the server must answer without the rest of the body. A server that waited
    for it would time out here."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        for chunk in chunks or []:
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:
                break  # the server closed the connection: its answer is already on its way
        answer = b""
        while b"\r\n" not in answer:
            received = sock.recv(4096)
            assert received, "the connection closed without an answer"
            answer += received
    return int(answer.split(b" ", 2)[1])


def test_webhook_refuses_by_headers_and_caps_bodies(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """The webhook refuses a request by its headers before reading its body (a huge body without
    the secret: 403; with it: 413), stops reading a chunked body past 1 MiB (413), answers a
    body that is not JSON or not an update with 400, never logs a refused update's text, and
    goes on serving genuine updates."""
    port, secret = free_port(), "s3cret_token-456"
    env = {
        "OUTREACH_WEBHOOK_URL": "https://bot.example.test/hook/abc",
        "OUTREACH_WEBHOOK_PORT": str(port),
        "OUTREACH_WEBHOOK_SECRET": secret,
    }
    bot = BotProcess(server, tmp_path, **env)
    api = server.api
    json_headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    try:
        server.wait_for(lambda a: bool(a.webhook_url), timeout=30, what="setWebhook")
        start_over_webhook(server, port, secret)
        huge = 95 * 1024 * 1024
        head = "POST /hook/abc HTTP/1.1\nHost: bot\nContent-Type: application/json\n"
        assert status_before_the_body(port, f"{head}Content-Length: {huge}\n") == 403
        assert (
            status_before_the_body(
                port, f"{head}X-Telegram-Bot-Api-Secret-Token: wrong\nContent-Length: {huge}\n"
            )
            == 403
        )
        with_secret = f"{head}X-Telegram-Bot-Api-Secret-Token: {secret}\n"
        assert status_before_the_body(port, f"{with_secret}Content-Length: {huge}\n") == 413
        chunked = f"{with_secret}Transfer-Encoding: chunked\n"
        assert status_before_the_body(port, chunked, [b" " * 65536] * 17) == 413
        assert post_raw(port, "hook/abc", b"not json {", json_headers) == 400
        assert post_raw(port, "hook/abc", b"\xff\xfe", json_headers) == 400
        assert post_raw(port, "hook/abc", b"[1, 2]", json_headers) == 400
        malformed = {
            "update_id": 987654,
            "message": {
                "message_id": 1,
                "date": "yesterday",
                "chat": {"id": USER, "type": "private"},
                "text": "my secret words",
            },
        }
        body = json.dumps(malformed).encode()
        assert post_raw(port, "hook/abc", body, json_headers) == 400
        plain = {**json_headers, "Content-Type": "text/plain"}
        update = json.dumps(api.user_message(USER, "/help")).encode()
        assert post_raw(port, "hook/abc", update, plain) == 415
        genuine = api.user_message(USER, "/language")
        assert post_update(port, "hook/abc", genuine, secret) == 200
        server.wait_for_message(USER, "Choose your language")
    finally:
        code = bot.stop()
    output = bot.output()
    assert code == 0, output
    assert "update 987654 is not a valid update (TypeError)" in output
    assert "my secret words" not in output, "a refused update's text was logged"
    assert secret not in output


def test_webhook_port_taken_stops_the_bot(server: FakeBotApiServer, tmp_path: Path) -> None:
    """A webhook port another program listens on: one line saying so, exit 1."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot = BotProcess(
            server,
            tmp_path,
            OUTREACH_WEBHOOK_URL="https://bot.example.test/hook/abc",
            OUTREACH_WEBHOOK_PORT=str(port),
        )
        try:
            code = bot.proc.wait(timeout=60)
        finally:
            bot.stop()
    assert code == 1, bot.output()
    assert f"cannot listen on 127.0.0.1:{port}" in bot.output()
    assert "Traceback" not in bot.output()


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
        assert "<b>Ninguno en la lista de ICE del 18 de julio de 2025</b>" in text
        assert "El 9 de junio de 2026, ICE registraba <b>416</b> acuerdos en Texas" in text
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
    env = bot_environment()
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
    env = bot_environment()
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


def test_serving_supporters_loads_no_organizer_or_importer_library(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """`outreach-bot run` starts, answers /start and a ZIP code lookup without importing
    Pillow (charts), openpyxl (the agreements importer), segno (QR codes) or zipcodes (the
    places importer): only the organizer's or importer's command loads them."""
    bot = BotProcess(server, tmp_path, PYTHONPROFILEIMPORTTIME="1", OUTREACH_LOG_LEVEL="WARNING")
    try:
        api = server.api
        api.user_message(USER, "/start")
        server.wait_for_message(USER, "Hi Ana!", timeout=30)
        api.user_message(USER, "/local")
        server.wait_for_message(USER, "ZIP code")
        api.user_message(USER, "77002")
        server.wait_for_message(USER, "Harris County, Texas")
    finally:
        code = bot.stop()
    output = bot.output()
    assert code == 0, output[-2000:]
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in output.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert {"telegram", "bot.telegram.app", "bot.places"} <= imported  # the list is complete
    loaded = {name.split(".")[0] for name in imported}
    assert loaded.isdisjoint({"PIL", "openpyxl", "segno", "zipcodes"}), sorted(
        loaded & {"PIL", "openpyxl", "segno", "zipcodes"}
    )


def _reload(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`outreach-bot reload` for the database BotProcess uses."""
    env = bot_environment()
    env.update(OUTREACH_CONTENT=str(CONTENT_DIR), OUTREACH_DB=str(tmp_path / "e2e.sqlite3"))
    return subprocess.run(
        [*outreach_bot_command(), "reload"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_reload_during_start_up_leaves_the_bot_alone(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """A reload while the bot is still starting (its getMe held) signals nothing: SIGHUP would
    stop a bot that does not handle it yet. The bot then starts, and reload works."""
    # Every getMe (the bot retries one that times out) is held until released below, however
    # long the reload takes on a busy machine.
    server.delay_next("getMe", 300, count=1000)
    bot = BotProcess(server, tmp_path)
    try:
        server.wait_for(lambda _: "getMe" in server.delayed, timeout=30, what="start-up held")
        refused = _reload(tmp_path)
        server.release_held()
        assert refused.returncode == 1, refused
        assert "does not take reloads yet" in refused.stderr
        server.api.user_message(USER, "/start")
        server.wait_for_message(USER, "Hi Ana!", timeout=30)
        done = _reload(tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"process {bot.proc.pid}" in done.stdout
        server.wait_for(lambda _: "content reloaded on SIGHUP" in bot.output(), what="reload")
    finally:
        code = bot.stop()
    assert code == 0, bot.output()
    assert not (tmp_path / "e2e.sqlite3.pid").exists(), "the pid file is removed at exit"


def test_reload_never_signals_a_stale_pid(server: FakeBotApiServer, tmp_path: Path) -> None:
    """After the bot was killed (SIGKILL), its pid file names a process that is gone; if another
    program now has that pid, reload must not signal it."""
    bot = BotProcess(server, tmp_path)
    try:
        server.api.user_message(USER, "/start")
        server.wait_for_message(USER, "Hi Ana!", timeout=30)
        pid_file = tmp_path / "e2e.sqlite3.pid"
        assert pid_file.read_text().strip() == str(bot.proc.pid)
    finally:
        bot.kill()
    unrelated = subprocess.Popen(["sleep", "60"])  # noqa: S607 - a harmless stand-in
    try:
        pid_file.write_text(f"{unrelated.pid}\n")  # as if the pid had been reused
        refused = _reload(tmp_path)
        assert refused.returncode == 1, refused
        assert "no bot is running" in refused.stderr
        assert unrelated.poll() is None, "an unrelated process was signalled"
    finally:
        unrelated.kill()
        unrelated.wait()


def test_second_bot_on_the_same_database_is_refused(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """Two bots on one database would answer every user twice: a second bot (or terminal chat)
    refuses to start, saying which process holds the database, and the first goes on."""
    first = BotProcess(server, tmp_path)
    try:
        server.api.user_message(USER, "/start")
        server.wait_for_message(USER, "Hi Ana!", timeout=30)
        second_log = tmp_path / "second"
        second_log.mkdir()
        second = BotProcess(server, second_log, OUTREACH_DB=str(tmp_path / "e2e.sqlite3"))
        assert second.proc.wait(timeout=60) == 1
        second.stop()
        assert f"already running on {tmp_path / 'e2e.sqlite3'}" in second.output()
        assert f"process {first.proc.pid}" in second.output()
        # Nor may a terminal chat use it: it would send the running bot's broadcasts itself.
        env = bot_environment()
        env.update(OUTREACH_CONTENT=str(CONTENT_DIR), OUTREACH_DB=str(tmp_path / "e2e.sqlite3"))
        chat = subprocess.run(
            [*outreach_bot_command(), "chat"],
            env=env,
            input="/quit\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert chat.returncode == 1 and "already running" in chat.stderr, chat
        server.api.user_message(USER, "/help")
        server.wait_for_message(USER, "how to use this bot")
        helps = [a for a in server.api.sent if "how to use this bot" in (a.text or "")]
        assert len(helps) == 1, "answered once, by the first bot"
    finally:
        code = first.stop()
    assert code == 0, first.output()
