"""The paper's figures, drawn with seaborn on the Agg backend (no display needed, e.g. on a cluster node).

Why error bars are ± one standard deviation over seeds: it is deterministic (seaborn's default
bootstrap CI is random) and matches the "mean ± std" of the tables, so a figure and its table
always agree. A figure whose data are absent is still written, saying so, so that the workflow's
outputs (and the report) never depend on which parts of the grid were configured.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from sesame.io import atomic_path  # noqa: E402
from sesame.report import FIGURE_NAMES  # noqa: E402
from sesame.report.aggregate import READER_ORDER, RETRIEVER_ORDER, ordered  # noqa: E402
from sesame.report.tables import Settings, reference_settings, select  # noqa: E402

log = logging.getLogger(__name__)

GOLD = "gold context"


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def _placeholder(path: Path, message: str) -> Path:
    fig, ax = plt.subplots(figsize=(6, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    return _save(fig, path)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as plain strings so seaborn shows only the levels that have data."""
    df = df.copy()
    for col in ("reader", "retriever", "dataset", "source"):
        if col in df:
            df[col] = df[col].astype(str)
    return df


def _wrap(n: int) -> int:
    return min(n, 3)


def f1_vs_fraction(runs: pd.DataFrame, s: Settings, path: Path) -> Path:
    """F1 (retrieved contexts) against the synthetic fraction, one line per reader (and retriever)."""
    df = _plain(select(runs, s, vary="frac"))
    if df.empty:
        return _placeholder(path, "No runs: nothing to plot against the synthetic fraction.")
    g = sns.relplot(data=df, kind="line", x="frac", y="f1", hue="reader", style="retriever", col="dataset",
                    col_wrap=_wrap(df["dataset"].nunique()), markers=True, errorbar="sd", err_style="bars", height=3.2,
                    hue_order=ordered(df["reader"], READER_ORDER),
                    style_order=ordered(df["retriever"], RETRIEVER_ORDER),
                    facet_kws={"sharey": False})
    g.set_axis_labels("synthetic fraction (test_split)", "F1").set_titles("{col_name}")
    g.set(xticks=sorted(df["frac"].unique()))
    one = "; only one fraction configured" if df["frac"].nunique() == 1 else ""
    g.figure.suptitle(f"F1 against synthetic fraction (mean ± std over seeds{one})", y=1.03)
    return _save(g.figure, path)


def retriever_comparison(runs: pd.DataFrame, s: Settings, path: Path) -> Path:
    """Bars of F1 (retrieved contexts) per retriever, one colour per reader."""
    df = _plain(select(runs, s))
    if df.empty:
        return _placeholder(path, "No runs: nothing to compare.")
    g = sns.catplot(data=df, kind="bar", x="retriever", y="f1", hue="reader", col="dataset",
                    col_wrap=_wrap(df["dataset"].nunique()), errorbar="sd", height=3.2,
                    order=ordered(df["retriever"], RETRIEVER_ORDER), hue_order=ordered(df["reader"], READER_ORDER))
    g.set_axis_labels("retriever", "F1").set_titles("{col_name}")
    g.figure.suptitle("F1 by retriever (mean ± std over seeds)", y=1.03)
    return _save(g.figure, path)


def gold_vs_retrieved(runs: pd.DataFrame, s: Settings, path: Path) -> Path:
    """F1 with each retriever's contexts beside F1 with the gold context, per reader.

    The gold-context score does not depend on the retriever (the reader is trained once per
    dataset, fraction and seed), so it is averaged over retrievers per seed and drawn once.
    """
    retrieved = select(runs, s).assign(source=lambda d: d["retriever"].astype(str))
    gold = select(runs, s, context="gold")
    gold = (gold.groupby(["dataset", "reader", "seed"], observed=True)["f1"].mean().reset_index()
            .assign(source=GOLD))
    df = _plain(pd.concat([retrieved[["dataset", "reader", "seed", "f1", "source"]], gold], ignore_index=True))
    if df.empty:
        return _placeholder(path, "No runs: nothing to compare.")
    hue_order = ordered(set(df["source"]) - {GOLD}, RETRIEVER_ORDER) + ([GOLD] if GOLD in set(df["source"]) else [])
    g = sns.catplot(data=df, kind="bar", x="reader", y="f1", hue="source", col="dataset",
                    col_wrap=_wrap(df["dataset"].nunique()), errorbar="sd", height=3.2,
                    order=ordered(df["reader"], READER_ORDER), hue_order=hue_order)
    g.set_axis_labels("reader", "F1").set_titles("{col_name}")
    g.legend.set_title("context")
    g.figure.suptitle("F1 with retrieved contexts and with the gold context (mean ± std over seeds)", y=1.03)
    return _save(g.figure, path)


def retrieval_recall(retrieval: pd.DataFrame, path: Path) -> Path:
    """Recall@k against k per retriever: how often the gold sentence reaches the reader."""
    cols = [c for c in retrieval.columns if c.startswith("recall@")]
    if retrieval.empty or not cols:
        return _placeholder(path, "No retrieval metrics: nothing to plot.")
    df = _plain(retrieval.melt(id_vars=["dataset", "retriever"], value_vars=cols, var_name="k", value_name="recall"))
    df = df.dropna(subset=["recall"]).assign(k=lambda d: d["k"].str.split("@").str[1].astype(int))
    g = sns.relplot(data=df, kind="line", x="k", y="recall", hue="retriever", col="dataset", marker="o",
                    col_wrap=_wrap(df["dataset"].nunique()), height=3.2,
                    hue_order=ordered(df["retriever"], RETRIEVER_ORDER))
    g.set_axis_labels("k (sentences)", "Recall@k").set_titles("{col_name}")
    g.set(ylim=(0, 1.02), xticks=sorted(df["k"].unique()))
    g.figure.suptitle("Gold sentence in the top k", y=1.03)
    return _save(g.figure, path)


def build_figures(runs: pd.DataFrame, retrieval: pd.DataFrame, out_dir: str | Path,
                  settings: Settings | None = None) -> list[Path]:
    """Write every figure in FIGURE_NAMES as <name>.png into `out_dir`."""
    out_dir = Path(out_dir)
    sns.set_theme(style="whitegrid", context="paper")
    s = settings or (reference_settings(runs) if not runs.empty else Settings(math.nan, math.nan, math.nan))
    if runs.empty:
        paths = [_placeholder(out_dir / f"{n}.png", "No runs.") for n in FIGURE_NAMES[:3]]
    else:
        paths = [f1_vs_fraction(runs, s, out_dir / "f1_vs_fraction.png"),
                 retriever_comparison(runs, s, out_dir / "retriever_comparison.png"),
                 gold_vs_retrieved(runs, s, out_dir / "gold_vs_retrieved.png")]
    paths.append(retrieval_recall(retrieval, out_dir / "retrieval_recall.png"))
    log.info("figures: %d written to %s", len(paths), out_dir)
    return paths
