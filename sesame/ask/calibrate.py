"""The "no confident answer" threshold, calibrated on a run's gold-context predictions.

Why: a reader always returns its best span, even when the passages do not hold the answer. The
score alone means nothing to a user, so we pick the threshold from the run itself: on the
gold-context predictions (the reader's best case, with references), an answer counts as right
when its SQuAD F1 is at least `min_f1`, and we choose the score cut-off that maximises the F1 of
the decision "answer when score >= threshold" at predicting "the answer is right". Answering
everything is always among the candidates, so a reader whose scores say nothing is never silenced
by a lucky cut.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from sesame.errors import SesameInputError
from sesame.io import read_jsonl
from sesame.metrics.squad import f1_score, max_over_references

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Calibration:
    threshold: float | None   # answer when score >= threshold; None answers everything
    f1: float                 # F1 (0-1) of the decision at predicting a right answer
    precision: float
    recall: float
    answered: float           # fraction of calibration questions answered at this threshold
    count: int
    right: int                # answers with F1 >= min_f1
    min_f1: float
    source: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def best_threshold(scores: Sequence[float], right: Sequence[bool], min_f1: float = 0.5,
                   source: str = "") -> Calibration:
    """The cut-off maximising the decision F1; ties go to the lower threshold (answer more often)."""
    if len(scores) != len(right):
        raise ValueError("scores and labels differ in length")
    n, positives = len(scores), sum(right)
    if n == 0 or positives == 0:
        return Calibration(None, 0.0, 0.0, 0.0, 1.0, n, positives, min_f1, source)
    pairs = sorted(zip(scores, right), key=lambda p: -p[0])
    best: tuple[float, float, float, float, int] | None = None  # f1, threshold, precision, recall, answered
    tp = answered = 0
    for i, (score, ok) in enumerate(pairs):
        tp += ok
        answered += 1
        if i + 1 < n and pairs[i + 1][0] == score:
            continue  # a threshold cannot split equal scores
        precision, recall = tp / answered, tp / positives
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        if best is None or f1 >= best[0]:
            best = (f1, score, precision, recall, answered)
    f1, threshold, precision, recall, answered = best
    if answered == n:
        threshold = None  # answering everything needs no threshold
    return Calibration(threshold, f1, precision, recall, answered / n, n, positives, min_f1, source)


def gold_records(path: Path) -> list[dict]:
    """The gold-context records of a run's predictions.contexts.jsonl."""
    from sesame.ask._reader_adapter import is_gold_record

    records = read_jsonl(path)
    gold = [r for r in records if is_gold_record(r)]
    if not gold:
        raise SesameInputError("no gold-context predictions to calibrate on", source=path,
                               fix="re-run the reader evaluation, or pass --threshold")
    return gold


def calibrate_run(contexts_path: str | Path, references: dict[str, list[str]], language: str = "en",
                  min_f1: float = 0.5) -> Calibration:
    """Threshold from a run's gold-context predictions and the collection's reference answers."""
    path = Path(contexts_path)
    scores, right = [], []
    for rec in gold_records(path):
        refs = references.get(rec["qid"])
        if not refs or rec.get("score") is None:
            continue  # impossible questions and records without a score carry no evidence
        scores.append(float(rec["score"]))
        right.append(max_over_references(f1_score, rec.get("answer") or "", refs, language) >= min_f1)
    cal = best_threshold(scores, right, min_f1, str(path))
    log.info("calibrated on %d gold-context predictions (%d right): threshold %s, decision F1 %.3f, answers %.0f%%",
             cal.count, cal.right, "none" if cal.threshold is None else f"{cal.threshold:.3f}", cal.f1,
             100 * cal.answered)
    return cal
