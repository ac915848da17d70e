"""Deep links: reading ``/start`` payloads, building them, and formatting t.me links."""

from __future__ import annotations

import string
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content import Content
from bot.deeplinks import (
    FACT_JOURNEY,
    JOURNEYS,
    PAYLOAD_MAX,
    StartLink,
    build_payload,
    deep_link,
    parse_start_payload,
)

FACT_IDS = frozenset({"what-is-287g", "who-pays", "a", "x" * 32})
NOTHING = StartLink(None, None, None)
ALPHABET = string.ascii_letters + string.digits + "_-"
sources = st.text(alphabet=ALPHABET, min_size=1, max_size=PAYLOAD_MAX)


def parse(payload: str | None) -> StartLink:
    return parse_start_payload(payload, FACT_IDS)


# -- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("journey", JOURNEYS)
def test_journey_alone(journey: str) -> None:
    """A bare journey name opens that journey and records no source."""
    assert parse(journey) == StartLink(journey, None, None)


@pytest.mark.parametrize("journey", JOURNEYS)
def test_journey_with_source(journey: str) -> None:
    """``JOURNEY--SOURCE`` opens the journey and records the source code."""
    assert parse(f"{journey}--flyer-mn") == StartLink(journey, None, "flyer-mn")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("fact-what-is-287g", StartLink(FACT_JOURNEY, "what-is-287g", None)),
        ("fact-what-is-287g--ig_story", StartLink(FACT_JOURNEY, "what-is-287g", "ig_story")),
        ("fact-a--b", StartLink(FACT_JOURNEY, "a", "b")),
        (f"fact-{'x' * 32}", StartLink(FACT_JOURNEY, "x" * 32, None)),
    ],
)
def test_known_fact(payload: str, expected: StartLink) -> None:
    """``fact-<id>`` for a fact that exists opens that fact, with or without a source."""
    assert parse(payload) == expected


@pytest.mark.parametrize(
    "payload",
    [
        "fact-no-such-fact",
        "fact-no-such-fact--flyer",
        "fact-",
        "fact---flyer",
        "fact-What-is-287g",  # fact ids are lower case
        f"fact-{'x' * 33}",  # longer than any fact id
    ],
)
def test_unknown_fact_is_a_plain_source(payload: str) -> None:
    """A link to a fact that does not exist (say, since removed) still counts as a source code."""
    assert parse(payload) == StartLink(None, None, payload)


def test_fact_ids_are_checked_against_the_collection_given() -> None:
    """The same payload is a fact link only while that fact is in the content."""
    assert parse_start_payload("fact-who-pays--x", {"who-pays"}).fact_id == "who-pays"
    assert parse_start_payload("fact-who-pays--x", set()) == StartLink(
        None, None, "fact-who-pays--x"
    )


def test_fact_ids_may_be_a_dict() -> None:
    """The content's ``facts`` dict can be passed as it is."""
    facts = {"who-pays": object()}
    assert parse_start_payload("fact-who-pays", facts) == StartLink(FACT_JOURNEY, "who-pays", None)


@pytest.mark.parametrize(
    "payload", ["flyer-mn", "share", "Flyer_MN_2025", "x", "-", "_", "facts-mn", "pledges", "LOCAL"]
)
def test_legacy_source_codes(payload: str) -> None:
    """Payloads that are not journeys are recorded whole, as links printed before journeys were."""
    assert parse(payload) == StartLink(None, None, payload)


def test_share_is_a_plain_source() -> None:
    """``share``, which the fact cards' share links carry, stays a plain source code."""
    assert parse("share") == StartLink(None, None, "share")


@pytest.mark.parametrize(
    "payload", ["petition--flyer", "--flyer", "Pledge--flyer", "share--ig", "facts-x--y"]
)
def test_unknown_journey_is_a_plain_source(payload: str) -> None:
    """If the part before ``--`` is not a journey, the whole payload is the source code."""
    assert parse(payload) == StartLink(None, None, payload)


@pytest.mark.parametrize("journey", JOURNEYS)
def test_separator_with_nothing_after(journey: str) -> None:
    """``JOURNEY--`` opens the journey and records no source."""
    assert parse(f"{journey}--") == StartLink(journey, None, None)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("pledge----x", StartLink("pledge", None, "--x")),
        ("pledge---", StartLink("pledge", None, "-")),
        ("comment--a--b", StartLink("comment", None, "a--b")),
        ("fact-who-pays---x", StartLink(FACT_JOURNEY, "who-pays", "-x")),
    ],
)
def test_split_is_at_the_first_separator(payload: str, expected: StartLink) -> None:
    """Everything after the first ``--`` is the source code, dashes included."""
    assert parse(payload) == expected


def test_exactly_64_characters() -> None:
    """Payloads of exactly 64 characters are read, plain or after a journey."""
    assert parse("a" * 64) == StartLink(None, None, "a" * 64)
    assert parse("pledge--" + "b" * 56) == StartLink("pledge", None, "b" * 56)


@pytest.mark.parametrize("payload", ["a" * 65, "pledge--" + "b" * 57, "fact-who-pays--" + "c" * 50])
def test_65_characters_are_ignored(payload: str) -> None:
    """A payload longer than Telegram's 64 characters is malformed and ignored entirely."""
    assert len(payload) == 65
    assert parse(payload) == NOTHING


@pytest.mark.parametrize(
    "payload",
    [
        "flyer mn",
        "flyer.mn",
        "flyér",
        "flyer🌽",
        "<b>flyer</b>",
        "pledge--<script>",
        "pledge--flyer.mn",
        "flyer\n",
        "\tflyer",
        "ｆｌｙｅｒ",  # full-width letters are not ASCII
        "flyer%20mn",
    ],
)
def test_bad_characters_are_ignored(payload: str) -> None:
    """Any character outside ``A-Z a-z 0-9 _ -`` makes the whole payload malformed."""
    assert parse(payload) == NOTHING


@pytest.mark.parametrize("payload", ["", None, "pledge flyer-mn", "flyer-mn extra", " "])
def test_empty_missing_or_several_arguments(payload: str | None) -> None:
    """No payload, an empty one, or several arguments joined by spaces give no link."""
    assert parse(payload) == NOTHING


def test_non_string_is_ignored() -> None:
    """Whatever is passed in, parsing does not raise."""
    assert parse(b"pledge") == NOTHING  # type: ignore[arg-type]
    assert parse(["pledge"]) == NOTHING  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_parse_never_raises_and_keeps_sources_valid(payload: str) -> None:
    """For any text, parsing returns a link whose source, if any, is a valid source code."""
    link = parse(payload)
    if link.source is not None:
        assert 1 <= len(link.source) <= PAYLOAD_MAX
        assert set(link.source) <= set(ALPHABET)
    if link.fact_id is not None:
        assert link.journey == FACT_JOURNEY and link.fact_id in FACT_IDS
    assert link.journey in (*JOURNEYS, FACT_JOURNEY, None)


# -- building ----------------------------------------------------------------------------------


@given(journey=st.sampled_from(JOURNEYS), data=st.data())
def test_journey_links_round_trip(journey: str, data: st.DataObject) -> None:
    """A journey with any source code that fits reads back as the same journey and source."""
    room = PAYLOAD_MAX - len(journey) - 2
    source = data.draw(st.none() | st.text(alphabet=ALPHABET, min_size=1, max_size=room))
    payload = build_payload(source, journey)
    assert len(payload) <= PAYLOAD_MAX
    assert parse(payload) == StartLink(journey, None, source)


@given(fact_id=st.sampled_from(sorted(FACT_IDS)), data=st.data())
def test_fact_links_round_trip(fact_id: str, data: st.DataObject) -> None:
    """A fact link with any source code that fits reads back as the same fact and source."""
    room = PAYLOAD_MAX - len("fact-") - len(fact_id) - 2
    source = data.draw(st.none() | st.text(alphabet=ALPHABET, min_size=1, max_size=room))
    journey = data.draw(st.sampled_from([None, FACT_JOURNEY]))
    payload = build_payload(source, journey, fact_id)
    assert parse(payload) == StartLink(FACT_JOURNEY, fact_id, source)


@given(sources)
def test_plain_sources_round_trip(source: str) -> None:
    """A plain source code that builds reads back as the same plain source code."""
    try:
        payload = build_payload(source)
    except ValueError:
        head = source.partition("--")[0]
        assert head in JOURNEYS or head.startswith("fact-")
        return
    assert payload == source
    assert parse(payload) == StartLink(None, None, source)


@given(journey=st.sampled_from(JOURNEYS), data=st.data())
def test_over_long_combinations_raise(journey: str, data: st.DataObject) -> None:
    """A journey and source that together pass 64 characters raise instead of being cut."""
    room = PAYLOAD_MAX - len(journey) - 2
    source = data.draw(st.text(alphabet=ALPHABET, min_size=room + 1, max_size=PAYLOAD_MAX))
    with pytest.raises(ValueError, match="Telegram allows 64"):
        build_payload(source, journey)


@pytest.mark.parametrize(
    ("source", "journey", "payload"),
    [
        ("flyer-mn", None, "flyer-mn"),
        ("share", None, "share"),
        (None, "pledge", "pledge"),
        ("flyer-mn", "pledge", "pledge--flyer-mn"),
        ("a" * 64, None, "a" * 64),
        ("b" * 56, "pledge", "pledge--" + "b" * 56),
    ],
)
def test_build_payload_examples(source: str | None, journey: str | None, payload: str) -> None:
    """build_payload writes the grammar's forms, up to exactly 64 characters."""
    assert build_payload(source, journey) == payload


def test_build_fact_payload() -> None:
    """A fact id makes a ``fact-<id>`` payload, with the source after ``--``."""
    assert build_payload("ig", fact_id="what-is-287g") == "fact-what-is-287g--ig"
    assert build_payload(None, FACT_JOURNEY, "what-is-287g") == "fact-what-is-287g"


@pytest.mark.parametrize(
    ("source", "journey", "fact_id", "message"),
    [
        ("a" * 65, None, None, "1-64 characters"),
        ("b" * 57, "pledge", None, "at most 56 characters"),
        ("c" * 39, None, "x" * 32, "at most 25 characters"),
        ("flyer mn", None, None, "A-Z a-z 0-9 _ -"),
        ("flyer.mn", "pledge", None, "A-Z a-z 0-9 _ -"),
        ("flyér", None, None, "A-Z a-z 0-9 _ -"),
        ("", None, None, "1-64 characters"),
        ("x", "petition", None, "unknown journey 'petition'"),
        ("x", "Pledge", None, "unknown journey"),
        (None, None, None, "needs a source code, a journey, or both"),
        ("x", FACT_JOURNEY, None, "needs a fact id"),
        ("x", "pledge", "who-pays", "goes with the journey 'fact'"),
        ("x", None, "Who-Pays", "fact id 'Who-Pays' must be"),
        ("x", None, "x" * 33, "1-32 characters"),
        ("x", None, "a--b", "contains '--'"),
        ("x", None, "a-", "ends with '-'"),
        ("pledge", None, None, "would be read as a link"),
        ("pledge--flyer", None, None, "would be read as a link"),
        ("fact-sheet", None, None, "would be read as a link"),
    ],
)
def test_build_payload_rejects(
    source: str | None, journey: str | None, fact_id: str | None, message: str
) -> None:
    """Invalid, unknown, over-long or ambiguous payloads raise ValueError naming the rule."""
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        build_payload(source, journey, fact_id)


def test_every_shipped_fact_can_be_linked(content: Content) -> None:
    """Every fact in the shipped content has a deep link with room for a 25-character source."""
    for fact_id in content.facts:
        payload = build_payload("s" * 25, fact_id=fact_id)
        assert parse_start_payload(payload, content.facts) == StartLink(
            FACT_JOURNEY, fact_id, "s" * 25
        )


# -- t.me links --------------------------------------------------------------------------------


def test_deep_link_with_payload() -> None:
    """A payload goes after ``?start=`` on the bot's t.me address."""
    assert deep_link("End287gBot", "pledge--flyer-mn") == (
        "https://t.me/End287gBot?start=pledge--flyer-mn"
    )


def test_deep_link_without_payload() -> None:
    """No payload gives the bare t.me address of the bot."""
    assert deep_link("outreach_bot", None) == "https://t.me/outreach_bot"


@given(
    journey=st.sampled_from(JOURNEYS), source=st.text(alphabet=ALPHABET, min_size=1, max_size=50)
)
def test_deep_link_payload_reads_back(journey: str, source: str) -> None:
    """The ``start`` parameter of a built link is exactly the payload /start will receive."""
    url = deep_link("outreach_bot", build_payload(source, journey))
    (payload,) = parse_qs(urlsplit(url).query)["start"]
    assert parse(payload) == StartLink(journey, None, source)


@pytest.mark.parametrize("username", ["abcd", "A" * 32, "my_outreach_bot", "End287gBot", "x123"])
def test_deep_link_accepts_usernames(username: str) -> None:
    """Usernames of 4-32 letters, digits and underscores starting with a letter are accepted."""
    assert deep_link(username, None) == f"https://t.me/{username}"


@pytest.mark.parametrize(
    "username", ["", "abc", "A" * 33, "@outreach_bot", "1bot", "_bot_", "my-bot", "my bot", "bøt_x"]
)
def test_deep_link_rejects_usernames(username: str) -> None:
    """Anything that is not a Telegram username raises ValueError naming the rule."""
    with pytest.raises(ValueError, match="bot username"):
        deep_link(username, "pledge")


@pytest.mark.parametrize("payload", ["", "a" * 65, "flyer mn", "flyer.mn", "x&start=y"])
def test_deep_link_rejects_payloads(payload: str) -> None:
    """A payload Telegram would not carry raises ValueError naming the 64-character limit."""
    with pytest.raises(ValueError, match="1-64 characters"):
        deep_link("outreach_bot", payload)
