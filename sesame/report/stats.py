"""Uncertainty over questions: bootstrap 95% confidence intervals and a paired test between systems.

Why over questions: the seeds' mean ± std says how much training noise moves a score, but not
how much the score would move on another sample of questions of the same kind. Per-question scores
(averaged over a configuration's seeds) answer that. Every resample is drawn from a seeded
generator, so the same results give the same intervals and p-values, byte for byte.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sesame.report.aggregate import load_per_question, per_question_matrix, seed_average

_CHUNK = 256  # resamples per block: bounds memory at _CHUNK x n_questions


def _rng(seed: int, *keys: str) -> np.random.Generator:
    """A generator that depends only on the seed and the names (not on which other configs exist)."""
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in keys)])


def bootstrap_means(scores: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `n_boot` resamples (with replacement) of the rows of `scores` (n_questions x n_columns).

    Every column shares the same resamples, so columns can be compared question by question.
    """
    scores = np.asarray(scores, dtype=float)
    scores = scores[:, None] if scores.ndim == 1 else scores
    n = scores.shape[0]
    out = np.empty((n_boot, scores.shape[1]))
    for start in range(0, n_boot, _CHUNK):
        size = min(_CHUNK, n_boot - start)
        out[start:start + size] = scores[rng.integers(0, n, size=(size, n))].mean(axis=1)
    return out


def bootstrap_ci(scores: Iterable[float], n_boot: int = 1000, seed: int = 0,
                 alpha: float = 0.05) -> tuple[float, float, float]:
    """(mean, low, high): the percentile bootstrap (1 - alpha) interval of the mean score."""
    x = np.asarray(list(scores), dtype=float)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    means = bootstrap_means(x, n_boot, np.random.default_rng(seed))[:, 0]
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(x.mean()), float(lo), float(hi)


@dataclass(frozen=True)
class PairedResult:
    mean_a: float
    mean_b: float
    delta: float  # mean(a - b)
    delta_low: float
    delta_high: float
    p_value: float  # two-sided, sign-flip permutation
    n: int


def paired_test(a: Iterable[float], b: Iterable[float], n_perm: int = 10000, n_boot: int = 1000,
                seed: int = 0, alpha: float = 0.05) -> PairedResult:
    """Paired comparison of two systems scored on the same questions.

    p-value: a two-sided sign-flip permutation test of mean(a - b) = 0 (under the null, each
    question's difference is equally likely to have either sign), with the +1 correction so it is
    never 0. The interval of the difference is a paired percentile bootstrap.
    """
    a, b = np.asarray(list(a), dtype=float), np.asarray(list(b), dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired scores need the same questions ({a.size} vs {b.size})")
    d = a - b
    n = d.size
    if n == 0:
        nan = float("nan")
        return PairedResult(nan, nan, nan, nan, nan, nan, 0)
    observed = abs(d.mean())
    rng = np.random.default_rng(seed)
    if not np.any(d):
        p = 1.0
    else:
        hits = 0
        for start in range(0, n_perm, _CHUNK):
            size = min(_CHUNK, n_perm - start)
            signs = rng.integers(0, 2, size=(size, n)) * 2.0 - 1.0
            hits += int(np.sum(np.abs(signs @ d) / n >= observed - 1e-12))
        p = (hits + 1) / (n_perm + 1)
    boot = bootstrap_means(d, n_boot, rng)[:, 0]
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return PairedResult(float(a.mean()), float(b.mean()), float(d.mean()), float(lo), float(hi), float(p), n)


def confidence_intervals(runs: pd.DataFrame, n_boot: int = 1000, seed: int = 0,
                         alpha: float = 0.05) -> pd.DataFrame:
    """Bootstrap CIs of EM and F1 for every (dataset, reader, retriever, context) in `runs`.

    `runs` is already restricted to one setting (frac, top-k, RRF k); its seeds are averaged per
    question first, so the interval is over questions, not seeds. Each metrics file is read once.
    """
    rows = []
    for (dataset, reader, retriever), grp in runs.groupby(["dataset", "reader", "retriever"], observed=True):
        loaded = {p: load_per_question(p) for p in grp["path"].unique()}
        for context, cgrp in grp.groupby("context", sort=True):
            qids, scores = seed_average([loaded[p] for p in cgrp["path"]], str(context))
            row = {"dataset": dataset, "reader": reader, "retriever": retriever, "context": context,
                   "n_questions": len(qids), "n_seeds": len(cgrp)}
            if len(qids):
                rng = _rng(seed, str(dataset), str(reader), str(retriever), str(context))
                lo, hi = np.quantile(bootstrap_means(scores, n_boot, rng), [alpha / 2, 1 - alpha / 2], axis=0)
                mean = scores.mean(axis=0)
                for j, metric in enumerate(("em", "f1")):
                    row.update({metric: float(mean[j]), f"{metric}_low": float(lo[j]), f"{metric}_high": float(hi[j])})
            rows.append(row)
    cols = ["dataset", "reader", "retriever", "context", "f1", "f1_low", "f1_high", "em", "em_low", "em_high",
            "n_questions", "n_seeds"]
    return pd.DataFrame(rows, columns=cols)


def paired_tests(runs: pd.DataFrame, metric: str = "f1", exclude: tuple[str, ...] = ("oracle",),
                 n_perm: int = 10000, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per dataset, the two best (reader, retriever) configurations on retrieved contexts, tested pairwise.

    "Best" is the mean over seeds of the summary score, as in the main table. Oracle runs are left
    out by default: they read the gold context, an upper bound rather than a competing system.
    """
    rows = []
    df = runs[(runs["context"] == "retrieved") & ~runs["retriever"].isin(exclude)]
    for dataset, grp in df.groupby("dataset", sort=True):
        ranked = (grp.groupby(["reader", "retriever"], observed=True)[metric].mean()
                  .sort_values(ascending=False, kind="stable"))
        row: dict = {"dataset": dataset, "metric": metric}
        if len(ranked) < 2:
            rows.append({**row, "note": "fewer than two configurations"})
            continue
        (ra, ta), (rb, tb) = ranked.index[0], ranked.index[1]
        qa, sa = per_question_matrix(grp[(grp.reader == ra) & (grp.retriever == ta)]["path"], "retrieved", metric)
        qb, sb = per_question_matrix(grp[(grp.reader == rb) & (grp.retriever == tb)]["path"], "retrieved", metric)
        common = sorted(set(qa) & set(qb))
        ia, ib = {q: i for i, q in enumerate(qa)}, {q: i for i, q in enumerate(qb)}
        a = np.array([sa[ia[q]] for q in common], dtype=float)
        b = np.array([sb[ib[q]] for q in common], dtype=float)
        seed_ = int(_rng(seed, str(dataset), metric).integers(2**31))
        res = paired_test(a, b, n_perm=n_perm, n_boot=n_boot, seed=seed_)
        rows.append({**row, "system_a": f"{ra} / {ta}", "system_b": f"{rb} / {tb}", "mean_a": res.mean_a,
                     "mean_b": res.mean_b, "delta": res.delta, "delta_low": res.delta_low,
                     "delta_high": res.delta_high, "p_value": res.p_value, "n_questions": res.n, "note": ""})
    cols = ["dataset", "metric", "system_a", "system_b", "mean_a", "mean_b", "delta", "delta_low", "delta_high",
            "p_value", "n_questions", "note"]
    return pd.DataFrame(rows, columns=cols)
