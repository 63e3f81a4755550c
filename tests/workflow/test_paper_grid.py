"""A dry run of config/paper.yaml: the whole paper grid plans, with every shared artefact built once.

The expected counts follow from the config itself (12 datasets, 4 retrievers, 4 readers, 3 fractions,
5 seeds), so the test also fails if the paper matrix in the config drifts from what it claims.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PAPER = REPO / "config" / "paper.yaml"
TRAINED = {"extractive", "llm-lora"}


@pytest.fixture(scope="module")
def paper():
    return yaml.safe_load(PAPER.read_text(encoding="utf-8"))


def test_the_config_is_the_papers_matrix(paper):
    assert len(paper["datasets"]) == 12
    assert paper["grid"] == {"fractions": [0.4, 0.6, 0.8], "seeds": [0, 1, 2, 3, 4]}
    assert set(paper["retrieval"]["retrievers"]) == {"bm25", "dense", "hybrid", "oracle"}
    assert paper["retrieval"]["bm25"]["mode"] == "paper" and paper["retrieval"]["hybrid"]["rrf_k"] == 0
    assert (paper["retrieval"]["top_k_contexts"], paper["retrieval"]["window"]) == (5, 2)
    llm = paper["readers"]["llm"]
    assert (llm["lora_r"], llm["lora_alpha"], llm["learning_rate"], llm["epochs"]) == (8, 16, 1e-3, 1)


def test_dry_run_plans_the_grid_and_builds_shared_artefacts_once(paper, tmp_path, snakemake_factory, job_counts):
    run = snakemake_factory(tmp_path)
    proc = run(str(PAPER), ["all"], ["-n", "--quiet", "rules"], timeout=600)
    counts = job_counts(proc.stdout + proc.stderr)
    d = len(paper["datasets"])
    retrievers = len(paper["retrieval"]["retrievers"])
    readers = paper["readers"]["names"]
    points = len(paper["grid"]["fractions"]) * len(paper["grid"]["seeds"])
    for per_dataset in ("download_dataset", "collection", "synthesize", "index_bm25", "index_dense"):
        assert counts[per_dataset] == d, per_dataset                       # shared by every run
    assert counts["retrieve"] == d * (retrievers)                          # one table per retriever
    assert counts["train_reader"] == d * len(TRAINED & set(readers)) * points  # never per retriever
    assert counts["predict_gold"] == d * len(readers) * points
    assert counts["predict"] == d * retrievers * len(readers) * points    # the runs: 2,880
    assert counts["tables"] == counts["figures"] == counts["report_html"] == 1
