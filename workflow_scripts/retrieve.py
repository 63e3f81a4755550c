"""Snakemake adapter: retrieve. All logic lives in sesame.retrieval."""
from sesame.retrieval import retrieve_collection
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]):
    retrieve_collection(
        snakemake.input.collection,
        snakemake.wildcards.retriever,
        snakemake.output.run,
        out_metrics=snakemake.output.metrics,
        out_csv=snakemake.output.csv,
        config=snakemake.params.cfg,
        indexes={kind: snakemake.input.get(f"{kind}_index") for kind in ("bm25", "dense")},
        dataset=snakemake.wildcards.dataset,
        threads=snakemake.threads,
    )
