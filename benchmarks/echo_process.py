"""A bare python-telegram-bot bot as a process: the floor of ``bench_throughput``'s start-up.

It answers /start with a fixed text and nothing else: python-telegram-bot's own
``run_polling`` with one handler, no database, no content. ``bench_throughput`` starts it the
way it starts ``outreach-bot run`` (same fake Bot API, same /start waiting, same environment):
what the bot's start costs beyond this is the bot's own.

    python -m benchmarks.echo_process   (TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL set)
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes


async def start(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("Hi!")


def main() -> None:
    api = os.environ["TELEGRAM_API_URL"]
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
