"""Batched generation with length bucketing, for seq2seq (T5) and causal (LLM) models.

Why: the paper's question generation ran one input at a time. Here inputs are sorted by token
length and cut into batches, so each batch pads little, and results return in input order. For
the causal few-shot prompts the shared prefix is encoded once and its key/value cache reused by
every batch, which removes most of the prompt cost. Greedy or beam decoding with a fixed batch
order makes the output a function of the inputs and settings alone.
"""

from __future__ import annotations

import copy
import logging
import time

import torch
from tqdm.auto import tqdm

log = logging.getLogger(__name__)


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def length_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length, longest first (a memory error shows up at once)."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def seeded_sample(items: list, k: int | None, seed: int) -> list:
    """At most k items, drawn with `seed`, in their original order (all of them when k is None)."""
    if k is None or k >= len(items):
        return list(items)
    import random

    keep = sorted(random.Random(seed).sample(range(len(items)), k))
    return [items[i] for i in keep]


def _bar(total: int, desc: str):
    return tqdm(total=total, desc=desc, unit="input", mininterval=5, leave=False)


@torch.inference_mode()
def seq2seq_generate(model, tok, texts: list[str], *, batch_size: int = 16, max_input_tokens: int = 512,
                     max_new_tokens: int = 32, num_beams: int = 1, keep_special: bool = False,
                     desc: str = "generate") -> list[str]:
    """Decode one output per input text; `keep_special` keeps tokens such as <sep> in the text."""
    if not texts:
        return []
    device = next(model.parameters()).device
    lengths = [len(ids) for ids in tok(texts, truncation=True, max_length=max_input_tokens)["input_ids"]]
    outputs: list[str] = [""] * len(texts)
    t0 = time.perf_counter()
    with _bar(len(texts), desc) as bar:
        for batch in length_batches(lengths, batch_size):
            enc = tok([texts[i] for i in batch], return_tensors="pt", padding=True, truncation=True,
                      max_length=max_input_tokens).to(device)
            gen = model.generate(**enc, max_new_tokens=max_new_tokens, num_beams=num_beams, do_sample=False,
                                 early_stopping=num_beams > 1)
            for i, ids in zip(batch, gen):
                outputs[i] = _decode(tok, ids, keep_special)
            bar.update(len(batch))
    log.info("%s: %d inputs in %.1fs (batch %d, %d beams)", desc, len(texts), time.perf_counter() - t0,
             batch_size, num_beams)
    return outputs


def _decode(tok, ids, keep_special: bool) -> str:
    if not keep_special:
        return tok.decode(ids, skip_special_tokens=True).strip()
    text = tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)
    for t in {tok.pad_token, tok.eos_token, tok.bos_token, tok.unk_token} - {None}:
        text = text.replace(t, " ")
    return " ".join(text.split())


@torch.inference_mode()
def causal_generate(model, tok, items: list[str], *, prefix: str = "", batch_size: int = 16,
                    max_new_tokens: int = 32, stop_ids: list[int] | None = None, cache_prefix: bool = True,
                    desc: str = "generate") -> list[tuple[str, bool]]:
    """Greedy completions of `prefix + item` for every item: (text, stopped), stopped = ended on a stop token.

    Each model input is exactly the prefix's token ids followed by the item's, with or without
    the prefix cache, so `cache_prefix` changes the cost and not the prompt.
    """
    if not items:
        return []
    device = next(model.parameters()).device
    stops = sorted(set((stop_ids or []) + [tok.eos_token_id]) - {None})
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    prefix_ids = tok(prefix, add_special_tokens=False)["input_ids"] if prefix else []
    item_ids = tok(items, add_special_tokens=False)["input_ids"]
    cache = None
    if prefix_ids and cache_prefix:
        cache = model(torch.tensor([prefix_ids], device=device), use_cache=True).past_key_values
    outputs: list[tuple[str, bool]] = [("", False)] * len(items)
    t0 = time.perf_counter()
    with _bar(len(items), desc) as bar:
        for batch in length_batches([len(x) for x in item_ids], batch_size):
            width = max(len(item_ids[i]) for i in batch)
            ids = [[pad] * (width - len(item_ids[i])) + item_ids[i] for i in batch]
            mask = [[0] * (width - len(item_ids[i])) + [1] * len(item_ids[i]) for i in batch]
            if cache is None:   # left padding before the whole prompt
                ids = [row[:width - len(item_ids[i])] + prefix_ids + row[width - len(item_ids[i]):]
                       for row, i in zip(ids, batch)]
                mask = [row[:width - len(item_ids[i])] + [1] * len(prefix_ids) + row[width - len(item_ids[i]):]
                        for row, i in zip(mask, batch)]
                kwargs = {}
            else:               # padding sits between the cached prefix and the item; positions skip it
                ids = [prefix_ids + row for row in ids]
                mask = [[1] * len(prefix_ids) + row for row in mask]
                batch_cache = copy.deepcopy(cache)
                batch_cache.batch_repeat_interleave(len(batch))
                kwargs = {"past_key_values": batch_cache}
            input_ids = torch.tensor(ids, device=device)
            rows = greedy_decode(model, input_ids, torch.tensor(mask, device=device), kwargs.get("past_key_values"),
                                 max_new_tokens, stops)
            for i, row in zip(batch, rows):
                stopped = bool(row) and row[-1] in stops   # the stop token is kept: "?\n" still carries text
                outputs[i] = (tok.decode(row, skip_special_tokens=True), stopped)
            bar.update(len(batch))
    log.info("%s: %d inputs in %.1fs (batch %d, prefix %d tokens%s)", desc, len(items), time.perf_counter() - t0,
             batch_size, len(prefix_ids), ", cached" if cache is not None else "")
    return outputs


def greedy_decode(model, input_ids, attention_mask, cache, max_new_tokens: int, stops: list[int]) -> list[list[int]]:
    """Greedy continuation of each row up to and including its first stop token.

    Why not `generate`: it keeps computing rows that have already stopped until the whole batch
    has, and one looping row then costs every row the full `max_new_tokens`. Here finished rows
    leave the batch (and the key/value cache) at once. `cache` may hold a shared prefix that
    `input_ids` starts with; positions skip padding, as in `generate`.
    """
    positions = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    past = cache.get_seq_length() if cache is not None else 0
    # logits_to_keep=1: the prefill needs the vocabulary projection of the last position only (a large
    # share of a small model's prefill cost with a 49k vocabulary).
    out = model(input_ids=input_ids[:, past:], attention_mask=attention_mask, position_ids=positions[:, past:],
                past_key_values=cache, use_cache=True, logits_to_keep=1)
    cache, logits, last = out.past_key_values, out.logits[:, -1], positions[:, -1]
    stop = torch.tensor(stops, device=input_ids.device)
    alive = list(range(input_ids.shape[0]))
    rows: list[list[int]] = [[] for _ in alive]
    for step in range(max_new_tokens):
        nxt = logits.argmax(-1)
        for r, t in zip(alive, nxt.tolist()):
            rows[r].append(t)
        keep = (~torch.isin(nxt, stop)).nonzero().squeeze(1)
        if step == max_new_tokens - 1 or keep.numel() == 0:
            break
        if keep.numel() < len(alive):
            cache.batch_select_indices(keep)
            alive = [alive[k] for k in keep.tolist()]
            nxt, attention_mask, last = nxt[keep], attention_mask[keep], last[keep]
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones((len(alive), 1))], dim=1)
        last = last + 1
        logits = model(input_ids=nxt[:, None], attention_mask=attention_mask, position_ids=last[:, None],
                       past_key_values=cache, use_cache=True).logits[:, -1]
    return rows
