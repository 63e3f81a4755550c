"""Snakemake adapter: predict_gold. All logic lives in sesame.readers.evaluate."""
from sesame.readers.evaluate import predict_gold
from sesame.workflow import rule_logging

wc, inp = snakemake.wildcards, snakemake.input
with rule_logging(snakemake.log[0]):
    predict_gold(inp.collection, wc.reader, snakemake.output.gold, config=snakemake.params.config,
                 dataset=wc.dataset, seed=int(wc.seed), model_dir=inp.get("model"), external=inp.get("external"),
                 threads=snakemake.threads)
