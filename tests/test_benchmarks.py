"""The benchmarks still run, in a tiny configuration, and the bot answers everything in them.

Benchmarks measure; a test cannot, on a shared machine. These tests assert only that each
benchmark runs to its end against today's bot (button data, flows and settings change under
them) and that nothing in it went unanswered, lost or refused — never a rate or a latency.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import bench_broadcast, bench_pledges, bench_soak, bench_throughput
from bot.content import Content


async def test_throughput_runs_the_bot_and_the_echo_bot_on_one_stream(content: Content) -> None:
    users = [bench_throughput.USER_BASE + n for n in range(4)]
    bot, echo = await bench_throughput.paired_run(content, users, in_flight=2, batches=1)
    assert bot.updates > 4 * 10  # several journeys each
    assert (bot.unanswered, bot.off_script, bot.invalid, bot.errors) == (0, 0, 0, 0)
    assert echo.updates == bot.updates
    assert echo.unanswered == 0


async def test_the_bot_and_the_echo_bot_take_turns_on_the_same_supporters(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns: list[tuple[str, list[int]]] = []
    batch = bench_throughput.InProcessRun.batch

    async def recorded(run: bench_throughput.InProcessRun, users: list[int]) -> None:
        turns.append((run.kind, users))
        await batch(run, users)

    monkeypatch.setattr(bench_throughput.InProcessRun, "batch", recorded)
    users = [bench_throughput.USER_BASE + n for n in range(5)]
    bot, echo = await bench_throughput.paired_run(content, users, in_flight=1, batches=2)
    assert turns == [
        ("bot", users[:3]),
        ("echo", users[:3]),
        ("bot", users[3:]),
        ("echo", users[3:]),
    ]
    assert echo.updates == bot.updates > 5 * 10
    assert (bot.unanswered, bot.off_script, bot.invalid, bot.errors) == (0, 0, 0, 0)
    assert (echo.unanswered, echo.errors) == (0, 0)
    assert bot.seconds > 0 and echo.seconds > 0
    assert sorted(echo.streams) == users


async def test_throughput_prints_the_ratio_of_every_run(
    content: Content, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each run's ratio is measured against the echo run right after it; the table gives
    their min, median and max."""
    levels = await bench_throughput.throughput(content, users=2, in_flights=[1], repeats=2)
    (level,) = levels
    assert len(level.ratios) == 2 and all(r > 0 for r in level.ratios)
    bench_throughput.print_throughput(levels, users=2, repeats=2)
    printed = capsys.readouterr().out
    low, high = sorted(level.ratios)
    assert f"| 1 | 2 | {low:.3f} | {(low + high) / 2:.3f} | {high:.3f} |" in printed


def test_the_real_process_starts_and_answers_its_first_start(tmp_path: Path) -> None:
    """Twice on the same folder, as the benchmark restarts it: the second start finds the
    parsed content kept by the first. The bare echo bot, its baseline, answers too."""
    for _ in range(2):
        started = bench_throughput.process_start(idle_seconds=0.0, folder=tmp_path)
        assert started.exit_code == 0
        assert started.idle_rss_kib > 0 and started.peak_rss_kib >= started.idle_rss_kib
    assert (tmp_path / "bench.cache" / "agreements.yaml.pickle").is_file()
    echo = bench_throughput.process_start(0.0, command=bench_throughput.ECHO_COMMAND)
    assert echo.exit_code == 0


async def test_pledges_store_every_pledge_both_ways(content: Content) -> None:
    """``one_run`` itself refuses to return unless every pledge was stored once."""
    for per_user in (True, False):
        run = await bench_pledges.one_run(content, users=20, per_user=per_user)
        assert len(run.latencies) == 20 and run.rate > 0 and run.busy > 0


async def test_pledges_with_a_round_trip_store_every_pledge_both_ways(content: Content) -> None:
    """The same with each Bot API call taking a round trip (``--latency-ms``)."""
    for per_user in (True, False):
        run = await bench_pledges.one_run(content, users=5, per_user=per_user, latency_ms=20)
        assert len(run.latencies) == 5 and run.rate > 0
        # Most of the run is spent waiting for the round trips, not on the CPU.
        assert run.busy < 0.5


async def test_a_broadcast_while_users_chat_meets_no_429_and_loses_no_reply(
    content: Content,
) -> None:
    """Part 5, tiny: the fake counts replies and copies against one limit, as Telegram does."""
    result = await bench_broadcast.measure_budget(
        content, recipients=40, rate=45.0, limit=30.0, chatters=3, interval=0.5, design="bot"
    )
    assert result.delivered == 40
    assert result.questions > 0 and result.unanswered == 0
    assert result.flooded == 0


def test_the_soak_answers_every_update() -> None:
    result = bench_soak.run_soak(updates=60, users=6, in_flight=3, rate=None, keep_alive=True)
    assert result.updates == 60
    assert (result.unanswered, result.off_script, result.fake_errors) == (0, 0, 0)
    assert (result.exit_code, result.log_errors) == (0, 0)
