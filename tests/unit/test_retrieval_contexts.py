"""Reader contexts: windows stay inside their document, overlapping windows merge, rank order is kept."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from _retrieval_fixtures import small_collection
from sesame.retrieval.contexts import PASSAGE_SEPARATOR, build_contexts, gold_context, join_passages, passages_for

# small_collection: sids 0-3 doc "lab", 4-7 "ship", 8-10 "garden", 11-12 "choir".


@pytest.fixture(scope="module")
def coll():
    return small_collection()


def spans(passages):
    return [(p.doc_id, p.sids, p.rank) for p in passages]


def test_windows_stop_at_document_boundaries(coll):
    ps = passages_for(coll, [3, 4, 11], top_k_contexts=3, window=2)
    # 3 -> 1..5 clipped to lab's 1..3; 4 -> 2..6 clipped to ship's 4..6; 11 -> 9..13 clipped to 11..12
    assert spans(ps) == [("lab", [1, 2, 3], 1), ("ship", [4, 5, 6], 2), ("choir", [11, 12], 3)]
    lab = coll.document("lab").text
    assert ps[0].text == lab[lab.index("Dr. Ana"):]
    assert "Aurora" not in ps[0].text


def test_overlapping_and_touching_windows_merge_with_best_rank(coll):
    assert spans(passages_for(coll, [8, 0, 2], 3, 1)) == [("garden", [8, 9], 1), ("lab", [0, 1, 2, 3], 2)]
    assert spans(passages_for(coll, [2, 1], 2, 0)) == [("lab", [1, 2], 1)]  # adjacent sentences: one passage
    assert spans(passages_for(coll, [3, 1], 2, 0)) == [("lab", [3], 1), ("lab", [1], 2)]  # a gap: two


def test_top_k_contexts_limits_sentences(coll):
    assert spans(passages_for(coll, [12, 5, 9], 1, 0)) == [("choir", [12], 1)]


def test_random_runs_never_cross_documents(coll):
    rng = random.Random(0)
    n = len(coll.sentences)
    doc_of = coll.sentences.set_index("sid")["doc_id"].to_dict()
    for _ in range(200):
        ranked = rng.sample(range(n), rng.randint(1, 6))
        for p in passages_for(coll, ranked, rng.randint(1, 6), rng.randint(0, 3)):
            assert {doc_of[s] for s in p.sids} == {p.doc_id}
            assert p.text == coll.document(p.doc_id).text[p.start:p.end]
            assert all(coll.sentences.loc[s, "text"] in p.text for s in p.sids)


def test_build_contexts_and_join(coll):
    run = pd.DataFrame({"qid": ["q1", "q1", "q4"], "rank": [2, 1, 1], "sid": [8, 0, 4], "score": [1.0, 2.0, 3.0]})
    ctx = build_contexts(coll, run, top_k_contexts=2, window=0)
    assert set(ctx) == {q.qid for q in coll.questions}
    assert [p.sids for p in ctx["q1"]] == [[0], [8]]  # rank column decides the order, not row order
    assert ctx["q2"] == []  # no retrieved sentence, no passage
    joined = join_passages(ctx["q1"])
    assert joined == ctx["q1"][0].text + PASSAGE_SEPARATOR + ctx["q1"][1].text


def test_gold_context_is_the_whole_document(coll):
    (p,) = gold_context(coll, "q5")
    assert (p.doc_id, p.start, p.text) == ("ship", 0, coll.document("ship").text)
