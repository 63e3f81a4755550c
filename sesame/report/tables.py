"""The paper's tables from the tidy run rows: main (F1, EM), retrieval, ablations, CIs and paired tests.

Why a reference setting: results from several configs can be aggregated together (e.g. one
results folder per top-k value), so the main table fixes one synthetic fraction, one top-k and
one RRF k, and each ablation table varies exactly one of them while holding the others there.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sesame.errors import SesameInputError
from sesame.report import TABLE_NAMES  # noqa: F401  (re-exported)
from sesame.report.aggregate import READER_ORDER, RETRIEVER_ORDER, ordered
from sesame.report.render import MISSING, Cell, Table, bold_best, fmt_number, mean_std_cell, write_table
from sesame.report.stats import confidence_intervals, paired_tests

log = logging.getLogger(__name__)

UPPER_BOUNDS = ("oracle",)  # gold-context retrieval: shown, but never the "best" system
METRIC_LABEL = {"f1": "F1", "em": "EM"}
# variable -> (label, config key that sets it, file name)
ABLATIONS = {"frac": ("synthetic fraction", "grid.fractions", "ablation_fraction"),
             "top_k": ("top-k contexts", "retrieval.top_k_contexts", "ablation_top_k"),
             "rrf_k": ("RRF k", "retrieval.hybrid.rrf_k", "ablation_rrf_k")}


@dataclass(frozen=True)
class Settings:
    """The reference point of the grid; NaN means "not recorded" (or, for rrf_k, no hybrid runs)."""

    frac: float
    top_k: float
    rrf_k: float

    def describe(self) -> str:
        return f"synthetic fraction {_g(self.frac)}, top-k contexts {_g(self.top_k)}, RRF k {_g(self.rrf_k)} (hybrid)"


def _g(v: float) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{v:g}"


def _mode(series: pd.Series) -> float:
    """Most frequent value (smallest on ties); NaN when nothing is recorded."""
    counts = series.dropna().value_counts()
    return float(min(counts[counts == counts.max()].index)) if len(counts) else math.nan


def _matches(series: pd.Series, value: float) -> pd.Series:
    return series.isna() if math.isnan(value) else (series - value).abs() < 1e-9


def reference_settings(runs: pd.DataFrame, frac: float | None = None, top_k: float | None = None,
                       rrf_k: float | None = None) -> Settings:
    """Fill unset values with the most common one in `runs`; a given value must exist in `runs`."""
    hybrid = runs[runs["retriever"] == "hybrid"]
    chosen = Settings(_mode(runs["frac"]) if frac is None else float(frac),
                      _mode(runs["top_k"]) if top_k is None else float(top_k),
                      _mode(hybrid["rrf_k"]) if rrf_k is None else float(rrf_k))
    for name, col, frame in (("frac", "frac", runs), ("top_k", "top_k", runs), ("rrf_k", "rrf_k", hybrid)):
        value = getattr(chosen, name)
        if not frame.empty and not _matches(frame[col], value).any():
            have = ", ".join(_g(v) for v in sorted(frame[col].dropna().unique())) or "none recorded"
            raise SesameInputError(f"no runs with {name}={_g(value)} (the results have: {have})",
                                   source="report settings", fix=f"choose one of the recorded {name} values")
    return chosen


def select(runs: pd.DataFrame, s: Settings, vary: str | None = None, context: str = "retrieved") -> pd.DataFrame:
    """Rows of one context at the reference setting, letting `vary` (frac, top_k or rrf_k) range freely."""
    df = runs[runs["context"] == context]
    if vary != "frac":
        df = df[_matches(df["frac"], s.frac)]
    if vary != "top_k":
        df = df[_matches(df["top_k"], s.top_k)]
    hybrid = df["retriever"] == "hybrid"
    df = df[hybrid] if vary == "rrf_k" else df[~hybrid | _matches(df["rrf_k"], s.rrf_k)]
    return df


def summarize(df: pd.DataFrame, metric: str, by: list[str]) -> pd.DataFrame:
    """Mean and sample standard deviation (ddof=1) of `metric` over seeds, with the number of seeds."""
    out = (df.groupby(by, observed=True, dropna=False, sort=True)[metric].agg(["mean", "std", "count"])
           .reset_index().rename(columns={"mean": f"{metric}_mean", "std": f"{metric}_std", "count": "n_seeds"}))
    return out


def _seed_note(summary: pd.DataFrame) -> str:
    n = summary["n_seeds"]
    if n.empty:
        return "no runs"
    if n.min() == n.max():
        return f"{n.min()} seed" + ("" if n.min() == 1 else "s")
    return f"{n.min()} to {n.max()} seeds"


def main_table(runs: pd.DataFrame, metric: str, s: Settings) -> Table:
    """Rows: datasets; columns: reader x retriever; cells: mean ± std over seeds on retrieved contexts."""
    summary = summarize(select(runs, s), metric, ["dataset", "reader", "retriever"])
    readers = ordered(summary["reader"].astype(str), READER_ORDER)
    retrievers = ordered(summary["retriever"].astype(str), RETRIEVER_ORDER)
    have = {(r, t) for r, t in zip(summary["reader"].astype(str), summary["retriever"].astype(str))}
    columns = [(r, t) for r in readers for t in retrievers if (r, t) in have]
    lookup = {(str(d), str(r), str(t)): row for d, r, t, row in
              zip(summary["dataset"], summary["reader"], summary["retriever"], summary.itertuples(index=False))}
    summary["best"] = False
    rows = []
    for d in sorted(summary["dataset"].unique()):
        stats = [lookup.get((d, r, t)) for r, t in columns]
        means = [getattr(x, f"{metric}_mean") if x else math.nan for x in stats]
        eligible = [t not in UPPER_BOUNDS and not math.isnan(m) for (_, t), m in zip(columns, means)]
        flags = bold_best(means, eligible=eligible if any(eligible) else None)
        for (r, t), flag in zip(columns, flags):
            if flag:
                summary.loc[(summary.dataset == d) & (summary.reader == r) & (summary.retriever == t), "best"] = True
        rows.append(([d], [mean_std_cell(m, getattr(x, f"{metric}_std"), int(x.n_seeds), bold=f) if x
                           else Cell(MISSING) for x, m, f in zip(stats, means, flags)]))
    label = METRIC_LABEL[metric]
    notes = [f"{label} (0-100) on retrieved contexts: mean ± sample std over seeds ({_seed_note(summary)}).",
             f"Setting: {s.describe()}.",
             "Bold: best per dataset at the shown precision; oracle (gold sentences, an upper bound) is never bold."]
    return Table(f"main_{metric}", f"{label} by dataset, reader and retriever", ["dataset"], columns, rows,
                 summary, notes)


def ablation_table(runs: pd.DataFrame, var: str, s: Settings, metric: str = "f1") -> Table:
    """Rows: dataset x reader x retriever; columns: the values of `var`; everything else at the reference."""
    label, key, name = ABLATIONS[var]
    by = ["dataset", "reader", "retriever"]
    summary = summarize(select(runs, s, vary=var), metric, by + [var])
    values = sorted(summary[var].dropna().unique()) + ([math.nan] if summary[var].isna().any() else [])
    columns = [(label, _g(v)) for v in values]
    summary["best"] = False
    rows = []
    for keys, grp in summary.groupby(by, observed=True, sort=True):
        stats = [grp[_matches(grp[var], v)] for v in values]
        means = [float(x[f"{metric}_mean"].iloc[0]) if len(x) else math.nan for x in stats]
        flags = bold_best(means)
        for x, flag in zip(stats, flags):
            if flag:
                summary.loc[x.index, "best"] = True
        cells = [mean_std_cell(float(x[f"{metric}_mean"].iloc[0]), float(x[f"{metric}_std"].iloc[0]),
                               int(x["n_seeds"].iloc[0]), bold=f) if len(x) else Cell(MISSING)
                 for x, f in zip(stats, flags)]
        rows.append(([str(k) for k in keys], cells))
    fixed = {"frac": f"synthetic fraction {_g(s.frac)}", "top_k": f"top-k contexts {_g(s.top_k)}",
             "rrf_k": f"RRF k {_g(s.rrf_k)} (hybrid)"}
    notes = [f"{METRIC_LABEL[metric]} (0-100) on retrieved contexts, mean ± sample std over seeds, by {label}; "
             f"fixed: {', '.join(v for k, v in fixed.items() if k != var)}. Bold: best {label} per row."]
    if not rows:
        what = "hybrid runs" if var == "rrf_k" else "runs"
        notes.append(f"No {what} in these results, so there is nothing to compare.")
    elif len(values) == 1:
        notes.append(f"Only one {label} value ({_g(values[0])}) in these results: run the grid with other "
                     f"values of `{key}` and aggregate the results folders together to fill this ablation.")
    return Table(name, f"Ablation: {METRIC_LABEL[metric]} by {label}", by, columns, rows, summary, notes)


def retrieval_table(retrieval: pd.DataFrame) -> Table:
    """Rows: dataset x retriever; columns: MRR, Recall@k, nDCG@10 (best non-oracle per dataset in bold)."""
    metrics = [c for c in retrieval.columns if c == "mrr" or c.startswith("recall@") or c == "ndcg@10"]
    metrics = [m for m in metrics if retrieval[m].notna().any()]
    labels = {"mrr": "MRR", "ndcg@10": "nDCG@10", **{m: "R@" + m.split("@")[1] for m in metrics if "recall" in m}}
    columns = [("", labels[m]) for m in metrics] + [("", "questions")]
    rows = []
    for d, grp in retrieval.groupby("dataset", sort=True):
        eligible = [t not in UPPER_BOUNDS for t in grp["retriever"].astype(str)]
        flags = {m: bold_best(list(grp[m].astype(float)), digits=3,
                              eligible=eligible if any(eligible) else None) for m in metrics}
        for i, row in enumerate(grp.itertuples(index=False)):
            vals = [Cell(fmt_number(float(grp[m].iloc[i]), 3), flags[m][i]) for m in metrics]
            rows.append(([str(d), str(row.retriever)], vals + [Cell(str(int(grp["count"].iloc[i])))]))
    k = sorted(retrieval["k"].dropna().astype(int).unique()) if "k" in retrieval else []
    notes = [f"Sentence retrieval against the gold sentence(s), MRR over the top {', '.join(map(str, k)) or 'k'}; "
             "questions without a gold sentence are skipped. Bold: best non-oracle retriever per dataset."]
    if retrieval.empty:
        notes.append("No retrieval metrics in these results.")
    return Table("retrieval", "Sentence retrieval by dataset and retriever", ["dataset", "retriever"], columns,
                 rows, retrieval.drop(columns=["path"], errors="ignore"), notes)


def ci_table(ci: pd.DataFrame, s: Settings, n_boot: int) -> Table:
    columns = [("F1", "mean"), ("F1", "95% CI"), ("EM", "mean"), ("EM", "95% CI"), ("", "questions"), ("", "seeds")]
    rows = []
    for r in ci.itertuples(index=False):
        rows.append(([str(r.dataset), str(r.reader), str(r.retriever), str(r.context)],
                     [Cell(fmt_number(r.f1)), Cell(f"[{fmt_number(r.f1_low)}, {fmt_number(r.f1_high)}]"),
                      Cell(fmt_number(r.em)), Cell(f"[{fmt_number(r.em_low)}, {fmt_number(r.em_high)}]"),
                      Cell(str(r.n_questions)), Cell(str(r.n_seeds))]))
    notes = [f"Percentile bootstrap over questions ({n_boot} resamples, seeded) of per-question scores "
             f"averaged over seeds. Setting: {s.describe()}."]
    return Table("confidence_intervals", "Bootstrap 95% confidence intervals",
                 ["dataset", "reader", "retriever", "context"], columns, rows, ci, notes)


def paired_table(pt: pd.DataFrame, s: Settings, n_perm: int) -> Table:
    columns = [("", "best"), ("", "second"), ("F1", "best"), ("F1", "second"), ("", "Δ F1"), ("", "95% CI of Δ"),
               ("", "p"), ("", "questions")]
    rows = []
    for r in pt.itertuples(index=False):
        if r.note:
            rows.append(([str(r.dataset)], [Cell(r.note)] + [Cell(MISSING)] * (len(columns) - 1)))
            continue
        rows.append(([str(r.dataset)], [Cell(r.system_a), Cell(r.system_b), Cell(fmt_number(r.mean_a)),
                                        Cell(fmt_number(r.mean_b)), Cell(fmt_number(r.delta, 2)),
                                        Cell(f"[{fmt_number(r.delta_low, 2)}, {fmt_number(r.delta_high, 2)}]"),
                                        Cell(f"{r.p_value:.4f}", r.p_value < 0.05), Cell(str(r.n_questions))]))
    notes = ["The two best configurations per dataset (mean F1 over seeds, retrieved contexts, oracle excluded), "
             "compared on the questions both answered: per-question F1 averaged over seeds; p from a two-sided "
             f"sign-flip permutation test ({n_perm} permutations, seeded); bold p < 0.05. Setting: {s.describe()}."]
    return Table("paired_tests", "Paired test between the two best configurations", ["dataset"], columns, rows,
                 pt, notes, text_columns=(0, 1))


def build_tables(runs: pd.DataFrame, retrieval: pd.DataFrame, out_dir: str | Path, settings: Settings | None = None,
                 n_boot: int = 1000, n_perm: int = 10000, seed: int = 0) -> list[Path]:
    """Write every table (csv, md, tex) and runs.csv (all rows, tidy) into `out_dir`."""
    from sesame.io import atomic_path

    if runs.empty:
        raise SesameInputError("no run metrics to aggregate", source=str(out_dir),
                               fix="run the workflow first, or point to the results folder that holds runs/")
    s = settings or reference_settings(runs)
    out_dir = Path(out_dir)
    ref = pd.concat([select(runs, s, context=c) for c in ("retrieved", "gold")])
    tables = [main_table(runs, "f1", s), main_table(runs, "em", s), retrieval_table(retrieval),
              ablation_table(runs, "frac", s), ablation_table(runs, "top_k", s), ablation_table(runs, "rrf_k", s),
              ci_table(confidence_intervals(ref, n_boot=n_boot, seed=seed), s, n_boot),
              paired_table(paired_tests(ref, n_perm=n_perm, n_boot=n_boot, seed=seed), s, n_perm)]
    paths = [p for t in tables for p in write_table(t, out_dir)]
    with atomic_path(out_dir / "runs.csv") as tmp:
        runs.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")
    log.info("tables: %d runs rows, %d retrieval rows -> %d files in %s (%s)", len(runs), len(retrieval),
             len(paths) + 1, out_dir, s.describe())
    return paths + [out_dir / "runs.csv"]
