"""Snakemake adapter: tables. All logic lives in sesame.report."""
from pathlib import Path

from sesame.report import make_tables
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]):
    make_tables(snakemake.input.runs, snakemake.input.retrieval, Path(snakemake.output.runs).parent,
                n_boot=snakemake.params.n_boot, n_perm=snakemake.params.n_perm, seed=snakemake.params.seed,
                **snakemake.params.settings)
