"""sesame.retrieval's indexes behind the ask engine's `search(questions, k)`.

Why an adapter: the retrieval stage searches whole collections of questions and fuses run tables;
the service searches a handful of new questions at a time. Reusing its loaders, searches and fusion
(with the run's own settings) makes `sesame ask` rank exactly as the run it serves did.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

from sesame.data.collection import Collection


class IndexRetriever:
    """Loaded bm25 / dense index (both for hybrid), searched in batches."""

    def __init__(self, kind: str, index_root: Path, collection: Collection, config: dict) -> None:
        from sesame.retrieval.stage import NEEDS, RetrievalConfig, load_index

        self.name = kind
        self.cfg = RetrievalConfig.from_config(config, collection.language)
        self.indexes = {part: load_index(Path(index_root) / part, collection, self.cfg, part) for part in NEEDS[kind]}
        # The dense index logs one line per search call: right for a batch stage, noise for a per-question service.
        logging.getLogger("sesame.retrieval.dense").setLevel(logging.WARNING)

    def search(self, questions: Sequence[str], k: int) -> list[list[tuple[int, float]]]:
        from sesame.retrieval.fusion import fuse
        from sesame.retrieval.stage import run_table

        qs = list(questions)
        qids = [f"q{i}" for i in range(len(qs))]
        depth = max(k, self.cfg.top_k)  # components search as deep as the run did, so fusion sees the same lists
        tables = {}
        for part, index in self.indexes.items():
            ids, scores = index.search(qs, depth, progress=False)
            if self.name != "hybrid":
                return [[(int(s), float(v)) for s, v in zip(row_ids[:k], row_scores[:k]) if s >= 0]
                        for row_ids, row_scores in zip(ids, scores)]
            tables[part] = run_table(qids, ids, scores)
        weights = [self.cfg.weight, 1.0 - self.cfg.weight] if self.cfg.fusion == "weighted" else None
        fused = fuse([tables["bm25"], tables["dense"]], self.cfg.fusion, k=self.cfg.rrf_k, weights=weights,
                     top_k=k, qid_order=qids)
        fused = fused[fused["sid"] >= 0]
        out: dict[str, list[tuple[int, float]]] = {q: [] for q in qids}
        for qid, sid, score in fused[["qid", "sid", "score"]].itertuples(index=False):
            out[qid].append((int(sid), float(score)))
        return [out[q] for q in qids]


def open_retriever(kind: str, index_root: Path, collection: Collection, config: dict) -> IndexRetriever:
    return IndexRetriever(kind, index_root, collection, config)
