"""Hybrid retrieval: fuse ranked runs by reciprocal rank (RRF) or by normalised scores.

Why explicit and deterministic: the paper fused with score = sum of 1/rank (RRF with k = 0) over the
union of the BM25 and dense top-k lists and broke ties by Python set order, so its rankings were not
reproducible. Here k is a parameter (60 by default, 0 for the paper) and ties are broken by the best
rank any component gave the sentence, then by the lower sentence id.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sesame.errors import SesameInputError

FUSIONS = ("rrf", "weighted")
RUN_COLUMNS = ["qid", "rank", "sid", "score"]


def fuse(runs: Sequence[pd.DataFrame], method: str = "rrf", *, k: float = 60.0,
         weights: Sequence[float] | None = None, top_k: int | None = None,
         qid_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Fuse run tables (qid, rank, sid, score) into one, over the union of their lists.

    rrf:      score = sum over the runs that hold the sentence of 1 / (k + rank).
    weighted: score = sum of weight * min-max normalised score within the question's list in that
              run (a run that lacks the sentence adds 0; a list of equal scores normalises to 1).
    The result keeps `top_k` rows per question (all of the union when None), ranked by score, then
    best component rank, then sid; questions follow `qid_order` (first appearance otherwise).
    """
    if method not in FUSIONS:
        raise SesameInputError(f"unknown fusion {method!r}", fix="use rrf or weighted")
    if method == "rrf" and k < 0:
        raise SesameInputError(f"RRF constant k must be >= 0, got {k}", fix="use 60 (usual) or 0 (paper)")
    weights = list(weights) if weights is not None else [1.0] * len(runs)
    if len(weights) != len(runs):
        raise SesameInputError(f"{len(weights)} weights for {len(runs)} runs")
    parts = []
    for run, w in zip(runs, weights):
        part = run[["qid", "sid", "rank"]].copy()
        if method == "rrf":
            part["contrib"] = 1.0 / (k + run["rank"].to_numpy(dtype=np.float64))
        else:
            s = run["score"].to_numpy(dtype=np.float64)
            grp = run.groupby("qid", sort=False)["score"]
            lo, hi = grp.transform("min").to_numpy(np.float64), grp.transform("max").to_numpy(np.float64)
            span = hi - lo
            norm = np.divide(s - lo, span, out=np.ones_like(s), where=span > 0)
            part["contrib"] = w * norm
        parts.append(part)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(RUN_COLUMNS, [object, "int64", "int64", "float64"])})
    # Rows are concatenated run by run, so each sum adds the components in the same fixed order.
    allrows = pd.concat(parts, ignore_index=True)
    fused = (allrows.groupby(["qid", "sid"], sort=False)
             .agg(score=("contrib", "sum"), best=("rank", "min")).reset_index())
    order = list(qid_order) if qid_order is not None else list(dict.fromkeys(allrows["qid"]))
    pos = {q: i for i, q in enumerate(order)}
    fused["qpos"] = fused["qid"].map(pos)
    if fused["qpos"].isna().any():
        missing = fused.loc[fused["qpos"].isna(), "qid"].iloc[0]
        raise SesameInputError(f"question {missing!r} of a run is not in the question order")
    fused = fused.sort_values(["qpos", "score", "best", "sid"], ascending=[True, False, True, True],
                              kind="mergesort")
    fused["rank"] = fused.groupby("qpos", sort=False).cumcount() + 1
    if top_k is not None:
        fused = fused[fused["rank"] <= top_k]
    return fused[RUN_COLUMNS].reset_index(drop=True).astype({"rank": "int64", "sid": "int64"})
