"""What a typed question gets: an answer that opens a journey, a fact card with related facts,
or nothing — then the bot says so rather than guess.

Answers (``content/answers.yaml``) and fact cards compete in one search index and the best match
wins, so "what can i do" opens the comment guide, the pledge and sharing while "what is 287g"
gets its card. Plain functions of content and the index; nothing here imports ``telegram``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.loader import Content
from bot.content.models import Answer, Fact
from bot.search import ANSWER, FACT, KnowledgeIndex

RELATED_MAX = 3
"""Related fact cards offered under the best card, at most."""


@dataclass(frozen=True, slots=True)
class Reply:
    """The reply to a question: an answer, or a card and related cards, or neither."""

    answer: Answer | None = None
    fact: Fact | None = None
    related: tuple[Fact, ...] = ()

    @property
    def found(self) -> bool:
        return self.answer is not None or self.fact is not None


NO_REPLY = Reply()


def build_index(content: Content) -> KnowledgeIndex:
    """The search index over the content's fact cards and answers, with its synonyms."""
    return KnowledgeIndex(content.facts.values(), content.answers.values(), content.synonyms)


def answer_question(
    content: Content, index: KnowledgeIndex, text: str, lang: str, related_max: int = RELATED_MAX
) -> Reply:
    """The best answer or card for ``text`` in the user's language ``lang``.

    Related facts are the next cards the search found (answers are never offered as related).
    Hits the content no longer holds are skipped, so an index built for older content cannot
    make this fail.
    """
    hits = index.search(text, lang, limit=1 + 2 * related_max)
    for position, hit in enumerate(hits):
        if hit.kind == ANSWER and hit.id in content.answers:
            return Reply(answer=content.answers[hit.id])
        if hit.kind == FACT and hit.id in content.facts:
            related = [
                content.facts[other.id]
                for other in hits[position + 1 :]
                if other.kind == FACT and other.id in content.facts
            ]
            return Reply(fact=content.facts[hit.id], related=tuple(related[:related_max]))
    return NO_REPLY
