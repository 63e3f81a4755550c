"""The quality gate every synthetic pair passes, whichever generator wrote it.

Why: the original pipeline kept whatever the models wrote, with `answer_start = chunk.find(answer)`
(possibly another occurrence, possibly -1) and no filter. A reader trained on such pairs learns
wrong spans. The gate keeps a pair only if its answer is the exact span at its recorded offset
(the highlighted occurrence) and its question is a real, new question about the context. Every drop
is counted by reason, so the stats file says what the generator was worth.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sesame.metrics.squad import normalize_answer
from sesame.synth.candidates import LEXICONS

REASONS = ("malformed_output", "answer_not_span", "empty_answer", "empty_question", "too_long", "repetitive",
           "no_question_form", "answer_in_question", "answer_words_in_question", "ungrounded_question",
           "duplicate_question", "round_trip_failed")

QUESTION_WORDS = {
    "en": frozenset("what which who whom whose when where why how is are was were do does did can could will "
                    "would should shall has have had may might must".split()),
    "pt": frozenset("que quê qual quais quem quando onde aonde como quanto quanta quantos quantas porque "
                    "por cujo cuja é são foi foram há existe existem pode podem".split()),
}
_TOKEN = re.compile(r"\w+")


@dataclass
class RawPair:
    """A generated pair before the gate; answer_start is the offset the generator highlighted (None: not found)."""

    context_id: str
    context: str
    question: str
    answer_text: str
    answer_start: int | None
    source: str

    def record(self) -> dict:
        return {"context_id": self.context_id, "context": self.context, "question": self.question,
                "answer": {"text": self.answer_text, "start": self.answer_start}, "source": self.source}


@dataclass
class GateConfig:
    language: str = "en"
    max_question_words: int = 30
    min_grounding: float = 0.6   # share of the question's content words that must occur in the context


def grounding(question: str, context: str, language: str) -> float:
    """Share of the question's content words found in the context (4-letter prefixes, a cheap stemmer)."""
    skip = QUESTION_WORDS[language] | LEXICONS[language].stop
    words = [w for w in _TOKEN.findall(question.lower()) if len(w) >= 3 and w not in skip]
    if not words:
        return 0.0
    stems = {w[:4] for w in _TOKEN.findall(context.lower())}
    return sum(w[:4] in stems for w in words) / len(words)


def check_pair(pair: RawPair, cfg: GateConfig) -> str | None:
    """The first rule `pair` breaks, or None. Duplicates are judged by `QualityGate`, which sees all pairs."""
    a, q, lang = pair.answer_text, pair.question.strip(), cfg.language
    s = pair.answer_start
    if not a or a != a.strip() or s is None or s < 0 or pair.context[s:s + len(a)] != a:
        return "answer_not_span"
    norm_a = normalize_answer(a, lang)
    if not norm_a:
        return "empty_answer"
    if not q:
        return "empty_question"
    tokens = _TOKEN.findall(q.lower())
    if len(q.split()) > cfg.max_question_words:
        return "too_long"
    trigrams = list(zip(tokens, tokens[1:], tokens[2:]))
    if len(set(trigrams)) < len(trigrams) or any(n >= 4 for n in Counter(tokens).values()):
        return "repetitive"
    if "?" not in q and not QUESTION_WORDS[lang] & set(tokens):
        return "no_question_form"
    norm_q = normalize_answer(q, lang)
    if f" {norm_a} " in f" {norm_q} ":
        return "answer_in_question"
    answer_words = [w for w in norm_a.split() if w not in LEXICONS[lang].stop]
    if len(answer_words) >= 2 and sum(w in norm_q.split() for w in answer_words) * 3 >= 2 * len(answer_words):
        return "answer_words_in_question"   # "Who was Dr. Lindqvist?" for the answer "Dr. Erik Lindqvist"
    if grounding(q, pair.context, lang) < cfg.min_grounding:
        return "ungrounded_question"
    return None


@dataclass
class QualityGate:
    """Applies `check_pair` and drops questions seen before (normalised), counting every decision."""

    cfg: GateConfig
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    _seen: set = field(default_factory=set)

    def __call__(self, pair: RawPair) -> bool:
        reason = check_pair(pair, self.cfg)
        key = normalize_answer(pair.question, self.cfg.language)
        if reason is None and key in self._seen:
            reason = "duplicate_question"
        if reason is not None:
            self.dropped[reason] += 1
            return False
        self._seen.add(key)
        self.kept += 1
        return True

    def filter(self, pairs: list[RawPair]) -> list[RawPair]:
        return [p for p in pairs if self(p)]

    def stats(self) -> dict:
        return {"kept": self.kept, "dropped": {r: self.dropped.get(r, 0) for r in REASONS},
                "dropped_total": sum(self.dropped.values())}
