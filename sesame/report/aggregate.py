"""Collect every run's metrics.json (and every retrieval metrics file) into tidy DataFrames.

Why one tidy table: every table, statistic and figure is a group-by over the same rows
(dataset, language, retriever, reader, frac, seed, context), so they can never disagree with each
other or with the files. Each row keeps the config hash, the package versions and the file it came
from, so any number in a table can be traced back to the run that produced it.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from sesame.errors import SesameInputError
from sesame.io import read_json

log = logging.getLogger(__name__)

CONTEXTS = ("retrieved", "gold")
KEY = ["dataset", "language", "retriever", "reader", "frac", "seed", "context", "top_k", "rrf_k"]
RUN_COLUMNS = KEY + ["em", "f1", "precision", "count", "window", "config_hash", "versions", "path"]
RETRIEVAL_COLUMNS = ["dataset", "language", "retriever", "mrr", "ndcg@10", "count", "k", "path"]
# Display order of the known grid values; anything else follows alphabetically.
RETRIEVER_ORDER = ["bm25", "dense", "hybrid", "oracle"]
READER_ORDER = ["extractive-base", "extractive", "llm-base", "llm-lora", "external"]
RUN_GLOB = "*/*/runs/*/*/frac*/seed*/metrics.json"
RETRIEVAL_GLOB = "*/*/retrieval/*.metrics.json"
_RETRIEVAL_PATH = re.compile(r"(?P<lang>[^/]+)/(?P<dataset>[^/]+)/retrieval/(?P<retriever>[^/]+)\.metrics\.json$")


def ordered(values: Iterable[str], preferred: list[str]) -> list[str]:
    """Known grid values in their conventional order, then unknown ones alphabetically."""
    values = set(values)
    return [v for v in preferred if v in values] + sorted(values - set(preferred))


def _nested(cfg: dict, *keys: str) -> float:
    for k in keys:
        if not isinstance(cfg, dict) or k not in cfg:
            return math.nan
        cfg = cfg[k]
    return float(cfg) if isinstance(cfg, (int, float)) and not isinstance(cfg, bool) else math.nan


def _scores(m: dict, context: str, path: Path) -> dict:
    block = m.get(context)
    if not isinstance(block, dict):
        raise SesameInputError(f"no {context!r} score block", source=path,
                               fix="delete the file and re-run the rule that wrote it")
    try:
        return {"em": float(block["exact_match"]), "f1": float(block["f1"]),
                "precision": float(block.get("precision", math.nan)), "count": int(block["count"])}
    except (KeyError, TypeError, ValueError) as e:
        raise SesameInputError(f"{context!r} scores need exact_match, f1 and count ({e})", source=path,
                               fix="delete the file and re-run the rule that wrote it") from None


def run_rows(path: str | Path) -> list[dict]:
    """The two rows (retrieved and gold context) of one run's metrics.json."""
    path = Path(path)
    m = read_json(path)
    missing = [k for k in ("dataset", "retriever", "reader", "frac", "seed") if k not in m]
    if missing:
        raise SesameInputError(f"metrics.json lacks {', '.join(missing)}", source=path,
                               fix="delete the file and re-run the rule that wrote it")
    cfg = m.get("config") or {}
    # rrf_k only shapes hybrid runs; recording it elsewhere would split identical runs apart.
    rrf_k = _nested(cfg, "retrieval", "hybrid", "rrf_k") if m["retriever"] == "hybrid" else math.nan
    base = {
        "dataset": str(m["dataset"]), "language": str(m.get("language", "")), "retriever": str(m["retriever"]),
        "reader": str(m["reader"]), "frac": float(m["frac"]), "seed": int(m["seed"]),
        "top_k": _nested(cfg, "retrieval", "top_k_contexts"), "rrf_k": rrf_k,
        "window": _nested(cfg, "retrieval", "window"), "config_hash": str(m.get("config_hash", "")),
        "versions": json.dumps(m.get("versions") or {}, sort_keys=True), "path": str(path),
    }
    return [{**base, "context": ctx, **_scores(m, ctx, path)} for ctx in CONTEXTS if ctx in m]


def _sorted_frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    if df.empty:
        return df
    df["retriever"] = pd.Categorical(df["retriever"], ordered(df["retriever"], RETRIEVER_ORDER), ordered=True)
    if "reader" in df:
        df["reader"] = pd.Categorical(df["reader"], ordered(df["reader"], READER_ORDER), ordered=True)
    sort = [c for c in ("dataset", "reader", "retriever", "frac", "top_k", "rrf_k", "seed", "context") if c in df]
    return df.sort_values(sort, kind="stable").reset_index(drop=True)


def load_runs(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per (dataset, language, retriever, reader, frac, seed, context, top_k, rrf_k).

    The same run found twice (e.g. two result folders of the same config) is kept once, with a
    warning, so that it is not counted as an extra seed.
    """
    rows = [row for p in paths for row in run_rows(p)]
    df = _sorted_frame(rows, RUN_COLUMNS)
    if df.empty:
        return df
    dup = df.duplicated(KEY, keep="first")
    if dup.any():
        log.warning("%d duplicate run rows ignored (same dataset, retriever, reader, frac, seed, top_k, rrf_k), "
                    "e.g. %s", int(dup.sum()), df.loc[dup, "path"].iloc[0])
        df = df[~dup].reset_index(drop=True)
    return df


def load_retrieval(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per (dataset, retriever): MRR, Recall@k, nDCG@10, count and k, from the path and the file."""
    rows = []
    for p in paths:
        p = Path(p)
        match = _RETRIEVAL_PATH.search(p.as_posix())
        if not match:
            raise SesameInputError("not a retrieval metrics path", source=p,
                                   fix="expected results/{lang}/{dataset}/retrieval/{retriever}.metrics.json")
        m = read_json(p)
        if not isinstance(m, dict) or "mrr" not in m:
            raise SesameInputError("retrieval metrics need at least 'mrr'", source=p,
                                   fix="delete the file and re-run the retrieve rule")
        row = {"dataset": match["dataset"], "language": match["lang"], "retriever": match["retriever"], "path": str(p)}
        row.update({k: (float(v) if k not in ("count", "k") else int(v)) for k, v in m.items()
                    if k in ("mrr", "ndcg@10", "count", "k") or k.startswith("recall@")})
        rows.append(row)
    recalls = sorted({k for r in rows for k in r if k.startswith("recall@")}, key=lambda k: int(k.split("@")[1]))
    cols = RETRIEVAL_COLUMNS[:4] + recalls + RETRIEVAL_COLUMNS[4:]
    return _sorted_frame(rows, cols).drop_duplicates(["dataset", "retriever"], keep="first").reset_index(drop=True)


def discover(roots: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """(run metrics files, retrieval metrics files) under one or more results folders."""
    runs, retrieval = [], []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise SesameInputError("results folder not found", source=root, fix="pass the workflow's results/ folder")
        runs += sorted(root.glob(RUN_GLOB))
        retrieval += sorted(root.glob(RETRIEVAL_GLOB))
    return runs, retrieval


PerQuestion = dict[str, dict[str, tuple[float, float]]]  # context -> qid -> (em, f1), 0-100


def load_per_question(path: str | Path) -> PerQuestion:
    """Per-question (em, f1) of one run for every context it holds, on the 0-100 scale of the summaries.

    Readers may store per-question scores as fractions (0/1 and 0..1) or as percentages; a run
    whose values never exceed 1 is taken to hold fractions.
    """
    m = read_json(path)
    pq = m.get("per_question") if isinstance(m, dict) else None
    if not isinstance(pq, dict) or not pq:
        raise SesameInputError("no per_question scores", source=path,
                               fix="re-run the reader; metrics.json needs per_question {context: {qid: [em, f1]}}")
    out: PerQuestion = {}
    for context, scores in pq.items():
        try:
            out[context] = {str(q): (float(v[0]), float(v[1])) for q, v in scores.items()}
        except (TypeError, ValueError, IndexError, AttributeError):
            raise SesameInputError(f"per_question[{context!r}] must map qid -> [em, f1]", source=path,
                                   fix="re-run the reader that wrote it") from None
    if max((max(v) for t in out.values() for v in t.values()), default=0.0) <= 1.0:
        out = {c: {q: (100.0 * e, 100.0 * f) for q, (e, f) in t.items()} for c, t in out.items()}
    return out


def seed_average(runs: list[PerQuestion], context: str) -> tuple[list[str], np.ndarray]:
    """Question ids and their (em, f1) averaged over runs (e.g. the seeds of one configuration).

    Only questions scored in every run are kept, so each mean is over the same runs. Returns an
    (n_questions x 2) array.
    """
    tables = [r.get(context, {}) for r in runs]
    if not tables:
        return [], np.zeros((0, 2))
    qids = sorted(set.intersection(*(set(t) for t in tables)))
    if not qids:
        return [], np.zeros((0, 2))
    return qids, np.array([[t[q] for t in tables] for q in qids]).mean(axis=1)


def per_question_matrix(paths: Iterable[str | Path], context: str, metric: str) -> tuple[list[str], np.ndarray]:
    """Question ids and one metric's per-question scores averaged over the runs in `paths`."""
    qids, scores = seed_average([load_per_question(p) for p in paths], context)
    return qids, scores[:, {"em": 0, "f1": 1}[metric]]
