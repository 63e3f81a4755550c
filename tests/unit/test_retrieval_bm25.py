"""BM25: the paper tokeniser, exact rank_bm25 parity in paper mode, the stemmed default mode, top-k."""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from _retrieval_fixtures import generated_queries, generated_sentences, small_collection
from sesame.errors import SesameInputError
from sesame.retrieval.bm25 import BM25Index, BM25Params, okapi_idf, rank_order, topk_sparse_row
from sesame.retrieval.tokenize import DefaultAnalyzer, paper_tokenize, strip_accents


def test_paper_tokeniser_steps():
    # accents stripped, other non-ASCII dropped, " ` / to spaces, word-word split, punctuation dropped,
    # lower-cased, one trailing "." removed, apostrophes kept inside words
    assert paper_tokenize('São Paulo/RJ: "Ana" Lima\'s well-known café — 3.5 km... ok.') == [
        "sao", "paulo", "rj", "ana", "lima's", "well", "known", "cafe", "3.5", "km", "ok"]
    assert paper_tokenize("e-mail `x` don't U.S.") == ["e", "mail", "x", "don't", "u", "s"]
    assert paper_tokenize("#tag @user 12:30 1,000") == ["#tag", "@user", "12:30", "1,000"]
    assert paper_tokenize("?!. ,") == []
    assert strip_accents("ação é") == "acao e"


def test_default_analyzer_stems_and_drops_stopwords():
    en = DefaultAnalyzer("en")
    assert en("The labs were founded in the city") == ["lab", "found", "citi"]
    assert en("founding") == en("founded") == ["found"]
    pt = DefaultAnalyzer("pt")
    assert pt("Os laboratórios da cidade") == ["laboratóri", "cidad"]
    with pytest.raises(SesameInputError):
        DefaultAnalyzer("de")


def test_okapi_idf_floor_matches_rank_bm25():
    docs = [["a", "b"], ["a", "c"], ["a"], ["d", "a", "a"]]
    ref = BM25Okapi(docs)
    df = np.array([4.0, 1.0, 1.0, 1.0])  # a, b, c, d in first-occurrence order
    ours = okapi_idf(df, 4)
    assert ours[0] == ref.idf["a"] == 0.25 * ref.average_idf  # negative idf replaced by the floor
    assert list(ours[1:]) == [ref.idf["b"], ref.idf["c"], ref.idf["d"]]


@pytest.mark.parametrize("k1,b", [(0.1, 0.1), (1.5, 0.75)])
def test_paper_mode_rankings_equal_rank_bm25(k1, b):
    sentences = generated_sentences(400)
    tokens = [paper_tokenize(s) for s in sentences]
    queries = generated_queries(200) + ["", "zebra", "the the the museum", "of"]
    q_tokens = [paper_tokenize(q) for q in queries]
    ref = BM25Okapi(tokens, k1=k1, b=b)
    index = BM25Index.from_tokens(tokens, BM25Params("paper", k1, b))
    k = 10
    ids, scores = index.search_tokens(q_tokens, k, batch_size=64)
    assert ids.shape == (len(queries), k)
    for i, q in enumerate(q_tokens):
        full = ref.get_scores(q)
        expected = rank_order(full, k)
        assert ids[i].tolist() == expected.tolist(), f"query {i} {q}"
        assert scores[i].tolist() == full[expected].tolist()  # bit-identical floats, hence identical ties


def test_paper_mode_defaults_and_text_search():
    sentences = generated_sentences(50, seed=3)
    index = BM25Index.build(sentences, BM25Params("paper"))
    assert (index.params.k1_value, index.params.b_value) == (0.1, 0.1)
    ref = BM25Okapi([paper_tokenize(s) for s in sentences], k1=0.1, b=0.1)
    ids, _ = index.search(["Museum of Ana", "old harbour"], 5)
    assert ids[0].tolist() == rank_order(ref.get_scores(paper_tokenize("Museum of Ana")), 5).tolist()


def test_default_mode_finds_gold_sentences():
    c = small_collection()
    index = BM25Index.build(c.sentence_texts(), BM25Params(), "en")
    assert (index.params.k1_value, index.params.b_value) == (1.2, 0.75)
    answerable = [q for q in c.questions if q.gold_sids]
    ids, scores = index.search([q.question for q in answerable], 3)
    top1 = [int(row[0]) for row in ids]
    assert top1 == [q.gold_sids[0] for q in answerable]
    assert (np.diff(scores, axis=1) <= 0).all()


def test_topk_sparse_row_equals_stable_full_sort():
    rng = np.random.default_rng(0)
    n = 40
    for trial in range(300):
        dense = np.zeros(n)
        m = rng.integers(0, n)
        idx = rng.choice(n, size=m, replace=False)
        dense[idx] = rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0, rng.random()], size=m)  # ties, zeros, negatives
        k = int(rng.integers(1, n + 1))
        ids, vals = topk_sparse_row(idx, dense[idx], k, n)
        assert ids.tolist() == rank_order(dense, k).tolist(), trial
        assert vals.tolist() == dense[ids].tolist()


def test_save_load_roundtrip(tmp_path):
    index = BM25Index.build(generated_sentences(60), BM25Params("default"), "en")
    index.save(tmp_path)
    loaded = BM25Index.load(tmp_path, {"params": {"mode": "default", "k1": None, "b": None}, "language": "en"})
    qs = generated_queries(20)
    a, b = index.search(qs, 5), loaded.search(qs, 5)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_empty_collection_and_bad_mode():
    with pytest.raises(SesameInputError):
        BM25Index.from_tokens([], BM25Params())
    with pytest.raises(SesameInputError):
        BM25Params("lucene")
