rule download_dataset:
    """Fetch a public dataset (configured `url`, checked against `sha256`); manual datasets fail with instructions."""
    output:
        dataset="data/downloads/{dataset}.{ext}",
        checksum="data/downloads/{dataset}.{ext}.sha256",
    params:
        ds=lambda wc: DATASETS[wc.dataset],
    log:
        "logs/download/{dataset}.{ext}.log",
    benchmark:
        "benchmarks/download/{dataset}.{ext}.tsv"
    wildcard_constraints:
        ext="jsonl|json",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    retries: 2
    localrule: True  # compute nodes often have no internet; the submit host fetches
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/download.py"
