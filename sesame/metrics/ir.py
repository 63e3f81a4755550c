"""Sentence-retrieval metrics against the gold sentence(s) of each question.

Binary relevance: a retrieved sentence is relevant when it holds an answer start. Questions with
no gold sentence are skipped (and not counted), as in the paper.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def reciprocal_rank(ranked: Sequence[int], gold: set[int], k: int) -> float:
    for rank, sid in enumerate(ranked[:k], start=1):
        if sid in gold:
            return 1.0 / rank
    return 0.0


def recall_at(ranked: Sequence[int], gold: set[int], k: int) -> float:
    """Hit rate: 1 when any gold sentence is in the top k (the usual top-k retrieval accuracy)."""
    return float(any(sid in gold for sid in ranked[:k]))


def ndcg_at(ranked: Sequence[int], gold: set[int], k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, sid in enumerate(ranked[:k]) if sid in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0


def ir_metrics(runs: Mapping[str, Sequence[int]], gold: Mapping[str, Sequence[int]], k: int = 10,
               recall_ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """Mean MRR@k, Recall@{1,5,10,k} and nDCG@10 over questions that have a gold sentence."""
    ks = sorted(set(recall_ks) | {k})
    totals = {"mrr": 0.0, "ndcg@10": 0.0, **{f"recall@{r}": 0.0 for r in ks}}
    count = 0
    for qid, gold_sids in gold.items():
        if not gold_sids:
            continue
        g = set(gold_sids)
        ranked = list(runs.get(qid, []))
        count += 1
        totals["mrr"] += reciprocal_rank(ranked, g, k)
        totals["ndcg@10"] += ndcg_at(ranked, g, 10)
        for r in ks:
            totals[f"recall@{r}"] += recall_at(ranked, g, r)
    out = {name: (value / count if count else 0.0) for name, value in totals.items()}
    out["count"] = count
    out["k"] = k
    return out
