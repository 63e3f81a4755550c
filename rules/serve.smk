# `snakemake serve_<dataset>`: build whatever the served run still lacks, then start `sesame serve` on it.
# The run is chosen by the `ask:` config block (retriever, reader, frac, seed, port, threshold).
# The rule has no output and no benchmark file on purpose: Snakemake always runs a rule without outputs,
# so `snakemake serve_demo_en` starts the service every time (a benchmark file would count as an output).


def serve_run_dir(name):
    """The run folder that serve_<name> serves: ask.retriever / ask.reader at ask.frac / ask.seed (or the grid's first)."""
    ask, grid = config["ask"], config["grid"]
    frac = grid["fractions"][0] if ask["frac"] is None else ask["frac"]
    seed = grid["seeds"][0] if ask["seed"] is None else ask["seed"]
    lang = DATASETS[name]["language"]
    return f"results/{lang}/{name}/runs/{ask['retriever']}/{ask['reader']}/frac{frac}/seed{seed}"


def serve_inputs(name):
    """Everything `sesame serve --run` loads, so that Snakemake (re)builds it first (reader folders are temp())."""
    run = serve_run_dir(name)
    base = run.split("/runs/")[0]
    retriever, reader, frac, seed = run.split("/")[-4:]
    parts = ("bm25", "dense") if retriever == "hybrid" else (retriever,)
    inputs = {
        "metrics": f"{run}/metrics.json",
        "calibration": f"{run}/predictions.contexts.jsonl",
        "collection": f"{base}/collection",
        "index": [f"{base}/index/{p}" for p in parts],
    }
    if reader != "extractive-base":
        inputs["model"] = f"{base}/models/{reader}/{frac}/{seed}"
    return inputs


for _name in DATASETS:

    rule:
        """Serve a finished run on 127.0.0.1 until interrupted (no output: the service is the product)."""
        name:
            f"serve_{_name}"
        input:
            **serve_inputs(_name),
        params:
            run=serve_run_dir(_name),
            port=config["ask"]["port"],
            threshold="auto" if config["ask"]["threshold"] is None else config["ask"]["threshold"],
        log:
            f"logs/{DATASETS[_name]['language']}/{_name}/serve.log",
        threads: 2
        resources:
            mem_mb=4000,
            runtime=24 * 60,
        localrule: True
        conda:
            "../envs/sesame.yaml"
        script:
            "../workflow_scripts/serve.py"
