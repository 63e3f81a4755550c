"""Reader contexts: top retrieved sentences widened to ±window sentences within their document.

Why: the paper's windows crossed document boundaries and were concatenated with no separator, so
the reader saw text that never existed. Here a window never leaves its document, overlapping or
touching windows of one document are merged, and passages keep rank order (a merged passage takes
the best rank of its parts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sesame.data.collection import Collection

PASSAGE_SEPARATOR = "\n\n---\n\n"


@dataclass
class Passage:
    doc_id: str
    start: int          # character offsets into the document text
    end: int
    text: str
    sids: list[int] = field(default_factory=list)
    rank: int = 0       # best retrieval rank among its sentences (1-based)


@dataclass
class _SentenceIndex:
    """Per-sentence document, offsets and document bounds, computed once per collection."""

    doc: list[str]
    start: list[int]
    end: list[int]
    first: dict[str, int]
    last: dict[str, int]

    @classmethod
    def of(cls, collection: Collection) -> "_SentenceIndex":
        s = collection.sentences.sort_values("sid")
        return cls(s["doc_id"].tolist(), s["start"].tolist(), s["end"].tolist(),
                   s.groupby("doc_id")["sid"].min().to_dict(), s.groupby("doc_id")["sid"].max().to_dict())


def passages_for(collection: Collection, ranked_sids: list[int], top_k_contexts: int, window: int,
                 index: _SentenceIndex | None = None) -> list[Passage]:
    """Passages for one question from its ranked sentence ids."""
    ix = index or _SentenceIndex.of(collection)
    spans: list[tuple[str, int, int, int]] = []  # doc_id, first sid, last sid, rank
    for rank, sid in enumerate(ranked_sids[:top_k_contexts], start=1):
        doc = ix.doc[sid]
        spans.append((doc, max(ix.first[doc], sid - window), min(ix.last[doc], sid + window), rank))
    merged: list[list] = []
    for doc, lo, hi, rank in sorted(spans, key=lambda s: (s[0], s[1])):
        if merged and merged[-1][0] == doc and lo <= merged[-1][2] + 1:
            merged[-1][2] = max(merged[-1][2], hi)
            merged[-1][3] = min(merged[-1][3], rank)
        else:
            merged.append([doc, lo, hi, rank])
    passages = []
    for doc, lo, hi, rank in sorted(merged, key=lambda m: m[3]):
        text = collection.document(doc).text
        start, end = ix.start[lo], ix.end[hi]
        passages.append(Passage(doc, start, end, text[start:end], list(range(lo, hi + 1)), rank))
    return passages


def build_contexts(collection: Collection, run: pd.DataFrame, top_k_contexts: int = 5,
                   window: int = 2) -> dict[str, list[Passage]]:
    """qid -> passages, for every question of the collection (no retrieved sentence: no passage)."""
    ranked = {qid: grp.sort_values("rank")["sid"].tolist() for qid, grp in run.groupby("qid", sort=False)}
    ix = _SentenceIndex.of(collection)
    return {q.qid: passages_for(collection, ranked.get(q.qid, []), top_k_contexts, window, ix)
            for q in collection.questions}


def gold_context(collection: Collection, qid: str) -> list[Passage]:
    """The whole document of the question: the paper's "correct context"."""
    q = next(q for q in collection.questions if q.qid == qid)
    doc = collection.document(q.doc_id)
    return [Passage(doc.doc_id, 0, len(doc.text), doc.text, [], 1)]


def join_passages(passages: list[Passage]) -> str:
    return PASSAGE_SEPARATOR.join(p.text for p in passages)
