# Synthetic QA generation: T5 answer extraction -> question generation (the paper) or a prompted LLM.


rule synthesize:
    """Generate, verify and deduplicate synthetic QA pairs for one dataset (jsonl + stats json)."""
    input:
        collection=collection_dir,
        models=synth_model_inputs,
    output:
        pairs="results/{lang}/{dataset}/synthetic/{generator}.jsonl",
        stats="results/{lang}/{dataset}/synthetic/{generator}.stats.json",
    wildcard_constraints:
        generator="t5|llm",
    params:
        cfg=synth_params,
    log:
        "logs/{lang}/{dataset}/synthesize_{generator}.log",
    benchmark:
        "benchmarks/{lang}/{dataset}/synthesize_{generator}.tsv"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/synthesize.py"
