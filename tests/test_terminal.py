"""The terminal chat: same application, readable output, numbered buttons, no network."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import time
from pathlib import Path

from bot.content import Content
from bot.telegram.terminal import run_terminal_chat
from tests.harness import make_config
from tests.test_e2e import outreach_bot_command


async def test_chat_walks_menu_buttons_and_questions(tmp_path: Path, content: Content) -> None:
    """Numbers press buttons, text asks questions, links are shown, and the DB is used."""
    config = make_config(tmp_path)
    typed = "1\n1\n1\nracial profiling\n99\n/quit\n"
    out = io.StringIO()
    code = await run_terminal_chat(config, content, io.StringIO(typed), out, language_code="en")
    text = out.getvalue()
    assert code == 0
    assert "Hi You!" in text
    assert "[1] 📚 Learn the facts" in text
    topic = next(iter(content.topics.values()))
    fact = content.topic_facts(topic.id)[0]
    assert f"[1] {topic.title.en}" in text
    assert fact.title.en in text and "Why it matters:" in text
    assert fact.sources[0].url in text  # links are shown, not hidden behind markup
    assert "<b>" not in text and "&amp;" not in text
    assert "Here is what I found" in text
    assert "there is no button 99" in text
    assert text.rstrip().endswith("Bye.")
    assert config.db_path.exists()


async def test_chat_in_spanish(tmp_path: Path, content: Content) -> None:
    """The terminal user can chat in Spanish."""
    out = io.StringIO()
    await run_terminal_chat(
        make_config(tmp_path), content, io.StringIO("¿qué es 287g?\n"), out, language_code="es"
    )
    assert "¡Hola, You!" in out.getvalue()
    assert "Esto es lo que encontré" in out.getvalue()


def test_run_without_token_on_a_terminal_opens_the_chat(tmp_path: Path) -> None:
    """`outreach-bot run` with no token on an interactive terminal says so and opens the chat."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTREACH_", "TELEGRAM_"))}
    env["OUTREACH_DB"] = str(tmp_path / "tty.sqlite3")
    env["TELEGRAM_API_URL"] = "http://127.0.0.1:9"  # never used: the chat has no network
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [*outreach_bot_command(), "run"],
        env=env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    sent_quit = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    break  # the process closed the terminal
                if not chunk:
                    break
                output += chunk
            if not sent_quit and b"> " in output:
                os.write(controller, b"/quit\n")
                sent_quit = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    text = output.decode("utf-8", errors="replace")
    assert code == 0, text
    first = text.strip().splitlines()[0]
    assert "TELEGRAM_BOT_TOKEN is not set" in first
    assert "Hi " in text and "Bye." in text


async def test_chat_walks_the_comment_guide(tmp_path: Path, content: Content) -> None:
    """The whole comment guide works in the terminal: numbers for buttons, text for answers."""
    reasons = len(content.letter.talking_points)
    typed = "\n".join(
        [
            "2",  # ✉️ Send your comment
            "1",  # Start
            "1",  # the first role
            "1",  # the first reason
            str(reasons + 1),  # Next ▶
            "We are neighbors.",
            "Ana",
            "Austin, TX",
            "6",  # Continue ▶ (after four edit buttons and "other wording")
            "1",  # I understand
            "1",  # I sent it
            "/quit",
        ]
    )
    out = io.StringIO()
    await run_terminal_chat(make_config(tmp_path), content, io.StringIO(typed + "\n"), out, "en")
    text = out.getvalue()
    assert "Step 1 of 5" in text and "Step 5 of 5" in text
    assert "We are neighbors." in text and "Washington, DC 20528" in text
    assert "identifies you to DHS" in text
    assert "Thank you for speaking up" in text
