"""The question set (``tests/data/questions.yaml``) asked of the shipped content, and its scores.

Each question is what a supporter might type; each has the reply it must get first: a fact
card, an answer that opens a journey, or none (the bot must say it has no answer). The reply is
the one a supporter sees, from :func:`bot.answers.answer_question` over the same index the bot
builds. ``tests/test_questions.py`` holds the floors; this prints the table the README reports::

    .venv/bin/python -m tests.question_set [--misses]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.answers import answer_question, build_index
from bot.content import Content, load_content
from bot.render import check_rendered

DATA = Path(__file__).resolve().parent / "data" / "questions.yaml"
CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"
NONE = "none"


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    lang: str
    expect: str  # "fact:<id>", "answer:<id>" or "none"
    typo: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    question: Question
    got: str  # as expect

    @property
    def correct(self) -> bool:
        return self.got == self.question.expect


def load_questions(path: Path = DATA) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Question(
            text=str(row["q"]),
            lang=str(row["lang"]),
            expect=str(row["expect"]),
            typo=bool(row.get("typo", False)),
        )
        for row in data["questions"]
    ]


def ask(content: Content, questions: Iterable[Question]) -> list[Outcome]:
    """What the bot replies first to each question."""
    index = build_index(content)
    outcomes = []
    for question in questions:
        reply = answer_question(content, index, question.text, question.lang)
        if reply.answer is not None:
            got = f"answer:{reply.answer.id}"
        elif reply.fact is not None:
            got = f"fact:{reply.fact.id}"
        else:
            got = NONE
        outcomes.append(Outcome(question, got))
    return outcomes


def accuracy(outcomes: list[Outcome]) -> float:
    """Top-1 accuracy: the share of questions whose first reply is the expected one."""
    return sum(o.correct for o in outcomes) / len(outcomes) if outcomes else 0.0


def wrongly_answered(outcomes: list[Outcome]) -> list[Outcome]:
    """Questions that must get no answer but got one."""
    return [o for o in outcomes if o.question.expect == NONE and o.got != NONE]


ROWS: tuple[tuple[str, Callable[[Question], bool]], ...] = (
    ("all questions", lambda q: True),
    ("English", lambda q: q.lang == "en"),
    ("Spanish", lambda q: q.lang == "es"),
    ("with typos or chat spellings", lambda q: q.typo),
    ("spelled correctly", lambda q: not q.typo),
    ("expecting a journey", lambda q: q.expect.startswith("answer:")),
    ("expecting a fact card", lambda q: q.expect.startswith("fact:")),
    ("expecting no answer", lambda q: q.expect == NONE),
)


def table(outcomes: list[Outcome]) -> str:
    """The Markdown table of top-1 accuracy by group, and the no-answer precision."""
    lines = ["| questions | count | top-1 correct | accuracy |", "|---|---:|---:|---:|"]
    for label, keep in ROWS:
        group = [o for o in outcomes if keep(o.question)]
        right = sum(o.correct for o in group)
        lines.append(f"| {label} | {len(group)} | {right} | {accuracy(group):.1%} |")
    wrong = wrongly_answered(outcomes)
    none = [o for o in outcomes if o.question.expect == NONE]
    answered = [o for o in outcomes if o.got != NONE]
    mistaken = sum(not o.correct for o in answered)
    lines += [
        "",
        f"Questions that must get no answer: {len(none)}, of which answered anyway: {len(wrong)}.",
        f"Replies given: {len(answered)}, of which wrong: {mistaken}; "
        f'answerable questions told "no answer": '
        f"{sum(o.got == NONE and o.question.expect != NONE for o in outcomes)}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the question set on the shipped content.")
    parser.add_argument("--content", type=Path, default=CONTENT_DIR)
    parser.add_argument("--misses", action="store_true", help="list the questions answered wrong")
    args = parser.parse_args(argv)
    content = load_content(args.content, render_check=check_rendered)
    outcomes = ask(content, load_questions())
    print(table(outcomes))
    if args.misses:
        print()
        for o in outcomes:
            if not o.correct:
                q = o.question
                print(f"- {q.lang} {q.text!r}: expected {q.expect}, got {o.got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
