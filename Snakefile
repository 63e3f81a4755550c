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


rule all:
    """Every result of the configured grid."""
    input:
        all_targets(),
    default_target: True
