"""Snakemake adapter: train_reader. All logic lives in sesame.readers."""
from sesame.readers.common import load_pairs
from sesame.readers.extractive import ExtractiveConfig, train_extractive
from sesame.readers.llm import LLMConfig, train_llm
from sesame.workflow import rule_logging

wc, params = snakemake.wildcards, snakemake.params.train
with rule_logging(snakemake.log[0]):
    pairs = load_pairs(snakemake.input.pairs)
    if wc.reader == "extractive":
        train_extractive(pairs, snakemake.output.model, params["model"], float(wc.frac), int(wc.seed),
                         ExtractiveConfig.from_dict(params["section"]), wc.lang, snakemake.threads,
                         model_key=f"models.{wc.lang}.reader_encoder")
    else:
        train_llm(pairs, snakemake.output.model, params["model"], float(wc.frac), int(wc.seed),
                  LLMConfig.from_dict(params["section"]), wc.lang, snakemake.threads,
                  model_key=f"models.{wc.lang}.llm")
