# Results: tables, figures and the HTML page, aggregated from every run of the configured grid.
# `snakemake tables`, `snakemake figures`, `snakemake report` (results/report.html); and
# `snakemake --report results/snakemake_report.html` for Snakemake's own browsable report, which
# shows the outputs flagged with report() below, with their captions from report/captions/.
# The input functions (run_metrics_files, retrieval_metrics_files, report_settings) live in
# report_common.smk, since `snakemake --lint` wants functions and rules in separate files.
import os

from sesame.report import FIGURE_NAMES, TABLE_NAMES


include: "report_common.smk"


localrules:
    tables,
    figures,
    report_html,
    report,


rule tables:
    """Main F1/EM, retrieval, ablation, confidence-interval and paired-test tables (csv, md, tex)."""
    input:
        runs=run_metrics_files(),
        retrieval=retrieval_metrics_files(),
    output:
        **{
            name: report(f"results/tables/{name}.csv", caption=f"../report/captions/{name}.rst", category="Tables")
            for name in TABLE_NAMES
        },
        **{f"{name}_md": f"results/tables/{name}.md" for name in TABLE_NAMES},
        **{f"{name}_tex": f"results/tables/{name}.tex" for name in TABLE_NAMES},
        runs="results/tables/runs.csv",
    params:
        settings=report_settings(),
        n_boot=1000,
        n_perm=10000,
        seed=0,
    log:
        "logs/report/tables.log",
    benchmark:
        "benchmarks/report/tables.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/report_tables.py"


rule figures:
    """Seaborn figures: F1 vs synthetic fraction, retriever comparison, gold vs retrieved, recall@k."""
    input:
        runs=run_metrics_files(),
        retrieval=retrieval_metrics_files(),
    output:
        **{
            name: report(f"results/figures/{name}.png", caption=f"../report/captions/{name}.rst", category="Figures")
            for name in FIGURE_NAMES
        },
    params:
        settings=report_settings(),
    log:
        "logs/report/figures.log",
    benchmark:
        "benchmarks/report/figures.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/report_figures.py"


rule report_html:
    """results/report.html: every table and figure with its caption, in one self-contained page."""
    input:
        tables=expand("results/tables/{name}.md", name=TABLE_NAMES),
        figures=expand("results/figures/{name}.png", name=FIGURE_NAMES),
        captions=caption_files(),
    output:
        html="results/report.html",
    log:
        "logs/report/report_html.log",
    benchmark:
        "benchmarks/report/report_html.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/report_html.py"


rule report:
    """Target: the results page (`snakemake report`)."""
    input:
        rules.report_html.output.html,
    default_target: False
