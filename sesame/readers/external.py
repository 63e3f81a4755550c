"""The `external` reader: someone else's predictions (e.g. the paper's ChatGPT answers), scored like ours.

A file is either {qid: answer} (used for both retrieved and gold context: the paper's ChatGPT runs saw
the gold context) or {"retrieved": {qid: answer}, "gold": {qid: answer}}.
"""

from __future__ import annotations

import logging
import os

from sesame.errors import SesameInputError
from sesame.io import read_json

log = logging.getLogger(__name__)


def _check(preds: object, path: str | os.PathLike, where: str) -> dict[str, str]:
    if not isinstance(preds, dict):
        raise SesameInputError(f"{where} must be a JSON object {{qid: answer}}", source=path)
    for qid, ans in preds.items():
        if not isinstance(ans, str):
            raise SesameInputError(f"{where}: the prediction for {qid!r} is {type(ans).__name__}, not a string",
                                   source=path, fix="answers must be strings (use \"\" for no answer)")
    return preds


def load_external(path: str | os.PathLike, qids: list[str]) -> dict[str, dict[str, str]]:
    """{"retrieved": {...}, "gold": {...}} restricted to `qids`; a missing qid is an empty (wrong) answer."""
    data = read_json(path)
    if isinstance(data, dict) and set(data) == {"retrieved", "gold"}:
        sets = {k: _check(data[k], path, k) for k in ("retrieved", "gold")}
    else:
        one = _check(data, path, "the file")
        sets = {"retrieved": one, "gold": one}
    known = set(qids)
    for name, preds in sets.items():
        unknown = sorted(set(preds) - known)
        if unknown and len(unknown) == len(preds):
            raise SesameInputError(f"none of the {len(preds)} predicted qids belongs to this dataset, e.g. "
                                   f"{unknown[0]!r}", source=path, fix="point external_predictions at the "
                                   "predictions made for this dataset")
        missing = len(known - set(preds))
        if unknown or missing:
            log.warning("external %s predictions: %d unknown qids ignored, %d questions without a prediction",
                        name, len(unknown), missing)
    return {name: {q: preds.get(q, "") for q in qids} for name, preds in sets.items()}
