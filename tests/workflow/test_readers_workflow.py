"""Real Snakemake runs of the reader rules on the tiny dataset: train once, predict per retriever, score.

The collection and the retrieval runs come from their own rules. The synthetic pairs are written by the
test (rule-made cloze pairs from the collection's sentences) so that these tests do not depend on the
generator's speed; Snakemake treats the file as an existing input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sesame.data import read_collection
from sesame.io import read_json, read_jsonl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _reader_fixtures import TINY_SQUAD, cloze_pairs, write_pairs  # noqa: E402

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
RETRIEVERS = ["bm25", "oracle"]
READERS = ["extractive", "llm-lora", "external"]
RUN_FILES = ("predictions.json", "predictions_gold_context.json", "predictions.contexts.jsonl", "metrics.json")


def tiny_config(**extra) -> dict:
    cfg = {
        "languages": ["en"],
        "datasets": {"tiny": {"path": str(TINY_SQUAD), "format": "squad", "language": "en",
                              "external_predictions": "external.json"}},
        "retrieval": {"retrievers": RETRIEVERS, "top_k": 3, "top_k_contexts": 2, "window": 1},
        "readers": {"names": READERS,
                    "extractive": {"max_length": 96, "doc_stride": 32, "epochs": 1, "batch_size": 8},
                    "llm": {"max_examples": 4, "batch_size": 2, "max_new_tokens": 8, "generation_batch_size": 4,
                            "max_context_tokens": 128}},
        "grid": {"fractions": [0.5], "seeds": [0]},
    }
    cfg.update(extra)
    return cfg


def run_dir(wd: Path, retriever: str, reader: str) -> Path:
    return wd / "results" / "en" / "tiny" / "runs" / retriever / reader / "frac0.5" / "seed0"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, snakemake_factory):
    wd = tmp_path_factory.mktemp("readers_wf")
    run = snakemake_factory(wd)
    run(tiny_config(), ["results/en/tiny/collection"])
    collection = read_collection(wd / "results" / "en" / "tiny" / "collection")
    synth = wd / "results" / "en" / "tiny" / "synthetic"
    synth.mkdir(parents=True)
    write_pairs(cloze_pairs(collection, per_sentence=3, window=2), synth / "llm.jsonl")
    (synth / "llm.stats.json").write_text(json.dumps({"source": "test cloze pairs"}))  # the rule's second output
    (wd / "external.json").write_text(json.dumps({"q1": "1998", "q2": "Ana Lima"}))
    proc = run(tiny_config(), ["runs_tiny"])
    return wd, run, proc


def test_every_run_writes_predictions_and_metrics(workdir):
    wd, _, _ = workdir
    for retriever in RETRIEVERS:
        for reader in READERS:
            d = run_dir(wd, retriever, reader)
            assert all((d / f).exists() for f in RUN_FILES), d
            m = read_json(d / "metrics.json")
            assert (m["dataset"], m["language"], m["retriever"], m["reader"], m["frac"], m["seed"]) == \
                   ("tiny", "en", retriever, reader, 0.5, 0)
            for setting in ("retrieved", "gold"):
                assert set(m[setting]) == {"exact_match", "f1", "precision", "count"} and m[setting]["count"] == 4
                assert set(m["per_question"][setting]) == {"q1", "q2", "q3", "q4"}
            assert m["config"]["readers"]["names"] == [reader] and m["config"]["retrieval"]["retrievers"] == [retriever]
            assert len(m["config_hash"]) == 12 and m["versions"]["sesame"]
            records = read_jsonl(d / "predictions.contexts.jsonl")
            assert len(records) == 8 and {r["setting"] for r in records} == {"retrieved", "gold"}
            if reader == "extractive":
                assert all(r["answer"] in r["context"] for r in records)


def test_predictions_are_scoreable_by_sesame_score(workdir):
    wd, _, _ = workdir
    for reader in ("extractive", "llm-lora"):
        d = run_dir(wd, "bm25", reader)
        out = subprocess.run([sys.executable, "-m", "sesame.cli", "score", "--predictions", str(d / "predictions.json"),
                              "--references", str(TINY_SQUAD)], capture_output=True, text=True, check=True)
        assert json.loads(out.stdout) == read_json(d / "metrics.json")["retrieved"]


def test_readers_train_once_and_model_folders_are_temporary(workdir, job_counts):
    wd, _, proc = workdir
    counts = job_counts(proc.stdout + proc.stderr)
    assert counts["train_reader"] == 2                                # extractive, llm-lora: once each
    assert counts["predict"] == len(RETRIEVERS) * len(READERS)
    assert counts["predict_gold"] == len(READERS)                     # once per reader, not per retriever
    assert sorted(p.name for p in (wd / "benchmarks" / "en" / "tiny").glob("train_*.tsv")) == [
        "train_extractive_frac0.5_seed0.tsv", "train_llm-lora_frac0.5_seed0.tsv"]
    base = wd / "results" / "en" / "tiny"
    assert not any((base / "models").rglob("*.safetensors"))          # temp(): removed once every run used them
    assert not any((base / "gold_context").rglob("*.jsonl"))
    for reader in READERS:                                           # the shared gold answers, in every run
        golds = [read_json(run_dir(wd, r, reader) / "predictions_gold_context.json") for r in RETRIEVERS]
        assert all(g == golds[0] for g in golds)
    external = read_json(run_dir(wd, "oracle", "external") / "metrics.json")
    assert external["gold"]["exact_match"] == 25.0   # q1 right, q2 "Ana Lima" vs "Dr. Ana Lima" not exact


def test_grid_dry_run_trains_per_fraction_and_seed_not_per_retriever(workdir, job_counts):
    wd, run, _ = workdir
    grid = tiny_config(retrieval={"retrievers": ["bm25", "dense", "hybrid", "oracle"]},
                       readers={"names": ["extractive", "llm-lora", "llm-base", "external"]},
                       grid={"fractions": [0.2, 0.4], "seeds": [0, 1, 2]})
    proc = run(grid, ["runs_tiny"], ["-n", "--quiet", "rules"])
    counts = job_counts(proc.stdout + proc.stderr)
    assert counts["train_reader"] == 2 * 2 * 3            # trained readers x fractions x seeds
    assert counts["predict"] == 4 * 4 * 2 * 3             # retrievers x readers x fractions x seeds
    assert counts["predict_gold"] == 4 * 2 * 3            # readers x fractions x seeds
