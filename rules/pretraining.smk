# Opt-in pretraining (config `pretraining.enabled`): the T5 answer-extraction and question-generation
# models and the dense retriever's encoder, trained from SQuAD-format data. The folders can be named
# in `models.<lang>.*` in place of hub ids, e.g. answer_extraction: results/models/pretrained/ae_en.


rule pretrain_t5:
    """Train the answer-extraction (ae) or question-generation (qg) T5 of one language."""
    input:
        squad=pretrain_squad,
    output:
        model=directory("results/models/pretrained/{task}_{lang}"),
    wildcard_constraints:
        task="ae|qg",
    params:
        cfg=pretrain_params,
    log:
        "logs/pretraining/{task}_{lang}.log",
    benchmark:
        "benchmarks/pretraining/{task}_{lang}.tsv"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=720,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/pretrain_t5.py"


rule pretrain_embedding:
    """Fine-tune the sentence-transformer with BM25 hard negatives (MultipleNegativesRankingLoss)."""
    input:
        squad=pretrain_squad,
    output:
        model=directory("results/models/pretrained/embedding_{lang}"),
    params:
        cfg=pretrain_params,
    log:
        "logs/pretraining/embedding_{lang}.log",
    benchmark:
        "benchmarks/pretraining/embedding_{lang}.tsv"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=720,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/pretrain_embedding.py"
