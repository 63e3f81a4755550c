"""`sesame score`: SQuAD EM/F1/precision of a predictions file against MRQA or SQuAD references."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sesame.errors import SesameInputError


def _mrqa_answer_strings(path: Path) -> dict[str, list[str]]:
    """qid -> the `answers` strings of an (already validated) MRQA file: what the official MRQA eval scores."""
    from sesame.io import json_lines, read_text

    out: dict[str, list[str]] = {}
    for line in json_lines(read_text(path))[1:]:
        if line.strip():
            for qa in json.loads(line)["qas"]:
                answers = qa.get("answers")
                if isinstance(answers, list) and answers and all(isinstance(a, str) for a in answers):
                    out[str(qa["qid"])] = list(dict.fromkeys(answers))
    return out


def _references(path: str | Path) -> tuple[dict[str, list[str]], set[str]]:
    """The scored references and every qid of the file (SQuAD v2 impossible questions included)."""
    from sesame.data.loaders import load_mrqa, load_squad

    path = Path(path)
    if path.suffix == ".jsonl" or path.name.endswith(".jsonl.gz"):
        _, questions, _ = load_mrqa(path, check_spans=False)
        official = _mrqa_answer_strings(path)
        refs = {q.qid: official.get(q.qid) or list(dict.fromkeys(a.text for a in q.answers)) for q in questions}
    else:
        _, questions, _ = load_squad(path, check_spans=False)
        refs = {q.qid: list(dict.fromkeys(a.text for a in q.answers)) for q in questions if not q.impossible}
    return refs, {q.qid for q in questions}


def load_references(path: str | Path) -> dict[str, list[str]]:
    """qid -> reference answer texts, from MRQA jsonl (*.jsonl[.gz]) or SQuAD json.

    Like the official evaluations, scoring needs only the answer texts, so answer offsets are not
    checked here. MRQA uses each question's `answers` strings (as mrqa_official_eval.py does), falling
    back to its detected answers. SQuAD v2 impossible questions are left out.
    """
    return _references(path)[0]


def load_predictions(path: str | Path) -> dict[str, str]:
    from sesame.io import read_json

    preds = read_json(path)
    if not isinstance(preds, dict):
        raise SesameInputError("predictions must be a JSON object {qid: answer_text}", source=path)
    for qid, ans in preds.items():
        if not isinstance(ans, str):
            raise SesameInputError(f"prediction for {qid!r} is {type(ans).__name__}, not a string", source=path)
    return preds


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="SQuAD EM/F1 and contains-precision of a predictions file",
                       description="Prints one JSON object: exact_match, f1, precision (0-100) and count.")
    p.add_argument("--predictions", required=True, help="JSON object {qid: answer_text}")
    p.add_argument("--references", required=True, help="MRQA jsonl or SQuAD json with the gold answers")
    p.add_argument("--language", default="en", choices=("en", "pt"), help="answer normalisation (articles)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sesame.metrics.squad import score_predictions

    refs, known = _references(args.references)
    preds = load_predictions(args.predictions)
    unknown = sorted(set(preds) - known)  # a prediction for an impossible (unscored) question is fine
    if unknown:
        raise SesameInputError(f"{len(unknown)} predicted qid(s) are not in the references, e.g. {unknown[0]!r}",
                               source=args.predictions, fix="score against the references the predictions were made for")
    print(json.dumps(score_predictions(preds, refs, args.language).as_dict()))
    return 0
