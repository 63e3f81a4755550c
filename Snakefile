# sesame: adapt extractive QA to a document collection with no labelled data.
# The rules live in rules/*.smk; all logic lives in the importable `sesame` package.
from snakemake.utils import min_version

min_version("9.0")


# The demo config is the default; `--configfile X` replaces it (it is not merged into it).
if not config:

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/download.smk"
include: "rules/collection.smk"
include: "rules/synth.smk"
include: "rules/pretraining.smk"
include: "rules/retrieval.smk"
include: "rules/readers.smk"
include: "rules/report.smk"
include: "rules/serve.smk"


rule all:
    """Every result of the configured grid."""
    input:
        all_targets(),
    default_target: True


onerror:
    # A closing list of the jobs that failed for good: rule, wildcards, attempts, log paths.
    import sys
    from sesame.workflow import failure_summary

    summary = failure_summary(workflow.scheduler.failed if workflow.scheduler else ())
    if summary:
        print(summary, file=sys.stderr)
