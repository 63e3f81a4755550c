"""Snakemake adapter: collection. All logic lives in sesame.data."""
from sesame.data import make_collection
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]) as log:
    c = make_collection(snakemake.input.dataset, snakemake.params.fmt, snakemake.wildcards.lang,
                        snakemake.output.collection)
    log.info("collection %s: %s", snakemake.wildcards.dataset, c.manifest)
