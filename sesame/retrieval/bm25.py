"""Sparse-matrix BM25 over sentences: a paper-exact mode and a stemmed default mode.

Why our own scorer: the paper used rank_bm25's BM25Okapi, whose idf (ln(N-df+0.5) - ln(df+0.5),
negative values replaced by 0.25 x the mean idf) no bm25s method reproduces, and whose scoring is a
pure-Python pass over every sentence per query token. Here every (term, sentence) weight
idf * tf(k1+1) / (tf + k1(1-b+b*len/avglen)) is computed once at build time into a scipy CSR matrix
(terms x sentences) with the same float64 operations as rank_bm25; a batch of queries is then one
sparse product (query-term counts x weights, so a repeated query token counts again) and a top-k
selection per row. Rankings are rank_bm25's, ties broken by the lower sentence id (a stable full sort).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from sesame.errors import SesameInputError
from sesame.io import read_json, write_json
from sesame.retrieval.tokenize import make_tokenizer, tokenize_all

log = logging.getLogger(__name__)

MODES = ("default", "paper")
PAPER_K1 = PAPER_B = 0.1
DEFAULT_K1, DEFAULT_B = 1.2, 0.75
OKAPI_EPSILON = 0.25


@dataclass(frozen=True)
class BM25Params:
    """`paper`: the original tokeniser, rank_bm25's Okapi idf, k1=b=0.1. `default`: stemmed, Lucene idf."""

    mode: str = "default"
    k1: float | None = None
    b: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise SesameInputError(f"unknown BM25 mode {self.mode!r}", fix="use 'default' or 'paper'")

    @property
    def k1_value(self) -> float:
        return float(self.k1 if self.k1 is not None else (PAPER_K1 if self.mode == "paper" else DEFAULT_K1))

    @property
    def b_value(self) -> float:
        return float(self.b if self.b is not None else (PAPER_B if self.mode == "paper" else DEFAULT_B))


def okapi_idf(df: np.ndarray, n_docs: int, epsilon: float = OKAPI_EPSILON) -> np.ndarray:
    """rank_bm25 BM25Okapi idf, including the floor eps * mean(idf) for negative values.

    math.log (not np.log, whose SIMD kernels may differ in the last bit) and a sequential sum in
    vocabulary (first-occurrence) order, as rank_bm25 does, so every value is bit-identical.
    """
    values = [math.log(n_docs - f + 0.5) - math.log(f + 0.5) for f in df.tolist()]
    if values:
        eps = epsilon * (sum(values) / len(values))
        values = [eps if v < 0 else v for v in values]
    return np.array(values, dtype=np.float64)


def lucene_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """ln(1 + (N - df + 0.5) / (df + 0.5)): always positive, the usual modern choice."""
    return np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


class BM25Index:
    """Term-by-sentence weight matrix plus the vocabulary and tokeniser that produced it."""

    def __init__(self, params: BM25Params, language: str, vocab: dict[str, int], weights: sp.csr_matrix) -> None:
        self.params, self.language, self.vocab, self.weights = params, language, vocab, weights
        self.tokenizer = make_tokenizer(params.mode, language)

    @property
    def n_docs(self) -> int:
        return self.weights.shape[1]

    @classmethod
    def build(cls, texts: list[str], params: BM25Params, language: str = "en", *,
              progress: bool = False) -> "BM25Index":
        t0 = time.perf_counter()
        tokenizer = make_tokenizer(params.mode, language)
        docs = tokenize_all(tokenizer, texts, desc="bm25 tokenise" if progress else None, total=len(texts))
        index = cls.from_tokens(docs, params, language)
        log.info("bm25 index (%s): %d sentences, %d terms, %d postings, built in %.2fs", params.mode,
                 index.n_docs, len(index.vocab), index.weights.nnz, time.perf_counter() - t0)
        return index

    @classmethod
    def from_tokens(cls, docs: list[list[str]], params: BM25Params, language: str = "en") -> "BM25Index":
        """Build from pre-tokenised sentences (what rank_bm25 receives)."""
        n = len(docs)
        if n == 0:
            raise SesameInputError("cannot build a BM25 index over an empty collection",
                                   fix="check that the collection has sentences")
        vocab: dict[str, int] = {}
        term_ids = np.fromiter((vocab.setdefault(t, len(vocab)) for d in docs for t in d), dtype=np.int64)
        doc_len = np.fromiter((len(d) for d in docs), dtype=np.int64, count=n)
        doc_ids = np.repeat(np.arange(n, dtype=np.int64), doc_len)
        tf = sp.csr_matrix((np.ones(len(term_ids)), (term_ids, doc_ids)), shape=(len(vocab), n))
        tf.sum_duplicates()
        df = np.diff(tf.indptr).astype(np.float64)
        avgdl = doc_len.sum() / n
        k1, b = params.k1_value, params.b_value
        idf = okapi_idf(df, n) if params.mode == "paper" else lucene_idf(df, n)
        # Same operations, in the same order, as rank_bm25.BM25Okapi.get_scores (float64).
        dl = doc_len.astype(np.float64)[tf.indices]
        q = tf.data
        term_of = np.repeat(np.arange(len(vocab)), np.diff(tf.indptr))
        w = idf[term_of] * (q * (k1 + 1) / (q + k1 * (1 - b + b * dl / avgdl)))
        weights = sp.csr_matrix((w, tf.indices.copy(), tf.indptr.copy()), shape=tf.shape)
        return cls(params, language, vocab, weights)

    def query_matrix(self, token_lists: list[list[str]]) -> sp.csr_matrix:
        """One row per query with a 1 per known token, in query order, duplicates kept.

        Deliberately not canonical (unsorted, duplicated column indices): scipy's sparse product
        accumulates each row's terms in stored order, so every score is summed term by term in
        query order, exactly as rank_bm25 does, and the floats (hence the tie order) are identical.
        Unknown tokens are dropped: they score 0 in rank_bm25 too.
        """
        cols = [[j for j in map(self.vocab.get, toks) if j is not None] for toks in token_lists]
        indptr = np.zeros(len(cols) + 1, dtype=np.int64)
        np.cumsum([len(c) for c in cols], out=indptr[1:])
        indices = np.fromiter((j for c in cols for j in c), dtype=np.int64, count=int(indptr[-1]))
        m = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(cols), len(self.vocab)))
        m.has_canonical_format = False
        return m

    def search(self, queries: list[str], k: int, *, batch_size: int = 256,
               progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(sids, scores), each [len(queries), min(k, N)], best first; ties by lower sid."""
        return self.search_tokens(tokenize_all(self.tokenizer, queries), k, batch_size=batch_size,
                                  progress=progress)

    def search_tokens(self, token_lists: list[list[str]], k: int, *, batch_size: int = 256,
                      progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        n = self.n_docs
        kk = min(k, n)
        ids = np.empty((len(token_lists), kk), dtype=np.int64)
        scores = np.empty((len(token_lists), kk), dtype=np.float64)
        starts = range(0, len(token_lists), batch_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="bm25 search", unit="batch", mininterval=2.0)
        for s in starts:
            block = (self.query_matrix(token_lists[s:s + batch_size]) @ self.weights).tocsr()
            for r in range(block.shape[0]):
                lo, hi = block.indptr[r], block.indptr[r + 1]
                ids[s + r], scores[s + r] = topk_sparse_row(block.indices[lo:hi], block.data[lo:hi], kk, n)
        return ids, scores

    # -- persistence ---------------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        sp.save_npz(directory / "weights.npz", self.weights, compressed=False)
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        write_json(directory / "vocab.json", terms)

    @classmethod
    def load(cls, directory: str | Path, meta: dict) -> "BM25Index":
        directory = Path(directory)
        if not (directory / "weights.npz").exists():
            raise SesameInputError("not a BM25 index (no weights.npz)", source=directory,
                                   fix="build it with `sesame index --kind bm25`")
        weights = sp.load_npz(directory / "weights.npz").tocsr()
        terms = read_json(directory / "vocab.json")
        p = meta["params"]
        return cls(BM25Params(p["mode"], p.get("k1"), p.get("b")), meta["language"],
                   {t: i for i, t in enumerate(terms)}, weights)

    def describe(self) -> dict:
        return {"params": asdict(self.params), "k1": self.params.k1_value, "b": self.params.b_value,
                "language": self.language, "terms": len(self.vocab), "postings": int(self.weights.nnz)}


def topk_sparse_row(idx: np.ndarray, val: np.ndarray, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Top k of a length-n score vector given by its non-zeros, ordered by (-score, sid).

    Sentences absent from `idx` score 0, so when fewer than k scores are positive the list is
    filled with zero-score sentences in sid order (then negative ones), exactly as a stable full
    sort of the dense vector would do.
    """
    pos = val > 0
    npos = int(np.count_nonzero(pos))
    if npos >= k:
        if npos < len(val):
            idx, val = idx[pos], val[pos]
        if len(val) > 4 * k:
            kth = np.partition(val, len(val) - k)[len(val) - k]
            keep = val >= kth
            idx, val = idx[keep], val[keep]
        order = np.lexsort((idx, -val))[:k]
        return idx[order], val[order]
    dense = np.zeros(n, dtype=np.float64)
    dense[idx] = val
    top = np.lexsort((idx[pos], -val[pos]))
    out_ids = [idx[pos][top]]
    need = k - npos
    zeros = np.flatnonzero(dense == 0)[:need]
    out_ids.append(zeros)
    need -= len(zeros)
    if need > 0:
        neg = np.flatnonzero(dense < 0)
        out_ids.append(neg[np.lexsort((neg, -dense[neg]))][:need])
    ids = np.concatenate(out_ids)
    return ids, dense[ids]


def rank_order(scores: np.ndarray, k: int) -> np.ndarray:
    """Reference ranking of one dense score vector: stable full sort, best first (what the paper did)."""
    return np.argsort(-scores, kind="stable")[:k]
