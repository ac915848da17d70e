"""Unit tests of the free-text search engine (``bot.search``) on facts built here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.models import Citation, Fact, Localized, LocalizedList
from bot.matching import STOP_WORDS_EN, STOP_WORDS_ES, normalize, stem
from bot.search import KnowledgeIndex, SearchHit

SOURCE = Citation(
    title="A report", publisher="A publisher", date="2024", url="https://example.org/report"
)


def make_fact(
    fid: str,
    title: tuple[str, str],
    text: tuple[str, str],
    why: tuple[str, str] = ("It matters.", "Importa."),
    keywords: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
    topic: str = "basics",
) -> Fact:
    return Fact(
        id=fid,
        topic=topic,
        title=Localized(en=title[0], es=title[1]),
        text=Localized(en=text[0], es=text[1]),
        why=Localized(en=why[0], es=why[1]),
        keywords=LocalizedList(en=keywords[0], es=keywords[1]),
        sources=(SOURCE,),
        checked="2025-01-01",
    )


FACTS: tuple[Fact, ...] = (
    make_fact(
        "what-is-287g",
        ("What is 287(g)?", "¿Qué es 287(g)?"),
        (
            "Section 287(g) of the Immigration and Nationality Act lets ICE deputize local "
            "police and sheriffs to enforce federal immigration law.",
            "La sección 287(g) de la Ley de Inmigración y Nacionalidad permite a ICE delegar en "
            "policías y alguaciles locales la aplicación de la ley federal de inmigración.",
        ),
        (
            "Local officers become immigration agents.",
            "Los agentes locales se convierten en agentes de inmigración.",
        ),
        (("what is 287(g)", "287g", "section 287(g)", "deputize"), ("qué es 287(g)", "287g")),
    ),
    make_fact(
        "racial-profiling",
        ("287(g) leads to racial profiling", "287(g) conduce al perfil racial"),
        (
            "The Justice Department found racial profiling of Latino drivers by a sheriff's "
            "office in a 287(g) agreement.",
            "El Departamento de Justicia encontró perfiles raciales de conductores latinos por "
            "una oficina del alguacil con un acuerdo 287(g).",
        ),
        (
            "Profiling breaks trust in the whole community.",
            "El perfil racial rompe la confianza de toda la comunidad.",
        ),
        (
            ("racial profiling", "discrimination", "traffic stops"),
            ("perfil racial", "discriminación", "paradas de tráfico"),
        ),
        topic="harms",
    ),
    make_fact(
        "costs",
        ("287(g) costs local taxpayers", "287(g) les cuesta a los contribuyentes locales"),
        (
            "Counties pay for jail beds, overtime and training; ICE does not reimburse most of "
            "the cost of 287(g).",
            "Los condados pagan camas de cárcel, horas extra y capacitación; ICE no reembolsa "
            "la mayor parte del costo de 287(g).",
        ),
        ("Money leaves schools and roads.", "El dinero sale de escuelas y carreteras."),
        (("cost", "money", "budget", "taxpayers"), ("costo", "cuesta", "dinero", "presupuesto")),
        topic="costs",
    ),
    make_fact(
        "trust",
        ("Immigrants stop reporting crimes", "Los inmigrantes dejan de denunciar delitos"),
        (
            "Police chiefs say victims and witnesses stay silent when police act as "
            "immigration agents.",
            "Los jefes de policía dicen que víctimas y testigos callan cuando la policía actúa "
            "como agente de inmigración.",
        ),
        ("Everyone is less safe.", "Todos están menos seguros."),
        (
            ("public safety", "crime victims", "trust"),
            ("seguridad pública", "víctimas", "confianza"),
        ),
        topic="harms",
    ),
    make_fact(
        "deportations",
        ("287(g) fuels deportations", "287(g) alimenta las deportaciones"),
        (
            "Most people deported after a 287(g) arrest had no criminal record.",
            "La mayoría de las personas deportadas tras un arresto 287(g) no tenía antecedentes.",
        ),
        ("Families are separated.", "Las familias se separan."),
        (("deportation", "family separation"), ("deportación", "separación familiar")),
        topic="harms",
    ),
    make_fact(
        "comment",
        ("Send a comment to DHS", "Envía un comentario al DHS"),
        (
            "The Secretary of Homeland Security can end 287(g) agreements; write to ask for it.",
            "El Secretario de Seguridad Nacional puede terminar los acuerdos 287(g); escríbele.",
        ),
        ("Your voice counts.", "Tu voz cuenta."),
        (("comment", "write", "email"), ("comentario", "escribir", "correo")),
        topic="act",
    ),
)


@pytest.fixture(scope="module")
def index() -> KnowledgeIndex:
    return KnowledgeIndex(FACTS)


def top(index: KnowledgeIndex, query: str, lang: str = "en") -> str | None:
    hits = index.search(query, lang)
    return hits[0].id if hits else None


# --- normalize and stem -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("287(g)", "287g"),
        ("287 (G)", "287g"),
        ("287-g", "287g"),
        ("287 g", "287g"),
        ("287g", "287g"),
        ("Section 287(g) agreements", "section 287g agreements"),
        ("¿Qué es 287(g)?", "que es 287g"),
        ("DEPORTACIÓN, Niños", "deportacion ninos"),
        ("  lots\t\nof   space  ", "lots of space"),
        ("<b>&</b>", "b b"),
        ("de 5 a 10", "de 5 a 10"),
        ("３ y ４", "3 y 4"),
        ("２８７（ｇ）", "287g"),
        ("", ""),
        ("🙂🙂", ""),
    ],
)
def test_normalize_cases(raw: str, expected: str) -> None:
    """normalize lower-cases, strips accents and punctuation and joins 287(g) variants."""
    assert normalize(raw) == expected


def test_normalize_is_idempotent() -> None:
    """normalize applied twice gives the same result as once."""
    for raw in ("¿Qué es 287(g)?", "Perfil RACIAL!!", "raciel profilng", "Ünïcödé ß"):
        once = normalize(raw)
        assert normalize(once) == once


@pytest.mark.parametrize(
    "words",
    [
        ("cost", "costs", "costo", "costos"),
        ("profile", "profiles", "profiling"),
        ("deportacion", "deportaciones"),
        ("racial", "raciales"),
        ("policy", "policies"),
        ("family", "families"),
        ("detain", "detained"),
    ],
)
def test_stem_conflates_inflections(words: tuple[str, ...]) -> None:
    """stem maps plurals, -ción/-ciones, -ing/-ed and final vowels of a word to one stem."""
    assert len({stem(w) for w in words}) == 1


def test_stem_leaves_numbers_and_short_words() -> None:
    """stem never touches tokens with digits or of three characters or fewer."""
    assert stem("287g") == "287g"
    assert stem("ice") == "ice"
    assert stem("ley") == "ley"


def test_stop_words_are_normalized_and_exclude_287g() -> None:
    """The built-in stop words are normalised tokens and 287g is not one of them."""
    for word in STOP_WORDS_EN | STOP_WORDS_ES:
        assert normalize(word) == word
    assert "287g" not in STOP_WORDS_EN | STOP_WORDS_ES


# --- finding the right card --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("does 287g cause racial profiling?", "en", "racial-profiling"),
        ("¿qué es 287(g)?", "es", "what-is-287g"),
        ("que es 287g", "es", "what-is-287g"),
        ("what is 287(g)", "en", "what-is-287g"),
        ("287g costs", "en", "costs"),
        ("cuanto cuesta", "es", "costs"),
        ("perfil racial", "es", "racial-profiling"),
        ("PERFIL RACIAL", "es", "racial-profiling"),
        ("does it lead to deportations", "en", "deportations"),
        ("deportación", "es", "deportations"),
        ("how do I send a comment to DHS", "en", "comment"),
        ("do victims stop reporting crimes", "en", "trust"),
    ],
)
def test_questions_find_expected_card(
    index: KnowledgeIndex, query: str, lang: str, expected: str
) -> None:
    """Typical questions in English and Spanish put the expected card first."""
    assert top(index, query, lang) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("raciel profilng", "racial-profiling"),
        ("racial proflingg", "racial-profiling"),
        ("deportaton", "deportations"),
        ("deprotation", "deportations"),
        ("perfl racail", "racial-profiling"),
        ("taxpayrs", "costs"),
        ("waht is 287g", "what-is-287g"),
        ("wat is 287(g)", "what-is-287g"),
    ],
)
def test_typos_are_tolerated(index: KnowledgeIndex, query: str, expected: str) -> None:
    """Misspelt words (edits, transpositions, missing letters) still find the card."""
    assert top(index, query) == expected


def test_accents_and_case_do_not_matter(index: KnowledgeIndex) -> None:
    """Accented, unaccented and upper-case spellings give identical results."""
    assert index.search("deportación", "es") == index.search("DEPORTACION", "es")
    assert index.search("¿Qué es 287(g)?", "es") == index.search("que es 287 g", "es")


def test_prefix_of_a_word_finds_the_card(index: KnowledgeIndex) -> None:
    """A word typed halfway (as in inline mode) matches the words it starts."""
    assert top(index, "deport") == "deportations"
    assert top(index, "discrimin") == "racial-profiling"


def test_spanish_query_with_english_interface(index: KnowledgeIndex) -> None:
    """Spanish questions find cards when the user's language is English, and vice versa."""
    assert top(index, "perfil racial", "en") == "racial-profiling"
    assert top(index, "racial profiling", "es") == "racial-profiling"
    assert top(index, "¿cuánto cuesta 287(g)?", "en") == "costs"


def test_typo_in_short_word_is_not_corrected(index: KnowledgeIndex) -> None:
    """Tokens shorter than four characters are never fuzzy-matched."""
    assert index.search("ixe", "en") == []


# --- returning nothing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "hola",
        "hello",
        "hello!!!",
        "¿qué?",
        "what is it",
        "de la que el los",
        "the and of to",
        "asdfgh",
        "qwertyuiop zxcvbnm",
        "weather in Paris",
        "receta de tamales",
        "who won the world cup",
        "🙂🙂🙂",
    ],
)
def test_stop_words_and_unrelated_queries_return_nothing(index: KnowledgeIndex, query: str) -> None:
    """Queries made of stop words, unknown or unrelated words return no card."""
    assert index.search(query, "en") == []
    assert index.search(query, "es") == []


def test_one_word_found_only_in_a_body_returns_nothing() -> None:
    """A single word that no card has in its title or keywords is too weak to answer."""
    body = make_fact("body", ("Jail", "Cárcel"), ("Counties pay for beds.", "Camas."))
    index = KnowledgeIndex([body, FACTS[0]])
    assert index.search("beds", "en") == []
    assert top(index, "jail") == "body"


def test_empty_index_returns_nothing() -> None:
    """An index without facts answers every query with an empty list."""
    empty = KnowledgeIndex([])
    assert empty.search("racial profiling", "en") == []
    assert len(empty) == 0


def test_mostly_unknown_query_returns_nothing(index: KnowledgeIndex) -> None:
    """A query whose words are mostly unknown is not answered by one weak body match."""
    assert index.search("bitcoin ethereum dogecoin schools", "en") == []


# --- result shape ----------------------------------------------------------------------------


def test_limit_caps_hits(index: KnowledgeIndex) -> None:
    """search returns at most ``limit`` hits, none for a limit of zero or less."""
    assert len(index.search("287g", "en", limit=2)) <= 2
    assert len(index.search("287g", "en", limit=1)) == 1
    assert index.search("287g", "en", limit=0) == []
    assert index.search("287g", "en", limit=-3) == []
    assert len(index.search("287g", "en")) <= 4


def test_hits_are_sorted_and_unique(index: KnowledgeIndex) -> None:
    """Hits are SearchHit objects, best score first, each fact at most once."""
    hits = index.search("287g racial profiling costs deportation", "en", limit=10)
    assert hits and all(isinstance(h, SearchHit) for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h.id for h in hits}) == len(hits)
    assert all(h.score > 0 for h in hits)


def test_related_cards_follow_the_best(index: KnowledgeIndex) -> None:
    """A query touching several cards returns the best one first and the others after it."""
    hits = index.search("racial profiling and deportations", "en")
    ids = [h.id for h in hits]
    assert set(ids[:2]) == {"racial-profiling", "deportations"}


def test_287g_alone_prefers_the_card_about_287g(index: KnowledgeIndex) -> None:
    """287g is a low-weight word, yet alone it finds the card whose keywords are about it."""
    assert top(index, "287g") == "what-is-287g"
    assert top(index, "287") == "what-is-287g"


def test_287g_does_not_outweigh_content_words(index: KnowledgeIndex) -> None:
    """Every card mentions 287g, so the other words of the query decide."""
    assert top(index, "287g 287g 287g deportations") == "deportations"


def test_language_preference_breaks_ties() -> None:
    """With identical words in both languages, the card matching in the user's language wins."""
    english = make_fact("en-card", ("Sheriff", "Otro"), ("Sheriff", "Otro"))
    spanish = make_fact("es-card", ("Other", "Sheriff"), ("Other", "Sheriff"))
    index = KnowledgeIndex([english, spanish])
    assert index.search("sheriff", "en")[0].id == "en-card"
    assert index.search("sheriff", "es")[0].id == "es-card"
    assert len(index.search("sheriff", "en")) == 2


def test_keywords_weigh_more_than_body() -> None:
    """A word in a card's keywords outranks the same word in another card's body."""
    body = make_fact("body", ("A", "A"), ("Jail beds cost money.", "Camas."))
    keyword = make_fact("kw", ("B", "B"), ("Nothing here.", "Nada."), keywords=(("jail",), ()))
    index = KnowledgeIndex([body, keyword])
    assert top(index, "jail") == "kw"


def test_phrase_in_order_gets_a_bonus() -> None:
    """A multi-word keyword matched in order outranks the same words scattered elsewhere."""
    phrase = make_fact("phrase", ("A", "A"), ("x", "x"), keywords=(("family separation",), ()))
    scattered = make_fact(
        "scattered", ("B", "B"), ("x", "x"), keywords=(("separation", "family"), ())
    )
    index = KnowledgeIndex([scattered, phrase])
    assert top(index, "family separation") == "phrase"


def test_duplicate_fact_ids_are_indexed_once() -> None:
    """A fact id given twice is indexed once (the first occurrence)."""
    index = KnowledgeIndex([FACTS[2], FACTS[2]])
    assert [h.id for h in index.search("costs", "en")] == ["costs"]


def test_unknown_language_behaves_as_english(index: KnowledgeIndex) -> None:
    """Any language code other than "es" searches as English."""
    assert index.search("racial profiling", "fr") == index.search("racial profiling", "en")


# --- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "a" * 10_000,
        "racial profiling " * 2_000,
        "🙂" * 5_000,
        "\x00\x01\x02\x1b[31m\u200b\u202e\ufeff",
        "مرحبا ما هو 287(g)؟",
        "שלום עולם",
        "<b>&</b><script>alert(1)</script>",
        "\ud800\udfff lone surrogates",
        "Z̸̢̛a̵͈͝l̶̡̈g̷̱̈o̵͓͝ text",
        "%s %d {0} {name} \\n \\x00",
        "x" * 33 + " " + "y" * 100,
        "287" * 1000,
    ],
)
def test_odd_input_never_raises(index: KnowledgeIndex, query: str) -> None:
    """Huge, binary-looking, RTL, emoji and markup queries return a list without raising."""
    for lang in ("en", "es", "", "xx"):
        hits = index.search(query, lang)
        assert isinstance(hits, list)
        assert len(hits) <= 4


def test_long_query_still_answers_from_its_start(index: KnowledgeIndex) -> None:
    """Only the first tokens of a very long query are used, and they still find the card."""
    query = "racial profiling " + "lorem " * 5000
    assert top(index, query) == "racial-profiling"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=st.text(max_size=200), lang=st.sampled_from(["en", "es", "de"]))
def test_arbitrary_text_never_raises(query: str, lang: str) -> None:
    """Any Unicode string is a valid query (property test)."""
    index = KnowledgeIndex(FACTS)
    hits = index.search(query, lang)
    assert all(h.score > 0 for h in hits)
    assert normalize(normalize(query)) == normalize(query)


def test_search_is_deterministic() -> None:
    """Two indexes over the same facts give identical results, repeatedly and from cache."""
    queries = ["raciel profilng", "287g", "cuanto cuesta", "deport", "weather in Paris"]
    first = KnowledgeIndex(FACTS)
    second = KnowledgeIndex(FACTS)
    for query in queries:
        a = first.search(query, "en")
        assert a == first.search(query, "en") == second.search(query, "en")


def test_typo_correction_is_bounded_and_cache_independent() -> None:
    """Only the first content words are corrected, whatever was searched before."""
    query = "287g " * 20 + "raciel profilng"
    assert top(KnowledgeIndex(FACTS), "287g raciel profilng") == "racial-profiling"
    fresh = KnowledgeIndex(FACTS).search(query, "en")
    warmed = KnowledgeIndex(FACTS)
    assert top(warmed, "raciel profilng") == "racial-profiling"  # fills the typo cache
    assert warmed.search(query, "en") == fresh == []  # words 21 and 22 are not corrected


def test_fact_order_only_breaks_exact_ties() -> None:
    """Reordering the facts changes no scores and keeps equal-score hits in input order."""
    forward = KnowledgeIndex(FACTS)
    backward = KnowledgeIndex(reversed(FACTS))
    for query in ("racial profiling", "deportación", "money budget"):
        a = {h.id: h.score for h in forward.search(query, "en", limit=10)}
        b = {h.id: h.score for h in backward.search(query, "en", limit=10)}
        assert a == b


def test_search_module_does_not_import_telegram() -> None:
    """bot/search.py stays free of the Telegram library (importable by any tool)."""
    source = Path(__file__).resolve().parents[1] / "bot" / "search.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    assert not [n for n in names if n.split(".")[0] == "telegram"]
