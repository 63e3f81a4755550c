"""Answer new questions with what one workflow run produced: its collection, index and reader.

Why an engine object: the collection, the index and the reader are loaded once (seconds) and then
answer many questions (milliseconds each), from the CLI's interactive mode or from the HTTP
service. A run folder says everything needed to rebuild the run's exact pipeline:

    results/{lang}/{dataset}/runs/{retriever}/{reader}/frac{frac}/seed{seed}/    (metrics.json: the config)
    results/{lang}/{dataset}/collection/           results/{lang}/{dataset}/index/{bm25,dense}/
    results/{lang}/{dataset}/models/{reader}/frac{frac}/seed{seed}/

so `sesame ask --run DIR` retrieves, windows and reads exactly as the run's evaluation did.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from sesame.ask.backends import ReaderSpan, SentenceRetriever, SpanReader, load_reader, load_retriever
from sesame.ask.calibrate import Calibration, calibrate_run
from sesame.data.collection import Collection, read_collection
from sesame.errors import SesameInputError
from sesame.io import read_json
from sesame.retrieval.contexts import Passage, _SentenceIndex, passages_for

log = logging.getLogger(__name__)
_FRAC, _SEED = re.compile(r"^frac(.+)$"), re.compile(r"^seed(\d+)$")
NO_ANSWER = "no confident answer"


@dataclass
class AskPaths:
    """Where the pieces of one servable pipeline live."""

    collection: Path
    index: Path              # the dataset's index/ folder (bm25/ and dense/ inside)
    retriever: str           # bm25 | dense | hybrid
    reader_model: str        # a model folder (or a model reference for extractive-base)
    reader: str = "extractive"
    run: Path | None = None
    calibration: Path | None = None   # predictions.contexts.jsonl with gold-context records
    config: dict = field(default_factory=dict)
    seed: int = 0            # the run's seed (seeds a fresh span head, as the run's evaluation did)

    @classmethod
    def from_run(cls, run_dir: str | Path) -> "AskPaths":
        """Derive every path from a run folder of the standard layout."""
        run = Path(run_dir)
        parts = run.resolve().parts
        fix = ("pass results/{lang}/{dataset}/runs/{retriever}/{reader}/frac{frac}/seed{seed}, "
               "or --collection/--retriever/--reader")
        if len(parts) < 7 or parts[-5] != "runs" or not _FRAC.match(parts[-2]) or not _SEED.match(parts[-1]):
            raise SesameInputError("not a run folder of the workflow layout", source=run, fix=fix)
        if not (run / "metrics.json").exists():
            raise SesameInputError("run is not finished (no metrics.json)", source=run,
                                   fix="finish it first, e.g. `snakemake " + str(run / "metrics.json") + "`")
        retriever, reader, frac, seed = parts[-4], parts[-3], parts[-2], parts[-1]
        dataset_dir = run.parents[4]
        metrics = read_json(run / "metrics.json")
        config = metrics.get("config") or {}
        if reader == "extractive-base":
            lang = dataset_dir.parent.name
            model = ((config.get("models") or {}).get(lang) or {}).get("extractive_base")
            if not model:
                raise SesameInputError("the run's config names no models.<lang>.extractive_base", source=run / "metrics.json")
        else:
            model = str(dataset_dir / "models" / reader / frac / seed)
            if not Path(model).is_dir():
                raise SesameInputError("the run's reader model folder is gone (reader folders are temporary)",
                                       source=model, fix="set `keep_models: true` in the config and re-run, "
                                       "or use `snakemake serve_<dataset>`, which rebuilds it")
        cal = run / "predictions.contexts.jsonl"
        return cls(dataset_dir / "collection", dataset_dir / "index", retriever, model, reader, run,
                   cal if cal.exists() else None, config, int(metrics.get("seed", _SEED.match(seed).group(1))))

    @classmethod
    def explicit(cls, collection: str | Path, retriever: str | Path, reader: str | Path,
                 retriever_kind: str | None = None, calibration: str | Path | None = None,
                 config: dict | None = None) -> "AskPaths":
        """From a collection folder, an index folder (bm25/, dense/, or index/ for hybrid) and a model folder."""
        index = Path(retriever)
        if not index.is_dir():
            raise SesameInputError("index folder not found", source=index,
                                   fix="pass results/<lang>/<dataset>/index[/bm25|/dense]")
        kind = retriever_kind
        if index.name in ("bm25", "dense"):
            kind, index = kind or index.name, index.parent
        elif kind is None:
            kind = "hybrid"
        return cls(Path(collection), index, kind, str(reader), "extractive", None,
                   Path(calibration) if calibration else None, dict(config or {}))


@dataclass
class AskSettings:
    top_k_contexts: int = 5       # passages given to the reader (before merging overlapping windows)
    window: int = 2
    retrieve_k: int = 10          # sentences retrieved per question (the run's retrieval top_k)
    threshold: float | None = None
    max_question_chars: int = 1000
    max_top_k: int = 20


class AskEngine:
    """Collection + index + reader, loaded once; thread-safe (one lock around the models)."""

    def __init__(self, paths: AskPaths, threshold: float | str | None = "auto", *,
                 retriever: SentenceRetriever | None = None, reader: SpanReader | None = None,
                 threads: int | None = None, max_question_chars: int = 1000, warmup: bool = True) -> None:
        if threads:  # torch (encoders, reader) and FAISS (OpenMP) both default to every core
            import faiss
            import torch

            torch.set_num_threads(threads)
            faiss.omp_set_num_threads(threads)
        t0 = time.perf_counter()
        self.paths = paths
        self.collection: Collection = read_collection(paths.collection)
        cfg = _with_defaults(paths.config, self.collection.language)
        r = cfg["retrieval"]
        self.settings = AskSettings(r["top_k_contexts"], r["window"], max(r["top_k"], r["top_k_contexts"]),
                                    max_question_chars=max_question_chars)
        self.references = {q.qid: list(dict.fromkeys(a.text for a in q.answers))
                           for q in self.collection.questions if not q.impossible}
        self.calibration: Calibration | None = None
        if threshold == "auto":
            if paths.calibration is not None:
                self.calibration = calibrate_run(paths.calibration, self.references, self.collection.language)
                self.settings.threshold = self.calibration.threshold
        elif threshold is not None:
            self.settings.threshold = float(threshold)
        self._six = _SentenceIndex.of(self.collection)
        s = self.collection.sentences.sort_values("sid")
        self._sent_text = s["text"].tolist()
        self.retriever = retriever or load_retriever(paths.retriever, paths.index, self.collection, cfg)
        self.reader = reader or load_reader(paths.reader, paths.reader_model, self.collection.language, cfg,
                                            paths.seed)
        self._lock = threading.Lock()
        if warmup:  # lazy parts (the dense encoder, first kernels) load now, not on the first user's question
            self.ask(self.collection.questions[0].question if self.collection.questions else "warm up")
        self.load_s = time.perf_counter() - t0
        log.info("ask engine ready in %.1f s: %d documents, %d sentences, retriever %s, reader %s, threshold %s",
                 self.load_s, len(self.collection.documents), len(s), paths.retriever, paths.reader,
                 "none" if self.settings.threshold is None else f"{self.settings.threshold:.3f}")

    @classmethod
    def from_run(cls, run_dir: str | Path, **kwargs) -> "AskEngine":
        return cls(AskPaths.from_run(run_dir), **kwargs)

    def info(self) -> dict:
        """What is being served: shown by `sesame ask --info`, GET /info and the page header."""
        p, c = self.paths, self.collection
        return {
            "run": str(p.run.resolve()) if p.run else None, "collection": str(p.collection.resolve()),
            "index": str(p.index.resolve()),
            "retriever": p.retriever, "reader": p.reader, "reader_model": p.reader_model,
            "language": c.language, "documents": len(c.documents), "sentences": len(self._sent_text),
            "dataset": c.manifest.get("source", ""), "threshold": self.settings.threshold,
            "calibration": self.calibration.as_dict() if self.calibration else None,
            "top_k_contexts": self.settings.top_k_contexts, "window": self.settings.window,
            "max_question_chars": self.settings.max_question_chars, "max_top_k": self.settings.max_top_k,
            "load_s": round(self.load_s, 3),
            "examples": [q.question for q in c.questions[:: max(1, len(c.questions) // 5)][:5]],
        }

    def check_question(self, question: str) -> str:
        q = " ".join(str(question).split())
        if not q:
            raise SesameInputError("the question is empty", fix="type a question")
        if len(q) > self.settings.max_question_chars:
            raise SesameInputError(f"the question is {len(q)} characters long; the limit is "
                                   f"{self.settings.max_question_chars}", fix="ask a shorter question")
        return q

    def ask(self, question: str, top_k: int | None = None) -> dict:
        return self.ask_batch([question], top_k)[0]

    def ask_batch(self, questions: Sequence[str], top_k: int | None = None) -> list[dict]:
        """Answer a batch: one retrieval call (batched query encoding), then the reader per question."""
        qs = [self.check_question(q) for q in questions]
        k = self.settings.top_k_contexts if top_k is None else int(top_k)
        if not 1 <= k <= self.settings.max_top_k:
            raise SesameInputError(f"top_k is {k}; it must be between 1 and {self.settings.max_top_k}")
        with self._lock:
            t0 = time.perf_counter()
            hits = self.retriever.search(qs, max(self.settings.retrieve_k, k))
            t1 = time.perf_counter()
            passages = [passages_for(self.collection, [sid for sid, _ in h], k, self.settings.window, self._six)
                        for h in hits]
            spans = self.reader.predict(qs, passages)
            t2 = time.perf_counter()
        timing = {"retrieve": 1000 * (t1 - t0), "read": 1000 * (t2 - t1), "total": 1000 * (t2 - t0)}
        return [self._answer(q, p, s, dict(h), timing, len(qs)) for q, p, s, h in zip(qs, passages, spans, hits)]

    def _answer(self, question: str, passages: list[Passage], span: ReaderSpan | None, scores: dict[int, float],
                timing: dict, batch: int) -> dict:
        th = self.settings.threshold
        confident = span is not None and bool(span.answer.strip()) and (th is None or span.score >= th)
        out = {
            "question": question,
            "answer": span.answer if confident else None,
            "confident": confident,
            "message": None if confident else NO_ANSWER,
            "best_span": span.answer if span else None,
            "score": span.score if span else None,
            "threshold": th,
            "source": self._source(passages, span) if span else None,
            "passages": [{"rank": p.rank, "doc_id": p.doc_id, "title": self.collection.document(p.doc_id).title,
                          "start": p.start, "end": p.end, "text": p.text, "sids": p.sids,
                          "score": max((scores.get(s, float("-inf")) for s in p.sids), default=None)}
                         for p in passages],
            "retriever": self.paths.retriever, "reader": self.paths.reader,
            "latency_ms": {**{k: round(v, 2) for k, v in timing.items()}, "batch": batch},
        }
        for p in out["passages"]:
            if p["score"] == float("-inf"):
                p["score"] = None
        return out

    def _source(self, passages: list[Passage], span: ReaderSpan) -> dict:
        """The passage, document and sentence the answer comes from (offsets into the passage text)."""
        p = passages[span.passage]
        pos = p.start + span.start
        sid = next((s for s in p.sids if pos < self._six.end[s]), p.sids[-1] if p.sids else None)
        return {"passage": span.passage, "doc_id": p.doc_id, "title": self.collection.document(p.doc_id).title,
                "start": span.start, "end": span.end, "doc_start": pos, "doc_end": p.start + span.end,
                "sid": sid, "sentence": self._sent_text[sid] if sid is not None else None}


def _with_defaults(config: dict, language: str) -> dict:
    """The run's config with every schema default filled (explicit paths have no run config)."""
    from sesame.config import validate_config

    cfg = dict(config or {})
    cfg.setdefault("datasets", {"ask": {"format": "squad", "language": language}})
    return validate_config(cfg)
