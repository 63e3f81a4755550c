"""Snakemake adapter: download_dataset. All logic lives in sesame.download."""
from sesame.download import download_dataset
from sesame.io import write_text
from sesame.workflow import rule_logging

with rule_logging(snakemake.log[0]):
    ds = snakemake.params.ds
    digest = download_dataset(snakemake.wildcards.dataset, ds.get("url"), snakemake.output.dataset,
                              ds.get("sha256"), ds.get("manual"))
    write_text(snakemake.output.checksum, digest + "\n")
