# Readers: train once per dataset x reader x fraction x seed (never per retriever), answer on the gold
# context once per reader x fraction x seed too, then predict and score per retriever on the retrieved
# contexts. `external` and the `-base` readers need no training. Model folders and the shared gold-context
# answers are temp() unless `keep_models: true`.

rule train_reader:
    """Fine-tune the extractive reader (HF Trainer, early stopping) or LoRA-tune the LLM on synthetic pairs."""
    input:
        pairs=synthetic_pairs,
    output:
        model=reader_model_output(),
    wildcard_constraints:
        reader="extractive|llm-lora",
    params:
        train=train_params,
    log:
        "logs/{lang}/{dataset}/train_{reader}_frac{frac}_seed{seed}.log",
    benchmark:
        "benchmarks/{lang}/{dataset}/train_{reader}_frac{frac}_seed{seed}.tsv"
    threads: 4
    resources:
        mem_mb=12000,
        runtime=240,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/train_reader.py"


rule predict_gold:
    """Answer every question on its gold context (the whole gold document), shared by all retrievers."""
    input:
        unpack(gold_inputs),
    output:
        gold=gold_output(),
    params:
        config=gold_params,
    log:
        "logs/{lang}/{dataset}/predict_gold_{reader}_frac{frac}_seed{seed}.log",
    benchmark:
        "benchmarks/{lang}/{dataset}/predict_gold_{reader}_frac{frac}_seed{seed}.tsv"
    threads: 4
    resources:
        mem_mb=8000,
        runtime=120,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/predict_gold.py"


rule predict:
    """Answer every question on the retrieved contexts; score them and the shared gold-context answers."""
    input:
        unpack(predict_inputs),
    output:
        predictions="results/{lang}/{dataset}/runs/{retriever}/{reader}/frac{frac}/seed{seed}/predictions.json",
        gold="results/{lang}/{dataset}/runs/{retriever}/{reader}/frac{frac}/seed{seed}/predictions_gold_context.json",
        contexts="results/{lang}/{dataset}/runs/{retriever}/{reader}/frac{frac}/seed{seed}/predictions.contexts.jsonl",
        metrics="results/{lang}/{dataset}/runs/{retriever}/{reader}/frac{frac}/seed{seed}/metrics.json",
    params:
        config=lambda wc: run_config(config, wc.dataset, wc.retriever, wc.reader, float(wc.frac), int(wc.seed)),
    log:
        "logs/{lang}/{dataset}/predict_{retriever}_{reader}_frac{frac}_seed{seed}.log",
    benchmark:
        "benchmarks/{lang}/{dataset}/predict_{retriever}_{reader}_frac{frac}_seed{seed}.tsv"
    threads: 4
    resources:
        mem_mb=8000,
        runtime=120,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/predict.py"


for _name in DATASETS:

    rule:
        name:
            f"runs_{_name}"
        input:
            run_metrics_files([_name]),
        default_target: False
