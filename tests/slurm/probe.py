"""Test-only Snakemake script (tests/slurm/Snakefile): a stand-in job that fails on demand.

Why: the SLURM fault tests need a GPU job that fails once, one that always fails and one that
outlives its time limit, without waiting on a real model. It logs through the same
`rule_logging` as the real rules, so its log records the SLURM job id and visible GPUs too.
Modes (params.mode): ok | flaky (fails on the first attempt; a marker file outside the outputs
remembers it, as a transient node fault would) | fail (every attempt) | sleep (params.seconds).
"""
import time
from pathlib import Path

from sesame.io import write_text
from sesame.workflow import rule_logging

mode = snakemake.params.mode
with rule_logging(snakemake.log[0]) as log:
    log.info("probe %s (%s) started", snakemake.rule, mode)
    marker = Path(snakemake.params.marker)
    if mode == "flaky" and not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        log.error("simulated transient failure (first attempt)")
        raise SystemExit(1)
    if mode == "fail":
        log.error("simulated permanent failure")
        raise SystemExit(1)
    if mode == "sleep":
        time.sleep(snakemake.params.seconds)
    write_text(snakemake.output[0], f"{mode} done\n")
    log.info("probe %s done", snakemake.rule)
