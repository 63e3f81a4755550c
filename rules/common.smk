# Config validation, wildcard constraints and target functions. No rule logic here.
import sys
from pathlib import Path

from sesame.config import validate_config
from sesame.errors import SesameInputError

try:
    config = validate_config(config)
except SesameInputError as e:
    sys.exit(f"sesame: {e}")

LANGS = config["languages"]
DATASETS = {name: ds for name, ds in config["datasets"].items() if ds["language"] in LANGS}


wildcard_constraints:
    dataset="|".join(DATASETS) or "NONE",
    lang="en|pt",


def dataset_input(wildcards):
    """Raw dataset path of one dataset."""
    return DATASETS[wildcards.dataset]["path"]


def collection_dir(wildcards):
    return f"results/{wildcards.lang}/{wildcards.dataset}/collection"


def dataset_targets(name):
    """Every output of one dataset (the `dataset_<name>` target)."""
    lang = DATASETS[name]["language"]
    return [f"results/{lang}/{name}/collection"]


def all_targets():
    return [t for name in DATASETS for t in dataset_targets(name)]
