# Sentence retrieval: one index per dataset and kind, then one run table per retriever.
# Indexes depend only on the collection and the retrieval settings, never on reader, fraction or
# seed, so every run of the grid reuses them; oracle needs no index; hybrid reads both.


rule index_bm25:
    """Sparse BM25 weights of every sentence of one collection (paper or default mode)."""
    input:
        collection=collection_dir,
    output:
        index=directory("results/{lang}/{dataset}/index/bm25"),
    params:
        cfg=lambda wc: index_params(wc, "bm25"),
        kind="bm25",
    log:
        "logs/{lang}/{dataset}/index_bm25.log",
    benchmark:
        "benchmarks/{lang}/{dataset}/index_bm25.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/index.py"


rule index_dense:
    """Sentence embeddings of one collection in a FAISS index (flat, ivf or hnsw); GPU where available."""
    input:
        collection=collection_dir,
        models=lambda wc: pretrained_model_inputs(wc.lang, ["embedding"]),
    output:
        index=directory("results/{lang}/{dataset}/index/dense"),
    params:
        cfg=lambda wc: index_params(wc, "dense"),
        kind="dense",
    log:
        "logs/{lang}/{dataset}/index_dense.log",
    benchmark:
        "benchmarks/{lang}/{dataset}/index_dense.tsv"
    threads: 4
    resources:
        mem_mb=8000,
        runtime=120,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/index.py"


rule retrieve:
    """Top-k sentences per question for one dataset and retriever, with MRR/Recall/nDCG."""
    input:
        unpack(retrieval_index_inputs),
        collection=collection_dir,
    output:
        run="results/{lang}/{dataset}/retrieval/{retriever}.parquet",
        metrics="results/{lang}/{dataset}/retrieval/{retriever}.metrics.json",
        csv="results/{lang}/{dataset}/retrieval/{retriever}.metrics.csv",
    params:
        cfg=retrieve_params,
    log:
        "logs/{lang}/{dataset}/retrieve_{retriever}.log",
    benchmark:
        "benchmarks/{lang}/{dataset}/retrieve_{retriever}.tsv"
    threads: lambda wc: 4 if wc.retriever in ("dense", "hybrid") else 1  # query encoding; BM25 is one thread
    resources:
        mem_mb=lambda wc: 8000 if wc.retriever in ("dense", "hybrid") else 4000,
        runtime=60,
    conda:
        "../envs/sesame.yaml"
    script:
        "../workflow_scripts/retrieve.py"


for _name in DATASETS:

    rule:
        name:
            f"retrieval_{_name}"
        input:
            retrieval_targets(_name),
        default_target: False
