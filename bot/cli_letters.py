"""``outreach-bot letters``: the letters the campaign delivers, from the server's command line.

- ``status`` — letters by week of consent and language (waiting, printed, delivered), and the
  batches exported and not yet delivered;
- ``export --since DATE --out DIR`` — one new batch of the letters waiting since DATE: the PDF
  to print (cover page, one letter per page) and its CSV manifest, each written to a temporary
  file first, readable by its owner only (mode 0600), then moved into place; ``--batch N``
  writes an existing batch's files again;
- ``delivered --how "by hand" [--date DAY] [--batch N]`` — the batch went to the office: its
  letters are delivered, the senders who asked will be told, and letters withdrawn since the
  export are named so their pages are taken out.
"""

from __future__ import annotations

import io
import os
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

from bot.content import Content
from bot.deliveries import (
    Batch,
    CampaignLetter,
    DeliveryError,
    batch_letters,
    export_batch,
    get_batch,
    mark_delivered,
    open_batches,
    parse_how,
    weekly_counts,
    write_manifest,
)
from bot.storage import Storage


def _err(message: str) -> None:
    print(f"outreach-bot: {message}", file=sys.stderr)


def _day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


async def status(storage: Storage) -> int:
    """Print the letters by week and language, and the batches waiting to be delivered."""
    counts = await weekly_counts(storage)
    if not counts:
        print("no letters yet")
        return 0
    table: dict[tuple[date, str], dict[str, int]] = {}
    for row in counts:
        table.setdefault((row.week, row.language), {})[row.status] = row.count
    print(f"{'week of':<12}{'language':<10}{'waiting':>9}{'printed':>9}{'delivered':>11}")
    for (week, language), by_status in table.items():
        print(
            f"{week.isoformat():<12}{language:<10}{by_status.get('queued', 0):>9,}"
            f"{by_status.get('exported', 0):>9,}{by_status.get('delivered', 0):>11,}"
        )
    for batch in await open_batches(storage):
        print(
            f"batch {batch.id}: {batch.count:,} letter(s) exported {_day(batch.created_at)},"
            " not yet delivered"
        )
    return 0


async def export(
    storage: Storage,
    content: Content,
    since: date | None,
    batch_id: int | None,
    out: Path,
    paper: str,
) -> int:
    """Write a batch's PDF and CSV manifest into ``out``; a new batch unless ``batch_id``."""
    if content.letter.channels.campaign is None:
        _err("the content does not let the campaign deliver letters (channels.campaign)")
        return 2
    batch: Batch | None
    if batch_id is not None:
        batch = await get_batch(storage, batch_id)
        if batch is None:
            _err(f"there is no batch {batch_id}")
            return 1
        letters = await batch_letters(storage, batch.id)
    else:
        assert since is not None
        start = int(datetime.combine(since, time(), UTC).timestamp())
        made = await export_batch(storage, start)
        if made is None:
            print(f"no letters waiting since {since.isoformat()}: nothing written")
            return 0
        batch, letters = made
    try:
        written = _write_files(content, batch, letters, out, paper)
    except OSError as exc:
        _err(f"cannot write in {out}: {exc.strerror}")
        _err(f"batch {batch.id} is recorded: write it with `letters export --batch {batch.id}`")
        return 1
    print(
        f"batch {batch.id}: {len(letters):,} letter(s) confirmed from {_day(batch.first_at)}"
        f" to {_day(batch.last_at)}"
    )
    for path in written:
        print(f"wrote {path}")
    if batch.delivered_on is None:
        print(
            "once delivered: outreach-bot letters delivered"
            f' --batch {batch.id} --how "by hand" (or "by mail") --date YYYY-MM-DD'
        )
    return 0


def _write_files(
    content: Content, batch: Batch, letters: list[CampaignLetter], out: Path, paper: str
) -> list[Path]:
    from bot.letter_pdf import batch_pdf

    held = [letter for letter in letters if letter.body is not None]
    name = {"en": content.campaign.name.en, "es": content.campaign.name.es}
    pdf = batch_pdf(content.letter, name, held, paper)
    manifest = io.StringIO(newline="")
    write_manifest(manifest, held, pdf.pages)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = f"letters-batch-{batch.id}"
    files = {
        out / f"{stem}.pdf": pdf.data,
        out / f"{stem}.csv": manifest.getvalue().encode("utf-8"),
    }
    for path, data in files.items():
        _write_private(path, data)
    return list(files)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` next to ``path`` first (mode 0600 from the start), then move it there:
    no half-written file, and letters with names are readable by their owner only."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


async def delivered(storage: Storage, how_typed: str, day: date, batch_id: int | None) -> int:
    """Mark a batch delivered; say how many letters went, who will be told, what to take out."""
    how = parse_how(how_typed)
    if how is None:
        _err(f'--how: {how_typed!r} is not "by hand" or "by mail"')
        return 2
    if batch_id is None:
        waiting = await open_batches(storage)
        if not waiting:
            _err("no exported batch waits for delivery (`outreach-bot letters export` first)")
            return 1
        if len(waiting) > 1:
            listed = ", ".join(f"{b.id} ({b.count:,} letters)" for b in waiting)
            _err(f"several batches wait for delivery: {listed}; choose one with --batch N")
            return 2
        batch_id = waiting[0].id
    try:
        delivery = await mark_delivered(storage, batch_id, day, how)
    except DeliveryError as exc:
        _err(str(exc))
        return 1
    batch = delivery.batch
    way = "by hand" if how == "hand" else "by mail"
    print(f"batch {batch.id}: {batch.count:,} letter(s) delivered {way} on {batch.delivered_on}")
    if delivery.withdrawn:
        refs = ", ".join(f"#{ref}" for ref in delivery.withdrawn)
        print(
            f"withdrawn by their senders after the export, not to be handed over: {refs}"
            " (see the manifest for their pages)"
        )
    print(f"{len(delivery.notices):,} sender(s) asked to be told; they are kept until told")
    return 0
