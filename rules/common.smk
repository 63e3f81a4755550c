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


def dataset_documents(wildcards):
    """A text folder's document files: editing one in place does not touch the folder's mtime."""
    ds = DATASETS[wildcards.dataset]
    if ds["format"] != "text" or not Path(ds["path"]).is_dir():
        return []
    from sesame.data.loaders import text_files

    return [str(f) for f in text_files(Path(ds["path"]))]


def collection_dir(wildcards):
    return f"results/{wildcards.lang}/{wildcards.dataset}/collection"


def run_metrics_files(names=None):
    """metrics.json of every run: datasets x retrievers x readers x fractions x seeds."""
    return [
        f"results/{DATASETS[name]['language']}/{name}/runs/{retriever}/{reader}/frac{frac}/seed{seed}/metrics.json"
        for name in (names or DATASETS)
        for retriever in config["retrieval"]["retrievers"]
        for reader in config["readers"]["names"]
        for frac in config["grid"]["fractions"]
        for seed in config["grid"]["seeds"]
    ]


def retrieval_metrics_files(names=None):
    """The sentence-retrieval metrics of every dataset x retriever."""
    return [
        f"results/{DATASETS[name]['language']}/{name}/retrieval/{retriever}.metrics.json"
        for name in (names or DATASETS)
        for retriever in config["retrieval"]["retrievers"]
    ]


def dataset_targets(name):
    """Every output of one dataset (the `dataset_<name>` target)."""
    lang = DATASETS[name]["language"]
    synthetic = [f"results/{lang}/{name}/synthetic/{config['synthetic']['generator']}.jsonl"]
    return [f"results/{lang}/{name}/collection"] + synthetic + retrieval_metrics_files([name]) + run_metrics_files([name])


def all_targets():
    """Every dataset's results, the pretrained models when enabled, and the tables, figures and report."""
    # pretraining_targets() comes from rules/pretraining.smk (included before `rule all` asks for this).
    summaries = ["results/tables/main_f1.md", "results/figures/f1_vs_fraction.png", "results/report.html"]
    return [t for name in DATASETS for t in dataset_targets(name)] + pretraining_targets() + summaries
