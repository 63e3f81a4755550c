# Sentence retrieval: one index per dataset and kind, then one run table per retriever.
# Indexes depend only on the collection and the retrieval settings, never on reader, fraction or
# seed, so every run of the grid reuses them; oracle needs no index; hybrid reads both.


wildcard_constraints:
    retriever="bm25|dense|hybrid|oracle",


def retrieval_settings(lang):
    """RetrievalConfig.as_dict() of one language (its embedding model from models.<lang>.embedding)."""
    from sesame.retrieval.stage import RetrievalConfig

    return RetrievalConfig.from_config(config, lang).as_dict()


def index_params(wc, kind):
    """Only the settings that change the built index (nprobe and top_k act at query time)."""
    cfg = retrieval_settings(wc.lang)
    if kind == "bm25":
        return {"bm25": cfg["bm25"]}
    return {"dense": {k: cfg["dense"][k] for k in ("model", "index", "nlist", "hnsw_m", "batch_size")}}


def retrieve_params(wc):
    """The settings of one retriever (bm25 runs do not rerun when dense settings change, and so on)."""
    from sesame.retrieval.stage import RetrievalConfig

    cfg = RetrievalConfig.from_dict(retrieval_settings(wc.lang))
    return cfg.as_dict(wc.retriever)


def retrieval_index_inputs(wc):
    """{bm25_index, dense_index} folders the retriever needs (none for oracle)."""
    from sesame.retrieval.stage import NEEDS

    return {f"{kind}_index": f"results/{wc.lang}/{wc.dataset}/index/{kind}" for kind in NEEDS[wc.retriever]}


def retrieval_targets(name):
    """Run tables and their metrics, every configured retriever of one dataset."""
    lang = DATASETS[name]["language"]
    return [
        f"results/{lang}/{name}/retrieval/{r}.{ext}"
        for r in config["retrieval"]["retrievers"]
        for ext in ("parquet", "metrics.json", "metrics.csv")
    ]


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
    script:
        "../workflow_scripts/index.py"


rule index_dense:
    """Sentence embeddings of one collection in a FAISS index (flat, ivf or hnsw); GPU where available."""
    input:
        collection=collection_dir,
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
    script:
        "../workflow_scripts/retrieve.py"


for _name in DATASETS:

    rule:
        name:
            f"retrieval_{_name}"
        input:
            retrieval_targets(_name),
        default_target: False
