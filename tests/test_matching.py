"""The one folding rule and the one typo measure every comparison of typed text uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.matching import fold, normalize, osa_distance, typos_allowed
from bot.places import find_county
from bot.pledges import is_stop_message


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Harris County", "harris county"),
        ("¿Qué  es?", "que es"),
        ("Doña Ana", "dona ana"),
        ("St. Mary's", "st mary s"),
        ("ＳＴＯＰ", "stop"),  # fullwidth letters
        ("  over\u00a0\tspaces_and-dashes  ", "over spaces and dashes"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_fold_examples(typed: str, folded: str) -> None:
    """Case, accents, punctuation, spacing and compatibility forms do not matter."""
    assert fold(typed) == folded


@given(st.text(max_size=60))
def test_fold_is_idempotent_and_plain(text: str) -> None:
    """Folding folded text changes nothing; the result has single spaces and no edges."""
    once = fold(text)
    assert fold(once) == once
    assert once == " ".join(once.split())


def test_search_pledge_and_places_fold_alike() -> None:
    """The search, the pledge's stop words and the place names compare with the same rule."""
    assert normalize("¿Qué es 287(g)?") == "que es 287g"  # folding, then the search's own 287g
    assert is_stop_message("  ¡ALTO! ", ("alto",))
    assert is_stop_message("No   MÁS", ("no mas",))
    assert find_county("NM", "doña ana county")[0] == find_county("NM", "Dona Ana")[0]


def _reference_osa(a: str, b: str) -> int:
    """The textbook optimal string alignment distance, no shortcuts."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(st.text("abcd", max_size=9), st.text("abcd", max_size=9), st.integers(1, 3))
def test_osa_distance_is_the_textbook_distance_up_to_the_bound(a: str, b: str, bound: int) -> None:
    """Within the bound the distance is exact; beyond it the answer is ``bound + 1``."""
    assert osa_distance(a, b, bound) == min(_reference_osa(a, b), bound + 1)


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("profiling", "profilng", 1), ("racial", "raical", 1), ("harris", "haris", 1),
     ("deportation", "deprtaton", 2), ("same", "same", 0)],
)  # fmt: skip
def test_osa_distance_examples(a: str, b: str, distance: int) -> None:
    """A dropped letter or two swapped neighbours is one typo."""
    assert osa_distance(a, b, 2) == distance


def test_typos_allowed_grows_with_the_word() -> None:
    """None below four letters, one up to seven, two from eight."""
    assert [typos_allowed(n) for n in range(1, 11)] == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
