"""The retrieval stage: build indexes once per collection, then write run tables and IR metrics.

Why indexes are separate artefacts: encoding a collection is the expensive part, and it depends only
on the collection and the retriever settings, never on the reader, fraction or seed. An index folder
holds the index files plus meta.json (settings and a fingerprint of the sentences), so a run against
an index built for another collection or with other settings fails loudly instead of silently.

A run table (parquet) has one row per (question, rank): qid, rank (1-based), sid, score, with
min(top_k, N) rows per question for bm25 and dense, up to top_k for hybrid, and the gold sentences
(score 1) for oracle. Questions keep collection order.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sesame import __version__
from sesame.data.collection import Collection, read_collection
from sesame.errors import SesameInputError
from sesame.io import atomic_path, read_json, write_json
from sesame.metrics.ir import ir_metrics
from sesame.retrieval.bm25 import BM25Index, BM25Params
from sesame.retrieval.dense import DEFAULT_MODEL, DenseIndex, DenseParams
from sesame.retrieval.fusion import RUN_COLUMNS, fuse

log = logging.getLogger(__name__)

RETRIEVERS = ("bm25", "dense", "hybrid", "oracle")
INDEX_KINDS = ("bm25", "dense")
NEEDS = {"bm25": ("bm25",), "dense": ("dense",), "hybrid": ("bm25", "dense"), "oracle": ()}


@dataclass
class RetrievalConfig:
    """Everything that shapes an index or a run; built from the validated config's `retrieval` block."""

    top_k: int = 10
    bm25: BM25Params = field(default_factory=BM25Params)
    dense: DenseParams = field(default_factory=DenseParams)
    fusion: str = "rrf"
    rrf_k: float = 60.0
    weight: float = 0.5

    @classmethod
    def from_config(cls, config: Mapping, language: str) -> "RetrievalConfig":
        """From a full (validated) config; the embedding model is `models.<language>.embedding`."""
        r = config.get("retrieval", {})
        model = (config.get("models", {}).get(language) or {}).get("embedding") or DEFAULT_MODEL
        return cls.from_dict({"top_k": r.get("top_k", 10), "bm25": r.get("bm25", {}),
                              "dense": {"model": model, **r.get("dense", {})}, **r.get("hybrid", {})})

    @classmethod
    def from_dict(cls, d: Mapping) -> "RetrievalConfig":
        d = dict(d)
        return cls(top_k=int(d.get("top_k", 10)), bm25=BM25Params(**d.get("bm25", {})),
                   dense=DenseParams(**d.get("dense", {})), fusion=d.get("fusion", "rrf"),
                   rrf_k=float(d.get("rrf_k", 60.0)), weight=float(d.get("weight", 0.5)))

    def as_dict(self, retriever: str | None = None) -> dict:
        """The settings (of one retriever, when given): what rules pass as params and runs record."""
        full = {"top_k": self.top_k, "bm25": asdict(self.bm25), "dense": asdict(self.dense),
                "fusion": self.fusion, "rrf_k": self.rrf_k, "weight": self.weight}
        if retriever is None or retriever == "hybrid":
            return full
        if retriever == "oracle":
            return {}
        return {"top_k": self.top_k, retriever: full[retriever]}


def fingerprint(collection: Collection) -> str:
    """sha256 of the sentence texts and their documents: what an index depends on."""
    h = hashlib.sha256()
    for doc, text in zip(collection.sentences["doc_id"].tolist(), collection.sentences["text"].tolist()):
        h.update(f"{doc}\x1f{text}\x1e".encode())
    return h.hexdigest()


def _as_collection(collection: Collection | str | Path) -> Collection:
    return collection if isinstance(collection, Collection) else read_collection(collection)


def _set_threads(threads: int | None) -> None:
    if not threads:
        return
    import faiss
    import torch

    torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)


# -- indexes -----------------------------------------------------------------------------------
def build_index(collection: Collection | str | Path, kind: str, cfg: RetrievalConfig | None = None, *,
                threads: int | None = None, progress: bool = True) -> BM25Index | DenseIndex:
    """Build one index in memory."""
    c = _as_collection(collection)
    cfg = cfg or RetrievalConfig()
    texts = c.sentence_texts()
    if kind == "bm25":
        return BM25Index.build(texts, cfg.bm25, c.language, progress=progress)
    if kind == "dense":
        _set_threads(threads)
        return DenseIndex.build(texts, cfg.dense, progress=progress, key=f"models.{c.language}.embedding")
    raise SesameInputError(f"unknown index kind {kind!r}", fix=f"use one of {', '.join(INDEX_KINDS)}")


def write_index(collection: Collection | str | Path, kind: str, out_dir: str | Path,
                cfg: RetrievalConfig | None = None, *, threads: int | None = None) -> dict:
    """Build one index and write it (atomically) to `out_dir` with its meta.json; returns the meta."""
    c = _as_collection(collection)
    t0 = time.perf_counter()
    index = build_index(c, kind, cfg, threads=threads)
    meta = {"kind": kind, "sentences": index.n_docs, "fingerprint": fingerprint(c), "language": c.language,
            "sesame_version": __version__, **index.describe()}
    with atomic_path(out_dir, directory=True) as tmp:
        index.save(tmp)
        write_json(Path(tmp) / "meta.json", meta)
    log.info("index %s written to %s (%d sentences) in %.2fs", kind, out_dir, index.n_docs,
             time.perf_counter() - t0)
    return meta


def load_index(path: str | Path, collection: Collection, cfg: RetrievalConfig,
               kind: str | None = None) -> BM25Index | DenseIndex:
    """Load an index folder and check it belongs to this collection and these settings."""
    path = Path(path)
    if not (path / "meta.json").exists():
        raise SesameInputError("not an index folder (no meta.json)", source=path,
                               fix="build it with `sesame index` or the workflow's index rules")
    meta = read_json(path / "meta.json")
    if kind is not None and meta.get("kind") != kind:
        raise SesameInputError(f"expected a {kind} index, found {meta.get('kind')!r}", source=path)
    if meta.get("fingerprint") != fingerprint(collection):
        raise SesameInputError("index was built for other sentences than this collection's", source=path,
                               fix="rebuild the index from this collection")
    if meta["kind"] == "bm25":
        index = BM25Index.load(path, meta)
        want = (cfg.bm25.mode, cfg.bm25.k1_value, cfg.bm25.b_value)
        if (index.params.mode, index.params.k1_value, index.params.b_value) != want:
            raise SesameInputError(f"BM25 index was built with {asdict(index.params)}, the settings ask for "
                                   f"{asdict(cfg.bm25)}", source=path, fix="rebuild the index")
        return index
    return DenseIndex.load(path, meta, cfg.dense, key=f"models.{collection.language}.embedding")


# -- runs --------------------------------------------------------------------------------------
def run_table(qids: list[str], ids: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """A run table from [nq, k] sid and score arrays (row i belongs to qids[i])."""
    nq, k = ids.shape if ids.ndim == 2 else (len(qids), 0)
    run = pd.DataFrame({
        "qid": np.repeat(np.asarray(qids, dtype=object), k),
        "rank": np.tile(np.arange(1, k + 1, dtype=np.int64), nq),
        "sid": ids.reshape(-1).astype(np.int64),
        "score": scores.reshape(-1).astype(np.float64),
    })
    # FAISS pads with sid -1 when an approximate index finds fewer than k; those pads come last.
    return run[run["sid"] >= 0].reset_index(drop=True) if (run["sid"] < 0).any() else run


def oracle_run(collection: Collection) -> pd.DataFrame:
    """The gold sentences of each question (rank in sid order, score 1): the "correct context" run."""
    rows = [(q.qid, r, sid, 1.0) for q in collection.questions for r, sid in enumerate(q.gold_sids, start=1)]
    return pd.DataFrame(rows, columns=RUN_COLUMNS).astype({"qid": object, "rank": "int64", "sid": "int64",
                                                           "score": "float64"})


def retrieve(collection: Collection | str | Path, retriever: str, cfg: RetrievalConfig | None = None, *,
             indexes: Mapping[str, str | Path | BM25Index | DenseIndex | None] | None = None,
             threads: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Top-k run table of one retriever; indexes not given (or None) are built in memory."""
    if retriever not in RETRIEVERS:
        raise SesameInputError(f"unknown retriever {retriever!r}", fix=f"use one of {', '.join(RETRIEVERS)}")
    c = _as_collection(collection)
    cfg = cfg or RetrievalConfig()
    if retriever == "oracle":
        return oracle_run(c)
    if "dense" in NEEDS[retriever]:
        _set_threads(threads)  # imports torch and faiss: only where they are used
    questions = [q.question for q in c.questions]
    qids = [q.qid for q in c.questions]
    runs = {}
    for kind in NEEDS[retriever]:
        given = (indexes or {}).get(kind)
        if isinstance(given, (BM25Index, DenseIndex)):
            index = given
        elif given is not None:
            index = load_index(given, c, cfg, kind)
        else:
            index = build_index(c, kind, cfg, threads=threads, progress=progress)
        t0 = time.perf_counter()
        ids, scores = index.search(questions, cfg.top_k, progress=progress)
        runs[kind] = run_table(qids, ids, scores)
        log.info("%s search: %d questions x top %d in %.2fs", kind, len(qids), cfg.top_k, time.perf_counter() - t0)
    if retriever != "hybrid":
        return runs[retriever]
    weights = [cfg.weight, 1.0 - cfg.weight] if cfg.fusion == "weighted" else None
    return fuse([runs["bm25"], runs["dense"]], cfg.fusion, k=cfg.rrf_k, weights=weights, top_k=cfg.top_k,
                qid_order=qids)


def evaluate_run(collection: Collection, run: pd.DataFrame, k: int = 10) -> dict:
    """MRR@k, Recall@{1,5,10,k}, nDCG@10 and count (questions with a gold sentence)."""
    missing = {"qid", "rank", "sid"} - set(run.columns)
    if missing:
        raise SesameInputError(f"run table lacks column(s) {sorted(missing)}", fix="expected qid, rank, sid, score")
    ranked = {qid: grp.sort_values("rank", kind="mergesort")["sid"].tolist()
              for qid, grp in run.groupby("qid", sort=False)}
    return ir_metrics(ranked, {q.qid: q.gold_sids for q in collection.questions}, k=k)


def read_run(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise SesameInputError("run table not found", source=p, fix="create it with `sesame retrieve`")
    try:
        return pd.read_parquet(p)
    except Exception as e:
        raise SesameInputError(f"not a readable parquet run table: {e}", source=p) from None


def write_run(run: pd.DataFrame, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        run.to_parquet(tmp, index=False)


def metrics_paths(run_path: str | Path) -> tuple[Path, Path]:
    """RUN.parquet -> RUN.metrics.json, RUN.metrics.csv (beside it)."""
    p = Path(run_path)
    stem = p.name[:-len(".parquet")] if p.name.endswith(".parquet") else p.name
    return p.with_name(stem + ".metrics.json"), p.with_name(stem + ".metrics.csv")


def write_metrics(metrics: dict, json_path: str | Path, csv_path: str | Path | None = None) -> None:
    write_json(json_path, metrics)
    if csv_path is not None:
        flat = {k: v for k, v in metrics.items() if not isinstance(v, dict)}
        with atomic_path(csv_path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(flat))
            w.writeheader()
            w.writerow(flat)


def retrieve_collection(collection: Collection | str | Path, retriever: str, out_run: str | Path, *,
                        out_metrics: str | Path | None = None, out_csv: str | Path | None = None,
                        config: Mapping | RetrievalConfig | None = None,
                        indexes: Mapping[str, str | Path | None] | None = None, dataset: str | None = None,
                        threads: int | None = None) -> dict:
    """The stage function behind `sesame retrieve` and the `retrieve` rule: run, then metrics.

    `config` is a RetrievalConfig or its `as_dict()` form. Metrics go beside the run unless paths
    are given. Outputs are deterministic (no timings), so the same inputs give identical files.
    """
    t0 = time.perf_counter()
    c = _as_collection(collection)
    cfg = config if isinstance(config, RetrievalConfig) else RetrievalConfig.from_dict(config or {})
    run = retrieve(c, retriever, cfg, indexes=indexes, threads=threads)
    write_run(run, out_run)
    default_json, default_csv = metrics_paths(out_run)
    m = evaluate_run(c, run, cfg.top_k)
    if not m["count"]:
        log.warning("retrieve %s: no question has a gold sentence (no answerable questions), so the metrics "
                    "score nothing: count 0, every value 0", retriever)
    metrics = {"dataset": dataset, "language": c.language, "retriever": retriever, "questions": len(c.questions),
               **m, "config": cfg.as_dict(retriever)}
    write_metrics(metrics, out_metrics or default_json, out_csv or default_csv)
    log.info("retrieve %s: %d questions, %d rows, MRR@%d %.3f, R@%d %.3f over %d questions with gold, %.2fs",
             retriever, len(c.questions), len(run), cfg.top_k, m["mrr"], cfg.top_k, m[f"recall@{cfg.top_k}"],
             m["count"], time.perf_counter() - t0)
    return metrics
