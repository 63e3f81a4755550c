"""Pure parts of sesame.ask: threshold calibration, request validation, run-folder layout."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sesame.ask.calibrate import best_threshold
from sesame.ask.engine import AskPaths
from sesame.ask.server import MAX_BODY_BYTES, BadRequest, parse_ask_request
from sesame.errors import SesameInputError


# -- calibration ------------------------------------------------------------------------------------
def test_threshold_maximises_decision_f1_by_hand():
    # Cut-offs, answering score >= t (3 right answers in all):
    #   0.9: P 1/1 R 1/3 F1 .5 | 0.8: P 2/2 R 2/3 F1 .8 | 0.7: P 2/3 R 2/3 F1 .667
    #   0.2: P 3/4 R 3/3 F1 6/7 (best) | 0.1: P 3/5 R 1 F1 .75
    cal = best_threshold([0.9, 0.8, 0.7, 0.2, 0.1], [True, True, False, True, False])
    assert cal.threshold == 0.2
    assert cal.f1 == pytest.approx(6 / 7)
    assert (cal.precision, cal.recall, cal.answered, cal.count, cal.right) == (0.75, 1.0, 0.8, 5, 3)


def test_threshold_order_of_input_does_not_matter():
    a = best_threshold([0.1, 0.7, 0.9, 0.2, 0.8], [False, False, True, True, True])
    assert a.threshold == 0.2 and a.f1 == pytest.approx(6 / 7)


def test_answering_everything_needs_no_threshold():
    assert best_threshold([3.0, 2.0, 1.0], [True, True, True]).threshold is None
    # equal scores cannot be split: t=1 answers both 1.0s (F1 .5), t=0 answers all (P 2/3, R 1, F1 .8)
    cal = best_threshold([1.0, 1.0, 0.0], [True, False, True])
    assert cal.threshold is None and cal.f1 == pytest.approx(0.8) and cal.answered == 1.0


def test_no_right_answer_gives_no_threshold():
    cal = best_threshold([1.0, 2.0], [False, False])
    assert cal.threshold is None and cal.right == 0
    assert best_threshold([], []).count == 0


# -- request validation -----------------------------------------------------------------------------
def _parse(body, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_ask_request(raw, content_type, max_question_chars=100, max_top_k=20)


def test_valid_request_is_normalised():
    req = _parse({"question": "  Who   founded\nit? ", "top_k": 3})
    assert (req.question, req.top_k) == ("Who founded it?", 3)
    assert _parse({"question": "x"}, content_type=None).top_k is None
    assert _parse({"question": "x"}, content_type="application/json; charset=utf-8").question == "x"


@pytest.mark.parametrize("body, content_type, status, words", [
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b"\xff\xfe", "application/json", 400, "not valid JSON"),
    ([1, 2], "application/json", 400, "JSON object"),
    ({"question": "x"}, "text/plain", 415, "Content-Type"),
    ({}, "application/json", 422, "missing field 'question'"),
    ({"question": 5}, "application/json", 422, "must be a string"),
    ({"question": "   \n "}, "application/json", 422, "empty"),
    ({"question": "x" * 101}, "application/json", 422, "101 characters"),
    ({"question": "x", "k": 3}, "application/json", 422, "unknown field"),
    ({"question": "x", "top_k": 0}, "application/json", 422, "top_k"),
    ({"question": "x", "top_k": 21}, "application/json", 422, "top_k"),
    ({"question": "x", "top_k": "3"}, "application/json", 422, "top_k"),
    ({"question": "x", "top_k": True}, "application/json", 422, "top_k"),
])
def test_bad_requests_get_a_4xx_that_says_why(body, content_type, status, words):
    with pytest.raises(BadRequest) as e:
        _parse(body, content_type)
    assert e.value.status == status and words in e.value.message


def test_oversized_body_is_refused_before_parsing():
    with pytest.raises(BadRequest) as e:
        _parse(b"{" + b" " * MAX_BODY_BYTES + b"}")
    assert e.value.status == 413


# -- run-folder layout ------------------------------------------------------------------------------
def _run_layout(root, reader="extractive", model=True, metrics=True):
    ds = root / "results" / "en" / "demo"
    run = ds / "runs" / "hybrid" / reader / "frac0.4" / "seed3"
    run.mkdir(parents=True)
    if metrics:
        (run / "metrics.json").write_text(json.dumps({"config": {"retrieval": {"top_k_contexts": 4}}}))
    if model:
        (ds / "models" / reader / "frac0.4" / "seed3").mkdir(parents=True)
    return ds, run


def test_paths_are_derived_from_the_run_layout(tmp_path):
    ds, run = _run_layout(tmp_path)
    (run / "predictions.contexts.jsonl").write_text("{}\n")
    p = AskPaths.from_run(run)
    assert (p.collection, p.index, p.retriever, p.reader) == (ds / "collection", ds / "index", "hybrid", "extractive")
    assert p.reader_model == str(ds / "models" / "extractive" / "frac0.4" / "seed3")
    assert p.calibration == run / "predictions.contexts.jsonl"
    assert p.config == {"retrieval": {"top_k_contexts": 4}}


def test_run_layout_mistakes_name_the_fix(tmp_path):
    with pytest.raises(SesameInputError, match="not a run folder"):
        AskPaths.from_run(tmp_path)
    _, run = _run_layout(tmp_path / "a", metrics=False)
    with pytest.raises(SesameInputError, match="no metrics.json"):
        AskPaths.from_run(run)
    _, run = _run_layout(tmp_path / "b", model=False)
    with pytest.raises(SesameInputError, match="keep_models"):
        AskPaths.from_run(run)


def test_explicit_paths_infer_the_retriever(tmp_path):
    (tmp_path / "index" / "bm25").mkdir(parents=True)
    assert AskPaths.explicit(tmp_path / "c", tmp_path / "index" / "bm25", "m").retriever == "bm25"
    p = AskPaths.explicit(tmp_path / "c", tmp_path / "index", "m")
    assert (p.retriever, p.index) == ("hybrid", tmp_path / "index")
    with pytest.raises(SesameInputError, match="index folder not found"):
        AskPaths.explicit(tmp_path / "c", tmp_path / "nope", "m")


# -- CLI errors (no model is loaded) ----------------------------------------------------------------
def _sesame(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sesame.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_user_mistakes_end_with_one_line(tmp_path):
    proc = _sesame("ask", "--run", str(tmp_path), "what?")
    assert proc.returncode == 2
    assert "not a run folder" in proc.stderr and "Traceback" not in proc.stderr
    proc = _sesame("ask", "what?")
    assert proc.returncode == 2 and "--run RUN_DIR" in proc.stderr
