"""A real local run of a whole (small) grid: `snakemake all` from the raw dataset to the report.

Every stage runs for real (collection, SmolLM2 synthetic pairs, BM25, reader training per seed, predictions
on retrieved and gold contexts, tables, figures, HTML report). The demo config does the same at demo scale
in `make demo` (about 15 minutes on 2 cores); here the tiny fixture keeps it to a few minutes. The test then
checks the numbers in the paper-style table against the metrics files the runs wrote.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd
import pytest

from sesame.io import read_json

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
RETRIEVERS, SEEDS = ["bm25", "oracle"], [0, 1]
CONFIG = {
    "languages": ["en"],
    "datasets": {"tiny": {"path": str(REPO / "tests" / "fixtures" / "tiny_squad.json"), "format": "squad",
                          "language": "en"}},
    "synthetic": {"generator": "llm", "max_answers_per_sentence": 2, "max_new_tokens": 24, "batch_size": 16,
                  "min_grounding": 0.0, "seed": 0},
    "retrieval": {"retrievers": RETRIEVERS, "top_k": 3, "top_k_contexts": 2, "window": 1},
    "readers": {"names": ["extractive"],
                "extractive": {"max_length": 96, "doc_stride": 32, "epochs": 1, "batch_size": 8}},
    "grid": {"fractions": [0.5], "seeds": SEEDS},
}


@pytest.fixture(scope="module")
def grid(snakemake_factory, tmp_path_factory):
    run = snakemake_factory(tmp_path_factory.mktemp("grid"))
    proc = run(CONFIG, ["all"])
    return run.workdir, proc


def metrics(wd: Path, retriever: str, seed: int) -> dict:
    return read_json(wd / f"results/en/tiny/runs/{retriever}/extractive/frac0.5/seed{seed}/metrics.json")


def test_all_runs_every_stage_once_per_shared_artefact(grid, job_counts):
    _, proc = grid
    counts = job_counts(proc.stdout + proc.stderr)
    assert counts["collection"] == counts["synthesize"] == counts["index_bm25"] == 1
    assert "index_dense" not in counts                      # no retriever of this grid needs it
    assert counts["retrieve"] == len(RETRIEVERS)
    assert counts["train_reader"] == len(SEEDS)              # per seed, never per retriever
    assert counts["predict"] == len(RETRIEVERS) * len(SEEDS)
    assert counts["tables"] == counts["figures"] == counts["report_html"] == 1


def test_main_table_holds_the_mean_and_std_of_the_metrics_files(grid):
    wd, _ = grid
    table = pd.read_csv(wd / "results/tables/main_f1.csv")
    assert len(table) == len(RETRIEVERS)
    markdown = (wd / "results/tables/main_f1.md").read_text()
    for retriever in RETRIEVERS:
        scores = [metrics(wd, retriever, s)["retrieved"]["f1"] for s in SEEDS]
        row = table[(table.retriever == retriever) & (table.reader == "extractive")].iloc[0]
        assert row.f1_mean == pytest.approx(statistics.fmean(scores), abs=1e-6)
        assert row.f1_std == pytest.approx(statistics.stdev(scores), abs=1e-6)
        assert row.n_seeds == len(SEEDS)
        assert f"{statistics.fmean(scores):.1f} ± {statistics.stdev(scores):.1f}" in markdown
    em = pd.read_csv(wd / "results/tables/main_em.csv")
    bm25 = em[em.retriever == "bm25"].iloc[0]
    assert bm25.em_mean == pytest.approx(statistics.fmean(metrics(wd, "bm25", s)["retrieved"]["exact_match"]
                                                          for s in SEEDS), abs=1e-6)


def test_retrieval_table_equals_the_retrieval_metrics(grid):
    wd, _ = grid
    table = pd.read_csv(wd / "results/tables/retrieval.csv")
    bm25 = read_json(wd / "results/en/tiny/retrieval/bm25.metrics.json")
    row = table[table.retriever == "bm25"].iloc[0]
    assert row.mrr == pytest.approx(bm25["mrr"], abs=1e-6)


def test_figures_and_report_are_written(grid):
    wd, _ = grid
    for name in ("f1_vs_fraction", "retriever_comparison", "gold_vs_retrieved"):
        assert (wd / f"results/figures/{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    html = (wd / "results/report.html").read_text()
    assert "data:image/png;base64," in html and "tiny" in html
