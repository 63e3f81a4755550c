#!/usr/bin/env python3
"""Latency of `sesame ask` per question on the demo runs: bm25, hybrid and dense with the extractive reader, CPU.

    python bench/ask.py                      # the demo runs under results/ (`make demo` first)
    python bench/ask.py --root DIR --threads 1 --questions 100

For each retriever it loads the run's engine once (timed), then asks every demo question one at a
time, as a user of `sesame ask` or the page would, and reports p50/p95/mean of the whole answer and of
its retrieval and reader parts, plus the F1 of those answers against the run's own metrics (the
service must answer as the run did). Writes bench/results/ask.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HERE = Path(__file__).resolve().parent


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    return s[max(0, min(len(s), math.ceil(q / 100 * len(s))) - 1)]


def summary(values: list[float]) -> dict:
    return {"p50": round(pct(values, 50), 2), "p95": round(pct(values, 95), 2),
            "mean": round(statistics.fmean(values), 2), "max": round(max(values), 2)}


def bench_run(run: Path, threads: int, limit: int | None) -> dict:
    import torch

    from sesame.ask.engine import AskEngine
    from sesame.io import read_json
    from sesame.metrics.squad import score_predictions

    t0 = time.perf_counter()
    engine = AskEngine.from_run(run, threshold=None, threads=threads)
    load_s = time.perf_counter() - t0
    questions = [q for q in engine.collection.questions if not q.impossible][:limit]
    wall, retrieve, read, preds = [], [], [], {}
    for q in questions:
        t = time.perf_counter()
        res = engine.ask(q.question)
        wall.append(1000 * (time.perf_counter() - t))
        retrieve.append(res["latency_ms"]["retrieve"])
        read.append(res["latency_ms"]["read"])
        preds[q.qid] = res["best_span"] or ""
    refs = {q.qid: [a.text for a in q.answers] for q in questions}
    scores = score_predictions(preds, refs, engine.collection.language).as_dict()
    metrics = read_json(run / "metrics.json")
    whole = len(questions) == metrics["retrieved"]["count"]  # the run's F1 is comparable only on all questions
    return {"run": str(run), "questions": len(questions), "load_s": round(load_s, 2),
            "torch_threads": torch.get_num_threads(), "latency_ms": summary(wall), "retrieve_ms": summary(retrieve),
            "read_ms": summary(read), "questions_per_s": round(len(questions) / (sum(wall) / 1000), 2),
            "f1": round(scores["f1"], 2), "run_f1": round(metrics["retrieved"]["f1"], 2) if whole else None,
            "config_hash": metrics.get("config_hash")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=".", help="workflow root that holds results/ (default: .)")
    ap.add_argument("--dataset", default="demo_en")
    ap.add_argument("--lang", default="en")
    ap.add_argument("--reader", default="extractive")
    ap.add_argument("--frac", default="0.4")
    ap.add_argument("--seed", default="0")
    ap.add_argument("--retrievers", default="bm25,hybrid,dense")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch and FAISS threads (default 1: one question gains little from more, and "
                         "oversubscribed OpenMP on a busy machine cost 4-6x here)")
    ap.add_argument("--questions", type=int, default=None, help="ask only the first N questions")
    ap.add_argument("--out", default=str(HERE / "results" / "ask.json"))
    args = ap.parse_args()

    base = Path(args.root) / "results" / args.lang / args.dataset / "runs"
    out = {"dataset": args.dataset, "reader": args.reader, "frac": args.frac, "seed": args.seed,
           "device": "cpu", "cpus": os.cpu_count(), "python": platform.python_version(),
           "load_avg_before": [round(x, 2) for x in os.getloadavg()], "retrievers": {}}
    for r in args.retrievers.split(","):
        run = base / r / args.reader / f"frac{args.frac}" / f"seed{args.seed}"
        if not (run / "metrics.json").exists():
            print(f"bench/ask.py: {run} is not a finished run; build it first, e.g.\n"
                  "  snakemake --profile profiles/local --configfile config/config.yaml --config keep_models=true "
                  f"-- {run}/metrics.json",
                  file=sys.stderr)
            return 2
        res = bench_run(run, args.threads, args.questions)
        out["retrievers"][r] = res
        print(f"{r:7s} load {res['load_s']:5.1f}s  per question p50 {res['latency_ms']['p50']:7.1f} ms  "
              f"p95 {res['latency_ms']['p95']:7.1f} ms  (retrieval p50 {res['retrieve_ms']['p50']:.1f} ms, "
              f"reader p50 {res['read_ms']['p50']:.1f} ms)  F1 {res['f1']:.1f} (run {res['run_f1']})", flush=True)
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]  # other work on the machine inflates latency
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
