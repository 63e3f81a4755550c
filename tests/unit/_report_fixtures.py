"""Synthetic-but-realistic results trees for the report tests.

Each run's per-question EM/F1 are drawn from a seeded generator whose accuracy depends on the
reader, retriever, fraction and seed (so the systems differ, and the seeds vary), and the summary
scores are computed from them exactly as a reader run would (0-100 means), so metrics.json is
self-consistent. Nothing here knows what the report code will compute.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np

DATASETS = {"bioasq": "en", "newsqa": "en", "faquad": "pt"}
RETRIEVERS = ("bm25", "dense", "hybrid", "oracle")
READERS = ("extractive", "llm-lora")
FRACS = (0.4, 0.8)
SEEDS = (0, 1, 2)
SKILL = {"extractive": 0.35, "llm-lora": 0.5, "bm25": 0.0, "dense": 0.05, "hybrid": 0.1, "oracle": 0.25}


def _scores(rng: np.random.Generator, p: float, n: int, fractions: bool) -> list[list[float]]:
    em = (rng.random(n) < p).astype(float)
    f1 = np.where(em == 1, 1.0, np.round(rng.random(n) * rng.random(n), 4))
    scale = 1.0 if fractions else 100.0
    return [[float(e) * scale, float(f) * scale] for e, f in zip(em, f1)]


def write_run(root: Path, dataset: str, lang: str, retriever: str, reader: str, frac: float, seed: int,
              *, n_questions: int = 40, top_k: int = 5, rrf_k: float = 60, fractions: bool = True,
              skill: float | None = None) -> Path:
    rng = np.random.default_rng([seed, zlib.crc32(dataset.encode()), int(frac * 10), RETRIEVERS.index(retriever),
                                 READERS.index(reader) if reader in READERS else 9, top_k, int(rrf_k)])
    hardness = 0.05 * (zlib.crc32(dataset.encode()) % 3)
    p = skill if skill is not None else SKILL[reader] + SKILL[retriever] - 0.1 * frac + 0.02 * seed - hardness
    qids = [f"{dataset}-q{i:03d}" for i in range(n_questions)]
    per_question, summary = {}, {}
    for context, pc in (("retrieved", p), ("gold", SKILL[reader] + 0.3 - 0.1 * frac)):
        scores = _scores(rng, min(pc, 0.95), n_questions, fractions)
        per_question[context] = dict(zip(qids, scores))
        arr = np.array(scores) * (100.0 if fractions else 1.0)
        summary[context] = {"exact_match": float(arr[:, 0].mean()), "f1": float(arr[:, 1].mean()),
                            "precision": float(min(100.0, arr[:, 0].mean() + 5)), "count": n_questions}
    config = {"retrieval": {"top_k_contexts": top_k, "window": 2, "hybrid": {"rrf_k": rrf_k}},
              "grid": {"fractions": [frac], "seeds": [seed]}}
    m = {"dataset": dataset, "language": lang, "retriever": retriever, "reader": reader, "frac": frac,
         "seed": seed, **summary, "per_question": per_question, "config": config,
         "config_hash": f"h{seed}{top_k}{int(rrf_k)}", "versions": {"sesame": "0.1.0", "torch": "2.13.0"}}
    path = root / lang / dataset / "runs" / retriever / reader / f"frac{frac}" / f"seed{seed}" / "metrics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(m))
    return path


def write_retrieval(root: Path, dataset: str, lang: str, retriever: str) -> Path:
    hardness = 0.01 * (zlib.crc32(dataset.encode()) % 7)
    base = {"bm25": 0.4, "dense": 0.5, "hybrid": 0.55, "oracle": 1.0}[retriever] - hardness
    r1 = min(1.0, base)
    m = {"mrr": min(1.0, base + 0.08), "recall@1": r1, "recall@5": min(1.0, r1 + 0.25),
         "recall@10": min(1.0, r1 + 0.3), "ndcg@10": min(1.0, base + 0.1), "count": 40, "k": 10}
    path = root / lang / dataset / "retrieval" / f"{retriever}.metrics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(m))
    return path


def make_tree(root: Path, *, datasets=DATASETS, retrievers=RETRIEVERS, readers=READERS, fracs=FRACS,
              seeds=SEEDS, **kw) -> tuple[list[Path], list[Path]]:
    """A results/ folder with every run of the grid and every retrieval metrics file."""
    runs = [write_run(root, d, lang, t, r, f, s, **kw) for d, lang in datasets.items() for t in retrievers
            for r in readers for f in fracs for s in seeds]
    retrieval = [write_retrieval(root, d, lang, t) for d, lang in datasets.items() for t in retrievers]
    return runs, retrieval
