# Input functions of the report rules: the whole configured grid. No rules here.


def run_metrics_files():
    """metrics.json of every run: datasets x retrievers x readers x fractions x seeds."""
    return [
        f"results/{ds['language']}/{name}/runs/{retriever}/{reader}/frac{frac}/seed{seed}/metrics.json"
        for name, ds in DATASETS.items()
        for retriever in config["retrieval"]["retrievers"]
        for reader in config["readers"]["names"]
        for frac in config["grid"]["fractions"]
        for seed in config["grid"]["seeds"]
    ]


def retrieval_metrics_files():
    """The sentence-retrieval metrics of every dataset x retriever."""
    return [
        f"results/{ds['language']}/{name}/retrieval/{retriever}.metrics.json"
        for name, ds in DATASETS.items()
        for retriever in config["retrieval"]["retrievers"]
    ]


def report_settings():
    """The grid point of the main table; each ablation table varies one of these."""
    return {
        "frac": config["grid"]["fractions"][0],
        "top_k": config["retrieval"]["top_k_contexts"],
        "rrf_k": config["retrieval"]["hybrid"]["rrf_k"],
    }


def caption_files():
    """Captions of every table and figure; they live beside the workflow, not in the working directory."""
    return [
        os.path.join(workflow.basedir, "report", "captions", f"{name}.rst")
        for name in TABLE_NAMES + FIGURE_NAMES
    ]
