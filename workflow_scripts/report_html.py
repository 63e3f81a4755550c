"""Snakemake adapter: report_html. All logic lives in sesame.report."""
from pathlib import Path

from sesame.report import make_html
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]):
    make_html(snakemake.input.tables, snakemake.input.figures, Path(snakemake.input.captions[0]).parent,
              snakemake.output.html)
