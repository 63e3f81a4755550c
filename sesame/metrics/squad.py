"""SQuAD exact match and F1, plus the "contains" precision, with language-aware normalisation.

English follows the official SQuAD v1.1 evaluation script exactly (ASCII punctuation, articles
a/an/the, token-level F1, maximum over references), so our numbers are comparable to published ones.
Portuguese also strips Unicode punctuation (« » “ ” – …) and drops its own articles.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass

_ASCII_PUNCT = frozenset(string.punctuation)
_ARTICLES = {
    "en": re.compile(r"\b(a|an|the)\b", re.UNICODE),
    "pt": re.compile(r"\b(o|a|os|as|um|uma|uns|umas)\b", re.UNICODE),
}


def _strip_punctuation(text: str, language: str) -> str:
    if language == "en":
        return "".join(ch for ch in text if ch not in _ASCII_PUNCT)
    return "".join(ch for ch in text if ch not in _ASCII_PUNCT and not unicodedata.category(ch).startswith("P"))


def normalize_answer(text: str, language: str = "en") -> str:
    """Lower-case, drop punctuation, drop articles, collapse whitespace (official order)."""
    text = _strip_punctuation(text.lower(), language)
    text = _ARTICLES.get(language, _ARTICLES["en"]).sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, reference: str, language: str = "en") -> float:
    return float(normalize_answer(prediction, language) == normalize_answer(reference, language))


def f1_score(prediction: str, reference: str, language: str = "en") -> float:
    pred = normalize_answer(prediction, language).split()
    ref = normalize_answer(reference, language).split()
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def _contains_tokens(longer: list[str], shorter: list[str]) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def contains_match(prediction: str, reference: str, language: str = "en") -> float:
    """Correct when one normalised answer contains the other as a contiguous token run.

    An empty prediction is always wrong (the original counted it as correct: a bug), and the
    comparison is on tokens so that "a" never matches inside "cat".
    """
    pred = normalize_answer(prediction, language).split()
    ref = normalize_answer(reference, language).split()
    if not pred or not ref:
        return 0.0
    return float(_contains_tokens(pred, ref) or _contains_tokens(ref, pred))


def max_over_references(metric, prediction: str, references: list[str], language: str = "en") -> float:
    if not references:
        return 0.0
    return max(metric(prediction, ref, language) for ref in references)


@dataclass(frozen=True)
class QAScores:
    exact_match: float
    f1: float
    precision: float
    count: int

    def as_dict(self) -> dict:
        return {"exact_match": self.exact_match, "f1": self.f1, "precision": self.precision, "count": self.count}


def score_predictions(predictions: dict[str, str], references: dict[str, list[str]],
                      language: str = "en") -> QAScores:
    """Mean EM/F1/precision (0-100) over every reference question; a missing prediction counts as empty."""
    em = f1 = prec = 0.0
    for qid, refs in references.items():
        pred = predictions.get(qid, "") or ""
        em += max_over_references(exact_match, pred, refs, language)
        f1 += max_over_references(f1_score, pred, refs, language)
        prec += max_over_references(contains_match, pred, refs, language)
    n = len(references)
    if n == 0:
        return QAScores(0.0, 0.0, 0.0, 0)
    return QAScores(100.0 * em / n, 100.0 * f1 / n, 100.0 * prec / n, n)
