"""Real Snakemake runs of the `collection` rule on a tiny config, the `dataset_<name>` target, bad
inputs and configs inside the workflow, and the demo config (dry run of the grid, real collection run)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from sesame.data import make_collection, read_collection

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
DEMO = REPO / "data" / "demo"
FILES = ("documents.jsonl", "sentences.parquet", "questions.jsonl", "manifest.json")
COLLECTIONS = {"squad_tiny": "results/en/squad_tiny/collection", "mrqa_tiny": "results/en/mrqa_tiny/collection",
               "docs_pt": "results/pt/docs_pt/collection"}


def tiny_config(workdir: Path) -> dict:
    """Three small datasets: a copied SQuAD file (relative path), the MRQA fixture (absolute), a pt folder."""
    data = workdir / "data"
    (data / "docs" / "sub").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "tiny_squad.json", data / "tiny_squad.json")
    (data / "docs" / "guia.md").write_text("# Guia do Laboratório\nO Sr. Lima abre às 8h. A Dra. Ana fecha.\n",
                                           encoding="utf-8")
    (data / "docs" / "sub" / "barcos.txt").write_text("O barco Aurora sai em maio. Leva 12 cientistas.",
                                                      encoding="utf-8")
    return {
        "languages": ["en", "pt"],
        "datasets": {
            "squad_tiny": {"path": "data/tiny_squad.json", "format": "squad", "language": "en"},
            "mrqa_tiny": {"path": str(FIXTURES / "tiny_mrqa.jsonl"), "format": "mrqa", "language": "en"},
            "docs_pt": {"path": "data/docs", "format": "text", "language": "pt"},
        },
        "retrieval": {"retrievers": ["oracle"]},
    }


def planned_outputs(dry_run_output: str) -> list[str]:
    """Outputs of the jobs a dry run would execute (the command echo at the top is not a job)."""
    return [o for m in re.finditer(r"^\s+output: (.+)$", dry_run_output, re.MULTILINE) for o in m.group(1).split(", ")]


def job_stats(dry_run_output: str) -> dict[str, int]:
    table = dry_run_output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.MULTILINE)}


@pytest.fixture(scope="module")
def built(snakemake_factory, tmp_path_factory):
    """One real `snakemake --cores 2` run of the collection rule for the three tiny datasets."""
    run = snakemake_factory(tmp_path_factory.mktemp("collection_wf"))
    config = tiny_config(run.workdir)
    proc = run(config, list(COLLECTIONS.values()))
    return run, config, proc


def test_collection_rule_writes_every_dataset(built) -> None:
    run, _, proc = built
    for name, out in COLLECTIONS.items():
        folder = run.workdir / out
        # Snakemake adds .snakemake_timestamp to directory() outputs.
        assert sorted(p.name for p in folder.iterdir() if p.name != ".snakemake_timestamp") == sorted(FILES), name
        c = read_collection(folder)
        assert c.manifest["dataset"] and len(c.sentences) == c.manifest["sentences"] > 0
    assert read_collection(run.workdir / COLLECTIONS["docs_pt"]).language == "pt"
    assert [d.doc_id for d in read_collection(run.workdir / COLLECTIONS["docs_pt"]).documents] == [
        "guia.md", "sub/barcos.txt"]
    assert "3 of 3 steps (100%) done" in proc.stderr


def test_workflow_output_equals_the_library_output(built, monkeypatch) -> None:
    run, config, _ = built
    monkeypatch.chdir(run.workdir)  # data paths are relative to the working directory, as in the workflow
    for name, out in COLLECTIONS.items():
        ds = config["datasets"][name]
        expected = run.workdir / "expected" / name
        make_collection(ds["path"], ds["format"], ds["language"], expected)
        for f in FILES:
            assert (run.workdir / out / f).read_bytes() == (expected / f).read_bytes(), f"{name}/{f}"


def test_logs_and_benchmarks_are_written(built) -> None:
    run, _, _ = built
    for name, out in COLLECTIONS.items():
        lang = out.split("/")[1]
        log = (run.workdir / "logs" / lang / name / "collection.log").read_text(encoding="utf-8")
        assert f"collection {name}:" in log
        assert (run.workdir / "benchmarks" / lang / name / "collection.tsv").stat().st_size > 0
    assert not (REPO / "results" / "en" / "squad_tiny").exists(), "nothing is written into the repository"


def test_second_run_has_nothing_to_do(built) -> None:
    run, config, _ = built
    proc = run(config, list(COLLECTIONS.values()), ["-n"])
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_editing_a_document_in_a_nested_folder_makes_only_its_collection_stale(built) -> None:
    # Runs after the other tests of the shared run: it edits that run's input.
    run, config, _ = built
    # An in-place edit leaves data/docs' own mtime alone, so the rule must list the documents as inputs.
    doc = run.workdir / "data" / "docs" / "sub" / "barcos.txt"
    doc.write_text("O barco Aurora sai em junho. Leva 12 cientistas.", encoding="utf-8")
    later = doc.stat().st_mtime + 10
    os.utime(doc, (later, later))
    assert planned_outputs(run(config, list(COLLECTIONS.values()), ["-n"]).stdout) == [COLLECTIONS["docs_pt"]]


def test_dataset_target(run_snakemake) -> None:
    config = tiny_config(run_snakemake.workdir)
    dry = run_snakemake(config, ["dataset_mrqa_tiny"], ["-n"]).stdout
    stats = job_stats(dry)
    assert stats["collection"] == 1 and stats["dataset_mrqa_tiny"] == 1, stats
    assert "results/en/mrqa_tiny/collection" in planned_outputs(dry)
    assert not [o for o in planned_outputs(dry) if "squad_tiny" in o or "docs_pt" in o]
    # A real run of the target's collection step; the later steps the target gathers (retrieval, ...)
    # belong to their own rules' tests, so they are omitted whatever they are.
    later = sorted(set(stats) - {"collection", "dataset_mrqa_tiny"})
    run_snakemake(config, ["dataset_mrqa_tiny"], ["--omit-from", *later] if later else [])
    results = run_snakemake.workdir / "results"
    assert sorted(str(p.relative_to(results)) for p in results.glob("*/*/collection")) == ["en/mrqa_tiny/collection"]
    assert [q.qid for q in read_collection(results / "en" / "mrqa_tiny" / "collection").questions] == ["m1", "m2"]


def test_bad_input_fails_the_rule_with_one_clear_line_and_no_output(run_snakemake) -> None:
    wd = run_snakemake.workdir
    (wd / "bad.jsonl").write_text('{"header": {"dataset": "x"}}\n{"context": "trunc', encoding="utf-8")
    config = {"languages": ["en"], "datasets": {"bad": {"path": "bad.jsonl", "format": "mrqa", "language": "en"}}}
    proc = run_snakemake(config, ["results/en/bad/collection"], check=False)
    assert proc.returncode != 0
    log = (wd / "logs" / "en" / "bad" / "collection.log").read_text(encoding="utf-8")
    errors = [line for line in log.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, log
    assert errors[0].startswith("error: bad.jsonl, line 2: invalid JSON (") and "truncated" in errors[0]
    assert "Traceback" not in log
    assert not (wd / "results" / "en" / "bad" / "collection").exists()
    leftovers = [p for p in (wd / "results").rglob("*")] if (wd / "results").exists() else []
    assert [p for p in leftovers if p.is_file()] == [], "no partial output is left behind"


def test_invalid_config_is_refused_with_the_key_and_allowed_values(run_snakemake) -> None:
    config = {"datasets": {"x": {"path": "x.json", "format": "csv", "language": "en"}}}
    proc = run_snakemake(config, [], ["-n"], check=False)
    assert proc.returncode != 0
    assert ("sesame: config: config key 'datasets.x.format' is 'csv'; allowed values: 'mrqa', 'squad', 'text'"
            in proc.stderr)
    assert "Traceback" not in proc.stderr


def demo_workdir(run) -> None:
    if not (DEMO / "en" / "handbook.json").exists():
        pytest.skip("the demo corpus (data/demo/en/handbook.json) is not there")
    (run.workdir / "data").symlink_to(REPO / "data", target_is_directory=True)


def test_demo_config_dry_run(run_snakemake) -> None:
    demo_workdir(run_snakemake)
    proc = run_snakemake(REPO / "config" / "config.yaml", [], ["-n"])
    outputs = planned_outputs(proc.stdout)
    assert {"results/en/demo_en/collection", "results/pt/demo_pt/collection"} <= set(outputs)
    assert job_stats(proc.stdout)["collection"] == 2
    assert not (run_snakemake.workdir / "results").exists()


def test_demo_collections_real_run(run_snakemake) -> None:
    demo_workdir(run_snakemake)
    targets = ["results/en/demo_en/collection", "results/pt/demo_pt/collection"]
    run_snakemake(REPO / "config" / "config.yaml", targets)
    en = read_collection(run_snakemake.workdir / targets[0])
    pt = read_collection(run_snakemake.workdir / targets[1])
    # The floor for the demo corpus, checked on what the workflow built.
    assert (en.manifest["documents"], en.manifest["questions"]) >= (30, 120) and en.manifest["sentences"] >= 300
    assert pt.manifest["documents"] >= 15 and pt.manifest["questions"] >= 50
    for c in (en, pt):
        assert c.manifest["with_gold_sentence"] == c.manifest["answerable"] == c.manifest["questions"]
    manifest = json.loads((run_snakemake.workdir / targets[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"] == "data/demo/en/handbook.json"
