# Readers: train once per dataset x reader x fraction x seed (never per retriever), answer on the gold
# context once per reader x fraction x seed too, then predict and score per retriever on the retrieved
# contexts. `external` and the `-base` readers need no training. Model folders and the shared gold-context
# answers are temp() unless `keep_models: true`.
from sesame.readers import TRAINED_READERS
from sesame.readers.common import language_models, run_config


wildcard_constraints:
    reader="extractive-base|extractive|llm-lora|llm-base|external",
    frac="[0-9.]+",
    seed="[0-9]+",


def synthetic_pairs(wc):
    """The synthetic QA pairs of one dataset, from the configured generator."""
    return f"results/{wc.lang}/{wc.dataset}/synthetic/{config['synthetic']['generator']}.jsonl"


def reader_model_dir(wc):
    return f"results/{wc.lang}/{wc.dataset}/models/{wc.reader}/frac{wc.frac}/seed{wc.seed}"


def reader_model_output():
    out = directory("results/{lang}/{dataset}/models/{reader}/frac{frac}/seed{seed}")
    return out if config["keep_models"] else temp(out)


def gold_output():
    out = "results/{lang}/{dataset}/gold_context/{reader}/frac{frac}/seed{seed}.jsonl"
    return out if config["keep_models"] else temp(out)


def gold_params(wc):
    """The run config without retrieval settings: gold-context answers do not depend on them."""
    cfg = run_config(config, wc.dataset, None, wc.reader, float(wc.frac), int(wc.seed))
    return {k: v for k, v in cfg.items() if k != "retrieval"}


def train_params(wc):
    """What shapes a trained reader: its config section and base model (not the retriever)."""
    section = "extractive" if wc.reader == "extractive" else "llm"
    key = "reader_encoder" if wc.reader == "extractive" else "llm"
    return {"section": config["readers"][section], "model": language_models(config, wc.lang)[key]}


def gold_inputs(wc):
    """Collection, trained model folder, external predictions file."""
    inputs = {"collection": collection_dir(wc)}
    if wc.reader in TRAINED_READERS:
        inputs["model"] = reader_model_dir(wc)
    if wc.reader == "external":
        path = DATASETS[wc.dataset].get("external_predictions")
        if not path:
            raise ValueError(f"reader `external` needs datasets.{wc.dataset}.external_predictions in the config")
        inputs["external"] = path
    return inputs


def predict_inputs(wc):
    """Collection, retrieval run (not for external), model folder, external file, shared gold answers."""
    gold = f"results/{wc.lang}/{wc.dataset}/gold_context/{wc.reader}/frac{wc.frac}/seed{wc.seed}.jsonl"
    inputs = {**gold_inputs(wc), "gold": gold}
    if wc.reader != "external":
        inputs["run"] = f"results/{wc.lang}/{wc.dataset}/retrieval/{wc.retriever}.parquet"
    return inputs


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
    script:
        "../workflow_scripts/predict.py"


for _name in DATASETS:

    rule:
        name:
            f"runs_{_name}"
        input:
            run_metrics_files([_name]),
        default_target: False
