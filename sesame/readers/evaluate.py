"""One run: predict on the retrieved contexts and on the gold context, then score both.

Writes, in the run folder (each file atomically):
  predictions.json               {qid: answer} on retrieved contexts (scoreable by `sesame score`)
  predictions_gold_context.json  {qid: answer} on the gold context (the whole gold document)
  predictions.contexts.jsonl     one record per question and setting: {qid, setting (retrieved|gold), answer,
                                 score, context, passages[{doc_id, start, end, rank}]} (+ raw, matched for LLMs)
  metrics.json                   dataset, language, retriever, reader, frac, seed, retrieved/gold
                                 {exact_match, f1, precision, count} (0-100), per_question {setting: {qid: [em, f1]}}
                                 (0-1), the run's full config, its hash and the package versions
Gold-context answers do not depend on the retriever: the workflow computes them once per reader x fraction
x seed (`predict_gold`) and every retriever's run reuses them. Nothing time-dependent goes into these
files: the same config gives byte-identical outputs on CPU.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Callable

from sesame.config import config_hash
from sesame.errors import SesameInputError
from sesame.io import read_jsonl, write_json, write_jsonl
from sesame.metrics.squad import exact_match, f1_score, max_over_references, score_predictions
from sesame.readers import READERS
from sesame.readers.common import language_models, set_threads, versions
from sesame.retrieval.contexts import Passage, build_contexts, gold_context, join_passages

log = logging.getLogger(__name__)
SETTINGS = ("retrieved", "gold")
LLM_READERS = ("llm-lora", "llm-base")


def question_subset(qids: list[str], limit: int | None) -> list[str]:
    """The same `limit` questions for every retriever, seed and fraction (a hash order, not the run seed)."""
    if limit is None or len(qids) <= limit:
        return qids
    chosen = set(sorted(qids, key=lambda q: hashlib.sha256(q.encode()).hexdigest())[:limit])
    return [q for q in qids if q in chosen]


def _reader_model(config: dict, language: str, key: str) -> str:
    ref = language_models(config, language).get(key)
    if not ref:
        raise SesameInputError(f"config key models.{language}.{key} names no model", source="config",
                               fix=f"set models.{language}.{key}, or drop the reader from readers.names")
    return ref


def make_predictor(reader: str, config: dict, language: str, seed: int,
                   model_dir: str | Path | None) -> Callable[[list[str], list[list[Passage]]], list[dict | None]]:
    """Load the reader once; return questions x passages -> per question {answer, score, ...} or None."""
    readers = config.get("readers", {})
    if reader in ("extractive", "extractive-base"):
        from sesame.readers.extractive import ExtractiveConfig, ExtractiveReader

        cfg = ExtractiveConfig.from_dict(readers.get("extractive"))
        if reader == "extractive":
            model = ExtractiveReader.load(_need(model_dir, reader), cfg, seed)
        else:
            ref = _reader_model(config, language, "extractive_base")
            model = ExtractiveReader.load(ref, cfg, seed, key=f"models.{language}.extractive_base")

        def extractive(questions, passages):
            return [None if s is None else {"answer": s.answer, "score": round(s.score, 6), "span":
                    {"passage": s.passage, "start": s.start, "end": s.end}}
                    for s in model.predict(questions, passages, progress=True)]
        return extractive
    if reader in LLM_READERS:
        from sesame.readers.llm import LLMConfig, LLMReader

        cfg = LLMConfig.from_dict(readers.get("llm"))
        if reader == "llm-lora":
            llm = LLMReader.load(_need(model_dir, reader), cfg, language, seed)
        else:
            llm = LLMReader.load(_reader_model(config, language, "llm"), cfg, language, seed,
                                 key=f"models.{language}.llm")

        def generative(questions, passages):
            return [None if g is None else {"answer": g.answer, "score": None if g.score is None else round(g.score, 6),
                                            "raw": g.raw, "matched": g.matched}
                    for g in llm.predict(questions, passages, progress=True)]
        return generative
    raise SesameInputError(f"unknown reader {reader!r}", fix=f"use one of {', '.join(READERS)}")


def _need(model_dir, reader: str) -> str:
    if not model_dir:
        raise SesameInputError(f"reader {reader!r} needs a trained model folder", fix="train it first "
                               "(`sesame train-reader` or the train_reader rule) and pass --model")
    return str(model_dir)


def _passages_json(ps: list[Passage]) -> list[dict]:
    return [{"doc_id": p.doc_id, "start": p.start, "end": p.end, "rank": p.rank} for p in ps]


def _questions(collection, reader: str, config: dict) -> list:
    """Answerable questions; for the LLM readers the fixed max_questions subset."""
    questions = [q for q in collection.questions if not q.impossible]
    if reader in LLM_READERS:
        limit = config.get("readers", {}).get("llm", {}).get("max_questions")
        keep = set(question_subset([q.qid for q in questions], limit))
        if len(keep) < len(questions):
            log.info("%s: evaluating %d of %d questions (readers.llm.max_questions)", reader, len(keep), len(questions))
        questions = [q for q in questions if q.qid in keep]
    return questions


def _outputs(reader: str, settings: dict[str, dict[str, list[Passage]]], questions: list, *, config: dict,
             language: str, seed: int, model_dir, external, dataset: str) -> dict[str, dict[str, dict | None]]:
    """setting -> qid -> {answer, score, ...} (None: no passage), loading the reader once."""
    qids = [q.qid for q in questions]
    if reader == "external":
        if not external:
            raise SesameInputError(f"dataset {dataset!r} has no external_predictions file", source="config",
                                   fix=f"set datasets.{dataset}.external_predictions, or drop `external`")
        from sesame.readers.external import load_external

        loaded = load_external(external, qids)
        return {s: {q: {"answer": loaded[s][q], "score": None} for q in qids} for s in settings}
    predict = make_predictor(reader, config, language, seed, model_dir)
    out = {}
    for setting, contexts in settings.items():
        t0 = time.perf_counter()
        out[setting] = dict(zip(qids, predict([q.question for q in questions], [contexts[q] for q in qids])))
        log.info("%s on %s contexts: %d questions in %.1fs", reader, setting, len(qids), time.perf_counter() - t0)
    return out


def predict_gold(collection_dir: str | Path, reader: str, out_path: str | Path, *, config: dict, dataset: str,
                 seed: int, model_dir: str | Path | None = None, external: str | Path | None = None,
                 threads: int | None = None) -> int:
    """The reader's answers on the gold context, once per reader x fraction x seed (not per retriever).

    Writes jsonl {qid, answer, score, ...}; every retriever's run of the same reader then reuses it.
    """
    from sesame.data import read_collection

    set_threads(threads)
    collection = read_collection(collection_dir)
    questions = _questions(collection, reader, config)
    gold = {"gold": {q.qid: gold_context(collection, q.qid) for q in questions}}
    out = _outputs(reader, gold, questions, config=config, language=collection.language, seed=seed,
                   model_dir=model_dir, external=external, dataset=dataset)["gold"]
    return write_jsonl(out_path, ({"qid": q.qid, **(out[q.qid] or {"answer": "", "score": None})} for q in questions))


def _read_gold(path: str | Path, qids: list[str]) -> dict[str, dict]:
    recs = {r["qid"]: {k: v for k, v in r.items() if k != "qid"} for r in read_jsonl(path, allow_empty=True)}
    if set(recs) != set(qids):
        raise SesameInputError(f"gold-context predictions cover {len(recs)} questions, the run has {len(qids)}",
                               source=path, fix="delete the file and re-run (it is from another config)")
    return recs


def evaluate_run(collection_dir: str | Path, run_path: str | Path | None, reader: str, out_dir: str | Path, *,
                 config: dict, dataset: str, retriever: str, frac: float, seed: int,
                 model_dir: str | Path | None = None, external: str | Path | None = None,
                 gold_path: str | Path | None = None, threads: int | None = None) -> dict:
    """Predict on the retrieved contexts (and on the gold context unless `gold_path` has those answers
    already, from `predict_gold`), score both settings, write the four run files."""
    import pandas as pd

    from sesame.data import read_collection

    set_threads(threads)
    collection = read_collection(collection_dir)
    lang = collection.language
    questions = _questions(collection, reader, config)
    qids = [q.qid for q in questions]
    if not qids:
        log.warning("%s: the collection has no answerable questions, so this run scores nothing (count 0)", dataset)
    refs = {q.qid: list(dict.fromkeys(a.text for a in q.answers)) for q in questions}
    retr = config.get("retrieval", {})
    contexts: dict[str, dict[str, list[Passage]]] = {"retrieved": {q: [] for q in qids},
                                                     "gold": {q: gold_context(collection, q) for q in qids}}
    if run_path is not None:
        built = build_contexts(collection, pd.read_parquet(run_path), retr.get("top_k_contexts", 5),
                               retr.get("window", 2))
        contexts["retrieved"] = {q: built.get(q, []) for q in qids}
    elif reader != "external":
        raise SesameInputError("no retrieval run given", fix="pass the retrieval parquet (--run)")
    todo = {s: c for s, c in contexts.items() if not (s == "gold" and gold_path)}
    outputs = _outputs(reader, todo, questions, config=config, language=lang, seed=seed, model_dir=model_dir,
                       external=external, dataset=dataset)
    if gold_path:
        outputs["gold"] = _read_gold(gold_path, qids)
    preds = {s: {q: (outputs[s][q] or {}).get("answer", "") for q in qids} for s in SETTINGS}
    metrics = {"dataset": dataset, "language": lang, "retriever": retriever, "reader": reader, "frac": float(frac),
               "seed": int(seed), "per_question": {}}
    for s in SETTINGS:
        metrics[s] = score_predictions(preds[s], refs, lang).as_dict()
        metrics["per_question"][s] = {
            q: [max_over_references(exact_match, preds[s][q], refs[q], lang),
                round(max_over_references(f1_score, preds[s][q], refs[q], lang), 6)] for q in qids}
    metrics.update(config=config, config_hash=config_hash(config),
                   versions=versions(*(("litgpt",) if _uses_litgpt(reader, config) else ())))
    out = Path(out_dir)
    write_json(out / "predictions.json", preds["retrieved"])
    write_json(out / "predictions_gold_context.json", preds["gold"])
    write_jsonl(out / "predictions.contexts.jsonl", (
        {"qid": q, "setting": s, **{"answer": "", "score": None, **(outputs[s][q] or {})},
         "context": join_passages(contexts[s][q]), "passages": _passages_json(contexts[s][q])}
        for s in SETTINGS for q in qids))
    write_json(out / "metrics.json", metrics)
    log.info("%s/%s/%s frac %s seed %s: retrieved EM %.1f F1 %.1f | gold EM %.1f F1 %.1f (%d questions)", dataset,
             retriever, reader, frac, seed, metrics["retrieved"]["exact_match"], metrics["retrieved"]["f1"],
             metrics["gold"]["exact_match"], metrics["gold"]["f1"], len(qids))
    return metrics


def _uses_litgpt(reader: str, config: dict) -> bool:
    return reader == "llm-lora" and config.get("readers", {}).get("llm", {}).get("backend") == "litgpt"
