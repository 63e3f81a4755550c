"""SIGKILL in the middle of a reader's training, then `--rerun-incomplete`: the run resumes and ends equal.

Two working folders run the same tiny grid (bm25 x extractive). One runs straight through. The other is
killed (SIGKILL to Snakemake's whole process group) as soon as the first epoch checkpoint exists, then
unlocked and rerun with `--rerun-incomplete`. The test checks that the kill left no model folder or
metrics behind, that training resumed from the checkpoint instead of starting over, and that the
predictions and metrics equal the uninterrupted run's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sesame.data import read_collection
from sesame.io import read_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from _reader_fixtures import TINY_SQUAD, cloze_pairs, write_pairs  # noqa: E402

pytestmark = pytest.mark.slow
RUN = "results/en/tiny/runs/bm25/extractive/frac0.5/seed0"
MODEL = "results/en/tiny/models/extractive/frac0.5"
CONFIG = {
    "languages": ["en"],
    "datasets": {"tiny": {"path": str(TINY_SQUAD), "format": "squad", "language": "en"}},
    "retrieval": {"retrievers": ["bm25"], "top_k": 3, "top_k_contexts": 2, "window": 1},
    "readers": {"names": ["extractive"],
                "extractive": {"max_length": 96, "doc_stride": 32, "epochs": 4, "batch_size": 4, "patience": 10}},
    "grid": {"fractions": [0.5], "seeds": [0]},
}


def prepared(factory, wd: Path):
    """A workdir with the collection built by its rule and fixed synthetic pairs in place."""
    run = factory(wd)
    run(CONFIG, ["results/en/tiny/collection"])
    synth = wd / "results" / "en" / "tiny" / "synthetic"
    synth.mkdir(parents=True)
    pairs = cloze_pairs(read_collection(wd / "results" / "en" / "tiny" / "collection"), per_sentence=4, window=2)
    write_pairs(pairs * 3, synth / "llm.jsonl")   # enough steps per epoch to kill inside training
    (synth / "llm.stats.json").write_text(json.dumps({"source": "test cloze pairs"}))
    return run


def kill_when(proc: subprocess.Popen, ready, timeout: float = 600) -> None:
    """SIGKILL the process group of `proc` as soon as `ready()` holds."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"snakemake ended (rc {proc.returncode}) before the first checkpoint was written")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("no checkpoint appeared in time")
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def test_killed_training_resumes_and_matches_an_uninterrupted_run(tmp_path, snakemake_factory):
    straight = prepared(snakemake_factory, tmp_path / "straight")
    straight(CONFIG, [f"{RUN}/metrics.json"])

    wd = tmp_path / "killed"
    run = prepared(snakemake_factory, wd)
    ckpt = wd / MODEL / ".seed0.checkpoints"
    proc = subprocess.Popen(run.command(CONFIG, [f"{RUN}/metrics.json"]), cwd=wd, env=run.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    kill_when(proc, lambda: any(ckpt.glob("checkpoint-*/trainer_state.json")))

    assert not (wd / MODEL / "seed0").exists(), "a killed training left a model folder a later rule could use"
    assert not (wd / RUN / "metrics.json").exists()
    run(CONFIG, [], ["--unlock"])
    run(CONFIG, [f"{RUN}/metrics.json"], ["--rerun-incomplete"])

    log = (wd / "logs" / "en" / "tiny" / "train_extractive_frac0.5_seed0.log").read_text()
    assert "resuming training from" in log and "checkpoint-" in log, log[-2000:]
    assert not ckpt.exists(), "checkpoints are removed once the model folder is complete"
    ours, theirs = read_json(wd / RUN / "metrics.json"), read_json(tmp_path / "straight" / RUN / "metrics.json")
    for key in ("retrieved", "gold", "per_question"):
        assert ours[key] == theirs[key], key
    for name in ("predictions.json", "predictions_gold_context.json"):
        assert (wd / RUN / name).read_bytes() == (tmp_path / "straight" / RUN / name).read_bytes(), name
