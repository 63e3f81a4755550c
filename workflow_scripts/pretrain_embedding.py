"""Snakemake adapter: pretrain_embedding. All logic lives in sesame.synth.pretrain."""
from sesame.synth.pretrain import PretrainConfig, pretrain_embedding
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]):
    pretrain_embedding(
        squad_file=snakemake.input.squad,
        out_dir=snakemake.output.model,
        cfg=PretrainConfig(**snakemake.params.cfg),
        threads=snakemake.threads,
    )
