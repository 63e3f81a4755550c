"""sesame.report.aggregate: every metrics file becomes tidy rows, traceable to its file."""

from __future__ import annotations

import json
import math

import pytest

from _report_fixtures import DATASETS, FRACS, READERS, RETRIEVERS, SEEDS, make_tree, write_run
from sesame.errors import SesameInputError
from sesame.report.aggregate import (discover, load_per_question, load_retrieval, load_runs, ordered,
                                     per_question_matrix)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("agg") / "results"
    runs, retrieval = make_tree(root)
    return root, runs, retrieval


def test_one_row_per_run_and_context_with_the_files_numbers(tree):
    root, run_files, _ = tree
    df = load_runs(run_files)
    assert len(df) == 2 * len(DATASETS) * len(RETRIEVERS) * len(READERS) * len(FRACS) * len(SEEDS)
    assert set(df["context"]) == {"retrieved", "gold"}
    for path in run_files[::17]:
        m = json.loads(path.read_text())
        for ctx in ("retrieved", "gold"):
            row = df[(df["path"] == str(path)) & (df["context"] == ctx)]
            assert len(row) == 1
            row = row.iloc[0]
            assert (row.dataset, row.language, row.retriever, row.reader, row.frac, row.seed) == (
                m["dataset"], m["language"], m["retriever"], m["reader"], m["frac"], m["seed"])
            assert row.em == m[ctx]["exact_match"] and row.f1 == m[ctx]["f1"] and row["count"] == m[ctx]["count"]
            assert row.config_hash == m["config_hash"] and json.loads(row.versions) == m["versions"]
            assert row.top_k == 5
            # rrf_k only shapes hybrid runs
            assert (row.rrf_k == 60) if m["retriever"] == "hybrid" else math.isnan(row.rrf_k)


def test_discover_finds_every_file(tree):
    root, run_files, retrieval_files = tree
    runs, retrieval = discover([root])
    assert sorted(runs) == sorted(run_files) and sorted(retrieval) == sorted(retrieval_files)
    with pytest.raises(SesameInputError, match="results folder not found"):
        discover([root / "nope"])


def test_the_same_run_in_two_folders_counts_once(tree, tmp_path):
    _, run_files, _ = tree
    copy = write_run(tmp_path / "results", "bioasq", "en", "bm25", "extractive", 0.4, 0)
    df = load_runs([*run_files, copy])
    assert len(df) == len(load_runs(run_files))


def test_a_different_top_k_is_a_different_row(tree, tmp_path):
    _, run_files, _ = tree
    other = write_run(tmp_path / "results", "bioasq", "en", "bm25", "extractive", 0.4, 0, top_k=3)
    df = load_runs([*run_files, other])
    assert len(df) == len(load_runs(run_files)) + 2
    assert set(df["top_k"]) == {3, 5}


def test_retrieval_rows_from_path_and_file(tree):
    _, _, retrieval_files = tree
    df = load_retrieval(retrieval_files)
    assert len(df) == len(DATASETS) * len(RETRIEVERS)
    for path in retrieval_files:
        m = json.loads(path.read_text())
        lang, dataset, _, name = path.parts[-4:]
        row = df[(df.dataset == dataset) & (df.retriever == name.split(".")[0])].iloc[0]
        assert row.language == lang
        for key in ("mrr", "recall@1", "recall@5", "recall@10", "ndcg@10", "count", "k"):
            assert row[key] == m[key]


def test_broken_files_name_the_file(tmp_path):
    bad = tmp_path / "en" / "d" / "runs" / "bm25" / "extractive" / "frac0.4" / "seed0" / "metrics.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(json.dumps({"dataset": "d", "retriever": "bm25"}))
    with pytest.raises(SesameInputError, match=r"metrics\.json.*lacks reader, frac, seed"):
        load_runs([bad])
    bad.write_text(json.dumps({"dataset": "d", "retriever": "bm25", "reader": "x", "frac": 0.4, "seed": 0,
                               "retrieved": {"f1": 1.0}}))
    with pytest.raises(SesameInputError, match="exact_match, f1 and count"):
        load_runs([bad])
    with pytest.raises(SesameInputError, match="not a retrieval metrics path"):
        load_retrieval([bad])


def test_per_question_scores_are_put_on_the_summary_scale(tmp_path):
    frac_run = write_run(tmp_path / "a", "bioasq", "en", "bm25", "extractive", 0.4, 0, fractions=True)
    pct_run = write_run(tmp_path / "b", "bioasq", "en", "bm25", "extractive", 0.4, 0, fractions=False)
    for path in (frac_run, pct_run):
        m = json.loads(path.read_text())
        pq = load_per_question(path)
        for ctx in ("retrieved", "gold"):
            f1 = [f for _, f in pq[ctx].values()]
            em = [e for e, _ in pq[ctx].values()]
            assert sum(f1) / len(f1) == pytest.approx(m[ctx]["f1"])
            assert sum(em) / len(em) == pytest.approx(m[ctx]["exact_match"])


def test_seed_average_keeps_common_questions(tmp_path):
    a = write_run(tmp_path, "bioasq", "en", "bm25", "extractive", 0.4, 0, n_questions=10)
    b = write_run(tmp_path, "bioasq", "en", "bm25", "extractive", 0.4, 1, n_questions=8)
    qids, f1 = per_question_matrix([a, b], "retrieved", "f1")
    assert len(qids) == 8
    pa, pb = load_per_question(a)["retrieved"], load_per_question(b)["retrieved"]
    assert f1[3] == pytest.approx((pa[qids[3]][1] + pb[qids[3]][1]) / 2)


def test_ordered_puts_known_values_first():
    got = ordered(["zeta", "oracle", "bm25", "alpha"], ["bm25", "dense", "oracle"])
    assert got == ["bm25", "oracle", "alpha", "zeta"]
