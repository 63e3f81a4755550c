# Synthetic QA generation: T5 answer extraction -> question generation (the paper) or a prompted LLM.


def synth_params(wc):
    """The generator's settings: config `synthetic:` plus the language's model references."""
    from dataclasses import asdict

    from sesame.synth import SynthConfig

    return asdict(SynthConfig.from_config(config, wc.lang, wc.generator))


def pretrained_model_inputs(lang, keys):
    """Model references of `models.<lang>` that point into results/ (pretrained folders), so they are built first."""
    refs = [config["models"].get(lang, {}).get(k) for k in keys]
    return [r for r in refs if isinstance(r, str) and r.startswith("results/")]


def synth_model_inputs(wc):
    keys = ["answer_extraction", "question_generation"] if wc.generator == "t5" else ["llm"]
    return pretrained_model_inputs(wc.lang, keys)


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
    script:
        "../workflow_scripts/synthesize.py"
