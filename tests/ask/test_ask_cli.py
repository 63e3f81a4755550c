"""`sesame ask` as a user runs it: a real subprocess on a finished demo run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sesame.data import read_collection
from sesame.io import read_json
from sesame.metrics.squad import score_predictions

from _ask_fixtures import REPO, run_dir

pytestmark = pytest.mark.slow


def sesame(*args: str, stdin: str | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sesame.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, timeout=timeout)


def test_ask_reproduces_the_runs_f1_on_the_demo_questions(demo_root):
    """All demo questions through one interactive `sesame ask --json` session (stdin, one a line)."""
    run = run_dir(demo_root, "hybrid")
    collection = read_collection(demo_root / "results" / "en" / "demo_en" / "collection")
    questions = [q for q in collection.questions if not q.impossible]
    proc = sesame("ask", "--run", str(run), "--json", "--threshold", "none",
                  stdin="".join(q.question + "\n" for q in questions))
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == len(questions)
    assert all(a["confident"] and a["source"]["doc_id"] for a in answers)
    preds = {q.qid: a["answer"] for q, a in zip(questions, answers)}
    refs = {q.qid: [a.text for a in q.answers] for q in questions}
    ours = score_predictions(preds, refs, "en")
    metrics = read_json(run / "metrics.json")["retrieved"]
    assert ours.count == metrics["count"]
    assert ours.f1 == pytest.approx(metrics["f1"], abs=2.0)
    assert ours.exact_match == pytest.approx(metrics["exact_match"], abs=2.5)
    assert len(set(preds.values())) >= 5, "the reader gives one answer to everything: a vacuous check"
    run_preds = read_json(run / "predictions.json")
    same = sum(preds[q] == run_preds.get(q) for q in preds)
    assert same >= 0.95 * len(preds), f"only {same}/{len(preds)} answers equal the run's predictions"


def test_ask_prints_answer_source_and_passages(demo_root):
    run = run_dir(demo_root, "bm25")
    collection = read_collection(demo_root / "results" / "en" / "demo_en" / "collection")
    proc = sesame("ask", "--run", str(run), "--show-passages", "--threshold", "none",
                  "How many of the institute's employees are research scientists?")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("answer: ") and "(confidence " in lines[0]
    assert lines[1].startswith("source: document ")
    doc_id = lines[1].split()[2]
    sentences = collection.sentences
    assert lines[2].strip() in set(sentences[sentences["doc_id"] == doc_id]["text"])  # the answer's sentence
    answer = lines[0][len("answer: "):lines[0].index("   (confidence")]
    assert answer in lines[2]
    assert lines[3].startswith("latency: ")
    ranked = [ln for ln in lines if ln.startswith("[")]
    assert ranked[0].startswith("[1] ") and sum(ln.endswith(" *") for ln in ranked) == 1  # the answer's passage


def test_a_threshold_above_every_score_says_no_confident_answer(demo_root):
    proc = sesame("ask", "--run", str(run_dir(demo_root, "bm25")), "--threshold", "1e9", "--json",
                  "Who founded the institute together with Helena Prado?")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["answer"] is None and res["confident"] is False and res["message"] == "no confident answer"
    assert res["best_span"]  # the weak guess is still reported, but not as the answer
    text = sesame("ask", "--run", str(run_dir(demo_root, "bm25")), "--threshold", "1e9", "Who founded it?")
    assert text.stdout.startswith("no confident answer")


def test_calibrated_threshold_is_reported(demo_root):
    proc = sesame("ask", "--run", str(run_dir(demo_root, "hybrid")), "--info")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    cal = info["calibration"]
    assert cal["count"] > 0 and cal["source"].endswith("predictions.contexts.jsonl")
    assert info["threshold"] == cal["threshold"]
    assert 0 < cal["answered"] <= 1

