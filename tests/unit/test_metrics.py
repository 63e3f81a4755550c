"""QA metrics (SQuAD EM/F1, contains-precision), IR metrics and the `sesame score` command.

EM/F1 are checked against hand-computed values and against an independent re-implementation of
the official SQuAD v1.1 evaluation (evaluate-v1.1.py) written below with a different code shape:
character scans instead of regexes, explicit counting instead of Counter.
"""

from __future__ import annotations

import itertools
import json
import math
import string
import subprocess
import sys
from pathlib import Path

import pytest

from sesame.metrics import (contains_match, exact_match, f1_score, ir_metrics, ndcg_at, normalize_answer, recall_at,
                            reciprocal_rank, score_predictions)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


# ---------------------------------------------------------------- the official definition, re-implemented


def _is_word_char(ch: str) -> bool:
    """Python's Unicode regex \\w, which the official `\\b(a|an|the)\\b` relies on."""
    return ch.isalnum() or ch == "_"


def official_normalize(s: str) -> str:
    s = s.lower()
    s = "".join(c for c in s if c not in string.punctuation)
    # \b(a|an|the)\b == a maximal run of word characters that is exactly an article
    out, i = [], 0
    while i < len(s):
        if _is_word_char(s[i]):
            j = i
            while j < len(s) and _is_word_char(s[j]):
                j += 1
            word = s[i:j]
            out.append(" " if word in ("a", "an", "the") else word)
            i = j
        else:
            out.append(s[i])
            i += 1
    tokens, current = [], ""
    for ch in "".join(out):
        if ch.isspace():
            if current:
                tokens.append(current)
            current = ""
        else:
            current += ch
    if current:
        tokens.append(current)
    return " ".join(tokens)


def official_em(prediction: str, truth: str) -> float:
    return 1.0 if official_normalize(prediction) == official_normalize(truth) else 0.0


def official_f1(prediction: str, truth: str) -> float:
    p = official_normalize(prediction).split()
    t = official_normalize(truth).split()
    counts: dict[str, int] = {}
    for tok in t:
        counts[tok] = counts.get(tok, 0) + 1
    overlap = 0
    for tok in p:
        if counts.get(tok, 0) > 0:
            counts[tok] -= 1
            overlap += 1
    if overlap == 0:
        return 0.0
    return 2.0 * overlap / (len(p) + len(t))  # the harmonic mean of precision and recall, simplified


def official_evaluate(dataset: dict, predictions: dict[str, str]) -> dict[str, float]:
    em = f1 = total = 0.0
    for article in dataset["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                total += 1
                truths = [a["text"] for a in qa["answers"]]
                pred = predictions.get(qa["id"], "")  # the contract: a missing prediction counts as empty
                em += max(official_em(pred, t) for t in truths)
                f1 += max(official_f1(pred, t) for t in truths)
    return {"exact_match": 100.0 * em / total, "f1": 100.0 * f1 / total}


STRINGS = [
    "", " ", "the", "The", "a", "An", "the the a an", "Paris", "paris", "Paris!", "  Paris  ", "the Paris",
    "Paris, France", "France, Paris", "paris paris", "Dr. Ana Lima", "Ana Lima", "Lima", "ana-lima", "ana lima",
    "1998", "in 1998", "1,998", "3.5%", "35", "U.S.", "US", "u.s.a.", "the U.S. army", "theatre", "anthem",
    "a theory", "Theory of the Mind", "mind theory", "São Paulo", "sao paulo", "são  paulo", "Café", "CAFÉ",
    "naïve café", "«Olá»", "“quoted” text", "text — dash", "text - dash", "ﬁne", "İstanbul", "ß", "SS",
    "日本",
    "日本 語", "the_cat", "a_b", "«the» cat", "an…", "o Rio", "os rios", "\tnew\nline\u00a0space", "x" * 3,
    "it's", "its", "(a) b", "$100", "100 dollars", "one two three four", "four three two one",
]


def test_reimplementation_matches_hand_computed_values() -> None:
    # A sanity check on the reference itself, so the comparison below cannot pass vacuously.
    assert official_normalize("  The  Quick, brown fox!  ") == "quick brown fox"
    assert official_f1("the cat sat", "cat on the mat") == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))
    assert official_em("«the» cat", "cat") == 0.0  # « is not ASCII punctuation, so "«" remains a token


def test_em_and_f1_agree_with_the_official_definition_on_every_pair() -> None:
    assert len(STRINGS) ** 2 > 3000
    for pred, ref in itertools.product(STRINGS, repeat=2):
        assert normalize_answer(pred, "en") == official_normalize(pred), pred
        assert exact_match(pred, ref, "en") == official_em(pred, ref), (pred, ref)
        assert abs(f1_score(pred, ref, "en") - official_f1(pred, ref)) < 1e-9, (pred, ref)


def test_hand_computed_em_and_f1() -> None:
    assert exact_match("The Eiffel Tower!", "eiffel tower") == 1.0
    assert exact_match("Eiffel", "eiffel tower") == 0.0
    assert f1_score("Eiffel", "eiffel tower") == pytest.approx(2 / 3)        # P=1, R=1/2
    assert f1_score("in the year 1998", "1998") == pytest.approx(0.5)        # P=1/3 (in, year, 1998), R=1
    assert f1_score("paris paris", "paris") == pytest.approx(2 / 3)          # clipped counts: P=1/2, R=1
    assert f1_score("", "") == 0.0 and exact_match("", "") == 1.0            # official: F1 0 when nothing overlaps
    assert f1_score("the", "a") == 0.0 and exact_match("the", "a") == 1.0    # both normalise to ""
    assert exact_match("U.S.", "US") == 1.0 and exact_match("São Paulo", "sao paulo") == 0.0


def test_portuguese_articles_and_unicode_punctuation() -> None:
    assert normalize_answer("O Rio de Janeiro", "pt") == "rio de janeiro"
    assert normalize_answer("«Os» rios, as margens e uma ponte…", "pt") == "rios margens e ponte"
    assert exact_match("o presidente", "presidente", "pt") == 1.0
    assert exact_match("o presidente", "presidente", "en") == 0.0            # "o" is not an English article
    assert exact_match("the president", "president", "pt") == 0.0            # "the" is not a Portuguese article
    assert f1_score("as duas casas", "duas casas brancas", "pt") == pytest.approx(0.8)  # P=1, R=2/3
    # English keeps the official ASCII-only punctuation, so typographic quotes stay.
    assert normalize_answer("«Olá»", "en") == "«olá»" and normalize_answer("«Olá»", "pt") == "olá"


def test_contains_precision() -> None:
    assert contains_match("", "Paris") == 0.0                       # an empty prediction is wrong ...
    assert contains_match("", "the") == 0.0                         # ... even against an empty-normalising reference
    assert contains_match("the", "a") == 0.0
    assert contains_match("in Paris, France", "Paris") == 1.0       # the reference inside the prediction
    assert contains_match("Paris", "Paris, France") == 1.0          # the prediction inside the reference
    assert contains_match("cat", "concatenate") == 0.0              # tokens, not characters
    assert contains_match("a", "cat") == 0.0
    assert contains_match("black cat", "cat black") == 0.0          # contiguous token runs only
    assert contains_match("the big black cat", "black cat") == 1.0
    assert contains_match("o rio", "rio", "pt") == 1.0


def test_score_predictions_hand_computed() -> None:
    refs = {"q1": ["Paris"], "q2": ["1998", "in 1998"], "q3": ["Ana Lima"], "q4": ["red"]}
    preds = {"q1": "Paris", "q2": "the year 1998", "q3": "Lima", "q4": ""}
    s = score_predictions(preds, refs)
    # EM: 1, 0, 0, 0 -> 25. F1: 1, max(2*1/2*1/(1/2+1)=2/3 vs "1998"; 1/2 vs "in 1998") = 2/3, 2/3, 0.
    assert s.exact_match == pytest.approx(25.0)
    assert s.f1 == pytest.approx(100 * (1 + 2 / 3 + 2 / 3 + 0) / 4)
    # contains: Paris yes, "year 1998" contains "1998" yes, "lima" inside "ana lima" yes, empty no.
    assert s.precision == pytest.approx(75.0)
    assert s.count == 4
    missing = score_predictions({"q1": "Paris"}, refs)  # missing predictions count as empty
    assert missing.as_dict() == {"exact_match": 25.0, "f1": 25.0, "precision": 25.0, "count": 4}
    assert score_predictions({}, {}).as_dict() == {"exact_match": 0.0, "f1": 0.0, "precision": 0.0, "count": 0}


# ---------------------------------------------------------------- IR metrics


def test_ir_metrics_hand_computed() -> None:
    ranked = [5, 3, 9, 1]
    assert reciprocal_rank(ranked, {3}, 10) == 0.5
    assert reciprocal_rank(ranked, {3}, 1) == 0.0                   # rank 2 is outside the top 1
    assert reciprocal_rank(ranked, {7}, 10) == 0.0
    assert recall_at(ranked, {9}, 2) == 0.0 and recall_at(ranked, {9}, 3) == 1.0
    assert recall_at(ranked, {3, 9}, 2) == 1.0                      # a hit rate: any gold sentence counts
    # gold {3, 9} at ranks 2 and 3: DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3).
    assert ndcg_at(ranked, {3, 9}, 10) == pytest.approx((1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3)))
    assert ndcg_at(ranked, {5}, 10) == 1.0 and ndcg_at(ranked, {1}, 3) == 0.0
    assert ndcg_at(ranked, {5, 3, 9, 1, 42}, 2) == 1.0              # ideal DCG is cut at k too


def test_ir_metrics_aggregate() -> None:
    runs = {"a": [1, 2, 3], "b": [4, 5, 6], "c": [7, 8, 9], "missing-run": []}
    gold = {"a": [1], "b": [6], "c": [99], "no-gold": [], "missing-run": [3]}
    m = ir_metrics(runs, gold, k=2, recall_ks=(1, 3))
    # Counted: a (RR 1), b (rank 3 -> 0 at k=2), c (0), missing-run (0); "no-gold" is skipped.
    assert m["count"] == 4 and m["k"] == 2
    assert m["mrr"] == pytest.approx(1 / 4)
    assert m["recall@1"] == pytest.approx(1 / 4) and m["recall@2"] == pytest.approx(1 / 4)
    assert m["recall@3"] == pytest.approx(2 / 4)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / 4)
    assert ir_metrics({}, {"x": []})["count"] == 0


# ---------------------------------------------------------------- `sesame score`


def run_score(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sesame.cli", "score", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def squad_dataset() -> dict:
    """Many kinds of references, with a v2 impossible question that is not scored."""
    qas = [
        ("p1", "Paris", ["Paris", "Paris, France"]),
        ("p2", "the year 1998", ["1998"]),
        ("p3", "São Paulo", ["sao paulo", "São Paulo city"]),
        ("p4", "«Olá»", ["Olá"]),
        ("p5", "", ["red"]),
        ("p6", "an apple a day", ["apple day"]),
        ("p7", "U.S.", ["the United States", "US"]),
        ("p8", "blue green", ["green blue", "green"]),
    ]
    context = " ".join(dict.fromkeys(t for _, _, ts in qas for t in ts))
    items = [{"id": qid, "question": "?", "answers": [{"text": t, "answer_start": context.index(t)} for t in truths]}
             for qid, _, truths in qas]
    items.append({"id": "p9", "question": "?", "answers": [{"text": "Paris", "answer_start": 0}]})  # not predicted
    items.append({"id": "imp", "question": "?", "answers": [], "is_impossible": True})
    return {"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": context, "qas": items}]}]}, \
        {**{qid: pred for qid, pred, _ in qas}, "imp": ""}  # SQuAD v2 predictions name impossible questions too


def test_score_cli_agrees_with_the_official_definition(tmp_path: Path) -> None:
    dataset, preds = squad_dataset()
    (tmp_path / "ref.json").write_text(json.dumps(dataset, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "pred.json").write_text(json.dumps(preds, ensure_ascii=False), encoding="utf-8")
    proc = run_score("--predictions", "pred.json", "--references", "ref.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"exact_match", "f1", "precision", "count"}
    answerable = {"version": "1.1", "data": [{"paragraphs": [{"qas": [
        qa for qa in dataset["data"][0]["paragraphs"][0]["qas"] if not qa.get("is_impossible")]}]}]}
    expected = official_evaluate(answerable, {k: v for k, v in preds.items() if k != "imp"})
    assert out["count"] == 9
    assert abs(out["exact_match"] - expected["exact_match"]) < 1e-9
    assert abs(out["f1"] - expected["f1"]) < 1e-9
    # Hand count: EM on p1, p2? no ("year" stays), p4? no (en keeps «»), p6 (articles), p7 ("us") -> 3 of 9.
    assert out["exact_match"] == pytest.approx(100 * 3 / 9)
    # contains: p1, p2, p3 (São Paulo city), p6, p7, p8 (green) -> 6 of 9; p5 and missing p9 are empty.
    assert out["precision"] == pytest.approx(100 * 6 / 9)


def test_score_cli_portuguese_and_official_random_pairs(tmp_path: Path) -> None:
    pairs = list(itertools.islice(itertools.product(STRINGS, repeat=2), 7, None, 37))
    data = {"data": [{"paragraphs": [{"context": "x", "qas": [
        {"id": f"q{i}", "question": "?", "answers": [{"text": ref, "answer_start": 0}]}
        for i, (_, ref) in enumerate(pairs)]}]}]}
    preds = {f"q{i}": pred for i, (pred, _) in enumerate(pairs)}
    (tmp_path / "ref.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "pred.json").write_text(json.dumps(preds), encoding="utf-8")
    # Scoring needs only texts: like the official script, answer_start is not checked here.
    out = json.loads(run_score("--predictions", "pred.json", "--references", "ref.json", cwd=tmp_path).stdout)
    expected = official_evaluate(data, preds)
    assert out["count"] == len(pairs) > 100
    assert abs(out["exact_match"] - expected["exact_match"]) < 1e-9 and abs(out["f1"] - expected["f1"]) < 1e-9
    pt = json.loads(run_score("--predictions", "pred.json", "--references", "ref.json", "--language", "pt",
                              cwd=tmp_path).stdout)
    lib = score_predictions(preds, {f"q{i}": [ref] for i, (_, ref) in enumerate(pairs)}, "pt")
    assert pt == lib.as_dict()


def test_score_cli_unknown_qid_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pred.json").write_text(json.dumps({"q1": "1998", "zzz": "x"}), encoding="utf-8")
    proc = run_score("--predictions", "pred.json", "--references", str(FIXTURES / "tiny_squad.json"), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("sesame score: error: pred.json: 1 predicted qid(s) are not in the references, e.g. 'zzz'")
    assert proc.stdout == ""


def test_score_cli_bad_predictions_file(tmp_path: Path) -> None:
    (tmp_path / "pred.json").write_text(json.dumps(["not", "a", "dict"]), encoding="utf-8")
    proc = run_score("--predictions", "pred.json", "--references", str(FIXTURES / "tiny_squad.json"), cwd=tmp_path)
    assert proc.returncode == 2 and "pred.json: predictions must be a JSON object" in proc.stderr


def test_score_cli_squad_fixture_missing_prediction_counts_as_empty(tmp_path: Path) -> None:
    # tiny_squad: q1..q4 answerable, q5 impossible (not scored).
    (tmp_path / "pred.json").write_text(json.dumps({"q1": "1998", "q2": "Ana Lima", "q3": "42 staff"}),
                                        encoding="utf-8")
    out = json.loads(run_score("--predictions", "pred.json", "--references", str(FIXTURES / "tiny_squad.json"),
                               cwd=tmp_path).stdout)
    # q1 EM, q2 F1 = 2*(2/2)*(2/3)/(1+2/3) = 0.8 and contained, q3 EM, q4 missing -> 0.
    assert out == {"exact_match": 50.0, "f1": pytest.approx(100 * (1 + 0.8 + 1) / 4), "precision": 75.0, "count": 4}


def test_score_cli_mrqa_uses_the_answers_strings(tmp_path: Path) -> None:
    # mrqa_official_eval.py scores against qa["answers"] (aliases included), not the detected spans.
    header = {"header": {"dataset": "T", "split": "dev"}}
    rec = {"context": "[PAR] The ship sails in May.", "qas": [
        {"qid": "a", "question": "When?", "answers": ["May", "the fifth month"],
         "detected_answers": [{"text": "May", "char_spans": [[24, 26]]}]},
        {"qid": "b", "question": "What?", "answers": ["ship"],
         "detected_answers": [{"text": "ship", "char_spans": [[10, 13]]}]}]}
    ref = tmp_path / "dev.jsonl"
    ref.write_text(json.dumps(header) + "\n" + json.dumps(rec) + "\n", encoding="utf-8")
    (tmp_path / "pred.json").write_text(json.dumps({"a": "fifth month"}), encoding="utf-8")
    out = json.loads(run_score("--predictions", "pred.json", "--references", "dev.jsonl", cwd=tmp_path).stdout)
    assert out == {"exact_match": 50.0, "f1": 50.0, "precision": 50.0, "count": 2}


def test_score_library_on_the_mrqa_fixture() -> None:
    from sesame.metrics.cli import load_references

    refs = load_references(FIXTURES / "tiny_mrqa.jsonl")
    assert refs == {"m1": ["May"], "m2": ["12"]}
    assert score_predictions({"m1": "in May", "m2": "12"}, refs).as_dict() == {
        "exact_match": 50.0, "f1": pytest.approx(100 * (2 / 3 + 1) / 2), "precision": 100.0, "count": 2}
