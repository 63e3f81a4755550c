"""Turn an LLM's free text into a span of its context where one matches.

Why: a generative reader paraphrases, adds "Answer:" or a full stop, or changes case; EM/F1 against
extractive references punish that. We keep the first line, strip labels and quotes, and then return the
context span that matches it exactly, case-insensitively, or (failing that) the context word run with
the best token F1 above a threshold. Text with no matching span is returned cleaned but unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)
_LABEL = re.compile(r"^\s*(?:#+\s*)?(?:answer|response|resposta|respuesta|a resposta é|the answer is)\s*[:\-]?\s*",
                    re.IGNORECASE)
_ARTICLES = {"en": {"a", "an", "the"}, "pt": {"o", "a", "os", "as", "um", "uma", "uns", "umas"}}
_QUOTES = "\"'“”‘’«»`*"


@dataclass(frozen=True)
class Matched:
    answer: str
    start: int | None      # character offset in the context; None when no span matched
    how: str               # exact | case | fuzzy | none


def clean_generation(text: str) -> str:
    """First non-empty line, without a leading label, surrounding quotes or a trailing full stop."""
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    for _ in range(2):
        line = _LABEL.sub("", line).strip().strip(_QUOTES).strip()
        if line.endswith(".") and not line.endswith(".."):
            line = line[:-1].rstrip()
    return line


def _tokens(text: str, language: str) -> list[tuple[str, int, int]]:
    arts = _ARTICLES.get(language, _ARTICLES["en"])
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text) if m.group().lower() not in arts]


def _f1(pred: Counter, ref: Counter, n_pred: int, n_ref: int) -> float:
    same = sum((pred & ref).values())
    if same == 0:
        return 0.0
    p, r = same / n_pred, same / n_ref
    return 2 * p * r / (p + r)


def match_span(answer: str, context: str, language: str = "en", min_f1: float = 0.5) -> Matched:
    """The context span for `answer`: exact, then case-insensitive, then best token-F1 word run."""
    ans = clean_generation(answer)
    if not ans:
        return Matched("", None, "none")
    i = context.find(ans)
    if i >= 0:
        return Matched(ans, i, "exact")
    i = context.lower().find(ans.lower())
    if i >= 0 and len(context.lower()) == len(context):  # lower() kept the offsets
        return Matched(context[i:i + len(ans)], i, "case")
    target = [t for t, _, _ in _tokens(ans, language)]
    if not target:
        return Matched(ans, None, "none")
    ref, words = Counter(target), _tokens(context, language)
    hits = [k for k, (t, _, _) in enumerate(words) if t in ref]
    best = (0.0, 0, 0)
    for a in hits:  # the best run starts and ends on a word of the answer
        for b in hits:
            if b < a or b - a >= 2 * len(target) + 2:
                continue
            run = [t for t, _, _ in words[a:b + 1]]
            f1 = _f1(Counter(run), ref, len(run), len(target))
            if f1 > best[0] + 1e-12:
                best = (f1, a, b)
    if best[0] >= min_f1:
        s, e = words[best[1]][1], words[best[2]][2]
        return Matched(context[s:e], s, "fuzzy")
    return Matched(ans, None, "none")
