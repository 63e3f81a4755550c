# `snakemake serve_<dataset>`: build whatever the served run still lacks, then start `sesame serve` on it.
# The run is chosen by the `ask:` config block (retriever, reader, frac, seed, port, threshold).
# The rule has no output and no benchmark file on purpose: Snakemake always runs a rule without outputs,
# so `snakemake serve_demo_en` starts the service every time (a benchmark file would count as an output).


for _name in DATASETS:

    rule:
        """Serve a finished run on 127.0.0.1 until interrupted (no output: the service is the product)."""
        name:
            f"serve_{_name}"
        input:
            **serve_inputs(_name),
        params:
            run=lambda wc, input: str(Path(input.metrics).parent),
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
