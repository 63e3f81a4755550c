"""Snakemake adapter: index_bm25 / index_dense. All logic lives in sesame.retrieval."""
from sesame.retrieval import RetrievalConfig, write_index
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]) as log:
    meta = write_index(
        snakemake.input.collection,
        snakemake.params.kind,
        snakemake.output.index,
        RetrievalConfig.from_dict(snakemake.params.cfg),
        threads=snakemake.threads,
    )
    log.info("index %s of %s: %d sentences", snakemake.params.kind, snakemake.wildcards.dataset, meta["sentences"])
