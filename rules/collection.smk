rule collection:
    """Load, validate and segment one dataset into the normalised collection files."""
    input:
        dataset=dataset_input,
        documents=dataset_documents,
    output:
        collection=directory("results/{lang}/{dataset}/collection"),
    params:
        fmt=lambda wc: DATASETS[wc.dataset]["format"],
    log:
        "logs/{lang}/{dataset}/collection.log",
    benchmark:
        "benchmarks/{lang}/{dataset}/collection.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/collection.py"


for _name, _ds in DATASETS.items():

    rule:
        name:
            f"dataset_{_name}"
        input:
            dataset_targets(_name),
        default_target: False
