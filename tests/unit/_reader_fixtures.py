"""Shared inputs of the reader tests: the demo collection and rule-made (cloze) synthetic pairs.

The cloze pairs are built from the demo *corpus* only, never from its questions: each sentence's years,
numbers and capitalised names become answers, and the question is the sentence with the answer replaced
by a wh-phrase ("The institute employs about how many staff?"). That is the simplest honest stand-in for
synthetic data, and the held-out demo questions (written by people, paraphrased) stay unseen. (Moving the
wh-phrase to the front and adding "the ..." noun phrases as answers made transfer worse in a trial.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_EN = REPO / "data" / "demo" / "en" / "handbook.json"
TINY_SQUAD = REPO / "tests" / "fixtures" / "tiny_squad.json"
ONESHOT = REPO / "data" / "demo" / "oneshot" / "{lang}.json"

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NUMBER = re.compile(r"\b\d(?:[\d,.:]*\d)?\b")
_NAME = re.compile(r"\b([A-Z][\w'-]+(?: (?:of |do |da |de |the )?[A-Z][\w'-]+)*)")


def demo_source() -> Path:
    """The English demo corpus; the tiny fixture only where the demo data is absent."""
    return DEMO_EN if DEMO_EN.exists() else TINY_SQUAD


def cloze_pairs(collection, per_sentence: int = 2, window: int = 1) -> list[dict]:
    """Synthetic-pair records ({context_id, context, question, answer:{text,start}, source}) from sentences."""
    s = collection.sentences.sort_values("sid")
    rows = list(s.itertuples(index=False))
    out = []
    for k, r in enumerate(rows):
        cands = [(m.start(), m.end(), "what year") for m in _YEAR.finditer(r.text)]
        cands += [(m.start(), m.end(), "how many") for m in _NUMBER.finditer(r.text) if not _YEAR.fullmatch(m.group())]
        cands += [(m.start(1), m.end(1), "what") for m in _NAME.finditer(r.text) if m.start(1) > 0]
        lo = max(0, k - window)
        while rows[lo].doc_id != r.doc_id:
            lo += 1
        hi = min(len(rows) - 1, k + window)
        while rows[hi].doc_id != r.doc_id:
            hi -= 1
        doc = collection.document(r.doc_id).text
        ctx0, ctx1 = rows[lo].start, rows[hi].end
        kept: list[tuple[int, int, str]] = []
        for a, b, wh in cands:  # first come, first kept: no overlapping answers
            if all(b <= x or a >= y for x, y, _ in kept):
                kept.append((a, b, wh))
        for a, b, wh in sorted(kept)[:per_sentence]:
            question = (r.text[:a] + wh + r.text[b:]).rstrip(" .") + "?"
            out.append({"context_id": f"{r.doc_id}:{lo}-{hi}", "context": doc[ctx0:ctx1], "question": question,
                        "answer": {"text": r.text[a:b], "start": r.start + a - ctx0}, "source": "cloze"})
    return out


def write_pairs(records: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
