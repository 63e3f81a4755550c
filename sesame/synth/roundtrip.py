"""Optional round-trip filter: keep a pair only if an extractive QA model recovers its answer.

Why: the gate checks form, not meaning. A question about another span of the sentence, or about
nothing, passes the gate; a QA model that answers it with a different span exposes it. The
threshold is a SQuAD F1 between the model's span and the generated answer.
"""

from __future__ import annotations

import logging

import torch
from tqdm.auto import tqdm

from sesame.metrics.squad import f1_score
from sesame.models import resolve_model
from sesame.synth.quality import RawPair

log = logging.getLogger(__name__)


def best_span(start_logits, end_logits, offsets, sequence_ids, max_answer_tokens: int) -> tuple[float, int, int]:
    """Best (score, char start, char end) over context tokens with start <= end < start + max_answer_tokens."""
    ctx = torch.tensor([sid == 1 for sid in sequence_ids])
    neg = torch.finfo(start_logits.dtype).min
    s = start_logits.masked_fill(~ctx, neg)
    e = end_logits.masked_fill(~ctx, neg)
    scores = s[:, None] + e[None, :]
    n = len(sequence_ids)
    i, j = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    scores = scores.masked_fill((j < i) | (j - i >= max_answer_tokens), neg)
    flat = int(torch.argmax(scores))
    si, ei = divmod(flat, n)
    return float(scores[si, ei]), offsets[si][0], offsets[ei][1]


@torch.inference_mode()
def answer_questions(model_ref: str, questions: list[str], contexts: list[str], *, device: str = "cpu",
                     batch_size: int = 16, max_length: int = 384, stride: int = 128,
                     max_answer_tokens: int = 30, key: str = "synthetic.round_trip_model") -> list[str]:
    """The best span of each context for its question (sliding windows over long contexts)."""
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    path = resolve_model(model_ref, key)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForQuestionAnswering.from_pretrained(path).to(device).eval()
    best: list[tuple[float, str]] = [(float("-inf"), "")] * len(questions)
    for lo in tqdm(range(0, len(questions), batch_size), desc="round trip", mininterval=5, leave=False):
        enc = tok(questions[lo:lo + batch_size], contexts[lo:lo + batch_size], truncation="only_second",
                  max_length=max_length, stride=stride, return_overflowing_tokens=True,
                  return_offsets_mapping=True, padding=True, return_tensors="pt")
        owners = enc.pop("overflow_to_sample_mapping").tolist()
        offsets = enc.pop("offset_mapping").tolist()
        out = model(**{k: v.to(device) for k, v in enc.items()})
        for w, owner in enumerate(owners):
            score, a, b = best_span(out.start_logits[w].cpu(), out.end_logits[w].cpu(), offsets[w],
                                    enc.sequence_ids(w), max_answer_tokens)
            q = lo + owner
            if score > best[q][0]:
                best[q] = (score, contexts[q][a:b])
    return [text for _, text in best]


def round_trip_filter(pairs: list[RawPair], model_ref: str, language: str, min_f1: float = 0.5,
                      **kwargs) -> tuple[list[RawPair], int]:
    """The pairs whose answer the QA model recovers (F1 >= min_f1), in order, and the number dropped."""
    if not pairs:
        return [], 0
    predicted = answer_questions(model_ref, [p.question for p in pairs], [p.context for p in pairs], **kwargs)
    kept = [p for p, pred in zip(pairs, predicted) if f1_score(pred, p.answer_text, language) >= min_f1]
    log.info("round trip: kept %d of %d pairs (F1 >= %.2f)", len(kept), len(pairs), min_f1)
    return kept, len(pairs) - len(kept)
