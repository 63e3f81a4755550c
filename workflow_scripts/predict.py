"""Snakemake adapter: predict. All logic lives in sesame.readers.evaluate."""
from pathlib import Path

from sesame.readers.evaluate import evaluate_run
from sesame.workflow import rule_logging

wc, inp = snakemake.wildcards, snakemake.input
with rule_logging(snakemake.log[0]):
    evaluate_run(inp.collection, inp.get("run"), wc.reader, Path(snakemake.output.metrics).parent,
                 config=snakemake.params.config, dataset=wc.dataset, retriever=wc.retriever, frac=float(wc.frac),
                 seed=int(wc.seed), model_dir=inp.get("model"), external=inp.get("external"),
                 gold_path=inp.gold, threads=snakemake.threads)
