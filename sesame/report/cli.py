"""`sesame report tables|figures|html`: the results tables, figures and page, without Snakemake."""

from __future__ import annotations

import argparse


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", action="append", required=True, metavar="DIR",
                   help="a workflow results/ folder (repeat to aggregate several, e.g. one per top-k value)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--frac", type=float, help="synthetic fraction of the main table (default: the most common)")
    p.add_argument("--top-k", type=float, help="top-k contexts of the main table (default: the most common)")
    p.add_argument("--rrf-k", type=float, help="RRF k of hybrid runs in the main table (default: the most common)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="results tables, figures and HTML page from the runs' metrics",
                       description="Aggregate every results/{lang}/{dataset}/runs/.../metrics.json (and the "
                                   "retrieval metrics) into the paper's tables, figures and a report page.")
    rs = p.add_subparsers(dest="report_command", required=True, metavar="WHAT")
    t = rs.add_parser("tables", help="main F1/EM, retrieval, ablation, CI and paired-test tables (csv, md, tex)",
                      description="Writes <out>/{main_f1,main_em,retrieval,ablation_*,confidence_intervals,"
                                  "paired_tests}.{csv,md,tex} and <out>/runs.csv (every run, tidy).")
    _common(t)
    t.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples for the CIs (default 1000)")
    t.add_argument("--n-perm", type=int, default=10000, help="permutations for the paired test (default 10000)")
    t.add_argument("--seed", type=int, default=0, help="seed of the bootstrap and permutation draws")
    t.set_defaults(func=run)
    f = rs.add_parser("figures", help="seaborn figures (PNG): F1 vs fraction, retrievers, gold vs retrieved, recall",
                      description="Writes <out>/{f1_vs_fraction,retriever_comparison,gold_vs_retrieved,"
                                  "retrieval_recall}.png.")
    _common(f)
    f.set_defaults(func=run)
    h = rs.add_parser("html", help="one self-contained HTML page from the tables and figures",
                      description="Embeds every <tables>/*.md table and <figures>/*.png figure, with captions.")
    h.add_argument("--tables", required=True, help="folder written by `sesame report tables`")
    h.add_argument("--figures", required=True, help="folder written by `sesame report figures`")
    h.add_argument("--captions", default="report/captions", help="folder of <figure>.rst captions")
    h.add_argument("--out", required=True, help="the HTML file to write")
    h.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sesame.errors import SesameInputError
    from sesame.report import make_figures, make_html, make_tables

    if args.report_command == "html":
        from sesame.report import FIGURE_NAMES, TABLE_NAMES

        tables = [Path(args.tables) / f"{n}.md" for n in TABLE_NAMES if (Path(args.tables) / f"{n}.md").exists()]
        figures = [Path(args.figures) / f"{n}.png" for n in FIGURE_NAMES if (Path(args.figures) / f"{n}.png").exists()]
        if not tables and not figures:
            raise SesameInputError("no tables or figures found", source=args.tables,
                                   fix="run `sesame report tables` and `sesame report figures` first")
        print(make_html(tables, figures, args.captions, args.out))
        return 0
    from sesame.report.aggregate import discover

    run_files, retrieval_files = discover(args.results)
    if not run_files:
        raise SesameInputError("no runs/.../metrics.json found", source=", ".join(args.results),
                               fix="pass the workflow's results/ folder after the runs have finished")
    settings = {"frac": args.frac, "top_k": args.top_k, "rrf_k": args.rrf_k}
    if args.report_command == "tables":
        paths = make_tables(run_files, retrieval_files, args.out, n_boot=args.n_boot, n_perm=args.n_perm,
                            seed=args.seed, **settings)
    else:
        paths = make_figures(run_files, retrieval_files, args.out, **settings)
    print(f"{len(run_files)} run files, {len(retrieval_files)} retrieval files -> {len(paths)} files in {args.out}")
    return 0
