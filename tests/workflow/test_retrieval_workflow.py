"""Real Snakemake runs of the retrieval rules on a tiny config: outputs, index reuse, grid dry run.

Snakemake runs the repository's Snakefile with --directory in a tmp folder, so every result, log and
.snakemake record lands there. The reader rules may not exist yet; the grid dry run counts index and
retrieve jobs, which must stay one per dataset (and retriever) whatever the reader grid adds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "tiny_squad.json"
RETRIEVERS = ["bm25", "dense", "hybrid", "oracle"]
GRID = {"readers": {"names": ["extractive", "llm-lora", "llm-base"]},
        "grid": {"fractions": [0.2, 0.4, 0.6], "seeds": [0, 1, 2, 3, 4]}}


def write_config(path: Path, **extra) -> Path:
    cfg = {"languages": ["en"], "datasets": {"tiny": {"path": str(FIXTURE), "format": "squad", "language": "en"}},
           "retrieval": {"retrievers": RETRIEVERS, "top_k": 3}, **extra}
    path.write_text(yaml.safe_dump(cfg))
    return path


def snakemake(workdir: Path, config: Path, *args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
                           str(workdir), "--configfile", str(config), "--cores", "2", *args],
                          capture_output=True, text=True, env=env, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One real run of every retriever on the tiny dataset."""
    wd = tmp_path_factory.mktemp("retrieval_wf")
    snakemake(wd, write_config(wd / "config.yaml"), "retrieval_tiny")
    return wd


def test_every_retriever_writes_its_table_and_metrics(workdir):
    base = workdir / "results" / "en" / "tiny"
    assert sorted(p.name for p in (base / "index").iterdir()) == ["bm25", "dense"]
    for r in RETRIEVERS:
        run = pd.read_parquet(base / "retrieval" / f"{r}.parquet")
        assert list(run.columns) == ["qid", "rank", "sid", "score"] and len(run) > 0
        assert (base / "retrieval" / f"{r}.metrics.csv").exists()
        assert (workdir / "logs" / "en" / "tiny" / f"retrieve_{r}.log").exists()
    oracle = pd.read_parquet(base / "retrieval" / "oracle.parquet")
    assert oracle["rank"].eq(1).all() and len(oracle) == 4  # 4 answerable questions, one gold sentence each


def test_second_run_and_changed_reader_grid_rebuild_nothing(workdir):
    base = workdir / "results" / "en" / "tiny"
    stamps = {p: p.stat().st_mtime_ns for p in [*(base / "index").iterdir(), *(base / "retrieval").iterdir()]}
    out = snakemake(workdir, workdir / "config.yaml", "retrieval_tiny")
    assert "Nothing to be done" in out
    grid = write_config(workdir / "grid.yaml", **GRID)
    out = snakemake(workdir, grid, "-n", "retrieval_tiny")
    assert "Nothing to be done" in out
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_changed_retrieval_setting_reruns_only_what_depends_on_it(workdir, job_counts):
    cfg = write_config(workdir / "rrf.yaml", retrieval={"retrievers": RETRIEVERS, "top_k": 3, "hybrid": {"rrf_k": 0}})
    counts = job_counts(snakemake(workdir, cfg, "-n", "retrieval_tiny"))
    assert counts.get("retrieve") == 1 and "index_dense" not in counts and "index_bm25" not in counts


def test_grid_dry_run_builds_each_index_once(tmp_path, job_counts):
    # 3 readers x 3 fractions x 5 seeds over 4 retrievers: still one index of each kind, one run table per retriever.
    counts = job_counts(snakemake(tmp_path, write_config(tmp_path / "grid.yaml", **GRID), "-n", "all"))
    assert counts["index_bm25"] == 1 and counts["index_dense"] == 1
    assert counts["retrieve"] == len(RETRIEVERS)
