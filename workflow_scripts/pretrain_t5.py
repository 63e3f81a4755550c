"""Snakemake adapter: pretrain_t5. All logic lives in sesame.synth.pretrain."""
from sesame.synth.pretrain import PretrainConfig, pretrain_t5
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]):
    pretrain_t5(
        squad_file=snakemake.input.squad,
        out_dir=snakemake.output.model,
        task=snakemake.wildcards.task,
        cfg=PretrainConfig(**snakemake.params.cfg),
        threads=snakemake.threads,
    )
