"""Results: aggregate every run's metrics into tidy rows, then tables, statistics, figures and an HTML page.

The package import stays light (pandas, seaborn load inside the functions), so that `sesame --help`
is instant. The three stage functions below are what the `tables`, `figures` and `report` rules and the
`sesame report` command call; each takes explicit metrics files so that Snakemake's inputs are
exactly what is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["TABLE_NAMES", "FIGURE_NAMES", "make_tables", "make_figures", "make_html"]

# The outputs the rules declare: results/tables/<name>.{csv,md,tex} (+ runs.csv) and results/figures/<name>.png.
TABLE_NAMES = ["main_f1", "main_em", "retrieval", "ablation_fraction", "ablation_top_k", "ablation_rrf_k",
               "confidence_intervals", "paired_tests"]
FIGURE_NAMES = ["f1_vs_fraction", "retriever_comparison", "gold_vs_retrieved", "retrieval_recall"]


def _settings(runs, frac: float | None, top_k: float | None, rrf_k: float | None):
    from sesame.report.tables import reference_settings

    return reference_settings(runs, frac, top_k, rrf_k) if not runs.empty else None


def make_tables(run_files: Iterable[str | Path], retrieval_files: Iterable[str | Path], out_dir: str | Path, *,
                frac: float | None = None, top_k: float | None = None, rrf_k: float | None = None,
                n_boot: int = 1000, n_perm: int = 10000, seed: int = 0) -> list[Path]:
    """Every table (main F1/EM, retrieval, ablations, CIs, paired tests) as csv/md/tex, plus runs.csv."""
    from sesame.report.aggregate import load_retrieval, load_runs
    from sesame.report.tables import build_tables

    runs, retrieval = load_runs(run_files), load_retrieval(retrieval_files)
    return build_tables(runs, retrieval, out_dir, _settings(runs, frac, top_k, rrf_k), n_boot, n_perm, seed)


def make_figures(run_files: Iterable[str | Path], retrieval_files: Iterable[str | Path], out_dir: str | Path, *,
                 frac: float | None = None, top_k: float | None = None, rrf_k: float | None = None) -> list[Path]:
    """Every figure in FIGURE_NAMES as PNG."""
    from sesame.report.aggregate import load_retrieval, load_runs
    from sesame.report.figures import build_figures

    runs, retrieval = load_runs(run_files), load_retrieval(retrieval_files)
    return build_figures(runs, retrieval, out_dir, _settings(runs, frac, top_k, rrf_k))


def make_html(tables: Iterable[str | Path], figures: Iterable[str | Path], captions_dir: str | Path,
              out: str | Path) -> Path:
    """The self-contained results page (tables from their .md files, figures embedded, with captions)."""
    from sesame.report.html import build_html

    return build_html(list(tables), list(figures), captions_dir, out)
