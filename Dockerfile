# outreach-bot in a container: the database on a volume at /data, the content shipped inside
# the package (or your own, on a second volume, with OUTREACH_CONTENT). See README.md, "Deploy".
#
#   docker build -t outreach-bot .
#   docker run -d --name outreach-bot --restart unless-stopped \
#     -e TELEGRAM_BOT_TOKEN=123456:ABC... -v outreach-data:/data outreach-bot

# Build the wheel in a throw-away stage, so the image holds no sources and no build tools.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY content ./content
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
# pip compiles the bot's and its libraries' bytecode as it installs the wheels; the standard
# library's is compiled here (only what is missing): nothing is compiled again at each start,
# where it would cost about half a second (README, "Benchmarks").
RUN pip install /wheels/*.whl \
    && python -m compileall -q -j 0 "$(python -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')" \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin outreach \
    && mkdir /data \
    && chown outreach:outreach /data \
    && chmod 0700 /data

# Not root: the bot needs nothing but its database directory.
USER outreach
WORKDIR /data
ENV OUTREACH_DB=/data/outreach.sqlite3
VOLUME ["/data"]

# Needs no Telegram: the database opens and answers, and the content loads.
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD ["outreach-bot", "health"]

ENTRYPOINT ["outreach-bot"]
CMD ["run"]
