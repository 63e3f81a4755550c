"""Real Snakemake runs of the pretraining and synthesize rules: the pretrain_t5 rule trains tiny T5s on the
fixture, and the synthesize rule then generates with them (named in models.en as results/ folders)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sesame.io import read_jsonl

REPO = Path(__file__).resolve().parents[2]
FIXTURE = str(REPO / "tests" / "fixtures" / "tiny_squad.json")
PAIRS = "results/en/tiny/synthetic/t5.jsonl"
# The tiny models gain nothing from a second thread, and both pretraining jobs then run side by side.
ONE_THREAD = ["--set-threads", "pretrain_t5=1", "synthesize=1"]


def config(enabled: bool = True) -> dict:
    return {
        "languages": ["en"],
        "datasets": {"tiny": {"path": FIXTURE, "format": "squad", "language": "en"}},
        "models": {"en": {"answer_extraction": "results/models/pretrained/ae_en",
                          "question_generation": "results/models/pretrained/qg_en"}},
        "synthetic": {"generator": "t5", "chunk_sentences": 3, "device": "cpu"},
        "retrieval": {"retrievers": ["oracle"]},
        "pretraining": {"enabled": enabled, "squad_file": FIXTURE, "epochs": 100, "learning_rate": 1.0e-2,
                        "batch_size": 8,
                        "tiny_t5": {"vocab_size": 200, "d_model": 64, "d_ff": 128, "num_layers": 2, "num_heads": 4}},
    }


def planned(dry_run_stdout: str) -> dict[str, int]:
    table = dry_run_stdout.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)}


@pytest.fixture(scope="module")
def built(snakemake_factory, tmp_path_factory):
    run = snakemake_factory(tmp_path_factory.mktemp("synth_wf"))
    run(config(), [PAIRS], ONE_THREAD)
    return run


@pytest.mark.slow
def test_pretraining_rule_builds_the_models_the_generator_uses(built):
    wd = built.workdir
    for task in ("ae", "qg"):
        folder = wd / "results" / "models" / "pretrained" / f"{task}_en"
        info = json.loads((folder / "sesame_pretrain.json").read_text())
        assert info["task"] == task and info["examples"] == 4
        assert (folder / "config.json").exists() and (folder / "tokenizer.json").exists()
        assert (wd / "logs" / "pretraining" / f"{task}_en.log").exists()
        assert (wd / "benchmarks" / "pretraining" / f"{task}_en.tsv").exists()
    stats = json.loads((wd / "results/en/tiny/synthetic/t5.stats.json").read_text())
    assert stats["models"] == {"answer_extraction": "results/models/pretrained/ae_en",
                               "question_generation": "results/models/pretrained/qg_en"}
    rows = read_jsonl(wd / PAIRS, allow_empty=True)
    assert stats["kept"] == len(rows) >= 1
    for r in rows:
        a = r["answer"]
        assert r["context"][a["start"]:a["start"] + len(a["text"])] == a["text"]
    assert (wd / "logs/en/tiny/synthesize_t5.log").exists()
    assert (wd / "benchmarks/en/tiny/synthesize_t5.tsv").exists()


@pytest.mark.slow
def test_rerun_is_a_no_op(built):
    proc = built(config(), [PAIRS], ["-n"])
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_all_plans_pretraining_only_when_enabled(snakemake_factory, tmp_path):
    run = snakemake_factory(tmp_path / "on")
    jobs = planned(run(config(True), ["all"], ["-n"]).stdout)
    assert jobs["pretrain_t5"] == 2 and jobs["pretrain_embedding"] == 1 and jobs["synthesize"] == 1

    cfg = config(False)
    cfg["models"] = {}
    cfg["synthetic"]["generator"] = "llm"
    jobs = planned(snakemake_factory(tmp_path / "off")(cfg, ["all"], ["-n"]).stdout)
    assert jobs["synthesize"] == 1
    assert "pretrain_t5" not in jobs and "pretrain_embedding" not in jobs
