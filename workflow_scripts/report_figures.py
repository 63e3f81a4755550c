"""Snakemake adapter: figures. All logic lives in sesame.report."""
from pathlib import Path

from sesame.report import make_figures
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]):
    make_figures(snakemake.input.runs, snakemake.input.retrieval, Path(snakemake.output[0]).parent,
                 **snakemake.params.settings)
