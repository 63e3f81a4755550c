"""Hybrid fusion against hand-computed fusions: RRF with k=0 (the paper) and k=60, weighted scores."""

from __future__ import annotations

import pandas as pd
import pytest

from sesame.errors import SesameInputError
from sesame.retrieval.fusion import fuse


def run(rows: dict[str, list[int]], scores: dict[str, list[float]] | None = None) -> pd.DataFrame:
    data = []
    for qid, sids in rows.items():
        for r, sid in enumerate(sids, start=1):
            data.append((qid, r, sid, scores[qid][r - 1] if scores else 1.0 / r))
    return pd.DataFrame(data, columns=["qid", "rank", "sid", "score"])


def ranked(df: pd.DataFrame, qid: str) -> list[int]:
    return df[df["qid"] == qid].sort_values("rank")["sid"].tolist()


# bm25 ranks a=5, b=3, c=9; dense ranks d=1, c=9, b=3.
BM25 = run({"q": [5, 3, 9]})
DENSE = run({"q": [1, 9, 3]})


def test_rrf_k0_paper():
    # 5: 1/1 = 1      1: 1/1 = 1      3: 1/2 + 1/3 = 5/6      9: 1/3 + 1/2 = 5/6
    # 5 and 1 tie (best rank 1 both) -> lower sid first; 3 and 9 tie (best rank 2 both) -> lower sid.
    fused = fuse([BM25, DENSE], "rrf", k=0)
    assert ranked(fused, "q") == [1, 5, 3, 9]
    assert fused["score"].tolist() == pytest.approx([1.0, 1.0, 5 / 6, 5 / 6])
    assert fused["rank"].tolist() == [1, 2, 3, 4]


def test_rrf_k60():
    # 3: 1/62 + 1/63 = 0.0320020   9: 1/63 + 1/62 (same)   5: 1/61 = 0.0163934   1: 1/61 (same)
    fused = fuse([BM25, DENSE], "rrf", k=60)
    assert ranked(fused, "q") == [3, 9, 1, 5]
    assert fused["score"].tolist() == pytest.approx([1 / 62 + 1 / 63, 1 / 62 + 1 / 63, 1 / 61, 1 / 61])


def test_rrf_tie_broken_by_best_component_rank_before_sid():
    # k=0. bm25: 7, 8, 2, 4   dense: 6, 1, 3, 4
    # 7: 1   6: 1   8: 1/2   1: 1/2   2: 1/3   3: 1/3   4: 1/4 + 1/4 = 1/2 (best rank 4)
    # Among the 1/2s: 1 and 8 have best rank 2, then 4 (best rank 4) although 4 < 8.
    fused = fuse([run({"q": [7, 8, 2, 4]}), run({"q": [6, 1, 3, 4]})], "rrf", k=0)
    assert ranked(fused, "q") == [6, 7, 1, 8, 4, 2, 3]


def test_union_top_k_and_question_order():
    a = run({"q2": [1, 2], "q1": [3]})
    b = run({"q1": [4], "q2": [2, 5]})
    fused = fuse([a, b], "rrf", k=60, top_k=2, qid_order=["q1", "q2"])
    assert fused["qid"].tolist() == ["q1", "q1", "q2", "q2"]
    assert ranked(fused, "q1") == [3, 4]  # union of both lists; tie (1/61 each) by sid
    assert ranked(fused, "q2") == [2, 1]  # 2 is in both lists; top_k cuts 5
    full = fuse([a, b], "rrf", k=60)
    assert sorted(ranked(full, "q2")) == [1, 2, 5]


def test_weighted_min_max_fusion():
    bm25 = run({"q": [10, 11, 12]}, {"q": [10.0, 6.0, 2.0]})   # normalised 1, 0.5, 0
    dense = run({"q": [11, 13, 10]}, {"q": [0.9, 0.7, 0.5]})    # normalised 1, 0.5, 0
    # w=0.5: 10 -> .5*1 + .5*0 = .5   11 -> .5*.5 + .5*1 = .75   13 -> .5*.5 = .25   12 -> 0
    f = fuse([bm25, dense], "weighted", weights=[0.5, 0.5])
    assert ranked(f, "q") == [11, 10, 13, 12]
    assert f["score"].tolist() == pytest.approx([0.75, 0.5, 0.25, 0.0])
    # w=0.8: 10 -> .8   11 -> .4 + .2 = .6   13 -> .1   12 -> 0
    f = fuse([bm25, dense], "weighted", weights=[0.8, 0.2])
    assert ranked(f, "q") == [10, 11, 13, 12]
    assert f["score"].tolist() == pytest.approx([0.8, 0.6, 0.1, 0.0])


def test_weighted_constant_scores_normalise_to_one():
    f = fuse([run({"q": [1, 2]}, {"q": [3.0, 3.0]}), run({"q": [2]}, {"q": [0.4]})], "weighted", weights=[0.5, 0.5])
    assert ranked(f, "q") == [2, 1]
    assert f["score"].tolist() == pytest.approx([1.0, 0.5])


def test_fusion_errors():
    with pytest.raises(SesameInputError):
        fuse([BM25, DENSE], "borda")
    with pytest.raises(SesameInputError):
        fuse([BM25, DENSE], "rrf", k=-1)
    with pytest.raises(SesameInputError):
        fuse([BM25, DENSE], "weighted", weights=[1.0])
