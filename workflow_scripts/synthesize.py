"""Snakemake adapter: synthesize. All logic lives in sesame.synth."""
from sesame.synth import generate_synthetic
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]):
    generate_synthetic(
        collection_dir=snakemake.input.collection,
        out_jsonl=snakemake.output.pairs,
        out_stats=snakemake.output.stats,
        cfg=snakemake.params.cfg,
        threads=snakemake.threads,
    )
